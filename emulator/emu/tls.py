"""HTTPS for the emulator (--tls-dir): a CA and a server certificate for 127.0.0.1, localhost and ::1, made with the
`openssl` command on first use and kept in the folder (clients trust DIR/ca.pem), so that Azure SDK clients, whose
identity library refuses an authority that is not https, can use the emulator."""
from __future__ import annotations

import os
import ssl
import subprocess

CA, CA_KEY, CERT, KEY = "ca.pem", "ca-key.pem", "server.pem", "server-key.pem"


def make_certs(folder: str) -> None:
    """CA and server certificate in `folder`, unless both are there already."""
    os.makedirs(folder, exist_ok=True)
    if all(os.path.exists(os.path.join(folder, f)) for f in (CA, CERT, KEY)):
        return

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", CA_KEY, "-out", CA, "-days", "825",
        "-subj", "/CN=foundry ARM emulator CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY, "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(folder, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", CA, "-CAkey", CA_KEY, "-CAcreateserial", "-out", CERT,
        "-days", "825", "-extfile", "server.ext")
    for f in ("server.csr", "server.ext"):
        os.unlink(os.path.join(folder, f))


def server_context(folder: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(folder, CERT), os.path.join(folder, KEY))
    return ctx

"""The shipped emulator (foundry-emulator.pyz, built from the same sources by scripts/emulator-pyz.sh) serving an Azure
SDK client: tests/azsdk's Go program, on azidentity and azcore's ARM pipeline as azapi uses them, authenticates with a
client secret, a client certificate and a federated token (the requests and scopes MSAL sends, over HTTPS with the
CA --tls-dir made), then PUTs a Foundry connection and GETs it. This provider against the same HTTPS emulator is
tests/e2e/test_testing.py (the terraform test recipes)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

SRC = os.environ["FOUNDRY_SOURCE_DIR"]
CLIENT = os.environ["FOUNDRY_AZSDK_CLIENT"]
TENANT = "00000000-0000-0000-0000-0000000000aa"
APP = "11111111-1111-1111-1111-111111111111"
PROJECT = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/"
           "Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main")


class AzureSdkTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="azsdk-")
        cls.pyz = os.path.join(cls.tmp, "foundry-emulator.pyz")
        subprocess.run([os.path.join(SRC, "scripts", "emulator-pyz.sh"), cls.pyz], check=True)
        port_file = os.path.join(cls.tmp, "port")
        cls.tls = os.path.join(cls.tmp, "tls")
        cls.log = open(os.path.join(cls.tmp, "emulator.log"), "wb")
        cls.proc = subprocess.Popen([sys.executable, cls.pyz, "--port", "0", "--port-file", port_file,
                                     "--tls-dir", cls.tls, "--log", os.path.join(cls.tmp, "requests.log")],
                                    stdout=cls.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            time.sleep(0.1)
        with open(port_file) as f:
            cls.url = f"https://127.0.0.1:{f.read().strip()}"

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.log.close()

    def sdk(self, name, **cred):
        env = {"PATH": os.environ.get("PATH", ""), "SSL_CERT_FILE": os.path.join(self.tls, "ca.pem"),
               "EMULATOR_URL": self.url, "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": APP,
               "CONNECTION_ID": f"{PROJECT}/connections/{name}", "HOME": self.tmp, **cred}
        r = subprocess.run([CLIENT], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("ok "), r.stdout)
        got = json.loads(r.stdout.split(" ", 3)[3] if r.stdout.count(" ") >= 3 else "{}")
        self.assertEqual(got["id"], f"{PROJECT}/connections/{name}")
        self.assertNotIn("credentials", got["properties"], "GET returned a credential")
        return r

    def test_client_secret(self):
        self.sdk("sdk-secret", AZURE_CLIENT_SECRET="emulator-client-secret")

    def test_client_certificate(self):
        key, crt = os.path.join(self.tmp, "sp.key"), os.path.join(self.tmp, "sp.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=sdk-sp"], check=True, capture_output=True)
        pem = os.path.join(self.tmp, "sp.pem")
        with open(pem, "w") as out:
            for f in (crt, key):
                with open(f) as fh:
                    out.write(fh.read())
        self.sdk("sdk-cert", AZURE_CLIENT_CERTIFICATE_PATH=pem)

    def test_federated_token(self):
        self.sdk("sdk-oidc", AZURE_FEDERATED_TOKEN="emulator-oidc-token")

    def test_the_scopes_msal_sends(self):
        """The identity library's token request carries its OpenID scopes beside the resource's."""
        self.sdk("sdk-scopes", AZURE_CLIENT_SECRET="emulator-client-secret")
        with open(os.path.join(self.tmp, "requests.log")) as f:
            log = f.read()
        self.assertIn(f"GET /{TENANT}/v2.0/.well-known/openid-configuration 200", log)
        self.assertIn(f"POST /{TENANT}/oauth2/v2.0/token 200", log)


if __name__ == "__main__":
    unittest.main()

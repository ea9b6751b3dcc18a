#!/usr/bin/env python3
"""What can be checked of a macOS executable on a machine that cannot run it (README "Platforms").

usage: check-macho.py EXECUTABLE ARCH MINOS        (ARCH: arm64 or amd64; MINOS: e.g. 12.0)

- Mach-O 64-bit executable of the right CPU, and the platform macOS with that minimum version (LC_BUILD_VERSION);
- the only dynamic library it imports is /usr/lib/libSystem.B.dylib (no framework, no Homebrew or build-machine path);
- no run path and no absolute path of the build machine among its load commands;
- on arm64, an ad-hoc code signature whose page hashes match the file: macOS on Apple silicon kills an unsigned
  executable, or one changed after signing (a strip after the link), at its first page fault.

The load commands are read with llvm-objdump (LLVM's, from Debian's llvm packages); the signature is checked here,
since nothing on this machine verifies one: the CodeDirectory's hash of every page up to codeLimit
(Apple's cs_blobs.h layout; docs/internals/darwin.md).
"""
import hashlib
import re
import shutil
import struct
import subprocess
import sys

CPU = {"arm64": "ARM64", "amd64": "X86_64"}


def objdump():
    for name in ("llvm-objdump", "llvm-objdump-14", "llvm-objdump-15", "llvm-objdump-16"):
        if shutil.which(name):
            return name
    sys.exit("check-macho: no llvm-objdump on PATH (Debian's llvm package)")


def load_commands(path):
    out = subprocess.run([objdump(), "--macho", "--private-headers", path], check=True, capture_output=True,
                         text=True).stdout
    cmds, cur = [], None
    for line in out.splitlines():
        m = re.match(r"\s*cmd (LC_\w+)", line)
        if m:
            cur = {"cmd": m.group(1)}
            cmds.append(cur)
            continue
        m = re.match(r"\s*(\w+) (.*)$", line.strip()) if cur is not None else None
        if m:
            cur.setdefault(m.group(1), m.group(2).strip())
    return out, cmds


def verify_signature(path, dataoff, datasize):
    """The CodeDirectory's page hashes (special slots aside) against the file's pages."""
    data = open(path, "rb").read()
    blob = data[dataoff:dataoff + datasize]
    magic, _length, count = struct.unpack_from(">III", blob, 0)
    if magic != 0xFADE0CC0:  # CSMAGIC_EMBEDDED_SIGNATURE
        return "the signature is not an embedded SuperBlob"
    for i in range(count):
        _type, off = struct.unpack_from(">II", blob, 12 + 8 * i)
        if struct.unpack_from(">I", blob, off)[0] != 0xFADE0C02:  # CSMAGIC_CODEDIRECTORY
            continue
        (_m, _l, _version, flags, hash_off, _ident, _nspecial, ncode, code_limit, hash_size, hash_type, _plat,
         page_log2) = struct.unpack_from(">IIIIIIIIIBBBB", blob, off)
        if hash_type != 2 or hash_size != 32:  # CS_HASHTYPE_SHA256
            return f"unexpected hash type {hash_type}"
        if not flags & 0x2:  # CS_ADHOC
            return "not an ad-hoc signature"
        page = 1 << page_log2
        if ncode != (code_limit + page - 1) // page:
            return f"{ncode} code slots do not cover codeLimit {code_limit}"
        for slot in range(ncode):
            want = blob[off + hash_off + slot * hash_size:off + hash_off + (slot + 1) * hash_size]
            got = hashlib.sha256(data[slot * page:min((slot + 1) * page, code_limit)]).digest()
            if got != want:
                return f"page {slot} does not match its hash (changed after signing)"
        return None
    return "no CodeDirectory in the signature"


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in CPU:
        sys.exit(__doc__)
    path, arch, minos = sys.argv[1:]
    problems = []
    magic = open(path, "rb").read(4)
    if magic != b"\xcf\xfa\xed\xfe":
        sys.exit(f"check-macho: {path} is not a 64-bit Mach-O file")
    out, cmds = load_commands(path)
    header = re.search(r"MH_MAGIC_64\s+(\w+)\s+\S+\s+\S+\s+(\w+)", out)
    if header is None or header.group(1) != CPU[arch] or header.group(2) != "EXECUTE":
        problems.append(f"not an {CPU[arch]} executable: {header.group(0) if header else 'no header'}")
    dylibs = [c.get("name", "").split(" (offset")[0] for c in cmds if c["cmd"] in (
        "LC_LOAD_DYLIB", "LC_LOAD_WEAK_DYLIB", "LC_REEXPORT_DYLIB", "LC_LAZY_LOAD_DYLIB", "LC_LOAD_UPWARD_DYLIB")]
    if dylibs != ["/usr/lib/libSystem.B.dylib"]:
        problems.append(f"imports {dylibs}, not libSystem alone")
    if any(c["cmd"] == "LC_RPATH" for c in cmds):
        problems.append("carries a run path (LC_RPATH)")
    builds = [c for c in cmds if c["cmd"] == "LC_BUILD_VERSION"]
    if len(builds) != 1 or builds[0].get("platform") != "macos" or builds[0].get("minos") != minos:
        problems.append(f"LC_BUILD_VERSION is not platform macos, minos {minos}: {builds}")
    sigs = [c for c in cmds if c["cmd"] == "LC_CODE_SIGNATURE"]
    if arch == "arm64":
        if len(sigs) != 1:
            problems.append("no code signature (Apple silicon runs only signed code)")
        else:
            why = verify_signature(path, int(sigs[0]["dataoff"]), int(sigs[0]["datasize"]))
            if why:
                problems.append(f"code signature: {why}")
    if problems:
        for p in problems:
            print(f"check-macho: {path}: {p}", file=sys.stderr)
        sys.exit(1)
    print(f"{path}: Mach-O {CPU[arch]} executable, macOS {minos}+, imports libSystem only"
          + (", ad-hoc signature verified" if arch == "arm64" else ""))


if __name__ == "__main__":
    main()

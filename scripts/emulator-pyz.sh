#!/usr/bin/env bash
# The emulator as one file a user runs with Python 3 (standard library only): a zipapp of emulator/armemu.py and
# emulator/emu/, the same sources the tests run. Deterministic (fixed file times and order), so its checksum is
# stable for one source tree.
#   emulator-pyz.sh OUT.pyz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: emulator-pyz.sh OUT.pyz}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app/emu"
cp "$root/emulator/armemu.py" "$stage/app/"
cp "$root"/emulator/emu/*.py "$stage/app/emu/"
cat > "$stage/app/__main__.py" <<'PY'
import sys

import armemu

sys.exit(armemu.main())
PY
python3 - "$stage/app" "$out" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
tmp = out + ".tmp"
with open(tmp, "wb") as f:
    f.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for folder, _, files in sorted(os.walk(src)):
            for name in sorted(files):
                path = os.path.join(folder, name)
                info = zipfile.ZipInfo(os.path.relpath(path, src), date_time=(2000, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as fh:
                    z.writestr(info, fh.read())
os.chmod(tmp, 0o755)
os.replace(tmp, out)
PY

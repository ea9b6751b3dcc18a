#!/usr/bin/env bash
# What makes an executable "lean" (README "The lean binary"), checked on the file alone, for any architecture:
# dynamic dependencies on glibc's libraries only, no run path, and no glibc symbol version newer than the floor
# (2.34: RHEL 9, Amazon Linux 2023, Ubuntu 22.04, Debian 12). scripts/release.sh refuses to ship otherwise; the
# release tests check their artefacts with it.
# usage: check-lean.sh EXECUTABLE      prints "needs: <libraries> (newest symbol GLIBC_x.y)"; exit 1 with the reason
set -euo pipefail
exe=${1:?usage: check-lean.sh EXECUTABLE}
floor=GLIBC_2.34
fail() { echo "check-lean: $exe: $*" >&2; exit 1; }

needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for n in $needed; do
  case "$n" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|ld-linux-*) ;;
    *) fail "needs $n, which is not glibc's (all: $needed)" ;;
  esac
done
if readelf -d "$exe" | grep -Eq 'RPATH|RUNPATH'; then fail "carries a run path"; fi
newest=$(readelf --dyn-syms -W "$exe" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1)
if [ "$(printf '%s\n' "$newest" "$floor" | sort -V | tail -1)" != "$floor" ]; then
  fail "imports $newest, newer than $floor: $(readelf --dyn-syms -W "$exe" | grep "@$newest" | awk '{print $8}' | tr '\n' ' ')"
fi
echo "needs: $needed(newest symbol $newest)"

#!/usr/bin/env bash
# The three libraries the lean (static) binary needs and Debian 12 ships no fit static archive of, built from
# Debian's own *source* packages (security patches applied by dpkg-source), for one architecture:
#   libcurl  - only what the provider uses: HTTPS over OpenSSL, HTTP/1.1 and HTTP/2 (nghttp2), proxies
#              (HTTP, HTTPS, SOCKS) and zlib content-encoding. No LDAP, RTMP, SSH, Kerberos, GnuTLS, PSL, IDN:
#              Debian's libcurl.a drags all of those in, several without a static library of their own.
#   nghttp2  - libcurl's HTTP/2 (Debian ships no libnghttp2.a).
#   cJSON    - Debian ships no libcjson.a.
# Everything else (gRPC, abseil, OpenSSL, protobuf-c, msgpack-c, zlib, libstdc++) links from Debian's .a files.
#
# usage: deps.sh amd64|arm64      prints the install prefix (with lib/pkgconfig) on stdout
# The result is cached under ~/.cache/terraform-provider-foundry/deps/, keyed by the source versions and this
# script, so a second run costs nothing. arm64 is cross-built with Debian's aarch64-linux-gnu toolchain.
set -euo pipefail
arch=${1:?usage: deps.sh amd64|arm64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry/deps
jobs=${FOUNDRY_JOBS:-$(nproc)}

case "$arch" in
  amd64) triple=x86_64-linux-gnu; cc=gcc; cmake_cross=() ;;
  arm64) triple=aarch64-linux-gnu; cc=aarch64-linux-gnu-gcc
         cmake_cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64) ;;
  *) echo "deps: unknown architecture $arch" >&2; exit 2 ;;
esac
build_triple=$(gcc -dumpmachine)

# Source versions come from the apt index (deb-src, added by setup.sh), so a Debian security update is picked up.
srcver() { apt-cache showsrc "$1" | awk '/^Version:/{print $2}' | sort -V | tail -1; }
v_curl=$(srcver curl) v_nghttp2=$(srcver nghttp2) v_cjson=$(srcver cjson)
[ -n "$v_curl" ] && [ -n "$v_nghttp2" ] && [ -n "$v_cjson" ] || {
  echo "deps: no deb-src index for curl/nghttp2/cjson (run scripts/setup.sh)" >&2; exit 1; }
key=$(printf '%s\n' "$arch" "$v_curl" "$v_nghttp2" "$v_cjson" | cat - "$0" | sha256sum | cut -c1-16)
prefix="$cache/$arch-$key"
if [ -f "$prefix/.done" ]; then echo "$prefix"; exit 0; fi

log="$cache/$arch-$key.log"
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "deps: building curl $v_curl, nghttp2 $v_nghttp2, cJSON $v_cjson for $arch (log: $log)" >&2
: >"$log"
run() { "$@" >>"$log" 2>&1 || { echo "deps: failed: $*; last lines of $log:" >&2; tail -30 "$log" >&2; exit 1; }; }

srcdir="$cache/src"
mkdir -p "$srcdir"
for p in curl nghttp2 cjson; do
  v=$(srcver "$p")
  # apt-get source names the .dsc without the epoch.
  ls "$srcdir/${p}_${v#*:}.dsc" >/dev/null 2>&1 || (cd "$srcdir" && run apt-get source --download-only "$p=$v")
  run dpkg-source --no-check -x "$srcdir/${p}_${v#*:}.dsc" "$work/$p"
done

rm -rf "$prefix"
mkdir -p "$prefix"
common_cmake=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" -DCMAKE_INSTALL_PREFIX="$prefix"
  -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON "${cmake_cross[@]}")

run cmake -S "$work/nghttp2" -B "$work/nghttp2/b" "${common_cmake[@]}" -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON \
  -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF -DENABLE_FAILMALLOC=OFF -DENABLE_THREADS=OFF
run cmake --build "$work/nghttp2/b" -j"$jobs"
run cmake --install "$work/nghttp2/b"

run cmake -S "$work/cjson" -B "$work/cjson/b" "${common_cmake[@]}" -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=OFF \
  -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF -DENABLE_TARGET_EXPORT=OFF
run cmake --build "$work/cjson/b" -j"$jobs"
run cmake --install "$work/cjson/b"

# curl: the library only. CA certificates: none compiled in (no bundle path of the build machine); OpenSSL's
# default paths and SSL_CERT_FILE/SSL_CERT_DIR apply, and internal/http probes the usual bundle files.
(
  cd "$work/curl"
  export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig:/usr/lib/$triple/pkgconfig:/usr/share/pkgconfig"
  run ./configure --host="$triple" --build="$build_triple" CC="$cc" CFLAGS="-O2 -fPIC" \
    --prefix="$prefix" --libdir="$prefix/lib" --disable-shared --enable-static \
    --with-openssl --with-nghttp2="$prefix" --with-zlib \
    --without-gnutls --without-mbedtls --without-wolfssl --without-rustls --without-bearssl \
    --without-libpsl --without-libidn2 --without-librtmp --without-libssh2 --without-libssh --without-gssapi \
    --without-brotli --without-zstd --without-libgsasl --without-hyper --without-quiche --without-ngtcp2 \
    --without-nghttp3 --without-msh3 \
    --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
    --disable-imap --disable-smtp --disable-gopher --disable-mqtt --disable-smb --disable-ftp --disable-file --disable-manual --disable-docs \
    --disable-ntlm-wb --disable-alt-svc --disable-hsts --enable-threaded-resolver --enable-proxy \
    --without-ca-bundle --without-ca-path --with-ca-fallback
  run make -C lib -j"$jobs"
  run make -C lib install
  run make -C include install
  run make install-pkgconfigDATA
)
# The static link must find every archive: fail here rather than with a linker error later.
for a in libcurl.a libnghttp2.a libcjson.a; do [ -f "$prefix/lib/$a" ] || { echo "deps: $a missing" >&2; exit 1; }; done
touch "$prefix/.done"
echo "$prefix"

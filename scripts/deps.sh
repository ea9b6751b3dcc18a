#!/usr/bin/env bash
# The static libraries of the lean executable, built from Debian's own *source* packages (security patches applied by
# dpkg-source), for one platform (docs/internals/darwin.md for the macOS part):
#
#   linux_amd64, linux_arm64: only what Debian 12 ships no fit static archive of. Everything else (gRPC, abseil,
#     OpenSSL, protobuf-c, msgpack-c, zlib, libstdc++) links from Debian's .a files.
#       libcurl  - only what the provider uses: HTTPS over OpenSSL, HTTP/1.1 and HTTP/2 (nghttp2), proxies
#                  (HTTP, HTTPS, SOCKS) and zlib content-encoding. No LDAP, RTMP, SSH, Kerberos, GnuTLS, PSL, IDN:
#                  Debian's libcurl.a drags all of those in, several without a static library of their own.
#       nghttp2  - libcurl's HTTP/2 (Debian ships no libnghttp2.a).
#       cJSON    - Debian ships no libcjson.a.
#   darwin_arm64, darwin_amd64: the whole chain, with Zig as the C and C++ compiler (scripts/zig.sh,
#     cmake/zig-darwin.cmake) and no Apple SDK: zlib, OpenSSL, c-ares, abseil, RE2, gRPC core, protobuf-c, msgpack-c,
#     cJSON, nghttp2, libcurl. scripts/darwin-patches/ leaves out the CoreFoundation and SystemConfiguration calls
#     that need a framework (one each in abseil, gRPC's build and curl); what remains imports only libSystem.
#
# usage: deps.sh PLATFORM        prints the install prefix (with lib/pkgconfig) on stdout
#        deps.sh --cached PLATFORM   prints the prefix if that build is complete in the cache, else exits 1;
#                                    fetches and builds nothing (the tests ask, to skip what is not built)
# PLATFORM: linux_amd64 linux_arm64 darwin_arm64 darwin_amd64 (amd64 and arm64 alone mean linux_*).
# The result is cached under ~/.cache/terraform-provider-foundry/deps/, keyed by the source versions, this script, the
# patches and the compiler, so a second run costs nothing; within a build each package has its own stamp (its
# recipe and patches), so a run that stopped half-way resumes at the package that failed, and a changed recipe
# rebuilds that package alone.
set -euo pipefail
cached=""
[ "${1:-}" = --cached ] && { cached=1; shift; }
plat=${1:?usage: deps.sh [--cached] linux_amd64|linux_arm64|darwin_arm64|darwin_amd64}
case "$plat" in amd64|arm64) plat=linux_$plat ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry/deps
jobs=${FOUNDRY_JOBS:-$(nproc)}
build_triple=$(gcc -dumpmachine)

toolchain=()
case "$plat" in
  linux_amd64) triple=x86_64-linux-gnu; cc=gcc; cxx=g++; ar=ar; ranlib=ranlib
    pkgs=(nghttp2 cjson curl) ;;
  linux_arm64) triple=aarch64-linux-gnu; cc=aarch64-linux-gnu-gcc; cxx=aarch64-linux-gnu-g++
    ar=aarch64-linux-gnu-ar; ranlib=aarch64-linux-gnu-ranlib
    toolchain=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64)
    pkgs=(nghttp2 cjson curl) ;;
  darwin_arm64|darwin_amd64)
    arch=${plat#darwin_}
    case $arch in arm64) triple=aarch64-apple-darwin; ossl=darwin64-arm64-cc ;;
                  amd64) triple=x86_64-apple-darwin; ossl=darwin64-x86_64-cc ;; esac
    zig=$("$here/zig.sh" "$([ -n "$cached" ] && echo path || echo ensure)")
    cc=$zig/zig-cc-$arch; cxx=$zig/zig-c++-$arch; ar=$zig/zig-ar; ranlib=$zig/zig-ranlib
    toolchain=(--toolchain "$root/cmake/darwin-$arch.cmake")
    pkgs=(zlib openssl c-ares abseil re2 grpc protobuf-c msgpack-c nghttp2 cjson curl) ;;
  *) echo "deps: unknown platform $plat" >&2; exit 2 ;;
esac

# Source versions come from the apt index (deb-src, added by setup.sh), so a Debian update is picked up: the newest
# version whose source the mirror serves (a mirror without the security suite's source pool serves the point release).
srcdir="$cache/src"
mkdir -p "$srcdir"
fetch() { # fetch PKG: print the version fetched
  local v
  for v in $(apt-cache showsrc "$1" | awk '/^Version:/{print $2}' | sort -rV | uniq); do
    if [ -f "$srcdir/${1}_${v#*:}.dsc" ] || { [ -z "$cached" ] &&
      (cd "$srcdir" && apt-get source --download-only "$1=$v" >/dev/null 2>&1); }; then echo "$v"; return 0; fi
  done
  [ -n "$cached" ] && exit 1
  echo "deps: no source of $1 could be fetched (is deb-src in the apt sources? scripts/setup.sh adds it)" >&2
  return 1
}
declare -A ver
for p in "${pkgs[@]}"; do ver[$p]=$(fetch "$p"); done
# The folder's key: the platform, the source versions and the toolchain. Each package's recipe (its function below,
# the shared helpers and its patches) keys that package's own stamp inside the folder.
key=$( { echo "$plat"; for p in "${pkgs[@]}"; do echo "$p ${ver[$p]}"; done;
  if [[ $plat == darwin_* ]]; then cat "$root/cmake/zig-darwin.cmake"; echo "$zig"; fi; } | sha256sum | cut -c1-16)
prefix="$cache/$plat-$key"
if [ -f "$prefix/.done" ]; then echo "$prefix"; exit 0; fi
[ -z "$cached" ] || exit 1

log="$cache/$plat-$key.log"
mkdir -p "$prefix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >>"$log"
run() { "$@" >>"$log" 2>&1 || { echo "deps: failed: $*; last lines of $log:" >&2; tail -30 "$log" >&2; exit 1; }; }
unpack() { # unpack PKG: the patched source tree in $work/PKG
  run dpkg-source --no-check -x "$srcdir/${1}_${ver[$1]#*:}.dsc" "$work/$1"
  local p
  for p in "$here"/darwin-patches/"$1"-*.patch; do
    [[ $plat == darwin_* && -f $p ]] && run patch -d "$work/$1" -p1 -i "$p"
  done
  return 0
}
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
[[ $plat == linux_* ]] && PKG_CONFIG_LIBDIR="$PKG_CONFIG_LIBDIR:/usr/lib/$triple/pkgconfig:/usr/share/pkgconfig"
export FY_DARWIN_PREFIX="$prefix"       # cmake/zig-darwin.cmake: find only what this build installed
cmake_build() { # cmake_build PKG SUBDIR [ARGS...]: configure, build, install
  local p=$1 s=$2; shift 2
  run cmake -S "$work/$p/$s" -B "$work/$p/b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF \
    -DBUILD_TESTING=OFF "${toolchain[@]}" "$@"
  run cmake --build "$work/$p/b" -j"$jobs"
  run cmake --install "$work/$p/b"
}

# One function per package; its text is part of its stamp, so changing a recipe rebuilds that package only.
b_zlib() {
  (cd "$work/zlib" && CC="$cc" AR="$ar" RANLIB="$ranlib" CFLAGS="-O2 -fPIC" run ./configure --static --prefix="$prefix" \
    --libdir="$prefix/lib" && run make -j"$jobs" libz.a && run make install)
}
b_openssl() {
  # The default trust store is /etc/ssl/cert.pem, which every Mac has; SSL_CERT_FILE and SSL_CERT_DIR still apply.
  (cd "$work/openssl" && run ./Configure "$ossl" no-shared no-module no-tests --prefix="$prefix" \
    --libdir=lib --openssldir=/etc/ssl CC="$cc" AR="$ar" RANLIB="$ranlib" &&
    run make -j"$jobs" build_libs && run make install_dev)
}
b_c-ares() {
  cmake_build c-ares . -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF
}
b_abseil() {
  cmake_build abseil . -DCMAKE_CXX_STANDARD=17 -DABSL_PROPAGATE_CXX_STD=ON -DABSL_ENABLE_INSTALL=ON
}
b_re2() {
  # Debian's source leaves out the generated Unicode tables; its build makes them from unicode-data, as here.
  run make -C "$work/re2" REBUILD_TABLES=1 re2/perl_groups.cc re2/unicode_casefold.cc re2/unicode_groups.cc
  cmake_build re2 . -DRE2_BUILD_TESTING=OFF
}
b_grpc() {
  # Zig's clang is newer than gRPC 1.51: `Traits::template CallSeqFactory(...)` (promise/detail/basic_seq.h), which
  # older compilers took, is an error by default there; the code means what it says, so the diagnostic is off.
  local grpc_cxxflags=()
  [[ $plat == darwin_* ]] && grpc_cxxflags=(-DCMAKE_CXX_FLAGS=-Wno-missing-template-arg-list-after-template-kw)
  # gRPC core only: the C library the provider uses, and what it links. No protobuf (that is the C++ API's), no code
  # generators. gRPC's install rules cover the C++ libraries too, so the C ones are installed here by hand, with the
  # pkg-config files gRPC's configure step writes.
  run cmake -S "$work/grpc" -B "$work/grpc/b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_PREFIX_PATH="$prefix" -DBUILD_SHARED_LIBS=OFF -DCMAKE_CXX_STANDARD=17 \
    "${toolchain[@]}" -DgRPC_INSTALL=ON -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
    -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
    -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=none \
    -DOPENSSL_ROOT_DIR="$prefix" -DOPENSSL_USE_STATIC_LIBS=ON "${grpc_cxxflags[@]}"
  run cmake --build "$work/grpc/b" -j"$jobs" --target grpc
  cp "$work"/grpc/b/lib{grpc,gpr,address_sorting,upb}.a "$prefix/lib/"
  cp -R "$work/grpc/include/grpc" "$prefix/include/"
  cp "$work"/grpc/b/libs/opt/pkgconfig/{grpc,gpr}.pc "$prefix/lib/pkgconfig/"
}
b_protobuf-c() { cmake_build protobuf-c build-cmake -DBUILD_PROTOC=OFF -DBUILD_TESTS=OFF; }
b_msgpack-c() {
  cmake_build msgpack-c . -DMSGPACK_ENABLE_SHARED=OFF -DMSGPACK_BUILD_EXAMPLES=OFF -DMSGPACK_BUILD_TESTS=OFF
}
b_nghttp2() {
  cmake_build nghttp2 . -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF \
    -DENABLE_FAILMALLOC=OFF -DENABLE_THREADS=OFF
}
b_cjson() {
  cmake_build cjson . -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF \
    -DENABLE_TARGET_EXPORT=OFF
}
b_curl() {
  # The library only. CA certificates: none compiled in (no bundle path of the build machine); OpenSSL's default
  # paths and SSL_CERT_FILE/SSL_CERT_DIR apply, and internal/http probes the usual bundle files.
  local ssl=--with-openssl
  [[ $plat == darwin_* ]] && ssl=--with-openssl="$prefix"
  (
    cd "$work/curl"
    run ./configure --host="$triple" --build="$build_triple" CC="$cc" AR="$ar" RANLIB="$ranlib" CFLAGS="-O2 -fPIC" \
      --prefix="$prefix" --libdir="$prefix/lib" --disable-shared --enable-static \
      "$ssl" --with-nghttp2="$prefix" --with-zlib \
      --without-gnutls --without-mbedtls --without-wolfssl --without-rustls --without-bearssl --without-secure-transport \
      --without-libpsl --without-libidn2 --without-librtmp --without-libssh2 --without-libssh --without-gssapi \
      --without-brotli --without-zstd --without-libgsasl --without-hyper --without-quiche --without-ngtcp2 \
      --without-nghttp3 --without-msh3 \
      --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
      --disable-imap --disable-smtp --disable-gopher --disable-mqtt --disable-smb --disable-ftp --disable-file \
      --disable-manual --disable-docs \
      --disable-ntlm-wb --disable-alt-svc --disable-hsts --enable-threaded-resolver --enable-proxy \
      --without-ca-bundle --without-ca-path --with-ca-fallback
    run make -C lib -j"$jobs"
    run make -C lib install
    run make -C include install
    run make install-pkgconfigDATA
  )
}

recipe() { # recipe PKG: what its stamp is made of
  declare -f "b_$1" unpack cmake_build
  local f
  for f in "$here/darwin-patches/$1"-*.patch; do [[ $plat == darwin_* && -f $f ]] && cat "$f"; done
  return 0
}
for p in "${pkgs[@]}"; do
  stamp="$prefix/.done-$p-$(recipe "$p" | sha256sum | cut -c1-12)"
  [ -f "$stamp" ] && continue
  echo "deps: building $p ${ver[$p]} for $plat (log: $log)" >&2
  start=$(date +%s) from=$(($(wc -l <"$log") + 1))
  unpack "$p"
  "b_$p"
  # The macOS floor, as glibc's is for Linux: Zig's headers carry Apple's availability annotations, and clang warns
  # (-Wunguarded-availability-new) at any unguarded use of an API newer than the deployment target.
  if [[ $plat == darwin_* ]] && tail -n +"$from" "$log" | grep -m3 "is only available on macOS" >&2; then
    echo "deps: $p uses an API newer than macOS $(cat "$here/macos-min-version") (above)" >&2; exit 1
  fi
  rm -rf "${work:?}/$p"
  touch "$stamp"
  echo "deps: $p built in $(( $(date +%s) - start )) s" >>"$log"
done
# The static link must find every archive: fail here rather than with a linker error later.
for a in libcurl.a libnghttp2.a libcjson.a; do [ -f "$prefix/lib/$a" ] || { echo "deps: $a missing" >&2; exit 1; }; done
[[ $plat == linux_* ]] || for a in libgrpc.a libssl.a libcrypto.a libz.a libcares.a libre2.a libprotobuf-c.a \
  libmsgpackc.a; do [ -f "$prefix/lib/$a" ] || { echo "deps: $a missing" >&2; exit 1; }; done
touch "$prefix/.done"
# Earlier builds of this platform (older sources or toolchain) are not used again: keep the cache from growing.
for old in "$cache/$plat"-*; do
  [ "$old" = "$prefix" ] || [ "$old" = "$log" ] || rm -rf "$old"
done
echo "$prefix"

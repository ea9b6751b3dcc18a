# Cross-build for linux_arm64 with Debian's cross toolchain (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu) and the
# arm64 -dev packages installed side by side through multiarch (dpkg --add-architecture arm64; scripts/setup.sh).
# Host tools (protoc-c, pkg-config) stay amd64; pkg-config reads the arm64 .pc files.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# qemu-user runs the result in tests (tests/release); binfmt_misc is not assumed.
# No -L sysroot: the loader and libc must both be libc6:arm64 (multiarch); mixing the cross sysroot's ld.so with
# multiarch libc hangs in pthread_create.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)

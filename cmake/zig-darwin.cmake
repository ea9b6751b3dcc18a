# Cross-build for macOS with Zig as the C and C++ compiler (scripts/zig.sh; docs/internals/darwin.md). Included by
# cmake/darwin-arm64.cmake and cmake/darwin-amd64.cmake, which set FY_DARWIN_ARCH. Used for the dependency chain
# (scripts/deps-darwin.sh) and for the provider itself.
#
# No Apple SDK: Zig carries libSystem's headers and link stubs, and nothing else. The wrappers define FOUNDRY_NO_APPLE_FRAMEWORKS,
# which tells the patched dependencies (scripts/darwin-patches/) to leave out what needs CoreFoundation or
# SystemConfiguration; the variable of that name does the same for abseil's CMake files.
set(CMAKE_SYSTEM_NAME Darwin)
if(FY_DARWIN_ARCH STREQUAL "arm64")
  set(CMAKE_SYSTEM_PROCESSOR arm64)
else()
  set(CMAKE_SYSTEM_PROCESSOR x86_64)
endif()
# The minimum version is in the wrappers' target triple; CMake is told the same so it adds nothing of its own.
set(CMAKE_OSX_DEPLOYMENT_TARGET "" CACHE STRING "" FORCE)
set(CMAKE_OSX_SYSROOT "/" CACHE PATH "" FORCE)
execute_process(COMMAND ${CMAKE_CURRENT_LIST_DIR}/../scripts/zig.sh path OUTPUT_VARIABLE _fy_zig
  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
set(CMAKE_C_COMPILER ${_fy_zig}/zig-cc-${FY_DARWIN_ARCH})
set(CMAKE_CXX_COMPILER ${_fy_zig}/zig-c++-${FY_DARWIN_ARCH})
set(CMAKE_AR ${_fy_zig}/zig-ar CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB ${_fy_zig}/zig-ranlib CACHE FILEPATH "" FORCE)
set(FOUNDRY_NO_APPLE_FRAMEWORKS ON)
# One architecture per build (no universal binaries): abseil then picks its flags as on Linux.
set(FOUNDRY_ZIG_SINGLE_ARCH ON)
# Libraries and headers come only from the darwin prefix (FY_DARWIN_PREFIX), never from the build machine.
if(DEFINED ENV{FY_DARWIN_PREFIX})
  set(CMAKE_FIND_ROOT_PATH $ENV{FY_DARWIN_PREFIX})
  set(ENV{PKG_CONFIG_LIBDIR} "$ENV{FY_DARWIN_PREFIX}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

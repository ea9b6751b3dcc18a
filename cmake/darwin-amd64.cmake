# macOS on Intel (cmake/zig-darwin.cmake).
set(FY_DARWIN_ARCH amd64)
include(${CMAKE_CURRENT_LIST_DIR}/zig-darwin.cmake)

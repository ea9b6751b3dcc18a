# macOS on Apple silicon (cmake/zig-darwin.cmake).
set(FY_DARWIN_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/zig-darwin.cmake)

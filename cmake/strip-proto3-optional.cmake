# cmake -DIN=a.proto -DOUT=b.proto -P strip-proto3-optional.cmake
# Removes the proto3 `optional` keyword (see the note in the top-level CMakeLists.txt).
file(READ "${IN}" text)
string(REGEX REPLACE "\n([ \t]*)optional " "\n\\1" text "${text}")
file(WRITE "${OUT}" "${text}")

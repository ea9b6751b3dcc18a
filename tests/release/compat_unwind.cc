// internal/compat under load: a C++ exception unwound and std::random_device read with -static-libstdc++
// -static-libgcc, as in the lean executable, so through the compat _dl_find_object and arc4random. release.compat
// runs it and checks that it imports no glibc symbol newer than 2.34.
#include <cstdio>
#include <random>
#include <stdexcept>

static int thrower(int depth)
{
	if (depth == 0)
		throw std::runtime_error("unwound");
	return thrower(depth - 1) + 1;
}

int main()
{
	std::random_device rd;
	unsigned a = rd(), b = rd();
	try {
		thrower(16);
	} catch (const std::exception &e) {
		std::printf("%s through 16 frames; random_device %s\n", e.what(), a != b ? "varies" : "STUCK");
		return a != b ? 0 : 1;
	}
	return 1;
}

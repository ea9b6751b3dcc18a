/*
 * glibc 2.34 compatibility of the lean (static) executable; linked into it only (cmake/deps.cmake).
 *
 * GCC 12's libstdc++.a (std::random_device, which abseil and gRPC seed from) calls arc4random when it was built
 * against glibc >= 2.36, as Debian 12's was; that one import would make the release refuse to start on glibc
 * 2.34/2.35 (RHEL 9, Amazon Linux 2023, Ubuntu 22.04). The executable's own definition satisfies it: the kernel's
 * CSPRNG through getrandom(2), which is what glibc's arc4random uses too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

uint32_t arc4random(void)
{
	uint32_t v;
	unsigned char *p = (unsigned char *)&v;
	size_t got = 0;
	while (got < sizeof(v)) {
		ssize_t n = getrandom(p + got, sizeof(v) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EINTR)
			abort(); /* no entropy is not a state to go on from (glibc aborts too) */
	}
	return v;
}

/*
 * glibc 2.34 compatibility of the lean (static) executable; linked into it only (cmake/deps.cmake).
 *
 * GCC 12's static unwinder (libgcc_eh.a, taken in by -static-libgcc) finds a frame's unwind tables with
 * _dl_find_object when it was built against glibc >= 2.35, which Debian 12's was, and that one symbol would make
 * the release refuse to start on glibc 2.34 (RHEL 9, Amazon Linux 2023). Defined here, the executable's own
 * definition satisfies the unwinder and no versioned import is made. It answers as glibc did before 2.35, through
 * dl_iterate_phdr: the object whose PT_LOAD segments hold the address, and its PT_GNU_EH_FRAME. Only unwinding
 * (a C++ exception inside gRPC, a backtrace) ever calls it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

typedef struct find {
	uintptr_t pc;
	struct dl_find_object *out;
	int found;
} find;

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	find *f = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0, eh = 0;
	int hit = 0;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD) {
			if (f->pc >= start && f->pc < start + ph->p_memsz)
				hit = 1;
			lo = start < lo ? start : lo;
			hi = start + ph->p_memsz > hi ? start + ph->p_memsz : hi;
		} else if (ph->p_type == PT_GNU_EH_FRAME) {
			eh = start;
		}
	}
	if (!hit)
		return 0;
	memset(f->out, 0, sizeof(*f->out));
	f->out->dlfo_map_start = (void *)lo;
	f->out->dlfo_map_end = (void *)hi;
	f->out->dlfo_eh_frame = (void *)eh;
	f->found = 1;
	return 1;
}

int _dl_find_object(void *address, struct dl_find_object *result)
{
	find f = {.pc = (uintptr_t)address, .out = result, .found = 0};
	dl_iterate_phdr(visit, &f);
	return f.found ? 0 : -1;
}

#include "fy_arena.h"
#include "fy_error.h"
#include "fy_os.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks grow geometrically; big requests get a chunk of their own. */
#define FY_ARENA_MIN_CHUNK (16 * 1024)
#define FY_ARENA_ALIGN 16

typedef struct fy_chunk {
	struct fy_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[]; /* aligned payload */
} fy_chunk;

/* An arena that grew past this returns freed memory to the system when it is dropped. */
#define FY_ARENA_TRIM_BYTES (8u * 1024u * 1024u)

struct fy_arena {
	fy_chunk *head;
	size_t next_size;
	size_t total_used;
};

void fy_oom(void)
{
	/* Terraform shows lines from "fatal error:" on as a plugin crash (docs/internals/protocol.md 2.4). */
	fputs("fatal error: out of memory\n", stderr);
	abort();
}

int fy_arena_new(fy_arena **out)
{
	fy_arena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return FY_ENOMEM;
	a->next_size = FY_ARENA_MIN_CHUNK;
	*out = a;
	return FY_OK;
}

void fy_arena_free(fy_arena *a)
{
	if (a == NULL)
		return;
	fy_chunk *c = a->head;
	while (c != NULL) {
		fy_chunk *next = c->next;
		free(c);
		c = next;
	}
	int large = a->total_used > FY_ARENA_TRIM_BYTES;
	free(a);
	/* A request far beyond the usual (a 100,000-element list) leaves glibc holding the memory it freed; give it
	 * back so that one such request does not stay in the process's footprint for the rest of the run. */
	if (large)
		fy_os_trim_heap();
}

void *fy_arena_alloc(fy_arena *a, size_t size)
{
	/* Rounding up and the chunk header must not wrap: a wrapped size would hand back a tiny block for a huge
	 * request (a length taken from input times an element size). No such request can succeed anyway. */
	if (size > SIZE_MAX - sizeof(fy_chunk) - FY_ARENA_ALIGN)
		fy_oom();
	size_t need = (size + FY_ARENA_ALIGN - 1) & ~(size_t)(FY_ARENA_ALIGN - 1);
	if (need == 0)
		need = FY_ARENA_ALIGN;
	if (a->head == NULL || a->head->size - a->head->used < need) {
		size_t csize = a->next_size;
		if (csize < need)
			csize = need;
		else if (a->next_size < 1024 * 1024)
			a->next_size *= 2;
		fy_chunk *c = malloc(sizeof(fy_chunk) + csize);
		if (c == NULL)
			fy_oom();
		c->size = csize;
		c->used = 0;
		/* A dedicated chunk for an oversized request goes behind the current one, which keeps its free
		 * space. */
		if (a->head != NULL && csize == need && a->head->size - a->head->used > FY_ARENA_ALIGN) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		c->used = need;
		a->total_used += need;
		memset(c->data, 0, need);
		return c->data;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += need;
	a->total_used += need;
	memset(p, 0, need);
	return p;
}

void *fy_arena_realloc(fy_arena *a, void *ptr, size_t old_size, size_t new_size)
{
	void *p = fy_arena_alloc(a, new_size);
	if (ptr != NULL && old_size > 0)
		memcpy(p, ptr, old_size < new_size ? old_size : new_size);
	return p;
}

void *fy_arena_grow(fy_arena *a, void *ptr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return ptr;
	size_t ncap = *cap ? *cap * 2 : 16;
	if (size != 0 && ncap > SIZE_MAX / size)
		fy_oom();
	void *p = fy_arena_realloc(a, ptr, n * size, ncap * size);
	*cap = ncap;
	return p;
}

char *fy_arena_strndup(fy_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		fy_oom(); /* n + 1 would wrap to 0 */
	char *p = fy_arena_alloc(a, n + 1);
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fy_arena_strdup(fy_arena *a, const char *s)
{
	return s == NULL ? NULL : fy_arena_strndup(a, s, strlen(s));
}

void *fy_arena_memdup(fy_arena *a, const void *p, size_t n)
{
	return fy_arena_strndup(a, p, n);
}

char *fy_arena_vsprintf(fy_arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		n = 0;
	char *p = fy_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *fy_arena_sprintf(fy_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = fy_arena_vsprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t fy_arena_used(const fy_arena *a)
{
	return a->total_used;
}

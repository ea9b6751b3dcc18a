/*
 * fy_arena: one arena per RPC for values and scratch (docs/internals/layout.md "Memory and errors").
 *
 * A handler allocates freely from the arena and drops it once the response is
 * sent; nothing allocated from an arena is freed individually. Allocation
 * failure aborts the process with a "fatal error:" line on stderr, which
 * Terraform surfaces as a plugin crash (docs/internals/protocol.md 2.4): there is no
 * useful recovery from OOM inside a provider RPC, and it keeps every caller free
 * of NULL checks on arena allocations.
 *
 * Not thread-safe: an arena belongs to one RPC, which runs on one thread.
 */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_ARENA_H
#define FOUNDRY_INTERNAL_COMMON_FY_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fy_arena fy_arena;

int fy_arena_new(fy_arena **out);
void fy_arena_free(fy_arena *arena);

/* Zeroed memory, aligned for any type. Never returns NULL. */
void *fy_arena_alloc(fy_arena *arena, size_t size);
/* Grow an allocation made from this arena (old contents copied; old block stays until arena_free). */
void *fy_arena_realloc(fy_arena *arena, void *ptr, size_t old_size, size_t new_size);
/*
 * Room for one more element in an arena array holding `n` elements of `size`
 * bytes with capacity `*cap`: returns `ptr` while it fits, else a copy with the
 * capacity doubled (at least 16) and `*cap` updated.
 */
void *fy_arena_grow(fy_arena *arena, void *ptr, size_t *cap, size_t n, size_t size);
char *fy_arena_strdup(fy_arena *arena, const char *s);
char *fy_arena_strndup(fy_arena *arena, const char *s, size_t n);
/* Copy `n` bytes and append a NUL (handy for non-terminated protobuf strings). */
void *fy_arena_memdup(fy_arena *arena, const void *p, size_t n);
char *fy_arena_sprintf(fy_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *fy_arena_vsprintf(fy_arena *arena, const char *fmt, va_list ap);

/* Bytes handed out so far (for benchmarks and tests). */
size_t fy_arena_used(const fy_arena *arena);

/* Fatal out-of-memory: prints "fatal error: out of memory" on stderr and aborts. */
void fy_oom(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif

/*
 * rpc: the method table (see rpc.h). A sorted array searched with bsearch: a provider registers a few dozen
 * methods once at startup, then every RPC does one lookup, possibly from several worker threads at once.
 */
#include "rpc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct rpc_method {
	char *path;
	rpc_unary_fn fn; /* one of fn and sfn */
	rpc_stream_fn sfn;
	void *data;
} rpc_method;

struct rpc_stream {
	fy_arena *a;
	const uint8_t **msgs;
	size_t *lens;
	size_t n, cap;
};

struct rpc_registry {
	pthread_rwlock_t mu; /* registration is rare; lookups from many workers share the read lock */
	rpc_method *methods;
	size_t n, cap;
};

int rpc_registry_new(rpc_registry **out)
{
	rpc_registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return fy_error_set(FY_ENOMEM, "rpc registry: out of memory");
	if (pthread_rwlock_init(&r->mu, NULL) != 0) {
		free(r);
		return fy_error_set(FY_ERROR, "rpc registry: rwlock init failed");
	}
	*out = r;
	return FY_OK;
}

void rpc_registry_free(rpc_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n; i++)
		free(reg->methods[i].path);
	free(reg->methods);
	pthread_rwlock_destroy(&reg->mu);
	free(reg);
}

/* "/pkg.Service/Method": a leading slash, a non-empty service and a non-empty method. */
static int valid_path(const char *p)
{
	if (p == NULL || p[0] != '/' || p[1] == '\0' || p[1] == '/')
		return 0;
	const char *slash = strchr(p + 1, '/');
	return slash != NULL && slash[1] != '\0' && strchr(slash + 1, '/') == NULL;
}

/* Index of the first method whose path is >= `path`. */
static size_t lower_bound(const rpc_registry *reg, const char *path)
{
	size_t lo = 0, hi = reg->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(reg->methods[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_method(rpc_registry *reg, const char *path, rpc_method m)
{
	if (!valid_path(path))
		return fy_error_set(
			FY_EINVALID, "rpc registry: %s is not a /package.Service/Method path", path ? path : "(null)");
	char *copy = strdup(path);
	if (copy == NULL)
		return fy_error_set(FY_ENOMEM, "rpc registry: out of memory");
	pthread_rwlock_wrlock(&reg->mu);
	size_t at = lower_bound(reg, path);
	if (at < reg->n && strcmp(reg->methods[at].path, path) == 0) {
		pthread_rwlock_unlock(&reg->mu);
		free(copy);
		return fy_error_set(FY_EINVALID, "rpc registry: %s is already registered", path);
	}
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 32;
		rpc_method *mm = realloc(reg->methods, cap * sizeof(*mm));
		if (mm == NULL) {
			pthread_rwlock_unlock(&reg->mu);
			free(copy);
			return fy_error_set(FY_ENOMEM, "rpc registry: out of memory");
		}
		reg->methods = mm;
		reg->cap = cap;
	}
	memmove(&reg->methods[at + 1], &reg->methods[at], (reg->n - at) * sizeof(rpc_method));
	m.path = copy;
	reg->methods[at] = m;
	reg->n++;
	pthread_rwlock_unlock(&reg->mu);
	return FY_OK;
}

int rpc_register_unary(rpc_registry *reg, const char *path, rpc_unary_fn fn, void *data)
{
	if (reg == NULL || fn == NULL)
		return fy_error_set(FY_EINVALID, "rpc_register_unary: registry and handler are required");
	return add_method(reg, path, (rpc_method){.fn = fn, .data = data});
}

int rpc_register_server_stream(rpc_registry *reg, const char *path, rpc_stream_fn fn, void *data)
{
	if (reg == NULL || fn == NULL)
		return fy_error_set(FY_EINVALID, "rpc_register_server_stream: registry and handler are required");
	return add_method(reg, path, (rpc_method){.sfn = fn, .data = data});
}

int rpc_lookup_method(
	rpc_unary_fn *fn_out, rpc_stream_fn *sfn_out, void **data_out, const rpc_registry *reg, const char *path)
{
	*fn_out = NULL;
	*sfn_out = NULL;
	if (data_out != NULL)
		*data_out = NULL;
	if (reg == NULL || path == NULL)
		return fy_error_set(FY_EINVALID, "rpc_lookup_method: registry and path are required");
	rpc_registry *r = (rpc_registry *)reg; /* the lock is not part of the logical state */
	pthread_rwlock_rdlock(&r->mu);
	size_t at = lower_bound(r, path);
	int found = at < r->n && strcmp(r->methods[at].path, path) == 0;
	if (found) {
		*fn_out = r->methods[at].fn;
		*sfn_out = r->methods[at].sfn;
		if (data_out != NULL)
			*data_out = r->methods[at].data;
	}
	pthread_rwlock_unlock(&r->mu);
	return found ? FY_OK : FY_ENOTFOUND;
}

/* ----------------------------------------------------------------- streams */

int rpc_stream_new(rpc_stream **out, fy_arena *a)
{
	rpc_stream *s = fy_arena_alloc(a, sizeof(*s));
	*s = (rpc_stream){.a = a};
	*out = s;
	return FY_OK;
}

void rpc_stream_send(rpc_stream *s, const uint8_t *msg, size_t len)
{
	size_t lens_cap = s->cap; /* both arrays share one capacity */
	s->msgs = fy_arena_grow(s->a, s->msgs, &s->cap, s->n, sizeof(*s->msgs));
	s->lens = fy_arena_grow(s->a, s->lens, &lens_cap, s->n, sizeof(*s->lens));
	s->msgs[s->n] = fy_arena_memdup(s->a, msg, len ? len : 1);
	s->lens[s->n++] = len;
}

size_t rpc_stream_count(const rpc_stream *s)
{
	return s->n;
}

const uint8_t *rpc_stream_message(const rpc_stream *s, size_t i, size_t *len)
{
	*len = s->lens[i];
	return s->msgs[i];
}

int rpc_lookup(rpc_unary_fn *fn_out, void **data_out, const rpc_registry *reg, const char *path)
{
	rpc_stream_fn sfn;
	int rc = rpc_lookup_method(fn_out, &sfn, data_out, reg, path);
	/* A miss is routine (UNIMPLEMENTED for the caller), so no error message is recorded. */
	return rc == 0 && *fn_out == NULL ? FY_ENOTFOUND : rc;
}

size_t rpc_registry_count(const rpc_registry *reg)
{
	if (reg == NULL)
		return 0;
	rpc_registry *r = (rpc_registry *)reg;
	pthread_rwlock_rdlock(&r->mu);
	size_t n = r->n;
	pthread_rwlock_unlock(&r->mu);
	return n;
}

const char *rpc_registry_path(const rpc_registry *reg, size_t i)
{
	if (reg == NULL)
		return NULL;
	rpc_registry *r = (rpc_registry *)reg;
	pthread_rwlock_rdlock(&r->mu);
	const char *p = i < r->n ? r->methods[i].path : NULL;
	pthread_rwlock_unlock(&r->mu);
	return p;
}

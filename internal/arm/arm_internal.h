/* What the parts of internal/arm share (arm.c, arm_locks.c, arm_retry.c, arm_lro.c); not for other modules. */
#ifndef FOUNDRY_INTERNAL_ARM_ARM_INTERNAL_H
#define FOUNDRY_INTERNAL_ARM_ARM_INTERNAL_H

#include "arm.h"

#include <pthread.h>

#define ARM_MODULE "foundry.arm"
#define ARM_LOCK_SLICE_MS 100 /* lock waits re-check cancellation this often */
/* After ARM answers a write "another operation is in progress", that account's writes go one at a time for this
 * long, then in parallel again (arm_locks.c). */
#define ARM_SERIAL_WINDOW_MS 30000
#define ARM_MAX_URL 8192 /* polling URLs can be 4 KB (docs/internals/arm.md 4.3) */

typedef struct arm_lock {
	char *key; /* lower-cased /subscriptions/.../accounts/{name} */
	int busy;
	int refs;
	long serial_until; /* fy_now_ms(): writes take the lock until then (0: parallel) */
	struct arm_lock *next;
} arm_lock;

typedef struct arm_write {
	char *key; /* lower-cased resource id, no query */
	long at_ms;
	struct arm_write *next;
} arm_write;

struct arm_client {
	char *endpoint; /* no trailing slash */
	http_client *http;
	auth_credential *cred;
	char *correlation_id;
	long op_timeout_ms, request_timeout_ms;
	int max_attempts;
	long backoff_base_ms, backoff_max_ms, read_after_write_ms;
	pthread_mutex_t mu; /* locks, writes */
	pthread_cond_t cv; /* a lock was released, or cancel */
	arm_lock *locks;
	arm_write *writes;
};

typedef struct arm_op {
	arm_client *c;
	unsigned long gen;
	long deadline;
	const char *lock_key; /* the account whose writes are serialised, or NULL */
	int attempts;
	int reauthed;
	char last[1024]; /* the last real error, reported instead of "deadline exceeded" */
} arm_op;

long arm__jitter(long backoff);
int arm__canceled(const arm_client *c, unsigned long gen);
char *arm__id_key(const char *resource_id);
char *arm__account_key(const char *resource_id);
int arm__lock_account(arm_lock **out, arm_client *c, const char *key, unsigned long gen, long deadline);
void arm__unlock_account(arm_client *c, arm_lock *l);
/* Adaptive write concurrency per account: writes go out in parallel until ARM answers one with a conflict that means
 * "another operation is in progress on the account"; then that account's writes take its lock, one at a time, for
 * ARM_SERIAL_WINDOW_MS, and go parallel again. */
int arm__account_serial(arm_client *c, const char *key);
void arm__account_conflict(arm_client *c, const char *key, const char *why);
/* A 409 whose code or message means "another operation is in progress" (waiting solves it), as opposed to a
 * conflict that waiting does not solve (a name taken). */
int arm__busy_conflict(long status, const char *body, size_t len);
void arm__note_write(arm_client *c, const char *key, int deleted);
long arm__write_window_left(arm_client *c, const char *key);
const char *arm__status_text(long s);
void arm__parse_error(const char *body, size_t len, char **code, char **message);
void arm__describe_response(char *dst, size_t n, const http_response *r);
int arm__op_fail(int code, arm_op *o, const char *what);
int arm__exchange(
	http_response **out, arm_op *o, const char *method, const char *url, const char *body, const char *raw_key);
int arm__poll_lro(http_response **final, arm_op *o, const char *method, const char *url, http_response *initial);

#endif

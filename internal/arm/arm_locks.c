/* The per-account write lock and the read-after-write window (docs/internals/arm.md). */
#define _GNU_SOURCE
#include "arm_internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/fy_os.h"
#include "../common/fy_time.h"
#include "../common/fy_utf8.h"
#include "../log/tflog.h"

/* ------------------------------------------------------------------ ids and keys */

/* The resource path of an id or URL, lower-cased, without query: "/subscriptions/...". NULL when none. */
char *arm__id_key(const char *resource_id)
{
	const char *p = strcasestr(resource_id, "/subscriptions/");
	if (!p)
		return NULL;
	size_t n = strcspn(p, "?#");
	char *k = strndup(p, n);
	if (!k)
		return NULL;
	for (char *q = k; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	while (n > 1 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

/* The account a write belongs to, whose writes may have to go one at a time (docs/internals/arm.md 1.5):
 * "/subscriptions/{s}/resourcegroups/{rg}/providers/microsoft.cognitiveservices/accounts/{name}". */
char *arm__account_key(const char *resource_id)
{
	char *k = arm__id_key(resource_id);
	if (!k)
		return NULL;
	static const char marker[] = "/providers/microsoft.cognitiveservices/accounts/";
	char *m = strstr(k, marker);
	if (!m) {
		free(k);
		return NULL;
	}
	char *name = m + sizeof(marker) - 1;
	size_t nl = strcspn(name, "/");
	if (nl == 0) {
		free(k);
		return NULL;
	}
	name[nl] = '\0';
	return k;
}

/* The account's entry, created when missing (c->mu held). */
static arm_lock *entry(arm_client *c, const char *key)
{
	arm_lock *l = c->locks;
	while (l && strcmp(l->key, key) != 0)
		l = l->next;
	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->key = strdup(key))) {
		free(l);
		return NULL;
	}
	l->next = c->locks;
	c->locks = l;
	return l;
}

/* An entry nobody waits on or holds and whose account writes in parallel again is dropped (c->mu held), so a long
 * session with many accounts does not grow the list. */
static void maybe_drop(arm_client *c, arm_lock *l, long now)
{
	if (l->refs > 0 || l->serial_until > now)
		return;
	for (arm_lock **pp = &c->locks; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			free(l->key);
			free(l);
			return;
		}
}

int arm__account_serial(arm_client *c, const char *key)
{
	long now = fy_now_ms();
	pthread_mutex_lock(&c->mu);
	arm_lock *l = c->locks;
	while (l && strcmp(l->key, key) != 0)
		l = l->next;
	int serial = l && l->serial_until > now;
	if (l && !serial && l->serial_until != 0) {
		l->serial_until = 0;
		tflog(TFLOG_DEBUG, ARM_MODULE, "account %s: writes go in parallel again", key);
		maybe_drop(c, l, now);
	}
	pthread_mutex_unlock(&c->mu);
	return serial;
}

void arm__account_conflict(arm_client *c, const char *key, const char *why)
{
	long now = fy_now_ms();
	pthread_mutex_lock(&c->mu);
	arm_lock *l = entry(c, key);
	if (l) {
		if (l->serial_until <= now)
			tflog(TFLOG_DEBUG, ARM_MODULE,
				"account %s: %s; its writes go one at a time for %d s, then in parallel again", key,
				why, ARM_SERIAL_WINDOW_MS / 1000);
		l->serial_until = now + ARM_SERIAL_WINDOW_MS;
	}
	pthread_mutex_unlock(&c->mu);
}

/* Codes ARM resource providers use for "another operation is in progress" (docs/internals/arm.md 1.5): Cognitive
 * Services answers RequestConflict ("Another operation is being performed on the parent resource"); other providers
 * answer AnotherOperationInProgress or OperationInProgress. */
int arm__busy_conflict(long status, const char *body, size_t len)
{
	if (status != 409)
		return 0;
	char *code = NULL, *msg = NULL;
	arm__parse_error(body, len, &code, &msg);
	int busy = (code &&
			   (strcasecmp(code, "RequestConflict") == 0 ||
				   strcasecmp(code, "AnotherOperationInProgress") == 0 ||
				   strcasecmp(code, "OperationInProgress") == 0)) ||
		(msg &&
			(strcasestr(msg, "another operation is being performed") ||
				strcasestr(msg, "another operation is in progress")));
	free(code);
	free(msg);
	return busy;
}

/* Waits for the account's write lock until `deadline` (the operation's, fy_now_ms() clock) or cancellation: a holder
 * can outlive our deadline (its token fetch is not bounded by it), and a queued write must not outwait its own. */
int arm__lock_account(arm_lock **out, arm_client *c, const char *key, unsigned long gen, long deadline)
{
	*out = NULL;
	pthread_mutex_lock(&c->mu);
	arm_lock *l = entry(c, key);
	if (!l) {
		pthread_mutex_unlock(&c->mu);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	l->refs++;
	int waited = 0;
	long left;
	while (l->busy && !arm__canceled(c, gen) && (left = deadline - fy_now_ms()) > 0) {
		if (!waited)
			tflog(TFLOG_DEBUG, ARM_MODULE, "waiting for another write in account %s", key);
		waited = 1;
		long slice = left < ARM_LOCK_SLICE_MS ? left : ARM_LOCK_SLICE_MS;
		struct timespec ts;
		fy_deadline_ms(&ts, slice);
		fy_os_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	if (l->busy) { /* cancelled or out of time while queued */
		l->refs--;
		maybe_drop(c, l, fy_now_ms());
		pthread_mutex_unlock(&c->mu);
		if (arm__canceled(c, gen))
			return fy_error_set(
				FY_ECANCELED, "cancelled while waiting for another write in account %s", key);
		return fy_error_set(FY_ETIMEOUT,
			"the operation timed out waiting for the account write lock: another write in account %s was "
			"still running (writes in one account are serialised)",
			key);
	}
	l->busy = 1;
	pthread_mutex_unlock(&c->mu);
	*out = l;
	return 0;
}

void arm__unlock_account(arm_client *c, arm_lock *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&c->mu);
	l->busy = 0;
	l->refs--;
	pthread_cond_broadcast(&c->cv);
	maybe_drop(c, l, fy_now_ms());
	pthread_mutex_unlock(&c->mu);
}

static void prune_writes(arm_client *c, long now)
{
	for (arm_write **pp = &c->writes; *pp;) {
		if (now - (*pp)->at_ms > c->read_after_write_ms) {
			arm_write *w = *pp;
			*pp = w->next;
			free(w->key);
			free(w);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Remember (or, for a delete, forget) that this process just wrote `key`. */
void arm__note_write(arm_client *c, const char *key, int deleted)
{
	long now = fy_now_ms();
	pthread_mutex_lock(&c->mu);
	prune_writes(c, now);
	arm_write **pp = &c->writes;
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	if (deleted) {
		if (*pp) {
			arm_write *w = *pp;
			*pp = w->next;
			free(w->key);
			free(w);
		}
	} else if (*pp) {
		(*pp)->at_ms = now;
	} else {
		arm_write *w = calloc(1, sizeof(*w));
		if (w && (w->key = strdup(key)) != NULL) {
			w->at_ms = now;
			w->next = c->writes;
			c->writes = w;
		} else {
			free(w);
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* Milliseconds left in the read-after-write window of `key`, or 0. */
long arm__write_window_left(arm_client *c, const char *key)
{
	long now = fy_now_ms(), left = 0;
	pthread_mutex_lock(&c->mu);
	for (arm_write *w = c->writes; w; w = w->next)
		if (strcmp(w->key, key) == 0) {
			left = w->at_ms + c->read_after_write_ms - now;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return left > 0 ? left : 0;
}

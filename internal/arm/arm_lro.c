/* Long-running operations: Azure-AsyncOperation and Location polling (docs/internals/arm.md). */
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

#include "../common/fy_time.h"
#include "../common/fy_utf8.h"
#include "../log/tflog.h"

/* ------------------------------------------------------------------ long-running operations */

static int lro_status(const http_response *r, char **status)
{
	*status = NULL;
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *s = j ? cJSON_GetObjectItemCaseSensitive(j, "status") : NULL;
	if (cJSON_IsString(s) && s->valuestring)
		*status = strdup(s->valuestring);
	cJSON_Delete(j);
	return *status ? 0 : -1;
}

/*
 * 201/202 with Azure-AsyncOperation (poll until Succeeded/Failed/Canceled) or Location (poll until not 202),
 * honouring Retry-After (docs/internals/arm.md 4.3); then PUT/PATCH read the resource. *final replaces the initial
 * response.
 */
int arm__poll_lro(http_response **final, arm_op *o, const char *method, const char *url, http_response *initial)
{
	arm_client *c = o->c;
	const char *async = http_response_header(initial, "azure-asyncoperation");
	const char *loc = http_response_header(initial, "location");
	const char *poll = async ? async : loc;
	*final = initial;
	if (!poll)
		return 0;
	if (strlen(poll) > ARM_MAX_URL || !http_url_same_origin(poll, c->endpoint))
		return fy_error_set(FY_EINVALID, "%s %s: refusing to poll %s: not on the resource manager endpoint",
			method, url, poll);
	char *poll_url = strdup(poll), *loc_url = loc ? strdup(loc) : NULL;
	if (!poll_url || (loc && !loc_url)) {
		free(poll_url);
		free(loc_url);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	int use_async = async != NULL;
	http_response *last = initial;
	int rc = 0, done = 0;
	while (!done) {
		long wait = http_response_retry_after_ms(last);
		if (wait < 0)
			wait = c->backoff_base_ms;
		if (fy_now_ms() + wait >= o->deadline) {
			rc = fy_error_set(FY_ETIMEOUT,
				"%s %s: the long-running operation did not finish in time (polling %s)", method, url,
				poll_url);
			break;
		}
		if (http_client_sleep(c->http, o->gen, wait)) {
			rc = arm__op_fail(FY_ECANCELED, o, "cancelled");
			break;
		}
		http_response *p = NULL;
		if ((rc = arm__exchange(&p, o, "GET", poll_url, NULL, NULL)) < 0)
			break;
		if (last != initial)
			http_response_free(last);
		last = p;
		if (p->status >= 400) { /* the poll itself failed: that answer is the result */
			done = 2;
			break;
		}
		if (use_async) {
			char *st = NULL;
			lro_status(p, &st);
			if (st && strcasecmp(st, "Succeeded") == 0) {
				done = 1;
			} else if (st && (strcasecmp(st, "Failed") == 0 || strcasecmp(st, "Canceled") == 0)) {
				char *code = NULL, *msg = NULL;
				arm__parse_error(p->body, p->body_len, &code, &msg);
				const char *rid = http_response_header(p, "x-ms-request-id");
				rc = fy_error_set(FY_ERROR,
					"%s %s: the long-running operation ended %s%s%s%s%s%s. Request id: %s, correlation "
					"id: %s",
					method, url, st, code ? " (code " : "", code ? code : "", code ? ")" : "",
					msg ? ": " : "", msg ? msg : "", rid ? rid : "none", c->correlation_id);
				free(code);
				free(msg);
				free(st);
				break;
			}
			free(st);
		} else if (p->status != 202) {
			done = 1;
		}
	}
	if (rc == 0 && done == 1) {
		const char *final_url = NULL;
		if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
			final_url = url; /* the resource as it now is */
		else if (strcmp(method, "POST") == 0 && use_async && loc_url)
			final_url = loc_url; /* the action's result */
		if (final_url) {
			http_response *g = NULL;
			rc = arm__exchange(&g, o, "GET", final_url, NULL, NULL);
			if (rc == 0) {
				if (last != initial)
					http_response_free(last);
				last = g;
			}
		}
	}
	free(poll_url);
	free(loc_url);
	if (rc) {
		if (last != initial)
			http_response_free(last);
		return rc;
	}
	*final = last;
	if (last != initial)
		http_response_free(initial);
	return 0;
}

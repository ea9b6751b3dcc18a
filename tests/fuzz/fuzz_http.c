/*
 * Header values and URLs from outside: Retry-After (seconds, an HTTP date, or junk), and the URL helpers that decide
 * where a bearer token may go (a nextLink, a polling URL, a gateway target). Split at the first NUL: the left part is
 * a header value, the right a URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	const char *url = s + strlen(s) + (strlen(s) < size ? 1 : 0);

	char *names[] = {"retry-after", "location"};
	char *values[] = {s, s};
	http_response r = {.status = 429, .body = "", .header_count = 2, .header_names = names, .header_values = values};
	long ms = http_response_retry_after_ms(&r);
	if (ms < -1)
		abort();
	(void)http_response_header(&r, "Location");

	(void)http_url_is_allowed(url);
	(void)http_url_has_query_param(url, "api-version");
	(void)http_url_same_origin(url, "https://management.azure.com");
	char *out = NULL;
	if (http_url_append_query(&out, url, "api-version", s) == 0)
		free(out);
	char *enc = http_url_encode(s);
	free(enc);
	free(s);
	return 0;
}

#include "fy_utf8.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid sequence at s (1-4), or 0 when the bytes there are not valid UTF-8; *bad is then the length
 * of the maximal subpart to replace by one U+FFFD: the lead byte and those that could still have followed it. */
static size_t seq_len(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0];
	*bad = 1;
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range (RFC 3629 table) */
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlongs */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else
		return 0;
	size_t i = 1;
	if (i < n && s[1] >= lo && s[1] <= hi)
		for (i = 2; i < len && i < n && (s[i] & 0xC0) == 0x80; i++)
			;
	if (i == len)
		return len;
	*bad = i;
	return 0;
}

int fy_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bad;
	for (size_t i = 0; i < n;) {
		size_t l = seq_len(p + i, n - i, &bad);
		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}

char *fy_utf8_sanitize(size_t *out_len, const char *s, size_t n)
{
	static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	/* Worst case every byte becomes three. */
	if (n > (((size_t)-1) - 1) / 3)
		return NULL;
	char *out = malloc(n * 3 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t bad;
		size_t l = seq_len(p + i, n - i, &bad);
		if (l > 0) {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
			continue;
		}
		memcpy(out + o, repl, 3);
		o += 3;
		i += bad;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

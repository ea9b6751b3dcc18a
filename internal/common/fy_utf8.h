/*
 * fy_utf8: make text from outside valid UTF-8. Terraform's state, msgpack strings and JSON are UTF-8; a service
 * string that is not (a proxy, a gateway, a bug) would be stored as is and then refused by the next decode of that
 * state, leaving the resource stuck. Invalid sequences become U+FFFD, as the Unicode standard recommends (one per
 * maximal invalid subpart).
 */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_UTF8_H
#define FOUNDRY_INTERNAL_COMMON_FY_UTF8_H

#include <stddef.h>

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int fy_utf8_valid(const char *s, size_t n);

/* A malloc'd, NUL-terminated copy of s[0..n) with every invalid sequence replaced by U+FFFD, its length in
 * *out_len; NULL when out of memory. */
char *fy_utf8_sanitize(size_t *out_len, const char *s, size_t n);

#endif

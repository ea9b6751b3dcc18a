/*
 * cty numbers as exact decimals.
 *
 * go-cty keeps numbers as big.Float and Terraform compares them exactly, so a provider must hand back the
 * very value it was given: a string "0.1" (a 512-bit decimal in Terraform) must not come back as the
 * float64 0.1, nor a float64 as a rounded decimal (docs/internals/protocol.md 3.3). Every number here is therefore the
 * exact
 * decimal digits * 10^exp. A double contributes its exact binary value (0.1 as a double is
 * 0.1000000000000000055511151231257827021181583404541015625), which is what lets the msgpack encoder tell
 * "exactly a float64" from "needs the decimal string" the way go-cty's marshal does.
 */
#include "cty_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zeros the plain text may need beyond the significant digits. Enough for every double (the smallest
 * subnormal needs ~325) and for "1e1000"; bigger exponents are refused so that a few input bytes
 * cannot ask for megabytes of text. */
#define CTY_NUMBER_MAX_PAD 1100

/* ---------------------------------------------------------------- exact doubles */

/* A tiny base-1e9 bignum, only for the exact decimal expansion of a double (m * 2^e with m < 2^53):
 * at most 5^1126 * 2^53 or 2^1024, i.e. under 820 decimal digits. */
#define BN_LIMBS 96
typedef struct bn {
	size_t n;
	uint32_t l[BN_LIMBS]; /* little-endian, base 1e9 */
} bn;

static void bn_mul_small(bn *b, uint32_t m)
{
	uint64_t carry = 0;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t v = (uint64_t)b->l[i] * m + carry;
		b->l[i] = (uint32_t)(v % 1000000000u);
		carry = v / 1000000000u;
	}
	while (carry > 0 && b->n < BN_LIMBS) {
		b->l[b->n++] = (uint32_t)(carry % 1000000000u);
		carry /= 1000000000u;
	}
}

/* Decimal digits of |d| (d finite, non-zero) into buf (>= BN_LIMBS*9+1), no trailing zeros; *exp such
 * that |d| = digits * 10^exp. Returns the digit count. */
static size_t dbl_exact_digits(double d, char *buf, int64_t *exp)
{
	int e;
	double f = frexp(fabs(d), &e); /* |d| = f * 2^e, f in [0.5, 1) */
	uint64_t m = (uint64_t)ldexp(f, 53);
	int e2 = e - 53;
	while ((m & 1) == 0) {
		m >>= 1;
		e2++;
	}
	bn b = {.n = 0};
	b.l[b.n++] = (uint32_t)(m % 1000000000u);
	if (m >= 1000000000u) {
		b.l[b.n++] = (uint32_t)((m / 1000000000u) % 1000000000u);
		if (m >= 1000000000000000000ull)
			b.l[b.n++] = (uint32_t)(m / 1000000000000000000ull);
	}
	*exp = 0;
	if (e2 > 0) {
		for (int k = e2; k > 0; k -= 30)
			bn_mul_small(&b, 1u << (k >= 30 ? 30 : k));
	} else if (e2 < 0) {
		/* m * 2^-k = m * 5^k / 10^k */
		int k = -e2;
		*exp = -k;
		for (; k > 0; k -= 13) {
			uint32_t p = 1;
			for (int i = 0; i < (k >= 13 ? 13 : k); i++)
				p *= 5;
			bn_mul_small(&b, p);
		}
	}
	size_t len = (size_t)snprintf(buf, 16, "%u", b.l[b.n - 1]);
	for (size_t i = b.n - 1; i-- > 0;)
		len += (size_t)snprintf(buf + len, 16, "%09u", b.l[i]);
	while (len > 1 && buf[len - 1] == '0') {
		len--;
		(*exp)++;
	}
	buf[len] = '\0';
	return len;
}

/* ---------------------------------------------------------------- construction */

static int num_init(cty_num *n, fy_arena *a, int neg, const char *digits, size_t nd, int64_t exp)
{
	while (nd > 0 && digits[0] == '0') {
		digits++;
		nd--;
	}
	while (nd > 0 && digits[nd - 1] == '0') {
		nd--;
		exp++;
	}
	memset(n, 0, sizeof(*n));
	if (nd == 0) {
		/* Zero has one spelling: cty compares -0 and 0 as equal, and Text('f') of 0 is "0". */
		n->digits = "";
		n->text = "0";
		n->is_int64 = 1;
		n->is_double = 1;
		return FY_OK;
	}
	int64_t pad = exp >= 0 ? exp : (-exp > (int64_t)nd ? -exp - (int64_t)nd : 0);
	if (pad > CTY_NUMBER_MAX_PAD)
		return fy_error_set(FY_EINVALID, "number out of range: at most %d zeros of padding are supported",
			CTY_NUMBER_MAX_PAD);
	n->neg = neg;
	n->ndigits = nd;
	n->digits = fy_arena_strndup(a, digits, nd);
	n->exp = exp;

	/* Plain text, as big.Float.Text('f', -1) spells an exact value: no exponent, no trailing zeros. */
	size_t tlen = (size_t)neg + (exp >= 0 ? nd + (size_t)exp : (-exp < (int64_t)nd ? nd + 1 : 2 + (size_t)-exp));
	char *t = fy_arena_alloc(a, tlen + 1);
	size_t o = 0;
	if (neg)
		t[o++] = '-';
	if (exp >= 0) {
		memcpy(t + o, digits, nd);
		o += nd;
		memset(t + o, '0', (size_t)exp);
		o += (size_t)exp;
	} else if (-exp < (int64_t)nd) {
		size_t ip = nd - (size_t)-exp;
		memcpy(t + o, digits, ip);
		o += ip;
		t[o++] = '.';
		memcpy(t + o, digits + ip, nd - ip);
		o += nd - ip;
	} else {
		t[o++] = '0';
		t[o++] = '.';
		size_t z = (size_t)(-exp - (int64_t)nd);
		memset(t + o, '0', z);
		o += z;
		memcpy(t + o, digits, nd);
		o += nd;
	}
	t[o] = '\0';
	n->text = t;

	if (exp >= 0 && nd + (size_t)exp <= 19) {
		uint64_t u = 0; /* at most 19 digits: cannot overflow uint64 */
		for (size_t i = 0; i < nd; i++)
			u = u * 10 + (uint64_t)(digits[i] - '0');
		for (int64_t i = 0; i < exp; i++)
			u *= 10;
		if (!neg && u <= (uint64_t)INT64_MAX) {
			n->is_int64 = 1;
			n->i64 = (int64_t)u;
		} else if (neg && u <= (uint64_t)INT64_MAX + 1) {
			n->is_int64 = 1;
			n->i64 = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		}
	}

	/* Exactly a double? A fraction of a power of two ends in 5 and has at most 1074 decimals, which
	 * rules out most decimals cheaply; otherwise compare with the exact expansion of the nearest double. */
	if (n->is_int64 && (n->i64 >= -(INT64_C(1) << 53) && n->i64 <= (INT64_C(1) << 53))) {
		n->is_double = 1;
		n->d = (double)n->i64;
	} else if (!(exp < 0 && (digits[nd - 1] != '5' || exp < -1074)) && nd <= BN_LIMBS * 9) {
		double d = strtod(t, NULL);
		if (isfinite(d) && d != 0) {
			char buf[BN_LIMBS * 9 + 16];
			int64_t dexp;
			size_t dn = dbl_exact_digits(d, buf, &dexp);
			if (dn == nd && dexp == exp && memcmp(buf, digits, nd) == 0) {
				n->is_double = 1;
				n->d = d;
			}
		}
	}
	return FY_OK;
}

static cty_value *num_value(fy_arena *a)
{
	cty_value *v = fy_arena_alloc(a, sizeof(*v));
	v->type = cty_type_number();
	return v;
}

cty_value *cty_number_int(fy_arena *a, int64_t i)
{
	char buf[24];
	/* Magnitude as unsigned so INT64_MIN is fine. */
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	int len = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u);
	cty_value *v = num_value(a);
	num_init(&v->u.num, a, i < 0, buf, (size_t)len, 0); /* cannot fail: no padding */
	return v;
}

cty_value *cty_number_double(fy_arena *a, double d)
{
	if (!isfinite(d)) {
		fy_error_set(FY_EINVALID, "number must be finite");
		return cty_null(a, cty_type_number());
	}
	cty_value *v = num_value(a);
	if (d == 0) {
		num_init(&v->u.num, a, 0, "", 0, 0);
		return v;
	}
	char buf[BN_LIMBS * 9 + 16];
	int64_t exp;
	size_t nd = dbl_exact_digits(d, buf, &exp);
	num_init(&v->u.num, a, d < 0, buf, nd, exp); /* padding <= 1074 + 1: within the limit */
	return v;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cty__number_parse(cty_value **out, fy_arena *a, const char *s, size_t len, int strict)
{
	size_t i = 0;
	int neg = 0;
	if (s == NULL || len == 0)
		return fy_error_set(FY_EINVALID, "invalid number: empty");
	if (s[i] == '-' || (!strict && s[i] == '+'))
		neg = s[i++] == '-';
	char *digits = fy_arena_alloc(a, len + 1);
	size_t nd = 0, nint = 0, nfrac = 0;
	if (strict && i < len && s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
		return fy_error_set(FY_EINVALID, "invalid number: leading zero");
	while (i < len && is_digit(s[i])) {
		digits[nd++] = s[i++];
		nint++;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && is_digit(s[i])) {
			digits[nd++] = s[i++];
			nfrac++;
		}
		if (strict && (nint == 0 || nfrac == 0))
			return fy_error_set(FY_EINVALID, "invalid number: digits needed on both sides of '.'");
	}
	if (nint + nfrac == 0)
		return fy_error_set(FY_EINVALID, "invalid number: no digits");
	int64_t e = 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len || !is_digit(s[i]))
			return fy_error_set(FY_EINVALID, "invalid number: missing exponent digits");
		while (i < len && is_digit(s[i])) {
			if (e < INT64_C(1000000000000)) /* saturate: far beyond any representable range */
				e = e * 10 + (s[i] - '0');
			i++;
		}
		if (eneg)
			e = -e;
	}
	if (i != len)
		return fy_error_set(FY_EINVALID, "invalid number syntax (only decimal numbers; no NaN or infinity)");
	/* Exponents this large only survive when every digit is zero. */
	if (e > INT64_C(1000000000) || e < -INT64_C(1000000000)) {
		size_t k = 0;
		while (k < nd && digits[k] == '0')
			k++;
		if (k < nd)
			return fy_error_set(FY_EINVALID, "number out of range");
		e = 0;
	}
	cty_value *v = num_value(a);
	int rc = num_init(&v->u.num, a, neg, digits, nd, e - (int64_t)nfrac);
	if (rc < 0)
		return rc;
	*out = v;
	return FY_OK;
}

int cty_number_parse(cty_value **out, fy_arena *a, const char *text, size_t len)
{
	return cty__number_parse(out, a, text, len, 0);
}

int cty__number_equal(const cty_num *x, const cty_num *y)
{
	return x->neg == y->neg && x->exp == y->exp && x->ndigits == y->ndigits &&
		memcmp(x->digits, y->digits, x->ndigits) == 0;
}

uint64_t cty__number_hash(const cty_num *x)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)x->neg;
	h = (h ^ (uint64_t)x->exp) * 1099511628211ull;
	for (size_t i = 0; i < x->ndigits; i++)
		h = (h ^ (unsigned char)x->digits[i]) * 1099511628211ull;
	return h;
}

void cty__number_copy(fy_arena *a, cty_num *dst, const cty_num *src)
{
	*dst = *src;
	dst->digits = fy_arena_strndup(a, src->digits, src->ndigits);
	dst->text = fy_arena_strdup(a, src->text);
}

int cty_number_as_int64(const cty_value *v, int64_t *out)
{
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_NUMBER || !v->u.num.is_int64)
		return fy_error_set(FY_EINVALID, "not a known integer that fits in 64 bits");
	*out = v->u.num.i64;
	return FY_OK;
}

double cty_number_as_double(const cty_value *v)
{
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_NUMBER)
		return 0;
	if (v->u.num.is_double)
		return v->u.num.d;
	return strtod(v->u.num.text, NULL); /* glibc rounds correctly to nearest */
}

const char *cty_number_text(const cty_value *v)
{
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_NUMBER)
		return NULL;
	return v->u.num.text;
}

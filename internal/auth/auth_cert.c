/*
 * Client certificate credential: load a PKCS#12 or PEM certificate and key, sign the client assertion.
 *
 * The assertion is what Entra ID documents for certificate credentials
 * (learn.microsoft.com/entra/identity-platform/certificate-credentials): a JWT signed RS256 with the key,
 * header x5t = base64url(SHA-1(DER cert)) (also x5t#S256 with SHA-256), claims aud = token URL,
 * iss = sub = client id, a random jti, nbf/iat = now, exp = now + 10 minutes.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../log/tflog.h"
#include "auth_internal.h"

#define CERT_FILE_MAX (1024 * 1024)

/* base64url without padding (RFC 7515 section 2): OpenSSL's base64, then the URL alphabet. */
static char *b64url(const unsigned char *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	if (len < 0) {
		free(out);
		return NULL;
	}
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

static int read_all(unsigned char **out, size_t *len, const char *path)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *buf = malloc(CERT_FILE_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, CERT_FILE_MAX, f);
	int bad = ferror(f) || n == CERT_FILE_MAX;
	fclose(f);
	if (bad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int load_pem(X509 **cert, EVP_PKEY **key, const unsigned char *buf, size_t len, const char *password)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	if (!b)
		return -1;
	/* PEM_read_bio_X509 skips blocks of other types until the first CERTIFICATE. */
	*cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(buf, (int)len);
	if (!b)
		return -1;
	/* cb NULL and u non-NULL: u is the passphrase for an encrypted key. */
	*key = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(password ? password : ""));
	BIO_free(b);
	return (*cert && *key) ? 0 : -1;
}

/* Loaded at most once per process and kept (a provider handle is process-wide state). */
static pthread_once_t g_legacy_once = PTHREAD_ONCE_INIT;
static OSSL_PROVIDER *g_legacy;

static void load_legacy(void)
{
	g_legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
}

static int load_p12(X509 **cert, EVP_PKEY **key, const unsigned char *buf, size_t len, const char *password)
{
	for (int round = 0; round < 2; round++) {
		const unsigned char *p = buf;
		PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
		if (!p12)
			return -1;
		STACK_OF(X509) *ca = NULL;
		int ok = PKCS12_parse(p12, password ? password : "", key, cert, &ca);
		PKCS12_free(p12);
		sk_X509_pop_free(ca, X509_free);
		if (ok && *key && *cert)
			return 0;
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		/* .pfx files exported by Windows or older OpenSSL use RC2/3DES, which OpenSSL 3 keeps in the legacy
		 * provider: load it (with the default one) and try once more. */
		if (round == 0 && !OSSL_PROVIDER_available(NULL, "legacy")) {
			pthread_once(&g_legacy_once, load_legacy);
			if (!g_legacy)
				return -1;
		} else {
			return -1;
		}
	}
	return -1;
}

static int digest_b64url(char **out, const EVP_MD *md, const unsigned char *der, int der_len)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	if (!EVP_Digest(der, (size_t)der_len, h, &hl, md, NULL))
		return -1;
	*out = b64url(h, hl);
	return *out ? 0 : -1;
}

int auth_cert_parse(X509 **cert, EVP_PKEY **key, const unsigned char *buf, size_t len, const char *password)
{
	ERR_clear_error();
	if (memmem(buf, len, "-----BEGIN", 10) != NULL)
		return load_pem(cert, key, buf, len, password);
	return load_p12(cert, key, buf, len, password);
}

int auth_cert_load(auth_credential *c, const char *path, const char *password)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	if (read_all(&buf, &len, path))
		return fy_error_set(FY_EAUTH, "client certificate: cannot read client_certificate_path %s", path);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int is_pem = memmem(buf, len, "-----BEGIN", 10) != NULL;
	int rc = auth_cert_parse(&cert, &key, buf, len, password);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (rc) {
		X509_free(cert);
		EVP_PKEY_free(key);
		if (is_pem)
			return fy_error_set(FY_EAUTH,
				"client certificate: %s: %s (a PEM file needs a CERTIFICATE and a "
				"PRIVATE KEY block; an encrypted key needs client_certificate_password): %s",
				path, !cert ? "no certificate found" : "the private key could not be read",
				ossl_reason());
		return fy_error_set(FY_EAUTH,
			"client certificate: %s is not a PKCS#12 file with a certificate and key "
			"readable with the given client_certificate_password: %s",
			path, ossl_reason());
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		X509_free(cert);
		EVP_PKEY_free(key);
		return fy_error_set(FY_EAUTH,
			"client certificate: %s: the private key must be RSA (Entra ID client "
			"assertions are RS256)",
			path);
	}
	if (!X509_check_private_key(cert, key)) {
		X509_free(cert);
		EVP_PKEY_free(key);
		return fy_error_set(
			FY_EAUTH, "client certificate: %s: the private key does not match the certificate", path);
	}
	unsigned char *der = NULL;
	int der_len = i2d_X509(cert, &der);
	X509_free(cert);
	if (der_len <= 0 || digest_b64url(&c->x5t, EVP_sha1(), der, der_len) ||
		digest_b64url(&c->x5t_s256, EVP_sha256(), der, der_len)) {
		OPENSSL_free(der);
		EVP_PKEY_free(key);
		return fy_error_set(FY_EAUTH, "client certificate: %s: cannot compute the thumbprint", path);
	}
	OPENSSL_free(der);
	c->key = key;
	return 0;
}

void auth_cert_free(auth_credential *c)
{
	EVP_PKEY_free(c->key);
	c->key = NULL;
	free(c->x5t);
	free(c->x5t_s256);
	c->x5t = c->x5t_s256 = NULL;
}

static char *json_b64url(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	if (!s)
		return NULL;
	char *r = b64url((const unsigned char *)s, strlen(s));
	cJSON_free(s);
	return r;
}

int auth_cert_assertion(char **out, const auth_credential *c)
{
	*out = NULL;
	unsigned char rnd[16];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return fy_error_set(FY_EAUTH, "client certificate: no randomness for jti");
	rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40); /* UUID v4 */
	rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
	char jti[37];
	snprintf(jti, sizeof(jti), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0],
		rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11], rnd[12],
		rnd[13], rnd[14], rnd[15]);
	double now = (double)time(NULL);

	cJSON *h = cJSON_CreateObject(), *cl = cJSON_CreateObject();
	char *hb = NULL, *cb = NULL, *input = NULL, *sigb = NULL;
	unsigned char *sig = NULL;
	EVP_MD_CTX *md = NULL;
	int rc = FY_EAUTH;
	if (!h || !cl)
		goto done;
	cJSON_AddStringToObject(h, "alg", "RS256");
	cJSON_AddStringToObject(h, "typ", "JWT");
	cJSON_AddStringToObject(h, "x5t", c->x5t);
	cJSON_AddStringToObject(h, "x5t#S256", c->x5t_s256);
	cJSON_AddStringToObject(cl, "aud", c->token_url);
	cJSON_AddStringToObject(cl, "iss", c->client_id);
	cJSON_AddStringToObject(cl, "sub", c->client_id);
	cJSON_AddStringToObject(cl, "jti", jti);
	cJSON_AddNumberToObject(cl, "nbf", now);
	cJSON_AddNumberToObject(cl, "iat", now);
	cJSON_AddNumberToObject(cl, "exp", now + 600);
	hb = json_b64url(h);
	cb = json_b64url(cl);
	if (!hb || !cb || asprintf(&input, "%s.%s", hb, cb) < 0) {
		input = NULL;
		goto done;
	}
	md = EVP_MD_CTX_new();
	size_t sl = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, (EVP_PKEY *)c->key) != 1 ||
		EVP_DigestSign(md, NULL, &sl, (const unsigned char *)input, strlen(input)) != 1)
		goto done;
	sig = malloc(sl);
	if (!sig || EVP_DigestSign(md, sig, &sl, (const unsigned char *)input, strlen(input)) != 1)
		goto done;
	sigb = b64url(sig, sl);
	if (!sigb || asprintf(out, "%s.%s", input, sigb) < 0) {
		*out = NULL;
		goto done;
	}
	rc = 0;
done:
	if (rc)
		fy_error_set(FY_EAUTH, "client certificate: signing the client assertion failed: %s", ossl_reason());
	cJSON_Delete(h);
	cJSON_Delete(cl);
	free(hb);
	free(cb);
	free(input);
	free(sig);
	free(sigb);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * AutoMTLS server identity, made the way go-plugin's generateCert makes it (GP mtls.go; docs/internals/protocol.md
 * 2.3):
 * a fresh EC key per process, a self-signed certificate for "localhost" that is its own CA (Terraform pins it
 * as RootCAs), SAN DNS:localhost (Go ignores the CN), EKU serverAuth+clientAuth, a positive random serial
 * (Go >= 1.23 rejects negative ones), valid from 30 s ago for 262980 h.
 */
#include "plugin.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

struct plugin_cert {
	char *cert_pem;
	char *key_pem;
	unsigned char *der;
	size_t der_len;
};

static int ssl_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return fy_error_set(FY_ERROR, "AutoMTLS: %s failed%s%s", what, buf[0] ? ": " : "", buf);
}

static char *bio_to_string(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	if (n <= 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0); /* self-signed: issuer = subject */
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return ssl_fail(OBJ_nid2sn(nid));
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? FY_OK : ssl_fail("X509_add_ext");
}

/* Random serial in [1, 2^127): positive in DER without a sign byte question, like go-plugin's < 2^128. */
static int set_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn = NULL;
	do {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return ssl_fail("RAND_bytes");
		raw[0] &= 0x7f;
		BN_free(bn);
		bn = BN_bin2bn(raw, sizeof(raw), NULL);
		if (bn == NULL)
			return ssl_fail("BN_bin2bn");
	} while (BN_is_zero(bn));
	ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (serial == NULL)
		return ssl_fail("BN_to_ASN1_INTEGER");
	int ok = X509_set_serialNumber(x, serial);
	ASN1_INTEGER_free(serial);
	return ok ? FY_OK : ssl_fail("X509_set_serialNumber");
}

/*
 * The certificate's SubjectPublicKeyInfo for our P-256 key, written directly: id-ecPublicKey, the prime256v1 curve
 * and the uncompressed point (RFC 5480 2). X509_set_pubkey makes the same bytes but round-trips the key through
 * OpenSSL 3.0's encoder and decoder, which was 15% of the instructions from exec to the handshake line.
 */
static int set_ec_pubkey(X509 *x, EVP_PKEY *key)
{
	unsigned char point[65]; /* 0x04 || X || Y for P-256 */
	size_t len = 0;
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point), &len))
		return 0;
	unsigned char *bits = OPENSSL_memdup(point, len);
	if (bits == NULL)
		return 0;
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
		    OBJ_nid2obj(NID_X9_62_prime256v1), bits, (int)len)) {
		OPENSSL_free(bits);
		return 0;
	}
	return 1;
}

int plugin_cert_generate(plugin_cert **out)
{
	int rc = FY_ERROR;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *cb = NULL, *kb = NULL;
	plugin_cert *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");

	/* P-256: fast to make and verify; Terraform's own client cert is P-521, which OpenSSL 3 verifies. */
	key = EVP_EC_gen("P-256");
	if (key == NULL) {
		rc = ssl_fail("EVP_EC_gen");
		goto done;
	}
	x = X509_new();
	if (x == NULL || !X509_set_version(x, X509_VERSION_3)) {
		rc = ssl_fail("X509_new");
		goto done;
	}
	if ((rc = set_serial(x)) < 0)
		goto done;
	rc = FY_ERROR;
	/* go-plugin: NotBefore = now-30s (clock skew), NotAfter = now+262980h. */
	if (X509_gmtime_adj(X509_getm_notBefore(x), -30) == NULL ||
		X509_gmtime_adj(X509_getm_notAfter(x), 262980L * 3600L) == NULL) {
		rc = ssl_fail("X509_gmtime_adj");
		goto done;
	}
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(
		    name, "O", MBSTRING_ASC, (const unsigned char *)"terraform-provider-foundry", -1, -1, 0) ||
		!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0) ||
		!X509_set_issuer_name(x, name) || !set_ec_pubkey(x, key)) {
		rc = ssl_fail("X509 name/key");
		goto done;
	}
	if ((rc = add_ext(x, NID_basic_constraints, "critical,CA:TRUE")) < 0 ||
		(rc = add_ext(x, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyAgreement,keyCertSign")) <
			0 ||
		(rc = add_ext(x, NID_ext_key_usage, "clientAuth,serverAuth")) < 0 ||
		(rc = add_ext(x, NID_subject_alt_name, "DNS:localhost")) < 0 ||
		(rc = add_ext(x, NID_subject_key_identifier, "hash")) < 0)
		goto done;
	rc = FY_ERROR;
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		rc = ssl_fail("X509_sign");
		goto done;
	}

	int dlen = i2d_X509(x, &c->der); /* OpenSSL allocates when *pp is NULL */
	if (dlen <= 0) {
		rc = ssl_fail("i2d_X509");
		goto done;
	}
	c->der_len = (size_t)dlen;
	cb = BIO_new(BIO_s_mem());
	kb = BIO_new(BIO_s_mem());
	if (cb == NULL || kb == NULL || !PEM_write_bio_X509(cb, x) ||
		!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL)) {
		rc = ssl_fail("PEM encoding");
		goto done;
	}
	c->cert_pem = bio_to_string(cb);
	c->key_pem = bio_to_string(kb);
	if (c->cert_pem == NULL || c->key_pem == NULL) {
		rc = fy_error_set(FY_ENOMEM, "out of memory");
		goto done;
	}
	rc = FY_OK;
done:
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(key);
	if (rc == 0)
		*out = c;
	else
		plugin_cert_free(c);
	return rc;
}

void plugin_cert_free(plugin_cert *c)
{
	if (c == NULL)
		return;
	if (c->key_pem != NULL)
		OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	OPENSSL_free(c->der);
	free(c);
}

const char *plugin_cert_pem(const plugin_cert *c)
{
	return c->cert_pem;
}

const char *plugin_cert_key_pem(const plugin_cert *c)
{
	return c->key_pem;
}

const unsigned char *plugin_cert_der(const plugin_cert *c, size_t *len)
{
	if (len != NULL)
		*len = c->der_len;
	return c->der;
}

int plugin_check_client_cert(const char *pem)
{
	if (pem == NULL || pem[0] == '\0')
		return fy_error_set(FY_EINVALID, "PLUGIN_CLIENT_CERT is empty");
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (b == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (x == NULL)
		return fy_error_set(FY_EINVALID, "PLUGIN_CLIENT_CERT holds no PEM certificate");
	X509_free(x);
	return FY_OK;
}

int plugin_base64_raw(char **out, const unsigned char *data, size_t len)
{
	if (len > (size_t)(INT32_MAX / 4 * 3 - 3))
		return fy_error_set(FY_EINVALID, "base64: input too large");
	/* EVP_EncodeBlock writes padded standard base64 without newlines; go-plugin wants RawStdEncoding. */
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	if (s == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");
	int n = EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	*out = s;
	return FY_OK;
}

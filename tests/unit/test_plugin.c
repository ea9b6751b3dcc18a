/* plugin: handshake pieces (cookie, protocol negotiation, socket path, handshake line, reattach JSON) and the
 * AutoMTLS certificate (docs/internals/protocol.md 2.1-2.3, 2.7). */
#define _GNU_SOURCE
#include "internal/plugin/plugin.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *scratch; /* mkdtemp dir per test */

static void setup(void)
{
	char tmpl[] = "/tmp/test_plugin-XXXXXX";
	scratch = strdup(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(scratch);
}

static void teardown(void)
{
	rmdir(scratch);
	free(scratch);
	unsetenv("PLUGIN_UNIX_SOCKET_DIR");
	unsetenv("TMPDIR");
}

START_TEST(test_cookie)
{
	ck_assert_int_eq(plugin_check_cookie(PLUGIN_MAGIC_COOKIE_VALUE), FY_OK);
	ck_assert_int_eq(plugin_check_cookie(NULL), FY_EINVALID);
	ck_assert_int_eq(plugin_check_cookie(""), FY_EINVALID);
	ck_assert_int_eq(plugin_check_cookie("d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b"), FY_EINVALID);
	ck_assert_int_eq(plugin_check_cookie(PLUGIN_MAGIC_COOKIE_VALUE " "), FY_EINVALID);
	/* go-plugin's text, word for word (GP server.go). */
	ck_assert_str_eq(PLUGIN_COOKIE_MESSAGE,
		"This binary is a plugin. These are not meant to be executed directly.\n"
		"Please execute the program that consumes these plugins, which will\n"
		"load any plugins automatically\n");
}
END_TEST

START_TEST(test_negotiate)
{
	int v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, "5,6"), FY_OK);
	ck_assert_int_eq(v, 6);
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, "6,5"), FY_OK); /* Go map order is random */
	ck_assert_int_eq(v, 6);
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, " 6 "), FY_OK);
	ck_assert_int_eq(v, 6);
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, "5 , 6"), FY_OK);
	ck_assert_int_eq(v, 6);
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, "x,6"), FY_OK); /* junk entries are skipped, as go-plugin does */
	ck_assert_int_eq(v, 6);

	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, "5"), FY_EINVALID);
	ck_assert_int_eq(v, 0);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "protocol 6"));
	ck_assert_int_eq(plugin_negotiate_version(&v, "4,5"), FY_EINVALID);
	ck_assert_int_eq(plugin_negotiate_version(&v, "60"), FY_EINVALID);
	ck_assert_int_eq(plugin_negotiate_version(&v, "6x"), FY_EINVALID);
	ck_assert_int_eq(plugin_negotiate_version(&v, "16,56"), FY_EINVALID);

	/* Unset or empty: a client that does not negotiate; go-plugin then serves its own version. */
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, ""), FY_OK);
	ck_assert_int_eq(v, 6);
	v = 0;
	ck_assert_int_eq(plugin_negotiate_version(&v, NULL), FY_OK);
	ck_assert_int_eq(v, 6);
}
END_TEST

static void check_socket_under(const char *path, const char *base)
{
	char *rb = realpath(base, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert_int_eq(path[0], '/');
	ck_assert_msg(strncmp(path, rb, strlen(rb)) == 0 && path[strlen(rb)] == '/', "%s not under %s", path, rb);
	/* A fresh directory private to the user holds the (not yet created) socket. */
	char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	struct stat st;
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(access(path, F_OK), -1);
	plugin_socket_cleanup(path);
	ck_assert_int_eq(access(dir, F_OK), -1); /* the private directory is gone */
	ck_assert_int_eq(access(base, F_OK), 0); /* the base directory stays */
	free(dir);
	free(rb);
}

START_TEST(test_socket_path_env_order)
{
	char a[PATH_MAX], b[PATH_MAX];
	snprintf(a, sizeof(a), "%s/sockdir", scratch);
	snprintf(b, sizeof(b), "%s/tmpdir", scratch);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	ck_assert_int_eq(mkdir(b, 0700), 0);
	char *p = NULL;

	setenv("PLUGIN_UNIX_SOCKET_DIR", a, 1);
	setenv("TMPDIR", b, 1);
	ck_assert_int_eq(plugin_socket_path(&p), FY_OK);
	check_socket_under(p, a);
	free(p);

	unsetenv("PLUGIN_UNIX_SOCKET_DIR");
	ck_assert_int_eq(plugin_socket_path(&p), FY_OK);
	check_socket_under(p, b);
	free(p);

	setenv("PLUGIN_UNIX_SOCKET_DIR", "", 1); /* empty = unset */
	ck_assert_int_eq(plugin_socket_path(&p), FY_OK);
	check_socket_under(p, b);
	free(p);

	unsetenv("PLUGIN_UNIX_SOCKET_DIR");
	unsetenv("TMPDIR");
	ck_assert_int_eq(plugin_socket_path(&p), FY_OK);
	check_socket_under(p, "/tmp");
	free(p);

	/* Two processes never share a path. */
	setenv("TMPDIR", b, 1);
	char *p2 = NULL;
	ck_assert_int_eq(plugin_socket_path(&p), FY_OK);
	ck_assert_int_eq(plugin_socket_path(&p2), FY_OK);
	ck_assert_str_ne(p, p2);
	plugin_socket_cleanup(p);
	plugin_socket_cleanup(p2);
	free(p);
	free(p2);

	rmdir(a);
	rmdir(b);
}
END_TEST

START_TEST(test_socket_path_errors)
{
	char *p = NULL;
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/does-not-exist", scratch);
	setenv("PLUGIN_UNIX_SOCKET_DIR", missing, 1);
	ck_assert_int_eq(plugin_socket_path(&p), FY_EIO);
	ck_assert_ptr_null(p);

	/* sun_path holds 108 bytes: refuse rather than truncate (and leave no directory behind). */
	char deep[PATH_MAX];
	snprintf(deep, sizeof(deep), "%s/%0120d", scratch, 0);
	ck_assert_int_eq(mkdir(deep, 0700), 0);
	setenv("PLUGIN_UNIX_SOCKET_DIR", deep, 1);
	ck_assert_int_eq(plugin_socket_path(&p), FY_EINVALID);
	ck_assert_int_eq(rmdir(deep), 0); /* empty: nothing was left inside */

	plugin_socket_cleanup(NULL);
	plugin_socket_cleanup("/nonexistent-dir/plugin.sock");
}
END_TEST

START_TEST(test_handshake_line)
{
	char *line = NULL;
	ck_assert_int_eq(plugin_handshake_line(&line, 6, "/tmp/plugin-foundry-abc/plugin.sock", "QUJD"), FY_OK);
	ck_assert_str_eq(line, "1|6|unix|/tmp/plugin-foundry-abc/plugin.sock|grpc|QUJD\n");
	free(line);
	/* TLS off: go-plugin prints the sixth field empty (GP server.go Printf "%s" of ""). */
	ck_assert_int_eq(plugin_handshake_line(&line, 6, "/tmp/x/plugin.sock", NULL), FY_OK);
	ck_assert_str_eq(line, "1|6|unix|/tmp/x/plugin.sock|grpc|\n");
	free(line);
	ck_assert_int_eq(plugin_handshake_line(&line, 6, "relative.sock", NULL), FY_EINVALID);
}
END_TEST

START_TEST(test_reattach_json)
{
	char *s = NULL;
	ck_assert_int_eq(plugin_reattach_json(&s, "registry.terraform.io/foundry-labs/foundry", 6, 4242,
				 "/tmp/plugin-foundry-x/plugin.sock"),
		FY_OK);
	cJSON *o = cJSON_Parse(s);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(cJSON_GetArraySize(o), 1);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "registry.terraform.io/foundry-labs/foundry");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p, "Protocol")->valuestring, "grpc");
	ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(p, "ProtocolVersion")->valueint, 6);
	ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(p, "Pid")->valueint, 4242);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "Test"))); /* needed for v6 (docs/internals/protocol.md 2.7) */
	cJSON *addr = cJSON_GetObjectItemCaseSensitive(p, "Addr");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(addr, "Network")->valuestring, "unix");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(addr, "String")->valuestring,
		"/tmp/plugin-foundry-x/plugin.sock");
	cJSON_Delete(o);
	free(s);
}
END_TEST

START_TEST(test_base64_raw)
{
	static const struct {
		const char *in, *out;
	} t[] = {{"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
		{"foobar", "Zm9vYmFy"}, {"\xff\xfe\xfd", "//79"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = NULL;
		ck_assert_int_eq(plugin_base64_raw(&s, (const unsigned char *)t[i].in, strlen(t[i].in)), FY_OK);
		ck_assert_str_eq(s, t[i].out);
		free(s);
	}
}
END_TEST

/* Decode unpadded base64 with OpenSSL (restoring the padding) to check the round trip. */
static unsigned char *unb64(const char *s, size_t *len)
{
	size_t n = strlen(s);
	size_t pad = (4 - n % 4) % 4;
	char *padded = malloc(n + pad + 1);
	memcpy(padded, s, n);
	memset(padded + n, '=', pad);
	padded[n + pad] = '\0';
	unsigned char *out = malloc(n + pad);
	int w = EVP_DecodeBlock(out, (unsigned char *)padded, (int)(n + pad));
	ck_assert_int_ge(w, 0);
	*len = (size_t)w - pad;
	free(padded);
	return out;
}

START_TEST(test_cert)
{
	plugin_cert *c = NULL;
	ck_assert_int_eq(plugin_cert_generate(&c), FY_OK);
	size_t der_len = 0;
	const unsigned char *der = plugin_cert_der(c, &der_len);
	ck_assert_uint_gt(der_len, 100);

	/* The handshake field: unpadded standard base64 of the DER, > 50 chars (GP client.go:924). */
	char *b64 = NULL;
	ck_assert_int_eq(plugin_base64_raw(&b64, der, der_len), FY_OK);
	ck_assert_uint_gt(strlen(b64), 50);
	ck_assert_ptr_null(strchr(b64, '='));
	ck_assert_ptr_null(strchr(b64, '\n'));
	size_t back_len;
	unsigned char *back = unb64(b64, &back_len);
	ck_assert_uint_eq(back_len, der_len);
	ck_assert_int_eq(memcmp(back, der, der_len), 0);
	free(back);
	free(b64);

	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)der_len);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);

	/* Subject CN=localhost, self-issued and self-signed. */
	char cn[64];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "localhost");
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	EVP_PKEY *pub = X509_get0_pubkey(x);
	ck_assert_int_eq(X509_verify(x, pub), 1);

	/* SAN DNS:localhost (Go ignores the CN). */
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(san);
	int found = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type == GEN_DNS && strcmp((const char *)ASN1_STRING_get0_data(g->d.dNSName), "localhost") == 0)
			found = 1;
	}
	GENERAL_NAMES_free(san);
	ck_assert(found);

	/* EKU serverAuth + clientAuth; KeyUsage incl. certSign; CA:TRUE. */
	uint32_t xku = X509_get_extended_key_usage(x);
	ck_assert(xku & XKU_SSL_SERVER);
	ck_assert(xku & XKU_SSL_CLIENT);
	uint32_t ku = X509_get_key_usage(x);
	ck_assert(ku & KU_DIGITAL_SIGNATURE);
	ck_assert(ku & KU_KEY_ENCIPHERMENT);
	ck_assert(ku & KU_KEY_AGREEMENT);
	ck_assert(ku & KU_KEY_CERT_SIGN);
	ck_assert_int_eq(X509_check_ca(x), 1);
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	ck_assert_ptr_nonnull(bc);
	ck_assert(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	ck_assert_int_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
	ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);

	/* Positive serial below 2^127 (Go >= 1.23 rejects negative serials). */
	BIGNUM *sn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	ck_assert_ptr_nonnull(sn);
	ck_assert(!BN_is_negative(sn));
	ck_assert(!BN_is_zero(sn));
	ck_assert_int_le(BN_num_bits(sn), 127);
	BN_free(sn);

	/* Valid now; notBefore about 30 s ago; notAfter about 262980 h ahead. */
	time_t now = time(NULL);
	int days = 0, secs = 0;
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	long long span = (long long)days * 86400 + secs;
	ck_assert_int_ge(span, 262980LL * 3600 + 25);
	ck_assert_int_le(span, 262980LL * 3600 + 35);
	ck_assert_int_lt(X509_cmp_time(X509_get0_notBefore(x), &now), 0);
	ck_assert_int_gt(X509_cmp_time(X509_get0_notAfter(x), &now), 0);
	time_t early = now - 60;
	ck_assert_int_gt(X509_cmp_time(X509_get0_notBefore(x), &early), 0);

	/* PEM forms for gRPC: the cert is the DER, and the key matches it. */
	ck_assert_ptr_nonnull(strstr(plugin_cert_pem(c), "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr(plugin_cert_key_pem(c), "PRIVATE KEY-----"));
	BIO *kb = BIO_new_mem_buf(plugin_cert_key_pem(c), -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(X509_check_private_key(x, key), 1);
	EVP_PKEY_free(key);
	BIO_free(kb);
	X509_free(x);

	/* A second identity is different (per process, fresh key and serial). */
	plugin_cert *c2 = NULL;
	ck_assert_int_eq(plugin_cert_generate(&c2), FY_OK);
	size_t der2_len;
	const unsigned char *der2 = plugin_cert_der(c2, &der2_len);
	ck_assert(der2_len != der_len || memcmp(der2, der, der_len) != 0);
	ck_assert_str_ne(plugin_cert_key_pem(c), plugin_cert_key_pem(c2));
	ck_assert_int_eq(plugin_check_client_cert(plugin_cert_pem(c2)), FY_OK);
	ck_assert_int_eq(plugin_check_client_cert("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"),
		FY_EINVALID);
	ck_assert_int_eq(plugin_check_client_cert("x"), FY_EINVALID);
	ck_assert_int_eq(plugin_check_client_cert(""), FY_EINVALID);
	ck_assert_int_eq(plugin_check_client_cert(NULL), FY_EINVALID);
	plugin_cert_free(c2);
	plugin_cert_free(c);
	plugin_cert_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_negotiate);
	tcase_add_test(tc, test_socket_path_env_order);
	tcase_add_test(tc, test_socket_path_errors);
	tcase_add_test(tc, test_handshake_line);
	tcase_add_test(tc, test_reattach_json);
	tcase_add_test(tc, test_base64_raw);
	tcase_add_test(tc, test_cert);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

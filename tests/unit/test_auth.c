/* internal/auth: environment mapping, chain order, every credential method against the emulator, cache and
 * refresh, concurrency, failures that name the method, and a TRACE log scan for secrets. */
#define _GNU_SOURCE
#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers/emu.h"
#include "internal/auth/auth.h"
#include "internal/auth/auth_internal.h" /* auth_cert_assertion, to check the JWT itself */
#include "internal/log/tflog.h"

#define CERT_PASSWORD "pfx-pass-w0rd!"

static emu g_emu;
static http_client *g_http;
static char g_msi_endpoint[128];
static char g_oidc_request_url[128];
static char g_cert_pem[512], g_cert_pem_enc[512], g_cert_p12[512], g_cert_thumb[64];

/* ------------------------------------------------------------------ fixtures */

static const char *const g_env_vars[] = {"ARM_TENANT_ID", "ARM_CLIENT_ID", "AZURE_CLIENT_ID", "ARM_CLIENT_SECRET",
	"ARM_CLIENT_SECRET_FILE_PATH", "ARM_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PASSWORD", "ARM_USE_OIDC",
	"ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "ARM_OIDC_REQUEST_URL",
	"ACTIONS_ID_TOKEN_REQUEST_URL", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ARM_USE_MSI",
	"ARM_MSI_ENDPOINT", "ARM_USE_CLI", "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "ARM_RESOURCE_MANAGER_AUDIENCE",
	"FAKE_AZ_LOGGED_OUT", NULL};

static void clear_env(void)
{
	for (int i = 0; g_env_vars[i]; i++)
		unsetenv(g_env_vars[i]);
}

/* A throwaway RSA key and self-signed certificate, written as PEM (plain and encrypted key) and PKCS#12. */
static void make_certs(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(key);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"foundry-test", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);

	/* Expected x5t: base64url(SHA-1(DER)). */
	unsigned char der_sha1[20];
	unsigned int l = 0;
	X509_digest(x, EVP_sha1(), der_sha1, &l);
	unsigned char b64[64];
	int n = EVP_EncodeBlock(b64, der_sha1, (int)l);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = 0;
	for (int i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	snprintf(g_cert_thumb, sizeof(g_cert_thumb), "%s", (char *)b64);

	snprintf(g_cert_pem, sizeof(g_cert_pem), "%s", emu_path(&g_emu, "client.pem"));
	FILE *f = fopen(g_cert_pem, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL); /* key first: the loader must find the cert anyway */
	PEM_write_X509(f, x);
	fclose(f);

	snprintf(g_cert_pem_enc, sizeof(g_cert_pem_enc), "%s", emu_path(&g_emu, "client-enc.pem"));
	f = fopen(g_cert_pem_enc, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, x);
	PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)CERT_PASSWORD);
	fclose(f);

	snprintf(g_cert_p12, sizeof(g_cert_p12), "%s", emu_path(&g_emu, "client.pfx"));
	PKCS12 *p12 = PKCS12_create(CERT_PASSWORD, "foundry", key, x, NULL, 0, 0, 0, 0, 0);
	ck_assert_ptr_nonnull(p12);
	f = fopen(g_cert_p12, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(i2d_PKCS12_fp(f, p12), 1);
	fclose(f);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void emu_up(void)
{
	ck_assert_int_eq(emu_start(&g_emu, NULL), 0);
	snprintf(g_msi_endpoint, sizeof(g_msi_endpoint), "%s/metadata/identity/oauth2/token", g_emu.base_url);
	snprintf(g_oidc_request_url, sizeof(g_oidc_request_url), "%s/oidc/request", g_emu.base_url);
	make_certs();
}

static void emu_down(void)
{
	emu_stop(&g_emu);
}

static void client_up(void)
{
	clear_env();
	ck_assert_int_eq(http_global_init(), 0);
	ck_assert_int_eq(emu_reset(&g_emu), 0);
	ck_assert_int_eq(http_client_new(&g_http, NULL), 0);
}

static void client_down(void)
{
	emu_clear_faults(&g_emu);
	http_client_free(g_http);
	g_http = NULL;
	clear_env();
}

/* Options for the emulator: its base URL is the authority host; nothing else configured. */
static auth_options opts(void)
{
	auth_options o = {.use_oidc = 0, .use_msi = 0, .use_cli = 0, .authority_host = g_emu.base_url, .http = g_http};
	return o;
}

static auth_options secret_opts(void)
{
	auth_options o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.client_secret = EMU_CLIENT_SECRET;
	return o;
}

static char *must_token(auth_credential *c)
{
	char *t = NULL;
	int rc = auth_credential_token(&t, c);
	ck_assert_msg(rc == 0, "token: %d %s", rc, fy_error_last()->message);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_gt(strlen(t), 8);
	return t;
}

/* The body of the last token-endpoint request in the emulator's log (form secrets redacted there). */
static char *last_token_request_body(void)
{
	cJSON *log = emu_requests(&g_emu);
	ck_assert_ptr_nonnull(log);
	cJSON *reqs = cJSON_GetObjectItem(log, "requests");
	char *body = NULL;
	for (int i = cJSON_GetArraySize(reqs) - 1; i >= 0 && !body; i--) {
		cJSON *r = cJSON_GetArrayItem(reqs, i);
		if (strstr(cJSON_GetObjectItem(r, "path")->valuestring, "/oauth2/v2.0/token"))
			body = strdup(cJSON_GetObjectItem(r, "body")->valuestring);
	}
	cJSON_Delete(log);
	ck_assert_ptr_nonnull(body);
	return body;
}

/* ------------------------------------------------------------------ options and chain */

START_TEST(env_mapping)
{
	clear_env();
	setenv("ARM_TENANT_ID", "env-tenant", 1);
	setenv("AZURE_CLIENT_ID", "azure-client", 1);
	setenv("ARM_CLIENT_SECRET", "env-secret", 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token", 1);
	setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/req", 1);
	setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token", 1);
	setenv("ARM_USE_MSI", "true", 1);
	setenv("ARM_USE_OIDC", "1", 1);
	setenv("ARM_MSI_ENDPOINT", "http://127.0.0.1:1/msi", 1);
	setenv("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "https://login.example/", 1);
	setenv("ARM_RESOURCE_MANAGER_AUDIENCE", "https://management.example/", 1);
	setenv("ARM_CLIENT_CERTIFICATE_PASSWORD", "", 1); /* empty counts as unset */

	auth_options o = {.tenant_id = "cfg-tenant", .use_oidc = AUTH_UNSET, .use_msi = 0, .use_cli = AUTH_UNSET};
	auth_options_from_env(&o);
	ck_assert_str_eq(o.tenant_id, "cfg-tenant"); /* configuration wins */
	ck_assert_str_eq(o.client_id, "azure-client");
	ck_assert_str_eq(o.client_secret, "env-secret");
	ck_assert_str_eq(o.oidc_token_file_path, "/var/run/token");
	ck_assert_str_eq(o.oidc_request_url, "https://gh.example/req");
	ck_assert_str_eq(o.oidc_request_token, "gh-request-token");
	ck_assert_str_eq(o.msi_endpoint, "http://127.0.0.1:1/msi");
	ck_assert_str_eq(o.authority_host, "https://login.example/");
	ck_assert_str_eq(o.audience, "https://management.example/");
	ck_assert_ptr_null(o.client_certificate_password);
	ck_assert_int_eq(o.use_oidc, 1);
	ck_assert_int_eq(o.use_msi, 0); /* configured false beats ARM_USE_MSI=true */
	ck_assert_int_eq(o.use_cli, 1); /* default true */

	setenv("ARM_CLIENT_ID", "arm-client", 1);
	setenv("ARM_OIDC_TOKEN_FILE_PATH", "/arm/token", 1);
	setenv("ARM_OIDC_REQUEST_URL", "https://arm.example/req", 1);
	setenv("ARM_USE_CLI", "false", 1);
	auth_options p = {.use_oidc = AUTH_UNSET, .use_msi = AUTH_UNSET, .use_cli = AUTH_UNSET};
	auth_options_from_env(&p);
	ck_assert_str_eq(p.client_id, "arm-client"); /* ARM_ name first */
	ck_assert_str_eq(p.oidc_token_file_path, "/arm/token");
	ck_assert_str_eq(p.oidc_request_url, "https://arm.example/req");
	ck_assert_int_eq(p.use_cli, 0);
	ck_assert_int_eq(p.use_msi, 1);
	clear_env();
}
END_TEST

START_TEST(nothing_configured)
{
	auth_options o = opts();
	auth_credential *c = (auth_credential *)1;
	ck_assert_int_eq(auth_credential_new(&c, &o), FY_EAUTH);
	ck_assert_ptr_null(c);
	const char *m = fy_error_last()->message;
	ck_assert_ptr_nonnull(strstr(m, "ARM_CLIENT_SECRET"));
	ck_assert_ptr_nonnull(strstr(m, "ARM_USE_MSI"));
	ck_assert_ptr_nonnull(strstr(m, "use_cli"));
}
END_TEST

START_TEST(chain_order)
{
	auth_credential *c;
	auth_options o = secret_opts();
	o.client_certificate_path = g_cert_pem;
	o.use_oidc = 1;
	o.oidc_token = EMU_OIDC_TOKEN;
	o.use_msi = 1;
	o.use_cli = 1;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "client secret");
	auth_credential_free(c);

	o.client_secret = NULL;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "client certificate");
	auth_credential_free(c);

	o.client_certificate_path = NULL;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "OIDC");
	auth_credential_free(c);

	o.use_oidc = 0;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "managed identity");
	auth_credential_free(c);

	o.use_msi = 0;
	o.use_cli = AUTH_UNSET; /* default */
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "Azure CLI");
	auth_credential_free(c);

	/* A secret without a tenant is a misconfigured secret, not a reason to fall through to the CLI. */
	auth_options s = secret_opts();
	s.tenant_id = NULL;
	s.use_cli = 1;
	ck_assert_int_eq(auth_credential_new(&c, &s), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "client secret: tenant_id is required"));
	s.tenant_id = "../../evil";
	ck_assert_int_eq(auth_credential_new(&c, &s), FY_EAUTH);
	/* Plain http to a remote authority is refused. */
	s = secret_opts();
	s.authority_host = "http://login.example.com/";
	ck_assert_int_eq(auth_credential_new(&c, &s), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "https"));
}
END_TEST

/* ------------------------------------------------------------------ methods */

START_TEST(client_secret)
{
	auth_options o = secret_opts();
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t1 = must_token(c);
	char *t2 = must_token(c);
	ck_assert_str_eq(t1, t2); /* cached */
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 1);
	ck_assert_int_eq(auth_credential_tokens_fetched(c), 1);
	char *body = last_token_request_body();
	ck_assert_ptr_nonnull(strstr(body, "grant_type=client_credentials"));
	ck_assert_ptr_nonnull(strstr(body, "client_secret=<redacted>"));
	/* scope = audience + "/.default" (azure-sdk's form for the default audience with its trailing slash) */
	ck_assert_ptr_nonnull(strstr(body, "management.core.windows.net//.default"));
	free(body);

	/* After invalidate (a 401 from ARM) the next call fetches a new token. */
	auth_credential_invalidate(c);
	char *t3 = must_token(c);
	ck_assert_str_ne(t3, t1);
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 2);
	free(t1);
	free(t2);
	free(t3);
	auth_credential_free(c);
}
END_TEST

START_TEST(client_secret_file)
{
	const char *path = emu_write_file(&g_emu, "secret.txt", EMU_CLIENT_SECRET "\n");
	ck_assert_ptr_nonnull(path);
	auth_options o = secret_opts();
	o.client_secret = NULL;
	o.client_secret_file_path = path;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "client secret");
	free(must_token(c));
	auth_credential_free(c);

	o.client_secret_file_path = emu_path(&g_emu, "does-not-exist");
	ck_assert_int_eq(auth_credential_new(&c, &o), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "client secret: reading client_secret_file_path"));
}
END_TEST

START_TEST(wrong_secret_names_method)
{
	auth_options o = secret_opts();
	o.client_secret = "not-the-secret";
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_null(t);
	const char *m = fy_error_last()->message;
	ck_assert_msg(strncmp(m, "client secret: ", 15) == 0, "%s", m);
	ck_assert_ptr_nonnull(strstr(m, "401"));
	ck_assert_ptr_nonnull(strstr(m, "invalid_client"));
	ck_assert_ptr_nonnull(strstr(m, "AADSTS7000215"));
	ck_assert_ptr_null(strstr(m, "Trace ID")); /* first line of the description only */
	ck_assert_ptr_null(strstr(m, "not-the-secret"));
	auth_credential_free(c);

	o = secret_opts();
	o.tenant_id = "99999999-0000-0000-0000-000000000000";
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "AADSTS90002"));
	auth_credential_free(c);
}
END_TEST

static void cert_case(const char *path, const char *password)
{
	auth_options o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.client_certificate_path = path;
	o.client_certificate_password = password;
	auth_credential *c;
	int rc = auth_credential_new(&c, &o);
	ck_assert_msg(rc == 0, "%s", fy_error_last()->message);
	ck_assert_str_eq(auth_credential_method(c), "client certificate");
	free(must_token(c));
	char *body = last_token_request_body();
	ck_assert_ptr_nonnull(strstr(body, "client_assertion_type=urn"));
	ck_assert_ptr_nonnull(strstr(body, "client_assertion=<redacted>"));
	free(body);
	auth_credential_free(c);
}

START_TEST(client_certificate_pem)
{
	cert_case(g_cert_pem, NULL);
	cert_case(g_cert_pem_enc, CERT_PASSWORD);
}
END_TEST

START_TEST(client_certificate_pkcs12)
{
	cert_case(g_cert_p12, CERT_PASSWORD);

	auth_options o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.client_certificate_path = g_cert_p12;
	o.client_certificate_password = "wrong";
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "client certificate: "));
	ck_assert_ptr_null(strstr(fy_error_last()->message, CERT_PASSWORD));
	o.client_certificate_path = g_cert_pem_enc; /* encrypted PEM key, wrong password */
	ck_assert_int_eq(auth_credential_new(&c, &o), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "client certificate: "));
}
END_TEST

static unsigned char *b64url_decode(const char *s, size_t n, int *out_len)
{
	char *t = calloc(1, n + 4);
	memcpy(t, s, n);
	for (size_t i = 0; i < n; i++)
		t[i] = t[i] == '-' ? '+' : t[i] == '_' ? '/' : t[i];
	size_t pad = (4 - n % 4) % 4;
	for (size_t i = 0; i < pad; i++)
		t[n + i] = '=';
	unsigned char *out = calloc(1, n + 4);
	int l = EVP_DecodeBlock(out, (unsigned char *)t, (int)(n + pad));
	free(t);
	*out_len = l - (int)pad;
	return out;
}

/* The assertion: RS256 over header.claims with the certificate's key, x5t = SHA-1 thumbprint, claims per Entra. */
START_TEST(certificate_assertion_shape)
{
	auth_options o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.client_certificate_path = g_cert_p12;
	o.client_certificate_password = CERT_PASSWORD;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *jwt = NULL;
	ck_assert_int_eq(auth_cert_assertion(&jwt, c), 0);
	char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	ck_assert_ptr_nonnull(d2);

	int hl, cl, sl;
	unsigned char *h = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
	unsigned char *cm = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
	unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	cJSON *hj = cJSON_ParseWithLength((char *)h, (size_t)hl), *cj = cJSON_ParseWithLength((char *)cm, (size_t)cl);
	ck_assert_ptr_nonnull(hj);
	ck_assert_ptr_nonnull(cj);
	ck_assert_str_eq(cJSON_GetObjectItem(hj, "alg")->valuestring, "RS256");
	ck_assert_str_eq(cJSON_GetObjectItem(hj, "x5t")->valuestring, g_cert_thumb);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(hj, "x5t#S256"));
	char aud[256];
	snprintf(aud, sizeof(aud), "%s/%s/oauth2/v2.0/token", g_emu.base_url, EMU_TENANT);
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "aud")->valuestring, aud);
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "iss")->valuestring, EMU_CLIENT_ID);
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "sub")->valuestring, EMU_CLIENT_ID);
	ck_assert_int_eq(strlen(cJSON_GetObjectItem(cj, "jti")->valuestring), 36);
	double iat = cJSON_GetObjectItem(cj, "iat")->valuedouble, exp = cJSON_GetObjectItem(cj, "exp")->valuedouble;
	ck_assert(exp - iat == 600);
	ck_assert(cJSON_GetObjectItem(cj, "nbf")->valuedouble == iat);

	/* Signature verifies with the certificate's public key. */
	FILE *f = fopen(g_cert_pem, "r");
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)), 1);
	ck_assert_int_eq(EVP_DigestVerify(md, sig, (size_t)sl, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
	EVP_MD_CTX_free(md);
	X509_free(x);

	/* Two assertions never share a jti. */
	char *jwt2 = NULL;
	ck_assert_int_eq(auth_cert_assertion(&jwt2, c), 0);
	ck_assert_str_ne(jwt, jwt2);
	free(jwt2);
	cJSON_Delete(hj);
	cJSON_Delete(cj);
	free(h);
	free(cm);
	free(sig);
	free(jwt);
	auth_credential_free(c);
}
END_TEST

static auth_options oidc_opts(void)
{
	auth_options o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.use_oidc = 1;
	return o;
}

START_TEST(oidc_token)
{
	auth_options o = oidc_opts();
	o.oidc_token = EMU_OIDC_TOKEN;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "OIDC");
	free(must_token(c));
	char *body = last_token_request_body();
	ck_assert_ptr_nonnull(strstr(body, "client_assertion=<redacted>"));
	free(body);
	auth_credential_free(c);

	/* use_oidc without any ID token source is an error naming OIDC. */
	o = oidc_opts();
	ck_assert_int_eq(auth_credential_new(&c, &o), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "OIDC: "));
}
END_TEST

START_TEST(oidc_token_file)
{
	auth_options o = oidc_opts();
	o.oidc_token_file_path = emu_write_file(&g_emu, "federated-token", EMU_OIDC_TOKEN "\n");
	ck_assert_ptr_nonnull(o.oidc_token_file_path);
	char *path = strdup(o.oidc_token_file_path);
	o.oidc_token_file_path = path;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	free(must_token(c));
	/* The file is read at each refresh (workload identity rotates it): a bad token now fails. */
	emu_write_file(&g_emu, "federated-token", "rotated-but-wrong");
	auth_credential_invalidate(c);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "OIDC: "));
	auth_credential_free(c);
	free(path);
}
END_TEST

START_TEST(oidc_request_url)
{
	auth_options o = oidc_opts();
	o.oidc_request_url = g_oidc_request_url;
	o.oidc_request_token = EMU_OIDC_REQUEST_TOKEN;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	free(must_token(c));
	auth_credential_free(c);

	cJSON *log = emu_requests(&g_emu);
	cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(first, "path")->valuestring, "/oidc/request");
	cJSON *q = cJSON_GetObjectItem(first, "query");
	cJSON *aud = cJSON_GetObjectItem(q, "audience");
	ck_assert_ptr_nonnull(aud);
	char *aud_text = cJSON_PrintUnformatted(aud);
	ck_assert_ptr_nonnull(strstr(aud_text, "api://AzureADTokenExchange"));
	free(aud_text);
	cJSON_Delete(log);

	o.oidc_request_token = "wrong-request-token";
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "OIDC: requesting an ID token"));
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "401"));
	auth_credential_free(c);
}
END_TEST

START_TEST(managed_identity)
{
	auth_options o = opts();
	o.use_msi = 1;
	o.msi_endpoint = g_msi_endpoint;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "managed identity");
	char *t1 = must_token(c), *t2 = must_token(c);
	ck_assert_str_eq(t1, t2); /* expires_on honoured: cached */
	free(t1);
	free(t2);
	auth_credential_free(c);

	cJSON *log = emu_requests(&g_emu);
	cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
	ck_assert_int_eq((int)cJSON_GetObjectItem(r, "status")->valuedouble, 200);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "headers"), "metadata")->valuestring, "true");
	cJSON_Delete(log);

	/* User-assigned identity: client_id travels as a query parameter. */
	o.client_id = "not-an-identity";
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "managed identity: "));
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "Identity not found"));
	auth_credential_free(c);
}
END_TEST

static void with_fake_az_path(const char *dir)
{
	char *path;
	ck_assert_int_ge(asprintf(&path, "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"), 0);
	setenv("PATH", path, 1);
	free(path);
}

START_TEST(azure_cli)
{
	const char *dir = emu_fake_az_dir(&g_emu);
	ck_assert_ptr_nonnull(dir);
	char *old_path = strdup(getenv("PATH"));
	with_fake_az_path(dir);

	auth_options o = opts();
	o.use_cli = 1;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_str_eq(auth_credential_method(c), "Azure CLI");
	char *t1 = must_token(c), *t2 = must_token(c);
	ck_assert_str_eq(t1, t2); /* expires_on honoured: az ran once */
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 1);
	free(t1);
	free(t2);
	auth_credential_free(c);

	/* Logged out: az's stderr is the reason. */
	setenv("FAKE_AZ_LOGGED_OUT", "1", 1);
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	const char *m = fy_error_last()->message;
	ck_assert_msg(strncmp(m, "Azure CLI: ", 11) == 0, "%s", m);
	ck_assert_ptr_nonnull(strstr(m, "az login"));
	auth_credential_free(c);
	unsetenv("FAKE_AZ_LOGGED_OUT");

	/* No az on PATH. */
	setenv("PATH", emu_path(&g_emu, "no-such-dir"), 1);
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "Azure CLI: `az` was not found"));
	auth_credential_free(c);
	setenv("PATH", old_path, 1);
	free(old_path);
}
END_TEST

/* An older CLI prints only "expiresOn" (local time): still cached until then. The argv is az's documented one. */
START_TEST(azure_cli_expires_on_fallback)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s", emu_path(&g_emu, "oldcli"));
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char when[64];
	time_t t = time(NULL) + 3600;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S.000000", &tm);
	char script[1024], name[64];
	snprintf(script, sizeof(script),
		"#!/bin/sh\necho \"$@\" >> \"%s/argv\"\n"
		"echo '{\"accessToken\": \"old-cli-token-1234\", \"expiresOn\": \"%s\", \"tokenType\": \"Bearer\"}'\n",
		dir, when);
	snprintf(name, sizeof(name), "oldcli/az");
	const char *az = emu_write_file(&g_emu, name, script);
	ck_assert_ptr_nonnull(az);
	ck_assert_int_eq(chmod(az, 0700), 0);
	char *old_path = strdup(getenv("PATH"));
	with_fake_az_path(dir);

	auth_options o = opts();
	o.use_cli = 1;
	o.tenant_id = EMU_TENANT;
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t1 = must_token(c), *t2 = must_token(c);
	ck_assert_str_eq(t1, "old-cli-token-1234");
	ck_assert_str_eq(t2, t1);
	ck_assert_int_eq(auth_credential_tokens_fetched(c), 1); /* expiresOn parsed: cached */
	free(t1);
	free(t2);
	auth_credential_free(c);
	setenv("PATH", old_path, 1);
	free(old_path);

	char argv_path[512];
	snprintf(argv_path, sizeof(argv_path), "%s/argv", dir);
	FILE *f = fopen(argv_path, "r");
	ck_assert_ptr_nonnull(f);
	char line[512] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "account get-access-token --resource https://management.core.windows.net/ -o json --tenant "
			       EMU_TENANT "\n");
}
END_TEST

/* ------------------------------------------------------------------ cache, refresh, concurrency, cancel */

START_TEST(refresh_before_expiry)
{
	/* 200 s tokens are inside the 5-minute refresh margin: every call refreshes. */
	ck_assert_int_eq(emu_config(&g_emu, "{\"token_lifetime\":200}"), 0);
	auth_options o = secret_opts();
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t1 = must_token(c), *t2 = must_token(c);
	ck_assert_str_ne(t1, t2);
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 2);
	/* With a 60 s margin the same token is fresh: cached. */
	auth_credential_set_refresh_margin(c, 60);
	char *t3 = must_token(c);
	ck_assert_str_eq(t2, t3);
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 2);
	free(t1);
	free(t2);
	free(t3);
	auth_credential_free(c);
}
END_TEST

/* Absurd lifetimes from a token endpoint are bounded: no overflow of now + expires_in, the token is cached. */
START_TEST(huge_token_lifetime)
{
	static const char *const bodies[] = {
		"{\"token_type\":\"Bearer\",\"access_token\":\"huge-lifetime-token-1\",\"expires_in\":9223372036000000000}",
		"{\"token_type\":\"Bearer\",\"access_token\":\"huge-lifetime-token-2\",\"expires_on\":1e300,\"expires_in\":3600}",
		"{\"token_type\":\"Bearer\",\"access_token\":\"huge-lifetime-token-3\",\"expires_on\":\"99999999999999999999\","
		"\"expires_in\":3600}",
		NULL};
	for (int i = 0; bodies[i]; i++) {
		char *rule;
		ck_assert_int_ge(asprintf(&rule, "{\"method\":\"POST\",\"path_regex\":\"/oauth2/v2.0/token$\",\"status\":200,"
					      "\"times\":1,\"body\":%s}", bodies[i]),
			0);
		ck_assert_int_eq(emu_fault(&g_emu, rule), 0);
		free(rule);
		auth_options o = secret_opts();
		auth_credential *c;
		ck_assert_int_eq(auth_credential_new(&c, &o), 0);
		char *t1 = must_token(c), *t2 = must_token(c);
		ck_assert_str_eq(t1, t2);
		ck_assert_int_eq(auth_credential_tokens_fetched(c), 1);
		free(t1);
		free(t2);
		auth_credential_free(c);
	}
}
END_TEST

/* A token endpoint that states no lifetime: an hour is assumed, more than the refresh margin, so the token is
 * cached rather than fetched again on every call. */
START_TEST(no_token_lifetime)
{
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"POST\",\"path_regex\":\"/oauth2/v2.0/token$\",\"status\":200,"
					   "\"times\":1,\"body\":{\"token_type\":\"Bearer\",\"access_token\":"
					   "\"no-lifetime-token-1\"}}"),
		0);
	auth_options o = secret_opts();
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t1 = must_token(c), *t2 = must_token(c);
	ck_assert_str_eq(t1, "no-lifetime-token-1");
	ck_assert_str_eq(t2, t1);
	ck_assert_int_eq(auth_credential_tokens_fetched(c), 1);
	/* A 401 from ARM still gets a fresh one. */
	auth_credential_invalidate(c);
	char *t3 = must_token(c);
	ck_assert_str_ne(t3, t1);
	ck_assert_int_eq(auth_credential_tokens_fetched(c), 2);
	free(t1);
	free(t2);
	free(t3);
	auth_credential_free(c);
}
END_TEST

typedef struct tok_job {
	auth_credential *c;
	pthread_barrier_t *start;
	int rc;
	char *token;
} tok_job;

static void *tok_thread(void *arg)
{
	tok_job *j = arg;
	pthread_barrier_wait(j->start);
	j->rc = auth_credential_token(&j->token, j->c);
	return NULL;
}

/* Eight concurrent RPCs on a cold cache: one token request, everyone gets its token. */
START_TEST(concurrent_single_refresh)
{
	/* Make the token endpoint slow so the callers really overlap. */
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"POST\",\"path_regex\":\"/oauth2/v2.0/token$\",\"action\":"
					   "\"hang\",\"delay_ms\":300}"),
		0);
	auth_options o = secret_opts();
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	enum { N = 8 };
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, N);
	pthread_t th[N];
	tok_job jobs[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (tok_job){.c = c, .start = &start};
		ck_assert_int_eq(pthread_create(&th[i], NULL, tok_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(jobs[i].rc, 0);
		ck_assert_str_eq(jobs[i].token, jobs[0].token);
	}
	for (int i = 0; i < N; i++)
		free(jobs[i].token);
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 1);
	ck_assert_int_eq(auth_credential_tokens_fetched(c), 1);
	pthread_barrier_destroy(&start);
	auth_credential_free(c);
}
END_TEST

static void *cancel_later(void *arg)
{
	usleep(300 * 1000);
	http_client_cancel(arg);
	return NULL;
}

START_TEST(cancel_token_request)
{
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"POST\",\"path_regex\":\"/oauth2/v2.0/token$\",\"action\":"
					   "\"hang\",\"delay_ms\":30000}"),
		0);
	auth_options o = secret_opts();
	auth_credential *c;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	pthread_t t;
	pthread_create(&t, NULL, cancel_later, g_http);
	char *tok = NULL;
	ck_assert_int_eq(auth_credential_token(&tok, c), FY_ECANCELED);
	pthread_join(t, NULL);
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0);
	/* Later calls work. */
	free(must_token(c));
	auth_credential_free(c);
}
END_TEST

/* ------------------------------------------------------------------ no secret in the logs */

static char *slurp(FILE *f)
{
	fflush(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	return text;
}

START_TEST(trace_log_has_no_secrets)
{
	char *log_path = strdup(emu_path(&g_emu, "trace.log"));
	FILE *f = fopen(log_path, "w+");
	ck_assert_ptr_nonnull(f);
	tflog_set_output(f, TFLOG_TRACE);

	char *tokens[8];
	int nt = 0;
	auth_credential *c;
	auth_options o = secret_opts();
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	tokens[nt++] = must_token(c);
	auth_credential_free(c);

	o = opts();
	o.tenant_id = EMU_TENANT;
	o.client_id = EMU_CLIENT_ID;
	o.client_certificate_path = g_cert_p12;
	o.client_certificate_password = CERT_PASSWORD;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	tokens[nt++] = must_token(c);
	auth_credential_free(c);

	o = oidc_opts();
	o.oidc_request_url = g_oidc_request_url;
	o.oidc_request_token = EMU_OIDC_REQUEST_TOKEN;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	tokens[nt++] = must_token(c);
	auth_credential_free(c);

	o = opts();
	o.use_msi = 1;
	o.msi_endpoint = g_msi_endpoint;
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	tokens[nt++] = must_token(c);
	auth_credential_free(c);

	o = secret_opts();
	o.client_secret = "wrong-secret-value";
	ck_assert_int_eq(auth_credential_new(&c, &o), 0);
	char *t = NULL;
	ck_assert_int_eq(auth_credential_token(&t, c), FY_EAUTH);
	auth_credential_free(c);

	tflog_set_output(NULL, TFLOG_OFF);
	char *text = slurp(f);
	fclose(f);
	if (getenv("FY_KEEP_LOG"))
		fputs(text, stderr);
	ck_assert_ptr_nonnull(strstr(text, "oauth2/v2.0/token")); /* the requests were logged */
	ck_assert_ptr_null(strstr(text, EMU_CLIENT_SECRET));
	ck_assert_ptr_null(strstr(text, "wrong-secret-value"));
	ck_assert_ptr_null(strstr(text, CERT_PASSWORD));
	ck_assert_ptr_null(strstr(text, EMU_OIDC_TOKEN));
	ck_assert_ptr_null(strstr(text, EMU_OIDC_REQUEST_TOKEN));
	for (int i = 0; i < nt; i++) {
		ck_assert_msg(strstr(text, tokens[i]) == NULL, "token %d leaked into the log", i);
		free(tokens[i]);
	}
	free(text);
	unlink(log_path);
	free(log_path);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("emulator");
	tcase_add_unchecked_fixture(tc, emu_up, emu_down);
	tcase_add_checked_fixture(tc, client_up, client_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, env_mapping);
	tcase_add_test(tc, nothing_configured);
	tcase_add_test(tc, chain_order);
	tcase_add_test(tc, client_secret);
	tcase_add_test(tc, client_secret_file);
	tcase_add_test(tc, wrong_secret_names_method);
	tcase_add_test(tc, client_certificate_pem);
	tcase_add_test(tc, client_certificate_pkcs12);
	tcase_add_test(tc, certificate_assertion_shape);
	tcase_add_test(tc, oidc_token);
	tcase_add_test(tc, oidc_token_file);
	tcase_add_test(tc, oidc_request_url);
	tcase_add_test(tc, managed_identity);
	tcase_add_test(tc, azure_cli);
	tcase_add_test(tc, azure_cli_expires_on_fallback);
	tcase_add_test(tc, refresh_before_expiry);
	tcase_add_test(tc, huge_token_lifetime);
	tcase_add_test(tc, no_token_lifetime);
	tcase_add_test(tc, concurrent_single_refresh);
	tcase_add_test(tc, cancel_token_request);
	tcase_add_test(tc, trace_log_has_no_secrets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

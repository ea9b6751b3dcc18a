/*
 * What identity endpoints and files hand the provider: a token endpoint's JSON answer (client credentials, IMDS,
 * OIDC), the Azure CLI's output, and a client certificate (PEM or PKCS#12, with a password). The first byte picks
 * the decoder.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/auth/auth_internal.h"
#include "internal/log/tflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static auth_credential *cred;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (cred == NULL) {
		http_client *h;
		tflog_set_output(NULL, TFLOG_OFF);
		auth_options o = {.tenant_id = "00000000-0000-0000-0000-0000000000aa",
			.client_id = "11111111-1111-1111-1111-111111111111", .client_secret = "fuzz-secret",
			.authority_host = "https://login.example.com/", .use_cli = 0};
		if (http_client_new(&h, NULL) < 0)
			abort();
		o.http = h;
		if (auth_credential_new(&cred, &o) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	auth_token t = {0};
	switch (data[0] % 3) {
	case 0: {
		http_response r = {.status = 200, .body = text, .body_len = size - 1};
		if (auth_parse_token_response(&t, cred, &r, "https://login.example.com/t/oauth2/v2.0/token") == 0)
			free(t.token);
		break;
	}
	case 1:
		if (auth_parse_cli_output(&t, text) == 0)
			free(t.token);
		break;
	default: {
		X509 *cert = NULL;
		EVP_PKEY *key = NULL;
		auth_cert_parse(&cert, &key, data + 1, size - 1, "fuzz-password");
		X509_free(cert);
		EVP_PKEY_free(key);
		break;
	}
	}
	free(text);
	return 0;
}

/*
 * What the CLI hands the provider at launch: PLUGIN_CLIENT_CERT (PEM), PLUGIN_PROTOCOL_VERSIONS and the magic cookie.
 * (TF_REATTACH_PROVIDERS is written by the provider, never read.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/log/tflog.h"
#include "internal/plugin/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		tflog_set_output(NULL, TFLOG_OFF);
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	int v = 0;
	(void)plugin_check_client_cert(s);
	if (plugin_negotiate_version(&v, s) == 0 && v != 6)
		abort(); /* only protocol 6 is served */
	(void)plugin_check_cookie(s);
	free(s);
	return 0;
}

/*
 * Whole RPC requests as Terraform would send them, but arbitrary: the first byte picks a tfplugin6 method, the rest
 * is its protobuf request, handed to the provider's own method table (protobuf unpack, DynamicValue decode, schema
 * checks, plan rules, diagnostics). No method here reaches the network: the provider is never configured, so ARM
 * calls end in a diagnostic. Any answer is fine; crashes, leaks and sanitizer reports are not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "internal/common/fy_arena.h"
#include "internal/log/tflog.h"
#include "internal/rpc/rpc.h"
#include "internal/tf/tf.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {
	"/tfplugin6.Provider/GetProviderSchema",
	"/tfplugin6.Provider/ValidateProviderConfig",
	"/tfplugin6.Provider/ValidateResourceConfig",
	"/tfplugin6.Provider/ValidateDataResourceConfig",
	"/tfplugin6.Provider/UpgradeResourceState",
	"/tfplugin6.Provider/ReadResource",
	"/tfplugin6.Provider/PlanResourceChange",
	"/tfplugin6.Provider/ApplyResourceChange",
	"/tfplugin6.Provider/ImportResourceState",
	"/tfplugin6.Provider/ReadDataSource",
	"/tfplugin6.Provider/GetResourceIdentitySchemas",
	"/tfplugin6.Provider/MoveResourceState",
	"/tfplugin6.Provider/ValidateEphemeralResourceConfig",
	"/tfplugin6.Provider/OpenEphemeralResource",
	"/tfplugin6.Provider/ValidateListResourceConfig",
	"/tfplugin6.Provider/ListResource", /* a server stream */
};

static rpc_registry *reg;

static void setup(void)
{
	tf_server *srv;
	tflog_set_output(NULL, TFLOG_OFF);
	if (tf_server_new(&srv, foundry_provider()) < 0 || rpc_registry_new(&reg) < 0 ||
		tf_server_register(srv, reg) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (reg == NULL)
		setup();
	if (size < 1)
		return 0;
	rpc_unary_fn fn;
	rpc_stream_fn sfn;
	void *fn_data;
	if (rpc_lookup_method(&fn, &sfn, &fn_data, reg, methods[data[0] % (sizeof methods / sizeof methods[0])]) < 0)
		return 0; /* a method this build does not serve */
	fy_arena *a;
	if (fy_arena_new(&a) < 0)
		abort();
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	const char *status = NULL;
	if (fn != NULL) {
		fn(fn_data, a, data + 1, size - 1, &resp, &resp_len, &status);
	} else {
		rpc_stream *out;
		rpc_stream_new(&out, a);
		sfn(fn_data, a, data + 1, size - 1, out, &status);
	}
	fy_arena_free(a);
	return 0;
}

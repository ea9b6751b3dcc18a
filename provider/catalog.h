/*
 * What a provider binary serves, as a catalog: one line per resource, data source, ephemeral resource, list resource
 * or function in
 * a registry file (provider/registry.def for the shipped provider, tests/resource/registry.def for test-only ones),
 * turned into a foundry_catalog by provider/catalog_expand.inc. No list has a fixed size, and internal/tf refuses at
 * start-up, with a message, a catalog that is inconsistent (tf_server_new).
 */
#ifndef FOUNDRY_PROVIDER_CATALOG_H
#define FOUNDRY_PROVIDER_CATALOG_H

#include "internal/tf/tf.h"

typedef struct foundry_catalog {
	const tf_resource *const *resources; /* each list NULL-terminated */
	const tf_data_source *const *data_sources;
	const tf_ephemeral_resource *const *ephemeral_resources;
	const tf_list_resource *const *list_resources;
	const tf_function *const *functions;
} foundry_catalog;

/* The shipped catalog (provider/registry.def). */
extern const foundry_catalog foundry_shipped_catalog;

/* The provider serving the shipped catalog followed by `extra` (NULL: nothing more). Made once per process: the
 * first call decides. */
const tf_provider *foundry_provider_with(const foundry_catalog *extra);

#endif

/*
 * Expands a registry file into a foundry_catalog. Include it with FOUNDRY_REGISTRY naming the file (a string) and
 * FOUNDRY_CATALOG naming the catalog to define; the registry file holds only lines of the form
 *   FOUNDRY_RESOURCE(symbol)  FOUNDRY_DATA_SOURCE(symbol)  FOUNDRY_EPHEMERAL_RESOURCE(symbol)  FOUNDRY_FUNCTION(symbol)
 * where symbol is the declaration's name (external linkage) in its own file. Nothing else needs an edit.
 */
#include "provider/catalog.h"

#if !defined(FOUNDRY_REGISTRY) || !defined(FOUNDRY_CATALOG)
#error "define FOUNDRY_REGISTRY and FOUNDRY_CATALOG before including provider/catalog_expand.h"
#endif

#define FOUNDRY_RESOURCE(x) extern const tf_resource x;
#define FOUNDRY_DATA_SOURCE(x) extern const tf_data_source x;
#define FOUNDRY_EPHEMERAL_RESOURCE(x) extern const tf_ephemeral_resource x;
#define FOUNDRY_FUNCTION(x) extern const tf_function x;
#include FOUNDRY_REGISTRY
#undef FOUNDRY_RESOURCE
#undef FOUNDRY_DATA_SOURCE
#undef FOUNDRY_EPHEMERAL_RESOURCE
#undef FOUNDRY_FUNCTION

#define FOUNDRY_DATA_SOURCE(x)
#define FOUNDRY_EPHEMERAL_RESOURCE(x)
#define FOUNDRY_FUNCTION(x)
#define FOUNDRY_RESOURCE(x) &x,
static const tf_resource *const foundry_cat_resources[] = {
#include FOUNDRY_REGISTRY
	NULL};
#undef FOUNDRY_RESOURCE
#define FOUNDRY_RESOURCE(x)
#undef FOUNDRY_DATA_SOURCE
#define FOUNDRY_DATA_SOURCE(x) &x,
static const tf_data_source *const foundry_cat_data_sources[] = {
#include FOUNDRY_REGISTRY
	NULL};
#undef FOUNDRY_DATA_SOURCE
#define FOUNDRY_DATA_SOURCE(x)
#undef FOUNDRY_EPHEMERAL_RESOURCE
#define FOUNDRY_EPHEMERAL_RESOURCE(x) &x,
static const tf_ephemeral_resource *const foundry_cat_ephemeral[] = {
#include FOUNDRY_REGISTRY
	NULL};
#undef FOUNDRY_EPHEMERAL_RESOURCE
#define FOUNDRY_EPHEMERAL_RESOURCE(x)
#undef FOUNDRY_FUNCTION
#define FOUNDRY_FUNCTION(x) &x,
static const tf_function *const foundry_cat_functions[] = {
#include FOUNDRY_REGISTRY
	NULL};
#undef FOUNDRY_RESOURCE
#undef FOUNDRY_DATA_SOURCE
#undef FOUNDRY_EPHEMERAL_RESOURCE
#undef FOUNDRY_FUNCTION

const foundry_catalog FOUNDRY_CATALOG = {
	foundry_cat_resources, foundry_cat_data_sources, foundry_cat_ephemeral, foundry_cat_functions};

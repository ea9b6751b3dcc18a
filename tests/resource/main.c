/* The test provider: the shipped catalog plus tests/resource/registry.def. */
#include "internal/plugin/plugin.h"
#include "provider/provider.h"

#define FOUNDRY_REGISTRY "tests/resource/registry.def"
#define FOUNDRY_CATALOG foundry_test_catalog
#include "provider/catalog_expand.inc"

int main(int argc, char **argv)
{
	return plugin_serve(foundry_provider_with(&foundry_test_catalog), FOUNDRY_SOURCE_ADDRESS, argc, argv);
}

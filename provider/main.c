/* The executable: the foundry provider served over go-plugin / tfplugin6. */
#include "internal/plugin/plugin.h"
#include "provider/provider.h"

int main(int argc, char **argv)
{
	return plugin_serve(foundry_provider(), FOUNDRY_SOURCE_ADDRESS, argc, argv);
}

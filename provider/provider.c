/* Placeholder until the provider lands. */
#include "provider/provider.h"

/* The foundry provider: its configuration schema, its resources and data sources. */
#ifndef FOUNDRY_PROVIDER_PROVIDER_H
#define FOUNDRY_PROVIDER_PROVIDER_H

#include "internal/tf/tf.h"
#include "provider/catalog.h"

/* Registry address printed by -debug for TF_REATTACH_PROVIDERS; README documents the 3-part source. */
#define FOUNDRY_SOURCE_ADDRESS "registry.terraform.io/foundry-labs/foundry"

const tf_provider *foundry_provider(void);

#endif

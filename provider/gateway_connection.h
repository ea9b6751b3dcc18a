/* foundry_gateway_connection: the resource and the data source. */
#ifndef FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H
#define FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H

#include "internal/tf/tf.h"

#include <cjson/cJSON.h>

extern const tf_block foundry_gc_schema; /* resource schema */
extern const tf_resource foundry_gc_resource;
struct foundry_arm_resource;
extern const struct foundry_arm_resource foundry_gc_arm; /* the resource's ARM declaration */

/* The data source, its schema a view of the resource's, built on first use. */
const tf_data_source *foundry_gc_data_source_get(void);
/* The data source's last step (metadata as ARM holds it). */
void foundry_gc_data_finish(tf_ctx *ctx, cty_value *state, const cJSON *body);

#endif

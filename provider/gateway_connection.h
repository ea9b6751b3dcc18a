/* foundry_gateway_connection: the resource and the data source. */
#ifndef FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H
#define FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H

#include "internal/tf/tf.h"

#include <cjson/cJSON.h>

extern const tf_block foundry_gc_schema; /* resource schema */
extern const tf_resource foundry_gc_resource;
struct foundry_arm_resource;
extern const struct foundry_arm_resource foundry_gc_arm; /* the resource's ARM declaration */

/* moved {} from azapi_resource (gateway_connection_move.c). */
int foundry_gc_move(cty_value **out_state, tf_ctx *ctx, const tf_move_source *src);

extern const tf_data_source foundry_gc_data_source; /* a view of the resource's schema */
/* The data source's last step (metadata as ARM holds it). */
void foundry_gc_data_finish(tf_ctx *ctx, cty_value *state, const cJSON *body);

#endif

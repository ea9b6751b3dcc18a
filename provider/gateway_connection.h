/* foundry_gateway_connection: the resource and the data source. */
#ifndef FOUNDRY_GATEWAY_CONNECTION_H
#define FOUNDRY_GATEWAY_CONNECTION_H

#include "internal/tf/tf.h"

extern const tf_block foundry_gc_schema;       /* resource schema */
extern const tf_resource foundry_gc_resource;
extern const tf_block foundry_gc_data_schema;  /* data source schema */
extern const tf_data_source foundry_gc_data_source;

/* Validators shared by the resource and data source tables. */
void foundry_gc_validate_parent_id(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d);

/* Diagnostics for a failed ARM call: the ARM error envelope (status >= 400, `r` non-NULL) or the transport
 * error in fy_error_last() (`r` NULL). `what` is e.g. "create" and `id` the connection id. */
struct arm_result;
void foundry_gc_arm_error(tf_ctx *ctx, const char *what, const char *id, const struct arm_result *r);

#endif

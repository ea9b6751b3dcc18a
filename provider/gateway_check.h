/* data "foundry_gateway_check": probes a connection's gateway as Foundry's agents would. */
#ifndef FOUNDRY_PROVIDER_GATEWAY_CHECK_H
#define FOUNDRY_PROVIDER_GATEWAY_CHECK_H

#include "internal/tf/tf.h"

extern const tf_block foundry_gateway_check_schema;
extern const tf_data_source foundry_gateway_check;

#endif

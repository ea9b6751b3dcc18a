/* The provider's functions (provider::foundry::...), declared as a table. */
#ifndef FOUNDRY_PROVIDER_FUNCTIONS_H
#define FOUNDRY_PROVIDER_FUNCTIONS_H

#include "internal/tf/tf.h"

extern const tf_function *const foundry_functions[];

#endif

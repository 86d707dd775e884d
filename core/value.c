/* value: being written. */
#include "core_impl.h"

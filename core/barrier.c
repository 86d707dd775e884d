/* barrier: being written. */
#include "core_impl.h"

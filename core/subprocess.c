/* subprocess: being written. */
#include "core_impl.h"

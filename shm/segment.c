/* Segments: being written. */
#include "shm_impl.h"

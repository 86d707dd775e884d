/* Anonymous shared mappings: the home of par_X_create() objects. */
#include "core_impl.h"

#include <errno.h>
#include <sys/mman.h>

int par__shared_alloc(size_t size, void **out)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	*out = p;
	return 0;
}

void par__shared_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

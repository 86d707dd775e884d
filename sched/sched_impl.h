/* Internals of sched/: not installed. */
#ifndef PAR_SCHED_IMPL_H
#define PAR_SCHED_IMPL_H

#include "core_impl.h"

#include <par/topo.h>

#include <hwloc.h>

struct par_topo {
	hwloc_topology_t h;
	hwloc_bitmap_t allowed; /* PUs plans may use */
	int this_machine;
};

/* One allowed core: its allowed PUs (OS numbers, ascending), its NUMA node
 * (OS number, -1 if none) and package (logical index, -1 if none). */
struct par__core {
	int *pus;
	int npus;
	int numa;
	int package;
};

/* The allowed cores in logical (hwloc) order. 0 and *cores, *n (free with
 * par__cores_free), -ENOMEM. */
int par__topo_cores(const struct par_topo *t, struct par__core **cores, int *n);
void par__cores_free(struct par__core *cores, int n);

/* Bitmap -> ascending int list; returns the weight (may exceed max). */
int par__bitmap_list(hwloc_const_bitmap_t b, int *out, int max);

#endif /* PAR_SCHED_IMPL_H */

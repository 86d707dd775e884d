/* Topology queries, all counted over the allowed CPUs. */
#include "sched_impl.h"

#include <errno.h>
#include <stdlib.h>

static hwloc_obj_type_t hwloc_type(enum par_topo_kind kind)
{
	switch (kind) {
	case PAR_TOPO_PACKAGE:
		return HWLOC_OBJ_PACKAGE;
	case PAR_TOPO_NUMA:
		return HWLOC_OBJ_NUMANODE;
	case PAR_TOPO_CORE:
		return HWLOC_OBJ_CORE;
	case PAR_TOPO_PU:
		return HWLOC_OBJ_PU;
	}
	return HWLOC_OBJ_TYPE_MAX;
}

/* The i-th object of type whose CPUs meet the allowed set, or NULL. */
static hwloc_obj_t nth_allowed(const struct par_topo *t, hwloc_obj_type_t type, int i)
{
	hwloc_obj_t o = NULL;

	while ((o = hwloc_get_next_obj_by_type(t->h, type, o)) != NULL)
		if (o->cpuset != NULL && hwloc_bitmap_intersects(o->cpuset, t->allowed) && i-- == 0)
			return o;
	return NULL;
}

static int count_allowed(const struct par_topo *t, hwloc_obj_type_t type)
{
	int n = 0;

	while (nth_allowed(t, type, n) != NULL)
		n++;
	return n;
}

int par_topo_count(const struct par_topo *t, enum par_topo_kind kind)
{
	hwloc_obj_type_t type = hwloc_type(kind);
	if (t == NULL || type == HWLOC_OBJ_TYPE_MAX)
		return -EINVAL;
	return count_allowed(t, type);
}

int par_topo_numa_os_index(const struct par_topo *t, int node)
{
	hwloc_obj_t o = t != NULL ? nth_allowed(t, HWLOC_OBJ_NUMANODE, node) : NULL;
	return o != NULL ? (int)o->os_index : -EINVAL;
}

int64_t par_topo_numa_memory(const struct par_topo *t, int node)
{
	hwloc_obj_t o = t != NULL ? nth_allowed(t, HWLOC_OBJ_NUMANODE, node) : NULL;
	return o != NULL ? (int64_t)o->attr->numanode.local_memory : -EINVAL;
}

int par_topo_numa_cpus(const struct par_topo *t, int node, int *cpus, int max)
{
	hwloc_obj_t o = t != NULL ? nth_allowed(t, HWLOC_OBJ_NUMANODE, node) : NULL;
	if (o == NULL || (cpus == NULL && max > 0))
		return -EINVAL;
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	if (b == NULL)
		return -ENOMEM;
	hwloc_bitmap_and(b, o->cpuset, t->allowed);
	int n = par__bitmap_list(b, cpus, max);
	hwloc_bitmap_free(b);
	return n;
}

static hwloc_obj_type_t cache_type(int level)
{
	static const hwloc_obj_type_t types[] = { HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
						  HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
						  HWLOC_OBJ_L5CACHE };
	return level >= 1 && level <= 5 ? types[level - 1] : HWLOC_OBJ_TYPE_MAX;
}

int64_t par_topo_cache_size(const struct par_topo *t, int level)
{
	hwloc_obj_type_t type = cache_type(level);
	if (t == NULL || type == HWLOC_OBJ_TYPE_MAX)
		return -EINVAL;
	hwloc_obj_t o = nth_allowed(t, type, 0);
	return o != NULL ? (int64_t)o->attr->cache.size : 0;
}

int par_topo_cache_count(const struct par_topo *t, int level)
{
	hwloc_obj_type_t type = cache_type(level);
	if (t == NULL || type == HWLOC_OBJ_TYPE_MAX)
		return -EINVAL;
	return count_allowed(t, type);
}

/* The NUMA node whose CPUs include all of set, or NULL. */
static hwloc_obj_t numa_of(const struct par_topo *t, hwloc_const_bitmap_t set)
{
	hwloc_obj_t o = NULL;

	while ((o = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, o)) != NULL)
		if (hwloc_bitmap_isincluded(set, o->cpuset))
			return o;
	return NULL;
}

int par_topo_cpu_numa(const struct par_topo *t, int cpu)
{
	if (t == NULL || cpu < 0)
		return -EINVAL;
	hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t->h, (unsigned)cpu);
	if (pu == NULL)
		return -EINVAL;
	hwloc_obj_t node = numa_of(t, pu->cpuset);
	return node != NULL ? (int)node->os_index : -1;
}

static int core_fill(const struct par_topo *t, hwloc_obj_t core, struct par__core *c)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	if (b == NULL)
		return -ENOMEM;
	hwloc_bitmap_and(b, core->cpuset, t->allowed);
	c->npus = hwloc_bitmap_weight(b);
	c->pus = malloc(sizeof(int) * (size_t)c->npus);
	if (c->pus != NULL)
		par__bitmap_list(b, c->pus, c->npus);
	hwloc_bitmap_free(b);
	hwloc_obj_t node = numa_of(t, core->cpuset);
	hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, core);
	c->numa = node != NULL ? (int)node->os_index : -1;
	c->package = pkg != NULL ? (int)pkg->logical_index : -1;
	return c->pus != NULL ? 0 : -ENOMEM;
}

int par__topo_cores(const struct par_topo *t, struct par__core **cores, int *n)
{
	int total = count_allowed(t, HWLOC_OBJ_CORE);
	/* a machine that reports no cores: each PU is one */
	hwloc_obj_type_t type = total > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
	if (total == 0)
		total = count_allowed(t, HWLOC_OBJ_PU);
	if (total <= 0)
		return -EINVAL; /* no allowed CPU: a topology never loads so */
	struct par__core *c = calloc((unsigned)total, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	for (int i = 0; i < total; i++) {
		if (core_fill(t, nth_allowed(t, type, i), &c[i]) != 0) {
			par__cores_free(c, total);
			return -ENOMEM;
		}
	}
	*cores = c;
	*n = total;
	return 0;
}

void par__cores_free(struct par__core *cores, int n)
{
	for (int i = 0; cores != NULL && i < n; i++)
		free(cores[i].pus);
	free(cores);
}

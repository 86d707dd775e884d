/* Topology: load (machine, synthetic, XML) and query, over the allowed CPUs. */
#include "sched_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int par__bitmap_list(hwloc_const_bitmap_t b, int *out, int max)
{
	int n = 0;
	unsigned i;

	hwloc_bitmap_foreach_begin(i, b)
	{
		if (n < max)
			out[n] = (int)i;
		n++;
	}
	hwloc_bitmap_foreach_end();
	return n;
}

/* Finish a topology whose source is set: load it and compute allowed. */
/* Compute allowed for a loaded topology. */
static int finish_load(struct par_topo *t)
{
	t->this_machine = hwloc_topology_is_thissystem(t->h);
	t->allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->h));
	if (t->allowed == NULL)
		return -ENOMEM;
	hwloc_bitmap_and(t->allowed, t->allowed, hwloc_topology_get_topology_cpuset(t->h));
	if (t->this_machine) { /* taskset, a launcher's binding */
		hwloc_bitmap_t bound = hwloc_bitmap_alloc();
		if (bound != NULL && hwloc_get_cpubind(t->h, bound, HWLOC_CPUBIND_PROCESS) == 0 &&
		    hwloc_bitmap_intersects(bound, t->allowed))
			hwloc_bitmap_and(t->allowed, t->allowed, bound);
		hwloc_bitmap_free(bound);
	}
	return hwloc_bitmap_iszero(t->allowed) ? -EINVAL : 0;
}

/* Make a topology; set_source (may be NULL) picks synthetic or XML. */
static int load(int (*set_source)(hwloc_topology_t, const char *), const char *arg, int err_source,
		struct par_topo **out)
{
	if (out == NULL)
		return -EINVAL;
	struct par_topo *t = calloc(1, sizeof(*t));
	if (t == NULL || hwloc_topology_init(&t->h) != 0) {
		free(t);
		return -ENOMEM;
	}
	int r = 0;
	if (set_source != NULL && set_source(t->h, arg) != 0)
		r = err_source;
	if (r == 0 && hwloc_topology_load(t->h) != 0)
		r = -EINVAL;
	if (r == 0)
		r = finish_load(t);
	if (r != 0) {
		par_topo_destroy(t);
		return r;
	}
	*out = t;
	return 0;
}

/* This machine's topology, probed once per process: probing is slow (hwloc
 * moves itself onto every CPU in turn), and pools load it at each create.
 * Each par_topo_load works on its own copy; the allowed CPUs are computed
 * afresh each time, since the process's binding may have changed. */
static hwloc_topology_t machine;
static pthread_once_t machine_once = PTHREAD_ONCE_INIT;

static void machine_probe(void)
{
	hwloc_topology_t h;

	if (hwloc_topology_init(&h) != 0)
		return;
	if (hwloc_topology_load(h) != 0) {
		hwloc_topology_destroy(h);
		return;
	}
	machine = h;
}

int par_topo_load(struct par_topo **out)
{
	if (out == NULL)
		return -EINVAL;
	pthread_once(&machine_once, machine_probe);
	if (machine == NULL)
		return -EIO;
	struct par_topo *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	int r = hwloc_topology_dup(&t->h, machine) == 0 ? finish_load(t) : -ENOMEM;
	if (r != 0) {
		if (t->h == NULL) {
			free(t);
			return r;
		}
		par_topo_destroy(t);
		return r == -EINVAL ? -EIO : r;
	}
	*out = t;
	return 0;
}

int par_topo_load_synthetic(const char *desc, struct par_topo **out)
{
	if (desc == NULL)
		return -EINVAL;
	return load(hwloc_topology_set_synthetic, desc, -EINVAL, out);
}

int par_topo_load_xml(const char *path, struct par_topo **out)
{
	if (path == NULL)
		return -EINVAL;
	if (access(path, R_OK) != 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	return load(hwloc_topology_set_xml, path, -EINVAL, out);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int par_topo_load_spec(const char *spec, struct par_topo **out)
{
	if (spec == NULL || spec[0] == '\0')
		spec = getenv("PAR_TOPOLOGY");
	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "machine") == 0)
		return par_topo_load(out);
	if (ends_with(spec, ".xml") || access(spec, F_OK) == 0)
		return par_topo_load_xml(spec, out);
	return par_topo_load_synthetic(spec, out);
}

void par_topo_destroy(struct par_topo *t)
{
	if (t == NULL)
		return;
	hwloc_bitmap_free(t->allowed);
	hwloc_topology_destroy(t->h);
	free(t);
}

int par_topo_is_this_machine(const struct par_topo *t)
{
	return t != NULL && t->this_machine;
}

int par_topo_restrict(struct par_topo *t, const int *cpus, int n)
{
	if (t == NULL || (cpus == NULL && n > 0) || n < 0)
		return -EINVAL;
	hwloc_bitmap_t want = hwloc_bitmap_alloc();
	if (want == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (cpus[i] >= 0)
			hwloc_bitmap_set(want, (unsigned)cpus[i]);
	hwloc_bitmap_and(want, want, t->allowed);
	int r = hwloc_bitmap_iszero(want) ? -EINVAL : 0;
	if (r == 0)
		hwloc_bitmap_copy(t->allowed, want);
	hwloc_bitmap_free(want);
	return r;
}

int par_topo_cpus(const struct par_topo *t, int *cpus, int max)
{
	if (t == NULL || (cpus == NULL && max > 0))
		return -EINVAL;
	return par__bitmap_list(t->allowed, cpus, max);
}

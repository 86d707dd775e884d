/* Placement plans: which CPUs each worker gets under a policy (see topo.h). */
#include "sched_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct plan_worker {
	int *cpus;
	int ncpus;
	int numa;
	int package;
};

struct par_plan {
	enum par_place_policy policy;
	unsigned n;
	struct plan_worker w[];
};

static const char *const policy_names[] = { "none", "compact", "scatter", "numa" };

int par_place_policy_parse(const char *name, enum par_place_policy *out)
{
	for (int i = 0; name != NULL && out != NULL && i < 4; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum par_place_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *par_place_policy_name(enum par_place_policy p)
{
	return (unsigned)p < 4 ? policy_names[p] : "?";
}

/* ---- the order in which cores are handed out ----------------------------- */

static int cmp3(int a1, int b1, int a2, int b2, int a3, int b3)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return (a3 > b3) - (a3 < b3);
}

/* COMPACT: by NUMA node, then logical order. */
static int by_node(const void *a, const void *b, void *arg)
{
	const struct par__core *c = arg;
	int i = *(const int *)a, j = *(const int *)b;
	return cmp3(c[i].numa, c[j].numa, 0, 0, i, j);
}

/* SCATTER groups: by package, then NUMA node, then logical order. */
static int by_package_node(const void *a, const void *b, void *arg)
{
	const struct par__core *c = arg;
	int i = *(const int *)a, j = *(const int *)b;
	return cmp3(c[i].package, c[j].package, c[i].numa, c[j].numa, i, j);
}

/* Groups of cores sharing (package, node) in a sorted order: group g covers
 * sorted[start[g] .. start[g]+len[g]). Returns the number of groups. */
static int make_groups(const struct par__core *c, const int *sorted, int n, int *start, int *len)
{
	int g = -1;

	for (int k = 0; k < n; k++) {
		const struct par__core *x = &c[sorted[k]], *prev = k ? &c[sorted[k - 1]] : NULL;
		if (prev == NULL || prev->package != x->package || prev->numa != x->numa) {
			start[++g] = k;
			len[g] = 0;
		}
		len[g]++;
	}
	return g + 1;
}

/* SCATTER: round-robin over packages; within a package, round-robin over its
 * nodes, each time that node's next core. buf: 4n ints of scratch. */
static void scatter_order(const struct par__core *c, int n, int *order, int *buf)
{
	int *sorted = buf, *start = buf + n, *len = buf + 2 * n, *taken = buf + 3 * n;

	for (int i = 0; i < n; i++)
		sorted[i] = i;
	qsort_r(sorted, (size_t)n, sizeof(int), by_package_node, (void *)c);
	int groups = make_groups(c, sorted, n, start, len);
	memset(taken, 0, sizeof(int) * (size_t)groups);
	for (int emitted = 0, rr_base = 0; emitted < n;) {
		/* one round: each package (first group of each run) gives one core */
		for (int g0 = 0; g0 < groups;) {
			int g1 = g0;
			while (g1 < groups &&
			       c[sorted[start[g1]]].package == c[sorted[start[g0]]].package)
				g1++;
			for (int t = 0; t < g1 - g0; t++) {
				int g = g0 + (rr_base + t) % (g1 - g0);
				if (taken[g] < len[g]) {
					order[emitted++] = sorted[start[g] + taken[g]++];
					break;
				}
			}
			g0 = g1;
		}
		rr_base++;
	}
}

/* The PUs in hand-out order for COMPACT / SCATTER: pass p takes each core's
 * p-th allowed PU, so every core is used once before any SMT sibling. */
static int pu_order(const struct par__core *c, int ncores, const int *core_order, int *core_of,
		    int *pu_of)
{
	int n = 0, maxpus = 0;

	for (int i = 0; i < ncores; i++)
		maxpus = c[i].npus > maxpus ? c[i].npus : maxpus;
	for (int pass = 0; pass < maxpus; pass++) {
		for (int k = 0; k < ncores; k++) {
			if (c[core_order[k]].npus > pass) {
				core_of[n] = core_order[k];
				pu_of[n++] = c[core_order[k]].pus[pass];
			}
		}
	}
	return n;
}

/* ---- building plans ------------------------------------------------------ */

static struct par_plan *plan_alloc(unsigned workers, enum par_place_policy policy)
{
	struct par_plan *p = calloc(1, sizeof(*p) + workers * sizeof(struct plan_worker));
	if (p != NULL) {
		p->policy = policy;
		p->n = workers;
	}
	return p;
}

static int worker_set(struct plan_worker *w, const int *cpus, int n, int numa, int package)
{
	w->cpus = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
	if (w->cpus == NULL)
		return -ENOMEM;
	memcpy(w->cpus, cpus, sizeof(int) * (size_t)n);
	w->ncpus = n;
	w->numa = numa;
	w->package = package;
	return 0;
}

/* The cores in COMPACT or SCATTER order into order[ncores]. */
static int core_order(enum par_place_policy policy, const struct par__core *c, int ncores,
		      int *order)
{
	for (int i = 0; i < ncores; i++)
		order[i] = i;
	if (policy == PAR_PLACE_COMPACT) {
		qsort_r(order, (size_t)ncores, sizeof(int), by_node, (void *)c);
		return 0;
	}
	int *scratch = malloc(sizeof(int) * 4 * (size_t)ncores);
	if (scratch == NULL)
		return -ENOMEM;
	scatter_order(c, ncores, order, scratch);
	free(scratch);
	return 0;
}

/* COMPACT / SCATTER: one PU each, in hand-out order, wrapping around. */
static int plan_pinned(struct par_plan *p, const struct par__core *c, int ncores)
{
	int npus = 0, r = -ENOMEM;

	for (int i = 0; i < ncores; i++)
		npus += c[i].npus;
	int *order = malloc(sizeof(int) * (size_t)ncores);
	int *core_of = malloc(sizeof(int) * (size_t)npus);
	int *pu_of = malloc(sizeof(int) * (size_t)npus);
	if (order != NULL && core_of != NULL && pu_of != NULL &&
	    core_order(p->policy, c, ncores, order) == 0) {
		int n = pu_order(c, ncores, order, core_of, pu_of);
		r = 0;
		for (unsigned i = 0; i < p->n && r == 0; i++) {
			const struct par__core *k = &c[core_of[i % (unsigned)n]];
			r = worker_set(&p->w[i], &pu_of[i % (unsigned)n], 1, k->numa, k->package);
		}
	}
	free(order);
	free(core_of);
	free(pu_of);
	return r;
}

/* The package all of cpus[0..n) belong to, or -1 when they span several. */
static int package_of(const struct par__core *c, int ncores, int numa)
{
	int pkg = -2;

	for (int i = 0; i < ncores; i++) {
		if (numa != -2 && c[i].numa != numa)
			continue;
		if (pkg != -2 && pkg != c[i].package)
			return -1;
		pkg = c[i].package;
	}
	return pkg < 0 ? -1 : pkg;
}

/* NUMA: worker i on the i-th allowed node round-robin, all its allowed CPUs. */
static int plan_numa(struct par_plan *p, const struct par_topo *t, const struct par__core *c,
		     int ncores, int *cpus)
{
	int nodes = par_topo_count(t, PAR_TOPO_NUMA);

	if (nodes <= 0) /* no NUMA information: behave as NONE */
		nodes = 0;
	for (unsigned i = 0; i < p->n; i++) {
		int r, numa = -1, n;
		if (nodes > 0) {
			int node = (int)(i % (unsigned)nodes);
			numa = par_topo_numa_os_index(t, node);
			n = par_topo_numa_cpus(t, node, cpus, INT32_MAX);
		} else {
			n = par_topo_cpus(t, cpus, INT32_MAX);
		}
		r = worker_set(&p->w[i], cpus, n, numa, package_of(c, ncores, nodes ? numa : -2));
		if (r != 0)
			return r;
	}
	return 0;
}

/* NONE: every worker gets every allowed CPU. */
static int plan_none(struct par_plan *p, const struct par_topo *t, const struct par__core *c,
		     int ncores, int *cpus)
{
	int n = par_topo_cpus(t, cpus, INT32_MAX);
	int nodes = par_topo_count(t, PAR_TOPO_NUMA);
	int numa = nodes == 1 ? par_topo_numa_os_index(t, 0) : -1;

	for (unsigned i = 0; i < p->n; i++)
		if (worker_set(&p->w[i], cpus, n, numa, package_of(c, ncores, -2)) != 0)
			return -ENOMEM;
	return 0;
}

static int plan_fill(struct par_plan *p, const struct par_topo *t)
{
	struct par__core *c;
	int ncores, r = par__topo_cores(t, &c, &ncores);
	if (r != 0)
		return r;
	int *cpus = malloc(sizeof(int) * (size_t)(par_topo_cpus(t, NULL, 0) + 1));
	if (cpus == NULL)
		r = -ENOMEM;
	else if (p->policy == PAR_PLACE_COMPACT || p->policy == PAR_PLACE_SCATTER)
		r = plan_pinned(p, c, ncores);
	else if (p->policy == PAR_PLACE_NUMA)
		r = plan_numa(p, t, c, ncores, cpus);
	else
		r = plan_none(p, t, c, ncores, cpus);
	free(cpus);
	par__cores_free(c, ncores);
	return r;
}

int par_topo_plan(const struct par_topo *t, unsigned workers, enum par_place_policy policy,
		  struct par_plan **out)
{
	if (t == NULL || out == NULL || workers == 0 || (unsigned)policy > PAR_PLACE_NUMA)
		return -EINVAL;
	struct par_plan *p = plan_alloc(workers, policy);
	if (p == NULL)
		return -ENOMEM;
	int r = plan_fill(p, t);
	if (r != 0) {
		par_plan_destroy(p);
		return r;
	}
	*out = p;
	return 0;
}

void par_plan_destroy(struct par_plan *p)
{
	for (unsigned i = 0; p != NULL && i < p->n; i++)
		free(p->w[i].cpus);
	free(p);
}

unsigned par_plan_workers(const struct par_plan *p)
{
	return p != NULL ? p->n : 0;
}

enum par_place_policy par_plan_policy(const struct par_plan *p)
{
	return p != NULL ? p->policy : PAR_PLACE_NONE;
}

int par_plan_cpus(const struct par_plan *p, unsigned i, int *cpus, int max)
{
	if (p == NULL || i >= p->n || (cpus == NULL && max > 0))
		return -EINVAL;
	const struct plan_worker *w = &p->w[i];
	if (max > 0)
		memcpy(cpus, w->cpus, sizeof(int) * (size_t)(w->ncpus < max ? w->ncpus : max));
	return w->ncpus;
}

int par_plan_numa(const struct par_plan *p, unsigned i)
{
	return p != NULL && i < p->n ? p->w[i].numa : -EINVAL;
}

int par_plan_package(const struct par_plan *p, unsigned i)
{
	return p != NULL && i < p->n ? p->w[i].package : -EINVAL;
}

int par_plan_apply(const struct par_plan *p, unsigned i)
{
	if (p == NULL || i >= p->n)
		return -EINVAL;
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int k = 0; k < p->w[i].ncpus; k++) {
		if (p->w[i].cpus[k] >= CPU_SETSIZE)
			return -EINVAL;
		CPU_SET(p->w[i].cpus[k], &set);
	}
	return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

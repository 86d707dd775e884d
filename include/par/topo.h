/*
 * par/topo.h — the machine's topology (hwloc) and placement plans: which CPUs
 * each of N workers should run on.
 *
 * A topology comes from this machine, from a synthetic description (hwloc's
 * syntax, e.g. "package:2 numa:2 core:8 pu:2"), or from an hwloc XML file, so
 * every placement rule can be tried on machines one does not have. Tools take
 * the choice from --topology or the PAR_TOPOLOGY environment variable, both
 * read with par_topo_load_spec().
 *
 * Numbers: CPUs are PU (hardware thread) OS numbers, as taskset and
 * sched_setaffinity use; NUMA nodes are OS node numbers, as numactl uses.
 *
 * Allowed CPUs: for this machine, the intersection of what the cgroup permits
 * and the process's affinity mask (taskset, a job launcher's binding); for a
 * synthetic or XML topology, all of its PUs. par_topo_restrict() narrows it
 * further. Plans only ever use allowed CPUs, and NUMA nodes or cores with no
 * allowed CPU do not count.
 *
 * Policies (par_topo_plan):
 *  - PAR_PLACE_COMPACT: workers fill one NUMA node's cores before the next
 *    node's (nodes in OS order), one PU per worker.
 *  - PAR_PLACE_SCATTER: workers go round-robin over packages, and within each
 *    package over its NUMA nodes, taking each node's next core: neighbours in
 *    worker order land as far apart as the machine allows. One PU per worker.
 *  - PAR_PLACE_NUMA: workers spread evenly over the NUMA nodes (worker i on the
 *    i-th node in round-robin order), each allowed to run on every allowed CPU
 *    of its node.
 *  - PAR_PLACE_NONE: no pinning: every worker gets all allowed CPUs.
 * For COMPACT and SCATTER every physical core gets one worker before any SMT
 * sibling is used (the first pass takes each core's first allowed PU, the next
 * pass each core's second, and so on). With more workers than allowed PUs the
 * plan wraps around: worker i shares the CPU of worker i - (allowed PUs).
 *
 * Handles are not thread-safe; plans are immutable once made.
 */
#ifndef PAR_TOPO_H
#define PAR_TOPO_H

#include <par/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct par_topo;
struct par_plan;

/* This machine. 0, -ENOMEM, -EIO (hwloc could not read the machine). */
PAR_API int par_topo_load(struct par_topo **out);

/* A synthetic machine from hwloc's description syntax. -EINVAL when hwloc
 * rejects the description. */
PAR_API int par_topo_load_synthetic(const char *desc, struct par_topo **out);

/* A machine saved as hwloc XML (lstopo --of xml). -ENOENT, -EINVAL. */
PAR_API int par_topo_load_xml(const char *path, struct par_topo **out);

/* What tools accept: NULL or "" -> the PAR_TOPOLOGY environment variable if
 * set, else this machine; "machine" -> this machine; a string naming an
 * existing file (or ending in ".xml") -> XML; anything else -> synthetic. */
PAR_API int par_topo_load_spec(const char *spec, struct par_topo **out);

PAR_API void par_topo_destroy(struct par_topo *t);

/* 1 when this is the machine we run on (so plans can be applied), else 0. */
PAR_API int par_topo_is_this_machine(const struct par_topo *t);

/* Objects counted over the allowed CPUs (see the overview). */
enum par_topo_kind {
	PAR_TOPO_PACKAGE,
	PAR_TOPO_NUMA,
	PAR_TOPO_CORE,
	PAR_TOPO_PU,
};

/* How many allowed objects of this kind. -EINVAL for a bad kind. */
PAR_API int par_topo_count(const struct par_topo *t, enum par_topo_kind kind);

/* Allowed CPUs, ascending, into cpus[0..max); returns how many there are in
 * all (may exceed max: then only max were written). */
PAR_API int par_topo_cpus(const struct par_topo *t, int *cpus, int max);

/* NUMA node by index 0..count-1 (allowed nodes, in OS order): its OS number,
 * its memory in bytes, and its allowed CPUs (as par_topo_cpus). */
PAR_API int par_topo_numa_os_index(const struct par_topo *t, int node);
PAR_API int64_t par_topo_numa_memory(const struct par_topo *t, int node);
PAR_API int par_topo_numa_cpus(const struct par_topo *t, int node, int *cpus, int max);

/* Cache of level 1..5 (data or unified): size in bytes of one such cache, and
 * how many there are over the allowed CPUs; 0 when the machine has none at
 * that level. */
PAR_API int64_t par_topo_cache_size(const struct par_topo *t, int level);
PAR_API int par_topo_cache_count(const struct par_topo *t, int level);

/* The NUMA node (OS number) a CPU belongs to, -1 if none, -EINVAL. */
PAR_API int par_topo_cpu_numa(const struct par_topo *t, int cpu);

/* Narrow the allowed CPUs to cpus[0..n) (intersected with what is allowed
 * now). -EINVAL when the result would be empty. */
PAR_API int par_topo_restrict(struct par_topo *t, const int *cpus, int n);

/* ---- placement plans ---------------------------------------------------- */

enum par_place_policy {
	PAR_PLACE_NONE,
	PAR_PLACE_COMPACT,
	PAR_PLACE_SCATTER,
	PAR_PLACE_NUMA,
};

/* Policy by name ("none", "compact", "scatter", "numa"); -EINVAL otherwise. */
PAR_API int par_place_policy_parse(const char *name, enum par_place_policy *out);
PAR_API const char *par_place_policy_name(enum par_place_policy p);

/* Plan workers (>= 1) under policy. 0, -EINVAL, -ENOMEM. The plan does not
 * refer to the topology afterwards. */
PAR_API int par_topo_plan(const struct par_topo *t, unsigned workers, enum par_place_policy policy,
			  struct par_plan **out);
PAR_API void par_plan_destroy(struct par_plan *p);

PAR_API unsigned par_plan_workers(const struct par_plan *p);
PAR_API enum par_place_policy par_plan_policy(const struct par_plan *p);

/* Worker i's CPUs (ascending, as par_topo_cpus), its NUMA node (OS number;
 * -1 when its CPUs span several nodes, as with PAR_PLACE_NONE on a NUMA
 * machine) and its package (logical index; -1 likewise). -EINVAL for i out of
 * range. */
PAR_API int par_plan_cpus(const struct par_plan *p, unsigned i, int *cpus, int max);
PAR_API int par_plan_numa(const struct par_plan *p, unsigned i);
PAR_API int par_plan_package(const struct par_plan *p, unsigned i);

/* Pin the calling thread to worker i's CPUs (sched_setaffinity). -EINVAL,
 * or the kernel's error (e.g. -EINVAL for CPUs this machine lacks). */
PAR_API int par_plan_apply(const struct par_plan *p, unsigned i);

#ifdef __cplusplus
}
#endif

#endif /* PAR_TOPO_H */

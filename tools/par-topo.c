/* par-topo: print the machine's topology and a placement plan.
 *
 *   par-topo [--topology SPEC] [--workers N] [--policy compact|scatter|numa|none] [--json]
 *
 * SPEC as par_topo_load_spec (default: $PAR_TOPOLOGY, else this machine):
 * "machine", an hwloc XML file, or a synthetic description such as
 * "package:2 numa:2 core:8 pu:2". Without --workers the plan has one worker
 * per allowed core. */
#include <par/topo.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct args {
	const char *topology;
	unsigned workers;
	enum par_place_policy policy;
	int json;
};

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: par-topo [--topology SPEC] [--workers N] "
		   "[--policy compact|scatter|numa|none] [--json]\n");
	return rc;
}

/* 0 on success, else the exit code. */
static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = { { "topology", required_argument, NULL, 't' },
					      { "workers", required_argument, NULL, 'w' },
					      { "policy", required_argument, NULL, 'p' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	char *end;
	int c;

	*a = (struct args){ .policy = PAR_PLACE_COMPACT };
	while ((c = getopt_long(argc, argv, "t:w:p:jh", opts, NULL)) != -1) {
		if (c == 't') {
			a->topology = optarg;
		} else if (c == 'w') {
			long n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 1 << 20) {
				fprintf(stderr, "par-topo: --workers wants a number >= 1\n");
				return 2;
			}
			a->workers = (unsigned)n;
		} else if (c == 'p') {
			if (par_place_policy_parse(optarg, &a->policy) != 0) {
				fprintf(stderr, "par-topo: unknown policy '%s'\n", optarg);
				return 2;
			}
		} else if (c == 'j') {
			a->json = 1;
		} else {
			return usage(c == 'h' ? stdout : stderr, c == 'h' ? 1 : 2);
		}
	}
	return optind < argc ? usage(stderr, 2) : 0;
}

/* "0-3,8,10-11" */
static void print_cpus(FILE *f, const int *cpus, int n)
{
	for (int i = 0; i < n;) {
		int j = i;
		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		fprintf(f, "%s%d", i ? "," : "", cpus[i]);
		if (j > i)
			fprintf(f, "-%d", cpus[j]);
		i = j + 1;
	}
}

static void print_json_list(FILE *f, const int *cpus, int n)
{
	fputc('[', f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%d", i ? ", " : "", cpus[i]);
	fputc(']', f);
}

static int *cpu_buffer(const struct par_topo *t)
{
	return malloc(sizeof(int) * (size_t)(par_topo_cpus(t, NULL, 0) + 1));
}

static void table(const struct par_topo *t, const struct par_plan *p, int *cpus)
{
	int nodes = par_topo_count(t, PAR_TOPO_NUMA);

	printf("topology: %d package(s), %d NUMA node(s), %d core(s), %d PU(s)%s\n",
	       par_topo_count(t, PAR_TOPO_PACKAGE), nodes, par_topo_count(t, PAR_TOPO_CORE),
	       par_topo_count(t, PAR_TOPO_PU),
	       par_topo_is_this_machine(t) ? " (this machine)" : "");
	for (int level = 1; level <= 5; level++)
		if (par_topo_cache_count(t, level) > 0)
			printf("  L%d cache: %d x %lld KiB\n", level,
			       par_topo_cache_count(t, level),
			       (long long)par_topo_cache_size(t, level) / 1024);
	for (int i = 0; i < nodes; i++) {
		int n = par_topo_numa_cpus(t, i, cpus, INT32_MAX);
		printf("  NUMA node %d: %lld MiB, cpus ", par_topo_numa_os_index(t, i),
		       (long long)par_topo_numa_memory(t, i) >> 20);
		print_cpus(stdout, cpus, n);
		putchar('\n');
	}
	printf("plan: %u worker(s), policy %s\n", par_plan_workers(p),
	       par_place_policy_name(par_plan_policy(p)));
	printf("  %6s %9s %7s  %s\n", "worker", "numa_node", "package", "cpus");
	for (unsigned i = 0; i < par_plan_workers(p); i++) {
		int n = par_plan_cpus(p, i, cpus, INT32_MAX);
		printf("  %6u %9d %7d  ", i, par_plan_numa(p, i), par_plan_package(p, i));
		print_cpus(stdout, cpus, n);
		putchar('\n');
	}
}

static void json(const struct par_topo *t, const struct par_plan *p, int *cpus)
{
	int nodes = par_topo_count(t, PAR_TOPO_NUMA);

	printf("{\n  \"topology\": {\"packages\": %d, \"numa_nodes\": %d, \"cores\": %d, "
	       "\"pus\": %d, \"this_machine\": %s, \"nodes\": [",
	       par_topo_count(t, PAR_TOPO_PACKAGE), nodes, par_topo_count(t, PAR_TOPO_CORE),
	       par_topo_count(t, PAR_TOPO_PU), par_topo_is_this_machine(t) ? "true" : "false");
	for (int i = 0; i < nodes; i++) {
		int n = par_topo_numa_cpus(t, i, cpus, INT32_MAX);
		printf("%s\n    {\"os_index\": %d, \"memory\": %lld, \"cpus\": ", i ? "," : "",
		       par_topo_numa_os_index(t, i), (long long)par_topo_numa_memory(t, i));
		print_json_list(stdout, cpus, n);
		putchar('}');
	}
	printf("]},\n  \"policy\": \"%s\",\n  \"workers\": [",
	       par_place_policy_name(par_plan_policy(p)));
	for (unsigned i = 0; i < par_plan_workers(p); i++) {
		int n = par_plan_cpus(p, i, cpus, INT32_MAX);
		printf("%s\n    {\"index\": %u, \"numa_node\": %d, \"package\": %d, \"cpus\": ",
		       i ? "," : "", i, par_plan_numa(p, i), par_plan_package(p, i));
		print_json_list(stdout, cpus, n);
		putchar('}');
	}
	printf("\n  ]\n}\n");
}

int main(int argc, char **argv)
{
	struct par_topo *t = NULL;
	struct par_plan *p = NULL;
	struct args a;
	int r = parse(argc, argv, &a);

	if (r != 0)
		return r == 1 ? 0 : r;
	if ((r = par_topo_load_spec(a.topology, &t)) != 0) {
		fprintf(stderr, "par-topo: cannot load topology: %s\n", par_strerror(r));
		return 1;
	}
	unsigned workers = a.workers ? a.workers : (unsigned)par_topo_count(t, PAR_TOPO_CORE);
	int *cpus = cpu_buffer(t);
	if (cpus == NULL || (r = par_topo_plan(t, workers, a.policy, &p)) != 0) {
		fprintf(stderr, "par-topo: cannot plan: %s\n", par_strerror(cpus ? r : -ENOMEM));
		par_topo_destroy(t);
		free(cpus);
		return 1;
	}
	(a.json ? json : table)(t, p, cpus);
	par_plan_destroy(p);
	par_topo_destroy(t);
	free(cpus);
	return 0;
}

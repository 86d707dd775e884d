/* What machine a run measured: CPU model, kernel, topology summary. */
#include "scale_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The value of the first /proc/cpuinfo line starting with one of the keys
 * ("model name" on x86, "Model" / "CPU part" elsewhere). */
static void cpu_model(char *buf, size_t cap)
{
	static const char *const keys[] = { "model name", "Model", "cpu model", "Processor" };
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, cap, "unknown");
	if (f == NULL)
		return;
	for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		rewind(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');
			if (strncmp(line, keys[k], strlen(keys[k])) != 0 || colon == NULL)
				continue;
			colon += strspn(colon + 1, " \t") + 1;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, cap, "%s", colon);
			fclose(f);
			return;
		}
	}
	fclose(f);
}

/* "0-3,8,10-11" */
static void cpu_list(const int *cpus, int n, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap;) {
		int j = i;
		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		int k = j > i ? snprintf(buf + len, cap - len, "%s%d-%d", i ? "," : "", cpus[i],
					 cpus[j])
			      : snprintf(buf + len, cap - len, "%s%d", i ? "," : "", cpus[i]);
		len += k > 0 ? (size_t)k : 0;
		i = j + 1;
	}
}

static void topology(const struct par_topo *t, struct par_scale_machine *m)
{
	int n = par_topo_cpus(t, NULL, 0);
	int *cpus = n > 0 ? malloc(sizeof(int) * (size_t)n) : NULL;

	m->packages = par_topo_count(t, PAR_TOPO_PACKAGE);
	m->numa_nodes = par_topo_count(t, PAR_TOPO_NUMA);
	m->cores = par_topo_count(t, PAR_TOPO_CORE);
	m->pus = par_topo_count(t, PAR_TOPO_PU);
	m->this_machine = par_topo_is_this_machine(t);
	snprintf(m->topology, sizeof(m->topology),
		 "%d package%s, %d NUMA node%s, %d core%s, %d PU%s%s", m->packages,
		 m->packages == 1 ? "" : "s", m->numa_nodes, m->numa_nodes == 1 ? "" : "s",
		 m->cores, m->cores == 1 ? "" : "s", m->pus, m->pus == 1 ? "" : "s",
		 m->this_machine ? "" : " (not this machine)");
	if (cpus != NULL) {
		cpu_list(cpus, par_topo_cpus(t, cpus, n), m->cpus, sizeof(m->cpus));
		free(cpus);
	}
}

int par_scale_machine_get(const char *spec, struct par_scale_machine *out)
{
	struct par_topo *t = NULL;
	struct utsname u;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	cpu_model(out->cpu_model, sizeof(out->cpu_model));
	if (uname(&u) == 0)
		snprintf(out->kernel, sizeof(out->kernel), "%.20s %.80s %.20s", u.sysname,
			 u.release, u.machine);
	if (gethostname(out->hostname, sizeof(out->hostname) - 1) != 0)
		snprintf(out->hostname, sizeof(out->hostname), "unknown");
	int e = par_topo_load_spec(spec, &t);
	if (e != 0)
		return e;
	topology(t, out);
	par_topo_destroy(t);
	return 0;
}

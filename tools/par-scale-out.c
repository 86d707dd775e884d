/* par-scale: the table, JSON and CSV. */
#include "par-scale.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* 3 significant digits with k, M, G, T. */
static const char *si(double v, char *buf, size_t cap)
{
	static const char *const sfx[] = { "", "k", "M", "G", "T" };
	unsigned i = 0;

	while (v >= 999.5 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, cap, v >= 99.95 ? "%.0f %s" : v >= 9.995 ? "%.1f %s" : "%.2f %s", v, sfx[i]);
	return buf;
}

/* Seconds as "812 us", "3.20 ms", "1.25 s". */
static const char *dur(double s, char *buf, size_t cap)
{
	if (s < 999.5e-6)
		snprintf(buf, cap, "%.0f us", s * 1e6);
	else if (s < 0.9995)
		snprintf(buf, cap, "%.3g ms", s * 1e3);
	else
		snprintf(buf, cap, "%.3g s", s);
	return buf;
}

void scale_header(FILE *f, const struct scale_args *a, const struct par_scale_machine *m)
{
	fprintf(f, "par-scale %s: %u workload(s) x %u mode(s) x workers", par_version(), a->nw,
		a->nm);
	for (unsigned i = 0; i < a->nk; i++)
		fprintf(f, "%s%u", i ? "," : " ", a->workers[i]);
	fprintf(f, "; %u reps, size %s, policy %s\n", a->o.reps, a->size_name,
		par_place_policy_name(a->o.policy));
	fprintf(f, "machine: %s; %s; %s\n", m->cpu_model, m->kernel, m->hostname);
	fprintf(f, "topology: %s; allowed cpus %s\n", m->topology, m->cpus);
}

static void row(FILE *f, const struct par_scale_point *p)
{
	char tp[32], st[32], tr[32], wk[32];
	int py = par_scale_mode_is_python(p->mode);

	if (p->status != 0) {
		fprintf(f, "  %-17s %7u  %s: %s\n", par_scale_mode_name(p->mode), p->workers,
			p->status == -ENOENT ? "skipped" : "FAILED", p->note);
		return;
	}
	fprintf(f, "  %-16s%c %7u  %9s/s %6.1f%% %7.2f %6.0f%%  %9s %9s %9s\n",
		par_scale_mode_name(p->mode), py ? '*' : ' ', p->workers,
		si(p->throughput.median, tp, sizeof(tp)), p->spread * 100, p->speedup,
		p->efficiency * 100, dur(p->startup.median, st, sizeof(st)),
		dur(p->transfer.median, tr, sizeof(tr)), dur(p->work.median, wk, sizeof(wk)));
}

/* After a workload's rows: what the python rows ran, if any ran. */
static void python_note(FILE *f, const struct par_scale_point *p, size_t n)
{
	uint64_t par = 0, py = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].status != 0)
			continue;
		if (par_scale_mode_is_python(p[i].mode))
			py = p[i].units;
		else
			par = p[i].units;
	}
	if (py == 0)
		return;
	fprintf(f, "  * python ran %" PRIu64 " %s per point", py,
		par_scale_workload_unit(p[0].workload));
	if (par > 0)
		fprintf(f, " (1/%.0f of par's %" PRIu64 ")", (double)par / (double)py, par);
	fprintf(f, ": the same algorithm, so throughput is per unit of the same work\n");
}

void scale_table(FILE *f, const struct par_scale_point *p, size_t n)
{
	for (size_t i = 0, j; i < n; i = j) {
		const struct par_scale_workload *w = p[i].workload;
		for (j = i; j < n && p[j].workload == w; j++)
			;
		fprintf(f, "\n%s: %s; throughput in %s/s\n", par_scale_workload_name(w),
			par_scale_workload_about(w), par_scale_workload_unit(w));
		fprintf(f, "  %-17s %7s  %11s %7s %7s %7s  %9s %9s %9s\n", "mode", "workers",
			"throughput", "spread", "speedup", "effic.", "startup", "transfer", "work");
		for (size_t k = i; k < j; k++)
			row(f, &p[k]);
		python_note(f, p + i, j - i);
	}
	fprintf(f, "\nthroughput: median of the repetitions (units per second of work); spread: "
		   "(max - min) / median;\nspeedup over 1 worker of the same mode; startup: pool "
		   "creation + first task on every worker;\ntransfer: a round of empty tasks "
		   "(dispatch cost); work: first worker start to last worker end.\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_machine(FILE *f, const struct par_scale_machine *m)
{
	fprintf(f, "  \"machine\": {\"cpu_model\": ");
	json_str(f, m->cpu_model);
	fprintf(f, ", \"kernel\": ");
	json_str(f, m->kernel);
	fprintf(f, ", \"hostname\": ");
	json_str(f, m->hostname);
	fprintf(f, ",\n    \"topology\": ");
	json_str(f, m->topology);
	fprintf(f, ", \"cpus\": ");
	json_str(f, m->cpus);
	fprintf(f,
		", \"packages\": %d, \"numa_nodes\": %d, \"cores\": %d, \"pus\": %d, "
		"\"this_machine\": %s},\n",
		m->packages, m->numa_nodes, m->cores, m->pus, m->this_machine ? "true" : "false");
}

static void json_settings(FILE *f, const struct scale_args *a)
{
	fprintf(f, "  \"settings\": {\"size\": ");
	json_str(f, a->size_name);
	fprintf(f, ", \"reps\": %u, \"policy\": \"%s\", \"gil_interval_s\": %.6g, \"python\": ",
		a->o.reps, par_place_policy_name(a->o.policy), (double)a->o.gil_interval_ns / 1e9);
	json_str(f, a->o.python);
	fprintf(f, "},\n");
}

static void json_stat(FILE *f, const char *name, const struct par_scale_stat *s)
{
	fprintf(f, "\"%s\": %.6g, \"%s_min\": %.6g, \"%s_max\": %.6g", name, s->median, name,
		s->min, name, s->max);
}

static void json_row(FILE *f, const struct par_scale_point *p)
{
	fprintf(f, "    {\"workload\": \"%s\", \"mode\": \"%s\", \"workers\": %u, ",
		par_scale_workload_name(p->workload), par_scale_mode_name(p->mode), p->workers);
	fprintf(f, "\"runtime\": ");
	json_str(f, p->runtime);
	fprintf(f,
		", \"unit\": \"%s\", \"units\": %" PRIu64 ", \"checksum\": %" PRIu64
		", \"reps\": %u,\n     \"throughput\": %.6g, \"throughput_min\": %.6g, "
		"\"throughput_max\": %.6g, \"spread\": %.6g, \"speedup\": %.6g, "
		"\"efficiency\": %.6g",
		par_scale_workload_unit(p->workload), p->units, p->checksum, p->reps,
		p->throughput.median, p->throughput.min, p->throughput.max, p->spread, p->speedup,
		p->efficiency);
	fprintf(f, ",\n     ");
	json_stat(f, "startup_s", &p->startup);
	fprintf(f, ", ");
	json_stat(f, "transfer_s", &p->transfer);
	fprintf(f, ",\n     ");
	json_stat(f, "work_s", &p->work);
	fprintf(f, ",\n     \"rep_work_s\": [");
	for (unsigned i = 0; i < p->reps; i++)
		fprintf(f, "%s%.6g", i ? ", " : "", p->rep[i].work_s);
	fprintf(f, "], \"gil_switches\": %" PRIu64 "}", p->rep[0].gil_switches);
}

static void json_skipped(FILE *f, const struct par_scale_point *p)
{
	fprintf(f,
		"    {\"workload\": \"%s\", \"mode\": \"%s\", \"workers\": %u, \"status\": \"%s\", "
		"\"note\": ",
		par_scale_workload_name(p->workload), par_scale_mode_name(p->mode), p->workers,
		p->status == -ENOENT ? "skipped" : "failed");
	json_str(f, p->note);
	fputc('}', f);
}

static int close_file(FILE *f, const char *path)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "par-scale: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int scale_write_json(const char *path, const struct scale_args *a,
		     const struct par_scale_machine *m, const struct par_scale_point *p, size_t n)
{
	FILE *f = fopen(path, "w");
	int first = 1;

	if (f == NULL) {
		fprintf(stderr, "par-scale: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"tool\": \"par-scale\", \"version\": \"%s\",\n", par_version());
	json_machine(f, m);
	json_settings(f, a);
	fprintf(f, "  \"results\": [");
	for (size_t i = 0; i < n; i++)
		if (p[i].status == 0) {
			fprintf(f, "%s\n", first ? "" : ",");
			json_row(f, &p[i]);
			first = 0;
		}
	fprintf(f, "\n  ],\n  \"skipped\": [");
	first = 1;
	for (size_t i = 0; i < n; i++)
		if (p[i].status != 0) {
			fprintf(f, "%s\n", first ? "" : ",");
			json_skipped(f, &p[i]);
			first = 0;
		}
	fprintf(f, "\n  ]\n}\n");
	return close_file(f, path);
}

int scale_write_csv(const char *path, const struct par_scale_point *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "par-scale: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "workload,mode,workers,runtime,unit,units,reps,throughput,throughput_min,"
		   "throughput_max,spread,speedup,efficiency,startup_s,transfer_s,work_s\n");
	for (size_t i = 0; i < n; i++) {
		const struct par_scale_point *q = &p[i];
		if (q->status != 0)
			continue;
		fprintf(f,
			"%s,%s,%u,%s,%s,%" PRIu64
			",%u,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
			par_scale_workload_name(q->workload), par_scale_mode_name(q->mode),
			q->workers, q->runtime, par_scale_workload_unit(q->workload), q->units,
			q->reps, q->throughput.median, q->throughput.min, q->throughput.max,
			q->spread, q->speedup, q->efficiency, q->startup.median, q->transfer.median,
			q->work.median);
	}
	return close_file(f, path);
}

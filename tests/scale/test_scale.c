/* scale/: workload and mode names, a tiny point in every mode, statistics and
 * speedups, Python output parsing, the machine report (the GIL: test_gil.c).
 * No case asserts on speed. */
#include "par_test.h"

#include <par/scale.h>

static const char *const workload_names[] = { "compute", "memory", "queue", "counter",
					      "counter-local" };
#define NWORKLOADS (sizeof(workload_names) / sizeof(workload_names[0]))

static void names(void **state)
{
	enum par_scale_mode m;
	enum par_scale_size s;

	(void)state;
	for (unsigned i = 0; i < NWORKLOADS; i++) {
		const struct par_scale_workload *w = par_scale_workload_find(workload_names[i]);
		assert_non_null(w);
		assert_ptr_equal(par_scale_workload_at(i), w);
		assert_string_equal(par_scale_workload_name(w), workload_names[i]);
		assert_true(strlen(par_scale_workload_unit(w)) > 0);
		assert_true(strlen(par_scale_workload_about(w)) > 0);
		uint64_t tiny = par_scale_workload_units(w, PAR_SCALE_TINY);
		assert_true(tiny > 0 && tiny < par_scale_workload_units(w, PAR_SCALE_DEFAULT));
		assert_int_equal(par_scale_workload_round(w, tiny), tiny);
		assert_true(par_scale_workload_round(w, 1) > 0);
		assert_true(par_scale_workload_python_units(w, tiny) > 0);
	}
	assert_null(par_scale_workload_at(NWORKLOADS));
	assert_null(par_scale_workload_find("nonsense"));
	assert_null(par_scale_workload_find(NULL));
	for (unsigned i = 0; i < PAR_SCALE_MODES; i++) {
		assert_int_equal(par_scale_mode_parse(par_scale_mode_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_true(par_scale_mode_is_python(PAR_SCALE_PYTHON_THREADS));
	assert_false(par_scale_mode_is_python(PAR_SCALE_THREADS_GIL));
	assert_int_equal(par_scale_mode_parse("fibers", &m), -EINVAL);
	assert_int_equal(par_scale_size_parse("large", &s), 0);
	assert_int_equal(s, PAR_SCALE_LARGE);
	assert_int_equal(par_scale_size_parse("huge", &s), -EINVAL);
}

/* ---- points ---------------------------------------------------------------------- */

static void tiny_opts(struct par_scale_opts *o)
{
	par_scale_opts_init(o);
	o->preset = PAR_SCALE_TINY;
	o->reps = 2;
	o->timeout_ns = 60 * PAR_TEST_SEC;
	o->python_script = PAR_SCALE_SCRIPT;
}

static void check_point(const struct par_scale_point *p, const struct par_scale_workload *w,
			uint64_t units)
{
	uint64_t want;

	assert_int_equal(p->reps, 2);
	assert_int_equal(p->units, units);
	for (unsigned r = 0; r < p->reps; r++) {
		assert_int_equal(p->rep[r].units, units);
		assert_true(p->rep[r].work_s > 0);
		assert_true(p->rep[r].startup_s > 0);
		assert_true(p->rep[r].transfer_s > 0);
		assert_int_equal(p->rep[r].checksum, p->checksum);
	}
	if (par_scale_workload_expect(w, units, &want) == 0)
		assert_int_equal(p->checksum, want);
	assert_true(p->throughput.median > 0);
	assert_true(p->throughput.min <= p->throughput.median);
	assert_true(p->throughput.median <= p->throughput.max);
	assert_true(p->spread >= 0);
}

/* Every workload at 1, 2 and 3 workers (3: a queue pair plus a worker
 * that is its own pair) in one par mode. */
static void tiny_par_mode(enum par_scale_mode mode)
{
	struct par_scale_opts o;
	struct par_scale_point p;

	tiny_opts(&o);
	for (unsigned i = 0; i < NWORKLOADS; i++) {
		const struct par_scale_workload *w = par_scale_workload_at(i);
		uint64_t units = par_scale_workload_units(w, PAR_SCALE_TINY);
		for (unsigned k = 1; k <= 3; k++) {
			int r = par_scale_run(w, mode, k, &o, &p);
			if (r != 0)
				fprintf(stderr, "%s %s x%u: %s (%s)\n", workload_names[i],
					par_scale_mode_name(mode), k, par_strerror(r), p.note);
			assert_int_equal(r, 0);
			assert_int_equal(p.status, 0);
			assert_int_equal(p.workers, k);
			assert_int_equal(p.mode, mode);
			assert_ptr_equal(p.workload, w);
			assert_string_equal(p.note, "");
			check_point(&p, w, units);
		}
	}
}

static void tiny_threads(void **state)
{
	(void)state;
	tiny_par_mode(PAR_SCALE_THREADS);
}

static void tiny_processes(void **state)
{
	(void)state;
	tiny_par_mode(PAR_SCALE_PROCESSES);
}

static void tiny_threads_gil(void **state)
{
	(void)state;
	tiny_par_mode(PAR_SCALE_THREADS_GIL);
}

/* python3 runs scale.py; its units and checksums are checked against par's
 * algorithms inside par_scale_run (-EPROTO otherwise). */
static void tiny_python(enum par_scale_mode mode)
{
	struct par_scale_opts o;
	struct par_scale_point p;

	tiny_opts(&o);
	for (unsigned i = 0; i < NWORKLOADS; i++) {
		const struct par_scale_workload *w = par_scale_workload_at(i);
		uint64_t units = par_scale_workload_python_units(
			w, par_scale_workload_units(w, PAR_SCALE_TINY));
		for (unsigned k = 1; k <= 2; k++) {
			int r = par_scale_run(w, mode, k, &o, &p);
			if (r == -ENOENT)
				skip();
			if (r != 0)
				fprintf(stderr, "%s: %s\n", par_strerror(r), p.note);
			assert_int_equal(r, 0);
			assert_int_equal(strncmp(p.runtime, "python ", 7), 0);
			check_point(&p, w, units);
		}
	}
}

static void tiny_python_threads(void **state)
{
	(void)state;
	tiny_python(PAR_SCALE_PYTHON_THREADS);
}

static void tiny_python_processes(void **state)
{
	(void)state;
	tiny_python(PAR_SCALE_PYTHON_PROCESSES);
}

/* The same hashes whatever the split: every mode and worker count agrees. */
static void compute_checksum_agrees(void **state)
{
	const struct par_scale_workload *w = par_scale_workload_find("compute");
	struct par_scale_opts o;
	struct par_scale_point p;
	uint64_t want;

	(void)state;
	tiny_opts(&o);
	o.units = 5 * 4096;
	o.reps = 1;
	assert_int_equal(par_scale_workload_expect(w, o.units, &want), 0);
	for (int m = PAR_SCALE_THREADS; m <= PAR_SCALE_THREADS_GIL; m++)
		for (unsigned k = 1; k <= 4; k++) {
			assert_int_equal(par_scale_run(w, m, k, &o, &p), 0);
			assert_int_equal(p.checksum, want);
		}
	assert_int_equal(par_scale_workload_expect(w, 1ull << 30, &want), -ENOSYS);
}

static void bad_arguments(void **state)
{
	const struct par_scale_workload *w = par_scale_workload_find("compute");
	struct par_scale_opts o;
	struct par_scale_point p;

	(void)state;
	tiny_opts(&o);
	assert_int_equal(par_scale_run(w, PAR_SCALE_THREADS, 0, &o, &p), -EINVAL);
	assert_int_equal(par_scale_run(NULL, PAR_SCALE_THREADS, 1, &o, &p), -EINVAL);
	assert_int_equal(par_scale_run(w, (enum par_scale_mode)9, 1, &o, &p), -EINVAL);
	o.reps = 0;
	assert_int_equal(par_scale_run(w, PAR_SCALE_THREADS, 1, &o, &p), -EINVAL);
	o.reps = PAR_SCALE_MAX_REPS + 1;
	assert_int_equal(par_scale_run(w, PAR_SCALE_THREADS, 1, &o, &p), -EINVAL);
	tiny_opts(&o);
	o.gil_interval_ns = 0;
	assert_int_equal(par_scale_run(w, PAR_SCALE_THREADS_GIL, 1, &o, &p), -EINVAL);
}

/* No interpreter, or no script: skipped with a note, not failed. */
static void python_absent(void **state)
{
	const struct par_scale_workload *w = par_scale_workload_find("compute");
	struct par_scale_opts o;
	struct par_scale_point p;

	(void)state;
	tiny_opts(&o);
	o.python = "/nonexistent/python3";
	assert_int_equal(par_scale_run(w, PAR_SCALE_PYTHON_THREADS, 1, &o, &p), -ENOENT);
	assert_int_equal(p.status, -ENOENT);
	assert_non_null(strstr(p.note, "not found"));
	tiny_opts(&o);
	o.python_script = NULL;
	assert_int_equal(par_scale_run(w, PAR_SCALE_PYTHON_PROCESSES, 1, &o, &p), -ENOENT);
	assert_non_null(strstr(p.note, "scale.py"));
}

/* The script's text instead of its path: run with python3 -c. */
static void python_code(void **state)
{
	const struct par_scale_workload *w = par_scale_workload_find("queue");
	struct par_scale_opts o;
	struct par_scale_point p;
	FILE *f = fopen(PAR_SCALE_SCRIPT, "r");
	static char code[1 << 16];

	(void)state;
	assert_non_null(f);
	size_t n = fread(code, 1, sizeof(code) - 1, f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(code) - 1);
	code[n] = '\0';
	tiny_opts(&o);
	o.python_script = NULL;
	o.python_code = code;
	int r = par_scale_run(w, PAR_SCALE_PYTHON_PROCESSES, 2, &o, &p);
	if (r == -ENOENT)
		skip();
	assert_int_equal(r, 0);
	check_point(
		&p, w,
		par_scale_workload_python_units(w, par_scale_workload_units(w, PAR_SCALE_TINY)));
}

/* ---- statistics ------------------------------------------------------------------ */

static void stats(void **state)
{
	struct par_scale_stat s;
	const double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_int_equal(par_scale_stat_of(odd, 3, &s), 0);
	assert_true(s.median == 2 && s.min == 1 && s.max == 3);
	assert_true(odd[0] == 3); /* not sorted in place */
	assert_int_equal(par_scale_stat_of(even, 4, &s), 0);
	assert_true(s.median == 2.5 && s.min == 1 && s.max == 4);
	assert_int_equal(par_scale_stat_of(one, 1, &s), 0);
	assert_true(s.median == 7 && s.min == 7 && s.max == 7);
	assert_int_equal(par_scale_stat_of(odd, 0, &s), -EINVAL);
}

static void speedups(void **state)
{
	const struct par_scale_workload *w = par_scale_workload_find("compute");
	struct par_scale_point p[4];

	(void)state;
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 4; i++)
		p[i].workload = w;
	p[0].workers = 2, p[0].throughput.median = 180;
	p[1].workers = 1, p[1].throughput.median = 100;
	p[2].workers = 4, p[2].throughput.median = 300, p[2].mode = PAR_SCALE_PROCESSES;
	p[3].workers = 4, p[3].throughput.median = 300, p[3].status = -ENOENT;
	par_scale_speedups(p, 4);
	assert_true(p[0].speedup > 1.799 && p[0].speedup < 1.801);
	assert_true(p[0].efficiency > 0.899 && p[0].efficiency < 0.901);
	assert_true(p[1].speedup == 1 && p[1].efficiency == 1);
	assert_true(p[2].speedup == 0); /* no 1-worker point of its mode */
	assert_true(p[3].speedup == 0);
}

/* ---- Python output --------------------------------------------------------------- */

static const char canned[] =
	"{\"workload\": \"compute\", \"mode\": \"threads\", \"workers\": 2, \"units\": 1000,\n"
	" \"python\": \"3.11.7\", \"extra\": {\"nested\": [1, 2.5e3, null, true, \"x\\\"y\"]},\n"
	" \"reps\": [{\"startup\": 0.01, \"transfer\": 0.001, \"work\": 1.0, \"units\": 1000,"
	" \"checksum\": 18446744073709551615},\n"
	"  {\"startup\": 0.03, \"transfer\": 0.002, \"work\": 2.0, \"units\": 1000, \"checksum\": "
	"5},"
	"  {\"startup\": 0.02, \"transfer\": 0.003, \"work\": 0.5, \"units\": 1000, \"checksum\": "
	"5,"
	" \"later\": \"field\"}]}\n";

static void python_parse(void **state)
{
	struct par_scale_point p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.workload = par_scale_workload_find("compute");
	p.workers = 2;
	assert_int_equal(par_scale_python_parse(canned, strlen(canned), &p), 0);
	assert_string_equal(p.runtime, "python 3.11.7");
	assert_int_equal(p.units, 1000);
	assert_int_equal(p.reps, 3);
	assert_true(p.checksum == UINT64_MAX);
	assert_true(p.rep[1].startup_s == 0.03 && p.rep[2].transfer_s == 0.003);
	/* throughputs 1000, 500, 2000 units/s */
	assert_true(p.throughput.median == 1000 && p.throughput.min == 500);
	assert_true(p.throughput.max == 2000 && p.spread == 1.5);
	assert_true(p.work.median == 1.0 && p.startup.median == 0.02);
	assert_true(p.transfer.median == 0.002);
}

static void python_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"units\": 5}",				/* no reps */
		"{\"reps\": []}",				/* no reps */
		"{\"reps\": [{\"work\": 1.0, \"units\": -1}]}", /* negative */
		"{\"reps\": [{\"work\": 1.0}",			/* cut short */
		"{\"workload\": \"queue\", \"reps\": [{\"work\": 1.0}]}",
		"{\"workers\": 3, \"reps\": [{\"work\": 1.0}]}",
	};
	struct par_scale_point p;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.workload = par_scale_workload_find("compute");
		p.workers = 2;
		assert_int_equal(par_scale_python_parse(bad[i], strlen(bad[i]), &p), -EPROTO);
	}
	assert_int_equal(par_scale_python_parse(NULL, 0, &p), -EINVAL);
}

/* ---- the machine ------------------------------------------------------------------ */

static void machine(void **state)
{
	struct par_scale_machine m;

	(void)state;
	assert_int_equal(par_scale_machine_get("machine", &m), 0);
	assert_true(strlen(m.cpu_model) > 0);
	assert_true(strlen(m.kernel) > 0);
	assert_true(strlen(m.hostname) > 0);
	assert_true(strlen(m.topology) > 0);
	assert_true(strlen(m.cpus) > 0);
	assert_true(m.cores >= 1 && m.pus >= m.cores && m.packages >= 1 && m.numa_nodes >= 1);
	assert_int_equal(m.this_machine, 1);

	assert_int_equal(par_scale_machine_get("package:2 core:3 pu:2", &m), 0);
	assert_int_equal(m.packages, 2);
	assert_int_equal(m.cores, 6);
	assert_int_equal(m.pus, 12);
	assert_int_equal(m.this_machine, 0);
	assert_string_equal(m.cpus, "0-11");
	assert_non_null(strstr(m.topology, "2 packages"));
	assert_int_equal(par_scale_machine_get("nonsense:3 x", &m), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(names),
	cmocka_unit_test(tiny_threads),
	cmocka_unit_test(tiny_processes),
	cmocka_unit_test(tiny_threads_gil),
	cmocka_unit_test(tiny_python_threads),
	cmocka_unit_test(tiny_python_processes),
	cmocka_unit_test(compute_checksum_agrees),
	cmocka_unit_test(bad_arguments),
	cmocka_unit_test(python_absent),
	cmocka_unit_test(python_code),
	cmocka_unit_test(stats),
	cmocka_unit_test(speedups),
	cmocka_unit_test(python_parse),
	cmocka_unit_test(python_parse_refuses),
	cmocka_unit_test(machine),
};

PAR_TEST_MAIN(tests)

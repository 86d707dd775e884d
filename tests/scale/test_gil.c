/* The emulated GIL (threads only, so ThreadSanitizer runs it too): exclusive,
 * handed over at the switch interval, and under threads-gil a run still gives
 * the right result. No case asserts on speed. */
#include "par_test.h"

#include <par/scale.h>

#include <pthread.h>
#include <stdatomic.h>

/* ---- the GIL ------------------------------------------------------------------- */

struct gil_party {
	struct par_scale_gil *g;
	atomic_int *holders;
	atomic_int *violations;
	int turns; /* times this thread got the lock */
};

static void spin_us(int us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/* ~50 ms of work in 10 us slices, checking the GIL after each. */
static void *gil_thread(void *arg)
{
	struct gil_party *p = arg;

	par_scale_gil_acquire(p->g);
	p->turns = 1;
	for (int i = 0; i < 5000; i++) {
		if (atomic_fetch_add(p->holders, 1) != 0)
			atomic_fetch_add(p->violations, 1);
		spin_us(10);
		atomic_fetch_sub(p->holders, 1);
		p->turns += par_scale_gil_check(p->g);
	}
	par_scale_gil_release(p->g);
	return NULL;
}

static void gil_handoff(void **state)
{
	struct par_scale_gil *g;
	atomic_int holders = 0, violations = 0;
	struct gil_party p[2];
	pthread_t t[2];

	(void)state;
	assert_int_equal(par_scale_gil_create(0, &g), -EINVAL);
	assert_int_equal(par_scale_gil_create(PAR_TEST_MS, &g), 0);
	for (int i = 0; i < 2; i++) {
		p[i] = (struct gil_party){ g, &holders, &violations, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, gil_thread, &p[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&violations), 0);
	/* Both progressed, taking turns: each got the lock several times. */
	assert_true(p[0].turns >= 3);
	assert_true(p[1].turns >= 3);
	assert_true(par_scale_gil_switches(g) >= 4);
	/* Alone, a check never switches. */
	par_scale_gil_acquire(g);
	assert_int_equal(par_scale_gil_check(g), 0);
	par_scale_gil_release(g);
	par_scale_gil_destroy(g);
}

/* With a 0.1 ms interval and ~20 ms of hashing in two threads, the emulated
 * GIL is handed over, and the result is still right. */
static void gil_switches_in_a_run(void **state)
{
	struct par_scale_opts o;
	struct par_scale_point p;
	uint64_t switches = 0;

	(void)state;
	par_scale_opts_init(&o);
	o.reps = 2;
	o.timeout_ns = 60 * PAR_TEST_SEC;
	o.units = 1u << 22;
	o.gil_interval_ns = 100 * 1000;
	assert_int_equal(
		par_scale_run(par_scale_workload_find("compute"), PAR_SCALE_THREADS_GIL, 2, &o, &p),
		0);
	for (unsigned r = 0; r < p.reps; r++)
		switches += p.rep[r].gil_switches;
	assert_true(switches > 0);
	assert_int_equal(p.rep[0].checksum, p.rep[1].checksum);
}

/* Every workload under threads-gil with 2 and 3 workers: right results
 * (checked inside par_scale_run) with the GIL handed around. */
static void gil_every_workload(void **state)
{
	struct par_scale_opts o;
	struct par_scale_point p;

	(void)state;
	par_scale_opts_init(&o);
	o.preset = PAR_SCALE_TINY;
	o.reps = 1;
	o.timeout_ns = 60 * PAR_TEST_SEC;
	o.gil_interval_ns = 50 * 1000;
	for (unsigned i = 0; par_scale_workload_at(i) != NULL; i++)
		for (unsigned k = 2; k <= 3; k++) {
			int r = par_scale_run(par_scale_workload_at(i), PAR_SCALE_THREADS_GIL, k,
					      &o, &p);
			if (r != 0)
				fprintf(stderr, "%s x%u: %s\n", par_scale_workload_name(p.workload),
					k, p.note);
			assert_int_equal(r, 0);
			assert_int_equal(p.rep[0].units, p.units);
		}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(gil_handoff),
	cmocka_unit_test(gil_switches_in_a_run),
	cmocka_unit_test(gil_every_workload),
};

PAR_TEST_MAIN(tests)

/* Value: initial value, load/store, locked add, compound updates through its
 * lock, and exact totals from several forked processes. */
#include "par_test.h"

#include <par/sync.h>

struct val_mem {
	_Alignas(4096) unsigned char pad[64];
	unsigned char mem[256];
};

static struct val_mem vm;

static void create_load_store_add(void **state)
{
	struct par_value *v;
	int64_t x = 0;

	(void)state;
	assert_int_equal(par_value_create(42, &v), 0);
	assert_int_equal(par_value_load(v), 42);
	par_value_store(v, -7);
	assert_int_equal(par_value_load(v), -7);
	assert_int_equal(par_value_add(v, 5, &x), 0);
	assert_int_equal(x, -2);
	assert_int_equal(par_value_add(v, 0, NULL), 0);
	assert_int_equal(par_value_load(v), -2);
	assert_int_equal(par_value_add(v, -INT64_C(1000000000000), &x), 0);
	assert_int_equal(x, -INT64_C(1000000000002));
	assert_int_equal(par_value_destroy(v), 0);
}

static void init_in_caller_memory(void **state)
{
	struct par_value *v;
	int64_t x = 0;

	(void)state;
	assert_int_equal(par_value_memsize() % PAR_SYNC_ALIGN, 0);
	assert_true(par_value_memsize() <= sizeof(vm.mem));
	assert_int_equal(par_value_init(vm.mem, INT64_MAX, &v), 0);
	assert_ptr_equal(v, vm.mem);
	assert_int_equal(par_value_load(v), INT64_MAX);
	assert_int_equal(par_value_add(v, 1, &x), 0); /* wraps, no overflow trap */
	assert_int_equal(x, INT64_MIN);
	assert_int_equal(par_value_fini(v), 0);
	assert_int_equal(par_value_add(v, 1, &x), -EINVAL);
}

static void bad_arguments(void **state)
{
	struct par_value *v;

	(void)state;
	assert_int_equal(par_value_init(NULL, 0, &v), -EINVAL);
	assert_int_equal(par_value_init(vm.mem + 8, 0, &v), -EINVAL);
	assert_int_equal(par_value_init(vm.mem, 0, NULL), -EINVAL);
	assert_int_equal(par_value_create(0, NULL), -EINVAL);
	assert_int_equal(par_value_add(NULL, 1, NULL), -EINVAL);
	assert_int_equal(par_value_fini(NULL), -EINVAL);
	assert_int_equal(par_value_destroy(NULL), -EINVAL);
	assert_null(par_value_lock(NULL));
	assert_int_equal(par_value_load(NULL), 0);
	par_value_store(NULL, 1); /* ignored */
	memset(vm.mem, 0, sizeof(vm.mem));
	v = (struct par_value *)vm.mem;
	assert_int_equal(par_value_add(v, 1, NULL), -EINVAL);
	assert_null(par_value_lock(v));
	assert_int_equal(par_value_init(vm.mem, 3, &v), 0);
	assert_int_equal(par_value_destroy(v), -EINVAL); /* not a mapping of its own */
	assert_int_equal(par_value_fini(v), 0);
}

static void fini_and_destroy_busy_while_locked(void **state)
{
	struct par_value *v;

	(void)state;
	assert_int_equal(par_value_init(vm.mem, 1, &v), 0);
	struct par_lock *l = par_value_lock(v);
	assert_non_null(l);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_value_fini(v), -EBUSY);
	assert_int_equal(par_value_load(v), 1); /* still a value */
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_value_fini(v), 0);

	assert_int_equal(par_value_create(1, &v), 0);
	assert_int_equal(par_lock_acquire(par_value_lock(v), 0), 0);
	assert_int_equal(par_value_destroy(v), -EBUSY);
	assert_int_equal(par_lock_release(par_value_lock(v)), 0);
	assert_int_equal(par_value_destroy(v), 0);
}

#define MILLION 1000000

static int add_a_million(void *arg)
{
	for (int i = 0; i < MILLION; i++)
		if (par_value_add(arg, 1, NULL) != 0)
			return 1;
	return 0;
}

static void two_processes_add_a_million_each(void **state)
{
	struct par_value *v;
	pid_t kids[2];

	(void)state;
	assert_int_equal(par_value_create(0, &v), 0);
	for (int i = 0; i < 2; i++)
		kids[i] = par_test_fork(add_a_million, v);
	for (int i = 0; i < 2; i++)
		par_test_reap_code(kids[i], 50 * PAR_TEST_SEC, 0);
	assert_int_equal(par_value_load(v), 2 * MILLION);
	assert_int_equal(par_value_destroy(v), 0);
}

#define COMPOUND 20000

/* Adds 3 by load and store: only the lock keeps concurrent updates (these and
 * par_value_add's) from being lost. */
static int compound_updates(void *arg)
{
	struct par_value *v = arg;
	struct par_lock *l = par_value_lock(v);

	for (int i = 0; i < COMPOUND; i++) {
		if (par_lock_acquire(l, 10 * PAR_TEST_SEC) != 0)
			return 1;
		int64_t x = par_value_load(v);
		if (i % 128 == 0)
			par_sleep_ns(0);
		par_value_store(v, x + 3);
		if (par_lock_release(l) != 0)
			return 2;
	}
	return 0;
}

static int add_ones(void *arg)
{
	for (int i = 0; i < COMPOUND; i++)
		if (par_value_add(arg, 1, NULL) != 0)
			return 1;
	return 0;
}

static void lock_accessor_guards_compound_updates(void **state)
{
	struct par_value *v;
	pid_t kids[3];

	(void)state;
	assert_int_equal(par_value_create(0, &v), 0);
	kids[0] = par_test_fork(compound_updates, v);
	kids[1] = par_test_fork(compound_updates, v);
	kids[2] = par_test_fork(add_ones, v);
	for (int i = 0; i < 3; i++)
		par_test_reap_code(kids[i], 50 * PAR_TEST_SEC, 0);
	assert_int_equal(par_value_load(v), 2 * 3 * COMPOUND + COMPOUND);
	assert_int_equal(par_value_destroy(v), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(create_load_store_add),
	cmocka_unit_test(init_in_caller_memory),
	cmocka_unit_test(bad_arguments),
	cmocka_unit_test(fini_and_destroy_busy_while_locked),
	cmocka_unit_test(two_processes_add_a_million_each),
	cmocka_unit_test(lock_accessor_guards_compound_updates),
};

PAR_TEST_MAIN(tests)

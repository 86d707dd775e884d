/* The "balance" program: two workers each add n to a shared balance and take
 * it away again, 1,000,000 times. Without a lock, updates are lost; with one,
 * the balance ends at exactly 0. Shown with threads and with processes.
 *
 * Python:  balance = balance + n; balance = balance - n   (with and without
 *          lock.acquire()/lock.release() around it)
 *
 * The unlocked version reads with one atomic load and writes with a separate
 * atomic store, so the lost updates are real and visible without undefined
 * behaviour: another worker's store between the two is overwritten.
 */
#include <par/process.h>
#include <par/sync.h>

#include <stdint.h>
#include <stdio.h>

#define ROUNDS 1000000

struct job {
	struct par_value *balance;
	int64_t n;
	int locked;
};

static void change_it(struct par_value *balance, int64_t n)
{
	par_value_store(balance, par_value_load(balance) + n);
	par_value_store(balance, par_value_load(balance) - n);
}

static int run_job(void *arg)
{
	struct job *j = arg;
	struct par_lock *lock = par_value_lock(j->balance);

	for (int i = 0; i < ROUNDS; i++) {
		if (j->locked && par_lock_acquire(lock, PAR_FOREVER) < 0)
			return 1;
		change_it(j->balance, j->n);
		if (j->locked)
			par_lock_release(lock);
	}
	return 0;
}

/* Two workers (threads or processes) on one balance; returns the end value. */
static int64_t run(int processes, int locked)
{
	struct par_value *balance;
	struct job jobs[2];

	if (par_value_create(0, &balance) < 0)
		return INT64_MIN;
	for (int i = 0; i < 2; i++)
		jobs[i] = (struct job){ .balance = balance, .n = i == 0 ? 5 : 8, .locked = locked };
	if (processes) {
		struct par_process *p[2];
		for (int i = 0; i < 2; i++)
			par_process_start(run_job, &jobs[i], NULL, &p[i]);
		for (int i = 0; i < 2; i++) {
			par_process_join(p[i], PAR_FOREVER, NULL);
			par_process_destroy(p[i]);
		}
	} else {
		struct par_thread *t[2];
		for (int i = 0; i < 2; i++)
			par_thread_start(run_job, &jobs[i], NULL, &t[i]);
		for (int i = 0; i < 2; i++) {
			par_thread_join(t[i], PAR_FOREVER, NULL);
			par_thread_destroy(t[i]);
		}
	}
	int64_t end = par_value_load(balance);
	par_value_destroy(balance);
	return end;
}

int main(void)
{
	int bad = 0;

	for (int processes = 0; processes <= 1; processes++) {
		const char *kind = processes ? "processes" : "threads";
		int64_t racy = run(processes, 0);
		int64_t safe = run(processes, 1);
		printf("%-9s without lock: balance = %lld%s\n", kind, (long long)racy,
		       racy != 0 ? "   (updates were lost)" : "   (no overlap this time)");
		printf("%-9s with lock:    balance = %lld\n", kind, (long long)safe);
		bad |= safe != 0;
	}
	return bad;
}

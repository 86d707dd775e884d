/* One measured point in a par mode: per repetition a fresh Pool, a start-up
 * round, a transfer round of empty tasks, the work round and a teardown
 * round, each one task per worker behind a barrier. */
#include "scale_impl.h"

#include <par/pool.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_SETUP, PH_EMPTY, PH_WORK, PH_TEARDOWN };

/* A task's argument: the same size in every round. */
struct task_arg {
	struct par__scale_run *run;
	uint32_t phase;
	uint32_t chunk;
};

static int do_phase(struct par__scale_run *r, const struct task_arg *a, unsigned worker,
		    struct par__scale_done *d)
{
	const struct par_scale_workload *w = r->w;
	int e = 0;

	switch (a->phase) {
	case PH_SETUP:
		return w->setup != NULL ? w->setup(r, worker) : 0;
	case PH_TEARDOWN:
		if (w->teardown != NULL)
			w->teardown(r, worker);
		return 0;
	case PH_WORK:
		d->t0 = par_now_ns();
		if (r->gil != NULL)
			par_scale_gil_acquire(r->gil);
		e = w->work(r, a->chunk, worker, d);
		if (r->gil != NULL)
			par_scale_gil_release(r->gil);
		d->t1 = par_now_ns();
		return e;
	default:
		return 0;
	}
}

static int task(const void *arg, size_t len, struct par_task_out *out)
{
	struct par__scale_done d = { 0 };
	struct par_self_info self;
	struct task_arg a;

	if (len != sizeof(a) || par_self(&self) != 0)
		return -EINVAL;
	memcpy(&a, arg, sizeof(a));
	struct par__scale_run *r = a.run;
	/* Each worker holds its task here until all have one: one task each. */
	int e = par_barrier_wait(r->bar, r->wait_ns);
	if (e < 0)
		return e;
	e = do_phase(r, &a, self.worker, &d);
	if (e != 0)
		return e;
	return par_task_out_set(out, &d, sizeof(d));
}

/* One task per worker; the results into done[] (may be NULL). */
static int round_trip(struct par_pool *pool, struct par__scale_run *r, enum phase ph,
		      struct par__scale_done *done)
{
	struct par_future **f = calloc(r->workers, sizeof(*f));
	unsigned n = 0;
	int err = f != NULL ? 0 : -ENOMEM;

	for (; n < r->workers && err == 0; n++) {
		struct task_arg a = { .run = r, .phase = ph, .chunk = n };
		err = par_pool_submit(pool, task, &a, sizeof(a), &f[n]);
	}
	/* Tasks already queued wait for parties that will never come. */
	if (err != 0)
		par_barrier_abort(r->bar);
	for (unsigned i = 0; i < n; i++) {
		if (f[i] == NULL)
			continue;
		int e = par_future_wait(f[i], r->wait_ns);
		if (e == 0)
			e = par_future_status(f[i]);
		size_t len = 0;
		const void *res = e == 0 ? par_future_result(f[i], &len) : NULL;
		if (e == 0 && (res == NULL || len != sizeof(*done)))
			e = -EPROTO;
		if (e == 0 && done != NULL)
			memcpy(&done[i], res, sizeof(*done));
		if (err == 0)
			err = e;
		par_future_destroy(f[i]);
	}
	free(f);
	return err;
}

static int make_pool(struct par__scale_run *r, enum par_scale_mode mode,
		     const struct par_scale_opts *o, struct par_pool **out)
{
	struct par_pool_opts po;

	par_pool_opts_init(&po);
	po.kind = mode == PAR_SCALE_PROCESSES ? PAR_POOL_PROCESSES : PAR_POOL_THREADS;
	po.workers = r->workers;
	po.policy = o->policy;
	po.topology = o->topology;
	po.arg_max = 256;
	po.result_max = 256;
	po.queue_capacity = 64;
	return par_pool_create(&po, out);
}

/* The work round's span, units and checksum. */
static int work_round(struct par_pool *pool, struct par__scale_run *r, struct par_scale_rep *rep)
{
	struct par__scale_done *done = calloc(r->workers, sizeof(*done));
	int e = done != NULL ? round_trip(pool, r, PH_WORK, done) : -ENOMEM;

	if (e != 0) {
		free(done);
		return e;
	}
	int64_t t0 = done[0].t0, t1 = done[0].t1;
	for (unsigned i = 0; i < r->workers; i++) {
		t0 = done[i].t0 < t0 ? done[i].t0 : t0;
		t1 = done[i].t1 > t1 ? done[i].t1 : t1;
		rep->units += done[i].units;
		rep->checksum += done[i].checksum;
	}
	rep->work_s = (double)(t1 - t0) / 1e9;
	free(done);
	if (r->w->verify != NULL)
		e = r->w->verify(r, &rep->checksum);
	return e;
}

/* Pool start-up, transfer, work, teardown; the pool is gone afterwards. */
static int pool_rounds(struct par__scale_run *r, enum par_scale_mode mode,
		       const struct par_scale_opts *o, struct par_scale_rep *rep)
{
	struct par_pool *pool = NULL;
	int64_t t = par_now_ns();
	int e = make_pool(r, mode, o, &pool);

	if (e != 0)
		return e;
	e = round_trip(pool, r, PH_SETUP, NULL);
	rep->startup_s = (double)(par_now_ns() - t) / 1e9;
	if (e == 0) {
		t = par_now_ns();
		e = round_trip(pool, r, PH_EMPTY, NULL);
		rep->transfer_s = (double)(par_now_ns() - t) / 1e9;
	}
	if (e == 0)
		e = work_round(pool, r, rep);
	if (e != -ETIMEDOUT) {
		int e2 = round_trip(pool, r, PH_TEARDOWN, NULL);
		e = e != 0 ? e : e2;
	}
	par_pool_close(pool);
	if (par_pool_join(pool, r->wait_ns) != 0 && e == 0)
		e = -ETIMEDOUT;
	par_pool_destroy(pool);
	return e;
}

static int one_rep(struct par__scale_run *r, enum par_scale_mode mode,
		   const struct par_scale_opts *o, struct par_scale_rep *rep)
{
	int e = 0;

	*rep = (struct par_scale_rep){ 0 };
	memset(r->local, 0, r->workers * sizeof(r->local[0]));
	r->shared = NULL;
	if (mode == PAR_SCALE_THREADS_GIL)
		e = par_scale_gil_create(o->gil_interval_ns, &r->gil);
	if (e == 0 && r->w->prepare != NULL)
		e = r->w->prepare(r);
	if (e == 0)
		e = pool_rounds(r, mode, o, rep);
	if (r->gil != NULL)
		rep->gil_switches = par_scale_gil_switches(r->gil);
	if (r->w->release != NULL)
		r->w->release(r);
	par_scale_gil_destroy(r->gil);
	r->gil = NULL;
	return e;
}

static void progress(const struct par_scale_opts *o, const struct par_scale_point *p, unsigned rep)
{
	struct par_scale_progress pr = { .point = 0,
					 .points = 1,
					 .rep = rep,
					 .reps = p->reps,
					 .workload = p->workload->name,
					 .mode = p->mode,
					 .workers = p->workers };

	if (o->progress != NULL)
		o->progress(o->progress_arg, &pr);
}

/* Every repetition's units and checksum must be the expected ones. */
static int check_reps(struct par_scale_point *p)
{
	uint64_t want = 0;
	int known = par_scale_workload_expect(p->workload, p->units, &want) == 0;

	for (unsigned i = 0; i < p->reps; i++) {
		const struct par_scale_rep *rp = &p->rep[i];
		if (rp->units != p->units || rp->checksum != (known ? want : p->rep[0].checksum)) {
			snprintf(p->note, sizeof(p->note),
				 "wrong result: %llu units (want %llu), checksum %llu",
				 (unsigned long long)rp->units, (unsigned long long)p->units,
				 (unsigned long long)rp->checksum);
			return -EPROTO;
		}
	}
	p->checksum = p->rep[0].checksum;
	return 0;
}

static int par_mode(struct par__scale_run *r, enum par_scale_mode mode,
		    const struct par_scale_opts *o, struct par_scale_point *p)
{
	int e = par_barrier_create(r->workers, &r->bar);

	for (unsigned i = 0; e == 0 && i < p->reps; i++) {
		progress(o, p, i);
		e = one_rep(r, mode, o, &p->rep[i]);
		if (e != 0)
			snprintf(p->note, sizeof(p->note), "repetition %u: %s", i + 1,
				 par_strerror(e));
	}
	if (r->bar != NULL)
		par_barrier_destroy(r->bar);
	if (e == 0)
		e = check_reps(p);
	if (e == 0)
		par__scale_summarise(p);
	return e;
}

static void point_init(struct par_scale_point *p, const struct par_scale_workload *w,
		       enum par_scale_mode mode, unsigned workers, const struct par_scale_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->workload = w;
	p->mode = mode;
	p->workers = workers;
	p->reps = o->reps;
	p->units = par_scale_workload_round(w, o->units ? o->units : w->sizes[o->preset]);
	snprintf(p->runtime, sizeof(p->runtime), "par %s", par_version());
}

int par_scale_run(const struct par_scale_workload *w, enum par_scale_mode mode, unsigned workers,
		  const struct par_scale_opts *opts, struct par_scale_point *out)
{
	struct par_scale_opts o;

	if (w == NULL || out == NULL || workers < 1 || workers > PAR_BARRIER_MAX_PARTIES ||
	    (unsigned)mode >= PAR_SCALE_MODES || par__scale_resolve(opts, &o) != 0)
		return out != NULL ? (out->status = -EINVAL) : -EINVAL;
	point_init(out, w, mode, workers, &o);
	if (par_scale_mode_is_python(mode))
		return out->status = par__scale_python(w, mode, workers, &o, out);
	struct par__scale_run r = { .w = w,
				    .workers = workers,
				    .units = out->units,
				    .wait_ns = o.timeout_ns,
				    .local = calloc(workers, sizeof(void *)) };
	out->status = r.local != NULL ? par_mode(&r, mode, &o, out) : -ENOMEM;
	free(r.local);
	return out->status;
}

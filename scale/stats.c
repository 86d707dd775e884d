/* Medians and spreads, speedups, and the sweep over points. */
#include "scale_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int par_scale_stat_of(const double *v, unsigned n, struct par_scale_stat *out)
{
	double s[PAR_SCALE_MAX_REPS];

	if (v == NULL || out == NULL || n == 0)
		return -EINVAL;
	double *buf = n <= PAR_SCALE_MAX_REPS ? s : malloc(n * sizeof(double));
	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, v, n * sizeof(double));
	qsort(buf, n, sizeof(double), cmp_double);
	out->min = buf[0];
	out->max = buf[n - 1];
	out->median = n % 2 ? buf[n / 2] : (buf[n / 2 - 1] + buf[n / 2]) / 2;
	if (buf != s)
		free(buf);
	return 0;
}

void par__scale_summarise(struct par_scale_point *p)
{
	double st[PAR_SCALE_MAX_REPS], tr[PAR_SCALE_MAX_REPS], wk[PAR_SCALE_MAX_REPS],
		tp[PAR_SCALE_MAX_REPS];

	for (unsigned i = 0; i < p->reps; i++) {
		const struct par_scale_rep *r = &p->rep[i];
		double work = r->work_s > 1e-9 ? r->work_s : 1e-9;
		st[i] = r->startup_s;
		tr[i] = r->transfer_s;
		wk[i] = r->work_s;
		tp[i] = (double)r->units / work;
	}
	par_scale_stat_of(st, p->reps, &p->startup);
	par_scale_stat_of(tr, p->reps, &p->transfer);
	par_scale_stat_of(wk, p->reps, &p->work);
	par_scale_stat_of(tp, p->reps, &p->throughput);
	p->spread = p->throughput.median > 0
			    ? (p->throughput.max - p->throughput.min) / p->throughput.median
			    : 0;
}

void par_scale_speedups(struct par_scale_point *pts, size_t n)
{
	for (size_t i = 0; pts != NULL && i < n; i++) {
		struct par_scale_point *p = &pts[i];
		p->speedup = p->efficiency = 0;
		if (p->status != 0)
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct par_scale_point *b = &pts[j];
			if (b->status == 0 && b->workers == 1 && b->workload == p->workload &&
			    b->mode == p->mode && b->throughput.median > 0) {
				p->speedup = p->throughput.median / b->throughput.median;
				p->efficiency = p->speedup / p->workers;
				break;
			}
		}
	}
}

/* The sweep's progress callback adds the point's place. */
struct sweep_progress {
	par_scale_progress_fn fn;
	void *arg;
	size_t point, points;
};

static void sweep_progress_fn(void *arg, const struct par_scale_progress *p)
{
	struct sweep_progress *sp = arg;
	struct par_scale_progress q = *p;

	q.point = sp->point;
	q.points = sp->points;
	sp->fn(sp->arg, &q);
}

int par_scale_sweep(const struct par_scale_workload *const *w, unsigned nw,
		    const enum par_scale_mode *modes, unsigned nm, const unsigned *workers,
		    unsigned nk, const struct par_scale_opts *opts, struct par_scale_point **out)
{
	struct par_scale_opts o;

	if (w == NULL || modes == NULL || workers == NULL || out == NULL || nw * nm * nk == 0 ||
	    par__scale_resolve(opts, &o) != 0)
		return -EINVAL;
	size_t n = (size_t)nw * nm * nk;
	struct par_scale_point *pts = calloc(n, sizeof(*pts));
	if (pts == NULL)
		return -ENOMEM;
	struct sweep_progress sp = { .fn = o.progress, .arg = o.progress_arg, .points = n };
	if (o.progress != NULL) {
		o.progress = sweep_progress_fn;
		o.progress_arg = &sp;
	}
	for (size_t i = 0; i < n; i++) {
		sp.point = i;
		par_scale_run(w[i / ((size_t)nm * nk)], modes[i / nk % nm], workers[i % nk], &o,
			      &pts[i]);
	}
	par_scale_speedups(pts, n);
	*out = pts;
	return 0;
}

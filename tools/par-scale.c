/* par-scale: how work scales over 1..N workers as par threads, par processes,
 * threads under an emulated GIL, and Python's threading and multiprocessing.
 *
 *   par-scale [-w compute,queue] [-m all] [-n 1-8] [-r 3] [-s default]
 *             [--json F] [--csv F] [--plot F.png] ...   (par-scale --help)
 *
 * Every capability is in the library (par/scale.h); this file parses, shows a
 * progress line on a terminal, prints the table and writes the files. */
#include "par-scale.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* "[ 3/20] compute threads-gil x2 rep 2/3" over itself on stderr. */
static void progress(void *arg, const struct par_scale_progress *p)
{
	(void)arg;
	fprintf(stderr, "\r\033[K[%zu/%zu] %s %s x%u", p->point + 1, p->points, p->workload,
		par_scale_mode_name(p->mode), p->workers);
	if (!par_scale_mode_is_python(p->mode))
		fprintf(stderr, " rep %u/%u", p->rep + 1, p->reps);
	fflush(stderr);
}

/* 1 when any point failed (a skipped python point is no failure). */
static int report_failures(const struct par_scale_point *p, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].status != 0 && p[i].status != -ENOENT) {
			fprintf(stderr, "par-scale: %s %s x%u failed: %s\n",
				par_scale_workload_name(p[i].workload),
				par_scale_mode_name(p[i].mode), p[i].workers,
				p[i].note[0] ? p[i].note : par_strerror(p[i].status));
			failed = 1;
		}
	return failed;
}

/* The skipped python rows' reason, once. */
static void report_skips(const struct par_scale_point *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].status == -ENOENT) {
			fprintf(stderr, "par-scale: note: %s\n", p[i].note);
			return;
		}
}

static int outputs(const struct scale_args *a, const struct par_scale_machine *m,
		   const struct par_scale_point *p, size_t n)
{
	int rc = 0;

	if (a->json != NULL && scale_write_json(a->json, a, m, p, n) != 0)
		rc = 1;
	if (a->csv != NULL && scale_write_csv(a->csv, p, n) != 0)
		rc = 1;
	if (a->plot != NULL) {
		int r = scale_plot(a->plot, a, p, n);
		if (r < 0)
			rc = 1;
		else if (r == 0 && !a->quiet)
			printf("plot: %s\n", a->plot);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct par_scale_machine m;
	struct par_scale_point *pts = NULL;
	struct scale_args a;
	int r = scale_parse(argc, argv, &a);

	if (r != 0)
		return r < 0 ? 0 : r;
	if ((r = par_scale_machine_get(a.o.topology, &m)) != 0) {
		fprintf(stderr, "par-scale: cannot load topology: %s\n", par_strerror(r));
		return 1;
	}
	int tty = !a.quiet && isatty(STDERR_FILENO);
	if (tty)
		a.o.progress = progress;
	if (!a.quiet) {
		scale_header(stdout, &a, &m);
		fflush(stdout);
	}
	r = par_scale_sweep(a.w, a.nw, a.modes, a.nm, a.workers, a.nk, &a.o, &pts);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (r != 0) {
		fprintf(stderr, "par-scale: %s\n", par_strerror(r));
		return 1;
	}
	size_t n = (size_t)a.nw * a.nm * a.nk;
	if (!a.quiet)
		scale_table(stdout, pts, n);
	fflush(stdout);
	report_skips(pts, n);
	int rc = report_failures(pts, n);
	rc |= outputs(&a, &m, pts, n);
	free(pts);
	return rc;
}

/* par-scale: the plot. Writes STEM.dat (one block per workload and mode) and
 * STEM.gp (a gnuplot script), then runs gnuplot on it: per workload, a panel
 * of throughput and a panel of speedup with the ideal line, against workers. */
#include "par-scale.h"

#include <par/process.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GNUPLOT_TIMEOUT_NS ((int64_t)60 * 1000 * 1000 * 1000)

/* A gnuplot single-quoted string ('' is a quote). */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* Block k of the data file holds workload w, mode m; -1 where no point
 * succeeded. Returns the number of blocks. */
static int write_data(const char *path, const struct scale_args *a, const struct par_scale_point *p,
		      size_t n, int *block)
{
	FILE *f = fopen(path, "w");
	int nb = 0;

	if (f == NULL)
		return -1;
	for (unsigned w = 0; w < a->nw; w++)
		for (unsigned m = 0; m < a->nm; m++) {
			int any = 0;
			for (size_t i = 0; i < n; i++) {
				const struct par_scale_point *q = &p[i];
				if (q->status != 0 || q->workload != a->w[w] ||
				    q->mode != a->modes[m])
					continue;
				if (!any++)
					fprintf(f, "# %s %s: workers throughput speedup\n",
						par_scale_workload_name(a->w[w]),
						par_scale_mode_name(q->mode));
				fprintf(f, "%u %.6g %.6g\n", q->workers, q->throughput.median,
					q->speedup);
			}
			block[w * a->nm + m] = any ? nb++ : -1;
			if (any)
				fprintf(f, "\n\n");
		}
	return fclose(f) == 0 ? nb : -1;
}

static void gp_terminal(FILE *f, const char *out, unsigned nw, int svg)
{
	unsigned h = 400 * nw + 60;

	if (svg)
		fprintf(f, "set terminal svg size 1400,%u dynamic font 'sans,11'\n", h);
	else
		fprintf(f,
			"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
			"  set terminal pngcairo size 1400,%u font 'sans,10'\n"
			"} else {\n  set terminal png size 1400,%u\n}\n",
			h, h);
	fprintf(f, "set output ");
	gp_str(f, out);
	fputc('\n', f);
}

/* One panel: column 2 (throughput) or 3 (speedup) of workload w's blocks. */
static void gp_panel(FILE *f, const char *dat, const struct scale_args *a, const int *block,
		     unsigned w, int col)
{
	const char *name = par_scale_workload_name(a->w[w]);
	int first = 1;

	if (col == 2)
		fprintf(f,
			"set title '%s: throughput'\nset logscale y\nset format y '%%.0s%%c'\n"
			"set ylabel '%s/s'\n",
			name, par_scale_workload_unit(a->w[w]));
	else
		fprintf(f,
			"set title '%s: speedup over 1 worker'\nunset logscale y\nset format y "
			"'%%g'\n"
			"set ylabel 'speedup'\n",
			name);
	fprintf(f, "plot ");
	if (col == 3) {
		fprintf(f, "x with lines dashtype 2 lc rgb 'gray40' title 'ideal'");
		first = 0;
	}
	for (unsigned m = 0; m < a->nm; m++) {
		int b = block[w * a->nm + m];
		if (b < 0)
			continue;
		fprintf(f, "%s \\\n  ", first ? "" : ",");
		gp_str(f, dat);
		/* par modes solid, the GIL dotted, Python dashed */
		fprintf(f,
			" index %d using 1:%d with linespoints lw 2 pt %u lc %u dt %d title '%s'",
			b, col, a->modes[m] + 5, a->modes[m] + 1,
			par_scale_mode_is_python(a->modes[m])  ? 2
			: a->modes[m] == PAR_SCALE_THREADS_GIL ? 3
							       : 1,
			par_scale_mode_name(a->modes[m]));
		first = 0;
	}
	if (first)
		fprintf(f, "NaN notitle");
	fputc('\n', f);
}

static int write_script(const char *gp, const char *dat, const char *out,
			const struct scale_args *a, const int *block, int svg)
{
	FILE *f = fopen(gp, "w");
	unsigned maxw = a->workers[a->nk - 1];

	if (f == NULL)
		return -1;
	gp_terminal(f, out, a->nw, svg);
	fprintf(f, "set multiplot layout %u,2 title 'par-scale: threads vs processes vs a GIL'\n",
		a->nw);
	fprintf(f, "set grid\nset key outside right top vertical\nset xlabel 'workers'\n");
	fprintf(f, "set xrange [%g:%g]\n", maxw > 1 ? 1.0 : 0.5, maxw > 1 ? maxw : 1.5);
	if (maxw <= 16)
		fprintf(f, "set xtics 1\n");
	for (unsigned w = 0; w < a->nw; w++) {
		gp_panel(f, dat, a, block, w, 2);
		gp_panel(f, dat, a, block, w, 3);
	}
	fprintf(f, "unset multiplot\n");
	return fclose(f);
}

static int run_gnuplot(const char *gp, const char *out)
{
	const char *argv[] = { "gnuplot", gp, NULL };
	struct par_subprocess_result res = { 0 };
	struct stat st;

	unlink(out); /* so a stale plot is not taken for a new one */
	int e = par_subprocess_run(argv, NULL, NULL, 0, GNUPLOT_TIMEOUT_NS, &res);

	if (e == -ENOENT) {
		fprintf(stderr,
			"par-scale: gnuplot is not installed: no plot (install gnuplot-nox; "
			"the data and script are in %s)\n",
			gp);
		par_subprocess_result_free(&res);
		return 1;
	}
	if (e != 0 || res.exit.code != 0 || stat(out, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "par-scale: gnuplot failed (%s): %s\n",
			e ? par_strerror(e) : "exit status", res.err ? res.err : "");
		par_subprocess_result_free(&res);
		return -1;
	}
	par_subprocess_result_free(&res);
	return 0;
}

int scale_plot(const char *path, const struct scale_args *a, const struct par_scale_point *p,
	       size_t n)
{
	size_t len = strlen(path);
	const char *dot = strrchr(path, '.');
	size_t stem = dot != NULL && strchr(dot, '/') == NULL ? (size_t)(dot - path) : len;
	char *dat = malloc(stem + 5), *gp = malloc(stem + 4);
	int *block = calloc((size_t)a->nw * a->nm, sizeof(int));
	int r = -1;

	if (dat != NULL && gp != NULL && block != NULL) {
		snprintf(dat, stem + 5, "%.*s.dat", (int)stem, path);
		snprintf(gp, stem + 4, "%.*s.gp", (int)stem, path);
		int svg = len >= 4 && strcmp(path + len - 4, ".svg") == 0;
		if (write_data(dat, a, p, n, block) >= 0 &&
		    write_script(gp, dat, path, a, block, svg) == 0)
			r = run_gnuplot(gp, path);
		else
			fprintf(stderr, "par-scale: cannot write %s or %s: %s\n", dat, gp,
				strerror(errno));
	}
	free(dat);
	free(gp);
	free(block);
	return r;
}

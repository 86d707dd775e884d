/* par-scale: shared between its files (parsing, output, plot). */
#ifndef PAR_SCALE_TOOL_H
#define PAR_SCALE_TOOL_H

#include <par/scale.h>

#include <stdio.h>

#define MAX_WORKLOADS 16
#define MAX_WORKERS 256

struct scale_args {
	const struct par_scale_workload *w[MAX_WORKLOADS];
	unsigned nw;
	enum par_scale_mode modes[PAR_SCALE_MODES];
	unsigned nm;
	unsigned workers[MAX_WORKERS];
	unsigned nk;
	struct par_scale_opts o;
	const char *size_name; /* the preset's name, or the number as given */
	const char *json, *csv, *plot;
	int quiet, list;
	int builtin_script; /* --python-script builtin */
};

/* Parse argv into *a. 0, or the exit code: 2 for a usage error (message
 * printed), -1 after --help or --list (printed; exit 0). */
int scale_parse(int argc, char **argv, struct scale_args *a);

/* Print the workloads and modes (--list). */
void scale_list(FILE *f);

/* Output (par-scale-out.c). */
void scale_header(FILE *f, const struct scale_args *a, const struct par_scale_machine *m);
void scale_table(FILE *f, const struct par_scale_point *p, size_t n);
int scale_write_json(const char *path, const struct scale_args *a,
		     const struct par_scale_machine *m, const struct par_scale_point *p, size_t n);
int scale_write_csv(const char *path, const struct par_scale_point *p, size_t n);

/* The plot (par-scale-plot.c): 0, 1 when gnuplot is absent (a note was
 * printed), or -1 on failure (message printed). */
int scale_plot(const char *path, const struct scale_args *a, const struct par_scale_point *p,
	       size_t n);

#endif /* PAR_SCALE_TOOL_H */

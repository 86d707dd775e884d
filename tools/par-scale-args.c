/* par-scale: command-line parsing. */
#include "par-scale.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: par-scale [options]\n"
	"Measure how a workload scales over 1..N workers as par threads, par processes,\n"
	"threads under an emulated GIL, and Python's threading and multiprocessing.\n"
	"\n"
	"  -w, --workload LIST   compute,memory,queue,counter,counter-local or all\n"
	"                        (default compute,queue)\n"
	"  -m, --mode LIST       threads,processes,threads-gil,python-threads,\n"
	"                        python-processes, par (the first two) or all (default)\n"
	"  -n, --workers LIST    e.g. 1,2,4 or 1-8 or 1-4,8 (default 1..allowed cores);\n"
	"                        1 is always measured: speedups are over it\n"
	"  -r, --reps N          repetitions per point, 1-32 (default 3); medians shown\n"
	"  -s, --size SIZE       tiny, small, default, large, or units of work per point\n"
	"  -p, --policy P        worker placement: compact (default), scatter, numa, none\n"
	"  -t, --topology SPEC   machine (default), hwloc XML file or synthetic description\n"
	"      --gil-interval MS threads-gil switch interval in ms (default 5, as CPython)\n"
	"      --json FILE       write the results as JSON\n"
	"      --csv FILE        write the results as CSV\n"
	"      --plot FILE       draw throughput and speedup (.png or .svg) with gnuplot\n"
	"      --python PATH     the Python interpreter (default python3 from PATH)\n"
	"      --python-script F scale.py (default: the source tree's, the installed one,\n"
	"                        else the copy built into par-scale: 'builtin')\n"
	"      --timeout SEC     give up on a step (a round, a python run) after SEC s (600)\n"
	"  -q, --quiet           no progress line and no table (files only)\n"
	"  -l, --list            list the workloads and modes\n"
	"  -h, --help            this text\n"
	"Exit status: 0 done, 1 a measurement or output failed, 2 usage error.\n";

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "par-scale: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n(par-scale --help for usage)\n");
	return 2;
}

void scale_list(FILE *f)
{
	fprintf(f, "workloads:\n");
	for (unsigned i = 0; par_scale_workload_at(i) != NULL; i++) {
		const struct par_scale_workload *w = par_scale_workload_at(i);
		fprintf(f, "  %-14s %s (%s)\n", par_scale_workload_name(w),
			par_scale_workload_about(w), par_scale_workload_unit(w));
	}
	fprintf(f, "modes:\n");
	for (unsigned i = 0; i < PAR_SCALE_MODES; i++)
		fprintf(f, "  %s\n", par_scale_mode_name((enum par_scale_mode)i));
}

/* Split a comma list in place; calls fn on each item. */
static int each_item(char *list, int (*fn)(struct scale_args *, const char *), struct scale_args *a)
{
	char *save = NULL;
	int n = 0;

	for (char *s = strtok_r(list, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save), n++)
		if (fn(a, s) != 0)
			return 2;
	return n > 0 ? 0 : usage_error("empty list%s", "");
}

static int add_workload(struct scale_args *a, const char *name)
{
	const struct par_scale_workload *w = par_scale_workload_find(name);

	if (strcmp(name, "all") == 0) {
		for (unsigned i = 0; par_scale_workload_at(i) != NULL; i++)
			if (add_workload(a, par_scale_workload_name(par_scale_workload_at(i))))
				return 2;
		return 0;
	}
	if (w == NULL)
		return usage_error("unknown workload '%s' (par-scale --list)", name);
	for (unsigned i = 0; i < a->nw; i++)
		if (a->w[i] == w)
			return 0;
	if (a->nw == MAX_WORKLOADS)
		return usage_error("too many workloads%s", "");
	a->w[a->nw++] = w;
	return 0;
}

static int add_mode(struct scale_args *a, const char *name)
{
	enum par_scale_mode m;

	if (strcmp(name, "all") == 0 || strcmp(name, "par") == 0) {
		unsigned n = strcmp(name, "all") == 0 ? PAR_SCALE_MODES : 2;
		for (unsigned i = 0; i < n; i++)
			add_mode(a, par_scale_mode_name((enum par_scale_mode)i));
		return 0;
	}
	if (par_scale_mode_parse(name, &m) != 0)
		return usage_error("unknown mode '%s' (par-scale --list)", name);
	for (unsigned i = 0; i < a->nm; i++)
		if (a->modes[i] == m)
			return 0;
	a->modes[a->nm++] = m;
	return 0;
}

/* A number 1..MAX_WORKERS, all of s. */
static int worker_count(const char *s, char **end, unsigned *out)
{
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, end, 10);
	if (errno != 0 || v < 1 || v > 4096)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int add_one_worker(struct scale_args *a, unsigned k)
{
	for (unsigned i = 0; i < a->nk; i++)
		if (a->workers[i] == k)
			return 0;
	if (a->nk == MAX_WORKERS)
		return usage_error("more than 256 worker counts%s", "");
	a->workers[a->nk++] = k;
	return 0;
}

static int add_workers(struct scale_args *a, const char *item)
{
	unsigned lo, hi;
	char *end;

	if (worker_count(item, &end, &lo) != 0)
		return usage_error("bad worker count '%s' (want 1-4096, a list or a range)", item);
	hi = lo;
	if (*end == '-' && worker_count(end + 1, &end, &hi) != 0)
		return usage_error("bad worker range '%s'", item);
	if (*end != '\0' || hi < lo)
		return usage_error("bad worker count '%s' (want 1-4096, a list or a range)", item);
	for (unsigned k = lo; k <= hi; k++)
		if (add_one_worker(a, k) != 0)
			return 2;
	return 0;
}

static int cmp_unsigned(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return (a > b) - (a < b);
}

/* tiny|small|default|large, or a count with an optional k, M or G (x1000). */
static int parse_size(struct scale_args *a, const char *s)
{
	char *end;
	unsigned long long v;

	a->size_name = s;
	if (par_scale_size_parse(s, &a->o.preset) == 0)
		return 0;
	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 10) : 0;
	if (v > 0 && errno == 0 && end[0] != '\0' && end[1] == '\0' && strchr("kKmMgG", *end))
		v *= *end == 'k' || *end == 'K'	  ? 1000ull
		     : *end == 'm' || *end == 'M' ? 1000000ull
						  : 1000000000ull;
	else if (v == 0 || errno != 0 || *end != '\0')
		return usage_error("bad size '%s' (tiny, small, default, large or a count)", s);
	a->o.units = v;
	return 0;
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

static const struct option long_opts[] = {
	{ "workload", required_argument, NULL, 'w' },
	{ "mode", required_argument, NULL, 'm' },
	{ "workers", required_argument, NULL, 'n' },
	{ "reps", required_argument, NULL, 'r' },
	{ "size", required_argument, NULL, 's' },
	{ "policy", required_argument, NULL, 'p' },
	{ "topology", required_argument, NULL, 't' },
	{ "gil-interval", required_argument, NULL, 'G' },
	{ "json", required_argument, NULL, 'J' },
	{ "csv", required_argument, NULL, 'C' },
	{ "plot", required_argument, NULL, 'P' },
	{ "python", required_argument, NULL, 'Y' },
	{ "python-script", required_argument, NULL, 'S' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "list", no_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options with a numeric argument. */
static int parse_numeric(struct scale_args *a, int c, const char *arg)
{
	double v;

	if (c == 'r') {
		if (parse_number(arg, 1, PAR_SCALE_MAX_REPS, &v) != 0 || v != (unsigned)v)
			return usage_error("--reps wants a whole number from 1 to 32, not '%s'",
					   arg);
		a->o.reps = (unsigned)v;
	} else if (c == 'G') {
		if (parse_number(arg, 0.001, 10000, &v) != 0)
			return usage_error(
				"--gil-interval wants milliseconds (0.001-10000), not '%s'", arg);
		a->o.gil_interval_ns = (int64_t)(v * 1e6);
	} else {
		if (parse_number(arg, 0.1, 86400, &v) != 0)
			return usage_error("--timeout wants seconds (0.1-86400), not '%s'", arg);
		a->o.timeout_ns = (int64_t)(v * 1e9);
	}
	return 0;
}

static int parse_one(struct scale_args *a, int c, char *arg)
{
	switch (c) {
	case 'w':
		return each_item(arg, add_workload, a);
	case 'm':
		return each_item(arg, add_mode, a);
	case 'n':
		return each_item(arg, add_workers, a);
	case 's':
		return parse_size(a, arg);
	case 'p':
		if (par_place_policy_parse(arg, &a->o.policy) != 0)
			return usage_error("unknown policy '%s' (compact, scatter, numa, none)",
					   arg);
		return 0;
	case 'r':
	case 'G':
	case 'T':
		return parse_numeric(a, c, arg);
	case 't':
		a->o.topology = arg;
		return 0;
	case 'J':
		a->json = arg;
		return 0;
	case 'C':
		a->csv = arg;
		return 0;
	case 'P': {
		size_t n = strlen(arg);
		if (n < 5 || (strcmp(arg + n - 4, ".png") != 0 && strcmp(arg + n - 4, ".svg") != 0))
			return usage_error("--plot wants a FILE.png or FILE.svg, not '%s'", arg);
		a->plot = arg;
		return 0;
	}
	case 'Y':
		a->o.python = arg;
		return 0;
	case 'S':
		a->o.python_script = arg;
		a->builtin_script = strcmp(arg, "builtin") == 0;
		return 0;
	case 'q':
		a->quiet = 1;
		return 0;
	case 'l':
		a->list = 1;
		return 0;
	default:
		return 2;
	}
}

/* The allowed cores of the topology the run will use (1 when unknown). */
static unsigned allowed_cores(const char *spec)
{
	struct par_topo *t = NULL;
	int n = 1;

	if (par_topo_load_spec(spec, &t) == 0) {
		n = par_topo_count(t, PAR_TOPO_CORE);
		par_topo_destroy(t);
	}
	return n > 0 ? (unsigned)(n < MAX_WORKERS ? n : MAX_WORKERS) : 1;
}

/* scale.py's text, carried in the binary (generated by tools/embed.cmake). */
extern const char par_scale_py[];

/* scale.py: in the source tree this binary was built from, else installed
 * (else the copy in the binary: python_code). */
static const char *default_script(void)
{
#ifdef PAR_SCALE_SCRIPT_SRC
	if (access(PAR_SCALE_SCRIPT_SRC, R_OK) == 0)
		return PAR_SCALE_SCRIPT_SRC;
#endif
#ifdef PAR_SCALE_SCRIPT_INSTALLED
	if (access(PAR_SCALE_SCRIPT_INSTALLED, R_OK) == 0)
		return PAR_SCALE_SCRIPT_INSTALLED;
#endif
	return NULL;
}

static int defaults(struct scale_args *a)
{
	if (a->nw == 0 && (add_workload(a, "compute") != 0 || add_workload(a, "queue") != 0))
		return 2;
	if (a->nm == 0)
		add_mode(a, "all");
	if (a->nk == 0) {
		unsigned n = allowed_cores(a->o.topology);
		for (unsigned k = 1; k <= n; k++)
			add_one_worker(a, k);
	}
	if (add_one_worker(a, 1) != 0)
		return 2;
	qsort(a->workers, a->nk, sizeof(a->workers[0]), cmp_unsigned);
	if (a->builtin_script)
		a->o.python_script = NULL;
	else if (a->o.python_script == NULL)
		a->o.python_script = default_script();
	a->o.python_code = par_scale_py;
	return 0;
}

int scale_parse(int argc, char **argv, struct scale_args *a)
{
	int c, r;

	memset(a, 0, sizeof(*a));
	par_scale_opts_init(&a->o);
	a->size_name = "default";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:m:n:r:s:p:t:qlh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return usage_error(c == ':' ? "option '%s' wants an argument"
						    : "unknown option '%s'",
					   argv[optind - 1]);
		if ((r = parse_one(a, c, optarg)) != 0)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (a->list) {
		scale_list(stdout);
		return -1;
	}
	return defaults(a);
}

/* Python modes: run scale.py with python3 (par_subprocess_run) and read its
 * JSON. */
#include "scale_impl.h"

#include <par/process.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One element of "reps". */
static int parse_rep(struct par__json *j, struct par_scale_rep *r)
{
	char key[32];
	int e = par__json_lit(j, '{');

	while (e == 0 && par__json_peek(j) == '"') {
		e = par__json_string(j, key, sizeof(key));
		e = e ? e : par__json_lit(j, ':');
		if (e != 0)
			break;
		if (strcmp(key, "startup") == 0)
			e = par__json_double(j, &r->startup_s);
		else if (strcmp(key, "transfer") == 0)
			e = par__json_double(j, &r->transfer_s);
		else if (strcmp(key, "work") == 0)
			e = par__json_double(j, &r->work_s);
		else if (strcmp(key, "units") == 0)
			e = par__json_u64(j, &r->units);
		else if (strcmp(key, "checksum") == 0)
			e = par__json_u64(j, &r->checksum);
		else
			e = par__json_skip(j);
		if (e == 0 && par__json_peek(j) == ',')
			j->p++;
	}
	return e ? e : par__json_lit(j, '}');
}

static int parse_reps(struct par__json *j, struct par_scale_point *out)
{
	int e = par__json_lit(j, '[');

	out->reps = 0;
	while (e == 0 && par__json_peek(j) == '{') {
		if (out->reps == PAR_SCALE_MAX_REPS)
			return -EPROTO;
		e = parse_rep(j, &out->rep[out->reps++]);
		if (e == 0 && par__json_peek(j) == ',')
			j->p++;
	}
	return e ? e : par__json_lit(j, ']');
}

/* A top-level member; the name's value is checked against the point's. */
static int parse_member(struct par__json *j, const char *key, struct par_scale_point *out)
{
	char s[24];
	uint64_t u;
	int e;

	if (strcmp(key, "reps") == 0)
		return parse_reps(j, out);
	if (strcmp(key, "units") == 0)
		return par__json_u64(j, &out->units);
	if (strcmp(key, "python") == 0) {
		e = par__json_string(j, s, sizeof(s));
		snprintf(out->runtime, sizeof(out->runtime), "python %s", s);
		return e;
	}
	if (strcmp(key, "workload") == 0) {
		e = par__json_string(j, s, sizeof(s));
		return e ? e : out->workload && strcmp(s, out->workload->name) ? -EPROTO : 0;
	}
	if (strcmp(key, "workers") == 0) {
		e = par__json_u64(j, &u);
		return e ? e : out->workers && u != out->workers ? -EPROTO : 0;
	}
	return par__json_skip(j);
}

int par_scale_python_parse(const char *json, size_t len, struct par_scale_point *out)
{
	struct par__json j = { json, json + len };
	char key[32];
	int e;

	if (json == NULL || out == NULL)
		return -EINVAL;
	out->reps = 0;
	e = par__json_lit(&j, '{');
	while (e == 0 && par__json_peek(&j) == '"') {
		e = par__json_string(&j, key, sizeof(key));
		e = e ? e : par__json_lit(&j, ':');
		e = e ? e : parse_member(&j, key, out);
		if (e == 0 && par__json_peek(&j) == ',')
			j.p++;
	}
	e = e ? e : par__json_lit(&j, '}');
	if (e != 0 || out->reps == 0)
		return -EPROTO;
	out->checksum = out->rep[0].checksum;
	par__scale_summarise(out);
	return 0;
}

/* The last line of the child's stderr, for a note. */
static const char *last_line(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	size_t i = len;
	while (i > 0 && s[i - 1] != '\n')
		i--;
	return s + i;
}

static int spawn(const char *const *argv, const struct par_scale_opts *o,
		 struct par_scale_point *out, struct par_subprocess_result *res)
{
	int e = par_subprocess_run(argv, NULL, NULL, 0, o->timeout_ns, res);

	if (e == -ENOENT || e == -EACCES) {
		snprintf(out->note, sizeof(out->note), "%s not found: python rows skipped",
			 o->python);
		return -ENOENT;
	}
	if (e == 0 && res->exit.code != 0) {
		snprintf(out->note, sizeof(out->note), "scale.py failed (exit %d): %.100s",
			 res->exit.code, res->err ? last_line(res->err, res->err_len) : "");
		return -EIO;
	}
	if (e != 0)
		snprintf(out->note, sizeof(out->note), "python: %s", par_strerror(e));
	return e;
}

static int check(struct par_scale_point *p, uint64_t units)
{
	uint64_t want;
	int known = par_scale_workload_expect(p->workload, units, &want) == 0;

	for (unsigned i = 0; i < p->reps; i++)
		if (p->rep[i].units != units || (known && p->rep[i].checksum != want)) {
			snprintf(p->note, sizeof(p->note),
				 "scale.py gave a wrong result: %" PRIu64
				 " units, checksum %" PRIu64,
				 p->rep[i].units, p->rep[i].checksum);
			return -EPROTO;
		}
	return 0;
}

/* python -c CODE or python SCRIPT, then scale.py's arguments. */
static int run_script(const struct par_scale_workload *w, enum par_scale_mode mode,
		      unsigned workers, const struct par_scale_opts *o, struct par_scale_point *out,
		      uint64_t units)
{
	struct par_subprocess_result res = { 0 };
	char nw[16], nu[32], nr[16];
	const char *argv[16] = { o->python }, **a = argv + 1;

	snprintf(nw, sizeof(nw), "%u", workers);
	snprintf(nu, sizeof(nu), "%" PRIu64, units);
	snprintf(nr, sizeof(nr), "%u", o->reps);
	if (o->python_script == NULL)
		*a++ = "-c";
	*a++ = o->python_script != NULL ? o->python_script : o->python_code;
	const char *rest[] = {
		"--workload", w->name,
		"--mode",     mode == PAR_SCALE_PYTHON_THREADS ? "threads" : "processes",
		"--workers",  nw,
		"--units",    nu,
		"--reps",     nr,
		NULL
	};
	memcpy(a, rest, sizeof(rest));
	if (o->progress != NULL)
		o->progress(o->progress_arg, &(struct par_scale_progress){ .reps = o->reps,
									   .workload = w->name,
									   .mode = mode,
									   .workers = workers });
	int e = spawn(argv, o, out, &res);
	if (e == 0 && (e = par_scale_python_parse(res.out, res.out_len, out)) != 0)
		snprintf(out->note, sizeof(out->note), "cannot read scale.py's output");
	if (e == 0)
		e = check(out, units);
	par_subprocess_result_free(&res);
	return e;
}

int par__scale_python(const struct par_scale_workload *w, enum par_scale_mode mode,
		      unsigned workers, const struct par_scale_opts *o, struct par_scale_point *out)
{
	snprintf(out->runtime, sizeof(out->runtime), "python");
	if (o->python_script == NULL && o->python_code == NULL) {
		snprintf(out->note, sizeof(out->note), "no scale.py: python rows skipped");
		return -ENOENT;
	}
	if (o->python_script != NULL && access(o->python_script, R_OK) != 0) {
		snprintf(out->note, sizeof(out->note),
			 "scale.py not found at %.100s: python rows skipped", o->python_script);
		return -ENOENT;
	}
	return run_script(w, mode, workers, o, out, par_scale_workload_python_units(w, out->units));
}

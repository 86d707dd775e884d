/* Names: modes, size presets, the workload registry; options. */
#include "scale_impl.h"

#include "core_impl.h"

#include <errno.h>
#include <string.h>

static const char *const mode_names[PAR_SCALE_MODES] = {
	"threads", "processes", "threads-gil", "python-threads", "python-processes",
};

int par_scale_mode_parse(const char *name, enum par_scale_mode *out)
{
	for (unsigned i = 0; name != NULL && out != NULL && i < PAR_SCALE_MODES; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum par_scale_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *par_scale_mode_name(enum par_scale_mode m)
{
	return (unsigned)m < PAR_SCALE_MODES ? mode_names[m] : "?";
}

int par_scale_mode_is_python(enum par_scale_mode m)
{
	return m == PAR_SCALE_PYTHON_THREADS || m == PAR_SCALE_PYTHON_PROCESSES;
}

static const char *const size_names[] = { "tiny", "small", "default", "large" };

int par_scale_size_parse(const char *name, enum par_scale_size *out)
{
	for (unsigned i = 0; name != NULL && out != NULL && i < 4; i++)
		if (strcmp(name, size_names[i]) == 0) {
			*out = (enum par_scale_size)i;
			return 0;
		}
	return -EINVAL;
}

const char *par_scale_size_name(enum par_scale_size s)
{
	return (unsigned)s < 4 ? size_names[s] : "?";
}

static const struct par_scale_workload *const workloads[] = {
	&par__scale_compute, &par__scale_memory,	&par__scale_queue,
	&par__scale_counter, &par__scale_counter_local,
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

const struct par_scale_workload *par_scale_workload_find(const char *name)
{
	for (unsigned i = 0; name != NULL && i < NWORKLOADS; i++)
		if (strcmp(name, workloads[i]->name) == 0)
			return workloads[i];
	return NULL;
}

const struct par_scale_workload *par_scale_workload_at(unsigned i)
{
	return i < NWORKLOADS ? workloads[i] : NULL;
}

const char *par_scale_workload_name(const struct par_scale_workload *w)
{
	return w != NULL ? w->name : "?";
}

const char *par_scale_workload_unit(const struct par_scale_workload *w)
{
	return w != NULL ? w->unit : "?";
}

const char *par_scale_workload_about(const struct par_scale_workload *w)
{
	return w != NULL ? w->about : "?";
}

uint64_t par_scale_workload_units(const struct par_scale_workload *w, enum par_scale_size s)
{
	return w != NULL && (unsigned)s < 4 ? w->sizes[s] : 0;
}

uint64_t par_scale_workload_round(const struct par_scale_workload *w, uint64_t units)
{
	if (w == NULL)
		return 0;
	units -= units % w->granule;
	return units > 0 ? units : w->granule;
}

uint64_t par_scale_workload_python_units(const struct par_scale_workload *w, uint64_t units)
{
	return w != NULL ? par_scale_workload_round(w, units / w->py_divisor) : 0;
}

int par_scale_workload_expect(const struct par_scale_workload *w, uint64_t units, uint64_t *out)
{
	if (w == NULL || out == NULL)
		return -EINVAL;
	units = par_scale_workload_round(w, units);
	if (w->expect == NULL || units > w->expect_max)
		return -ENOSYS;
	*out = w->expect(units);
	return 0;
}

void par_scale_opts_init(struct par_scale_opts *o)
{
	if (o != NULL)
		*o = (struct par_scale_opts){ .size = sizeof(*o),
					      .reps = 3,
					      .preset = PAR_SCALE_DEFAULT,
					      .policy = PAR_PLACE_COMPACT,
					      .gil_interval_ns = 5 * 1000 * 1000,
					      .python = "python3",
					      .timeout_ns = (int64_t)600 * 1000 * 1000 * 1000 };
}

int par__scale_resolve(const struct par_scale_opts *in, struct par_scale_opts *o)
{
	par_scale_opts_init(o);
	if (PAR__OPTS_BAD(in))
		return -EINVAL;
	o->reps = PAR__OPT(in, reps, o->reps);
	o->preset = PAR__OPT(in, preset, o->preset);
	o->units = PAR__OPT(in, units, (uint64_t)0);
	o->policy = PAR__OPT(in, policy, o->policy);
	o->topology = PAR__OPT(in, topology, (const char *)NULL);
	o->gil_interval_ns = PAR__OPT(in, gil_interval_ns, o->gil_interval_ns);
	o->python = PAR__OPT(in, python, o->python);
	o->python_script = PAR__OPT(in, python_script, (const char *)NULL);
	o->timeout_ns = PAR__OPT(in, timeout_ns, o->timeout_ns);
	o->progress = PAR__OPT(in, progress, (par_scale_progress_fn)NULL);
	o->progress_arg = PAR__OPT(in, progress_arg, (void *)NULL);
	o->python_code = PAR__OPT(in, python_code, (const char *)NULL);
	if (o->python == NULL)
		o->python = "python3";
	if (o->reps < 1 || o->reps > PAR_SCALE_MAX_REPS || (unsigned)o->preset > PAR_SCALE_LARGE ||
	    (unsigned)o->policy > PAR_PLACE_NUMA || o->gil_interval_ns <= 0)
		return -EINVAL;
	return 0;
}

/* par-manager: serve named queues to other machines, or ask a manager for
 * its status.
 *
 *   par-manager serve [--listen HOST:PORT] [--python-listen HOST:PORT]
 *                     [--authkey-file F | --authkey-env NAME]
 *                     --queue NAME[:CAPACITY] ... [--shm-queue NAME=/SHMNAME ...]
 *                     [--backend auto|uring|epoll] [--max-conns N] [--max-msg BYTES]
 *                     [--verbose]
 *   par-manager status --connect HOST:PORT [--authkey-file F | --authkey-env NAME]
 *                      [--json]
 *
 * The authkey comes from a file (mode 0600 or stricter) or an environment
 * variable ($PAR_AUTHKEY when neither flag is given), never from the
 * command line. --python-listen also serves Python's
 * multiprocessing.managers clients (BaseManager with the same authkey bytes;
 * a queue's name is its typeid), beside or instead of --listen. serve prints
 * "listening on HOST:PORT (BACKEND)" and/or "listening for Python on
 * HOST:PORT (BACKEND)" once ready, logs to stderr, and stops cleanly on
 * SIGINT or SIGTERM, printing its counters. Exit status: 0, 1 (failed), 2
 * (usage). */
#include <par/manager.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUEUES 64

struct args {
	const char *addr;
	const char *pyaddr;
	const char *key_file;
	const char *key_env;
	const char *queues[MAX_QUEUES];
	unsigned nqueues;
	const char *shm[MAX_QUEUES];
	unsigned nshm;
	enum par_net_backend backend;
	unsigned long max_conns;
	unsigned long max_msg;
	int verbose;
	int json;
};

static struct par_manager *serving;

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: par-manager serve [--listen HOST:PORT] [--python-listen HOST:PORT]\n"
		   "                         [--authkey-file F | --authkey-env NAME]\n"
		   "                         --queue NAME[:CAPACITY]... [--shm-queue "
		   "NAME=/SHMNAME]...\n"
		   "                         [--backend auto|uring|epoll] [--max-conns N] "
		   "[--max-msg BYTES] [--verbose]\n"
		   "       par-manager status --connect HOST:PORT [--authkey-file F | "
		   "--authkey-env NAME] [--json]\n"
		   "The authkey is read from the file, the variable, or $PAR_AUTHKEY.\n"
		   "--python-listen serves Python's multiprocessing.managers clients: a "
		   "BaseManager\n"
		   "with the authkey's bytes, each queue registered under its name as a "
		   "typeid.\n");
	return rc;
}

static int number(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *s != '\0' && *s != '-' ? 0 : -1;
}

static int parse_backend(const char *s, enum par_net_backend *b)
{
	if (strcmp(s, "auto") == 0)
		*b = PAR_NET_BACKEND_AUTO;
	else if (strcmp(s, "uring") == 0 || strcmp(s, "io_uring") == 0)
		*b = PAR_NET_BACKEND_URING;
	else if (strcmp(s, "epoll") == 0)
		*b = PAR_NET_BACKEND_EPOLL;
	else
		return -1;
	return 0;
}

/* One option; 0 or the exit code. */
static int option(int c, struct args *a)
{
	switch (c) {
	case 'l':
		a->addr = optarg;
		return 0;
	case 'p':
		a->pyaddr = optarg;
		return 0;
	case 'k':
		a->key_file = optarg;
		return 0;
	case 'e':
		a->key_env = optarg;
		return 0;
	case 'q':
	case 's':
		if ((c == 'q' ? a->nqueues : a->nshm) == MAX_QUEUES) {
			fprintf(stderr, "par-manager: at most %d queues\n", MAX_QUEUES);
			return 2;
		}
		if (c == 'q')
			a->queues[a->nqueues++] = optarg;
		else
			a->shm[a->nshm++] = optarg;
		return 0;
	case 'b':
		if (parse_backend(optarg, &a->backend) == 0)
			return 0;
		fprintf(stderr, "par-manager: unknown backend '%s'\n", optarg);
		return 2;
	case 'c':
	case 'm':
		if (number(optarg, c == 'c' ? &a->max_conns : &a->max_msg) == 0)
			return 0;
		fprintf(stderr, "par-manager: '%s' is not a number\n", optarg);
		return 2;
	case 'v':
		a->verbose = 1;
		return 0;
	case 'j':
		a->json = 1;
		return 0;
	case 'h':
		return usage(stdout, 1);
	default:
		return usage(stderr, 2);
	}
}

static int parse(int argc, char **argv, struct args *a, int serve)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'l' },
		{ "python-listen", required_argument, NULL, 'p' },
		{ "authkey-file", required_argument, NULL, 'k' },
		{ "authkey-env", required_argument, NULL, 'e' },
		{ "queue", required_argument, NULL, 'q' },
		{ "shm-queue", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "max-msg", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*a = (struct args){ 0 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = option(c, a)) != 0)
			return rc;
	if (optind < argc)
		return usage(stderr, 2);
	if (a->addr == NULL && (!serve || a->pyaddr == NULL)) {
		fprintf(stderr, "par-manager: %s HOST:PORT is required\n",
			serve ? "--listen or --python-listen" : "--connect");
		return 2;
	}
	if (!serve && a->pyaddr != NULL) {
		fprintf(stderr, "par-manager: --python-listen is for serve\n");
		return 2;
	}
	if (a->key_file != NULL && a->key_env != NULL) {
		fprintf(stderr, "par-manager: one of --authkey-file and --authkey-env\n");
		return 2;
	}
	return 0;
}

static int load_key(const struct args *a, struct par_authkey *k)
{
	const char *env = a->key_env ? a->key_env : "PAR_AUTHKEY";
	int r = a->key_file ? par_authkey_from_file(a->key_file, k) : par_authkey_from_env(env, k);

	if (r != 0)
		fprintf(stderr, "par-manager: authkey from %s %s: %s\n",
			a->key_file ? "file" : "variable", a->key_file ? a->key_file : env,
			par_strerror(r));
	return r;
}

static void log_line(void *arg, enum par_log_level level, const char *line)
{
	static const char *names[] = { "debug", "info", "warning", "error" };

	(void)arg;
	fprintf(stderr, "par-manager: %s: %s\n", names[level & 3], line);
}

static void on_signal(int sig)
{
	(void)sig;
	par_manager_stop(serving); /* async-signal-safe */
}

/* "NAME[:CAPACITY]" */
static int add_queue(struct par_manager *m, const char *spec)
{
	struct par_manager_queue_opts qo;
	char name[PAR_MANAGER_NAME_MAX + 1];
	const char *colon = strrchr(spec, ':');
	size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
	unsigned long cap;

	par_manager_queue_opts_init(&qo);
	if (nl == 0 || nl > PAR_MANAGER_NAME_MAX ||
	    (colon && (number(colon + 1, &cap) != 0 || cap == 0 || cap > 1u << 24)))
		return -EINVAL;
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if (colon)
		qo.capacity = (uint32_t)cap;
	return par_manager_add_queue(m, name, &qo);
}

/* "NAME=/SHMNAME": open the shm Queue, or make it when it is not there. */
static int add_shm_queue(struct par_manager *m, const char *spec, struct par_queue **q)
{
	const char *eq = strchr(spec, '=');
	char name[PAR_MANAGER_NAME_MAX + 1];

	if (eq == NULL || eq == spec || (size_t)(eq - spec) > PAR_MANAGER_NAME_MAX)
		return -EINVAL;
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	int r = par_queue_open(eq + 1, q);
	if (r == -ENOENT)
		r = par_queue_create(eq + 1, NULL, q);
	return r != 0 ? r : par_manager_add_shm_queue(m, name, *q);
}

static void print_stats(FILE *f, const struct par_manager_stats *st)
{
	fprintf(f,
		"backend %s; connections: %llu open, %llu accepted, %llu refused; "
		"auth: %llu ok, %llu failed, %llu timed out; %llu protocol errors\n"
		"requests %llu (puts %llu, gets %llu, timeouts %llu); bytes in %llu, out %llu; "
		"read pauses %llu\n",
		par_net_backend_name((enum par_net_backend)st->backend),
		(unsigned long long)st->active, (unsigned long long)st->accepted,
		(unsigned long long)st->refused, (unsigned long long)st->auth_ok,
		(unsigned long long)st->auth_failed, (unsigned long long)st->auth_timeouts,
		(unsigned long long)st->proto_errors, (unsigned long long)st->requests,
		(unsigned long long)st->puts, (unsigned long long)st->gets,
		(unsigned long long)st->timeouts, (unsigned long long)st->bytes_in,
		(unsigned long long)st->bytes_out, (unsigned long long)st->read_pauses);
}

static int serve_setup(const struct args *a, struct par_manager *m, struct par_queue **shm)
{
	int r = 0;

	for (unsigned i = 0; r == 0 && i < a->nqueues; i++)
		if ((r = add_queue(m, a->queues[i])) != 0)
			fprintf(stderr, "par-manager: queue '%s': %s\n", a->queues[i],
				par_strerror(r));
	for (unsigned i = 0; r == 0 && i < a->nshm; i++)
		if ((r = add_shm_queue(m, a->shm[i], &shm[i])) != 0)
			fprintf(stderr, "par-manager: shm queue '%s': %s\n", a->shm[i],
				par_strerror(r));
	if (r == 0 && a->addr != NULL && (r = par_manager_listen(m, a->addr)) != 0)
		fprintf(stderr, "par-manager: listen on %s: %s\n", a->addr, par_strerror(r));
	if (r == 0 && a->pyaddr != NULL && (r = par_manager_listen_python(m, a->pyaddr)) != 0)
		fprintf(stderr, "par-manager: listen for Python on %s: %s\n", a->pyaddr,
			par_strerror(r));
	return r;
}

static int cmd_serve(const struct args *a)
{
	struct par_manager_opts o;
	struct par_authkey key;
	struct par_manager *m = NULL;
	struct par_queue *shm[MAX_QUEUES] = { NULL };
	char where[128];

	if (a->nqueues + a->nshm == 0) {
		fprintf(stderr, "par-manager: serve wants at least one --queue\n");
		return 2;
	}
	if (load_key(a, &key) != 0)
		return 1;
	par_manager_opts_init(&o);
	o.backend = a->backend;
	o.log = log_line;
	o.log_level = a->verbose ? PAR_LOG_DEBUG : PAR_LOG_INFO;
	if (a->max_conns)
		o.max_conns = (uint32_t)a->max_conns;
	if (a->max_msg)
		o.max_msg = a->max_msg;
	int r = par_manager_create(&key, &o, &m);
	par_authkey_clear(&key);
	if (r != 0) {
		fprintf(stderr, "par-manager: %s\n", par_strerror(r));
		return 1;
	}
	r = serve_setup(a, m, shm);
	if (r == 0) {
		const char *bk = par_net_backend_name(par_manager_backend(m));
		serving = m;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGPIPE, SIG_IGN);
		if (par_manager_address(m, where, sizeof(where)) > 0)
			printf("listening on %s (%s)\n", where, bk);
		if (par_manager_python_address(m, where, sizeof(where)) > 0)
			printf("listening for Python on %s (%s)\n", where, bk);
		fflush(stdout);
		r = par_manager_serve(m);
		if (r != 0)
			fprintf(stderr, "par-manager: serve: %s\n", par_strerror(r));
		struct par_manager_stats st;
		par_manager_get_stats(m, &st);
		print_stats(stdout, &st);
	}
	par_manager_destroy(m);
	for (unsigned i = 0; i < a->nshm; i++)
		par_queue_close(shm[i]);
	return r == 0 ? 0 : 1;
}

static void print_json(const struct par_manager_stats *st, const struct par_manager_queue_info *qs,
		       int n)
{
	printf("{\"backend\": \"%s\", \"active\": %llu, \"accepted\": %llu, \"refused\": %llu, "
	       "\"auth_ok\": %llu, \"auth_failed\": %llu, \"auth_timeouts\": %llu, "
	       "\"proto_errors\": %llu, \"requests\": %llu, \"puts\": %llu, \"gets\": %llu, "
	       "\"timeouts\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
	       "\"read_pauses\": %llu, \"queues\": [",
	       par_net_backend_name((enum par_net_backend)st->backend),
	       (unsigned long long)st->active, (unsigned long long)st->accepted,
	       (unsigned long long)st->refused, (unsigned long long)st->auth_ok,
	       (unsigned long long)st->auth_failed, (unsigned long long)st->auth_timeouts,
	       (unsigned long long)st->proto_errors, (unsigned long long)st->requests,
	       (unsigned long long)st->puts, (unsigned long long)st->gets,
	       (unsigned long long)st->timeouts, (unsigned long long)st->bytes_in,
	       (unsigned long long)st->bytes_out, (unsigned long long)st->read_pauses);
	for (int i = 0; i < n; i++) {
		printf("%s{\"name\": \"", i ? ", " : "");
		for (const char *p = qs[i].name; *p; p++)
			printf((*p == '"' || *p == '\\') ? "\\%c" : (*p < 32 ? "?" : "%c"), *p);
		printf("\", \"size\": %llu, \"capacity\": %llu, \"puts\": %llu, \"gets\": %llu, "
		       "\"waiting_gets\": %u, \"waiting_puts\": %u, \"shm\": %s}",
		       (unsigned long long)qs[i].size, (unsigned long long)qs[i].capacity,
		       (unsigned long long)qs[i].puts, (unsigned long long)qs[i].gets,
		       qs[i].waiting_gets, qs[i].waiting_puts, qs[i].shm ? "true" : "false");
	}
	printf("]}\n");
}

static int cmd_status(const struct args *a)
{
	static struct par_manager_queue_info qs[1024];
	struct par_manager_stats st;
	struct par_authkey key;
	struct par_client *c = NULL;

	if (load_key(a, &key) != 0)
		return 1;
	int r = par_client_connect(a->addr, &key, NULL, &c);
	par_authkey_clear(&key);
	if (r == 0)
		r = par_client_status(c, &st, qs, 1024);
	par_client_close(c);
	if (r < 0) {
		fprintf(stderr, "par-manager: %s: %s\n", a->addr, par_strerror(r));
		return 1;
	}
	int n = r < 1024 ? r : 1024;
	if (a->json) {
		print_json(&st, qs, n);
		return 0;
	}
	print_stats(stdout, &st);
	printf("%-24s %10s %10s %12s %12s %6s %6s %s\n", "queue", "size", "capacity", "puts",
	       "gets", "w.get", "w.put", "kind");
	for (int i = 0; i < n; i++)
		printf("%-24s %10llu %10llu %12llu %12llu %6u %6u %s\n", qs[i].name,
		       (unsigned long long)qs[i].size, (unsigned long long)qs[i].capacity,
		       (unsigned long long)qs[i].puts, (unsigned long long)qs[i].gets,
		       qs[i].waiting_gets, qs[i].waiting_puts, qs[i].shm ? "shm" : "memory");
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;

	if (argc < 2)
		return usage(stderr, 2);
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		return usage(stdout, 0);
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "status") != 0)
		return usage(stderr, 2);
	int rc = parse(argc - 1, argv + 1, &a, strcmp(cmd, "serve") == 0);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	return strcmp(cmd, "serve") == 0 ? cmd_serve(&a) : cmd_status(&a);
}

/* Helpers of the net tests: a manager on 127.0.0.1 (port chosen by the
 * kernel) served from a thread, the backend taken from $PAR_NET_BACKEND
 * (skipping where io_uring is refused), a captured server log, clients. */
#ifndef PAR_NET_TEST_H
#define PAR_NET_TEST_H

#include "par_test.h"

#include <par/manager.h>
#include <par/net.h>

#include <pthread.h>

#define NT_KEY "test-key-0123456789"
#define NT_LOG_LINES 64

struct nt_server {
	struct par_manager *m;
	char addr[64];
	struct par_authkey key;
	pthread_mutex_t mu;
	char log[NT_LOG_LINES][256];
	unsigned nlog;
};

/* Skip (cmocka skip) when the backend asked for by $PAR_NET_BACKEND is
 * refused here (io_uring disabled or too old). */
static inline void nt_require_backend(void)
{
	int b = par_net_backend_probe(PAR_NET_BACKEND_AUTO);
	if (b < 0) {
		fprintf(stderr, "backend refused here: %s\n", par_strerror(b));
		skip();
	}
}

static inline void nt_key(struct par_authkey *k)
{
	assert_int_equal(par_authkey_set(k, NT_KEY, strlen(NT_KEY)), 0);
}

static inline void nt_log(void *arg, enum par_log_level level, const char *line)
{
	struct nt_server *s = arg;
	(void)level;
	pthread_mutex_lock(&s->mu);
	snprintf(s->log[s->nlog % NT_LOG_LINES], sizeof(s->log[0]), "%s", line);
	s->nlog++;
	pthread_mutex_unlock(&s->mu);
}

/* 1 when some captured log line contains text. */
static inline int nt_logged(struct nt_server *s, const char *text)
{
	int found = 0;
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nlog && i < NT_LOG_LINES; i++)
		found |= strstr(s->log[i], text) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* s's manager, its options adjusted by tweak (may be NULL), logging into s:
 * made, with no queue and no listener yet. */
static inline void nt_server_make(struct nt_server *s, void (*tweak)(struct par_manager_opts *o))
{
	struct par_manager_opts o;

	pthread_mutex_init(&s->mu, NULL);
	nt_key(&s->key);
	par_manager_opts_init(&o);
	o.log = nt_log;
	o.log_arg = s;
	o.log_level = PAR_LOG_DEBUG;
	if (tweak != NULL)
		tweak(&o);
	assert_int_equal(par_manager_create(&s->key, &o, &s->m), 0);
}

/* Stop s's manager and free what nt_server_make made (not s). */
static inline void nt_server_end(struct nt_server *s)
{
	assert_int_equal(par_manager_stop(s->m), 0);
	assert_int_equal(par_manager_join(s->m), 0);
	par_manager_destroy(s->m);
	pthread_mutex_destroy(&s->mu);
}

/* A manager with queues "tasks" and "results" (capacity cap each), options
 * adjusted by tweak (may be NULL), listening and serving. */
static inline struct nt_server *nt_start(uint32_t cap, void (*tweak)(struct par_manager_opts *o))
{
	struct nt_server *s = calloc(1, sizeof(*s));
	struct par_manager_queue_opts qo;

	nt_require_backend();
	assert_non_null(s);
	nt_server_make(s, tweak);
	par_manager_queue_opts_init(&qo);
	qo.capacity = cap;
	assert_int_equal(par_manager_add_queue(s->m, "tasks", &qo), 0);
	assert_int_equal(par_manager_add_queue(s->m, "results", &qo), 0);
	assert_int_equal(par_manager_listen(s->m, "127.0.0.1:0"), 0);
	assert_true(par_manager_address(s->m, s->addr, sizeof(s->addr)) > 0);
	assert_int_equal(par_manager_start(s->m), 0);
	return s;
}

static inline void nt_stop(struct nt_server *s)
{
	nt_server_end(s);
	free(s);
}

static inline struct par_client *nt_connect(struct nt_server *s)
{
	struct par_client *c = NULL;
	assert_int_equal(par_client_connect(s->addr, &s->key, NULL, &c), 0);
	return c;
}

static inline struct par_rqueue *nt_open(struct par_client *c, const char *name)
{
	struct par_rqueue *q = NULL;
	assert_int_equal(par_client_open(c, name, &q), 0);
	return q;
}

static inline struct par_manager_stats nt_stats(struct nt_server *s)
{
	struct par_manager_stats st;
	assert_int_equal(par_manager_get_stats(s->m, &st), 0);
	return st;
}

/* Wait (bounded) until cond(s) holds. */
static inline int nt_until(struct nt_server *s, int (*cond)(struct nt_server *s), int64_t ns)
{
	int64_t end = par_now_ns() + ns;
	while (!cond(s)) {
		if (par_now_ns() > end)
			return 0;
		par_sleep_ns(2 * PAR_TEST_MS);
	}
	return 1;
}

#endif /* PAR_NET_TEST_H */

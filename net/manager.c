/* The manager's public face: options, queue registration, listening,
 * serving in this thread or another, stopping, counters. */
#include "addr.h"
#include "core_impl.h"
#include "server_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RELAXED memory_order_relaxed

void par_manager_opts_init(struct par_manager_opts *o)
{
	*o = (struct par_manager_opts){
		.size = sizeof(*o),
		.backend = PAR_NET_BACKEND_AUTO,
		.max_conns = 1024,
		.max_msg = 1u << 20,
		.out_max = 1u << 20,
		.auth_timeout_ns = 5 * 1000000000LL,
		.stop_flush_ns = 1000000000LL,
		.log_level = PAR_LOG_INFO,
	};
}

void par_manager_queue_opts_init(struct par_manager_queue_opts *o)
{
	*o = (struct par_manager_queue_opts){
		.size = sizeof(*o),
		.capacity = 65536,
		.max_bytes = 64u << 20,
	};
}

void par__log(struct par_manager *m, enum par_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (m->log == NULL || level < m->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->log(m->log_arg, level, line);
}

static int opts_apply(struct par_manager *m, const struct par_manager_opts *o)
{
	struct par_manager_opts d;

	par_manager_opts_init(&d);
	if (PAR__OPTS_BAD(o))
		return -EINVAL;
	m->want = PAR__OPT(o, backend, d.backend);
	m->max_conns = PAR__OPT(o, max_conns, d.max_conns);
	m->max_msg = PAR__OPT(o, max_msg, d.max_msg);
	m->out_max = PAR__OPT(o, out_max, d.out_max);
	m->auth_timeout_ns = PAR__OPT(o, auth_timeout_ns, d.auth_timeout_ns);
	m->stop_flush_ns = PAR__OPT(o, stop_flush_ns, d.stop_flush_ns);
	m->log = PAR__OPT(o, log, d.log);
	m->log_arg = PAR__OPT(o, log_arg, d.log_arg);
	m->log_level = PAR__OPT(o, log_level, d.log_level);
	if (m->max_conns == 0 || m->max_msg > PAR_NET_MSG_MAX || m->out_max < 4096 ||
	    m->auth_timeout_ns <= 0 || m->stop_flush_ns < 0 || m->want > PAR_NET_BACKEND_EPOLL)
		return -EINVAL;
	return 0;
}

int par_manager_create(const struct par_authkey *key, const struct par_manager_opts *opts,
		       struct par_manager **out)
{
	if (key == NULL || key->len == 0 || key->len > PAR_AUTHKEY_MAX || out == NULL)
		return -EINVAL;
	struct par_manager *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	int r = opts_apply(m, opts);
	int b = r == 0 ? par__loop_pick(m->want) : r;
	if (b < 0) {
		free(m);
		return b;
	}
	m->key = *key;
	atomic_store(&m->backend, b);
	m->lfd = -1;
	m->pylfd = -1;
	m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->stop_fd < 0) {
		r = -errno;
		free(m);
		return r;
	}
	pthread_mutex_init(&m->qlock, NULL);
	*out = m;
	return 0;
}

static int name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strlen(name) <= PAR_MANAGER_NAME_MAX;
}

static int add(struct par_manager *m, const char *name, struct par__sq *q)
{
	int r = 0;

	pthread_mutex_lock(&m->qlock);
	if (m->nq == PAR__QUEUES_MAX)
		r = -ENOSPC;
	for (uint32_t i = 0; r == 0 && i < m->nq; i++)
		if (strcmp(m->queues[i]->name, name) == 0)
			r = -EEXIST;
	if (r == 0) {
		q->id = m->nq;
		/* stable, and shaped like the '%x' % id(obj) Python sends */
		snprintf(q->pyident, sizeof(q->pyident), "7f%010x", 0x1000u + 0x10u * q->id);
		m->queues[m->nq++] = q;
	}
	pthread_mutex_unlock(&m->qlock);
	if (r != 0)
		par__sq_free(q);
	return r;
}

int par_manager_add_queue(struct par_manager *m, const char *name,
			  const struct par_manager_queue_opts *opts)
{
	struct par_manager_queue_opts d;
	struct par__sq *q;

	par_manager_queue_opts_init(&d);
	if (m == NULL || !name_ok(name) || PAR__OPTS_BAD(opts))
		return -EINVAL;
	if (atomic_load(&m->serving))
		return -EBUSY;
	int r = par__sq_new_mem(m, name, PAR__OPT(opts, capacity, d.capacity),
				PAR__OPT(opts, max_bytes, d.max_bytes), &q);
	return r == 0 ? add(m, name, q) : r;
}

int par_manager_add_shm_queue(struct par_manager *m, const char *name, struct par_queue *pq)
{
	struct par__sq *q;

	if (m == NULL || !name_ok(name) || pq == NULL)
		return -EINVAL;
	if (atomic_load(&m->serving))
		return -EBUSY;
	int r = par__sq_new_shm(m, name, pq, &q);
	return r == 0 ? add(m, name, q) : r;
}

struct par__sq *par__srv_queue(struct par_manager *m, uint32_t qid)
{
	return qid < m->nq ? m->queues[qid] : NULL;
}

struct par__sq *par__srv_queue_named(struct par_manager *m, const uint8_t *name, size_t len)
{
	for (uint32_t i = 0; i < m->nq; i++)
		if (strlen(m->queues[i]->name) == len && memcmp(m->queues[i]->name, name, len) == 0)
			return m->queues[i];
	return NULL;
}

struct par__sq *par__srv_queue_pyident(struct par_manager *m, const uint8_t *ident, size_t len)
{
	for (uint32_t i = 0; i < m->nq; i++)
		if (strlen(m->queues[i]->pyident) == len &&
		    memcmp(m->queues[i]->pyident, ident, len) == 0)
			return m->queues[i];
	return NULL;
}

static int listen_one(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int listen_at(struct par_manager *m, const char *addr, int *lfd)
{
	struct addrinfo *res;

	if (m == NULL)
		return -EINVAL;
	if (*lfd >= 0)
		return -EBUSY;
	if (atomic_load(&m->serving))
		return -EBUSY;
	int r = par__addr_resolve(addr, 1, &res);
	if (r != 0)
		return r == -ENOENT ? -EINVAL : r;
	r = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai != NULL && r < 0; ai = ai->ai_next)
		r = listen_one(ai);
	freeaddrinfo(res);
	if (r < 0)
		return r;
	*lfd = r;
	return 0;
}

int par_manager_listen(struct par_manager *m, const char *addr)
{
	return m == NULL ? -EINVAL : listen_at(m, addr, &m->lfd);
}

int par_manager_listen_python(struct par_manager *m, const char *addr)
{
	return m == NULL ? -EINVAL : listen_at(m, addr, &m->pylfd);
}

static int address_of(int lfd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char tmp[128];

	if (lfd < 0)
		return -ENOTCONN;
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) != 0)
		return -errno;
	int port = par__addr_format((struct sockaddr *)&ss, tmp, sizeof(tmp));
	if (port < 0 || buf == NULL)
		return port;
	if (strlen(tmp) >= cap)
		return -ENOSPC;
	strcpy(buf, tmp);
	return port;
}

int par_manager_address(const struct par_manager *m, char *buf, size_t cap)
{
	return m == NULL ? -EINVAL : address_of(m->lfd, buf, cap);
}

int par_manager_python_address(const struct par_manager *m, char *buf, size_t cap)
{
	return m == NULL ? -EINVAL : address_of(m->pylfd, buf, cap);
}

static void no_ready(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static void unlisten(int *lfd)
{
	if (*lfd < 0)
		return;
	shutdown(*lfd, SHUT_RDWR);
	close(*lfd);
	*lfd = -1;
}

/* Serve, then close the listening sockets and forget the stop request. */
static int serve(struct par_manager *m, void (*ready)(void *arg, int rc), void *arg)
{
	int r = par__srv_serve(m, ready, arg);
	uint64_t v;

	/* Out of LISTEN now: an io_uring accept may hold the file a while after
	 * the ring is gone, and the port must be free to listen again. */
	unlisten(&m->lfd);
	unlisten(&m->pylfd);
	(void)!read(m->stop_fd, &v, sizeof(v)); /* forget the stop that ended this run */
	/* release: pairs with the acquire of the CAS in serve_begin, so the next
	 * serve sees this run's state */
	atomic_store_explicit(&m->serving, 0, memory_order_release);
	return r;
}

static int serve_begin(struct par_manager *m)
{
	int no = 0;

	if (m == NULL)
		return -EINVAL;
	if (m->lfd < 0 && m->pylfd < 0)
		return -ENOTCONN;
	/* acquire: pairs with the release store at the end of serve() */
	if (!atomic_compare_exchange_strong_explicit(&m->serving, &no, 1, memory_order_acquire,
						     memory_order_relaxed))
		return -EBUSY;
	return 0;
}

int par_manager_serve(struct par_manager *m)
{
	int r = serve_begin(m);

	return r != 0 ? r : serve(m, no_ready, NULL);
}

struct start_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	int rc;
	struct par_manager *m;
};

static void started(void *arg, int rc)
{
	struct start_sync *s = arg;

	pthread_mutex_lock(&s->mu);
	s->rc = rc;
	s->done = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void *serve_thread(void *arg)
{
	struct start_sync *s = arg;
	struct par_manager *m = s->m;

	m->thread_rc = serve(m, started, s); /* s is gone once started() returns */
	return NULL;
}

int par_manager_start(struct par_manager *m)
{
	struct start_sync s = { .mu = PTHREAD_MUTEX_INITIALIZER,
				.cv = PTHREAD_COND_INITIALIZER,
				.m = m };
	int r = serve_begin(m);

	if (r != 0)
		return r;
	if (m->started) {
		pthread_join(m->thread, NULL); /* a previous run, stopped */
		m->started = 0;
	}
	r = -pthread_create(&m->thread, NULL, serve_thread, &s);
	if (r != 0) {
		atomic_store(&m->serving, 0);
		return r;
	}
	m->started = 1;
	pthread_mutex_lock(&s.mu);
	while (!s.done)
		pthread_cond_wait(&s.cv, &s.mu);
	pthread_mutex_unlock(&s.mu);
	if (s.rc != 0)
		par_manager_join(m);
	return s.rc;
}

int par_manager_stop(struct par_manager *m)
{
	uint64_t one = 1;

	if (m == NULL)
		return -EINVAL;
	(void)!write(m->stop_fd, &one, sizeof(one));
	return 0;
}

int par_manager_join(struct par_manager *m)
{
	if (m == NULL || !m->started)
		return -EINVAL;
	pthread_join(m->thread, NULL);
	m->started = 0;
	return m->thread_rc;
}

void par_manager_destroy(struct par_manager *m)
{
	if (m == NULL)
		return;
	if (m->started) {
		par_manager_stop(m);
		par_manager_join(m);
	}
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->pylfd >= 0)
		close(m->pylfd);
	close(m->stop_fd);
	for (uint32_t i = 0; i < m->nq; i++)
		par__sq_free(m->queues[i]);
	pthread_mutex_destroy(&m->qlock);
	free(m->scratch);
	par_authkey_clear(&m->key);
	free(m);
}

enum par_net_backend par_manager_backend(const struct par_manager *m)
{
	return (enum par_net_backend)atomic_load(&((struct par_manager *)m)->backend);
}

void par__srv_stats(const struct par_manager *m, struct par_manager_stats *st)
{
	struct par__mstats *s = (struct par__mstats *)&m->st;

	*st = (struct par_manager_stats){
		.accepted = atomic_load_explicit(&s->accepted, RELAXED),
		.refused = atomic_load_explicit(&s->refused, RELAXED),
		.active = atomic_load_explicit(&s->active, RELAXED),
		.auth_ok = atomic_load_explicit(&s->auth_ok, RELAXED),
		.auth_failed = atomic_load_explicit(&s->auth_failed, RELAXED),
		.auth_timeouts = atomic_load_explicit(&s->auth_timeouts, RELAXED),
		.proto_errors = atomic_load_explicit(&s->proto_errors, RELAXED),
		.requests = atomic_load_explicit(&s->requests, RELAXED),
		.puts = atomic_load_explicit(&s->puts, RELAXED),
		.gets = atomic_load_explicit(&s->gets, RELAXED),
		.timeouts = atomic_load_explicit(&s->timeouts, RELAXED),
		.bytes_in = atomic_load_explicit(&s->bytes_in, RELAXED),
		.bytes_out = atomic_load_explicit(&s->bytes_out, RELAXED),
		.read_pauses = atomic_load_explicit(&s->read_pauses, RELAXED),
		.queues = m->nq,
		.backend = (uint32_t)par_manager_backend(m),
	};
}

int par_manager_get_stats(const struct par_manager *m, struct par_manager_stats *st)
{
	if (m == NULL || st == NULL)
		return -EINVAL;
	pthread_mutex_lock((pthread_mutex_t *)&m->qlock);
	par__srv_stats(m, st);
	pthread_mutex_unlock((pthread_mutex_t *)&m->qlock);
	return 0;
}

int par_manager_queues(const struct par_manager *m, struct par_manager_queue_info *qs, unsigned cap)
{
	if (m == NULL || (qs == NULL && cap > 0))
		return -EINVAL;
	pthread_mutex_lock((pthread_mutex_t *)&m->qlock);
	uint32_t n = m->nq;
	for (uint32_t i = 0; i < n && i < cap; i++)
		par__sq_info(m->queues[i], &qs[i]);
	pthread_mutex_unlock((pthread_mutex_t *)&m->qlock);
	return (int)n;
}

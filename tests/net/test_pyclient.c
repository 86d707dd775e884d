/* The client of Python managers against a fake one: a thread on 127.0.0.1
 * plays scripted connections (the handshake in either dialect or broken
 * ways, then for each request: check it, answer canned bytes from
 * ../shared/ref/python-manager-protocol.md, or misbehave). No Python
 * needed; tests/interop runs the real ones. */
#include "par_test.h"
#include "pywire.h"

#include <par/python.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* ---- canned answers --------------------------------------------------- */

#define B(s) s, sizeof(s) - 1
#define RET "\x80\x04\x8c\x07#RETURN"
static const char RET_NONE[] = RET "N\x86.";
static const char RET_1000[] = RET "M\xe8\x03\x86.";
static const char RET_STR[] = RET "\x8c\x0a"
				  "9 * 9 = 81\x86.";
static const char RET_CREATE[] = RET "\x8c\x0c"
				     "7f0000001000(\x8c\x03get\x8c\x03put"
				     "t\x86\x86.";
static const char ERR_EMPTY[] = "\x80\x04\x8c\x06#ERROR\x8c\x06_queue\x8c\x05"
				"Empty\x93\x94)R\x94\x86.";
static const char ERR_FULL[] = "\x80\x04\x8c\x06#ERROR\x8c\x05queue\x8c\x04"
			       "Full\x93)R\x86.";
static const char ERR_VALUE[] = "\x80\x04\x8c\x06#ERROR\x8c\x08"
				"builtins\x8c\x0aValueError\x93\x8c\x04"
				"boom\x85R\x86.";
static const char TB_KEY[] = "\x80\x04\x8c\x0a#TRACEBACK\x8c\x41"
			     "Traceback (most recent call last):\n  ...\nKeyError: 'get_nothing'\n"
			     "\x86.";
static const char TB_ATTR[] = "\x80\x04\x8c\x0a#TRACEBACK\x8c\x1c"
			      "Traceback\nAttributeError: x\n\x86.";
static const char UNKNOWN_KIND[] = "\x80\x04\x8c\x05#WHAT\x4e\x86.";
static const char GARBAGE[] = "this is not a pickle";
/* A 2 GiB answer's header (the large form), nothing after. */
static const char HUGE_HDR[] = "\xff\xff\xff\xff\x00\x00\x00\x00\x80\x00\x00\x00";

/* ---- the fake server ------------------------------------------------------ */

enum hs {
	HS_MODERN,     /* "#CHALLENGE#{sha256}" + 40 bytes, as 3.12+ */
	HS_LEGACY,     /* "#CHALLENGE#" + 20 bytes, as 3.8-3.11 */
	HS_FAIL,       /* #FAILURE# to the client's answer */
	HS_BAD_ANSWER, /* a wrong answer to the client's challenge */
	HS_RAW,	       /* send raw bytes instead, then wait for EOF */
};

enum act {
	A_REPLY, /* send the reply as a message */
	A_RAW,	 /* send the reply bytes as they are */
	A_HOLD,	 /* answer nothing; wait for the client to hang up */
	A_CLOSE, /* hang up at once */
};

struct step {
	const char *expect; /* bytes the request must contain; NULL: any */
	size_t elen;
	const char *reply;
	size_t rlen;
	enum act act;
};

struct fconn {
	enum hs hs;
	const char *raw;
	size_t rawlen;
	struct step steps[12];
	unsigned nsteps;
};

struct fake {
	int lfd;
	char addr[64];
	pthread_t th;
	const struct fconn *conns;
	unsigned n;
	struct par_authkey key;
	atomic_int bad;		   /* a request did not match, or the client's answer was wrong */
	atomic_int client_failure; /* the client said #FAILURE# */
	atomic_uint served;	   /* connections played */
};

#define KEY "abc"

/* One message, header and payload in one send (as Python sends small
 * ones; two sends would meet Nagle and delayed ACKs). */
static void fsend(int fd, const void *p, size_t n)
{
	uint8_t *m = malloc(12 + n);
	size_t k;

	assert_non_null(m);
	k = par__py_frame_header(m, n);
	memcpy(m + k, p, n);
	send(fd, m, k + n, MSG_NOSIGNAL);
	free(m);
}

/* Read exactly n bytes within 10 s: 1, or 0 at EOF / timeout. */
static int fread_all(int fd, uint8_t *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 10000) <= 0)
			return 0;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* One message (up to cap bytes) into buf: its length, or -1. */
static ssize_t frecv(int fd, uint8_t *buf, size_t cap)
{
	uint8_t h[4];

	if (!fread_all(fd, h, 4))
		return -1;
	size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (n > cap || !fread_all(fd, buf, n))
		return -1;
	return (ssize_t)n;
}

static void wait_eof(int fd)
{
	uint8_t b[256];

	while (fread_all(fd, b, 1))
		;
}

/* The server's side of the handshake: 1 when the connection goes on. */
static int handshake(struct fake *f, int fd, const struct fconn *c)
{
	uint8_t chal[PAR__PY_CHALLENGE_MAX], buf[512], ans[PAR__PY_ANSWER_MAX];

	if (c->hs == HS_RAW) {
		send(fd, c->raw, c->rawlen, MSG_NOSIGNAL);
		wait_eof(fd);
		return 0;
	}
	int k = par__py_challenge(chal, c->hs != HS_LEGACY);
	fsend(fd, chal, (size_t)k);
	ssize_t n = frecv(fd, buf, sizeof(buf));
	if (n < 0 || !par__py_verify(&f->key, chal, (size_t)k, buf, (size_t)n))
		atomic_store(&f->bad, 1);
	if (c->hs == HS_FAIL) {
		fsend(fd, B(PAR__PY_FAILURE));
		return 0;
	}
	fsend(fd, B(PAR__PY_WELCOME));
	n = frecv(fd, buf, sizeof(buf));
	if (n < 0)
		return 0;
	int a = par__py_answer(&f->key, buf, (size_t)n, ans);
	if (a < 0)
		return 0;
	if (c->hs == HS_BAD_ANSWER)
		ans[a - 1] ^= 1;
	fsend(fd, ans, (size_t)a);
	n = frecv(fd, buf, sizeof(buf));
	if (n == sizeof(PAR__PY_FAILURE) - 1 && memcmp(buf, B(PAR__PY_FAILURE)) == 0)
		atomic_store(&f->client_failure, 1);
	return n == sizeof(PAR__PY_WELCOME) - 1 && memcmp(buf, B(PAR__PY_WELCOME)) == 0;
}

static void play_steps(struct fake *f, int fd, const struct fconn *c, uint8_t *buf, size_t cap)
{
	for (unsigned i = 0; i < c->nsteps; i++) {
		const struct step *s = &c->steps[i];
		ssize_t n = frecv(fd, buf, cap);
		if (n < 0) {
			atomic_store(&f->bad, 1);
			return;
		}
		if (s->expect != NULL && memmem(buf, (size_t)n, s->expect, s->elen) == NULL) {
			fprintf(stderr, "fake: step %u: request lacks the expected bytes\n", i);
			atomic_store(&f->bad, 1);
		}
		if (s->act == A_REPLY)
			fsend(fd, s->reply, s->rlen);
		else if (s->act == A_RAW)
			send(fd, s->reply, s->rlen, MSG_NOSIGNAL);
		else if (s->act == A_HOLD)
			wait_eof(fd);
		else
			return;
	}
	wait_eof(fd); /* the client hangs up first (a one-shot call or close) */
}

static void play(struct fake *f, int fd, const struct fconn *c)
{
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	if (handshake(f, fd, c))
		play_steps(f, fd, c, buf, cap);
	free(buf);
}

struct player {
	struct fake *f;
	int fd;
	const struct fconn *c;
};

static void *player(void *arg)
{
	struct player *p = arg;

	play(p->f, p->fd, p->c);
	close(p->fd);
	atomic_fetch_add(&p->f->served, 1);
	return NULL;
}

/* Accept the scripted connections in order, each played by its own thread
 * (a client keeps its proxy connection open while it makes others). */
static void *serve(void *arg)
{
	struct fake *f = arg;
	pthread_t th[8];
	struct player pl[8];
	unsigned i;

	for (i = 0; i < f->n && i < 8; i++) {
		struct pollfd pf = { .fd = f->lfd, .events = POLLIN };
		if (poll(&pf, 1, 10000) <= 0)
			break;
		pl[i] = (struct player){ f, accept(f->lfd, NULL, NULL), &f->conns[i] };
		if (pl[i].fd < 0 || pthread_create(&th[i], NULL, player, &pl[i]) != 0)
			break;
	}
	while (i-- > 0)
		pthread_join(th[i], NULL);
	return NULL;
}

static void fake_start(struct fake *f, const struct fconn *conns, unsigned n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->conns = conns;
	f->n = n;
	assert_int_equal(par_authkey_set(&f->key, B(KEY)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
}

/* Join the server; every scripted connection must have been played. */
static void fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	assert_int_equal(atomic_load(&f->served), f->n);
	assert_int_equal(atomic_load(&f->bad), 0);
}

static int connect_to(struct fake *f, int64_t grace_ns, struct par_pymanager **m)
{
	struct par_client_opts o;
	struct par_authkey k;

	par_client_opts_init(&o);
	o.connect_timeout_ns = 5 * PAR_TEST_SEC;
	o.reply_grace_ns = grace_ns;
	assert_int_equal(par_authkey_set(&k, B(KEY)), 0);
	return par_pymanager_connect(f->addr, &k, &o, m);
}

#define STEP(e, r, a)                                 \
	{                                             \
		e, sizeof(e) - 1, r, sizeof(r) - 1, a \
	}
#define ANY(r, a)                            \
	{                                    \
		NULL, 0, r, sizeof(r) - 1, a \
	}
#define DUMMY                                                               \
	{                                                                   \
		HS_MODERN, NULL, 0, { STEP("dummy", RET_NONE, A_REPLY) }, 1 \
	}
#define PUBLIC(name)                                                     \
	{                                                                \
		HS_MODERN, NULL, 0, { STEP(name, RET_NONE, A_REPLY) }, 1 \
	}
#define CREATE                                                                         \
	{                                                                              \
		HS_MODERN, NULL, 0, { STEP("get_task_queue", RET_CREATE, A_REPLY) }, 1 \
	}

/* ---- handshake ------------------------------------------------------------ */

static void connect_dialect(enum hs hs)
{
	struct fconn c[] = { { hs, NULL, 0, { STEP("dummy", RET_NONE, A_REPLY) }, 1 } };
	struct fake f;
	struct par_pymanager *m = NULL;

	fake_start(&f, c, 1);
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), 0);
	par_pymanager_close(m);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.client_failure), 0);
}

static void connect_modern(void **state)
{
	(void)state;
	connect_dialect(HS_MODERN);
}

static void connect_legacy(void **state)
{
	(void)state;
	connect_dialect(HS_LEGACY);
}

static void wrong_key_server_says_failure(void **state)
{
	struct fconn c[] = { { HS_FAIL, NULL, 0, { { 0 } }, 0 } };
	struct fake f;
	struct par_pymanager *m = NULL;

	(void)state;
	fake_start(&f, c, 1);
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), -EACCES);
	assert_null(m);
	fake_stop(&f);
}

static void server_answers_wrong(void **state)
{
	struct fconn c[] = { { HS_BAD_ANSWER, NULL, 0, { { 0 } }, 0 } };
	struct fake f;
	struct par_pymanager *m = NULL;

	(void)state;
	fake_start(&f, c, 1);
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), -EACCES);
	fake_stop(&f);
	assert_int_equal(atomic_load(&f.client_failure), 1); /* we said #FAILURE# */
}

static void not_python(const char *raw, size_t n)
{
	struct fconn c[] = { { HS_RAW, raw, n, { { 0 } }, 0 } };
	struct fake f;
	struct par_pymanager *m = NULL;

	fake_start(&f, c, 1);
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), -EPROTO);
	fake_stop(&f);
}

static void not_a_python_manager(void **state)
{
	static char big[4 + 300];

	(void)state;
	/* par's own manager greets with a little-endian frame header */
	not_python(B("\x28\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00"));
	not_python(B("HTTP/1.1 400 Bad Request\r\n\r\n"));
	not_python(B("\x00\x00\x00\x05hello")); /* no #CHALLENGE# */
	/* a handshake message over 256 bytes */
	memcpy(big, "\x00\x00\x01\x2c#CHALLENGE#", 15);
	not_python(big, sizeof(big));
}

static void refused(void **state)
{
	struct fake f;
	struct par_pymanager *m = NULL;

	(void)state;
	fake_start(&f, NULL, 0);
	fake_stop(&f); /* the port is closed now */
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), -ECONNREFUSED);
}

/* ---- calls ------------------------------------------------------------------ */

/* dummy, create, incref, decref, accept_connection + proxy steps, decref:
 * a queue's life. */
static void queue_life(const struct step *steps, unsigned n, int64_t grace_ns,
		       void (*calls)(struct par_pymanager *, struct par_pyqueue *))
{
	struct fconn c[6] = {
		DUMMY,
		CREATE,
		PUBLIC("incref"),
		PUBLIC("decref"),
		{ HS_MODERN, NULL, 0, { STEP("accept_connection", RET_NONE, A_REPLY) }, 1 },
		PUBLIC("decref")
	};
	struct fake f;
	struct par_pymanager *m = NULL;
	struct par_pyqueue *q = NULL;

	memcpy(c[4].steps + 1, steps, n * sizeof(*steps));
	c[4].nsteps += n;
	fake_start(&f, c, 6);
	assert_int_equal(connect_to(&f, grace_ns, &m), 0);
	assert_int_equal(par_pymanager_queue(m, "get_task_queue", &q), 0);
	calls(m, q);
	par_pyqueue_close(q);
	par_pymanager_close(m);
	fake_stop(&f);
}

static void last_error_is(struct par_pymanager *m, const char *want)
{
	char buf[256];

	assert_int_equal(par_pymanager_last_error(m, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void calls_ok(struct par_pymanager *m, struct par_pyqueue *q)
{
	struct par_py item = par_py_str(B("abc")), *got = NULL;

	assert_int_equal(par_pyqueue_put(q, &item, 0), 0);
	assert_int_equal(par_pyqueue_get(q, &got, 0), -EAGAIN);
	assert_int_equal(par_pyqueue_get(q, &got, 100 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(par_pyqueue_put(q, &item, 0), -EAGAIN);
	assert_int_equal(par_pyqueue_put(q, &item, 1500 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(par_pyqueue_size(q), 1000);
	assert_int_equal(par_pyqueue_get(q, &got, PAR_FOREVER), 0);
	assert_int_equal(got->type, PAR_PY_STR);
	assert_int_equal(got->len, 10);
	assert_memory_equal(got->s, "9 * 9 = 81", 10);
	par_py_free(got);
	assert_int_equal(par_pyqueue_put(q, &item, PAR_FOREVER), -EREMOTEIO);
	last_error_is(m, "ValueError: boom");
	assert_int_equal(par_pyqueue_get(q, &got, PAR_FOREVER), -EREMOTEIO);
	last_error_is(m, "AttributeError: x");
	/* still usable after remote errors */
	assert_int_equal(par_pyqueue_size(q), 1000);
}

static void queue_calls(void **state)
{
	const struct step s[] = {
		STEP("\x8c\x0aput_nowait\x28\x8c\x03"
		     "abc",
		     RET_NONE, A_REPLY),
		STEP("\x8c\x0aget_nowait(t}", ERR_EMPTY, A_REPLY),
		/* get(True, 0.1) */
		STEP("\x8c\x03get(\x88G\x3f\xb9\x99\x99\x99\x99\x99\x9at}", ERR_EMPTY, A_REPLY),
		STEP("put_nowait", ERR_FULL, A_REPLY),
		/* put('abc', True, 1.5) */
		STEP("\x8c\x03put(\x8c\x03"
		     "abc\x88G\x3f\xf8\x00\x00\x00\x00\x00\x00t}",
		     ERR_FULL, A_REPLY),
		STEP("\x8c\x05qsize(t}", RET_1000, A_REPLY),
		STEP("\x8c\x03get(t}", RET_STR, A_REPLY), /* block, no timeout: no args */
	};
	const struct step s2[] = {
		STEP("\x8c\x03put(\x8c\x03"
		     "abct}",
		     ERR_VALUE, A_REPLY),
		ANY(TB_ATTR, A_REPLY),
		ANY(RET_1000, A_REPLY),
	};
	struct step all[10];

	(void)state;
	memcpy(all, s, sizeof(s));
	memcpy(all + 7, s2, sizeof(s2));
	queue_life(all, 10, PAR_TEST_SEC, calls_ok);
}

static int broke_with;

static void calls_broken(struct par_pymanager *m, struct par_pyqueue *q)
{
	struct par_py *got = NULL;
	struct par_py item = par_py_none();

	(void)m;
	assert_int_equal(par_pyqueue_get(q, &got, PAR_TEST_SEC), broke_with);
	/* the connection was dropped: later calls fail at once */
	assert_int_equal(par_pyqueue_get(q, &got, PAR_FOREVER), -EPIPE);
	assert_int_equal(par_pyqueue_put(q, &item, 0), -EPIPE);
	assert_int_equal(par_pyqueue_size(q), -EPIPE);
}

static void malformed_answer(void **state)
{
	const struct step s[] = { ANY(GARBAGE, A_REPLY) };

	(void)state;
	broke_with = -EPROTO;
	queue_life(s, 1, PAR_TEST_SEC, calls_broken);
}

static void unknown_kind(void **state)
{
	const struct step s[] = { ANY(UNKNOWN_KIND, A_REPLY) };

	(void)state;
	broke_with = -EPROTO;
	queue_life(s, 1, PAR_TEST_SEC, calls_broken);
}

static void answer_too_big(void **state)
{
	const struct step s[] = { ANY(HUGE_HDR, A_RAW) };

	(void)state;
	broke_with = -EMSGSIZE;
	queue_life(s, 1, PAR_TEST_SEC, calls_broken);
}

static void no_answer(void **state)
{
	const struct step s[] = { ANY("", A_HOLD) };

	(void)state;
	broke_with = -ETIMEDOUT; /* after the call's 1 s and 50 ms of grace */
	queue_life(s, 1, 50 * PAR_TEST_MS, calls_broken);
}

static void server_gone_mid_get(void **state)
{
	const struct step s[] = { ANY("", A_CLOSE) };

	(void)state;
	broke_with = -EPIPE;
	queue_life(s, 1, PAR_TEST_SEC, calls_broken);
}

static void unknown_typeid(void **state)
{
	struct fconn c[] = { DUMMY,
			     { HS_MODERN, NULL, 0, { STEP("get_nothing", TB_KEY, A_REPLY) }, 1 } };
	struct fake f;
	struct par_pymanager *m = NULL;
	struct par_pyqueue *q = NULL;

	(void)state;
	fake_start(&f, c, 2);
	assert_int_equal(connect_to(&f, PAR_TEST_SEC, &m), 0);
	assert_int_equal(par_pymanager_queue(m, "get_nothing", &q), -ENOENT);
	assert_null(q);
	last_error_is(m, "KeyError: 'get_nothing'");
	par_pymanager_close(m);
	fake_stop(&f);
}

static void bad_args(void **state)
{
	struct par_pymanager *m = NULL;
	struct par_authkey k;

	(void)state;
	assert_int_equal(par_authkey_set(&k, B(KEY)), 0);
	assert_int_equal(par_pymanager_connect(NULL, &k, NULL, &m), -EINVAL);
	assert_int_equal(par_pymanager_connect("127.0.0.1:1", NULL, NULL, &m), -EINVAL);
	assert_int_equal(par_pymanager_connect("no-port", &k, NULL, &m), -EINVAL);
	assert_int_equal(par_pyqueue_put(NULL, NULL, 0), -EINVAL);
	assert_int_equal(par_pyqueue_get(NULL, NULL, 0), -EINVAL);
	assert_int_equal(par_pyqueue_size(NULL), -EINVAL);
	par_pymanager_close(NULL);
	par_pyqueue_close(NULL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(connect_modern),
	cmocka_unit_test(connect_legacy),
	cmocka_unit_test(wrong_key_server_says_failure),
	cmocka_unit_test(server_answers_wrong),
	cmocka_unit_test(not_a_python_manager),
	cmocka_unit_test(refused),
	cmocka_unit_test(queue_calls),
	cmocka_unit_test(malformed_answer),
	cmocka_unit_test(unknown_kind),
	cmocka_unit_test(answer_too_big),
	cmocka_unit_test(no_answer),
	cmocka_unit_test(server_gone_mid_get),
	cmocka_unit_test(unknown_typeid),
	cmocka_unit_test(bad_args),
};

PAR_TEST_MAIN(tests)

/* The C side of the client interop tests (client_interop.py runs it against
 * a Python BaseManager it started; the key is in $PAR_AUTHKEY):
 *
 *   client_check produce ADDR TYPEID N   put item(0..N) (blocking, 30 s)
 *   client_check consume ADDR TYPEID N   get N items, each must be item(i)
 *                                        in order, then the queue is empty
 *   client_check errors ADDR             error meanings (see errors())
 *
 * produce and consume print "sum HEX count N": FNV-1a over each item's
 * canonical bytes (canon below), which client_interop.py computes too.
 * Exit 0 when every check passed. */
#include <par/python.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define CALL_TIMEOUT (30 * SEC)

static int failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
			failed = 1;                                                        \
		}                                                                          \
	} while (0)

#define CHECK_ERR(expr, want)                                                                 \
	do {                                                                                  \
		long long got_ = (long long)(expr);                                           \
		if (got_ != (long long)(want)) {                                              \
			fprintf(stderr, "%s:%d: FAILED: %s = %lld (%s), want %s\n", __FILE__, \
				__LINE__, #expr, got_, par_strerror((int)got_), #want);       \
			failed = 1;                                                           \
		}                                                                             \
	} while (0)

/* ---- the items (client_interop.py's item() is the same) ----------------- */

struct item {
	struct par_py v;
	struct par_py parts[5];
	char s[64];
	uint8_t b[300];
};

static void make_item(uint64_t i, struct item *it)
{
	switch (i % 6) {
	case 0: {
		uint64_t u = ((i * 2654435761u) % (1ull << 40)) >> (i % 41);
		it->v = par_py_int(i & 1 ? -(int64_t)u : (int64_t)u);
		break;
	}
	case 1:
		it->v = par_py_str(it->s,
				   (size_t)snprintf(it->s, sizeof(it->s),
						    "item %" PRIu64 " \xc3\xa9 \xe2\x9c\x93", i));
		break;
	case 2:
		for (size_t j = 0; j < i % 300; j++)
			it->b[j] = (uint8_t)((i + j) % 256);
		it->v = par_py_bytes(it->b, i % 300);
		break;
	case 3:
		it->parts[0] = par_py_int((int64_t)i);
		it->parts[1] =
			par_py_str(it->s, (size_t)snprintf(it->s, sizeof(it->s), "t%" PRIu64, i));
		it->parts[2] = par_py_bytes("\x00\xff", 2);
		it->parts[3] = par_py_none();
		it->parts[4] = par_py_float((double)(i % 7) / 8.0);
		it->v = par_py_tuple(it->parts, 5);
		break;
	case 4:
		it->v = par_py_float(i % 4 ? (double)i / 3.0 : (double)-(int64_t)i * 0.1);
		break;
	default:
		it->v = par_py_none();
	}
}

/* FNV-1a 64 */
static void fnv(uint64_t *h, const void *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		*h ^= ((const uint8_t *)p)[k];
		*h *= 0x100000001b3ull;
	}
}

static void fnv_str(uint64_t *h, const char *tag, long long v)
{
	char t[48];
	int k = snprintf(t, sizeof(t), "%s%lld", tag, v);

	fnv(h, t, (size_t)k);
}

/* n / i<dec>; / f<8 bytes BE> / s<len>:<utf8> / b<len>:<bytes> / t<len>:<items> */
static void canon(uint64_t *h, const struct par_py *v)
{
	uint8_t f[8];
	uint64_t bits;

	switch (v->type) {
	case PAR_PY_NONE:
		fnv(h, "n", 1);
		break;
	case PAR_PY_INT:
		fnv_str(h, "i", v->i);
		fnv(h, ";", 1);
		break;
	case PAR_PY_FLOAT:
		memcpy(&bits, &v->f, 8);
		for (int k = 0; k < 8; k++)
			f[k] = (uint8_t)(bits >> (56 - 8 * k));
		fnv(h, "f", 1);
		fnv(h, f, 8);
		break;
	case PAR_PY_STR:
	case PAR_PY_BYTES:
		fnv_str(h, v->type == PAR_PY_STR ? "s" : "b", (long long)v->len);
		fnv(h, ":", 1);
		fnv(h, v->b, v->len);
		break;
	case PAR_PY_TUPLE:
		fnv_str(h, "t", (long long)v->len);
		fnv(h, ":", 1);
		for (size_t k = 0; k < v->len; k++)
			canon(h, &v->items[k]);
		break;
	default:
		fnv(h, "?", 1);
	}
}

/* ---- produce / consume ---------------------------------------------------- */

static int open_queue(const char *addr, const char *typeid, struct par_pymanager **m,
		      struct par_pyqueue **q)
{
	struct par_authkey key;
	int r = par_authkey_from_env("PAR_AUTHKEY", &key);

	if (r == 0)
		r = par_pymanager_connect(addr, &key, NULL, m);
	par_authkey_clear(&key);
	if (r == 0)
		r = par_pymanager_queue(*m, typeid, q);
	if (r != 0)
		fprintf(stderr, "connect %s, %s: %s\n", addr, typeid, par_strerror(r));
	return r;
}

static int produce(const char *addr, const char *typeid, uint64_t n)
{
	struct par_pymanager *m;
	struct par_pyqueue *q;
	struct item it;
	uint64_t h = 0xcbf29ce484222325ull;

	if (open_queue(addr, typeid, &m, &q) != 0)
		return 1;
	for (uint64_t i = 0; i < n && !failed; i++) {
		make_item(i, &it);
		canon(&h, &it.v);
		CHECK_ERR(par_pyqueue_put(q, &it.v, CALL_TIMEOUT), 0);
	}
	printf("sum %016" PRIx64 " count %" PRIu64 "\n", h, n);
	par_pyqueue_close(q);
	par_pymanager_close(m);
	return failed;
}

static int consume(const char *addr, const char *typeid, uint64_t n)
{
	struct par_pymanager *m;
	struct par_pyqueue *q;
	struct par_py *got;
	struct item it;
	uint64_t h = 0xcbf29ce484222325ull, i;

	if (open_queue(addr, typeid, &m, &q) != 0)
		return 1;
	for (i = 0; i < n && !failed; i++) {
		int r = par_pyqueue_get(q, &got, CALL_TIMEOUT);
		CHECK_ERR(r, 0);
		if (r != 0)
			break;
		make_item(i, &it);
		canon(&h, got);
		if (!par_py_equal(got, &it.v)) {
			char a[512], b[512];
			par_py_repr(got, a, sizeof(a));
			par_py_repr(&it.v, b, sizeof(b));
			fprintf(stderr, "item %" PRIu64 ": got %s, want %s\n", i, a, b);
			failed = 1;
		}
		par_py_free(got);
	}
	CHECK_ERR(par_pyqueue_get(q, &got, 0), -EAGAIN);
	printf("sum %016" PRIx64 " count %" PRIu64 "\n", h, i);
	par_pyqueue_close(q);
	par_pymanager_close(m);
	return failed;
}

/* ---- errors --------------------------------------------------------------- */

static void check_last_error(struct par_pymanager *m, const char *want)
{
	char buf[1024];

	par_pymanager_last_error(m, buf, sizeof(buf));
	printf("  last error: %s\n", buf);
	if (strstr(buf, want) == NULL) {
		fprintf(stderr, "FAILED: last error \"%s\" lacks \"%s\"\n", buf, want);
		failed = 1;
	}
}

/* Timeouts and Empty/Full on the maxsize-2 queue get_small; items of every
 * type and a large one come back equal. */
static void queue_checks(struct par_pyqueue *q)
{
	struct par_py *got = NULL;
	struct par_py one = par_py_int(1), two = par_py_int(2);

	CHECK_ERR(par_pyqueue_get(q, &got, 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	CHECK_ERR(par_pyqueue_get(q, &got, SEC / 5), -ETIMEDOUT);
	int64_t dt = par_now_ns() - t0;
	printf("  get(timeout 0.2 s) on an empty queue: -ETIMEDOUT after %.3f s\n", dt / 1e9);
	CHECK(dt < 60 * SEC); /* loose: only "it came back" */
	CHECK_ERR(par_pyqueue_put(q, &one, PAR_FOREVER), 0);
	CHECK_ERR(par_pyqueue_put(q, &two, SEC), 0);
	CHECK_ERR(par_pyqueue_size(q), 2);
	CHECK_ERR(par_pyqueue_put(q, &one, 0), -EAGAIN);
	CHECK_ERR(par_pyqueue_put(q, &one, SEC / 10), -ETIMEDOUT);
	for (int k = 1; k <= 2; k++) {
		CHECK_ERR(par_pyqueue_get(q, &got, PAR_FOREVER), 0);
		CHECK(got != NULL && got->type == PAR_PY_INT && got->i == k);
		par_py_free(got);
		got = NULL;
	}
	static uint8_t big[70000];
	memset(big, 'x', sizeof(big));
	struct par_py parts[] = { par_py_int(INT64_MIN),
				  par_py_float(-0.5),
				  par_py_none(),
				  par_py_bool(1),
				  par_py_str("\xe2\x9c\x93", 3),
				  par_py_bytes(big, sizeof(big)) };
	struct par_py lst = par_py_list(parts, 5);
	struct par_py all[] = { lst, parts[5] };
	struct par_py tup = par_py_tuple(all, 2);
	CHECK_ERR(par_pyqueue_put(q, &tup, SEC), 0);
	CHECK_ERR(par_pyqueue_get(q, &got, SEC), 0);
	CHECK(got != NULL && par_py_equal(got, &tup));
	par_py_free(got);
}

static void errors(const char *addr)
{
	struct par_authkey key, wrong;
	struct par_pymanager *m = NULL, *m2 = NULL;
	struct par_pyqueue *q = NULL, *bad = NULL, *unser = NULL, *die = NULL, *q2 = NULL;
	struct par_py *got = NULL;
	struct par_py one = par_py_int(1);

	if (par_authkey_from_env("PAR_AUTHKEY", &key) != 0) {
		failed = 1;
		return;
	}
	wrong = key;
	wrong.key[0] ^= 1;
	printf("wrong key\n");
	CHECK_ERR(par_pymanager_connect(addr, &wrong, NULL, &m), -EACCES);
	printf("connect\n");
	CHECK_ERR(par_pymanager_connect(addr, &key, NULL, &m), 0);
	if (m == NULL)
		return;
	printf("unknown typeid\n");
	CHECK_ERR(par_pymanager_queue(m, "get_nothing", &q), -ENOENT);
	check_last_error(m, "KeyError");
	printf("a typeid whose callable raises\n");
	CHECK_ERR(par_pymanager_queue(m, "get_boom", &q), -EREMOTEIO);
	check_last_error(m, "RuntimeError: no queue today");
	printf("timeouts, Empty and Full, values\n");
	CHECK_ERR(par_pymanager_queue(m, "get_small", &q), 0);
	if (q != NULL)
		queue_checks(q);
	printf("a put that raises\n");
	CHECK_ERR(par_pymanager_queue(m, "get_bad", &bad), 0);
	CHECK_ERR(par_pyqueue_put(bad, &one, SEC), -EREMOTEIO);
	check_last_error(m, "ValueError: boom: 1");
	printf("an unpicklable result\n");
	CHECK_ERR(par_pymanager_queue(m, "get_unser", &unser), 0);
	CHECK_ERR(par_pyqueue_get(unser, &got, SEC), -EREMOTEIO);
	check_last_error(m, "Unserializable message: ");
	printf("the connection still works after remote errors\n");
	CHECK_ERR(par_pyqueue_size(q), 0);
	printf("a second client of the same server\n");
	CHECK_ERR(par_pymanager_connect(addr, &key, NULL, &m2), 0);
	CHECK_ERR(par_pymanager_queue(m2, "get_small", &q2), 0);
	CHECK_ERR(par_pyqueue_put(q2, &one, SEC), 0);
	CHECK_ERR(par_pyqueue_size(q), 1);
	CHECK_ERR(par_pyqueue_get(q, &got, SEC), 0);
	par_py_free(got);
	par_pyqueue_close(q2);
	par_pymanager_close(m2);
	printf("the server dies during a get without timeout\n");
	CHECK_ERR(par_pymanager_queue(m, "get_die", &die), 0);
	CHECK_ERR(par_pyqueue_get(die, &got, PAR_FOREVER), -EPIPE);
	CHECK_ERR(par_pyqueue_get(q, &got, 0), -EPIPE);
	/* refused, or reset if the listener was still closing as the process went */
	int r = par_pymanager_connect(addr, &key, NULL, &m2);
	CHECK(r == -ECONNREFUSED || r == -EPIPE);
	par_pyqueue_close(die);
	par_pyqueue_close(unser);
	par_pyqueue_close(bad);
	par_pyqueue_close(q);
	par_pymanager_close(m);
	par_authkey_clear(&key);
	par_authkey_clear(&wrong);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "errors") == 0) {
		errors(argv[2]);
		printf(failed ? "FAILED\n" : "ok\n");
		return failed;
	}
	if (argc == 5 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], strtoull(argv[4], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "consume") == 0)
		return consume(argv[2], argv[3], strtoull(argv[4], NULL, 10));
	fprintf(stderr, "usage: client_check errors ADDR | produce|consume ADDR TYPEID N\n");
	return 2;
}

/* The C side of the server interop tests: par's native client on a queue
 * that Python workers use through par-manager's Python listener. Public API
 * only (par/manager.h, par/python.h).
 *
 *   server_native_peer putvals ADDR KEYFILE QUEUE
 *       put b"raw\0bytes", the pickle of ("3 * 3 = 9", 9, None, 1.5, [1, 2])
 *       and b"\x80\x04fake" (not a whole pickle: Python gets bytes)
 *   server_native_peer produce ADDR KEYFILE QUEUE N K
 *       put (seq, payload, fnv1a(payload)) for seq in 0..N, then K Nones
 *   server_native_peer consume ADDR KEYFILE QUEUE N
 *       get N items (producer, seq, payload, fnv1a(payload)), check each
 *       checksum and that no (producer, seq) comes twice, then that the
 *       queue is empty
 *   server_native_peer get1 ADDR KEYFILE QUEUE FILE
 *       get one message (10 s at most) and write its bytes to FILE
 *
 * Exit 0 when all went as it should, 1 otherwise (with the reason). */
#include <par/manager.h>
#include <par/python.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define MAX_PRODUCERS 64

static uint32_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "server_native_peer: %s: %s\n", what, err ? par_strerror(err) : "wrong");
	return 1;
}

static int put_py(struct par_rqueue *q, const struct par_py *v, int async)
{
	unsigned char buf[512];
	ssize_t n = par_py_dumps(v, buf, sizeof(buf));

	if (n < 0 || (size_t)n > sizeof(buf))
		return n < 0 ? (int)n : -EMSGSIZE;
	return async ? par_rqueue_put_async(q, buf, (size_t)n, 60 * SEC)
		     : par_rqueue_put(q, buf, (size_t)n, 10 * SEC);
}

static int putvals(struct par_rqueue *q)
{
	struct par_py list[2] = { par_py_int(1), par_py_int(2) };
	struct par_py items[5] = { par_py_str("3 * 3 = 9", 9), par_py_int(9), par_py_none(),
				   par_py_float(1.5), par_py_list(list, 2) };
	struct par_py t = par_py_tuple(items, 5);
	int r = par_rqueue_put(q, "raw\0bytes", 9, 10 * SEC);

	if (r == 0)
		r = put_py(q, &t, 0);
	if (r == 0)
		r = par_rqueue_put(q,
				   "\x80\x04"
				   "fake",
				   6, 10 * SEC);
	return r ? die("put", r) : 0;
}

static int produce(struct par_client *c, struct par_rqueue *q, long n, long k)
{
	unsigned char payload[64];

	for (long i = 0; i < n; i++) {
		size_t len = (size_t)(i * 7919 % 61);
		for (size_t j = 0; j < len; j++)
			payload[j] = (unsigned char)(i + j * 31);
		struct par_py items[3] = { par_py_int(i), par_py_bytes(payload, len),
					   par_py_int(fnv1a(payload, len)) };
		struct par_py t = par_py_tuple(items, 3);
		int r = put_py(q, &t, 1);
		if (r != 0)
			return die("put", r);
	}
	struct par_py none = par_py_none();
	for (long i = 0; i < k; i++)
		if (put_py(q, &none, 1) != 0)
			return die("put None", 0);
	int r = par_client_flush(c, 60 * SEC);
	return r ? die("flush", r) : 0;
}

/* One (producer, seq, payload, checksum) item: 0, or 1 with the reason. */
static int check_item(const unsigned char *m, size_t len, long n, unsigned char *seen)
{
	struct par_py *v = NULL;

	if (!par_py_is_pickle(m, len) || par_py_loads(m, len, &v) != 0)
		return die("an item that is not a pickle", 0);
	const struct par_py *it = v->items;
	int bad = v->type != PAR_PY_TUPLE || v->len != 4 || it[0].type != PAR_PY_INT ||
		  it[1].type != PAR_PY_INT || it[2].type != PAR_PY_BYTES ||
		  it[3].type != PAR_PY_INT;
	if (!bad && (it[0].i < 0 || it[0].i >= MAX_PRODUCERS || it[1].i < 0 || it[1].i >= n ||
		     (uint32_t)it[3].i != fnv1a(it[2].b, it[2].len)))
		bad = 2;
	size_t at = bad ? 0 : (size_t)(it[0].i * n + it[1].i);
	if (!bad && seen[at])
		bad = 3;
	if (!bad)
		seen[at] = 1;
	par_py_free(v);
	if (bad)
		return die(bad == 3 ? "an item delivered twice" : "a bad item", 0);
	return 0;
}

static int consume(struct par_rqueue *q, long n)
{
	unsigned char *seen = calloc((size_t)n * MAX_PRODUCERS, 1);
	static unsigned char bufs[64][256];
	struct par_msg msgs[64];
	long got = 0;

	if (seen == NULL)
		return die("memory", 0);
	while (got < n) {
		for (int i = 0; i < 64; i++)
			msgs[i] = (struct par_msg){ .data = bufs[i], .cap = sizeof(bufs[i]) };
		int k = par_rqueue_get_many(q, msgs, 64, 60 * SEC);
		if (k < 0) {
			free(seen);
			return die("get", k);
		}
		for (int i = 0; i < k; i++)
			if (check_item(bufs[i], msgs[i].len, n, seen) != 0) {
				free(seen);
				return 1;
			}
		got += k;
	}
	free(seen);
	ssize_t left = par_rqueue_size(q);
	if (got != n || left != 0)
		return die("more items than were put", 0);
	printf("ok: %ld items, each once, checksums good\n", got);
	return 0;
}

static int get1(struct par_rqueue *q, const char *path)
{
	static unsigned char buf[1 << 20];
	ssize_t n = par_rqueue_get(q, buf, sizeof(buf), 10 * SEC);
	FILE *f;

	if (n < 0)
		return die("get", (int)n);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, (size_t)n, f) != (size_t)n ||
	    fclose(f) != 0)
		return die(path, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct par_authkey key;
	struct par_client *c = NULL;
	struct par_rqueue *q = NULL;
	int rc;

	if (argc < 5) {
		fprintf(stderr, "usage: server_native_peer MODE ADDR KEYFILE QUEUE [ARGS]\n");
		return 2;
	}
	if ((rc = par_authkey_from_file(argv[3], &key)) != 0)
		return die(argv[3], rc);
	rc = par_client_connect(argv[2], &key, NULL, &c);
	par_authkey_clear(&key);
	if (rc != 0)
		return die(argv[2], rc);
	if ((rc = par_client_open(c, argv[4], &q)) != 0) {
		par_client_close(c);
		return die(argv[4], rc);
	}
	const char *mode = argv[1];
	if (strcmp(mode, "putvals") == 0)
		rc = putvals(q);
	else if (strcmp(mode, "produce") == 0 && argc == 7)
		rc = produce(c, q, atol(argv[5]), atol(argv[6]));
	else if (strcmp(mode, "consume") == 0 && argc == 6)
		rc = consume(q, atol(argv[5]));
	else if (strcmp(mode, "get1") == 0 && argc == 6)
		rc = get1(q, argv[5]);
	else
		rc = 2;
	par_rqueue_close(q);
	par_client_close(c);
	return rc;
}

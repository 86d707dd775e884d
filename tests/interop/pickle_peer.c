/* The C side of the pickle interop check (pickle_check.py).
 *
 *   pickle_peer rewrite   stdin: records (u32 little-endian length, bytes);
 *                         stdout, per record: the graph the reader made,
 *                         written again, then par_py_loads + par_py_dumps of
 *                         it, each as (i32 status, u32 length, bytes)
 *   pickle_peer values    stdout: par_py_dumps of the values listed in
 *                         pickle_check.py's C_VALUES, as records */
#include "pickle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_u32(uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	fwrite(b, 1, 4, stdout);
}

static void record(int32_t status, const void *p, size_t n)
{
	put_u32((uint32_t)status);
	put_u32((uint32_t)n);
	fwrite(p, 1, n, stdout);
}

static void graph(const uint8_t *p, size_t n)
{
	struct par__pkarena a;
	struct par__pk *k;
	struct par__pkw w;
	int r;

	par__pkarena_init(&a, PAR__PK_LIMIT(n));
	par__pkw_init(&w);
	r = par__pk_read(&a, p, n, &k, NULL);
	if (r == 0) {
		par__pkw_begin(&w);
		par__pkw_node(&w, k);
		r = par__pkw_end(&w);
	}
	record(r, w.p, r == 0 ? w.len : 0);
	par__pkw_free(&w);
	par__pkarena_free(&a);
}

static void value(const uint8_t *p, size_t n)
{
	struct par_py *v;
	ssize_t len = 0;
	uint8_t *buf = NULL;
	int r = par_py_loads(p, n, &v);

	if (r == 0) {
		len = par_py_dumps(v, NULL, 0);
		buf = malloc(len > 0 ? (size_t)len : 1);
		if (len > 0 && buf != NULL)
			len = par_py_dumps(v, buf, (size_t)len);
		r = len < 0 ? (int)len : buf == NULL ? -ENOMEM : 0;
		par_py_free(v);
	}
	record(r, buf, r == 0 ? (size_t)len : 0);
	free(buf);
}

static int rewrite(void)
{
	uint8_t h[4];

	while (fread(h, 1, 4, stdin) == 4) {
		size_t n = h[0] | h[1] << 8 | h[2] << 16 | (size_t)h[3] << 24;
		uint8_t *p = malloc(n ? n : 1);
		if (p == NULL || fread(p, 1, n, stdin) != n)
			return 1;
		graph(p, n);
		value(p, n);
		free(p);
	}
	return 0;
}

static void dump(const struct par_py *v)
{
	uint8_t buf[4096];
	ssize_t n = par_py_dumps(v, buf, sizeof(buf));

	record(n < 0 ? (int32_t)n : 0, buf, n > 0 ? (size_t)n : 0);
}

/* Keep in step with C_VALUES in pickle_check.py. */
static int values(void)
{
	static const uint8_t raw[] = { 0, 1, 0xff };
	struct par_py ret[2] = { par_py_str("#RETURN", 7), par_py_none() };
	struct par_py mix[8] = {
		par_py_int(-1),	      par_py_int(INT64_MIN),	  par_py_float(-0.5),
		par_py_bool(1),	      par_py_str("h\xc3\xa9", 3), par_py_bytes(raw, 3),
		par_py_list(NULL, 0), par_py_tuple(NULL, 0)
	};
	struct par_py one = par_py_int(65536);
	struct par_py list[3] = { par_py_tuple(&one, 1), par_py_list(mix, 8), par_py_none() };
	struct par_py v;

	v = par_py_tuple(ret, 2);
	dump(&v);
	v = par_py_tuple(mix, 8);
	dump(&v);
	v = par_py_list(list, 3);
	dump(&v);
	v = par_py_int(INT64_MAX);
	dump(&v);
	v = par_py_str("", 0);
	dump(&v);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc != 2)
		return 2;
	r = strcmp(argv[1], "rewrite") == 0  ? rewrite()
	    : strcmp(argv[1], "values") == 0 ? values()
					     : 2;
	fflush(stdout);
	return r;
}

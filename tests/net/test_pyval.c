/* par_py values (par/python.h): dumps writes what Python reads (exact bytes
 * for the canned answers), loads turns CPython's pickles into trees (other
 * types as PAR_PY_PICKLE parts that write back the same graph), cycles and
 * sharing bombs are handled, and repr is Python's. */
#include "par_test.h"

#include <par/python.h>

#include "pickle.h"
#include "pickle_fixtures.h"
#include "pickle_render.h"

#define NFIX (sizeof(pk_fixtures) / sizeof(pk_fixtures[0]))

static const struct pk_fixture *fixture(const char *name, uint8_t **p, size_t *n)
{
	for (size_t i = 0; i < NFIX; i++) {
		const struct pk_fixture *f = &pk_fixtures[i];
		if (strcmp(f->name, name) != 0)
			continue;
		*n = f->litlen + f->run_len;
		*p = malloc(*n);
		assert_non_null(*p);
		memcpy(*p, f->lit, f->run_at);
		memset(*p + f->run_at, f->run_byte, f->run_len);
		memcpy(*p + f->run_at + f->run_len, f->lit + f->run_at, f->litlen - f->run_at);
		return f;
	}
	fail_msg("no fixture %s", name);
	return NULL;
}

/* The rendering of the graph the pickle p[0..n) reads to. */
static char *graph(const void *p, size_t n)
{
	struct par__pkarena a;
	struct par__pk *k;
	const char *why;
	char *text;

	par__pkarena_init(&a, PAR__PK_LIMIT(n));
	assert_int_equal(par__pk_read(&a, p, n, &k, &why), 0);
	text = pk_render(k);
	par__pkarena_free(&a);
	return text;
}

/* par_py_dumps into a malloc'd buffer. */
static uint8_t *dumps(const struct par_py *v, size_t *n)
{
	ssize_t len = par_py_dumps(v, NULL, 0);
	uint8_t *p;

	assert_true(len > 0);
	p = malloc((size_t)len);
	assert_non_null(p);
	assert_int_equal(par_py_dumps(v, p, (size_t)len), len);
	*n = (size_t)len;
	return p;
}

static void canned_answers_are_byte_exact(void **state)
{
	struct par_py ret[2] = { par_py_str("#RETURN", 7), par_py_none() };
	struct par_py t = par_py_tuple(ret, 2);
	uint8_t buf[64];

	(void)state;
	assert_int_equal(par_py_dumps(&t, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "\x80\x04\x8c\x07#RETURN\x4e\x86\x2e", 14);
	ret[1] = par_py_int(1000);
	assert_int_equal(par_py_dumps(&t, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, "\x80\x04\x8c\x07#RETURN\x4d\xe8\x03\x86\x2e", 16);
	/* Too small: the length, nothing written. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(par_py_dumps(&t, buf, 15), 16);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(par_py_dumps(&t, NULL, 0), 16);
}

static void every_type_round_trips(void **state)
{
	static const uint8_t raw[] = { 0, 1, 2, 0xff };
	char *big = malloc(70000);
	struct par_py inner[2] = { par_py_list(NULL, 0), par_py_tuple(NULL, 0) };
	struct par_py items[12], *items_list = malloc(2500 * sizeof(*items_list));
	struct par_py v, *back;
	uint8_t *p;
	size_t n;

	(void)state;
	memset(big, 'x', 70000);
	for (size_t i = 0; i < 2500; i++)
		items_list[i] = par_py_int((int64_t)i * 1000003);
	items[0] = par_py_none();
	items[1] = par_py_bool(1);
	items[2] = par_py_int(INT64_MIN);
	items[3] = par_py_float(-0.0);
	items[4] = par_py_str("h\xc3\xa9llo", 6);
	items[5] = par_py_bytes(raw, sizeof(raw));
	items[6] = par_py_bytes(big, 70000);
	items[7] = par_py_str(big, 300);
	items[8] = par_py_tuple(inner, 2);
	items[9] = par_py_list(items_list, 2500);
	items[10] = par_py_int(65536);
	/* a PAR_PY_PICKLE part: {'a': [1]} as Python wrote it */
	items[11] = (struct par_py){ .type = PAR_PY_PICKLE,
				     .len = 19,
				     .b = "\x80\x04}\x94\x8c\x01\x61\x94]\x94K\x01\x61s." };
	items[11].len = strlen(items[11].b);
	v = par_py_tuple(items, 12);
	p = dumps(&v, &n);
	assert_int_equal(par_py_loads(p, n, &back), 0);
	/* the pickle part is written as the writer writes it: the same bytes */
	assert_true(par_py_equal(&v, back));
	assert_int_equal(back->type, PAR_PY_TUPLE);
	assert_int_equal(back->len, 12);
	for (size_t i = 0; i < 11; i++)
		assert_true(par_py_equal(&items[i], &back->items[i]));
	assert_string_equal(back->items[4].s, "h\xc3\xa9llo");
	assert_int_equal(back->items[11].type, PAR_PY_PICKLE);
	char *g = graph(back->items[11].b, back->items[11].len);
	assert_string_equal(g, "#1={#2=S1:61:#3=[I1]}");
	free(g);
	/* loads(dumps(loads(x))) is loads(x) */
	struct par_py *again;
	uint8_t *p2;
	size_t n2;
	p2 = dumps(back, &n2);
	assert_int_equal(par_py_loads(p2, n2, &again), 0);
	assert_true(par_py_equal(back, again));
	par_py_free(again);
	par_py_free(back);
	free(p2);
	free(p);
	free(items_list);
	free(big);
}

static void dumps_refuses_bad_values(void **state)
{
	struct par_py v, nest[PAR_PY_DEPTH_MAX + 1];
	uint8_t buf[16];

	(void)state;
	assert_int_equal(par_py_dumps(NULL, buf, sizeof(buf)), -EINVAL);
	v = par_py_str("\xed\xa0\x80", 3); /* a surrogate */
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EILSEQ);
	v = par_py_str("\xff", 1);
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EILSEQ);
	v = par_py_str(NULL, 2);
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EINVAL);
	v.type = (enum par_py_type)42;
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EINVAL);
	v = (struct par_py){ .type = PAR_PY_PICKLE, .len = 3, .b = "\x80\x04." };
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EPROTO);
	v = (struct par_py){ .type = PAR_PY_PICKLE, .len = 0, .b = "" };
	assert_int_equal(par_py_dumps(&v, buf, sizeof(buf)), -EPROTO);
	/* PAR_PY_DEPTH_MAX nested lists are written, one more is not. */
	nest[0] = par_py_list(NULL, 0);
	for (size_t i = 1; i <= PAR_PY_DEPTH_MAX; i++)
		nest[i] = par_py_list(&nest[i - 1], 1);
	assert_true(par_py_dumps(&nest[PAR_PY_DEPTH_MAX - 1], NULL, 0) > 0);
	assert_int_equal(par_py_dumps(&nest[PAR_PY_DEPTH_MAX], NULL, 0), -ELOOP);
}

static void python_pickles_load_as_trees(void **state)
{
	struct par_py *v;
	uint8_t *p;
	size_t n;
	char text[256];

	(void)state;
	fixture("msg_create", &p, &n);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_int_equal(par_py_repr(v, text, sizeof(text)), 58);
	assert_string_equal(text, "(None, 'create', ('get_task_queue',), <pickle of 5 bytes>)");
	assert_string_equal(v->items[1].s, "create");
	assert_int_equal(v->items[1].len, 6);
	assert_memory_equal(v->items[3].b, "\x80\x04}\x94.", 5);
	par_py_free(v);
	free(p);

	fixture("msg_put_70000", &p, &n);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_int_equal(v->items[2].items[0].type, PAR_PY_BYTES);
	assert_int_equal(v->items[2].items[0].len, 70000);
	assert_int_equal(((const uint8_t *)v->items[2].items[0].b)[69999], 'x');
	par_py_free(v);
	free(p);

	/* Protocol 2 bytes (_codecs.encode(str, 'latin1')) are bytes. */
	fixture("bytes_300_p2", &p, &n);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_int_equal(v->type, PAR_PY_BYTES);
	assert_int_equal(v->len, 300);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(((const uint8_t *)v->b)[i], i % 150);
	par_py_free(v);
	free(p);
	fixture("bytes_empty_p2", &p, &n);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_int_equal(v->type, PAR_PY_BYTES);
	assert_int_equal(v->len, 0);
	par_py_free(v);
	free(p);
}

/* loads of fixture name: its repr, and dumps gives back the graph want. */
static void loads_as(const char *name, const char *want_repr, const char *want_graph)
{
	struct par_py *v;
	uint8_t *p, *q;
	size_t n, m;
	char text[512], *g;

	fixture(name, &p, &n);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_true(par_py_repr(v, text, sizeof(text)) > 0);
	q = dumps(v, &m);
	g = graph(q, m);
	if (strcmp(text, want_repr) != 0 || strcmp(g, want_graph) != 0)
		print_error("%s: %s %s\n", name, text, g);
	assert_string_equal(text, want_repr);
	assert_string_equal(g, want_graph);
	assert_string_equal(g, want_graph);
	free(g);
	free(q);
	par_py_free(v);
	free(p);
}

static void other_types_and_cycles_are_pickle_parts(void **state)
{
	(void)state;
	loads_as("dict2_p4", "<pickle of 25 bytes>", "#1={#2=S1:61:I1,#3=S1:62:#4=[I1,I2]}");
	loads_as("int11_p4", "<pickle of 14 bytes>", "L000000000000000001");
	loads_as("str_surrogate_p3", "<pickle of 11 bytes>",
		 "#1=S5:61edb280"
		 "62");
	loads_as("bytearray_p5", "<pickle of 38 bytes>",
		 "#1=R(#2=G(builtins|bytearray),#3=(#4=B3:616263))");
	loads_as("recursive_list_p4", "<pickle of 8 bytes>", "#1=[@1]");
	loads_as("tuple_via_list_p2", "<pickle of 18 bytes>", "#1=(#2=[@1],I5)");
	/* Shared parts are copied. */
	loads_as("shared_list_p4", "[[1], [1]]", "#1=[#2=[I1],#3=[I1]]");
	loads_as("shared_str_p2", "('a', 'a')", "#1=(#2=S1:61,#3=S1:61)");
	loads_as("exception_p4", "<pickle of 40 bytes>",
		 "#1=R(#2=G(builtins|ValueError),#3=(#4=S4:626f6f6d))");
	loads_as("float5_p4", "nan", "D7ff8000000000000");
	loads_as("tuple_nested_p3", "((1,), ((2, 3), ()), [()])",
		 "#1=(#2=(I1),#3=(#4=(I2,I3),()),#5=[()])");
}

static void a_cycle_below_the_root_is_a_part(void **state)
{
	/* [1, l] with l = [l] */
	static const char pk[] = "\x80\x04]\x94(K\x01]\x94h\x01\x61\x65.";
	struct par_py *v;
	char text[64];

	(void)state;
	assert_int_equal(par_py_loads(pk, sizeof(pk) - 1, &v), 0);
	assert_int_equal(par_py_repr(v, text, sizeof(text)), 24);
	assert_string_equal(text, "[1, <pickle of 8 bytes>]");
	par_py_free(v);
}

/* Chains of 1-tuples sharing their tails: each chain is within the nesting
 * limit where the pickle first reaches it, but a tree copies shared parts,
 * so chain k copied holds the k - 1 before it. */
static size_t chained_tuples(uint8_t *p, unsigned chains, unsigned len)
{
	size_t n = 0;

	p[n++] = 0x80;
	p[n++] = 4;
	p[n++] = '(';
	for (unsigned c = 0; c < chains; c++) {
		if (c == 0) {
			p[n++] = ')';
		} else {
			p[n++] = 'h'; /* the chain before */
			p[n++] = (uint8_t)(c - 1);
		}
		for (unsigned i = 1; i < len; i++)
			p[n++] = 0x85;
		p[n++] = 0x94;
	}
	p[n++] = 't';
	p[n++] = '.';
	return n;
}

static void shared_parts_copied_past_the_limit_are_refused(void **state)
{
	static uint8_t p[4 + 200 * 402 + 2];
	struct par_py *v = NULL;
	size_t n;

	(void)state;
	/* two chains of 255 (copied: 510 deep, under the root) load */
	n = chained_tuples(p, 2, 255);
	assert_int_equal(par_py_loads(p, n, &v), 0);
	assert_int_equal(v->type, PAR_PY_TUPLE);
	assert_true(par_py_dumps(v, NULL, 0) > 0);
	par_py_free(v);
	/* three chains of 200: 600 deep once copied */
	n = chained_tuples(p, 3, 200);
	assert_int_equal(par_py_loads(p, n, &v), -EPROTO);
	assert_null(v);
	/* 200 chains of 400: 80000 deep, which a recursive copy would not
	 * survive */
	n = chained_tuples(p, 200, 400);
	assert_int_equal(par_py_loads(p, n, &v), -EPROTO);
	assert_null(v);
}

static void every_fixture_loads_and_dumps_stably(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFIX; i++) {
		struct par_py *v, *w;
		uint8_t *p, *q, *r;
		size_t n, m, k;
		fixture(pk_fixtures[i].name, &p, &n);
		assert_int_equal(par_py_loads(p, n, &v), 0);
		q = dumps(v, &m);
		assert_int_equal(par_py_loads(q, m, &w), 0);
		assert_true(par_py_equal(v, w));
		r = dumps(w, &k);
		assert_int_equal(k, m);
		assert_memory_equal(q, r, m);
		par_py_free(v);
		par_py_free(w);
		free(p);
		free(q);
		free(r);
	}
}

static void sharing_bombs_fail_fast(void **state)
{
	uint8_t p[2 + 2 + 2 * 40 + 1];
	size_t n = 0;
	struct par_py *v;
	struct timespec t0, t1;

	(void)state;
	/* x = 1; 40 times x = (x, x): 2^41 values from 85 bytes */
	p[n++] = 0x80;
	p[n++] = 4;
	p[n++] = 'K';
	p[n++] = 1;
	for (int i = 0; i < 40; i++) {
		p[n++] = '2';
		p[n++] = 0x86;
	}
	p[n++] = '.';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(par_py_loads(p, n, &v), -E2BIG);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_null(v);
	/* not a benchmark: a guard against walking 2^41 values (hours) */
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* 24 doublings (2^25 - 1 values) pass the limit; 10 do not */
	p[2 + 2 + 2 * 24] = '.';
	assert_int_equal(par_py_loads(p, 2 + 2 + 2 * 24 + 1, &v), -E2BIG);
	p[2 + 2 + 2 * 10] = '.';
	assert_int_equal(par_py_loads(p, 2 + 2 + 2 * 10 + 1, &v), 0);
	assert_int_equal(v->type, PAR_PY_TUPLE);
	assert_int_equal(v[2046].type, PAR_PY_INT); /* 2^11 - 1 values, one block */
	assert_int_equal(v[2046].i, 1);
	par_py_free(v);
}

static void loads_refuses_what_the_reader_refuses(void **state)
{
	struct par_py *v = (struct par_py *)1;

	(void)state;
	assert_int_equal(par_py_loads("\x80\x04N", 3, &v), -EPROTO);
	assert_null(v);
	assert_int_equal(par_py_loads("", 0, &v), -EPROTO);
	assert_int_equal(par_py_loads(NULL, 0, &v), -EPROTO);
	assert_int_equal(par_py_loads("\x80\x04N.", 4, NULL), -EINVAL);
}

static void is_pickle(void **state)
{
	(void)state;
	assert_true(par_py_is_pickle("\x80\x04N.", 4));
	assert_true(par_py_is_pickle("\x80\x02.", 3));
	assert_true(par_py_is_pickle("\x80\x05N.", 4));
	assert_false(par_py_is_pickle("\x80\x04.", 2));
	assert_false(par_py_is_pickle("\x80\x01N.", 4));
	assert_false(par_py_is_pickle("\x80\x06N.", 4));
	assert_false(par_py_is_pickle("\x80\x04N", 3));
	assert_false(par_py_is_pickle("hello.", 6));
	assert_false(par_py_is_pickle(NULL, 0));
}

static void equal_compares_values(void **state)
{
	struct par_py a[3] = { par_py_int(1), par_py_str("x", 1), par_py_float(0.0) };
	struct par_py b[3] = { par_py_int(1), par_py_str("x", 1), par_py_float(-0.0) };
	struct par_py ta = par_py_tuple(a, 3), tb = par_py_tuple(b, 3), lb = par_py_list(b, 3);

	(void)state;
	assert_false(par_py_equal(&ta, &tb)); /* 0.0 and -0.0 differ by bits */
	b[2] = par_py_float(0.0);
	assert_true(par_py_equal(&ta, &tb));
	assert_false(par_py_equal(&ta, &lb));
	b[1] = par_py_bytes("x", 1);
	assert_false(par_py_equal(&ta, &tb));
	assert_true(par_py_equal(NULL, NULL));
	assert_false(par_py_equal(&ta, NULL));
	a[0] = par_py_bool(5);
	b[0] = par_py_bool(1);
	assert_true(par_py_equal(&a[0], &b[0]));
}

static void repr_is_pythons(void **state)
{
	static const struct {
		double f;
		const char *s;
	} floats[] = {
		{ 1.5, "1.5" },		  { 0.1, "0.1" },
		{ 1e16, "1e+16" },	  { 1e15, "1000000000000000.0" },
		{ 1e-5, "1e-05" },	  { 0.0001, "0.0001" },
		{ -0.0, "-0.0" },	  { 1.0 / 3, "0.3333333333333333" },
		{ 2.5e-300, "2.5e-300" }, { 123456789.123, "123456789.123" },
		{ 5e-324, "5e-324" },	  { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 100.0, "100.0" },	  { 12345678901234567.0, "1.2345678901234568e+16" },
		{ -1.0 / 0.0, "-inf" },
	};
	struct par_py items[4] = { par_py_str("3 * 3 = 9", 9), par_py_int(9), par_py_bytes("\0", 1),
				   par_py_none() };
	struct par_py v = par_py_tuple(items, 4), one = par_py_tuple(items + 1, 1);
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		struct par_py f = par_py_float(floats[i].f);
		assert_int_equal(par_py_repr(&f, buf, sizeof(buf)), strlen(floats[i].s));
		assert_string_equal(buf, floats[i].s);
	}
	assert_int_equal(par_py_repr(&v, buf, sizeof(buf)), 31);
	assert_string_equal(buf, "('3 * 3 = 9', 9, b'\\x00', None)");
	assert_int_equal(par_py_repr(&one, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "(9,)");
	v = par_py_str("a'\"b", 4);
	par_py_repr(&v, buf, sizeof(buf));
	assert_string_equal(buf, "'a\\'\"b'");
	v = par_py_str("it's", 4);
	par_py_repr(&v, buf, sizeof(buf));
	assert_string_equal(buf, "\"it's\"");
	v = par_py_str("\xc2\x80\xc2\xa0\xc2\xa1\xc2\xad\xe2\x82\xac", 11);
	par_py_repr(&v, buf, sizeof(buf));
	assert_string_equal(buf, "'\\x80\\xa0\xc2\xa1\\xad\xe2\x82\xac'");
	v = par_py_bytes("\xff'a", 3);
	par_py_repr(&v, buf, sizeof(buf));
	assert_string_equal(buf, "b\"\\xff'a\"");
	v = par_py_str("\n\t\\\x01\x7f\r", 6);
	par_py_repr(&v, buf, sizeof(buf));
	assert_string_equal(buf, "'\\n\\t\\\\\\x01\\x7f\\r'");
	items[0] = par_py_list(NULL, 0);
	items[1] = par_py_bool(0);
	items[2] = par_py_tuple(NULL, 0);
	items[3] = par_py_int(-7);
	v = par_py_list(items, 4);
	assert_int_equal(par_py_repr(&v, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "[[], False, (), -7]");
	/* Truncated like snprintf. */
	assert_int_equal(par_py_repr(&v, buf, 6), 19);
	assert_string_equal(buf, "[[], ");
	assert_int_equal(par_py_repr(&v, NULL, 0), 19);
	assert_int_equal(par_py_repr(NULL, buf, sizeof(buf)), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(canned_answers_are_byte_exact),
	cmocka_unit_test(every_type_round_trips),
	cmocka_unit_test(dumps_refuses_bad_values),
	cmocka_unit_test(python_pickles_load_as_trees),
	cmocka_unit_test(other_types_and_cycles_are_pickle_parts),
	cmocka_unit_test(a_cycle_below_the_root_is_a_part),
	cmocka_unit_test(shared_parts_copied_past_the_limit_are_refused),
	cmocka_unit_test(every_fixture_loads_and_dumps_stably),
	cmocka_unit_test(sharing_bombs_fail_fast),
	cmocka_unit_test(loads_refuses_what_the_reader_refuses),
	cmocka_unit_test(is_pickle),
	cmocka_unit_test(equal_compares_values),
	cmocka_unit_test(repr_is_pythons),
};

PAR_TEST_MAIN(tests)

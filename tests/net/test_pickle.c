/* The pickle reader and writer (net/pickle.h): every pickle CPython made in
 * pickle_fixtures.h reads to the exact graph Python had, writing that graph
 * and reading it back gives the same graph (sharing and cycles included),
 * the bytes written are CPython's own (protocol 4 without FRAME), and
 * hostile inputs are refused with -EPROTO and a reason, within bounded
 * memory. */
#include "par_test.h"

#include "pickle.h"
#include "pickle_fixtures.h"
#include "pickle_render.h"

#define NFIX (sizeof(pk_fixtures) / sizeof(pk_fixtures[0]))

/* The fixture's pickle, malloc'd (its run of one byte put back). */
static uint8_t *expand(const struct pk_fixture *f, size_t *n)
{
	uint8_t *p;

	*n = f->litlen + f->run_len;
	p = malloc(*n);
	assert_non_null(p);
	memcpy(p, f->lit, f->run_at);
	memset(p + f->run_at, f->run_byte, f->run_len);
	memcpy(p + f->run_at + f->run_len, f->lit + f->run_at, f->litlen - f->run_at);
	return p;
}

/* Read p[0..n) from an exact-size copy (so ASan sees any overread): the
 * result; with *text the graph's rendering when 0. */
static int rd_limit(const void *p, size_t n, size_t limit, char **text, const char **why)
{
	struct par__pkarena a;
	struct par__pk *k = NULL;
	uint8_t *copy = malloc(n ? n : 1);
	int r;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, p, n);
	par__pkarena_init(&a, limit);
	*why = NULL;
	r = par__pk_read(&a, copy, n, &k, why);
	if (text != NULL)
		*text = r == 0 ? pk_render(k) : NULL;
	if (r == 0)
		assert_null(*why);
	else
		assert_non_null(*why);
	assert_true(a.used <= limit);
	par__pkarena_free(&a);
	free(copy);
	return r;
}

static int rd(const void *p, size_t n, char **text, const char **why)
{
	return rd_limit(p, n, PAR__PK_LIMIT(n), text, why);
}

static void expect_graph(const void *p, size_t n, const char *want)
{
	const char *why;
	char *text = NULL;
	int r = rd(p, n, &text, &why);

	if (r != 0)
		print_error("read: %d (%s), want %s\n", r, why, want);
	assert_int_equal(r, 0);
	assert_string_equal(text, want);
	free(text);
}

static void expect_refused(const void *p, size_t n, const char *why_want)
{
	const char *why;

	assert_int_equal(rd(p, n, NULL, &why), -EPROTO);
	if (why_want != NULL)
		assert_string_equal(why, why_want);
}

#define GRAPH(lit, want) expect_graph(lit, sizeof(lit) - 1, want)
#define REFUSED(lit, why) expect_refused(lit, sizeof(lit) - 1, why)

static void fixtures_read_to_the_graph_python_had(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFIX; i++) {
		const struct pk_fixture *f = &pk_fixtures[i];
		size_t n;
		uint8_t *p = expand(f, &n);
		const char *why;
		char *text = NULL;
		int r = rd(p, n, &text, &why);
		if (r != 0 || strcmp(text, f->expect) != 0)
			print_error("%s: %d (%s)\n  got  %s\n  want %s\n", f->name, r, why, text,
				    f->expect);
		assert_int_equal(r, 0);
		assert_string_equal(text, f->expect);
		free(text);
		free(p);
	}
}

/* Write the graph read from p[0..n) into w. */
static void write_graph(struct par__pkw *w, const uint8_t *p, size_t n)
{
	struct par__pkarena a;
	struct par__pk *k;
	const char *why;

	par__pkarena_init(&a, PAR__PK_LIMIT(n));
	assert_int_equal(par__pk_read(&a, p, n, &k, &why), 0);
	par__pkw_begin(w);
	par__pkw_node(w, k);
	if (par__pkw_end(w) != 0)
		print_error("writer: %d for %s\n", w->err, pk_render(k));
	assert_int_equal(w->err, 0);
	par__pkarena_free(&a);
}

/* What the writer's graph of f must read as: f's own, but a bytearray read
 * from protocol 5 is written as protocol 4 writes it. */
static const char *rewritten(const struct pk_fixture *f)
{
	char name[64];

	if (f->proto != 5 || strchr(f->expect, 'Y') == NULL)
		return f->expect;
	snprintf(name, sizeof(name), "%s", f->name);
	name[strlen(name) - 1] = '4';
	for (size_t i = 0; i < NFIX; i++)
		if (strcmp(pk_fixtures[i].name, name) == 0)
			return pk_fixtures[i].expect;
	fail_msg("no %s", name);
	return NULL;
}

static void written_graphs_read_back_the_same(void **state)
{
	struct par__pkw w;

	(void)state;
	par__pkw_init(&w);
	for (size_t i = 0; i < NFIX; i++) {
		const struct pk_fixture *f = &pk_fixtures[i];
		size_t n;
		uint8_t *p = expand(f, &n);
		const char *why;
		char *text = NULL;
		write_graph(&w, p, n);
		assert_memory_equal(w.p, "\x80\x04", 2);
		assert_int_equal(rd(w.p, w.len, &text, &why), 0);
		if (strcmp(text, rewritten(f)) != 0)
			print_error("%s:\n  got  %s\n  want %s\n", f->name, text, rewritten(f));
		assert_string_equal(text, rewritten(f));
		free(text);
		free(p);
	}
	par__pkw_free(&w);
}

/* The fixture's pickle without its FRAME opcodes (9 bytes each). */
static size_t unframe(const struct pk_fixture *f, uint8_t *p, size_t n)
{
	const char *s = f->frames;
	size_t removed = 0;

	while (*s) {
		size_t at = strtoul(s, (char **)&s, 10) - removed;
		assert_int_equal(p[at], 0x95);
		memmove(p + at, p + at + 9, n - removed - at - 9);
		removed += 9;
		if (*s == ',')
			s++;
	}
	return n - removed;
}

static void writer_writes_what_cpython_writes(void **state)
{
	struct par__pkw w;
	int compared = 0;

	(void)state;
	par__pkw_init(&w);
	for (size_t i = 0; i < NFIX; i++) {
		const struct pk_fixture *f = &pk_fixtures[i];
		size_t n, m;
		uint8_t *p;
		/* protocol 5 writes a bytearray as BYTEARRAY8, 4 cannot */
		if (f->proto < 4 || (f->proto == 5 && strchr(f->expect, 'Y') != NULL))
			continue;
		p = expand(f, &n);
		write_graph(&w, p, n);
		m = unframe(f, p, n);
		if (w.len != m || memcmp(w.p + 2, p + 2, m - 2) != 0)
			print_error("%s differs from CPython's\n", f->name);
		assert_int_equal(w.len, m);
		assert_memory_equal(w.p + 2, p + 2, m - 2);
		compared++;
		free(p);
	}
	assert_true(compared > 100);
	par__pkw_free(&w);
}

static void every_truncation_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFIX; i++) {
		const struct pk_fixture *f = &pk_fixtures[i];
		size_t n;
		uint8_t *p = expand(f, &n);
		for (size_t k = 0; k < n; k++) {
			/* the 70000-byte ones: around their edges only */
			if (n > 4096 && k > 200 && k < n - 200 && k % 997 != 0)
				continue;
			expect_refused(p, k, NULL);
		}
		free(p);
	}
}

static void declared_lengths_are_checked_before_allocating(void **state)
{
	const char *why;

	(void)state;
	REFUSED("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff.",
		"truncated (declared length past the end)");
	REFUSED("\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x80.",
		"truncated (declared length past the end)");
	REFUSED("\x80\x04X\xff\xff\xff\xff.", "truncated (declared length past the end)");
	REFUSED("\x80\x04\x42\x06\x00\x00\x00"
		"abcd.",
		"truncated (declared length past the end)");
	REFUSED("\x80\x04\x8c\x03a.", "truncated (declared length past the end)");
	REFUSED("\x80\x05\x96\x00\x00\x00\x00\x01\x00\x00\x00.",
		"truncated (declared length past the end)");
	REFUSED("\x80\x04\x8b\xff\xff\xff\x7f.", "truncated (declared length past the end)");
	REFUSED("\x80\x04\x8b\xff\xff\xff\xff.", "negative LONG4 length");
	REFUSED("\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xffN.", "truncated (frame past the end)");
	/* A tiny arena refuses a big honest pickle. */
	assert_int_equal(rd_limit("\x80\x04]\x94(NNNNNNNNNNe.", 17, 64, NULL, &why), -E2BIG);
	assert_string_equal(why, "past the memory limit");
}

static void memo_is_bounded_and_checked(void **state)
{
	(void)state;
	REFUSED("\x80\x04Nr\xff\xff\xff\xff.", "memo index out of range");
	REFUSED("\x80\x04Nh\x05.", "memo index not set");
	REFUSED("\x80\x04Nj\xff\xff\xff\xff.", "memo index not set");
	REFUSED("\x80\x04\x94N.", "stack underflow");
	/* BINPUT up to 255 fits any input; BINGET gives the same node. */
	GRAPH("\x80\x04]q\xff\x85h\xff\x86.", "#1=(#2=(#3=[]),@3)");
	/* MEMOIZE counts the entries set, as Python's len(memo). */
	GRAPH("\x80\x04]q\x09\x30]\x94\x30h\x01h\x09h\x01\x87.", "#1=(#2=[],#3=[],@2)");
}

static void nesting_is_bounded(void **state)
{
	size_t n = 1000000 + 4, deep = 100000;
	uint8_t *p = malloc(2 * deep + 4);

	(void)state;
	/* A million MARKs. */
	uint8_t *m = malloc(n);
	memset(m, '(', n);
	m[0] = 0x80;
	m[1] = 4;
	m[n - 1] = '.';
	expect_refused(m, n, "marks nested too deep");
	free(m);
	/* 100000 lists, each in the one before. */
	p[0] = 0x80;
	p[1] = 4;
	memset(p + 2, ']', deep);
	memset(p + 2 + deep, 'a', deep - 1);
	p[2 * deep + 1] = '.';
	expect_refused(p, 2 * deep + 2, "nested too deep");
	/* PAR__PK_DEPTH lists nest; one more does not. */
	for (size_t d = PAR__PK_DEPTH; d <= PAR__PK_DEPTH + 1; d++) {
		const char *why;
		memset(p + 2, ']', d);
		memset(p + 2 + d, 'a', d - 1);
		p[2 * d + 1] = '.';
		int r = rd(p, 2 * d + 2, NULL, &why);
		if (r != (d == PAR__PK_DEPTH ? 0 : -EPROTO))
			print_error("depth %zu: %d (%s)\n", d, r, why);
		assert_int_equal(r, d == PAR__PK_DEPTH ? 0 : -EPROTO);
	}
	free(p);
}

static void stack_and_mark_misuse_is_refused(void **state)
{
	(void)state;
	REFUSED("\x80\x04\x32.", "stack underflow");
	REFUSED("\x80\x04\x30.", "no mark");
	REFUSED("\x80\x04\x31.", "no mark");
	REFUSED("\x80\x04N(\x32.", "stack underflow");
	REFUSED("\x80\x04N\x86.", "stack underflow");
	REFUSED("\x80\x04](Na.", "stack underflow");
	REFUSED("\x80\x04}Na.", "items added to an object of the wrong kind");
	REFUSED("\x80\x04}(Nu.", "odd number of items for SETITEMS");
	REFUSED("\x80\x04(Nd.", "odd number of items for a dict");
	REFUSED("\x80\x04]Nb.", "BUILD on an object of the wrong kind");
	REFUSED("\x80\x04NK\x01\x93.", "STACK_GLOBAL of a non-str");
	REFUSED("\x80\x04NN.", "STOP with more than one value");
	REFUSED("\x80\x04.", "STOP with no value");
	REFUSED("\x80\x04(N.", "STOP inside a mark");
	REFUSED("\x80\x04N.N", "trailing bytes after STOP");
	REFUSED("\x80\x04N", "truncated (no STOP)");
	REFUSED("\x80\x06N.", "unsupported protocol");
	REFUSED("", "empty input");
	/* POP with nothing above a mark drops the mark; DUP shares. */
	GRAPH("\x80\x04(\x30N.", "N");
	GRAPH("\x80\x04]\x32\x86.", "#1=(#2=[],@2)");
	GRAPH("\x80\x04(NN\x31K\x07.", "I7");
	/* FRAME is a hint, wherever and however often it comes. */
	GRAPH("\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x00\x00\x00\x00\x00\x00\x00\x00"
	      "\x85.",
	      "#1=(N)");
}

static void opcodes_outside_the_subset_are_refused(void **state)
{
	static const char subset[] = "\x80\x95.(N\x88\x89KMJ\x8a\x8bG\x8cX\x8d"
				     "CB\x8e\x96)\x85\x86\x87t]ael}dsu\x8f\x90\x91\x94qrhj\x93"
				     "cR\x81\x92"
				     "b012";
	int refused = 0;

	(void)state;
	for (int op = 0; op < 256; op++) {
		uint8_t p[4] = { 0x80, 4, (uint8_t)op, '.' };
		if (memchr(subset, op, sizeof(subset) - 1) != NULL)
			continue;
		expect_refused(p, sizeof(p), "opcode outside the supported subset");
		refused++;
	}
	/* protocol 0/1 text opcodes, PERSID, EXT, buffers, INST, OBJ... */
	assert_int_equal(refused, 256 - (int)(sizeof(subset) - 1));
	REFUSED("\x80\x02I1\n.", "opcode outside the supported subset");
	REFUSED("\x80\x02\x82\x01.", "opcode outside the supported subset");
	REFUSED("\x80\x05\x97.", "opcode outside the supported subset");
	REFUSED("\x80\x02(cos\nsystem\no.", "opcode outside the supported subset");
}

static void a_reduce_of_os_system_is_only_data(void **state)
{
	(void)state;
	/* What pickle.dumps writes for an object whose __reduce__ returns
	 * (os.system, ('touch /tmp/pwned',)), protocol 2 and 4. */
	GRAPH("\x80\x02\x63posix\nsystem\nq\x00X\x10\x00\x00\x00touch "
	      "/tmp/pwnedq\x01\x85q\x02Rq\x03.",
	      "#1=R(#2=G(posix|system),#3=(#4=S16:746f756368202f746d702f70776e6564))");
	GRAPH("\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x04true\x94\x85\x94R\x94.",
	      "#1=R(#2=G(os|system),#3=(#4=S4:74727565))");
	assert_int_equal(access("/tmp/pwned", F_OK), -1);
}

static void python2_names_are_mapped_below_protocol_3(void **state)
{
	(void)state;
	GRAPH("\x80\x02\x63__builtin__\nset\n.", "#1=G(builtins|set)");
	GRAPH("\x80\x02\x63__builtin__\nunicode\n.", "#1=G(builtins|str)");
	GRAPH("\x80\x02\x63__builtin__\nreduce\n.", "#1=G(functools|reduce)");
	GRAPH("\x80\x02"
	      "cexceptions\nValueError\n.",
	      "#1=G(builtins|ValueError)");
	GRAPH("\x80\x02"
	      "ccopy_reg\n_reconstructor\n.",
	      "#1=G(copyreg|_reconstructor)");
	GRAPH("\x80\x02\x63_codecs\nencode\n.", "#1=G(_codecs|encode)");
	GRAPH("\x80\x03\x63__builtin__\nset\n.", "#1=G(__builtin__|set)");
	REFUSED("\x80\x02\x63__builtin__\nset.", "truncated GLOBAL");
}

/* The densest pickles Python writes: a list of n one-byte items (True, None,
 * an empty tuple) or of n empty lists, each memoized (two bytes an item), as
 * protocol 4 batches them. Each must fit the reader's bound PAR__PK_LIMIT. */
static uint8_t *dense_list(const uint8_t *item, size_t ilen, size_t n, size_t *len)
{
	uint8_t *p = malloc(8 + n * ilen + 2 * (n / 1000 + 1));
	size_t at = 0;

	assert_non_null(p);
	p[at++] = 0x80;
	p[at++] = 4;
	p[at++] = ']';
	p[at++] = 0x94;
	for (size_t i = 0; i < n; i += 1000) {
		p[at++] = '(';
		for (size_t j = i; j < n && j < i + 1000; j++) {
			memcpy(p + at, item, ilen);
			at += ilen;
		}
		p[at++] = 'e';
	}
	p[at++] = '.';
	*len = at;
	return p;
}

static void densest_python_pickles_fit_the_bound(void **state)
{
	static const struct {
		uint8_t item[2];
		size_t len;
	} items[] = { { { 0x88 }, 1 }, { { 'N' }, 1 }, { { ')' }, 1 }, { { ']', 0x94 }, 2 } };
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		size_t n;
		uint8_t *p = dense_list(items[i].item, items[i].len, 100000, &n);
		assert_int_equal(rd(p, n, NULL, &why), 0);
		free(p);
	}
}

static void ints_take_the_smallest_node(void **state)
{
	(void)state;
	GRAPH("\x80\x04\x8a\x00.", "I0");
	GRAPH("\x80\x04\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff.", "I-1");
	GRAPH("\x80\x04\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.", "L000000000000008000");
	GRAPH("\x80\x04\x8b\x02\x00\x00\x00\x00\x80.", "I-32768");
	GRAPH("\x80\x04J\xff\xff\xff\xff.", "I-1");
	GRAPH("\x80\x04M\xff\xff.", "I65535");
}

/* The bytes written for one value. */
static void wrote(struct par__pkw *w, const char *want, size_t n)
{
	assert_int_equal(par__pkw_end(w), 0);
	assert_int_equal(w->len, n + 3);
	assert_memory_equal(w->p, "\x80\x04", 2);
	assert_memory_equal(w->p + 2, want, n);
	assert_int_equal(w->p[n + 2], '.');
}

#define WROTE(w, lit) wrote(w, lit, sizeof(lit) - 1)

static void writer_scalars_take_the_smallest_opcode(void **state)
{
	struct par__pkw w;
	static const struct {
		int64_t v;
		const char *b;
		size_t n;
	} ints[] = {
		{ 0, "K\x00", 2 },
		{ 255, "K\xff", 2 },
		{ 256, "M\x00\x01", 3 },
		{ 65535, "M\xff\xff", 3 },
		{ 65536, "J\x00\x00\x01\x00", 5 },
		{ -1, "J\xff\xff\xff\xff", 5 },
		{ INT32_MIN, "J\x00\x00\x00\x80", 5 },
		{ INT32_MAX, "J\xff\xff\xff\x7f", 5 },
		{ (int64_t)INT32_MAX + 1, "\x8a\x05\x00\x00\x00\x80\x00", 7 },
		{ (int64_t)INT32_MIN - 1, "\x8a\x05\xff\xff\xff\x7f\xff", 7 },
		{ INT64_MAX, "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f", 10 },
		{ INT64_MIN, "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80", 10 },
	};

	(void)state;
	par__pkw_init(&w);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		par__pkw_begin(&w);
		par__pkw_int(&w, ints[i].v);
		wrote(&w, ints[i].b, ints[i].n);
	}
	par__pkw_begin(&w);
	par__pkw_float(&w, 1.5);
	WROTE(&w, "G\x3f\xf8\x00\x00\x00\x00\x00\x00");
	par__pkw_begin(&w);
	par__pkw_bool(&w, 1);
	par__pkw_bool(&w, 0);
	par__pkw_none(&w);
	par__pkw_tuple(&w, 3);
	WROTE(&w, "\x88\x89N\x87");
	par__pkw_begin(&w);
	par__pkw_str(&w, "#RETURN", 7);
	par__pkw_none(&w);
	par__pkw_tuple(&w, 2);
	WROTE(&w, "\x8c\x07#RETURN\x4e\x86");
	par__pkw_begin(&w);
	par__pkw_global(&w, "_queue", "Empty");
	par__pkw_tuple(&w, 0);
	par__pkw_reduce(&w);
	WROTE(&w, "\x8c\x06_queue\x8c\x05\x45mpty\x93)R");
	par__pkw_begin(&w);
	par__pkw_mark(&w);
	par__pkw_empty_dict(&w);
	par__pkw_mark(&w);
	par__pkw_bytes(&w, "ab", 2);
	par__pkw_int(&w, 1);
	par__pkw_setitems(&w);
	par__pkw_tuple_mark(&w);
	par__pkw_raw(&w, "N0", 2);
	WROTE(&w, "(}(C\x02\x61\x62K\x01ut"
		  "N0");
	par__pkw_free(&w);
}

static void writer_long_data_uses_the_wide_opcodes(void **state)
{
	struct par__pkw w;
	char *s = malloc(300);

	(void)state;
	memset(s, 'x', 300);
	par__pkw_init(&w);
	par__pkw_begin(&w);
	par__pkw_str(&w, s, 300);
	par__pkw_bytes(&w, s, 255);
	par__pkw_bytes(&w, s, 256);
	assert_int_equal(par__pkw_end(&w), 0);
	assert_memory_equal(w.p + 2, "X\x2c\x01\x00\x00", 5);
	assert_memory_equal(w.p + 2 + 305, "C\xff", 2);
	assert_memory_equal(w.p + 2 + 305 + 257, "B\x00\x01\x00\x00", 5);
	assert_int_equal(w.len, 2 + 305 + 257 + 261 + 1);
	par__pkw_free(&w);
	free(s);
}

static void writer_errors_are_sticky(void **state)
{
	struct par__pkw w;
	struct par__pk t = { .kind = PAR__PK_TUPLE, .n = 1 };
	struct par__pk *self[1] = { &t };
	struct par__pk none = { .kind = PAR__PK_NONE };
	struct par__pk o = { .kind = PAR__PK_OBJ, .how = 'R', .a = &none };
	struct par__pk *oargs_items[1] = { &o };
	struct par__pk oargs = { .kind = PAR__PK_TUPLE, .n = 1, .v = oargs_items };
	struct par__pk bad = { .kind = 99 };

	(void)state;
	par__pkw_init(&w);
	/* A tuple in itself (no reader makes one): refused, not a crash. */
	t.v = self;
	par__pkw_begin(&w);
	par__pkw_node(&w, &t);
	par__pkw_none(&w);
	assert_int_equal(par__pkw_end(&w), -ELOOP);
	assert_int_equal(t.wbusy, 0);
	/* An object in its own args. */
	o.b = &oargs;
	par__pkw_begin(&w);
	par__pkw_node(&w, &o);
	assert_int_equal(par__pkw_end(&w), -ELOOP);
	par__pkw_begin(&w);
	par__pkw_node(&w, &bad);
	assert_int_equal(par__pkw_end(&w), -EINVAL);
	par__pkw_begin(&w);
	par__pkw_tuple(&w, 4);
	assert_int_equal(par__pkw_end(&w), -EINVAL);
	/* begin clears the error */
	par__pkw_begin(&w);
	par__pkw_none(&w);
	WROTE(&w, "N");
	par__pkw_free(&w);
}

/* One graph written by two writers in turn: each message memoizes afresh. */
static void one_graph_many_messages(void **state)
{
	static const char pk[] = "\x80\x04]\x94(K\x01h\x00"
				 "e.";
	struct par__pkarena a;
	struct par__pk *k;
	struct par__pkw w1, w2;
	const char *why;

	(void)state;
	par__pkarena_init(&a, PAR__PK_LIMIT(sizeof(pk) - 1));
	assert_int_equal(par__pk_read(&a, (const uint8_t *)pk, sizeof(pk) - 1, &k, &why), 0);
	par__pkw_init(&w1);
	par__pkw_init(&w2);
	for (int i = 0; i < 3; i++) {
		struct par__pkw *w = i % 2 ? &w2 : &w1;
		par__pkw_begin(w);
		par__pkw_node(w, k);
		WROTE(w, "]\x94(K\x01h\x00"
			 "e");
	}
	/* Within one message a second visit is a BINGET. */
	par__pkw_begin(&w1);
	par__pkw_node(&w1, k);
	par__pkw_node(&w1, k);
	par__pkw_tuple(&w1, 2);
	WROTE(&w1, "]\x94(K\x01h\x00"
		   "eh\x00\x86");
	par__pkw_free(&w1);
	par__pkw_free(&w2);
	par__pkarena_free(&a);
}

static void lookups(void **state)
{
	static const char pk[] =
		"\x80\x04}(\x8c\x01\x61K\x01\x8c\x01\x62G\x3f\xf8\x00\x00\x00\x00\x00"
		"\x00\x8c\x01\x61\x88\x8c\x01\x63\x8a\x09\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x01u.";
	struct par__pkarena a;
	struct par__pk *d;
	const char *why;
	int64_t i;
	double f;

	(void)state;
	par__pkarena_init(&a, PAR__PK_LIMIT(sizeof(pk) - 1));
	assert_int_equal(par__pk_read(&a, (const uint8_t *)pk, sizeof(pk) - 1, &d, &why), 0);
	assert_true(par__pk_is_str(d->v[0], "a"));
	assert_false(par__pk_is_str(d->v[0], "ab"));
	assert_int_equal(par__pk_int(par__pk_dict_get(d, "a"), &i), 0);
	assert_int_equal(i, 1); /* the last of a repeated key: True */
	assert_int_equal(par__pk_int(par__pk_dict_get(d, "b"), &i), -EINVAL);
	assert_int_equal(par__pk_num(par__pk_dict_get(d, "b"), &f), 0);
	assert_true(f == 1.5);
	assert_int_equal(par__pk_num(par__pk_dict_get(d, "c"), &f), 0);
	assert_true(f == 18446744073709551616.0);
	assert_null(par__pk_dict_get(d, "z"));
	assert_null(par__pk_dict_get(d->v[0], "a"));
	par__pkarena_free(&a);
}

static void utf8_is_strict(void **state)
{
	(void)state;
	assert_true(par__pk_utf8((const uint8_t *)"h\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", 10));
	assert_true(par__pk_utf8((const uint8_t *)"", 0));
	assert_false(par__pk_utf8((const uint8_t *)"\xed\xb2\x80", 3)); /* surrogate */
	assert_false(par__pk_utf8((const uint8_t *)"\xc0\x80", 2));	/* overlong */
	assert_false(par__pk_utf8((const uint8_t *)"\xe0\x80\x80", 3));
	assert_false(par__pk_utf8((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(par__pk_utf8((const uint8_t *)"\xe2\x82", 2));
	assert_false(par__pk_utf8((const uint8_t *)"\x80", 1));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(fixtures_read_to_the_graph_python_had),
	cmocka_unit_test(written_graphs_read_back_the_same),
	cmocka_unit_test(writer_writes_what_cpython_writes),
	cmocka_unit_test(every_truncation_is_refused),
	cmocka_unit_test(declared_lengths_are_checked_before_allocating),
	cmocka_unit_test(memo_is_bounded_and_checked),
	cmocka_unit_test(nesting_is_bounded),
	cmocka_unit_test(stack_and_mark_misuse_is_refused),
	cmocka_unit_test(opcodes_outside_the_subset_are_refused),
	cmocka_unit_test(a_reduce_of_os_system_is_only_data),
	cmocka_unit_test(python2_names_are_mapped_below_protocol_3),
	cmocka_unit_test(densest_python_pickles_fit_the_bound),
	cmocka_unit_test(ints_take_the_smallest_node),
	cmocka_unit_test(writer_scalars_take_the_smallest_opcode),
	cmocka_unit_test(writer_long_data_uses_the_wide_opcodes),
	cmocka_unit_test(writer_errors_are_sticky),
	cmocka_unit_test(one_graph_many_messages),
	cmocka_unit_test(lookups),
	cmocka_unit_test(utf8_is_strict),
};

PAR_TEST_MAIN(tests)

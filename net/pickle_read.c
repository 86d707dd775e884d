/* The pickle reader: a stack machine with a mark stack and a memo over the
 * data opcodes of protocols 2 to 5 (../shared/ref/python-manager-protocol.md
 * section 5.1). Every length is checked against what is left of the input
 * before anything is allocated, the memo's size is bounded by the input's,
 * and the nodes come from an arena whose limit the caller sets. */
#include "pickle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vm {
	struct par__pkarena *a;
	const uint8_t *p, *end;
	size_t n;
	struct par__pk **stack;
	size_t sp, scap;
	size_t *marks;
	size_t nm, mcap;
	struct par__pk **memo;
	size_t memo_len, memo_count;
	int proto;
	int err;
	const char *why;
};

/* Marks open at once: a pickle nested PAR__PK_DEPTH deep opens one per
 * level at most. */
#define VM_MARKS_MAX (PAR__PK_DEPTH + 8)

static int fail(struct vm *m, const char *why)
{
	m->why = why;
	m->err = -EPROTO;
	return -EPROTO;
}

static size_t left(const struct vm *m)
{
	return (size_t)(m->end - m->p);
}

/* k little-endian bytes of the argument, or fail (truncated). */
static int arg(struct vm *m, unsigned k, uint64_t *v)
{
	if (left(m) < k)
		return fail(m, "truncated");
	*v = 0;
	for (unsigned i = 0; i < k; i++)
		*v |= (uint64_t)m->p[i] << (8 * i);
	m->p += k;
	return 0;
}

static struct par__pk *node(struct vm *m, uint8_t kind)
{
	struct par__pk *k = par__pkarena_alloc(m->a, sizeof(*k), &m->err);

	if (k != NULL)
		k->kind = kind;
	else
		m->why = m->err == -E2BIG ? "past the memory limit" : "out of memory";
	return k;
}

static void *room(struct vm *m, size_t size)
{
	void *p = par__pkarena_alloc(m->a, size, &m->err);

	if (p == NULL)
		m->why = m->err == -E2BIG ? "past the memory limit" : "out of memory";
	return p;
}

/* Grow a host array (realloc, bounded by the input's length by callers). */
static int grow(struct vm *m, void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*arr, c * elem);
	if (p == NULL) {
		m->why = "out of memory";
		return m->err = -ENOMEM;
	}
	*arr = p;
	*cap = c;
	return 0;
}

static int push(struct vm *m, struct par__pk *k)
{
	if (k == NULL)
		return m->err;
	if (grow(m, (void **)&m->stack, &m->scap, m->sp + 1, sizeof(*m->stack)) < 0)
		return m->err;
	m->stack[m->sp++] = k;
	return 0;
}

/* Items above the innermost mark. */
static size_t avail(const struct vm *m)
{
	return m->sp - (m->nm ? m->marks[m->nm - 1] : 0);
}

static struct par__pk *pop(struct vm *m)
{
	if (avail(m) == 0) {
		fail(m, "stack underflow");
		return NULL;
	}
	return m->stack[--m->sp];
}

static struct par__pk *top(struct vm *m)
{
	if (avail(m) == 0) {
		fail(m, "stack underflow");
		return NULL;
	}
	return m->stack[m->sp - 1];
}

/* Close the innermost mark: the index of its first item in *base. */
static int pop_mark(struct vm *m, size_t *base)
{
	if (m->nm == 0)
		return fail(m, "no mark");
	*base = m->marks[--m->nm];
	return 0;
}

/* Room for need entries in k's v (or ops, of size elem), have used. */
static int reserve(struct vm *m, struct par__pk *k, uint64_t have, uint64_t need, size_t elem)
{
	uint64_t cap = k->cap ? k->cap : 4;
	void *p, *old = k->kind == PAR__PK_OBJ ? (void *)k->ops : (void *)k->v;

	if (need <= k->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > SIZE_MAX / elem || (p = room(m, cap * elem)) == NULL)
		return m->err ? m->err : fail(m, "too many items");
	if (have > 0)
		memcpy(p, old, have * elem);
	if (k->kind == PAR__PK_OBJ)
		k->ops = p;
	else
		k->v = p;
	k->cap = cap;
	return 0;
}

/* A container of kind from the items stack[base..sp), popped. */
static int collect(struct vm *m, uint8_t kind, size_t base)
{
	struct par__pk *k = node(m, kind);
	uint64_t cnt = m->sp - base;

	if (k == NULL)
		return m->err;
	if (kind == PAR__PK_DICT && cnt % 2 != 0)
		return fail(m, "odd number of items for a dict");
	if (cnt > 0 && reserve(m, k, 0, cnt, sizeof(*k->v)) < 0)
		return m->err;
	if (cnt > 0)
		memcpy(k->v, m->stack + base, cnt * sizeof(*k->v));
	k->n = kind == PAR__PK_DICT ? cnt / 2 : cnt;
	m->sp = base;
	return push(m, k);
}

/* The items stack[base..sp), popped, added by op ('a' APPEND(S), 's'
 * SETITEM(S), 'e' ADDITEMS) to the object under them. */
static int add_items(struct vm *m, size_t base, char op)
{
	static const uint8_t want[128] = {
		['a'] = PAR__PK_LIST, ['s'] = PAR__PK_DICT, ['e'] = PAR__PK_SET
	};
	uint64_t cnt = m->sp - base, per = op == 's' ? 2 : 1;
	struct par__pk *t;

	if (base == 0 || base <= (m->nm ? m->marks[m->nm - 1] : 0))
		return fail(m, "stack underflow");
	t = m->stack[base - 1];
	if (cnt % per != 0)
		return fail(m, "odd number of items for SETITEMS");
	if (t->kind == want[(int)op]) {
		uint64_t have = t->n * per;
		if (cnt > 0 && reserve(m, t, have, have + cnt, sizeof(*t->v)) < 0)
			return m->err;
		if (cnt > 0)
			memcpy(t->v + have, m->stack + base, cnt * sizeof(*t->v));
		t->n += cnt / per;
	} else if (t->kind == PAR__PK_OBJ && op != 'e') {
		if (cnt > 0 && reserve(m, t, t->n, t->n + cnt / per, sizeof(*t->ops)) < 0)
			return m->err;
		for (uint64_t i = 0; i < cnt; i += per) {
			struct par__pkop *o = &t->ops[t->n++];
			o->op = (uint8_t)op;
			o->x = m->stack[base + i];
			o->y = per == 2 ? m->stack[base + i + 1] : NULL;
		}
	} else {
		return fail(m, "items added to an object of the wrong kind");
	}
	m->sp = base;
	return 0;
}

/* Integers: an int64 when it fits, else LONG over the input's bytes with
 * redundant sign bytes dropped. */
static struct par__pk *int_node(struct vm *m, const uint8_t *p, uint64_t n)
{
	struct par__pk *k;
	int neg = n > 0 && (p[n - 1] & 0x80);

	while (n > 1 && p[n - 1] == (neg ? 0xff : 0) && ((p[n - 2] & 0x80) != 0) == neg)
		n--;
	if (n == 1 && p[0] == 0)
		n = 0;
	if (n > 8) {
		k = node(m, PAR__PK_LONG);
		if (k != NULL) {
			k->p = p;
			k->n = n;
		}
		return k;
	}
	k = node(m, PAR__PK_INT);
	if (k != NULL) {
		uint64_t u = neg ? ~(uint64_t)0 : 0;
		for (uint64_t i = 0; i < n; i++) {
			u &= ~((uint64_t)0xff << (8 * i));
			u |= (uint64_t)p[i] << (8 * i);
		}
		k->i = (int64_t)u;
	}
	return k;
}

static struct par__pk *int64_node(struct vm *m, int64_t v)
{
	struct par__pk *k = node(m, PAR__PK_INT);

	if (k != NULL)
		k->i = v;
	return k;
}

/* A STR, BYTES or BYTEARRAY of an lb-byte length then the data. */
static int op_data(struct vm *m, uint8_t kind, unsigned lb)
{
	uint64_t len;
	struct par__pk *k;

	if (arg(m, lb, &len) < 0)
		return m->err;
	if (len > left(m))
		return fail(m, "truncated (declared length past the end)");
	k = node(m, kind);
	if (k == NULL)
		return m->err;
	k->p = m->p;
	k->n = len;
	m->p += len;
	return push(m, k);
}

static int op_long(struct vm *m, unsigned lb)
{
	uint64_t len;

	if (arg(m, lb, &len) < 0)
		return m->err;
	if (lb == 4 && (len & 0x80000000u))
		return fail(m, "negative LONG4 length");
	if (len > left(m))
		return fail(m, "truncated (declared length past the end)");
	m->p += len;
	return push(m, int_node(m, m->p - len, len));
}

static int op_int(struct vm *m, unsigned lb)
{
	uint64_t v;

	if (arg(m, lb, &v) < 0)
		return m->err;
	if (lb == 4)
		return push(m, int64_node(m, (int32_t)(uint32_t)v));
	return push(m, int64_node(m, (int64_t)v));
}

static int op_float(struct vm *m)
{
	uint64_t u = 0;
	struct par__pk *k;

	if (left(m) < 8)
		return fail(m, "truncated");
	for (int i = 0; i < 8; i++)
		u = u << 8 | m->p[i];
	m->p += 8;
	k = node(m, PAR__PK_FLOAT);
	if (k == NULL)
		return m->err;
	memcpy(&k->f, &u, sizeof(k->f));
	return push(m, k);
}

static int op_bool(struct vm *m, uint8_t kind, int64_t v)
{
	struct par__pk *k = node(m, kind);

	if (k != NULL)
		k->i = v;
	return push(m, k);
}

static int op_memo_put(struct vm *m, uint64_t idx)
{
	struct par__pk *k = top(m);

	if (k == NULL)
		return m->err;
	if (idx >= (uint64_t)m->n + 256)
		return fail(m, "memo index out of range");
	if (idx >= m->memo_len) {
		size_t cap = m->memo_len;
		if (grow(m, (void **)&m->memo, &cap, idx + 1, sizeof(*m->memo)) < 0)
			return m->err;
		memset(m->memo + m->memo_len, 0, (cap - m->memo_len) * sizeof(*m->memo));
		m->memo_len = cap;
	}
	m->memo_count += m->memo[idx] == NULL;
	m->memo[idx] = k;
	return 0;
}

static int op_memo_get(struct vm *m, unsigned lb)
{
	uint64_t idx;

	if (arg(m, lb, &idx) < 0)
		return m->err;
	if (idx >= m->memo_len || m->memo[idx] == NULL)
		return fail(m, "memo index not set");
	return push(m, m->memo[idx]);
}

/* Python 2 names of protocol 2 GLOBALs, as Python 3 reads them
 * (_compat_pickle's NAME_MAPPING, then IMPORT_MAPPING; the common ones). */
static const char *const pk_names[][4] = {
	{ "__builtin__", "unicode", "builtins", "str" },
	{ "__builtin__", "basestring", "builtins", "str" },
	{ "__builtin__", "long", "builtins", "int" },
	{ "__builtin__", "xrange", "builtins", "range" },
	{ "__builtin__", "unichr", "builtins", "chr" },
	{ "__builtin__", "reduce", "functools", "reduce" },
	{ "__builtin__", "intern", "sys", "intern" },
	{ "itertools", "izip", "builtins", "zip" },
	{ "itertools", "imap", "builtins", "map" },
	{ "itertools", "ifilter", "builtins", "filter" },
	{ "itertools", "ifilterfalse", "itertools", "filterfalse" },
	{ "itertools", "izip_longest", "itertools", "zip_longest" },
	{ "UserDict", "IterableUserDict", "collections", "UserDict" },
};

static const char *const pk_modules[][2] = {
	{ "__builtin__", "builtins" }, { "copy_reg", "copyreg" },
	{ "exceptions", "builtins" },  { "Queue", "queue" },
	{ "cPickle", "pickle" },       { "UserDict", "collections" },
	{ "UserList", "collections" }, { "UserString", "collections" },
	{ "thread", "_thread" },       { "_abcoll", "collections.abc" },
	{ "StringIO", "io" },	       { "cStringIO", "io" },
};

static void set_name(struct par__pk *k, const char *s)
{
	k->p = (const uint8_t *)s;
	k->n = strlen(s);
}

static void compat_name(struct par__pk *mod, struct par__pk *name)
{
	for (size_t i = 0; i < sizeof(pk_names) / sizeof(pk_names[0]); i++)
		if (par__pk_is_str(mod, pk_names[i][0]) && par__pk_is_str(name, pk_names[i][1])) {
			set_name(mod, pk_names[i][2]);
			set_name(name, pk_names[i][3]);
			return;
		}
	for (size_t i = 0; i < sizeof(pk_modules) / sizeof(pk_modules[0]); i++)
		if (par__pk_is_str(mod, pk_modules[i][0])) {
			set_name(mod, pk_modules[i][1]);
			return;
		}
}

static int global_node(struct vm *m, struct par__pk *mod, struct par__pk *name)
{
	struct par__pk *g = node(m, PAR__PK_GLOBAL);

	if (g == NULL)
		return m->err;
	g->a = mod;
	g->b = name;
	return push(m, g);
}

/* GLOBAL "module\nname\n": two new STR nodes, mapped from Python 2 names
 * below protocol 3. */
static int op_global(struct vm *m)
{
	struct par__pk *s[2];

	for (int i = 0; i < 2; i++) {
		const uint8_t *nl = memchr(m->p, '\n', left(m));
		if (nl == NULL)
			return fail(m, "truncated GLOBAL");
		s[i] = node(m, PAR__PK_STR);
		if (s[i] == NULL)
			return m->err;
		s[i]->p = m->p;
		s[i]->n = (uint64_t)(nl - m->p);
		m->p = nl + 1;
	}
	if (m->proto < 3)
		compat_name(s[0], s[1]);
	return global_node(m, s[0], s[1]);
}

static int op_stack_global(struct vm *m)
{
	struct par__pk *name = pop(m), *mod = name ? pop(m) : NULL;

	if (mod == NULL)
		return m->err;
	if (mod->kind != PAR__PK_STR || name->kind != PAR__PK_STR)
		return fail(m, "STACK_GLOBAL of a non-str");
	return global_node(m, mod, name);
}

/* REDUCE, NEWOBJ, NEWOBJ_EX: an OBJ node of how from the callable (or
 * class), args and kwargs on the stack. */
static int op_obj(struct vm *m, uint8_t how)
{
	struct par__pk *o, *kw = NULL, *args, *fn;

	if (how == 0x92 && (kw = pop(m)) == NULL)
		return m->err;
	args = pop(m);
	fn = args ? pop(m) : NULL;
	if (fn == NULL)
		return m->err;
	o = node(m, PAR__PK_OBJ);
	if (o == NULL)
		return m->err;
	o->how = how;
	o->a = fn;
	o->b = args;
	o->c = kw;
	return push(m, o);
}

static int op_build(struct vm *m)
{
	struct par__pk *state = pop(m), *o = state ? top(m) : NULL;

	if (o == NULL)
		return m->err;
	if (o->kind != PAR__PK_OBJ)
		return fail(m, "BUILD on an object of the wrong kind");
	if (reserve(m, o, o->n, o->n + 1, sizeof(*o->ops)) < 0)
		return m->err;
	o->ops[o->n].op = 'b';
	o->ops[o->n].x = state;
	o->ops[o->n++].y = NULL;
	return 0;
}

static int op_mark(struct vm *m)
{
	if (m->nm >= VM_MARKS_MAX)
		return fail(m, "marks nested too deep");
	if (grow(m, (void **)&m->marks, &m->mcap, m->nm + 1, sizeof(*m->marks)) < 0)
		return m->err;
	m->marks[m->nm++] = m->sp;
	return 0;
}

/* POP: the top item, or the innermost mark when no item is above it. */
static int op_pop(struct vm *m)
{
	size_t base;

	if (avail(m) > 0) {
		m->sp--;
		return 0;
	}
	return pop_mark(m, &base);
}

static int op_pop_mark(struct vm *m)
{
	size_t base;

	if (pop_mark(m, &base) < 0)
		return m->err;
	m->sp = base;
	return 0;
}

static int op_tuple_n(struct vm *m, unsigned n)
{
	if (avail(m) < n)
		return fail(m, "stack underflow");
	return collect(m, PAR__PK_TUPLE, m->sp - n);
}

static int op_to_mark(struct vm *m, uint8_t kind)
{
	size_t base;

	if (pop_mark(m, &base) < 0)
		return m->err;
	return collect(m, kind, base);
}

static int op_items_to_mark(struct vm *m, char op)
{
	size_t base;

	if (pop_mark(m, &base) < 0)
		return m->err;
	return add_items(m, base, op);
}

static int op_items_n(struct vm *m, char op, unsigned n)
{
	if (avail(m) < n + 1)
		return fail(m, "stack underflow");
	return add_items(m, m->sp - n, op);
}

static int op_frame(struct vm *m)
{
	uint64_t len;

	if (arg(m, 8, &len) < 0)
		return m->err;
	if (len > left(m))
		return fail(m, "truncated (frame past the end)");
	return 0;
}

static int op_proto(struct vm *m)
{
	uint64_t v;

	if (arg(m, 1, &v) < 0)
		return m->err;
	if (v > 5)
		return fail(m, "unsupported protocol");
	m->proto = (int)v;
	return 0;
}

/* Opcodes of one argument-free step that make or change containers. */
static int op_container(struct vm *m, uint8_t op)
{
	switch (op) {
	case ')':
		return push(m, node(m, PAR__PK_TUPLE));
	case 0x85:
	case 0x86:
	case 0x87:
		return op_tuple_n(m, op - 0x84u);
	case 't':
		return op_to_mark(m, PAR__PK_TUPLE);
	case ']':
		return push(m, node(m, PAR__PK_LIST));
	case 'l':
		return op_to_mark(m, PAR__PK_LIST);
	case 'a':
		return op_items_n(m, 'a', 1);
	case 'e':
		return op_items_to_mark(m, 'a');
	case '}':
		return push(m, node(m, PAR__PK_DICT));
	case 'd':
		return op_to_mark(m, PAR__PK_DICT);
	case 's':
		return op_items_n(m, 's', 2);
	case 'u':
		return op_items_to_mark(m, 's');
	case 0x8f:
		return push(m, node(m, PAR__PK_SET));
	case 0x90:
		return op_items_to_mark(m, 'e');
	case 0x91:
		return op_to_mark(m, PAR__PK_FROZENSET);
	default:
		return 1;
	}
}

/* Opcodes that push a scalar or string. */
static int op_value(struct vm *m, uint8_t op)
{
	switch (op) {
	case 'N':
		return push(m, node(m, PAR__PK_NONE));
	case 0x88:
	case 0x89:
		return op_bool(m, PAR__PK_BOOL, op == 0x88);
	case 'K':
		return op_int(m, 1);
	case 'M':
		return op_int(m, 2);
	case 'J':
		return op_int(m, 4);
	case 0x8a:
		return op_long(m, 1);
	case 0x8b:
		return op_long(m, 4);
	case 'G':
		return op_float(m);
	case 0x8c:
		return op_data(m, PAR__PK_STR, 1);
	case 'X':
		return op_data(m, PAR__PK_STR, 4);
	case 0x8d:
		return op_data(m, PAR__PK_STR, 8);
	case 'C':
		return op_data(m, PAR__PK_BYTES, 1);
	case 'B':
		return op_data(m, PAR__PK_BYTES, 4);
	case 0x8e:
		return op_data(m, PAR__PK_BYTES, 8);
	case 0x96:
		return op_data(m, PAR__PK_BYTEARRAY, 8);
	default:
		return 1;
	}
}

/* The memo, stack and object opcodes. */
static int op_other(struct vm *m, uint8_t op)
{
	uint64_t v;

	switch (op) {
	case 0x80:
		return op_proto(m);
	case 0x95:
		return op_frame(m);
	case '(':
		return op_mark(m);
	case 0x94:
		return op_memo_put(m, m->memo_count);
	case 'q':
	case 'r':
		return arg(m, op == 'q' ? 1 : 4, &v) < 0 ? m->err : op_memo_put(m, v);
	case 'h':
		return op_memo_get(m, 1);
	case 'j':
		return op_memo_get(m, 4);
	case 0x93:
		return op_stack_global(m);
	case 'c':
		return op_global(m);
	case 'R':
	case 0x81:
	case 0x92:
		return op_obj(m, op);
	case 'b':
		return op_build(m);
	case '0':
		return op_pop(m);
	case '1':
		return op_pop_mark(m);
	case '2':
		return top(m) ? push(m, m->stack[m->sp - 1]) : m->err;
	default:
		return fail(m, "opcode outside the supported subset");
	}
}

static int nests(const struct par__pk *k)
{
	return k->kind >= PAR__PK_TUPLE && k->kind != PAR__PK_GLOBAL;
}

/* Nesting of the first visit of each node, in the writer's order, without
 * recursion: past PAR__PK_DEPTH is refused. */
static int check_depth(struct vm *m, struct par__pk *root)
{
	struct {
		struct par__pk *k;
		uint64_t i;
	} st[PAR__PK_DEPTH];
	uint32_t gen = par__pk_gen();
	int d = 0;
	struct par__pk *c;

	if (!nests(root))
		return 0;
	root->rgen = gen;
	st[d].k = root;
	st[d++].i = 0;
	while (d > 0) {
		if (!par__pk_child(st[d - 1].k, st[d - 1].i++, &c)) {
			d--;
			continue;
		}
		if (c == NULL || c->rgen == gen || !nests(c))
			continue;
		if (d == PAR__PK_DEPTH)
			return fail(m, "nested too deep");
		c->rgen = gen;
		st[d].k = c;
		st[d++].i = 0;
	}
	return 0;
}

static int op_stop(struct vm *m, struct par__pk **out)
{
	if (m->nm != 0)
		return fail(m, "STOP inside a mark");
	if (m->sp != 1)
		return fail(m, m->sp ? "STOP with more than one value" : "STOP with no value");
	if (m->p != m->end)
		return fail(m, "trailing bytes after STOP");
	if (check_depth(m, m->stack[0]) < 0)
		return m->err;
	*out = m->stack[0];
	return 0;
}

static int run(struct vm *m, struct par__pk **out)
{
	while (m->p < m->end) {
		uint8_t op = *m->p++;
		int r;

		if (op == '.')
			return op_stop(m, out);
		r = op_value(m, op);
		if (r == 1)
			r = op_container(m, op);
		if (r == 1)
			r = op_other(m, op);
		if (r < 0)
			return m->err ? m->err : r;
	}
	return fail(m, "truncated (no STOP)");
}

int par__pk_read(struct par__pkarena *a, const uint8_t *p, size_t n, struct par__pk **out,
		 const char **why)
{
	struct vm m = { .a = a, .p = p, .end = p + n, .n = n };
	int r;

	*out = NULL;
	if (p == NULL || n == 0) {
		if (why != NULL)
			*why = "empty input";
		return -EPROTO;
	}
	r = run(&m, out);
	free(m.stack);
	free(m.marks);
	free(m.memo);
	if (r < 0 && why != NULL)
		*why = m.why;
	return r;
}

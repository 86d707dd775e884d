/* The pickle writer: protocol 4 without FRAME. Values, read graphs (written
 * as CPython's pickler would write the objects they stand for: shared and
 * recursive parts through MEMOIZE and BINGET) and par_py trees. */
#include "pickle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* CPython's batch of APPENDS / SETITEMS / ADDITEMS items. */
#define PKW_BATCH 1000
/* Recursion of par__pkw_node: a tuple reached again through its own items
 * is written twice (CPython's way), so allow more than the reader's
 * nesting. */
#define PKW_DEPTH (4 * PAR__PK_DEPTH)

void par__pkw_init(struct par__pkw *w)
{
	memset(w, 0, sizeof(*w));
}

void par__pkw_free(struct par__pkw *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

static void put(struct par__pkw *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *q;
		while (cap - w->len < n) {
			if (cap > SIZE_MAX / 2) {
				w->err = -ENOMEM;
				return;
			}
			cap *= 2;
		}
		q = realloc(w->p, cap);
		if (q == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->p = q;
		w->cap = cap;
	}
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void op(struct par__pkw *w, uint8_t o)
{
	put(w, &o, 1);
}

/* An opcode then v as k little-endian bytes. */
static void op_le(struct par__pkw *w, uint8_t o, uint64_t v, unsigned k)
{
	uint8_t b[9];

	b[0] = o;
	for (unsigned i = 0; i < k; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	put(w, b, 1 + k);
}

void par__pkw_begin(struct par__pkw *w)
{
	w->len = 0;
	w->memo = 0;
	w->gen = par__pk_gen();
	w->err = 0;
	w->deep = PKW_DEPTH;
	put(w, "\x80\x04", 2);
}

int par__pkw_end(struct par__pkw *w)
{
	op(w, '.');
	return w->err;
}

void par__pkw_none(struct par__pkw *w)
{
	op(w, 'N');
}

void par__pkw_bool(struct par__pkw *w, int b)
{
	op(w, b ? 0x88 : 0x89);
}

void par__pkw_int(struct par__pkw *w, int64_t v)
{
	unsigned n = 1;

	if (v >= 0 && v <= 0xff) {
		op_le(w, 'K', (uint64_t)v, 1);
	} else if (v >= 0 && v <= 0xffff) {
		op_le(w, 'M', (uint64_t)v, 2);
	} else if (v >= INT32_MIN && v <= INT32_MAX) {
		op_le(w, 'J', (uint64_t)v, 4);
	} else {
		/* The fewest bytes whose sign extension gives v back. */
		while (n < 8 && (v >> (8 * n - 1)) != 0 && (v >> (8 * n - 1)) != -1)
			n++;
		op_le(w, 0x8a, n, 1);
		op_le(w, (uint8_t)v, (uint64_t)v >> 8, n - 1);
	}
}

void par__pkw_float(struct par__pkw *w, double f)
{
	uint8_t b[9];
	uint64_t u;

	memcpy(&u, &f, sizeof(u));
	b[0] = 'G';
	for (int i = 0; i < 8; i++)
		b[1 + i] = (uint8_t)(u >> (56 - 8 * i));
	put(w, b, 9);
}

/* Data of n bytes after the opcode for its length: 1, 4 or 8 bytes. */
static void data(struct par__pkw *w, const uint8_t ops[3], const void *p, size_t n)
{
	if (n < 256)
		op_le(w, ops[0], n, 1);
	else if (n <= UINT32_MAX)
		op_le(w, ops[1], n, 4);
	else
		op_le(w, ops[2], n, 8);
	put(w, p, n);
}

void par__pkw_str(struct par__pkw *w, const void *s, size_t n)
{
	static const uint8_t ops[3] = { 0x8c, 'X', 0x8d };

	data(w, ops, s, n);
}

void par__pkw_bytes(struct par__pkw *w, const void *b, size_t n)
{
	static const uint8_t ops[3] = { 'C', 'B', 0x8e };

	data(w, ops, b, n);
}

void par__pkw_mark(struct par__pkw *w)
{
	op(w, '(');
}

void par__pkw_tuple(struct par__pkw *w, unsigned n)
{
	static const uint8_t ops[4] = { ')', 0x85, 0x86, 0x87 };

	if (n > 3) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	op(w, ops[n]);
}

void par__pkw_tuple_mark(struct par__pkw *w)
{
	op(w, 't');
}

void par__pkw_empty_dict(struct par__pkw *w)
{
	op(w, '}');
}

void par__pkw_setitems(struct par__pkw *w)
{
	op(w, 'u');
}

void par__pkw_global(struct par__pkw *w, const char *module, const char *name)
{
	par__pkw_str(w, module, strlen(module));
	par__pkw_str(w, name, strlen(name));
	op(w, 0x93);
}

void par__pkw_reduce(struct par__pkw *w)
{
	op(w, 'R');
}

void par__pkw_raw(struct par__pkw *w, const void *p, size_t n)
{
	put(w, p, n);
}

/* ---- Read graphs -------------------------------------------------------- */

static void node(struct par__pkw *w, struct par__pk *k, unsigned depth);

static int memoized(const struct par__pkw *w, const struct par__pk *k)
{
	return k->wgen == w->gen && k->wmemo != 0;
}

static void memoize(struct par__pkw *w, struct par__pk *k)
{
	if (w->memo == UINT32_MAX - 1) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	op(w, 0x94);
	k->wmemo = ++w->memo;
	k->wgen = w->gen;
}

/* A MEMOIZE of something that is no node (CPython's intermediate
 * objects). */
static void memoize_anon(struct par__pkw *w)
{
	struct par__pk tmp = { .kind = PAR__PK_NONE };

	memoize(w, &tmp);
}

static void get(struct par__pkw *w, const struct par__pk *k)
{
	if (k->wmemo - 1 < 256)
		op_le(w, 'h', k->wmemo - 1, 1);
	else
		op_le(w, 'j', k->wmemo - 1, 4);
}

static void long_node(struct par__pkw *w, const struct par__pk *k)
{
	if (k->n < 256)
		op_le(w, 0x8a, k->n, 1);
	else if (k->n <= INT32_MAX)
		op_le(w, 0x8b, k->n, 4);
	else if (!w->err)
		w->err = -EINVAL;
	put(w, k->p, k->n);
}

/* items[0..n) (per = 2: key, value pairs) batched as _pickle.c does for a
 * list, dict or set: a lone item with the `one` opcode (0: none), else
 * MARK .. `many` per batch, and after a full batch one more (maybe empty)
 * when `tail` (dicts and sets). */
static void batches(struct par__pkw *w, struct par__pk *const *items, uint64_t n, unsigned per,
		    uint8_t one, uint8_t many, int tail, unsigned depth)
{
	uint64_t i = 0, b;

	if (n == 0)
		return;
	if (n == 1 && one != 0) {
		for (unsigned j = 0; j < per; j++)
			node(w, items[j], depth);
		op(w, one);
		return;
	}
	do {
		b = n - i < PKW_BATCH ? n - i : PKW_BATCH;
		op(w, '(');
		for (uint64_t j = 0; j < b * per && !w->err; j++)
			node(w, items[i * per + j], depth);
		op(w, many);
		i += b;
	} while (!w->err && (i < n || (tail && b == PKW_BATCH)));
}

/* A tuple or frozenset: its items, then the opcode that makes it, unless
 * the items reached it (through a mutable object) and so wrote it already:
 * then CPython's pops and a BINGET of that one. */
static void immutable(struct par__pkw *w, struct par__pk *k, unsigned depth)
{
	int small = k->kind == PAR__PK_TUPLE && k->n <= 3;

	if (k->kind == PAR__PK_TUPLE && k->n == 0) {
		op(w, ')');
		return;
	}
	if (!small)
		op(w, '(');
	for (uint64_t i = 0; i < k->n && !w->err; i++)
		node(w, k->v[i], depth);
	if (memoized(w, k)) {
		for (uint64_t i = 0; small && i < k->n; i++)
			op(w, '0');
		if (!small)
			op(w, '1');
		get(w, k);
		return;
	}
	if (small)
		op(w, (uint8_t)(0x84 + k->n));
	else
		op(w, k->kind == PAR__PK_TUPLE ? 't' : 0x91);
	memoize(w, k);
}

/* An OBJ: made, memoized, then its ops in order (runs of APPEND and of
 * SETITEM batched). */
static void obj(struct par__pkw *w, struct par__pk *k, unsigned depth)
{
	node(w, k->a, depth);
	node(w, k->b, depth);
	if (k->how == 0x92)
		node(w, k->c, depth);
	op(w, k->how);
	memoize(w, k);
	for (uint64_t i = 0; i < k->n && !w->err;) {
		const struct par__pkop *o = &k->ops[i];
		uint64_t run = 1;
		if (o->op == 'b') {
			node(w, o->x, depth);
			op(w, 'b');
			i++;
			continue;
		}
		while (i + run < k->n && run < PKW_BATCH && k->ops[i + run].op == o->op)
			run++;
		if (run > 1)
			op(w, '(');
		for (uint64_t j = i; j < i + run && !w->err; j++) {
			node(w, k->ops[j].x, depth);
			if (o->op == 's')
				node(w, k->ops[j].y, depth);
		}
		op(w, run > 1 ? (o->op == 's' ? 'u' : 'e') : (o->op == 's' ? 's' : 'a'));
		i += run;
	}
}

static void container(struct par__pkw *w, struct par__pk *k, unsigned depth)
{
	switch (k->kind) {
	case PAR__PK_LIST:
		op(w, ']');
		memoize(w, k);
		batches(w, k->v, k->n, 1, 'a', 'e', 0, depth);
		return;
	case PAR__PK_DICT:
		op(w, '}');
		memoize(w, k);
		batches(w, k->v, k->n, 2, 's', 'u', 1, depth);
		return;
	case PAR__PK_SET:
		op(w, 0x8f);
		memoize(w, k);
		batches(w, k->v, k->n, 1, 0, 0x90, 1, depth);
		return;
	case PAR__PK_TUPLE:
	case PAR__PK_FROZENSET:
		immutable(w, k, depth);
		return;
	case PAR__PK_OBJ:
		obj(w, k, depth);
		return;
	default:
		w->err = -EINVAL;
	}
}

static void scalar(struct par__pkw *w, struct par__pk *k)
{
	switch (k->kind) {
	case PAR__PK_NONE:
		par__pkw_none(w);
		return;
	case PAR__PK_BOOL:
		par__pkw_bool(w, k->i != 0);
		return;
	case PAR__PK_INT:
		par__pkw_int(w, k->i);
		return;
	case PAR__PK_LONG:
		long_node(w, k);
		return;
	case PAR__PK_FLOAT:
		par__pkw_float(w, k->f);
		return;
	case PAR__PK_STR:
		par__pkw_str(w, k->p, k->n);
		memoize(w, k);
		return;
	case PAR__PK_BYTES:
		par__pkw_bytes(w, k->p, k->n);
		memoize(w, k);
		return;
	case PAR__PK_BYTEARRAY:
		/* protocol 4 has no BYTEARRAY8: bytearray.__reduce_ex__(4),
		 * memoized as CPython does */
		par__pkw_str(w, "builtins", 8);
		memoize_anon(w);
		par__pkw_str(w, "bytearray", 9);
		memoize_anon(w);
		op(w, 0x93);
		memoize_anon(w);
		if (k->n > 0) {
			par__pkw_bytes(w, k->p, k->n);
			memoize_anon(w);
			op(w, 0x85);
			memoize_anon(w);
		} else {
			op(w, ')');
		}
		op(w, 'R');
		memoize(w, k);
		return;
	case PAR__PK_GLOBAL:
		if (k->a == NULL || k->b == NULL || k->a->kind != PAR__PK_STR ||
		    k->b->kind != PAR__PK_STR) {
			w->err = -EINVAL;
			return;
		}
		node(w, k->a, 0);
		node(w, k->b, 0);
		op(w, 0x93);
		memoize(w, k);
		return;
	default:
		return;
	}
}

static void node(struct par__pkw *w, struct par__pk *k, unsigned depth)
{
	if (w->err)
		return;
	if (k == NULL) {
		w->err = -EINVAL;
		return;
	}
	if (memoized(w, k)) {
		get(w, k);
		return;
	}
	if (k->kind < PAR__PK_TUPLE || k->kind == PAR__PK_GLOBAL) {
		scalar(w, k);
		return;
	}
	/* past the depth, or an object whose callable or args reach it
	 * before it exists */
	if (depth >= w->deep || (k->kind == PAR__PK_OBJ && k->wbusy)) {
		w->err = -ELOOP;
		return;
	}
	k->wbusy++;
	container(w, k, depth + 1);
	k->wbusy--;
}

void par__pkw_node(struct par__pkw *w, const struct par__pk *k)
{
	/* The writer's fields of the nodes are its own (see pickle.h). */
	node(w, (struct par__pk *)k, 0);
}

/* ---- par_py trees ------------------------------------------------------- */

/* A PAR_PY_PICKLE part at depth: read, then written as a graph so its memo
 * indices follow the enclosing message's, its nesting counted on from the
 * tree's (so what par_py_dumps writes, par_py_loads reads back). */
static void py_pickle(struct par__pkw *w, const struct par_py *v, unsigned depth)
{
	struct par__pkarena a;
	struct par__pk *k;
	int r;

	if (v->b == NULL) {
		w->err = v->len ? -EINVAL : -EPROTO;
		return;
	}
	par__pkarena_init(&a, PAR__PK_LIMIT(v->len));
	r = par__pk_read(&a, v->b, v->len, &k, NULL);
	if (r == 0)
		node(w, k, depth);
	else if (!w->err)
		w->err = r == -ENOMEM ? -ENOMEM : -EPROTO;
	par__pkarena_free(&a);
}

static void py(struct par__pkw *w, const struct par_py *v, unsigned depth);

static void py_seq(struct par__pkw *w, const struct par_py *v, unsigned depth)
{
	if (v->len > 0 && v->items == NULL) {
		w->err = -EINVAL;
		return;
	}
	if (depth >= PAR_PY_DEPTH_MAX) {
		w->err = -ELOOP;
		return;
	}
	if (v->type == PAR_PY_LIST) {
		/* as _pickle.c batches a list */
		op(w, ']');
		for (size_t i = 0; i < v->len && !w->err; i += PKW_BATCH) {
			size_t b = v->len - i < PKW_BATCH ? v->len - i : PKW_BATCH;
			if (v->len > 1)
				op(w, '(');
			for (size_t j = i; j < i + b; j++)
				py(w, &v->items[j], depth + 1);
			op(w, v->len > 1 ? 'e' : 'a');
		}
		return;
	}
	if (v->len > 3)
		op(w, '(');
	for (size_t i = 0; i < v->len; i++)
		py(w, &v->items[i], depth + 1);
	if (v->len > 3)
		op(w, 't');
	else
		par__pkw_tuple(w, (unsigned)v->len);
}

static void py(struct par__pkw *w, const struct par_py *v, unsigned depth)
{
	if (w->err)
		return;
	switch (v->type) {
	case PAR_PY_NONE:
		par__pkw_none(w);
		break;
	case PAR_PY_BOOL:
		par__pkw_bool(w, v->i != 0);
		break;
	case PAR_PY_INT:
		par__pkw_int(w, v->i);
		break;
	case PAR_PY_FLOAT:
		par__pkw_float(w, v->f);
		break;
	case PAR_PY_STR:
		if ((v->len > 0 && v->s == NULL) || !par__pk_utf8((const uint8_t *)v->s, v->len))
			w->err = v->s == NULL ? -EINVAL : -EILSEQ;
		else
			par__pkw_str(w, v->s, v->len);
		break;
	case PAR_PY_BYTES:
		if (v->len > 0 && v->b == NULL)
			w->err = -EINVAL;
		else
			par__pkw_bytes(w, v->b, v->len);
		break;
	case PAR_PY_TUPLE:
	case PAR_PY_LIST:
		py_seq(w, v, depth);
		break;
	case PAR_PY_PICKLE:
		py_pickle(w, v, depth);
		break;
	default:
		w->err = -EINVAL;
	}
}

void par__pkw_py(struct par__pkw *w, const struct par_py *v)
{
	if (v == NULL) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	unsigned deep = w->deep;
	w->deep = PAR_PY_DEPTH_MAX; /* the reader's bound: a tree is not written twice */
	py(w, v, 0);
	w->deep = deep;
}

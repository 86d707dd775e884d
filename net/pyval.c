/* par_py values: pickles read into plain trees (par__pk_to_py, one
 * allocation each) and written from them, and their comparison. */
#include "pickle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Values in one tree, and bytes of its strings and pickles. */
#define PY_VALUES_MAX ((uint64_t)16 << 20)
#define PY_DATA_MAX ((size_t)256 << 20)

/* rstate bits of par__pk_to_py's passes. */
enum {
	PY_ONPATH = 1, /* on the walk's path now */
	PY_SEEN = 2,   /* walked */
	PY_CYCLE = 4,  /* reached again from below itself: a PAR_PY_PICKLE */
	PY_SIZED = 8,  /* rval: values under it (a sequence), data bytes (a leaf) */
	PY_DATA = 16,  /* roff: where its data is */
};

struct topy {
	uint32_t gen;
	struct par__pkw data; /* strings and pickles, back to back */
	struct par__pkw pw;   /* one standalone pickle */
	struct par_py *next;  /* building: the next free value */
	const char *base;     /* building: the data */
};

static int fresh(const struct topy *t, struct par__pk *k)
{
	if (k->rgen == t->gen)
		return 0;
	k->rgen = t->gen;
	k->rstate = 0;
	return 1;
}

/* A protocol 2 bytes object: _codecs.encode(str, 'latin1') with every
 * character below 256 (its length in *n), or bytes(). */
static int py2_bytes(const struct par__pk *k, uint64_t *n)
{
	const struct par__pk *g = k->a, *args = k->b, *s;

	if (k->kind != PAR__PK_OBJ || k->how != 'R' || k->n != 0 || g == NULL ||
	    g->kind != PAR__PK_GLOBAL || args == NULL || args->kind != PAR__PK_TUPLE)
		return 0;
	if (par__pk_is_str(g->a, "builtins") && par__pk_is_str(g->b, "bytes") && args->n == 0) {
		*n = 0;
		return 1;
	}
	if (!par__pk_is_str(g->a, "_codecs") || !par__pk_is_str(g->b, "encode") || args->n != 2 ||
	    !par__pk_is_str(args->v[1], "latin1") || args->v[0]->kind != PAR__PK_STR)
		return 0;
	s = args->v[0];
	if (!par__pk_utf8(s->p, s->n))
		return 0;
	*n = 0;
	for (uint64_t i = 0; i < s->n; i++) {
		if (s->p[i] >= 0xc4)
			return 0; /* past U+00FF */
		*n += (s->p[i] & 0xc0) != 0x80;
	}
	return 1;
}

static int is_seq(const struct par__pk *k)
{
	return (k->kind == PAR__PK_TUPLE || k->kind == PAR__PK_LIST) && !(k->rstate & PY_CYCLE);
}

/* Pass 1: mark the sequences reached again from below themselves. */
static int mark_cycles(struct topy *t, struct par__pk *k, unsigned depth)
{
	if (k->kind != PAR__PK_TUPLE && k->kind != PAR__PK_LIST)
		return 0;
	if (!fresh(t, k)) {
		if (k->rstate & PY_ONPATH)
			k->rstate |= PY_CYCLE;
		return 0;
	}
	if (depth >= PAR_PY_DEPTH_MAX)
		return -EPROTO;
	k->rstate |= PY_ONPATH | PY_SEEN;
	for (uint64_t i = 0; i < k->n; i++)
		if (mark_cycles(t, k->v[i], depth + 1) < 0)
			return -EPROTO;
	k->rstate &= ~PY_ONPATH;
	return 0;
}

/* Pass 2: values under k, copies of shared parts included (saturating
 * past PY_VALUES_MAX), and the nesting of its copy in roff (sequences
 * only: a leaf's roff is its data). A part shared at two depths is copied
 * at both: past PAR_PY_DEPTH_MAX at either is refused. */
static int count(struct topy *t, struct par__pk *k, unsigned depth, uint64_t *out)
{
	uint64_t sum = 1, c, height = 1;

	fresh(t, k);
	if (!is_seq(k)) {
		*out = 1;
		return 0;
	}
	if (k->rstate & PY_SIZED) {
		if (depth + k->roff > PAR_PY_DEPTH_MAX)
			return -EPROTO;
		*out = k->rval;
		return 0;
	}
	if (depth >= PAR_PY_DEPTH_MAX)
		return -EPROTO;
	for (uint64_t i = 0; i < k->n && sum <= PY_VALUES_MAX; i++) {
		if (count(t, k->v[i], depth + 1, &c) < 0)
			return -EPROTO;
		sum += c;
		if (is_seq(k->v[i]) && k->v[i]->roff + 1 > height)
			height = k->v[i]->roff + 1;
	}
	k->rval = sum;
	k->roff = height;
	k->rstate |= PY_SIZED;
	*out = sum;
	return 0;
}

/* The data of a leaf k into t->data, once per node. */
static int leaf_data(struct topy *t, struct par__pk *k)
{
	size_t at = t->data.len;
	uint64_t n;

	if (k->rstate & PY_DATA)
		return 0;
	if (k->kind == PAR__PK_STR && par__pk_utf8(k->p, k->n)) {
		par__pkw_raw(&t->data, k->p, k->n);
		par__pkw_raw(&t->data, "", 1);
	} else if (k->kind == PAR__PK_BYTES) {
		par__pkw_raw(&t->data, k->p, k->n);
	} else if (py2_bytes(k, &n)) {
		/* UTF-8 of U+0000..U+00FF to latin-1 */
		const struct par__pk *s = n ? k->b->v[0] : NULL;
		for (uint64_t i = 0; s != NULL && i < s->n; i++) {
			uint8_t c = s->p[i];
			if (c >= 0x80)
				c = (uint8_t)((c & 0x1f) << 6 | (s->p[++i] & 0x3f));
			par__pkw_raw(&t->data, &c, 1);
		}
	} else {
		par__pkw_begin(&t->pw);
		t->pw.deep = PAR__PK_DEPTH; /* a part the reader would refuse is not made */
		par__pkw_node(&t->pw, k);
		if (par__pkw_end(&t->pw) < 0)
			return t->pw.err == -ELOOP ? -EPROTO : t->pw.err;
		par__pkw_raw(&t->data, t->pw.p, t->pw.len);
	}
	if (t->data.err)
		return t->data.err;
	if (t->data.len > PY_DATA_MAX)
		return -E2BIG;
	k->roff = at;
	k->rval = t->data.len - at;
	k->rstate |= PY_DATA;
	return 0;
}

/* Pass 3: the data of every leaf under k that has some. */
static int collect(struct topy *t, struct par__pk *k)
{
	int r;

	if (!is_seq(k))
		return k->kind <= PAR__PK_FLOAT && k->kind != PAR__PK_LONG ? 0 : leaf_data(t, k);
	if (k->rstate & PY_DATA)
		return 0;
	k->rstate |= PY_DATA;
	for (uint64_t i = 0; i < k->n; i++)
		if ((r = collect(t, k->v[i])) < 0)
			return r;
	return 0;
}

/* Pass 4: the value of k into *v. */
static void build(struct topy *t, const struct par__pk *k, struct par_py *v)
{
	uint64_t n;

	v->len = 0;
	v->i = 0;
	switch (k->kind) {
	case PAR__PK_NONE:
		v->type = PAR_PY_NONE;
		return;
	case PAR__PK_BOOL:
		v->type = PAR_PY_BOOL;
		v->i = k->i != 0;
		return;
	case PAR__PK_INT:
		v->type = PAR_PY_INT;
		v->i = k->i;
		return;
	case PAR__PK_FLOAT:
		v->type = PAR_PY_FLOAT;
		v->f = k->f;
		return;
	}
	if (is_seq(k)) {
		struct par_py *items = t->next;
		t->next += k->n;
		v->type = k->kind == PAR__PK_TUPLE ? PAR_PY_TUPLE : PAR_PY_LIST;
		v->len = k->n;
		v->items = items;
		for (uint64_t i = 0; i < k->n; i++)
			build(t, k->v[i], &items[i]);
		return;
	}
	if (k->kind == PAR__PK_STR && par__pk_utf8(k->p, k->n))
		v->type = PAR_PY_STR;
	else if (k->kind == PAR__PK_BYTES || py2_bytes(k, &n))
		v->type = PAR_PY_BYTES;
	else
		v->type = PAR_PY_PICKLE;
	v->b = t->base + k->roff;
	v->len = v->type == PAR_PY_STR ? k->rval - 1 : k->rval;
}

static int to_py(struct topy *t, struct par__pk *k, struct par_py **out)
{
	uint64_t values;
	struct par_py *tree;
	int r;

	if (mark_cycles(t, k, 0) < 0)
		return -EPROTO;
	if (count(t, k, 0, &values) < 0)
		return -EPROTO;
	if (values > PY_VALUES_MAX)
		return -E2BIG;
	if ((r = collect(t, k)) < 0)
		return r;
	tree = malloc(values * sizeof(*tree) + t->data.len + 1);
	if (tree == NULL)
		return -ENOMEM;
	t->next = tree + 1;
	t->base = (const char *)(tree + values);
	if (t->data.len > 0)
		memcpy(tree + values, t->data.p, t->data.len);
	build(t, k, tree);
	*out = tree;
	return 0;
}

int par__pk_to_py(const struct par__pk *k, struct par_py **out)
{
	struct topy t = { .gen = par__pk_gen() };
	int r;

	*out = NULL;
	if (k == NULL)
		return -EINVAL;
	par__pkw_init(&t.data);
	par__pkw_init(&t.pw);
	/* The scratch fields of the nodes are this call's own (pickle.h). */
	r = to_py(&t, (struct par__pk *)k, out);
	par__pkw_free(&t.data);
	par__pkw_free(&t.pw);
	return r;
}

int par_py_loads(const void *p, size_t len, struct par_py **out)
{
	struct par__pkarena a;
	struct par__pk *k;
	int r;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	par__pkarena_init(&a, PAR__PK_LIMIT(len));
	r = par__pk_read(&a, p, len, &k, NULL);
	if (r == 0)
		r = par__pk_to_py(k, out);
	else if (r == -E2BIG)
		r = -EPROTO; /* past the reader's bound: no pickle Python writes */
	par__pkarena_free(&a);
	return r;
}

ssize_t par_py_dumps(const struct par_py *v, void *buf, size_t cap)
{
	struct par__pkw w;
	ssize_t r;

	par__pkw_init(&w);
	par__pkw_begin(&w);
	par__pkw_py(&w, v);
	r = par__pkw_end(&w);
	if (r == 0) {
		r = (ssize_t)w.len;
		if (w.len <= cap && buf != NULL)
			memcpy(buf, w.p, w.len);
	}
	par__pkw_free(&w);
	return r;
}

void par_py_free(struct par_py *v)
{
	free(v);
}

int par_py_is_pickle(const void *msg, size_t len)
{
	const uint8_t *m = msg;

	return m != NULL && len >= 3 && m[0] == 0x80 && m[1] >= 2 && m[1] <= 5 && m[len - 1] == '.';
}

static int equal(const struct par_py *a, const struct par_py *b, unsigned depth)
{
	if (a->type != b->type || depth > PAR_PY_DEPTH_MAX)
		return 0;
	switch (a->type) {
	case PAR_PY_NONE:
		return 1;
	case PAR_PY_BOOL:
		return (a->i != 0) == (b->i != 0);
	case PAR_PY_INT:
		return a->i == b->i;
	case PAR_PY_FLOAT:
		return memcmp(&a->f, &b->f, sizeof(a->f)) == 0;
	case PAR_PY_STR:
	case PAR_PY_BYTES:
	case PAR_PY_PICKLE:
		return a->len == b->len && (a->len == 0 || memcmp(a->b, b->b, a->len) == 0);
	case PAR_PY_TUPLE:
	case PAR_PY_LIST:
		if (a->len != b->len)
			return 0;
		for (size_t i = 0; i < a->len; i++)
			if (!equal(&a->items[i], &b->items[i], depth + 1))
				return 0;
		return 1;
	default:
		return 0;
	}
}

int par_py_equal(const struct par_py *a, const struct par_py *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return equal(a, b, 0);
}

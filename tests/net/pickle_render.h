/* The canonical text of a read pickle graph (see pickle_fixtures.py): kinds,
 * values, and sharing (each node with an identity is "#k=" at its first
 * visit, "@k" when reached again; not the empty tuple, a singleton in
 * Python), so two graphs are the same, sharing and cycles included, when
 * their texts are equal. For tests. */
#ifndef PAR_TEST_PICKLE_RENDER_H
#define PAR_TEST_PICKLE_RENDER_H

#include "pickle.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkr {
	char *p;
	size_t len, cap;
	const void **keys; /* open addressing: node -> label */
	uint32_t *vals;
	size_t kcap;
	uint32_t n;
};

static void pkr_put(struct pkr *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(r->p + r->len, r->cap - r->len, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < r->cap - r->len)
			break;
		r->cap = r->cap * 2 + (size_t)k + 64;
		r->p = realloc(r->p, r->cap);
		if (r->p == NULL)
			abort();
	}
	r->len += (size_t)k;
}

static size_t pkr_slot(const struct pkr *r, const void *k)
{
	size_t h = ((uintptr_t)k >> 4) * 0x9e3779b97f4a7c15ull;

	for (h &= r->kcap - 1; r->keys[h] != NULL && r->keys[h] != k; h = (h + 1) & (r->kcap - 1))
		;
	return h;
}

/* 0 at the first visit of k (which gets the next label), else its label. */
static uint32_t pkr_label(struct pkr *r, const void *k)
{
	size_t h;

	if (2 * (r->n + 1) > r->kcap) {
		const void **ok = r->keys;
		uint32_t *ov = r->vals;
		size_t oc = r->kcap;
		r->kcap = oc ? 2 * oc : 64;
		r->keys = calloc(r->kcap, sizeof(*r->keys));
		r->vals = calloc(r->kcap, sizeof(*r->vals));
		if (r->keys == NULL || r->vals == NULL)
			abort();
		for (size_t i = 0; i < oc; i++)
			if (ok[i] != NULL) {
				h = pkr_slot(r, ok[i]);
				r->keys[h] = ok[i];
				r->vals[h] = ov[i];
			}
		free(ok);
		free(ov);
	}
	h = pkr_slot(r, k);
	if (r->keys[h] != NULL)
		return r->vals[h];
	r->keys[h] = k;
	r->vals[h] = ++r->n;
	return 0;
}

static void pkr_data(struct pkr *r, char tag, const uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	pkr_put(r, "%c%" PRIu64 ":", tag, n);
	if (n <= 32) {
		for (uint64_t i = 0; i < n; i++)
			pkr_put(r, "%02x", p[i]);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	pkr_put(r, "%016" PRIx64, h);
}

static void pkr_node(struct pkr *r, const struct par__pk *k);

static void pkr_items(struct pkr *r, const char *open, const char *close, struct par__pk **v,
		      uint64_t n, int pairs)
{
	pkr_put(r, "%s", open);
	for (uint64_t i = 0; i < n; i++) {
		if (i > 0)
			pkr_put(r, ",");
		pkr_node(r, v[pairs ? 2 * i : i]);
		if (pairs) {
			pkr_put(r, ":");
			pkr_node(r, v[2 * i + 1]);
		}
	}
	pkr_put(r, "%s", close);
}

static void pkr_obj(struct pkr *r, const struct par__pk *k)
{
	pkr_put(r, "%c(", k->how == 'R' ? 'R' : k->how == 0x81 ? 'O' : 'X');
	pkr_node(r, k->a);
	pkr_put(r, ",");
	pkr_node(r, k->b);
	if (k->how == 0x92) {
		pkr_put(r, ",");
		pkr_node(r, k->c);
	}
	pkr_put(r, ")");
	for (uint64_t i = 0; i < k->n; i++) {
		pkr_put(r, ".%c(", k->ops[i].op);
		pkr_node(r, k->ops[i].x);
		if (k->ops[i].op == 's') {
			pkr_put(r, ",");
			pkr_node(r, k->ops[i].y);
		}
		pkr_put(r, ")");
	}
}

static void pkr_node(struct pkr *r, const struct par__pk *k)
{
	uint64_t u;

	if (k == NULL) {
		pkr_put(r, "<null>");
		return;
	}
	if (k->kind >= PAR__PK_STR && !(k->kind == PAR__PK_TUPLE && k->n == 0)) {
		uint32_t l = pkr_label(r, k);
		if (l != 0) {
			pkr_put(r, "@%u", l);
			return;
		}
		pkr_put(r, "#%u=", r->n);
	}
	switch (k->kind) {
	case PAR__PK_NONE:
		pkr_put(r, "N");
		break;
	case PAR__PK_BOOL:
		pkr_put(r, k->i ? "T" : "F");
		break;
	case PAR__PK_INT:
		pkr_put(r, "I%" PRId64, k->i);
		break;
	case PAR__PK_LONG:
		pkr_put(r, "L");
		for (uint64_t i = 0; i < k->n; i++)
			pkr_put(r, "%02x", k->p[i]);
		break;
	case PAR__PK_FLOAT:
		memcpy(&u, &k->f, 8);
		pkr_put(r, "D%016" PRIx64, u);
		break;
	case PAR__PK_STR:
	case PAR__PK_BYTES:
	case PAR__PK_BYTEARRAY:
		pkr_data(r, "SBY"[k->kind - PAR__PK_STR], k -> p, k -> n);
		break;
	case PAR__PK_TUPLE:
		pkr_items(r, "(", ")", k->v, k->n, 0);
		break;
	case PAR__PK_LIST:
		pkr_items(r, "[", "]", k->v, k->n, 0);
		break;
	case PAR__PK_DICT:
		pkr_items(r, "{", "}", k->v, k->n, 1);
		break;
	case PAR__PK_SET:
		pkr_items(r, "s{", "}", k->v, k->n, 0);
		break;
	case PAR__PK_FROZENSET:
		pkr_items(r, "f{", "}", k->v, k->n, 0);
		break;
	case PAR__PK_GLOBAL:
		pkr_put(r, "G(%.*s|%.*s)", (int)k->a->n, (const char *)k->a->p, (int)k->b->n,
			(const char *)k->b->p);
		break;
	case PAR__PK_OBJ:
		pkr_obj(r, k);
		break;
	default:
		pkr_put(r, "<kind %u>", k->kind);
	}
}

/* The text of the graph from k, malloc'd. */
static char *pk_render(const struct par__pk *k)
{
	struct pkr r = { 0 };

	r.cap = 256;
	r.p = malloc(r.cap);
	if (r.p == NULL)
		abort();
	r.p[0] = 0;
	pkr_node(&r, k);
	free(r.keys);
	free(r.vals);
	return r.p;
}

#endif /* PAR_TEST_PICKLE_RENDER_H */

/* The pickle nodes' arena, their traversal order and the lookups the
 * codecs use on read graphs. */
#include "pickle.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PK_ALIGN 16
#define PK_CHUNK (64 * 1024)

struct pk_chunk {
	struct pk_chunk *next;
	size_t size, used;
};

/* The chunk header, rounded up so the data after it is aligned. */
#define PK_HDR ((sizeof(struct pk_chunk) + PK_ALIGN - 1) & ~(size_t)(PK_ALIGN - 1))

void par__pkarena_init(struct par__pkarena *a, size_t limit)
{
	a->chunks = NULL;
	a->used = 0;
	a->limit = limit;
}

void par__pkarena_free(struct par__pkarena *a)
{
	struct pk_chunk *c = a->chunks;

	while (c != NULL) {
		struct pk_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->chunks = NULL;
	a->used = 0;
}

/* A chunk with room for size bytes, linked in: a big request gets its own,
 * behind the current one so the current one's room is not lost. */
static struct pk_chunk *arena_grow(struct par__pkarena *a, size_t size)
{
	struct pk_chunk *head = a->chunks;
	size_t room = size > PK_CHUNK / 4 ? size : PK_CHUNK;
	struct pk_chunk *c = malloc(PK_HDR + room);

	if (c == NULL)
		return NULL;
	c->size = room;
	c->used = 0;
	if (room == size && head != NULL) {
		c->next = head->next;
		head->next = c;
	} else {
		c->next = head;
		a->chunks = c;
	}
	return c;
}

void *par__pkarena_alloc(struct par__pkarena *a, size_t size, int *err)
{
	struct pk_chunk *c = a->chunks;
	unsigned char *p;

	if (size > a->limit - a->used) {
		*err = -E2BIG;
		return NULL;
	}
	size = (size + PK_ALIGN - 1) & ~(size_t)(PK_ALIGN - 1);
	if (size > a->limit - a->used) {
		*err = -E2BIG;
		return NULL;
	}
	if (c == NULL || c->size - c->used < size) {
		c = arena_grow(a, size);
		if (c == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	p = (unsigned char *)c + PK_HDR + c->used;
	c->used += size;
	a->used += size;
	memset(p, 0, size);
	return p;
}

uint32_t par__pk_gen(void)
{
	static _Atomic uint32_t gen;
	uint32_t g;

	do
		g = atomic_fetch_add_explicit(&gen, 1, memory_order_relaxed) + 1;
	while (g == 0);
	return g;
}

int par__pk_child(const struct par__pk *k, uint64_t i, struct par__pk **c)
{
	switch (k->kind) {
	case PAR__PK_TUPLE:
	case PAR__PK_LIST:
	case PAR__PK_SET:
	case PAR__PK_FROZENSET:
		if (i >= k->n)
			return 0;
		*c = k->v[i];
		return 1;
	case PAR__PK_DICT:
		if (i >= 2 * k->n)
			return 0;
		*c = k->v[i];
		return 1;
	case PAR__PK_OBJ:
		if (i < 3) {
			*c = i == 0 ? k->a : i == 1 ? k->b : k->c;
			return 1;
		}
		i -= 3;
		if (i >= 2 * k->n)
			return 0;
		*c = i % 2 == 0 ? k->ops[i / 2].x : k->ops[i / 2].y;
		return 1;
	default:
		return 0;
	}
}

int par__pk_is_str(const struct par__pk *k, const char *s)
{
	size_t n = strlen(s);

	return k != NULL && k->kind == PAR__PK_STR && k->n == n && memcmp(k->p, s, n) == 0;
}

struct par__pk *par__pk_dict_get(const struct par__pk *d, const char *key)
{
	struct par__pk *v = NULL;

	if (d == NULL || d->kind != PAR__PK_DICT)
		return NULL;
	for (uint64_t i = 0; i < d->n; i++)
		if (par__pk_is_str(d->v[2 * i], key))
			v = d->v[2 * i + 1];
	return v;
}

int par__pk_int(const struct par__pk *k, int64_t *v)
{
	if (k == NULL || (k->kind != PAR__PK_INT && k->kind != PAR__PK_BOOL))
		return -EINVAL;
	*v = k->i;
	return 0;
}

int par__pk_num(const struct par__pk *k, double *v)
{
	double x = 0, scale = 1;

	if (k == NULL)
		return -EINVAL;
	switch (k->kind) {
	case PAR__PK_INT:
	case PAR__PK_BOOL:
		*v = (double)k->i;
		return 0;
	case PAR__PK_FLOAT:
		*v = k->f;
		return 0;
	case PAR__PK_LONG:
		for (uint64_t i = 0; i < k->n; i++, scale *= 256)
			x += k->p[i] * scale;
		if (k->n > 0 && (k->p[k->n - 1] & 0x80))
			x -= scale;
		*v = x;
		return 0;
	default:
		return -EINVAL;
	}
}

int par__pk_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		unsigned k;
		uint32_t cp, lo;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f, lo = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f, lo = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07, lo = 0x10000;
		else
			return 0;
		if (n - i - 1 < k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < lo || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

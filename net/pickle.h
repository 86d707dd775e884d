/* Python pickles without Python: a reader that turns a pickle (protocols 2
 * to 5, their data opcodes) into a graph of nodes, and a writer that emits
 * values, read graphs (shared and recursive parts kept through the memo) and
 * par_py trees. The reader is total: any byte string gives a graph or an
 * error with a reason, within memory bounded by the input's length; nothing
 * is ever imported or run (a GLOBAL is two strings, a REDUCE a node holding
 * them). ../shared/ref/python-manager-protocol.md section 5 lists the
 * subset; tests/net/fuzz_pickle.c drives the reader. */
#ifndef PAR_NET_PICKLE_H
#define PAR_NET_PICKLE_H

#include <par/python.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum par__pk_kind {
	PAR__PK_NONE,
	PAR__PK_BOOL,	   /* i */
	PAR__PK_INT,	   /* i: fits 64 bits */
	PAR__PK_LONG,	   /* p[0..n): little-endian two's complement, past 64 bits */
	PAR__PK_FLOAT,	   /* f */
	PAR__PK_STR,	   /* p[0..n): UTF-8 (surrogatepass) as sent */
	PAR__PK_BYTES,	   /* p[0..n) */
	PAR__PK_BYTEARRAY, /* p[0..n) (BYTEARRAY8, protocol 5) */
	PAR__PK_TUPLE,	   /* v[0..n) */
	PAR__PK_LIST,	   /* v[0..n) */
	PAR__PK_DICT,	   /* v[0..2n): key, value, key, value... (no hashing) */
	PAR__PK_SET,	   /* v[0..n) */
	PAR__PK_FROZENSET, /* v[0..n) */
	PAR__PK_GLOBAL,	   /* a: module, b: name (STR nodes) */
	PAR__PK_OBJ,	   /* made by `how` from a (callable), b (args), c (kwargs,
			      NEWOBJ_EX); then ops[0..n) in order */
};

/* What was done to an OBJ after it was made. */
struct par__pkop {
	uint8_t op; /* 'b' BUILD (x: state), 'a' APPEND (x), 's' SETITEM (x: key, y) */
	struct par__pk *x, *y;
};

struct par__pk {
	uint8_t kind;
	uint8_t how; /* OBJ: the opcode that made it: 'R' REDUCE, 0x81 NEWOBJ,
			0x92 NEWOBJ_EX */
	uint64_t n;
	union {
		int64_t i;
		double f;
		const uint8_t *p;
		struct par__pk **v;
		struct par__pkop *ops;
	};
	struct par__pk *a, *b, *c;
	/* the writer's own: memo index + 1 in message number wgen */
	uint32_t wmemo;
	uint32_t wgen;
	uint32_t wbusy; /* being written (cycle guard) */
	uint64_t cap;	/* the reader's own: room in v / ops */
	/* par__pk_read's depth check and par__pk_to_py's own scratch, valid
	 * while rgen is the current pass's number */
	uint32_t rgen;
	uint32_t rstate;
	uint64_t rval, roff;
};

/* Nodes and their arrays, freed all at once. The budget bounds what one
 * input may cost; the reader keeps it under a small multiple of the input's
 * length whatever the input. */
struct par__pkarena {
	void *chunks;
	size_t used;
	size_t limit;
};

/* The limit callers give the reader of an n-byte pickle: room for any
 * pickle Python writes (its densest, a list of one-byte items such as
 * [True] * n, takes about 128 bytes of nodes per input byte), with room to
 * spare, and what a hostile one may cost at most. */
#define PAR__PK_LIMIT(n) ((size_t)4096 + (size_t)192 * (size_t)(n))

void par__pkarena_init(struct par__pkarena *a, size_t limit);
void par__pkarena_free(struct par__pkarena *a);
/* size zeroed bytes (aligned for any node or array), or NULL with *err
 * -E2BIG (past the limit) or -ENOMEM. */
void *par__pkarena_alloc(struct par__pkarena *a, size_t size, int *err);

/* A fresh pass or message number (never 0), unique in the process until
 * it wraps after 2^32 - 1 of them: what rgen and wgen are compared with. */
uint32_t par__pk_gen(void);

/* Nesting the reader and writer accept (containers within containers). */
#define PAR__PK_DEPTH PAR_PY_DEPTH_MAX

/* Read the pickle p[0..n) into nodes from a. Strings and bytes point into
 * p (or into static names: Python 2 module names of protocol 2 GLOBALs are
 * mapped as Python's _compat_pickle does for the common ones), which must
 * outlive the nodes. Ints that fit 64 bits are INT whatever opcode carried
 * them; the nesting checked is the depth of the first visit of each node in
 * the writer's order (children of containers, an OBJ's callable, args,
 * kwargs then ops). FRAME is skipped; STOP must leave exactly one value and
 * no mark, and end the input. 0 with *out; -EPROTO with *why
 * (truncated, malformed, an opcode outside the subset, memo index out of
 * range, stack or mark misuse, nesting past PAR__PK_DEPTH), -E2BIG (the
 * arena's limit), -ENOMEM. */
int par__pk_read(struct par__pkarena *a, const uint8_t *p, size_t n, struct par__pk **out,
		 const char **why);

/* The i-th child slot of k in the writer's order (a container's items, a
 * dict's keys and values in turn; an OBJ's callable, args, kwargs, then
 * each op's x and y): 1 with *c (NULL for an empty slot), 0 past the last.
 * Other kinds have none (a GLOBAL's two strings are not children). */
int par__pk_child(const struct par__pk *k, uint64_t i, struct par__pk **c);

/* 1 when s[0..n) is strict UTF-8 (no surrogates, no overlong forms, at
 * most U+10FFFF), else 0. */
int par__pk_utf8(const uint8_t *s, size_t n);

/* Lookups on read nodes. */
int par__pk_is_str(const struct par__pk *k, const char *s); /* 1: a STR equal to s */
/* The value under str key in a DICT (the last one if repeated), NULL when
 * none. */
struct par__pk *par__pk_dict_get(const struct par__pk *d, const char *key);
/* An INT or BOOL as int64: 0, or -EINVAL (another kind). */
int par__pk_int(const struct par__pk *k, int64_t *v);
/* An INT, BOOL or FLOAT as double (a LONG too, rounded): 0 or -EINVAL. */
int par__pk_num(const struct par__pk *k, double *v);

/* ---- Writer ------------------------------------------------------------ */

/* A growing output buffer. Errors are sticky: after one, calls do nothing
 * and par__pkw_end returns it. */
struct par__pkw {
	uint8_t *p;
	size_t len, cap;
	uint32_t memo; /* MEMOIZEs emitted in this message */
	uint32_t gen;  /* message number (see par__pk.wgen) */
	int err;       /* 0, -ENOMEM, -ELOOP, -EILSEQ, -EINVAL, -EPROTO */
	unsigned deep; /* the writer's own: nesting it refuses (-ELOOP) */
};

void par__pkw_init(struct par__pkw *w);
void par__pkw_free(struct par__pkw *w);
/* Start a message: empty the buffer (keeping its memory), reset the memo,
 * write PROTO 4. The message number is unique in the process, so one graph
 * may be written by several writers, one at a time (the nodes' writer
 * fields are not shared between threads). */
void par__pkw_begin(struct par__pkw *w);
/* Write STOP. 0 or the sticky error. */
int par__pkw_end(struct par__pkw *w);

void par__pkw_none(struct par__pkw *w);
void par__pkw_bool(struct par__pkw *w, int b);
void par__pkw_int(struct par__pkw *w, int64_t v);
void par__pkw_float(struct par__pkw *w, double f);
void par__pkw_str(struct par__pkw *w, const void *s, size_t n);
void par__pkw_bytes(struct par__pkw *w, const void *b, size_t n);
void par__pkw_mark(struct par__pkw *w);
/* A tuple of the last n (0..3) values written: EMPTY_TUPLE, TUPLE1..3. */
void par__pkw_tuple(struct par__pkw *w, unsigned n);
/* A tuple of the values since the last mark (TUPLE). */
void par__pkw_tuple_mark(struct par__pkw *w);
void par__pkw_empty_dict(struct par__pkw *w);
/* Pairs since the last mark into the dict below it (SETITEMS). */
void par__pkw_setitems(struct par__pkw *w);
/* STACK_GLOBAL module name. */
void par__pkw_global(struct par__pkw *w, const char *module, const char *name);
/* REDUCE: callable(args), the two values last written. */
void par__pkw_reduce(struct par__pkw *w);
/* Raw opcode bytes (canned sequences). */
void par__pkw_raw(struct par__pkw *w, const void *p, size_t n);

/* A graph from par__pk_read (of any arena), the way Python would pickle the
 * object it stands for: mutable and shared nodes memoized, a revisit a
 * BINGET, recursion through lists, dicts, sets and objects kept. */
void par__pkw_node(struct par__pkw *w, const struct par__pk *k);
/* A par_py tree (PAR_PY_PICKLE parts are read and re-emitted). */
void par__pkw_py(struct par__pkw *w, const struct par_py *v);

/* The node as a par_py tree in one allocation (release with par_py_free):
 * parts of other kinds become PAR_PY_PICKLE values holding their own
 * pickles (see par_py_loads for which and for cycles). Uses the nodes'
 * rgen/rstate/rval/roff and, for the parts, the writer's fields: one
 * thread at a time per graph. 0, -EPROTO (lists and tuples nested past
 * PAR_PY_DEPTH_MAX), -E2BIG, -ENOMEM. */
int par__pk_to_py(const struct par__pk *k, struct par_py **out);

#endif /* PAR_NET_PICKLE_H */

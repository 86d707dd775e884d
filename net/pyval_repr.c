/* par_py_repr: Python's repr() of a par_py value. */
#include <par/python.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text into buf[0..cap), counting what did not fit. */
struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len < o->cap)
			o->buf[o->len] = s[i];
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The shortest "%.*e" that reads back as f: its digits (no dot) and the
 * decimal exponent of the first one. */
static void shortest(double f, char digits[20], int *exp10)
{
	char tmp[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, f);
	*exp10 = atoi(strchr(tmp, 'e') + 1);
	size_t n = 0;
	for (const char *c = tmp; *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = 0;
}

/* float.__repr__: the shortest round trip, positional when the decimal
 * point falls within -4 < point <= 16, else with an exponent. */
static void repr_float(struct out *o, double f)
{
	char d[20], buf[64];
	int e, point;
	size_t n;

	if (isnan(f)) {
		puts_(o, "nan");
		return;
	}
	if (isinf(f)) {
		puts_(o, f < 0 ? "-inf" : "inf");
		return;
	}
	if (signbit(f))
		puts_(o, "-");
	shortest(fabs(f), d, &e);
	n = strlen(d);
	point = e + 1;
	if (point > -4 && point <= 16) {
		if (point <= 0) {
			puts_(o, "0.");
			for (int i = point; i < 0; i++)
				puts_(o, "0");
			puts_(o, d);
		} else if ((size_t)point >= n) {
			puts_(o, d);
			for (size_t i = n; i < (size_t)point; i++)
				puts_(o, "0");
			puts_(o, ".0");
		} else {
			put(o, d, (size_t)point);
			puts_(o, ".");
			puts_(o, d + point);
		}
		return;
	}
	put(o, d, 1);
	if (n > 1) {
		puts_(o, ".");
		puts_(o, d + 1);
	}
	snprintf(buf, sizeof(buf), "e%+03d", e);
	puts_(o, buf);
}

/* The length of the UTF-8 sequence at s[0..n) and its code point, or 0
 * when it is not one. */
static size_t utf8_char(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t k = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;

	if (k == 0 || k > n)
		return 0;
	*cp = s[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return k;
}

static void hex_escape(struct out *o, uint32_t c)
{
	char buf[12];

	snprintf(buf, sizeof(buf), "\\x%02" PRIx32, c);
	puts_(o, buf);
}

/* A str (text 1) or bytes (0) the way Python quotes it: single quotes
 * unless the text has a ' and no ". Escapes \\ \n \r \t and the quote;
 * other controls as \xNN; in a str non-ASCII characters stay, but
 * U+0080..U+00A0 and U+00AD (\xNN) and undecodable bytes (\xNN). */
static void repr_text(struct out *o, const uint8_t *s, size_t n, int text)
{
	char q = memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL ? '"' : '\'';

	if (!text)
		puts_(o, "b");
	put(o, &q, 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t k;
		if (c == '\\' || c == (uint8_t)q) {
			puts_(o, "\\");
			put(o, (const char *)&c, 1);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			puts_(o, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
		} else if (c >= 0x20 && c < 0x7f) {
			put(o, (const char *)&c, 1);
		} else if (!text || c < 0x80 || (k = utf8_char(s + i, n - i, &cp)) == 0) {
			hex_escape(o, c);
		} else if (cp <= 0xa0 || cp == 0xad) {
			hex_escape(o, cp);
			i += k - 1;
		} else {
			put(o, (const char *)s + i, k);
			i += k - 1;
		}
	}
	put(o, &q, 1);
}

static int repr(struct out *o, const struct par_py *v, unsigned depth);

static int repr_seq(struct out *o, const struct par_py *v, unsigned depth)
{
	int tuple = v->type == PAR_PY_TUPLE;

	if (depth >= PAR_PY_DEPTH_MAX)
		return -ELOOP;
	if (v->len > 0 && v->items == NULL)
		return -EINVAL;
	puts_(o, tuple ? "(" : "[");
	for (size_t i = 0; i < v->len; i++) {
		int r;
		if (i > 0)
			puts_(o, ", ");
		if ((r = repr(o, &v->items[i], depth + 1)) < 0)
			return r;
	}
	puts_(o, tuple ? (v->len == 1 ? ",)" : ")") : "]");
	return 0;
}

static int repr(struct out *o, const struct par_py *v, unsigned depth)
{
	char buf[64];

	switch (v->type) {
	case PAR_PY_NONE:
		puts_(o, "None");
		return 0;
	case PAR_PY_BOOL:
		puts_(o, v->i ? "True" : "False");
		return 0;
	case PAR_PY_INT:
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		puts_(o, buf);
		return 0;
	case PAR_PY_FLOAT:
		repr_float(o, v->f);
		return 0;
	case PAR_PY_STR:
	case PAR_PY_BYTES:
		if (v->len > 0 && v->b == NULL)
			return -EINVAL;
		repr_text(o, v->b, v->len, v->type == PAR_PY_STR);
		return 0;
	case PAR_PY_TUPLE:
	case PAR_PY_LIST:
		return repr_seq(o, v, depth);
	case PAR_PY_PICKLE:
		snprintf(buf, sizeof(buf), "<pickle of %zu bytes>", v->len);
		puts_(o, buf);
		return 0;
	default:
		return -EINVAL;
	}
}

int par_py_repr(const struct par_py *v, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = buf != NULL ? cap : 0 };
	int r;

	if (v == NULL)
		return -EINVAL;
	r = repr(&o, v, 0);
	if (o.cap > 0)
		o.buf[o.len < o.cap ? o.len : o.cap - 1] = 0;
	if (r < 0)
		return r;
	return o.len > INT32_MAX ? -EOVERFLOW : (int)o.len;
}

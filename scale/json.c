/* Just enough JSON reading for scale.py's output: strings, numbers, objects,
 * arrays, literals. Every reader returns 0 or -EPROTO. */
#include "scale_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void blank(struct par__json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

int par__json_peek(struct par__json *j)
{
	blank(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

int par__json_lit(struct par__json *j, char c)
{
	if (par__json_peek(j) != (unsigned char)c)
		return -EPROTO;
	j->p++;
	return 0;
}

/* Escapes are kept as the character after the backslash (\n gives n): the
 * strings scale.py prints have none that matter. */
int par__json_string(struct par__json *j, char *buf, size_t cap)
{
	size_t n = 0;

	if (par__json_lit(j, '"') != 0)
		return -EPROTO;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\' && ++j->p == j->end)
			break;
		if (buf != NULL && n + 1 < cap)
			buf[n++] = *j->p;
		j->p++;
	}
	if (buf != NULL && cap > 0)
		buf[n] = '\0';
	if (j->p == j->end)
		return -EPROTO;
	j->p++;
	return 0;
}

/* The number's characters into a NUL-terminated buffer. */
static int number_text(struct par__json *j, char *buf, size_t cap)
{
	size_t n = 0;

	blank(j);
	while (j->p < j->end && n + 1 < cap && strchr("+-.0123456789eE", *j->p) != NULL)
		buf[n++] = *j->p++;
	buf[n] = '\0';
	return n > 0 ? 0 : -EPROTO;
}

int par__json_double(struct par__json *j, double *out)
{
	char buf[64], *end;

	if (number_text(j, buf, sizeof(buf)) != 0)
		return -EPROTO;
	*out = strtod(buf, &end);
	return *end == '\0' ? 0 : -EPROTO;
}

int par__json_u64(struct par__json *j, uint64_t *out)
{
	char buf[64], *end;

	if (number_text(j, buf, sizeof(buf)) != 0 || buf[0] == '-')
		return -EPROTO;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return *end == '\0' && errno == 0 ? 0 : -EPROTO;
}

static int skip_container(struct par__json *j, char open, char close)
{
	if (par__json_lit(j, open) != 0)
		return -EPROTO;
	if (par__json_peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (open == '{' &&
		    (par__json_string(j, NULL, 0) != 0 || par__json_lit(j, ':') != 0))
			return -EPROTO;
		if (par__json_skip(j) != 0)
			return -EPROTO;
		if (par__json_lit(j, ',') != 0)
			return par__json_lit(j, close);
	}
}

int par__json_skip(struct par__json *j)
{
	int c = par__json_peek(j);

	if (c == '"')
		return par__json_string(j, NULL, 0);
	if (c == '{' || c == '[')
		return skip_container(j, (char)c, c == '{' ? '}' : ']');
	for (const char *const *w = (const char *const[]){ "true", "false", "null", NULL }; *w; w++)
		if ((size_t)(j->end - j->p) >= strlen(*w) && memcmp(j->p, *w, strlen(*w)) == 0) {
			j->p += strlen(*w);
			return 0;
		}
	double d;
	return par__json_double(j, &d);
}

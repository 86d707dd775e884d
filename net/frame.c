/* The native codec's pure half: frame header, request and answer decoding,
 * handshake payloads, STATUS bodies. Every read is bounds-checked against the
 * length it was given. */
#include "frame.h"

#include <errno.h>
#include <string.h>

static const struct {
	int err;
	int32_t wire;
} wire_codes[] = {
	{ EAGAIN, PAR__W_EAGAIN }, { ETIMEDOUT, PAR__W_ETIMEDOUT },
	{ EPIPE, PAR__W_EPIPE },   { EMSGSIZE, PAR__W_EMSGSIZE },
	{ ENOENT, PAR__W_ENOENT }, { EINVAL, PAR__W_EINVAL },
	{ EPROTO, PAR__W_EPROTO }, { EBUSY, PAR__W_EBUSY },
	{ EACCES, PAR__W_EACCES }, { ENOMEM, PAR__W_ENOMEM },
	{ EIO, PAR__W_EIO },
};

#define NCODES (sizeof(wire_codes) / sizeof(wire_codes[0]))

int32_t par__wire_from_errno(int err)
{
	if (err >= 0)
		return err;
	for (size_t i = 0; i < NCODES; i++)
		if (wire_codes[i].err == -err)
			return -wire_codes[i].wire;
	return -PAR__W_EIO;
}

int par__errno_from_wire(int32_t w)
{
	if (w >= 0)
		return w;
	for (size_t i = 0; i < NCODES; i++)
		if (wire_codes[i].wire == -(int64_t)w)
			return -wire_codes[i].err;
	return -EIO;
}

ssize_t par__frame_parse(const void *p, size_t n, uint32_t max_payload, struct par__frame *f,
			 const char **reason)
{
	const uint8_t *b = p;

	if (n < PAR_NET_HEADER_SIZE)
		return 0;
	f->len = par__le32(b);
	f->version = b[4];
	f->type = b[5];
	f->flags = par__le16(b + 6);
	f->id = par__le32(b + 8);
	if (f->version != PAR_NET_PROTO_VERSION) {
		*reason = "unsupported protocol version";
		return -1;
	}
	if (f->flags != 0) {
		*reason = "reserved flags set";
		return -1;
	}
	if (f->len > max_payload || f->len > PAR_NET_PAYLOAD_MAX) {
		*reason = "oversized frame";
		return -1;
	}
	if (n - PAR_NET_HEADER_SIZE < f->len)
		return 0;
	f->payload = b + PAR_NET_HEADER_SIZE;
	return (ssize_t)(PAR_NET_HEADER_SIZE + f->len);
}

void par__frame_header(uint8_t *h, uint8_t type, uint32_t id, uint32_t len)
{
	par__le32_put(h, len);
	h[4] = PAR_NET_PROTO_VERSION;
	h[5] = type;
	par__le16_put(h + 6, 0);
	par__le32_put(h + 8, id);
}

int par__records_check(const uint8_t *p, size_t len, uint32_t n, size_t max_msg)
{
	for (uint32_t i = 0; i < n; i++) {
		if (len < 4)
			return -1;
		uint32_t l = par__le32(p);
		if (l > max_msg || l > len - 4)
			return -1;
		p += 4 + (size_t)l;
		len -= 4 + (size_t)l;
	}
	return len == 0 ? 0 : -1;
}

int par__records_next(const uint8_t **p, size_t *left, const uint8_t **msg, uint32_t *len)
{
	if (*left < 4)
		return 0;
	uint32_t l = par__le32(*p);
	if (l > *left - 4)
		return 0;
	*msg = *p + 4;
	*len = l;
	*p += 4 + (size_t)l;
	*left -= 4 + (size_t)l;
	return 1;
}

static int bad(const char **reason, const char *why)
{
	*reason = why;
	return -1;
}

/* The u32 qid, i64 timeout head of PUT, GET and the *_MANY requests. */
static void req_head(const uint8_t *p, struct par__req *r)
{
	r->qid = par__le32(p);
	r->timeout_ns = (int64_t)par__le64(p + 4);
}

static int decode_open(const struct par__frame *f, struct par__req *r, const char **reason)
{
	if (f->len == 0 || f->len > PAR_MANAGER_NAME_MAX)
		return bad(reason, "bad queue name length");
	if (memchr(f->payload, 0, f->len) != NULL)
		return bad(reason, "NUL in queue name");
	r->data = f->payload;
	r->len = f->len;
	return 0;
}

static int decode_put(const struct par__frame *f, size_t max_msg, struct par__req *r,
		      const char **reason)
{
	if (f->len < PAR__PUT_FIXED)
		return bad(reason, "short PUT");
	req_head(f->payload, r);
	r->data = f->payload + PAR__PUT_FIXED;
	r->len = f->len - PAR__PUT_FIXED;
	if (r->len > max_msg)
		return bad(reason, "PUT message over max_msg");
	r->n = 1;
	return 0;
}

static int decode_put_many(const struct par__frame *f, size_t max_msg, struct par__req *r,
			   const char **reason)
{
	if (f->len < PAR__PUT_MANY_FIXED)
		return bad(reason, "short PUT_MANY");
	req_head(f->payload, r);
	r->n = par__le32(f->payload + 12);
	r->data = f->payload + PAR__PUT_MANY_FIXED;
	r->len = f->len - PAR__PUT_MANY_FIXED;
	if (r->n == 0 || r->n > PAR__MANY_MAX)
		return bad(reason, "bad PUT_MANY count");
	if (par__records_check(r->data, r->len, r->n, max_msg) != 0)
		return bad(reason, "malformed PUT_MANY records");
	return 0;
}

static int decode_get(const struct par__frame *f, struct par__req *r, const char **reason)
{
	int many = f->type == PAR__T_GET_MANY;

	if (f->len != (many ? 20u : 16u))
		return bad(reason, many ? "bad GET_MANY length" : "bad GET length");
	req_head(f->payload, r);
	r->n = many ? par__le32(f->payload + 12) : 1;
	r->cap = par__le32(f->payload + (many ? 16 : 12));
	if (r->n == 0 || r->n > PAR__MANY_MAX)
		return bad(reason, "bad GET_MANY count");
	return 0;
}

int par__req_decode(const struct par__frame *f, size_t max_msg, struct par__req *r,
		    const char **reason)
{
	memset(r, 0, sizeof(*r));
	r->type = f->type;
	r->id = f->id;
	switch (f->type) {
	case PAR__T_OPEN:
		return decode_open(f, r, reason);
	case PAR__T_PUT:
		return decode_put(f, max_msg, r, reason);
	case PAR__T_PUT_MANY:
		return decode_put_many(f, max_msg, r, reason);
	case PAR__T_GET:
	case PAR__T_GET_MANY:
		return decode_get(f, r, reason);
	case PAR__T_QSIZE:
		if (f->len != 4)
			return bad(reason, "bad QSIZE length");
		r->qid = par__le32(f->payload);
		return 0;
	case PAR__T_STATUS:
	case PAR__T_PING:
		return f->len == 0 ? 0 : bad(reason, "payload on STATUS or PING");
	default:
		return bad(reason, "unknown request type");
	}
}

/* Layout of a successful answer's body (after the status), per type. */
static int ans_body_ok(const struct par__ans *a)
{
	switch (a->type) {
	case PAR__T_OPEN:
		return a->status == 0 && a->len == 12;
	case PAR__T_PUT:
	case PAR__T_PING:
		return a->status == 0 && a->len == 0;
	case PAR__T_PUT_MANY:
		return a->status >= 1 && a->len == 0;
	case PAR__T_GET:
		return a->len == (size_t)a->status;
	case PAR__T_GET_MANY:
		return a->status >= 1 && par__records_check(a->data, a->len, (uint32_t)a->status,
							    PAR_NET_MSG_MAX) == 0;
	case PAR__T_QSIZE:
		return a->status == 0 && a->len == 8;
	case PAR__T_STATUS:
		return a->status == 0;
	default:
		return 0;
	}
}

int par__ans_decode(const struct par__frame *f, struct par__ans *a, const char **reason)
{
	if (!(f->type & PAR__T_ANSWER))
		return bad(reason, "not an answer");
	if (f->len < PAR__ANS_FIXED)
		return bad(reason, "short answer");
	a->type = f->type & (uint8_t)~PAR__T_ANSWER;
	a->id = f->id;
	a->status = (int32_t)par__le32(f->payload);
	a->data = f->payload + PAR__ANS_FIXED;
	a->len = f->len - PAR__ANS_FIXED;
	if (a->status < 0)
		return a->len == 0 ? 0 : bad(reason, "body on an error answer");
	return ans_body_ok(a) ? 0 : bad(reason, "malformed answer");
}

int par__hello_decode(const struct par__frame *f, uint8_t ns[PAR__NONCE], const char **reason)
{
	if (f->type != PAR__T_HELLO || f->len != PAR__NONCE)
		return bad(reason, "bad HELLO");
	memcpy(ns, f->payload, PAR__NONCE);
	return 0;
}

int par__auth_decode(const struct par__frame *f, uint8_t mac[PAR__MAC], uint8_t nc[PAR__NONCE],
		     const char **reason)
{
	if (f->type != PAR__T_AUTH)
		return bad(reason, "request before authentication");
	if (f->len != PAR__MAC + PAR__NONCE)
		return bad(reason, "bad AUTH length");
	memcpy(mac, f->payload, PAR__MAC);
	memcpy(nc, f->payload + PAR__MAC, PAR__NONCE);
	return 0;
}

int par__auth_ok_decode(const struct par__frame *f, uint8_t mac[PAR__MAC], const char **reason)
{
	if (f->type != PAR__T_AUTH_OK || f->len != PAR__MAC)
		return bad(reason, "bad AUTH_OK");
	memcpy(mac, f->payload, PAR__MAC);
	return 0;
}

int par__fail_decode(const struct par__frame *f, int *err, const char **reason)
{
	if (f->type != PAR__T_FAIL || f->len != 4)
		return bad(reason, "bad FAIL");
	int32_t w = (int32_t)par__le32(f->payload);
	*err = w < 0 ? par__errno_from_wire(w) : -EPROTO;
	return 0;
}

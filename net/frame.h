/* The native wire protocol: frame header, message types, payload layouts,
 * and a parser that is total (any byte string gives "need more", one frame,
 * or an error with a reason) and never reads past what it was given. Pure
 * functions: the fuzzer drives them (tests/net/fuzz_frame.c). docs/net.md
 * describes every message. */
#ifndef PAR_NET_FRAME_H
#define PAR_NET_FRAME_H

#include <par/manager.h>
#include <par/net.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Frame types. Answers carry the request's type with PAR__T_ANSWER set and
 * the request's id. */
enum {
	PAR__T_HELLO = 0x01,	/* S->C  Ns[32] */
	PAR__T_AUTH = 0x02,	/* C->S  mac[32] Nc[32] */
	PAR__T_AUTH_OK = 0x03,	/* S->C  mac[32] */
	PAR__T_FAIL = 0x04,	/* S->C  i32 wire error; the server then closes */
	PAR__T_OPEN = 0x10,	/* name (1..255 bytes, no NUL); answer: u32 qid,
				   u32 max_msg, u32 max_payload */
	PAR__T_PUT = 0x11,	/* u32 qid, i64 timeout_ns, message */
	PAR__T_GET = 0x12,	/* u32 qid, i64 timeout_ns, u32 cap */
	PAR__T_PUT_MANY = 0x13, /* u32 qid, i64 timeout_ns, u32 n, n x (u32 len, bytes) */
	PAR__T_GET_MANY = 0x14, /* u32 qid, i64 timeout_ns, u32 n, u32 cap */
	PAR__T_QSIZE = 0x15,	/* u32 qid */
	PAR__T_STATUS = 0x16,	/* (empty) */
	PAR__T_PING = 0x17,	/* (empty) */
	PAR__T_ANSWER = 0x80,
};

#define PAR__NONCE 32
#define PAR__MAC 32
/* Largest payload before authentication (AUTH is the largest: 64). */
#define PAR__PREAUTH_MAX 64
/* Most messages in one put_many / get_many. */
#define PAR__MANY_MAX 65536u
/* Fixed fields in front of a PUT's message / PUT_MANY's records. */
#define PAR__PUT_FIXED 12
#define PAR__PUT_MANY_FIXED 16
/* An answer's i32 status. */
#define PAR__ANS_FIXED 4

/* Wire error codes: errno values differ between architectures, so the wire
 * carries its own. An answer's status is >= 0 or minus one of these. */
enum {
	PAR__W_EAGAIN = 1,
	PAR__W_ETIMEDOUT,
	PAR__W_EPIPE,
	PAR__W_EMSGSIZE,
	PAR__W_ENOENT,
	PAR__W_EINVAL,
	PAR__W_EPROTO,
	PAR__W_EBUSY,
	PAR__W_EACCES,
	PAR__W_ENOMEM,
	PAR__W_EIO,
};

/* -errno -> -wire code (unknown ones become EIO), and back. Values >= 0 pass. */
int32_t par__wire_from_errno(int err);
int par__errno_from_wire(int32_t w);

struct par__frame {
	uint32_t len; /* payload bytes */
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t id;
	const uint8_t *payload;
};

/* One frame from p[0..n): its size (> 0, header included) with *f filled;
 * 0 when more bytes are needed; -1 with *reason for a bad header (another
 * version, flags set, or a payload over max_payload: the header alone
 * decides, so an oversized frame is refused before it is buffered). */
ssize_t par__frame_parse(const void *p, size_t n, uint32_t max_payload, struct par__frame *f,
			 const char **reason);

/* Write a header for a payload of len bytes. */
void par__frame_header(uint8_t *h, uint8_t type, uint32_t id, uint32_t len);

/* A decoded client request; pointers into the frame's payload. */
struct par__req {
	uint8_t type;
	uint32_t id;
	uint32_t qid;
	int64_t timeout_ns;  /* < 0: forever */
	uint32_t n;	     /* *_MANY: messages */
	uint32_t cap;	     /* GET, GET_MANY: largest message wanted */
	const uint8_t *data; /* PUT: message; PUT_MANY: records; OPEN: name */
	size_t len;
	uint32_t done; /* server: messages of it put so far (data: the rest) */
};

/* Decode a request frame (after authentication). Messages longer than
 * max_msg are refused here. 0, or -1 with *reason. */
int par__req_decode(const struct par__frame *f, size_t max_msg, struct par__req *r,
		    const char **reason);

/* Walk validated records (u32 len, bytes): the next message, or 0 at the end. */
int par__records_next(const uint8_t **p, size_t *left, const uint8_t **msg, uint32_t *len);

/* Check n records filling exactly p[0..len), each at most max_msg. 0 or -1. */
int par__records_check(const uint8_t *p, size_t len, uint32_t n, size_t max_msg);

/* A decoded answer (client side). */
struct par__ans {
	uint8_t type; /* the request's type, PAR__T_ANSWER cleared */
	uint32_t id;
	int32_t status; /* as sent: >= 0, or -wire code */
	const uint8_t *data;
	size_t len;
};

/* Decode an answer frame, checking its layout for its type. 0 or -1. */
int par__ans_decode(const struct par__frame *f, struct par__ans *a, const char **reason);

/* Handshake payloads. 0, or -1 with *reason. */
int par__hello_decode(const struct par__frame *f, uint8_t ns[PAR__NONCE], const char **reason);
int par__auth_decode(const struct par__frame *f, uint8_t mac[PAR__MAC], uint8_t nc[PAR__NONCE],
		     const char **reason);
int par__auth_ok_decode(const struct par__frame *f, uint8_t mac[PAR__MAC], const char **reason);
int par__fail_decode(const struct par__frame *f, int *err, const char **reason);

/* STATUS answer body (after the i32 status): u16 field count, that many
 * u64 counters (the order of struct par_manager_stats), u32 queue count,
 * then per queue u8 name length, name, u64 size, capacity, puts, gets,
 * u32 waiting_gets, waiting_puts, shm. Returns bytes written (<= cap) or
 * -ENOSPC. */
ssize_t par__status_encode(uint8_t *out, size_t cap, const struct par_manager_stats *st,
			   const struct par_manager_queue_info *qs, unsigned nq);
/* Decode; unknown trailing counters are skipped, missing ones read 0.
 * Returns the number of queues (up to cap filled) or -1. */
int par__status_decode(const uint8_t *p, size_t len, struct par_manager_stats *st,
		       struct par_manager_queue_info *qs, unsigned cap);
/* Bytes one queue takes in a STATUS answer. */
size_t par__status_queue_size(const struct par_manager_queue_info *q);

/* Little-endian helpers. */
static inline void par__le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void par__le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void par__le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t par__le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t par__le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t par__le64(const uint8_t *p)
{
	return (uint64_t)par__le32(p) | (uint64_t)par__le32(p + 4) << 32;
}

#endif /* PAR_NET_FRAME_H */

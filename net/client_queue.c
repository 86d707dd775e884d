/* The client's queue calls: open by name, put / get (blocking, with the
 * server waiting up to the timeout), put_many / get_many in one request
 * each, pipelined puts, size and the server's status. */
#include "client_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOCK(c) pthread_mutex_lock(&(c)->mu)
#define UNLOCK(c) pthread_mutex_unlock(&(c)->mu)

/* Fixed part of PUT / GET / *_MANY requests: qid, timeout. */
static void req_head(uint8_t *p, uint32_t qid, int64_t timeout_ns)
{
	par__le32_put(p, qid);
	par__le64_put(p + 4, (uint64_t)(timeout_ns < 0 ? -1 : timeout_ns));
}

int par_client_open(struct par_client *c, const char *name, struct par_rqueue **out)
{
	struct par__ans a;
	uint32_t id;

	if (c == NULL || name == NULL || out == NULL || name[0] == '\0' ||
	    strlen(name) > PAR_MANAGER_NAME_MAX)
		return -EINVAL;
	struct par_rqueue *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	LOCK(c);
	int r = c->err;
	uint8_t *p = r ? NULL : par__client_req(c, PAR__T_OPEN, (uint32_t)strlen(name), &id);
	if (r == 0 && p == NULL)
		r = -ENOMEM;
	if (r == 0) {
		memcpy(p, name, strlen(name));
		r = par__client_call(c, id, PAR__T_OPEN, par__client_deadline(c, 0), &a);
	}
	if (r == 0 && (r = par__errno_from_wire(a.status)) == 0) {
		*q = (struct par_rqueue){ .c = c,
					  .qid = par__le32(a.data),
					  .max_msg = par__le32(a.data + 4),
					  .max_payload = par__le32(a.data + 8) };
		if (q->max_payload < PAR__PUT_MANY_FIXED + 4)
			r = par__client_break(c, -EPROTO);
	}
	UNLOCK(c);
	if (r != 0) {
		free(q);
		return r;
	}
	*out = q;
	return 0;
}

void par_rqueue_close(struct par_rqueue *q)
{
	free(q);
}

size_t par_rqueue_max_msg(const struct par_rqueue *q)
{
	return q != NULL ? q->max_msg : 0;
}

/* Queue a PUT request. 0, -EMSGSIZE, -ENOMEM. */
static int put_req(struct par_rqueue *q, const void *msg, size_t len, int64_t timeout_ns,
		   uint32_t *id)
{
	if (len > q->max_msg || len + PAR__PUT_FIXED > q->max_payload)
		return -EMSGSIZE;
	uint8_t *p = par__client_req(q->c, PAR__T_PUT, (uint32_t)(PAR__PUT_FIXED + len), id);
	if (p == NULL)
		return -ENOMEM;
	req_head(p, q->qid, timeout_ns);
	memcpy(p + PAR__PUT_FIXED, msg, len);
	return 0;
}

int par_rqueue_put(struct par_rqueue *q, const void *msg, size_t len, int64_t timeout_ns)
{
	struct par__ans a;
	uint32_t id;

	if (q == NULL || (msg == NULL && len > 0))
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	int r = c->err ? c->err : put_req(q, msg, len, timeout_ns, &id);
	if (r == 0)
		r = par__client_call(c, id, PAR__T_PUT, par__client_deadline(c, timeout_ns), &a);
	if (r == 0)
		r = par__errno_from_wire(a.status);
	UNLOCK(c);
	return r;
}

int par_rqueue_put_async(struct par_rqueue *q, const void *msg, size_t len, int64_t timeout_ns)
{
	uint32_t id;

	if (q == NULL || (msg == NULL && len > 0))
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	int r = c->err ? c->err : put_req(q, msg, len, timeout_ns, &id);
	if (r == 0)
		r = par__client_async(c, id, PAR__T_PUT, 1, timeout_ns);
	UNLOCK(c);
	return r;
}

/* How many of msgs fit one PUT_MANY (at least the first, or -EMSGSIZE),
 * and the payload they make. */
static int many_fit(const struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
		    size_t *payload)
{
	size_t total = PAR__PUT_MANY_FIXED;
	unsigned k = 0;

	if (n > PAR__MANY_MAX)
		n = PAR__MANY_MAX;
	for (; k < n; k++) {
		if (msgs[k].len > q->max_msg || (msgs[k].data == NULL && msgs[k].len > 0))
			break;
		if (4 + msgs[k].len > q->max_payload - total)
			break;
		total += 4 + msgs[k].len;
	}
	*payload = total;
	return k > 0 ? (int)k : msgs[0].data == NULL && msgs[0].len > 0 ? -EINVAL : -EMSGSIZE;
}

static int put_many_req(struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
			int64_t timeout_ns, uint32_t *id)
{
	size_t len;
	int k = many_fit(q, msgs, n, &len);

	if (k < 0)
		return k;
	uint8_t *p = par__client_req(q->c, PAR__T_PUT_MANY, (uint32_t)len, id);
	if (p == NULL)
		return -ENOMEM;
	req_head(p, q->qid, timeout_ns);
	par__le32_put(p + 12, (uint32_t)k);
	p += PAR__PUT_MANY_FIXED;
	for (int i = 0; i < k; i++) {
		par__le32_put(p, (uint32_t)msgs[i].len);
		if (msgs[i].len > 0)
			memcpy(p + 4, msgs[i].data, msgs[i].len);
		p += 4 + msgs[i].len;
	}
	return k;
}

int par_rqueue_put_many(struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
			int64_t timeout_ns)
{
	struct par__ans a;
	uint32_t id;

	if (q == NULL || msgs == NULL || n == 0)
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	int r = c->err ? c->err : put_many_req(q, msgs, n, timeout_ns, &id);
	if (r > 0)
		r = par__client_call(c, id, PAR__T_PUT_MANY, par__client_deadline(c, timeout_ns),
				     &a);
	if (r == 0)
		r = par__errno_from_wire(a.status);
	UNLOCK(c);
	return r;
}

int par_rqueue_put_many_async(struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
			      int64_t timeout_ns)
{
	uint32_t id;

	if (q == NULL || msgs == NULL || n == 0)
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	int k = c->err ? c->err : put_many_req(q, msgs, n, timeout_ns, &id);
	int r = k < 0 ? k : par__client_async(c, id, PAR__T_PUT_MANY, (uint32_t)k, timeout_ns);
	UNLOCK(c);
	return r < 0 ? r : k;
}

static int get_req(struct par_rqueue *q, uint8_t type, uint32_t n, size_t cap, int64_t timeout_ns,
		   uint32_t *id)
{
	int many = type == PAR__T_GET_MANY;
	uint8_t *p = par__client_req(q->c, type, many ? 20 : 16, id);

	if (p == NULL)
		return -ENOMEM;
	req_head(p, q->qid, timeout_ns);
	if (many)
		par__le32_put(p + 12, n);
	par__le32_put(p + (many ? 16 : 12), cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap);
	return 0;
}

ssize_t par_rqueue_get(struct par_rqueue *q, void *buf, size_t cap, int64_t timeout_ns)
{
	struct par__ans a;
	uint32_t id;

	if (q == NULL || (buf == NULL && cap > 0))
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	ssize_t r = c->err ? c->err : get_req(q, PAR__T_GET, 1, cap, timeout_ns, &id);
	if (r == 0)
		r = par__client_call(c, id, PAR__T_GET, par__client_deadline(c, timeout_ns), &a);
	if (r == 0)
		r = par__errno_from_wire(a.status);
	if (r > 0 && (size_t)r > cap)
		r = par__client_break(c, -EPROTO);
	else if (r > 0)
		memcpy(buf, a.data, (size_t)r);
	UNLOCK(c);
	return r;
}

/* Copy the records of a GET_MANY answer out. */
static int many_copy(struct par_msg *msgs, unsigned n, const struct par__ans *a)
{
	const uint8_t *p = a->data, *m;
	size_t left = a->len;
	uint32_t len;
	unsigned i = 0;

	for (; i < n && i < (unsigned)a->status && par__records_next(&p, &left, &m, &len); i++) {
		if (len > msgs[i].cap)
			return -EPROTO;
		if (len > 0)
			memcpy(msgs[i].data, m, len);
		msgs[i].len = len;
	}
	return i == (unsigned)a->status ? (int)i : -EPROTO;
}

int par_rqueue_get_many(struct par_rqueue *q, struct par_msg *msgs, unsigned n, int64_t timeout_ns)
{
	struct par__ans a;
	uint32_t id;
	size_t cap = SIZE_MAX;

	if (q == NULL || msgs == NULL || n == 0)
		return -EINVAL;
	if (n > PAR__MANY_MAX)
		n = PAR__MANY_MAX;
	for (unsigned i = 0; i < n; i++) {
		if (msgs[i].data == NULL && msgs[i].cap > 0)
			return -EINVAL;
		cap = msgs[i].cap < cap ? msgs[i].cap : cap;
	}
	struct par_client *c = q->c;
	LOCK(c);
	int r = c->err ? c->err : get_req(q, PAR__T_GET_MANY, n, cap, timeout_ns, &id);
	if (r == 0)
		r = par__client_call(c, id, PAR__T_GET_MANY, par__client_deadline(c, timeout_ns),
				     &a);
	if (r == 0)
		r = par__errno_from_wire(a.status);
	if (r > 0) {
		r = many_copy(msgs, n, &a);
		if (r < 0)
			r = par__client_break(c, r);
	}
	UNLOCK(c);
	return r;
}

ssize_t par_rqueue_size(struct par_rqueue *q)
{
	struct par__ans a;
	uint32_t id;

	if (q == NULL)
		return -EINVAL;
	struct par_client *c = q->c;
	LOCK(c);
	ssize_t r = c->err;
	uint8_t *p = r ? NULL : par__client_req(c, PAR__T_QSIZE, 4, &id);
	if (r == 0 && p == NULL)
		r = -ENOMEM;
	if (r == 0) {
		par__le32_put(p, q->qid);
		r = par__client_call(c, id, PAR__T_QSIZE, par__client_deadline(c, 0), &a);
	}
	if (r == 0 && (r = par__errno_from_wire(a.status)) == 0)
		r = (ssize_t)par__le64(a.data);
	UNLOCK(c);
	return r;
}

int par_client_status(struct par_client *c, struct par_manager_stats *st,
		      struct par_manager_queue_info *qs, unsigned cap)
{
	struct par__ans a;
	uint32_t id;

	if (c == NULL || (qs == NULL && cap > 0))
		return -EINVAL;
	LOCK(c);
	int r = c->err;
	if (r == 0 && par__client_req(c, PAR__T_STATUS, 0, &id) == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = par__client_call(c, id, PAR__T_STATUS, par__client_deadline(c, 0), &a);
	if (r == 0)
		r = par__errno_from_wire(a.status);
	if (r == 0) {
		struct par_manager_stats tmp;
		r = par__status_decode(a.data, a.len, st != NULL ? st : &tmp, qs, cap);
		if (r < 0)
			r = par__client_break(c, -EPROTO);
	}
	UNLOCK(c);
	return r;
}

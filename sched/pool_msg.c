/* Building task messages: header + argument bytes, contiguous. */
#include "pool_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STACK_MSG 4096

/* Put header m and arg into q as one message, waiting as long as needed. */
int par__pool_put_task(struct par_queue *q, const struct par__task_msg *m, const void *arg)
{
	unsigned char stack[STACK_MSG];
	size_t len = sizeof(*m) + m->arg_len;
	unsigned char *buf = len <= sizeof(stack) ? stack : malloc(len);

	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, m, sizeof(*m));
	if (m->arg_len > 0)
		memcpy(buf + sizeof(*m), arg, m->arg_len);
	int r = par_queue_put(q, buf, len, PAR_FOREVER);
	if (buf != stack)
		free(buf);
	return r;
}

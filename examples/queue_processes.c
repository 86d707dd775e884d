/* A writer process and a reader process talking through a par Queue.
 *
 * Python:  q = Queue(); pw = Process(target=write, args=(q,))
 *          pr = Process(target=read, args=(q,)); pw.start(); pr.start()
 *
 * The queue lives in shared memory that both children inherit. Instead of
 * terminating the reader (as the Python original does), the writer shuts the
 * queue down when it is done: the reader drains what is left, then its get
 * answers -EPIPE and it ends.
 */
#include <par/process.h>
#include <par/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int writer(void *arg)
{
	static const char *values[] = { "A", "B", "C" };
	struct par_queue *q = arg;

	srand((unsigned)getpid());
	for (int i = 0; i < 3; i++) {
		printf("Put %s to queue...\n", values[i]);
		fflush(stdout);
		if (par_queue_put(q, values[i], strlen(values[i]), PAR_FOREVER) < 0)
			return 1;
		par_sleep_ns((int64_t)(rand() % 200) * 1000000);
	}
	par_queue_shutdown(q); /* no more: the reader ends once it has drained */
	return 0;
}

static int reader(void *arg)
{
	struct par_queue *q = arg;
	char value[64];
	ssize_t n;

	while ((n = par_queue_get(q, value, sizeof(value) - 1, PAR_FOREVER)) >= 0) {
		value[n] = '\0';
		printf("Get %s from queue.\n", value);
		fflush(stdout);
	}
	return n == -EPIPE ? 0 : 1;
}

int main(void)
{
	struct par_queue *q;
	struct par_process *pw, *pr;
	struct par_exit sw, sr;
	int err;

	if ((err = par_queue_create(NULL, NULL, &q)) < 0) { /* anonymous: for our children */
		fprintf(stderr, "queue: %s\n", par_strerror(err));
		return 1;
	}
	if (par_process_start(writer, q, NULL, &pw) < 0 ||
	    par_process_start(reader, q, NULL, &pr) < 0)
		return 1;
	par_process_join(pw, PAR_FOREVER, &sw);
	par_process_join(pr, PAR_FOREVER, &sr);
	par_process_destroy(pw);
	par_process_destroy(pr);
	par_queue_close(q);
	printf("Writer exit code %d, reader exit code %d.\n", sw.code, sr.code);
	return sw.code | sr.code;
}

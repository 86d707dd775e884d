/* A writer process and a reader process talking over a pipe.
 *
 * Python:  q = Queue(); pw = Process(target=write, args=(q,))
 *          pr = Process(target=read, args=(q,)); pw.start(); pr.start()
 *
 * par's shared-memory Queue is not there yet, so the "queue" is an OS pipe
 * carrying one-byte-length-prefixed messages; the reader stops at end of file
 * once the writer is done, instead of being terminated.
 */
#include <par/process.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fds[2]; /* [0] read end, [1] write end; inherited by both children */

static int put(const char *value)
{
	unsigned char len = (unsigned char)strlen(value);

	if (write(fds[1], &len, 1) != 1 || write(fds[1], value, len) != len)
		return -1;
	return 0;
}

static int writer(void *arg)
{
	static const char *values[] = { "A", "B", "C" };

	(void)arg;
	close(fds[0]);
	srand((unsigned)getpid());
	for (int i = 0; i < 3; i++) {
		printf("Put %s to queue...\n", values[i]);
		fflush(stdout);
		if (put(values[i]) < 0)
			return 1;
		par_sleep_ns((int64_t)(rand() % 200) * 1000000);
	}
	return 0;
}

static int reader(void *arg)
{
	unsigned char len;
	char value[256];

	(void)arg;
	close(fds[1]); /* so that end of file comes when the writer is done */
	while (read(fds[0], &len, 1) == 1) {
		if (read(fds[0], value, len) != len)
			return 1;
		value[len] = '\0';
		printf("Get %s from queue.\n", value);
		fflush(stdout);
	}
	return 0;
}

int main(void)
{
	struct par_process *pw, *pr;
	struct par_exit sw, sr;

	if (pipe(fds) < 0)
		return 1;
	if (par_process_start(writer, NULL, NULL, &pw) < 0 ||
	    par_process_start(reader, NULL, NULL, &pr) < 0)
		return 1;
	close(fds[0]);
	close(fds[1]);
	par_process_join(pw, PAR_FOREVER, &sw);
	par_process_join(pr, PAR_FOREVER, &sr);
	par_process_destroy(pw);
	par_process_destroy(pr);
	printf("Writer exit code %d, reader exit code %d.\n", sw.code, sr.code);
	return sw.code | sr.code;
}

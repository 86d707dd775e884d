/* Run a command, feed it stdin and read its output.
 *
 * Python:  p = subprocess.Popen(['sort'], stdin=PIPE, stdout=PIPE, stderr=PIPE)
 *          output, err = p.communicate(b'pear\napple\nfig\n')
 *          print(output.decode()); print('Exit code:', p.returncode)
 */
#include <par/process.h>

#include <stdio.h>
#include <string.h>

static int run(const char *const argv[], const char *input)
{
	struct par_subprocess_result res;
	int err;

	printf("$ %s", argv[0]);
	for (int i = 1; argv[i] != NULL; i++)
		printf(" %s", argv[i]);
	printf("   <<< %zu bytes on stdin\n", strlen(input));
	/* opts NULL: stdin is a pipe fed with input, stdout and stderr captured */
	err = par_subprocess_run(argv, NULL, input, strlen(input), 5 * (int64_t)1000000000, &res);
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], par_strerror(err));
		par_subprocess_result_free(&res);
		return 1;
	}
	fwrite(res.out, 1, res.out_len, stdout);
	printf("Exit code: %d\n", res.exit.code);
	par_subprocess_result_free(&res);
	return 0;
}

int main(void)
{
	const char *const sort[] = { "sort", NULL };
	const char *const wc[] = { "wc", "-w", NULL };

	if (run(sort, "pear\napple\nfig\n") != 0)
		return 1;
	return run(wc, "the quick brown fox jumps over the lazy dog\n");
}

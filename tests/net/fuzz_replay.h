/* The replay side of a fuzz target: without libFuzzer, main() feeds
 * LLVMFuzzerTestOneInput every file named on the command line, and every
 * file in every folder named, each from an allocation of its exact size (so
 * ASan sees any read past it). Include after defining
 * LLVMFuzzerTestOneInput; PAR_FUZZ_NAME names the target in messages. */
#ifndef PAR_TEST_FUZZ_REPLAY_H
#define PAR_TEST_FUZZ_REPLAY_H

#ifndef PAR_FUZZ_LIBFUZZER

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint8_t *exact = malloc(n ? n : 1);
	if (exact == NULL)
		return -1;
	memcpy(exact, buf, n);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

/* The files of folder dir replayed; how many. */
static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char p[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		files += replay_file(p) == 0;
	}
	if (d != NULL)
		closedir(d);
	return files;
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s: not found\n", PAR_FUZZ_NAME, argv[i]);
			return 2;
		}
		files += S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0;
	}
	printf("%s: %d inputs replayed\n", PAR_FUZZ_NAME, files);
	return files > 0 ? 0 : 2;
}

#endif /* PAR_FUZZ_LIBFUZZER */
#endif /* PAR_TEST_FUZZ_REPLAY_H */

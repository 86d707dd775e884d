/* Links the one-header-each translation units and checks a call through them. */
#include <par/core.h>

#include <errno.h>
#include <string.h>

int main(void)
{
	return strcmp(par_strerror(-ETIMEDOUT), "timed out") == 0 ? 0 : 1;
}

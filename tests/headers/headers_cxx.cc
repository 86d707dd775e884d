// The public headers from C++: they must compile cleanly and link as extern "C".
#include <par/par.h>

#include <cerrno>
#include <cstring>

int main()
{
	struct par_lock_opts lo;
	par_lock_opts_init(&lo);
	struct par_thread_opts to;
	par_thread_opts_init(&to);
	struct par_subprocess_opts so;
	par_subprocess_opts_init(&so);
	if (std::strcmp(par_strerror(-ETIMEDOUT), "timed out") != 0)
		return 1;
	if (lo.size != sizeof(lo) || to.size != sizeof(to) || so.size != sizeof(so))
		return 2;
	return par_deadline(PAR_FOREVER) == PAR_NO_DEADLINE ? 0 : 3;
}

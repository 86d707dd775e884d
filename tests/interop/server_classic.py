"""The classic task worker (tests/interop/classic/task_worker.py, unchanged)
against par-manager: this script plays the master's part through its own
proxies (ten ints in, ten results out), then checks every result."""
import random
import sys

from server_common import check, classic_worker, manager

m = manager()
task, result = m.get_task_queue(), m.get_result_queue()
ns = [random.randint(0, 10000) for _ in range(10)]
for n in ns:
    task.put(n)
w = classic_worker()
out, _ = w.communicate(timeout=120)
print(out)
check(w.returncode == 0 and "worker exit." in out, "the worker failed")
got = sorted(result.get(timeout=10) for _ in range(10))
want = sorted("%d * %d = %d" % (n, n, n * n) for n in ns)
check(got == want, "results %r, want %r" % (got, want))
check(result.empty() and task.qsize() == 0, "queues not empty")
print("ok: %s" % sys.version.split()[0])

"""Several classic workers at once on one queue (40 tasks, 4 workers, each
takes up to 10), every result exactly once. With interpreters as arguments
(python3.8 python3.13 ...), one worker runs under each: both challenge
dialects on the same server."""
import sys

from server_common import check, classic_worker, manager

pythons = sys.argv[1:] or [None] * 4
m = manager()
task, result = m.get_task_queue(), m.get_result_queue()
ntasks = 10 * len(pythons)
for n in range(ntasks):
    task.put(1000 + n)
ws = [classic_worker(py) for py in pythons]
for w in ws:
    out, _ = w.communicate(timeout=120)
    check(w.returncode == 0 and "worker exit." in out, "a worker failed:\n" + out)
got = sorted(result.get(timeout=10) for _ in range(ntasks))
want = sorted("%d * %d = %d" % (n, n, n * n) for n in range(1000, 1000 + ntasks))
check(got == want, "results differ: %d of %d" % (len(set(got) & set(want)), ntasks))
check(result.qsize() == 0, "results left over")
print("ok: %d workers, %d tasks" % (len(ws), ntasks))

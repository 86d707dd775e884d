"""A pickle that tries to run a command (os.system through REDUCE, put by a
Python client) is stored as data: the server runs nothing, a C client gets
the pickle's bytes, and the command's file never appears."""
import os

from server_common import TMP, check, manager, peer

marker = os.path.join(TMP, "pwned")


class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + marker,))


q = manager().q()
q.put(Evil())
check(q.qsize() == 1, "the item is not stored")
out = os.path.join(TMP, "got")
check(peer("get1", "q", out).wait(timeout=60) == 0, "the C peer failed")
with open(out, "rb") as f:
    data = f.read()
check(data.startswith(b"\x80") and data.endswith(b"."), "not a pickle: %r" % data)
check(b"system" in data and marker.encode() in data, "not the pickle put: %r" % data)
check(not os.path.exists(marker), "the command ran")
print("ok: stored as %d bytes of data, nothing ran" % len(data))

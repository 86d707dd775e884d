"""queue.Queue through par-manager as a worker sees it: Empty and Full,
argument forms, __repr__, remote errors for unknown methods and #GETVALUE,
a 70000-byte item, values of many types with shared and recursive parts,
opaque objects (Decimal, OrderedDict) coming back equal, task_done/join,
values put by a C client, and shutdown (queue.ShutDown on 3.13; older
clients get queue.Empty / queue.Full)."""
import collections
import decimal
import queue
import sys
from multiprocessing.managers import RemoteError

from server_common import check, manager, peer

m = manager()
t, r, q = m.get_task_queue(), m.get_result_queue(), m.q()


def raises(exc, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc as e:
        return e
    check(False, "%s did not raise %s" % (fn, exc.__name__))


check(t.qsize() == 0 and t.empty() and not t.full(), "a fresh queue")
raises(queue.Empty, t.get, timeout=0.2)
raises(queue.Empty, t.get_nowait)
raises(queue.Empty, t.get, False)
raises(queue.Empty, t.get, True, 0)
raises(ValueError, t.get, timeout=-1)
raises(TypeError, t.get, 1, 2, 3)
check(t._callmethod("__repr__").startswith("<queue.Queue object at 0x"), "__repr__")
e = raises(RemoteError, t._callmethod, "no_such_method")
check("AttributeError" in str(e), "no_such_method: %s" % e)
e = raises(RemoteError, t._callmethod, "#GETVALUE")
check("Unserializable" in str(e), "#GETVALUE: %s" % e)

big = bytes(range(256)) * 274
t.put(big, block=True, timeout=5)
check(t.get(True, 5) == big, "70000 bytes")

shared = [0]
rec = [1]
rec.append(rec)
d = decimal.Decimal("3.14159")
od = collections.OrderedDict([("x", 1), ("y", [2])])
v = [-1, 65536, 2 ** 31, -2 ** 63, 2 ** 100, 1.5, b"ab", bytearray(b"cd"), True, False,
     None, {1, 2}, frozenset({3}), {"k": (1, 2)}, ("a", "a"), (shared, shared), rec, d, od,
     "\u00e9t\u00e9", "x" * 300, complex(1, 2)]
t.put(v)
g = t.get(timeout=5)
check(len(g) == len(v), "mixed length")
for i in range(len(v)):
    if i != 16:
        check(g[i] == v[i] and type(g[i]) is type(v[i]), "item %d: %r != %r" % (i, g[i], v[i]))
check(g[15][0] is g[15][1], "shared reference lost")
check(g[16][1] is g[16] and g[16][0] == 1, "recursive list lost")
t.put("put")
check(t.get_nowait() == "put", "an item that is the method's name")

for i in range(3):
    q.put_nowait(i)
for i in range(3):
    check(q.get() == i, "order")
    q.task_done()
q.join()
raises(ValueError, q.task_done)

p = peer("putvals", "get_result_queue")
check(p.wait(timeout=60) == 0, "the C peer failed")
check(r.get(timeout=5) == b"raw\x00bytes", "raw bytes from C")
check(r.get(timeout=5) == ("3 * 3 = 9", 9, None, 1.5, [1, 2]), "a tuple from C")
check(r.get(timeout=5) == b"\x80\x04fake", "bytes that look like a pickle's start")

q.put(1)
q.shutdown()
if hasattr(queue, "ShutDown"):
    raises(queue.ShutDown, q.put, 2)
    check(q.get() == 1, "drain after shutdown")
    raises(queue.ShutDown, q.get)
else:  # the proxy has a shutdown method all the same; old clients see Full / Empty
    raises(queue.Full, q.put, 2)
    check(q.get() == 1, "drain after shutdown")
    raises(queue.Empty, q.get)
print("ok: %s" % sys.version.split()[0])

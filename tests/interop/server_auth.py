"""A wrong authkey is refused in this interpreter's dialect (raw HMAC-MD5 up
to 3.11, {sha256} from 3.12) with AuthenticationError, and the server goes
on serving the right key."""
from multiprocessing import AuthenticationError

from server_common import check, manager

for bad in (b"abd", b"abc\n", b"x" * 64):
    try:
        manager(bad)
    except AuthenticationError as e:
        print("refused:", e)
    else:
        check(False, "key %r was accepted" % bad)
m = manager()
check(m.get_task_queue().qsize() == 0, "the right key is not served")
print("ok")

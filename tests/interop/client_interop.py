"""Drive par's client of Python managers (client_check) against a Python
BaseManager run by this interpreter, on 127.0.0.1 with a fresh key.

    python3 client_interop.py CLIENT_CHECK errors
    python3 client_interop.py CLIENT_CHECK c2py [N]   C producer -> Python consumer
    python3 client_interop.py CLIENT_CHECK py2c [N]   Python producer -> C consumer

c2py / py2c carry N items (default 100000) of several types (int, str,
bytes, tuple, float, None) through one queue.Queue(maxsize=1000): the
consumer checks each item, in order, against item(i) (client_check.c makes
the same ones), that nothing more arrives, and both sides' FNV-1a checksums
over the items' canonical bytes must agree. errors: client_check's checks of
error meanings against typeids made to fail (it kills the server last).
"""
import os
import queue
import re
import struct
import subprocess
import sys
import threading
import time
from multiprocessing.managers import BaseManager


class BadQueue(queue.Queue):
    def put(self, item, block=True, timeout=None):
        raise ValueError('boom: %r' % (item,))


class DieQueue(queue.Queue):
    def get(self, block=True, timeout=None):
        time.sleep(0.3)
        os._exit(3)  # the whole server goes, mid-get


xfer = queue.Queue(maxsize=1000)
small = queue.Queue(maxsize=2)
bad = BadQueue()
unser = queue.Queue()
unser.put(threading.Lock())
die = DieQueue()


def get_xfer():
    return xfer


def get_small():
    return small


def get_bad():
    return bad


def get_unser():
    return unser


def get_die():
    return die


def get_boom():
    raise RuntimeError('no queue today')


class Manager(BaseManager):
    pass


for f in (get_xfer, get_small, get_bad, get_unser, get_die, get_boom):
    Manager.register(f.__name__, callable=f)


def item(i):
    k = i % 6
    if k == 0:
        v = ((i * 2654435761) % (1 << 40)) >> (i % 41)
        return -v if i & 1 else v
    if k == 1:
        return 'item %d \u00e9 \u2713' % i
    if k == 2:
        return bytes((i + j) % 256 for j in range(i % 300))
    if k == 3:
        return (i, 't%d' % i, b'\x00\xff', None, (i % 7) / 8.0)
    if k == 4:
        return i / 3.0 if i % 4 else -i * 0.1
    return None


def canon(v, out):
    if v is None:
        out += b'n'
    elif isinstance(v, int):
        out += b'i%d;' % v
    elif isinstance(v, float):
        out += b'f' + struct.pack('>d', v)
    elif isinstance(v, str):
        b = v.encode()
        out += b's%d:' % len(b) + b
    elif isinstance(v, bytes):
        out += b'b%d:' % len(v) + v
    elif isinstance(v, tuple):
        out += b't%d:' % len(v)
        for x in v:
            canon(x, out)
    else:
        out += b'?'


class Sum:
    def __init__(self):
        self.h = 0xcbf29ce484222325

    def add(self, v):
        buf = bytearray()
        canon(v, buf)
        h = self.h
        for c in buf:
            h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
        self.h = h

    def line(self, n):
        return 'sum %016x count %d' % (self.h, n)


def c_sum(out):
    m = re.search(r'^sum [0-9a-f]+ count \d+$', out, re.M)
    return m.group(0) if m else None


def run(check, mode, n):
    key = os.urandom(16).hex().encode()
    m = Manager(address=('127.0.0.1', 0), authkey=key)
    m.start()
    addr = '%s:%d' % m.address
    env = dict(os.environ, PAR_AUTHKEY=key.decode())
    print('server %s (Python %s)' % (addr, sys.version.split()[0]), flush=True)
    try:
        if mode == 'errors':
            r = subprocess.run([check, 'errors', addr], env=env, timeout=120)
            return r.returncode
        s = Sum()
        q = m.get_xfer()
        t0 = time.monotonic()
        if mode == 'c2py':
            p = subprocess.Popen([check, 'produce', addr, 'get_xfer', str(n)], env=env,
                                 stdout=subprocess.PIPE, universal_newlines=True)
            for i in range(n):
                got = q.get(timeout=30)
                if repr(got) != repr(item(i)) or type(got) is not type(item(i)):
                    print('item %d: got %r, want %r' % (i, got, item(i)))
                    p.kill()
                    return 1
                s.add(got)
            out = p.communicate(timeout=60)[0]
            try:
                q.get_nowait()
                print('an item more than sent')
                return 1
            except queue.Empty:
                pass
        else:
            p = subprocess.Popen([check, 'consume', addr, 'get_xfer', str(n)], env=env,
                                 stdout=subprocess.PIPE, universal_newlines=True)
            for i in range(n):
                v = item(i)
                s.add(v)
                q.put(v, timeout=30)
            out = p.communicate(timeout=60)[0]
        dt = time.monotonic() - t0
        print(out, end='')
        print('python: ' + s.line(n))
        print('%d items in %.1f s (%.0f/s)' % (n, dt, n / dt))
        if p.returncode != 0:
            print('client_check failed: %d' % p.returncode)
            return 1
        if c_sum(out) != s.line(n):
            print('checksums differ')
            return 1
        return 0
    finally:
        try:
            m.shutdown()
        except Exception:
            pass  # the errors mode kills the server


def main(argv):
    if len(argv) < 3 or argv[2] not in ('errors', 'c2py', 'py2c'):
        print(__doc__)
        return 2
    n = int(argv[3]) if len(argv) > 3 else 100000
    r = run(argv[1], argv[2], n)
    print('ok' if r == 0 else 'FAILED')
    return r


if __name__ == '__main__':
    sys.exit(main(sys.argv))

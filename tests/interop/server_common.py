"""Shared by the server_*.py interop tests (run through server_run.sh, which
starts par-manager and sets PAR_ADDR, PAR_PYPORT, PAR_KEYFILE, PAR_PEER and
PAR_TMP). Only the standard library: these are unmodified-Python clients."""
import os
import subprocess
import sys
from multiprocessing.managers import BaseManager

HERE = os.path.dirname(os.path.abspath(__file__))
PYPORT = int(os.environ["PAR_PYPORT"])
ADDR = os.environ["PAR_ADDR"]
KEYFILE = os.environ["PAR_KEYFILE"]
PEER = os.environ["PAR_PEER"]
TMP = os.environ["PAR_TMP"]
KEY = b"abc"


class QueueManager(BaseManager):
    pass


QueueManager.register("get_task_queue")
QueueManager.register("get_result_queue")
QueueManager.register("q")


def manager(key=KEY):
    m = QueueManager(address=("127.0.0.1", PYPORT), authkey=key)
    m.connect()
    return m


def classic_worker(python=None):
    """Start tests/interop/classic/task_worker.py, unchanged, on our port."""
    return subprocess.Popen(
        [python or sys.executable, os.path.join(HERE, "run_classic.py"),
         os.path.join(HERE, "classic", "task_worker.py"), str(PYPORT)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


def peer(*args, **kw):
    """Run the C peer (par's native client) with the server's address."""
    return subprocess.Popen([PEER, args[0], ADDR, KEYFILE] + [str(a) for a in args[1:]],
                            universal_newlines=True, **kw)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)

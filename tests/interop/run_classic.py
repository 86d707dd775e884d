"""Run one of the classic scripts in classic/ unchanged, on another port.

    python3 run_classic.py SCRIPT PORT [SLEEP_SCALE]

The classic scripts hard-code port 5000 and sleep a second per task. This
runner leaves their text alone: before running SCRIPT (runpy, as __main__) it
wraps BaseManager.__init__ so an address with port 5000 gets PORT instead,
and scales time.sleep by SLEEP_SCALE (default 0.01) so a test does not wait
ten seconds per worker. Everything else is the script's own code.
"""
import runpy
import sys
import time
from multiprocessing import managers

script, port = sys.argv[1], int(sys.argv[2])
scale = float(sys.argv[3]) if len(sys.argv) > 3 else 0.01

_init = managers.BaseManager.__init__


def _init_on_port(self, address=None, *args, **kwds):
    if isinstance(address, tuple) and address[1] == 5000:
        address = (address[0], port)
    _init(self, address, *args, **kwds)


managers.BaseManager.__init__ = _init_on_port
_sleep = time.sleep
time.sleep = lambda s: _sleep(s * scale)
sys.argv = [script]
runpy.run_path(script, run_name="__main__")

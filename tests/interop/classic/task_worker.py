# task_worker.py: the classic distributed-queue worker. Kept unchanged: the
# interop tests run it through run_classic.py, which only redirects its port.
import time, sys, queue
from multiprocessing.managers import BaseManager

# The same QueueManager:
class QueueManager(BaseManager):
    pass

# It only gets the queues from the network, so it registers names only:
QueueManager.register('get_task_queue')
QueueManager.register('get_result_queue')

# Connect to the server, the machine running task_master.py:
server_addr = '127.0.0.1'
print('Connect to server %s...' % server_addr)
# Port and authkey exactly as task_master.py set them:
m = QueueManager(address=(server_addr, 5000), authkey=b'abc')
# Connect over the network:
m.connect()
# Get the queue objects:
task = m.get_task_queue()
result = m.get_result_queue()
# Take tasks from the task queue, write results to the result queue:
for i in range(10):
    try:
        n = task.get(timeout=1)
        print('run task %d * %d...' % (n, n))
        r = '%d * %d = %d' % (n, n, n*n)
        time.sleep(1)
        result.put(r)
    except queue.Empty:
        print('task queue is empty.')
# Done:
print('worker exit.')

# task_master.py: the classic distributed-queue master (Python docs style,
# as taught in countless tutorials). Kept unchanged: the interop tests run
# it through run_classic.py, which only redirects its port.
import random, time, queue
from multiprocessing.managers import BaseManager

# The queue tasks are sent on:
task_queue = queue.Queue()
# The queue results come back on:
result_queue = queue.Queue()

# A QueueManager derived from BaseManager:
class QueueManager(BaseManager):
    pass

def return_task_queue():
    global task_queue
    return task_queue

def return_result_queue():
    global result_queue
    return result_queue

# Register both queues on the network; callable ties each to its Queue:
QueueManager.register('get_task_queue', callable=return_task_queue)
QueueManager.register('get_result_queue', callable=return_result_queue)
# Bind port 5000, authkey 'abc':
manager = QueueManager(address=('', 5000), authkey=b'abc')
# Start the manager:
manager.start()
# The queues, as seen through the network:
task = manager.get_task_queue()
result = manager.get_result_queue()
# Put a few tasks in:
for i in range(10):
    n = random.randint(0, 10000)
    print('Put task %d...' % n)
    task.put(n)
# Read the results from the result queue:
print('Try get results...')
for i in range(10):
    r = result.get(timeout=10)
    print('Result: %s' % r)
# Shut down:
manager.shutdown()
print('master exit.')

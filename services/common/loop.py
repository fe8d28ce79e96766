"""A background green thread inside a service (the outbox relay, notify's sender, devices'
import runner, the knowledge indexer): it runs `step()` until that reports no more work, then
sleeps until woken or `poll_seconds` pass. Errors are logged and retried at the next poll;
stop() lets the current step finish.

A worker wakes the loop through its dependency (`self.sender.wake()`): the wake is carried out
when the worker ends, after its transaction committed, so the loop never looks for work a
moment before it is visible.

The loop never ends the container: nameko kills a container whose managed thread raises
(`ServiceContainer._handle_thread_exited`), so `_run` catches every Exception of a step;
only GreenletExit (the container's own kill at stop, which it ignores) ends it. A step that
found the broker away raises BrokerAway once its watch has reported it: retried at each poll,
without a traceback."""
import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common.broker import BrokerAway

log = logging.getLogger(__name__)


class WorkerHandle:
    """What a worker gets: `wake()` is remembered and carried out at the worker's teardown."""

    def __init__(self):
        self.woken = False

    def wake(self):
        self.woken = True


class BackgroundLoop(DependencyProvider):
    poll_seconds = 1.0

    def __init__(self):
        self._wake = Event()
        self._running = False
        self._gt = None
        self._handles = {}

    def provider(self, attr_name):
        """Another dependency of the same service, by its attribute name."""
        return next(d for d in self.container.dependencies if d.attr_name == attr_name)

    def step(self):
        """Do one unit of work; return True while there may be more."""
        raise NotImplementedError

    def start(self):
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.wake()
        if self._gt is not None:
            self._gt.wait()

    def kill(self):
        self._running = False
        if self._gt is not None:
            self._gt.kill()

    def get_dependency(self, worker_ctx):
        handle = self._handles[worker_ctx] = WorkerHandle()
        return handle

    def worker_teardown(self, worker_ctx):
        handle = self._handles.pop(worker_ctx, None)
        if handle is not None and handle.woken:
            self.wake()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _run(self):
        while self._running:
            try:
                while self._running and self.step():
                    eventlet.sleep(0)  # a long run of steps must not starve the workers
            except BrokerAway:  # reported once by the broker's watch
                pass
            except Exception:  # a database away, a bug: try again at the next poll
                log.exception("%s: will retry", type(self).__name__)
            with eventlet.Timeout(self.poll_seconds, False):
                self._wake.wait()
            self._wake = Event()

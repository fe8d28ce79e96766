"""A service's signs of life, in every service as `heartbeat = Heartbeat()`:

- **Liveness** for a container's probe (deploy/probe.py --live): while the process runs, its
  event loop touches HEARTBEAT_FILE every HEARTBEAT_SECONDS (default 5). A process whose green
  threads no longer get the CPU (a worker stuck in C code, a wedged hub) stops touching it, and
  the probe, seeing the file older than LIVE_SECONDS, has the pod restarted. Unset (`make run`,
  the tests), no file: the local supervisor watches the processes itself.
- **The request id and the logs** (services/common/observability.py): at a worker's start the
  id the call or event carries (or a new one) becomes the worker's, in its log lines, in the
  context data nameko copies onto the worker's own RPC calls, and in the events it writes to
  the outbox; the process's log lines are JSON (LOG_FORMAT).
- **Metrics**: each RPC call's time and outcome, each event handling's; served on
  METRICS_PORT when set.

One dependency does all three so that no service can have one without the others (the shape
test checks every service has it)."""
import logging
import os
import pathlib
import time

from nameko.events import EventHandler
from nameko.rpc import Rpc

from services.common import observability as obs
from services.common.exceptions import ServisError
from services.common.loop import BackgroundLoop

log = logging.getLogger("servis.worker")


class Heartbeat(BackgroundLoop):
    def __init__(self):
        super().__init__()
        self.path = None
        self._workers = {}  # worker_ctx -> (start, token)
        self._metrics = {}  # (entrypoint, outcome) -> (its histogram's child, its counter's)

    def setup(self):
        self.path = os.environ.get("HEARTBEAT_FILE") or None
        self.poll_seconds = float(os.environ.get("HEARTBEAT_SECONDS", "5"))
        service = self.container.service_name
        obs.configure_logging(service)
        self.metrics_port = obs.serve_metrics()

    def start(self):
        if self.path:
            pathlib.Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            super().start()

    def step(self):
        pathlib.Path(self.path).touch()
        return False

    # -- every worker: its request id, its time, its outcome

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        # `data`, not `context_data`: the same request id, without nameko copying the data and
        # making the call id stack for it
        rid = worker_ctx.data.get("request_id")
        if isinstance(worker_ctx.entrypoint, EventHandler) and worker_ctx.args and isinstance(
                worker_ctx.args[0], dict):
            rid = worker_ctx.args[0].get("request_id") or rid
        token = obs.bind_request_id(rid)
        # nameko sends a worker's context data with each RPC it makes: the id travels on
        # (`context_data` is a copy of `data`)
        worker_ctx.data["request_id"] = obs.current_request_id()
        self._workers[worker_ctx] = (time.perf_counter(), token)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started, _token = self._workers.get(worker_ctx, (None, None))
        if started is None:
            return
        seconds = time.perf_counter() - started
        entry = worker_ctx.entrypoint
        method = entry.method_name
        if isinstance(entry, Rpc):
            outcome = ("ok" if exc_info is None else
                       "refused" if isinstance(exc_info[1], ServisError) else "failed")
        else:
            outcome = "ok" if exc_info is None else "failed"
        try:
            metrics = self._metrics[entry, outcome]
        except KeyError:
            metrics = self._metrics[entry, outcome] = self._labelled(entry, outcome)
        if metrics is not None:
            metrics[0].observe(seconds)
            metrics[1].inc()
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s in %.1f ms", outcome, method, seconds * 1000,
                     extra={"method": method, "outcome": outcome,
                            "ms": round(seconds * 1000, 1)})

    def _labelled(self, entry, outcome):
        """The entrypoint's time histogram and outcome counter, labelled once (prometheus'
        `labels()` takes a lock and builds its key on every call), or None for an entrypoint
        that is neither an RPC nor an event handler (a timer)."""
        service, method = self.container.service_name, entry.method_name
        if isinstance(entry, Rpc):
            return (obs.RPC_SECONDS.labels(service, method),
                    obs.RPC_CALLS.labels(service, method, outcome))
        if isinstance(entry, EventHandler):
            return (obs.HANDLER_SECONDS.labels(service, method),
                    obs.HANDLED.labels(service, method, outcome))
        return None

    def worker_teardown(self, worker_ctx):
        _started, token = self._workers.pop(worker_ctx, (None, None))
        if token is not None:
            obs.reset_request_id(token)

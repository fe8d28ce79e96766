"""A service's sign of life for a container's liveness probe (deploy/probe.py --live): while
the process runs, its event loop touches HEARTBEAT_FILE every HEARTBEAT_SECONDS (default 5).
A process whose green threads no longer get the CPU (a worker stuck in C code, a wedged hub)
stops touching it, and the probe, seeing the file older than LIVE_SECONDS, has the pod
restarted. Unset (`make run`, the tests), it does nothing: the local supervisor watches the
processes itself."""
import os
import pathlib

from services.common.loop import BackgroundLoop


class Heartbeat(BackgroundLoop):
    def __init__(self):
        super().__init__()
        self.path = None

    def setup(self):
        self.path = os.environ.get("HEARTBEAT_FILE") or None
        self.poll_seconds = float(os.environ.get("HEARTBEAT_SECONDS", "5"))

    def start(self):
        if self.path:
            pathlib.Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            super().start()

    def step(self):
        pathlib.Path(self.path).touch()
        return False

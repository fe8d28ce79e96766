"""Keep the local processes running, as Kubernetes or systemd would.

A process that exits is started again after a growing back-off (BACKOFF_FIRST s, doubling,
at most BACKOFF_MAX s; back to the first once it has stayed up RESET_AFTER s); each exit is
logged with its reason (the signal, or the exit code and the last line the process wrote). The
supervisor keeps its state in DATA_DIR/run/:

  servis.state.json  {"supervisor": {"pid", "mode"}, "processes": {name: {"pid", "state"
                     (running | restarting | stopping | stopped), "restarts", "last_exit",
                     "next_start" (unix time, while restarting)}}}; the gateway's
                     /api/v1/health reads it (the path is in SERVIS_SUPERVISOR_STATE)
  servis.pids.json   {name: pid} of the processes running now

Time and processes are passed in (`clock`, `spawn`), so the rules are tested without either
(tests/e2e/test_supervisor.py, tests/slow/test_supervisor_takeover.py).
"""
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass

STATE_FILE = "servis.state.json"
PIDS_FILE = "servis.pids.json"


@dataclass
class Backoff:
    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    reset_after: float = 30.0  # up this long: the next exit starts counting from `first` again

    @classmethod
    def from_env(cls, env=os.environ):
        return cls(first=float(env.get("SUPERVISOR_BACKOFF_FIRST", "1")),
                   cap=float(env.get("SUPERVISOR_BACKOFF_MAX", "30")),
                   reset_after=float(env.get("SUPERVISOR_RESET_AFTER", "30")))

    def delay(self, failures):
        """The wait before the start after the `failures`-th exit in a row (1, 2, …)."""
        return min(self.cap, self.first * self.factor ** max(0, failures - 1))


def exit_reason(returncode):
    if returncode < 0:
        try:
            return f"signal {-returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def alive(pid):
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a killed process not yet reaped (a zombie) answers kill(0) but runs nothing
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Child:
    """A process this supervisor started (a subprocess.Popen in its own session)."""

    def __init__(self, popen, last_output=lambda: ""):
        self.popen, self.pid, self.last_output = popen, popen.pid, last_output

    def exit_reason(self):
        """None while it runs, else why it ended."""
        rc = self.popen.poll()
        return None if rc is None else exit_reason(rc)

    def signal(self, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)


class Adopted(Child):
    """A process an earlier supervisor started and left running (it was killed itself): not
    our child, so we see that it ended but not how."""

    def __init__(self, pid, still_ours):
        self.pid, self.still_ours = pid, still_ours
        self.last_output = lambda: ""

    def exit_reason(self):
        if alive(self.pid) and self.still_ours(self.pid):
            return None
        return "ended (started by an earlier supervisor: its exit status is unknown)"


@dataclass
class Process:
    name: str
    argv: list
    handle: object = None
    state: str = "stopped"
    restarts: int = 0
    failures: int = 0  # exits in a row without RESET_AFTER s of running between them
    started_at: float = 0.0
    next_start: float | None = None
    last_exit: str | None = None

    def public(self, now, wall):
        return {"pid": self.handle.pid if self.handle else None, "state": self.state,
                "restarts": self.restarts, "last_exit": self.last_exit,
                "next_start": (None if self.next_start is None
                               else round(wall + self.next_start - now, 3))}


class Supervisor:
    def __init__(self, specs, spawn, run_dir, log, *, backoff=None, mode="up",
                 clock=time.monotonic, wall=time.time):
        self.procs = {name: Process(name, argv) for name, argv in specs}
        self.spawn, self.run_dir, self.log = spawn, run_dir, log
        self.backoff, self.mode = backoff or Backoff(), mode
        self.clock, self.wall = clock, wall
        self._written = None

    @property
    def state_path(self):
        return os.path.join(self.run_dir, STATE_FILE)

    def adopt(self, name, handle):
        p = self.procs[name]
        p.handle, p.state, p.started_at = handle, "running", self.clock()
        self.log(f"{name}: running already (pid {handle.pid}), watching it")

    def start(self):
        for p in self.procs.values():
            if p.handle is None:
                self._start(p)
        self.write()

    def _start(self, p):
        p.handle = self.spawn(p.name, p.argv)
        p.state, p.started_at, p.next_start = "running", self.clock(), None
        self.write()  # its pid on disk at once: a supervisor killed now leaves no stranger

    def tick(self):
        """Notice exits, start what is due; write the state when it changed."""
        now = self.clock()
        for p in self.procs.values():
            if p.state == "running":
                reason = p.handle.exit_reason()
                if reason is not None:
                    self._exited(p, reason, now)
            if p.state == "restarting" and now >= p.next_start:
                try:
                    self._start(p)
                except OSError as exc:  # could not even start it: waits like an exit
                    self._exited(p, f"could not be started: {exc}", now, started=False)
                    continue
                self.log(f"{p.name}: started again (pid {p.handle.pid}, restart {p.restarts})")
        self.write()

    def _exited(self, p, reason, now, started=True):
        last = p.handle.last_output().strip() if reason.startswith("exit code") else ""
        if last:  # a crash's last line names its exception (a signal's is unrelated)
            reason = f"{reason}; last output: {last[-300:]}"
        up = now - p.started_at if started else 0.0
        p.failures = 1 if up >= self.backoff.reset_after else p.failures + 1
        delay = self.backoff.delay(p.failures)
        p.restarts += 1
        p.state, p.last_exit, p.next_start = "restarting", reason, now + delay
        what = f"exited (pid {p.handle.pid}, {reason}) after {up:.1f} s" if started else reason
        self.log(f"{p.name}: {what}; restarting in {delay:g} s (restart {p.restarts})")

    def stop(self, grace=15.0, poll=0.1):
        """SIGTERM every running process, SIGKILL what is left after `grace` seconds."""
        running = [p for p in self.procs.values()
                   if p.state == "running" and p.handle.exit_reason() is None]
        for p in self.procs.values():
            p.state = "stopping" if p in running else "stopped"
            p.next_start = None
        self.write()
        for p in running:
            p.handle.signal(signal.SIGTERM)
        deadline = self.clock() + grace
        while self.clock() < deadline and any(p.handle.exit_reason() is None for p in running):
            time.sleep(poll)
        for p in running:
            if p.handle.exit_reason() is None:
                self.log(f"{p.name}: did not stop within {grace:g} s; killed")
                p.handle.signal(signal.SIGKILL)
        for p in running:
            while p.handle.exit_reason() is None:
                time.sleep(poll)
            p.state = "stopped"
        self.write()

    # -- state files

    def snapshot(self):
        now, wall = self.clock(), self.wall()
        return {"supervisor": {"pid": os.getpid(), "mode": self.mode},
                "processes": {n: p.public(now, wall) for n, p in self.procs.items()}}

    def pids(self):
        return {n: p.handle.pid for n, p in self.procs.items()
                if p.state == "running" and p.handle is not None}

    def write(self):
        snapshot = self.snapshot()
        key = json.dumps({n: {k: v for k, v in s.items() if k != "next_start"}
                          for n, s in snapshot["processes"].items()}, sort_keys=True)
        if key == self._written:
            return
        try:
            os.makedirs(self.run_dir, exist_ok=True)
            write_json(self.state_path, snapshot)
            write_json(os.path.join(self.run_dir, PIDS_FILE), self.pids())
        except OSError as exc:  # tried again at the next tick; the processes are watched anyway
            if self._written != "failed":
                self.log(f"cannot write the state to {self.run_dir}: {exc}")
            self._written = "failed"
            return
        self._written = key


def write_json(path, data):
    """Written whole or not at all: readers never see half a file."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def last_line(path, size=4096):
    """The last non-empty line of a log file (the exception a crashed process printed)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            lines = [line for line in f.read().decode(errors="replace").splitlines()
                     if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""

"""Start, supervise and stop the whole system.

  python deploy/run.py run        foreground: starts every process and keeps it running (one
                                  that exits is started again with a growing back-off,
                                  deploy/supervisor.py); output on stdout; Ctrl-C stops all
  python deploy/run.py up         detached: starts a supervisor (`run.py supervise`) that
                                  starts the processes and keeps them running; returns 0 once
                                  /api/v1/health reports every service answering (at most
                                  HEALTH_WAIT s, default 90), else non-zero. Run again while
                                  the supervisor runs, it starts nothing (the supervisor
                                  restarts what exits) and waits for health
  python deploy/run.py down       stops the supervisor and what it started for this DATA_DIR,
                                  nothing else
  python deploy/run.py supervise  the detached supervisor itself (what `up` starts)

One supervisor per DATA_DIR: it holds an exclusive lock on DATA_DIR/run/supervisor.lock (with
its pid in it) for as long as it runs. Its log (every start, exit with the reason, restart) is
DATA_DIR/logs/supervisor.log; the processes' logs are DATA_DIR/logs/<name>.log (`up`) or
stdout (`run`).
"""
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from deploy.processes import processes  # noqa: E402
from deploy.supervisor import (PIDS_FILE, STATE_FILE, Adopted, Backoff, Child,  # noqa: E402
                               Supervisor, alive, last_line, read_json)

DATA_DIR = os.path.abspath(os.environ.get("DATA_DIR", os.path.join(ROOT, "data")))
PORT = int(os.environ.get("GATEWAY_PORT", "8000"))
RUNDIR = os.path.join(DATA_DIR, "run")
PIDFILE = os.path.join(RUNDIR, PIDS_FILE)
STATEFILE = os.path.join(RUNDIR, STATE_FILE)
LOCKFILE = os.path.join(RUNDIR, "supervisor.lock")
LOGDIR = os.path.join(DATA_DIR, "logs")
START_FAILURES = 2  # a process that exits this often before the system is healthy: give up
TICK = 0.2  # seconds between two looks at the processes


def env():
    e = dict(os.environ, DATA_DIR=DATA_DIR, GATEWAY_PORT=str(PORT), PYTHONUNBUFFERED="1",
             SERVIS_SUPERVISOR_STATE=STATEFILE,
             PYTHONWARNINGS=os.environ.get("PYTHONWARNINGS", "ignore::DeprecationWarning,"
                                            "ignore:Eventlet is deprecated,"
                                            "ignore:pkg_resources is deprecated"))
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    return e


def health():
    """(ok, answer) from GET /api/v1/health; answer is None while the gateway is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=10) as r:
            return True, json.load(r)
    except urllib.error.HTTPError as exc:
        try:
            return False, json.load(exc)
        except ValueError:
            return False, None
    except (OSError, ValueError):
        return False, None


def wait_healthy(limit, supervisor_alive):
    """(True, '') once health is green; (False, why) when a process keeps exiting at start-up,
    the supervisor is gone, or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    answer = None
    before = {n: p.get("restarts", 0)  # a supervisor that runs already may have restarted some
              for n, p in read_json(STATEFILE).get("processes", {}).items()}
    while time.monotonic() < deadline:
        if not supervisor_alive():
            return False, f"the supervisor exited (see {LOGDIR}/supervisor.log)"
        failing = [f"{n} exited {p['restarts'] - before.get(n, 0)} times at start-up (last: "
                   f"{p['last_exit']})"
                   for n, p in read_json(STATEFILE).get("processes", {}).items()
                   if p.get("restarts", 0) - before.get(n, 0) >= START_FAILURES]
        if failing:
            return False, "; ".join(failing)
        ok, answer = health()
        if ok:
            return True, ""
        time.sleep(0.5)
    if answer is None:
        return False, f"the gateway does not answer on port {PORT}"
    down = [n for n, s in answer.get("services", {}).items() if not s.get("ok")]
    return False, "not answering: " + ", ".join(down)


def admin_notice(started):
    """The generated admin password, printed once: on the start that created it; on later
    starts, while its file is there, where it is kept (never the password again)."""
    path = os.path.join(DATA_DIR, "admin_password")
    if not os.path.exists(path):
        return
    if os.path.getmtime(path) >= started - 1:
        with open(path) as f:
            print(f"\nFirst start: user 'admin', password {f.read().strip()} (kept in {path}).",
                  flush=True)
    else:
        print(f"\nThe first password of 'admin' is kept in {path} (delete the file once it "
              "is changed).", flush=True)


def banner():
    print(f"\nServis is running.\n  Console:  http://127.0.0.1:{PORT}/  (sign in as admin)\n"
          f"  API docs: http://127.0.0.1:{PORT}/api/docs\n"
          f"  OpenAPI:  http://127.0.0.1:{PORT}/api/v1/openapi.json\n"
          f"  Data:     {DATA_DIR}\n", flush=True)


def read_pids():
    return read_json(PIDFILE)


def ours(pid):
    """The pid still runs one of our processes for this DATA_DIR (pids get reused)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"DATA_DIR={DATA_DIR}".encode() in f.read().split(b"\0")
    except OSError:
        return alive(pid)


def orphans():
    """Processes of this DATA_DIR running without a supervisor (one that was killed, or an
    older `up`): a new supervisor takes them over instead of starting them twice."""
    return {n: pid for n, pid in read_pids().items() if alive(pid) and ours(pid)}


# -- the lock: one supervisor per DATA_DIR

def take_lock(patience=1.0):
    """The lock's file descriptor, held until this process ends; None if another has it.
    (`supervisor_pid()` holds it shared for a moment: hence the patience.)"""
    os.makedirs(RUNDIR, exist_ok=True)
    fd = os.open(LOCKFILE, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def supervisor_pid():
    """The pid of the supervisor of this DATA_DIR, or None when none runs."""
    if not os.path.exists(LOCKFILE):
        return None
    fd = os.open(LOCKFILE, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it
        except BlockingIOError:
            pass
        text = os.read(fd, 32).decode().strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)


# -- supervising

def spawn_to_log(name, argv):
    os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
    path = os.path.join(LOGDIR, f"{name}.log")
    with open(path, "ab") as log:
        p = subprocess.Popen(argv, cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    return Child(p, lambda: last_line(path))


def spawn_to_stdout(name, argv):
    p = subprocess.Popen(argv, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    last = [""]

    def pump():
        for line in iter(p.stdout.readline, b""):
            text = line.decode(errors="replace")
            if text.strip():
                last[0] = text.rstrip()
            sys.stdout.write(f"{name:10}| {text}")
            sys.stdout.flush()

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()

    def last_output():
        pumping.join(1)  # the lines it wrote before it ended
        return last[0]
    return Child(p, last_output)


def supervisor_log(echo):
    path = os.path.join(LOGDIR, "supervisor.log")

    def log(message):
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"
        if echo:  # `run`: on stdout too
            print(f"{'supervisor':10}| {line}", flush=True)
        try:
            os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
            with open(path, "a") as f:
                f.write(line + "\n")
        except OSError:  # a full disk or a removed DATA_DIR must not end the supervision
            pass
    return log


def supervise(mode, spawn, log, stopping):
    """Start (or take over) every process, then keep them running until `stopping` is set;
    then stop them all."""
    sup = Supervisor(processes(), spawn, RUNDIR, log, backoff=Backoff.from_env(), mode=mode)
    for name, pid in orphans().items():
        if name in sup.procs:
            sup.adopt(name, Adopted(pid, ours))
    try:
        sup.start()
        log(f"supervising {', '.join(f'{n} (pid {p.handle.pid})' for n, p in sup.procs.items())}")
        while not stopping.wait(TICK):
            try:
                sup.tick()
            except Exception as exc:  # e.g. the state file cannot be written: keep watching
                log(f"supervisor error: {exc!r}")
    finally:
        log("stopping")
        sup.stop()
        for path in (PIDFILE, STATEFILE):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        log("stopped")


def on_signals(stopping):
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())


def cmd_supervise():
    os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
    lock = take_lock()
    if lock is None:
        print(f"A supervisor runs already for {DATA_DIR} (pid {supervisor_pid()}).", flush=True)
        return 1
    stopping = threading.Event()
    on_signals(stopping)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    supervise("up", spawn_to_log, supervisor_log(echo=False), stopping)
    return 0


def migrate_embedded():
    """The embedded SQLite databases brought up to their migrations before the services
    start (deploy/migrate.py); one line per existing database that changed. False if one failed (a
    database on a server is `make migrate`'s: a service refuses to start on one behind)."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "migrate.py"), "upgrade",
                          "--sqlite-only"], cwd=ROOT, env=env(), capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        if line.strip() and "up to date" not in line and "empty ->" not in line:
            print(f"migrate   | {line}", flush=True)
    return out.returncode == 0


def cmd_run():
    os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
    lock = take_lock()
    if lock is None:
        print(f"Servis runs already for {DATA_DIR} (supervisor pid {supervisor_pid()}); stop "
              "it with: make down", file=sys.stderr)
        return 1
    if not migrate_embedded():
        print("Servis did not start: a database could not be migrated (above).", file=sys.stderr)
        return 1
    stopping, started = threading.Event(), time.time()
    on_signals(stopping)
    with contextlib.suppress(FileNotFoundError):
        os.remove(STATEFILE)  # a killed supervisor's: this one writes its own
    worker = threading.Thread(target=supervise, args=(
        "run", spawn_to_stdout, supervisor_log(echo=True), stopping))
    worker.start()
    ok, why = wait_healthy(float(os.environ.get("HEALTH_WAIT", "90")),
                           lambda: worker.is_alive() and not stopping.is_set())
    if ok:
        admin_notice(started)
        banner()
        print("Press Ctrl-C to stop.", flush=True)
    elif not stopping.is_set():
        print(f"Servis did not start: {why}", file=sys.stderr)
        stopping.set()
    while worker.is_alive():
        worker.join(0.5)  # wakes for Ctrl-C
    print("Stopped.")
    return 0 if ok else 1


def summary(state):
    return ", ".join(f"{n} {p['state']}" + (f" ({p['restarts']} restarts)" if p["restarts"] else "")
                     for n, p in state.get("processes", {}).items())


def cmd_up():
    started = time.time()
    os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
    pid, spawned = supervisor_pid(), None
    if pid is not None:
        print(f"Already supervised for {DATA_DIR} (supervisor pid {pid}): "
              f"{summary(read_json(STATEFILE)) or 'starting'}.", flush=True)
    else:
        if not migrate_embedded():
            print("Servis did not start: a database could not be migrated (above).",
                  file=sys.stderr)
            return 1
        with contextlib.suppress(FileNotFoundError):
            os.remove(STATEFILE)  # a killed supervisor's: the new one writes its own
        running = orphans()
        if running:
            print(f"Running without a supervisor: {', '.join(running)}; a supervisor takes them "
                  "over and starts the rest.", flush=True)
        with open(os.path.join(LOGDIR, "supervisor.log"), "ab") as log:
            spawned = subprocess.Popen([sys.executable, os.path.abspath(__file__), "supervise"],
                                       cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)

    def supervisor_alive():
        return (spawned is not None and spawned.poll() is None) or supervisor_pid() is not None

    ok, why = wait_healthy(float(os.environ.get("HEALTH_WAIT", "90")), supervisor_alive)
    if not ok:
        print(f"Servis did not become healthy: {why}. Logs: {LOGDIR}", file=sys.stderr)
        if spawned is not None:
            stop_supervisor()
        return 1
    if spawned is not None:
        admin_notice(started)
    banner()
    print(f"Logs: {LOGDIR}. Stop with: make down")
    return 0


def stop_supervisor(limit=45):
    """SIGTERM the supervisor (it stops its processes, SIGKILL after 15 s); True if one ran."""
    pid = supervisor_pid()
    if pid is None or pid <= 0:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + limit
    while supervisor_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if supervisor_pid() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # its processes are left: stopped below, by pid
    return True


def stop_pids(pids, grace=15):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def cmd_down():
    names = list(read_json(STATEFILE).get("processes", {})) or list(read_pids())
    had_supervisor = stop_supervisor()
    left = orphans()  # a supervisor killed earlier (or one that did not stop in time) left these
    stop_pids(list(left.values()))
    for path in (PIDFILE, STATEFILE):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    if not had_supervisor and not left:
        print(f"Nothing started by 'make up' runs for {DATA_DIR}.")
        return 0
    print(f"Stopped: {', '.join(names or left) or 'nothing was running'}.")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "run"
    sys.exit({"run": cmd_run, "up": cmd_up, "down": cmd_down,
              "supervise": cmd_supervise}[cmd]())

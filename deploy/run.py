"""Start, watch and stop the whole system.

  python deploy/run.py run    foreground; Ctrl-C stops every process cleanly
  python deploy/run.py up     detached; returns 0 once /api/v1/health reports every service
                              answering (at most HEALTH_WAIT s, default 90), else non-zero
  python deploy/run.py down   stops what `up` started for this DATA_DIR, nothing else
"""
import contextlib
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

DATA_DIR = os.path.abspath(os.environ.get("DATA_DIR", os.path.join(ROOT, "data")))
PORT = int(os.environ.get("GATEWAY_PORT", "8000"))
PIDFILE = os.path.join(DATA_DIR, "run", "servis.pids.json")
LOGDIR = os.path.join(DATA_DIR, "logs")


def env():
    e = dict(os.environ, DATA_DIR=DATA_DIR, GATEWAY_PORT=str(PORT), PYTHONUNBUFFERED="1",
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


def wait_healthy(procs, limit):
    deadline = time.monotonic() + limit
    answer = None
    while time.monotonic() < deadline:
        dead = [name for name, p in procs if p.poll() is not None]
        if dead:
            return False, f"exited at start-up: {', '.join(dead)}"
        ok, answer = health()
        if ok:
            return True, ""
        time.sleep(0.5)
    if answer is None:
        return False, f"the gateway does not answer on port {PORT}"
    down = [n for n, s in answer.get("services", {}).items() if not s.get("ok")]
    return False, "not answering: " + ", ".join(down)


def stop(procs, grace=15):
    for _, p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for _, p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def admin_notice(started):
    """The generated admin password, printed once: on the start that created it."""
    path = os.path.join(DATA_DIR, "admin_password")
    if os.path.exists(path) and os.path.getmtime(path) >= started - 1:
        with open(path) as f:
            print(f"\nFirst start: user 'admin', password {f.read().strip()} (kept in {path}).",
                  flush=True)


def banner():
    print(f"\nServis is running.\n  Gateway:  http://127.0.0.1:{PORT}/\n"
          f"  API docs: http://127.0.0.1:{PORT}/api/docs\n"
          f"  OpenAPI:  http://127.0.0.1:{PORT}/api/v1/openapi.json\n"
          f"  Data:     {DATA_DIR}\n", flush=True)


def cmd_run():
    procs, started = [], time.time()

    def pump(name, stream):
        for line in iter(stream.readline, b""):
            sys.stdout.write(f"{name:8} | {line.decode(errors='replace')}")
            sys.stdout.flush()

    for name, argv in processes():
        p = subprocess.Popen(argv, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=pump, args=(name, p.stdout), daemon=True).start()
        procs.append((name, p))
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    ok, why = wait_healthy(procs, float(os.environ.get("HEALTH_WAIT", "90")))
    if ok:
        admin_notice(started)
        banner()
        print("Press Ctrl-C to stop.", flush=True)
    else:
        print(f"Servis did not start: {why}", file=sys.stderr)
        stop(procs)
        return 1
    while not stopping.wait(0.5):
        dead = [(n, p.returncode) for n, p in procs if p.poll() is not None]
        if dead:
            print(f"stopped unexpectedly: {dead}; stopping the rest", file=sys.stderr)
            stop(procs)
            return 1
    print("\nStopping…", flush=True)
    stop(procs)
    print("Stopped.")
    return 0


def read_pids():
    try:
        with open(PIDFILE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


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


def ours(pid):
    """The pid still runs one of our processes for this DATA_DIR (pids get reused)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"DATA_DIR={DATA_DIR}".encode() in f.read().split(b"\0")
    except OSError:
        return alive(pid)


def cmd_up():
    """Start what is not running for this DATA_DIR (all of it, or the one process that died)."""
    running = {n: pid for n, pid in read_pids().items() if alive(pid) and ours(pid)}
    missing = [(name, argv) for name, argv in processes() if name not in running]
    if not missing:
        print(f"Already running for {DATA_DIR}: {', '.join(running)}.")
        return 0
    if running:
        print(f"Running: {', '.join(running)}; starting {', '.join(n for n, _ in missing)}.")
    os.makedirs(LOGDIR, mode=0o700, exist_ok=True)
    os.makedirs(os.path.dirname(PIDFILE), exist_ok=True)
    procs, started = [], time.time()
    for name, argv in missing:
        log = open(os.path.join(LOGDIR, f"{name}.log"), "ab")
        p = subprocess.Popen(argv, cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append((name, p))
    with open(PIDFILE, "w") as f:
        json.dump({**running, **{name: p.pid for name, p in procs}}, f)
    ok, why = wait_healthy(procs, float(os.environ.get("HEALTH_WAIT", "90")))
    if not ok:
        print(f"Servis did not become healthy: {why}. Logs: {LOGDIR}", file=sys.stderr)
        stop(procs)
        if running:
            with open(PIDFILE, "w") as f:
                json.dump(running, f)
        else:
            os.remove(PIDFILE)
        return 1
    admin_notice(started)
    banner()
    print(f"Logs: {LOGDIR}. Stop with: make down")
    return 0


def cmd_down():
    pids = read_pids()
    if not pids:
        print(f"Nothing started by 'make up' for {DATA_DIR}.")
        return 0
    mine = [(n, pid) for n, pid in pids.items() if alive(pid) and ours(pid)]
    for _, pid in mine:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    while any(alive(pid) for _, pid in mine) and time.monotonic() < deadline:
        time.sleep(0.2)
    for _, pid in mine:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    os.remove(PIDFILE)
    print(f"Stopped: {', '.join(n for n, _ in mine) or 'nothing was running'}.")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "run"
    sys.exit({"run": cmd_run, "up": cmd_up, "down": cmd_down}[cmd]())

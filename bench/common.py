"""Pieces the benchmarks share: waiting for a condition, and one service under `nameko run`."""
import contextlib
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait_until(predicate, limit, what):
    deadline = time.monotonic() + limit
    while True:
        with contextlib.suppress(Exception):
            if predicate():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {limit:g} s")
        time.sleep(0.2)


def our_processes(data_dir):
    """pids whose environment has DATA_DIR=data_dir (what deploy/run.py started for us)."""
    needle = f"DATA_DIR={data_dir}".encode()
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(pid))
    return pids


@contextlib.contextmanager
def service_process(name, amqp_uri, db_url, data_dir):
    """`services.<name>` as its own process on `amqp_uri` with `<NAME>_DATABASE_URL=db_url`;
    stopped (TERM, then KILL after 20 s) when the block ends."""
    env = {**os.environ, "AMQP_URI": amqp_uri, f"{name.upper()}_DATABASE_URL": db_url,
           "DATA_DIR": data_dir, "PYTHONWARNINGS": "ignore"}
    log = open(os.path.join(data_dir, f"{name}.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config",
                             f"services/{name}/config.yaml", f"services.{name}.service"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()

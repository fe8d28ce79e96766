"""Pieces the benchmarks share: waiting for a condition, one service under `nameko run`, and
the outcome a benchmark records for `make bench-smoke`."""
import contextlib
import json
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


OUTCOME_ENV = "BENCH_OUTCOME"


def record_outcome(bench, backends):
    """The benchmark's last act: {backend: "ran" | "skipped: <why>" | "failed: <why>"} written
    as JSON to the file $BENCH_OUTCOME names (bench/smoke.py sets it; without it, nothing is
    written). "ran" means every step ran to the end on that backend, whatever the figures; a
    benchmark that stops early writes nothing, and bench/smoke.py counts that as a failure."""
    path = os.environ.get(OUTCOME_ENV)
    if path:
        with open(path, "w") as f:
            json.dump({"bench": bench, "backends": backends}, f)

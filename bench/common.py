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


def p95(values):
    """The 95th percentile (nearest rank) of seconds, in milliseconds."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))] * 1000


def each_backend(bench, args, run_backend, log_name):
    """Run `run_backend(backend, args, stack, tmp, result)` for each of --backends (PostgreSQL
    skipped with the reason when none answers), in a temporary folder removed afterwards; a
    backend that fails is reported with the tail of `log_name` there and the next still runs.
    Records the outcome (record_outcome); ({backend: result}, exit status)."""
    import contextlib
    import shutil
    import tempfile
    import traceback
    from services.common.testing import postgres_available
    results, outcome, rc = {}, {}, 0
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"\n== {backend} ==", flush=True)
        if backend == "postgresql":
            ok, why = postgres_available()
            if not ok:
                outcome[backend] = f"skipped: {why}"
                continue
        r = results[backend] = {}
        tmp = tempfile.mkdtemp(prefix=f"servis-bench-{bench}-{backend}-")
        try:
            with contextlib.ExitStack() as stack:
                run_backend(backend, args, stack, tmp, r)
            outcome[backend] = "ran"
        except Exception as exc:  # noqa: B902 - reported, the other backend still runs
            traceback.print_exc()
            r["error"] = f"{type(exc).__name__}: {exc}"
            outcome[backend] = f"failed: {r['error']}"
            rc = 1
            log = os.path.join(tmp, log_name)
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    print(f"  {log_name} (tail):\n{f.read()[-3000:]}", flush=True)
        finally:
            shutil.rmtree(tmp, True)
    record_outcome(bench, outcome)
    return results, rc

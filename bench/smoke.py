#!/usr/bin/env python
"""make bench-smoke: every benchmark in bench/ at a tiny size, to show each still runs to the end.

    .venv/bin/python bench/smoke.py [--jobs 3] [devices gateway forms notify knowledge web]

Each benchmark runs as `make bench` runs it (its own script, its own clean-up), three at a time
(--jobs; much of a benchmark's time at this size is waiting for services to stop, not CPU),
with the sizes in SMOKE below (its own command-line flags; `make bench` uses the defaults), on
SQLite and on PostgreSQL where the benchmark has both (`--backends` picks: `make test` runs
the SQLite half, `make test-slow` the PostgreSQL half, `make bench-smoke` both). A benchmark
passes when it
exits 0 within TIMEOUT and has recorded (bench.common.record_outcome, its last act) that every
backend ran to the end. A PostgreSQL run may be "skipped" only when no PostgreSQL answers at
TEST_POSTGRES_URL (as in `make test`); when one answers, a skip is a failure. The figures at
these sizes mean nothing and are not shown (a benchmark's output is printed, its last lines,
only when it fails); goals are `make bench`'s business. A benchmark file in bench/ that SMOKE
does not name is a failure too: every benchmark is kept runnable.

Exit status: 0 when every benchmark ran to the end, 1 otherwise.
"""
import argparse
import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.common import OUTCOME_ENV  # noqa: E402

# name: (the backends it records, its flags at the smoke size). A few seconds of measuring each;
# most of the wall time is starting and stopping services.
SMOKE = {  # the longest first, so the ones run at once finish together
    # --small stays at 10k: page 5 of a 3-month warranty window needs >200 cards in it (1 s of
    # loading); the database then grows in place to --n, as at full size
    "devices": (("sqlite", "postgresql"), [
        "--small", "10000", "--n", "11000", "--import-rows", "200", "--import-timeout", "60",
        "--lookups", "20", "--pages", "5", "--warmup", "5"]),
    # 2 rounds, so the alternating order of a and b runs too; PostgreSQL with 2 forms replicas
    # (issue 23's reads, creations and raw echo in the same system: no system more)
    "gateway": (("sqlite", "postgresql"), [
        "--forms", "5", "--clients", "4", "--calls-1", "20", "--warmup-1", "5",
        "--calls-n", "5", "--warmup-n", "2", "--rounds", "2", "--settle", "0",
        "--replicas", "2", "--creates-1", "2", "--creates-n", "1", "--warmup-create", "0",
        "--settle-limit", "2"]),
    "forms": (("sqlite", "postgresql"), [
        "--small", "1000", "--n", "1200", "--calls", "3", "--warmup", "2",
        "--warmup-pages", "1", "--revenue-calls", "2", "--revenue-timeout", "20"]),
    "notify": (("sqlite", "postgresql"), ["--n", "30", "--rate", "20", "--seconds", "1"]),
    # the whole system on each backend: most of its time is starting and stopping it
    "web": (("sqlite", "postgresql"), ["--n", "2000", "--calls", "5", "--warmup", "2"]),
    # the search path reads only the index: one backend (see the benchmark's docstring)
    "knowledge": (("sqlite",), ["--n", "500", "--queries", "10"]),
    "contracts": (("sqlite", "postgresql"), [
        "--small", "500", "--n", "1000", "--calls", "3", "--warmup", "1"]),
    "portal": (("sqlite", "postgresql"), [
        "--small-customers", "50", "--customers", "100", "--forms-per-customer", "25",
        "--calls", "3", "--warmup", "1", "--json", ""]),  # no record of smoke figures
    "maintenance": (("sqlite", "postgresql"), [
        "--small", "200", "--n", "400", "--calls", "3", "--warmup", "1"]),
    "documents": (("sqlite", "postgresql"), [
        "--calls", "3", "--warmup", "1", "--report-forms", "30", "--report-calls", "1",
        "--report-warmup", "0"]),
}
BACKENDS = ("sqlite", "postgresql")
# the benchmarks that take --backends (knowledge reads only its index: SQLite alone)
BY_BACKEND = set(SMOKE) - {"knowledge"}
TIMEOUT = 240.0  # one benchmark at the smoke size takes 10-40 s here alone, 20-70 s with others
TAIL = 60  # lines of a failed benchmark's output shown


class Run:
    """One benchmark as a child process, its output in a log file."""

    def __init__(self, name, tmp, backends=BACKENDS):
        self.name = name
        expected, flags = SMOKE[name]
        self.expected = tuple(b for b in expected if b in backends)
        self.flags = [*flags, *(["--backends", ",".join(self.expected)]
                                if name in BY_BACKEND else [])]
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.outcome_path = os.path.join(tmp, f"{name}.outcome.json")
        env = {**os.environ, OUTCOME_ENV: self.outcome_path, "PYTHONUNBUFFERED": "1"}
        self.log = open(self.log_path, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, f"bench/{name}_bench.py", *self.flags],
                                     cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.rc = self.took = None
        self.timed_out = False

    def poll(self):
        """True once it has ended (stopped by us after TIMEOUT)."""
        if self.proc.poll() is None:
            if time.monotonic() - self.started <= TIMEOUT:
                return False
            self.timed_out = True
            self.stop()
        self.rc, self.took = self.proc.returncode, time.monotonic() - self.started
        self.log.close()
        return True

    def stop(self):
        """SIGTERM to the benchmark (each cleans up on it: services, vhosts, databases), then
        SIGKILL to its process group if it has not ended within 60 s."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def outcome(self):
        with contextlib.suppress(OSError, ValueError):
            with open(self.outcome_path) as f:
                return json.load(f)
        return None


def verdict(run, postgres_ok, postgres_why):
    """(ok, what happened on each backend)."""
    if run.timed_out:
        return False, f"did not end within {TIMEOUT:g} s (stopped)"
    rc, outcome = run.rc, run.outcome()
    if outcome is None:
        return False, f"exit status {rc}; it stopped before recording its outcome"
    got = outcome.get("backends", {})
    problems, said = [], []
    for backend in run.expected:
        state = got.get(backend)
        if state is None:
            problems.append(f"{backend}: not run")
        elif state == "ran":
            said.append(f"{backend} ran")
        elif state.startswith("skipped") and backend == "postgresql" and not postgres_ok:
            said.append(f"{backend} skipped ({postgres_why})")
        else:
            problems.append(f"{backend}: {state}")
    if rc != 0:
        problems.append(f"exit status {rc}")
    return not problems, ", ".join(problems or said)


def report(run, postgres_ok, postgres_why):
    ok, what = verdict(run, postgres_ok, postgres_why)
    print(f"  {run.name:<10} {'ok' if ok else 'FAILED':<6} {run.took:5.1f} s  {what}", flush=True)
    if not ok:
        with open(run.log_path, errors="replace") as f:
            lines = f.read().splitlines()
        print(f"  --- bench/{run.name}_bench.py {' '.join(run.flags)}: its last "
              f"{min(TAIL, len(lines))} lines ---", flush=True)
        print("\n".join(f"  | {line}" for line in lines[-TAIL:]), flush=True)
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default: all: "
                                              f"{', '.join(SMOKE)})")
    ap.add_argument("--jobs", type=int, default=3,
                    help="benchmarks run at once (default 3; 1: one after the other)")
    ap.add_argument("--backends", default=",".join(BACKENDS),
                    help="run each benchmark on these only (make test: sqlite; make "
                         "test-slow: postgresql; make bench-smoke: both)")
    args = ap.parse_args(argv)
    backends = tuple(b for b in BACKENDS if b in args.backends.split(","))
    if not backends or set(args.backends.split(",")) - set(BACKENDS):
        ap.error(f"--backends: some of {', '.join(BACKENDS)}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    on_disk = sorted(os.path.basename(p)[:-len("_bench.py")]
                     for p in glob.glob(os.path.join(ROOT, "bench", "*_bench.py")))
    unknown = [n for n in args.names if n not in SMOKE]
    if unknown:
        ap.error(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(SMOKE)})")
    from services.common.testing import postgres_available
    postgres_ok, postgres_why = (postgres_available() if "postgresql" in backends
                                 else (False, "not asked"))
    postgres_why = " ".join(str(postgres_why).split())
    started = time.monotonic()
    print("bench-smoke: every benchmark at a tiny size (figures not shown: they mean nothing "
          "here; `make bench` measures)" + ("" if postgres_ok or "postgresql" not in backends
                                             else f"\nPostgreSQL: skipped ({postgres_why})"),
          flush=True)
    failed = []
    missing = [n for n in on_disk if n not in SMOKE]
    for n in missing:
        print(f"  {n:<10} FAILED  bench/{n}_bench.py is not in bench/smoke.py's SMOKE",
              flush=True)
        failed.append(n)
    queue, running = [n for n in args.names or SMOKE
                      if any(b in backends for b in SMOKE[n][0])], []
    for n in args.names or SMOKE:
        if n not in queue:
            print(f"  {n:<10} not run here: it runs on {', '.join(SMOKE[n][0])} only",
                  flush=True)
    with tempfile.TemporaryDirectory(prefix="servis-bench-smoke-") as tmp:
        try:
            while queue or running:
                while queue and len(running) < max(1, args.jobs):
                    running.append(Run(queue.pop(0), tmp, backends))
                time.sleep(0.2)
                for run in [r for r in running if r.poll()]:
                    running.remove(run)
                    if not report(run, postgres_ok, postgres_why):
                        failed.append(run.name)
        finally:  # Ctrl-C or SIGTERM: every benchmark still running cleans up first
            for run in running:
                with contextlib.suppress(ProcessLookupError):
                    run.proc.terminate()
            for run in running:
                run.stop()
    total = len([n for n in args.names or SMOKE if any(b in backends for b in SMOKE[n][0])]
                ) + len(missing)
    print(f"bench-smoke: {total - len(failed)} of {total} benchmarks ran to the end in "
          f"{time.monotonic() - started:.0f} s" + (f"; FAILED: {', '.join(failed)}"
                                                  if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

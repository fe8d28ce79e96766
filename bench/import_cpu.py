#!/usr/bin/env python
"""The import's CPU per row, in one process, without a broker (docs/benchmarks.md, "Import at
database speed"): the devices bench's Turkish file read with `ImportStream`, staged with
`ImportJobs` and applied by `ImportRunner` in the mode asked, twice (the file, then the same
file again); `time.process_time` of this process, so other sessions' load matters little.

    .venv/bin/python bench/import_cpu.py [--rows 20000] [--mode bulk|rows]
                                         [--backend sqlite|postgresql] [--batch 200]

Not a `make bench` step (no goal of its own): the end-to-end figures are devices_bench.py's.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import time
import warnings
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)

from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.devices_bench import import_csv  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import temporary_postgres_database  # noqa: E402
from services.devices import importer  # noqa: E402
from services.devices.catalogues import seed_catalogue  # noqa: E402
from services.devices.importing import ImportJobs, ImportRunner  # noqa: E402
from services.devices.models import Base, ImportJob  # noqa: E402


def apply(Session, body, mode, batch):
    stream, duplicates = importer.ImportStream([body[i:i + 65536]
                                                for i in range(0, len(body), 65536)]), \
        importer.Duplicates()
    with Session() as s:
        jobs = ImportJobs(s)
        job = jobs.create({"keys": [k for k in stream.keys if k]})
        chunk = []
        for n, cells in stream.rows():
            chunk.append([n, duplicates.mark(n, cells)])
            if len(chunk) == 250:
                jobs.add_rows(job.id, chunk)
                chunk = []
        if chunk:
            jobs.add_rows(job.id, chunk)
        jobs.queue(job)
        s.commit()
        job_id = job.id
    runner = ImportRunner()
    runner.database = SimpleNamespace(Session=Session)
    runner.outbox = SimpleNamespace(wake=lambda: None)
    runner.batch_size, runner.mode = batch, mode
    while runner.step():
        pass
    with Session() as s:
        j = s.get(ImportJob, job_id)
        return j.created, j.updated, j.unchanged, j.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--mode", choices=("bulk", "rows"), default="bulk")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    body, bad = import_csv(args.rows)
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/d.db"
               if args.backend == "sqlite" else
               stack.enter_context(temporary_postgres_database("servis_import_cpu")))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        create_schema(engine, Base.metadata)
        Session = sessionmaker(engine, expire_on_commit=False)
        with Session() as s:
            seed_catalogue(s)
            s.commit()
        for label in ("first import", "the same file again"):
            cpu, wall = time.process_time(), time.perf_counter()
            counts = apply(Session, body, args.mode, args.batch)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(f"{args.backend} {args.mode} batch {args.batch}, {args.rows:,} rows "
                  f"({bad} bad), {label}: {cpu:.1f} s CPU = {cpu / args.rows * 1e6:,.0f} "
                  f"µs/row, {wall:.1f} s wall; created/updated/unchanged/failed {counts}",
                  flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""portal: "my forms" and a form's timeline at 1M forms in the projection across 50k customers.

    .venv/bin/python bench/portal_bench.py [--customers 50000 --small-customers 10000
                                            --forms-per-customer 20
                                            --backends sqlite,postgresql]  (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):

1. A fresh database gets portal's schema (as the service creates it) and the projection is
   bulk-loaded directly with SQLAlchemy Core for --small-customers (10k) customers, each with
   --forms-per-customer (20) forms (200k forms), each form with two timeline entries (its
   opening and a customer-visible move), the forms' last changes spread over two years.
2. The real portal service runs as a subprocess (`nameko run services.portal.service`) on a
   fresh vhost against that database; the client is nameko's standalone ClusterRpcProxy, as a
   customer of a random customer each call. After a warm-up, interleaved, --calls each:
     my forms      `my_forms({"limit": 10}, customer)`: the customer's latest 10 (a phone's
                   page)
     next page     `my_forms({"limit": 10, "cursor": …}, customer)`: the 10 after them
     timeline      `my_form(form_id, customer)`: one of the customer's forms with its entries
3. The projection grows in place to --customers (50k customers, 1M forms, 2M entries),
   PostgreSQL gets an ANALYZE, and step 2 is repeated.

Two times are measured for each call, interleaved in the same round:
  rpc      the RPC's round trip from the client (the service's time plus the broker's and
           nameko's): what the gateway would wait for;
  server   the service's own work for the call: the entrypoint's body (`load` of the query and
           the actor, `PortalQueries` through the customer scope, the dump) run in this
           process on the same database, a session per call as nameko's worker has — the
           server time without the broker, whose share is the same at any size.
Goals (issue 16): each p95 <= 100 ms at 50k customers (1M forms) and within 2x of its p95 at
10k customers (200k forms). The report prints each p95 at both sizes and their ratio, and
--json (default artifacts/bench/portal.json, gitignored) records them with the sizes, the
time and the machine's load average.

Scaling down: when 1M forms will not load on a machine (disk, time), --customers sets the
large size (e.g. --customers 20000: 400k forms) — the ratio is then between the two sizes run,
and the record says which; the goal stays stated for 1M (docs/benchmarks.md records which
was run). Everything started is stopped at the end: the service process, the vhost, the
database.
"""
import argparse
import json
import os
import random
import signal
import sys
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from sqlalchemy import insert, text  # noqa: E402

from bench.common import each_backend, p95, service_process, wait_until  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa
                                     temporary_vhost)
from services.common.schemas import load as load_schema  # noqa: E402
from services.portal.models import Base, TimelineEntry, TimelineForm  # noqa: E402
from services.portal.queries import PortalQueries  # noqa: E402
from services.portal.schemas import Actor, FormsQuery  # noqa: E402

CALL_TIMEOUT = 30
PAGE = 10  # "my forms" a page
GOAL_MS, GOAL_RATIO = 100.0, 2.0
STATUSES = ("IN_REPAIR", "REPAIRED", "DELIVERED", "CLOSED", "AWAITING_APPROVAL")
BRANDS = ("Arçelik", "Daikin", "Bosch", "Vestel", "Mitsubishi")



def form_id(customer, k, per):
    return (customer - 1) * per + k + 1


def load(engine, first, last, per, seed=1):
    """Customers first+1..last, `per` forms each, two entries a form, in chunks."""
    rnd = random.Random(seed + first)
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    chunk = 1000  # customers a transaction
    for lo in range(first, last, chunk):
        forms, entries = [], []
        for c in range(lo + 1, min(last, lo + chunk) + 1):
            for k in range(per):
                fid = form_id(c, k, per)
                opened = now - timedelta(minutes=rnd.randint(60, 2 * 365 * 24 * 60))
                moved = opened + timedelta(minutes=rnd.randint(1, 50 * 60))
                status = STATUSES[fid % len(STATUSES)]
                forms.append(dict(
                    form_id=fid, customer_id=c, number=f"SF-2026-{fid:07d}",
                    language="tr" if c % 5 else "en", status=status, device_id=fid,
                    brand=BRANDS[fid % 5], model="K-24", serial=f"SN-{fid}",
                    complaint="Soğutmuyor, ışık yanıp sönüyor", opened_at=opened,
                    updated_at=moved))
                entries.append(dict(event_id=f"b-{fid}-1", form_id=fid, customer_id=c,
                                    kind="created", status="NEW", at=opened))
                entries.append(dict(event_id=f"b-{fid}-2", form_id=fid, customer_id=c,
                                    kind="status", status=status, at=moved))
        with engine.begin() as conn:
            conn.execute(insert(TimelineForm), forms)
            conn.execute(insert(TimelineEntry), entries)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('timeline_entries', 'id'),"
                              " (SELECT max(id) FROM timeline_entries))"))
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def customer(c):
    return {"id": 100000 + c, "name": f"Müşteri {c}", "email": None, "language": "tr",
            "role": "customer", "customer_id": c}


class InProcess:
    """The portal service's entrypoints' bodies (service.py `my_forms`, `my_form`) in this
    process: the same schemas, queries and dumps on the same database, a session per call
    (nameko's worker gets one and closes it) — the server's time without the broker."""

    def __init__(self, engine):
        from sqlalchemy.orm import sessionmaker
        self.Session = sessionmaker(engine, expire_on_commit=False)

    def my_forms(self, query, actor):
        with self.Session() as session:
            return PortalQueries(session).forms(load_schema(FormsQuery(), query),
                                                load_schema(Actor(), actor))

    def my_form(self, form_id, actor):
        with self.Session() as session:
            return PortalQueries(session).form(form_id, load_schema(Actor(), actor))


CALLS = ("my forms", "next page", "timeline")
KINDS = ("rpc", "server")


def measure(proxy, server, args, customers, rnd):
    """{kind: {call: [seconds]}}: each round one random customer's calls, over RPC and in
    process (`server`), interleaved, so both see the same moment of the machine."""
    per = args.forms_per_customer
    ends = {"rpc": proxy.portal, "server": server}
    out = {kind: {call: [] for call in CALLS} for kind in KINDS}

    def timed(kind, call, method, *call_args):
        t0 = time.perf_counter()
        result = getattr(ends[kind], method)(*call_args)
        out[kind][call].append(time.perf_counter() - t0)
        return result

    for n in range(args.warmup + args.calls):
        c = rnd.randint(1, customers)
        fid = form_id(c, rnd.randrange(per), per)
        for kind in (KINDS if n % 2 else KINDS[::-1]):
            page = timed(kind, "my forms", "my_forms", {"limit": PAGE}, customer(c))
            assert len(page["items"]) == min(PAGE, per), page
            if page["next_cursor"]:
                timed(kind, "next page", "my_forms",
                      {"limit": PAGE, "cursor": page["next_cursor"]}, customer(c))
            form = timed(kind, "timeline", "my_form", fid, customer(c))
            assert len(form["timeline"]) == 2 and form["id"] == fid, form
        if n + 1 == args.warmup:  # the warm-up's times are not kept
            out = {kind: {call: [] for call in CALLS} for kind in KINDS}
    return out


def run_backend(backend, args, stack, tmp, result):
    from nameko.standalone.rpc import ClusterRpcProxy
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'portal.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_portal"))
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    create_schema(engine, Base.metadata)
    per = args.forms_per_customer
    secs = load(engine, 0, args.small_customers, per)
    print(f"  loaded {args.small_customers:,} customers, {args.small_customers * per:,} forms "
          f"in {secs:.1f} s", flush=True)
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    proc = stack.enter_context(service_process("portal", amqp_uri, db_url, tmp))
    proxy_cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
    proxy = proxy_cm.start()
    stack.callback(proxy_cm.stop)
    wait_until(lambda: proc.poll() is None and proxy.portal.ping() == "portal", 90,
               "the portal service answering ping")
    rnd = random.Random(7)
    server = InProcess(engine)
    result["small"] = measure(proxy, server, args, args.small_customers, rnd)
    if args.customers > args.small_customers:
        secs = load(engine, args.small_customers, args.customers, per)
        print(f"  loaded {args.customers - args.small_customers:,} more customers "
              f"({(args.customers - args.small_customers) * per:,} forms) in {secs:.1f} s",
              flush=True)
        result["large"] = measure(proxy, server, args, args.customers, rnd)
    if proc.poll() is not None:
        raise RuntimeError("the portal service died; see its log")


def figures(results, args):
    """{backend: {kind: {call: {p95 at each size, ratio, pass}}}} (or {error}) — what the
    report prints and --json records."""
    per = args.forms_per_customer
    out = {}
    for backend, r in results.items():
        if r.get("error"):
            out[backend] = {"error": r["error"]}
            continue
        out[backend] = {}
        for kind in KINDS:
            rows = out[backend][kind] = {}
            for call in CALLS:
                small = r["small"][kind][call]
                large = r.get("large", r["small"])[kind][call]
                if not small or not large:
                    continue  # no next page at this size
                a, b = p95(small), p95(large)
                rows[call] = {
                    "forms_small": args.small_customers * per, "p95_ms_small": round(a, 2),
                    "forms_large": args.customers * per, "p95_ms_large": round(b, 2),
                    "ratio": round(b / max(a, 0.001), 2), "calls": len(large),
                    "pass": b <= GOAL_MS and b <= GOAL_RATIO * max(a, 1.0)}
    return out


def report(results, args):
    """Print each p95 at both sizes with its ratio; True when every one met the goals."""
    ok = True
    data = figures(results, args)
    for backend, kinds in data.items():
        print(f"\n{backend}:")
        if "error" in kinds:
            print(f"  {kinds['error']}")
            continue
        for kind, rows in kinds.items():
            for call, f in rows.items():
                ok &= f["pass"]
                print(f"  {kind:6} {call:10} p95 {f['p95_ms_small']:6.1f} ms at "
                      f"{f['forms_small']:,} forms, {f['p95_ms_large']:6.1f} ms at "
                      f"{f['forms_large']:,} ({f['ratio']:.2f}x)  "
                      f"{'PASS' if f['pass'] else 'MISS'}", flush=True)
    return ok, data


def record(path, data, args, started):
    """The figures as JSON, with the sizes, when and on what load they were taken."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"bench": "portal", "started": started, "vcpu": os.cpu_count(),
                   "load_average": os.getloadavg(), "customers_small": args.small_customers,
                   "customers_large": args.customers,
                   "forms_per_customer": args.forms_per_customer, "calls": args.calls,
                   "goal": {"p95_ms": GOAL_MS, "ratio": GOAL_RATIO,
                            "at_forms": 1_000_000},
                   "backends": data}, f, indent=2)
    print(f"\nrecorded: {path}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--small-customers", type=int, default=10_000)
    ap.add_argument("--forms-per-customer", type=int, default=20)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--json", default=os.path.join(ROOT, "artifacts", "bench", "portal.json"),
                    help="where the figures are recorded ('' for nowhere)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import nameko.standalone.rpc  # noqa: F401
    started = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
    print(f"portal bench: my forms and the timeline\n{started}; {os.cpu_count()} vCPU; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results, rc = each_backend("portal", args, run_backend, "portal.log")
    _, data = report(results, args)
    record(args.json, data, args, started)
    return rc


if __name__ == "__main__":
    sys.exit(main())

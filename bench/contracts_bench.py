#!/usr/bin/env python
"""contracts: the renewal list and the invoice due/overdue lists at 100,000 contracts.

    .venv/bin/python bench/contracts_bench.py [--n 100000 --small 10000
                                               --backends sqlite,postgresql]  (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):

1. A fresh database gets contracts' schema (as the service creates it) and --small (10k)
   contracts are bulk-loaded directly with SQLAlchemy Core: Turkish customers (N/10), starts
   over four years around today, 12 or 24 months, statuses as the scanner would have left
   them (draft before the start, active, expired after the end, some renewed or cancelled),
   two devices each, and a quarterly invoice schedule (4 installments a year: scheduled,
   invoiced or paid by their due date).
2. The real contracts service runs as a subprocess (`nameko run services.contracts.service`)
   on a fresh vhost against that database; the client is nameko's standalone ClusterRpcProxy.
   After a warm-up, interleaved, --calls each (and a `ping`, the RPC's floor under the same
   load, printed beside the lists):
     renewal list   `renewal_list({"end_from": m, "end_to": m})` for a random month of the
                    coming year, page 1 (50), and the next page by its cursor
     invoices due   `invoice_list({"state": "due", "days": 30})`, page 1 and a cursor page
     overdue        `invoice_list({"state": "overdue"})`, page 1 and a cursor page
3. The database grows to --n (100k) in place, PostgreSQL gets an ANALYZE, and step 2 is
   repeated.

Goals (issue 17): each list's p95 <= 50 ms at 100k and within 2x of its p95 at 10k.
Everything started is stopped at the end: the service process, the vhost, the database.
"""
import argparse
import os
import random
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from sqlalchemy import insert, text  # noqa: E402

from bench.common import each_backend, p95, service_process, wait_until  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa
                                     temporary_vhost)
from services.contracts import domain  # noqa: E402
from services.contracts.models import (Base, Contract, ContractDevice, Installment,  # noqa
                                       NumberSequence)

NAMES = ("Çağlar", "Işık", "Öztürk", "Şahin", "Yılmaz", "Demir", "Ünal", "Gök", "Ak", "Zeytin")
KINDS = ("Soğutma", "Gıda", "Makine", "Tekstil", "Otomotiv")
CALL_TIMEOUT = 30
GOAL_MS, GOAL_RATIO = 50.0, 2.0



def load(engine, first, last, today, seed=1):
    """Contracts first+1..last with their devices and installments, in chunks."""
    rnd = random.Random(seed + first)
    t0 = time.perf_counter()
    chunk = 5000
    for lo in range(first, last, chunk):
        contracts, devices, installments = [], [], []
        for i in range(lo + 1, min(last, lo + chunk) + 1):
            start = today + timedelta(days=rnd.randint(-3 * 365, 365))
            months = rnd.choice((12, 24))
            end = domain.period_end(start, months)
            status = ("draft" if start > today else "expired" if end < today else "active")
            if status == "active" and rnd.random() < 0.05:
                status = "cancelled"
            if status == "expired" and rnd.random() < 0.5:
                status = "renewed"
            total = Decimal(rnd.randint(1000, 90000))
            customer = i % max(1, last // 10) + 1
            name = f"{NAMES[customer % 10]} {KINDS[customer % 5]} {customer}"
            contracts.append(dict(
                id=i, number=f"SZ-{start.year}-{i:06d}", status=status, version=2,
                proposal_id=i, customer_id=customer, customer_name=name, customer_language="tr",
                rep_language="tr", start=start, months=months, end=end, basis="year",
                unit_price=total / 2, currency="TRY", rate=Decimal(1), vat_rate=Decimal(20),
                stamp_duty_rate=Decimal("0.948"), subtotal=total, discount=Decimal(0),
                net=total, vat=total / 5, total=total * Decimal("1.2"), stamp_duty=Decimal(1),
                total_try=total * Decimal("1.2"), pays_labour=True, pays_parts=False,
                pays_fee=True, response_hours=8, repair_hours=24, language="tr",
                renewal_due_on=end - timedelta(days=60), renewal_notified=end < today,
                invoice_frequency="quarterly", created_at=datetime.now(timezone.utc)))
            for d in range(2):
                devices.append(dict(contract_id=i, device_id=2 * i + d, brand="Daikin",
                                    serial=f"SN-{i}-{d}"))
            for seq, (due, amount) in enumerate(domain.installments(
                    total * Decimal("1.2"), start, months, "quarterly"), 1):
                state = "scheduled" if due > today - timedelta(days=30) else (
                    "paid" if rnd.random() < 0.9 else "invoiced")
                installments.append(dict(
                    contract_id=i, customer_id=customer, seq=seq, due_on=due, amount=amount,
                    currency="TRY", status=state, version=1, notified=due <= today,
                    paid=state == "paid",
                    amount_try=amount if state != "scheduled" else None))
        with engine.begin() as conn:
            conn.execute(insert(Contract), contracts)
            conn.execute(insert(ContractDevice), devices)
            conn.execute(insert(Installment), installments)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('contracts', 'id'), "
                              ":n)"), {"n": last})
            conn.execute(text("ANALYZE"))
        conn.execute(text("DELETE FROM number_sequences"))
        conn.execute(insert(NumberSequence), [{"kind": "SZ", "year": today.year,
                                               "last": last}])
    return time.perf_counter() - t0


def measure(proxy, args, today, rnd):
    """{list: {"page1": [seconds], "next": [seconds]}} with the calls interleaved."""
    months = [(today.replace(day=1) + timedelta(days=31 * k)).strftime("%Y-%m")
              for k in range(12)]
    queries = {  # each a new query per call (the renewal list: a random month)
        "renewal list": lambda: {"end_from": (m := rnd.choice(months)), "end_to": m},
        "invoices due": lambda: {"state": "due", "days": 30},
        "overdue": lambda: {"state": "overdue"},
    }
    calls = {"renewal list": proxy.contracts.renewal_list,
             "invoices due": proxy.contracts.invoice_list,
             "overdue": proxy.contracts.invoice_list}
    for _ in range(args.warmup):
        for name, query in queries.items():
            calls[name](query())
    out = {name: {"page1": [], "next": []} for name in queries}
    out["ping"] = {"page1": [], "next": []}  # the RPC's floor under the same load
    for _ in range(args.calls):
        t0 = time.perf_counter()
        proxy.contracts.ping()
        out["ping"]["page1"].append(time.perf_counter() - t0)
        for name, make in queries.items():
            query = make()
            t0 = time.perf_counter()
            page = calls[name](query)
            out[name]["page1"].append(time.perf_counter() - t0)
            if page["next_cursor"]:  # the same query's next page
                t0 = time.perf_counter()
                following = calls[name]({**query, "cursor": page["next_cursor"]})
                out[name]["next"].append(time.perf_counter() - t0)
                if not following["items"]:
                    raise RuntimeError(f"{name}: a next page without items")
    return out


def run_backend(backend, args, stack, tmp, result):
    from nameko.standalone.rpc import ClusterRpcProxy
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'contracts.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_contracts"))
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    create_schema(engine, Base.metadata)
    today = domain.local_date()
    secs = load(engine, 0, args.small, today)
    print(f"  loaded {args.small:,} contracts in {secs:.1f} s", flush=True)
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    proc = stack.enter_context(service_process("contracts", amqp_uri, db_url, tmp))
    proxy_cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
    proxy = proxy_cm.start()
    stack.callback(proxy_cm.stop)
    wait_until(lambda: proc.poll() is None and proxy.contracts.ping() == "contracts", 90,
               "the contracts service answering ping")
    rnd = random.Random(7)
    result["small"] = measure(proxy, args, today, rnd)
    if args.n > args.small:
        secs = load(engine, args.small, args.n, today)
        print(f"  loaded {args.n - args.small:,} more contracts in {secs:.1f} s", flush=True)
        result["large"] = measure(proxy, args, today, rnd)
    if proc.poll() is not None:
        raise RuntimeError("the contracts service died; see its log")


def report(results, args):
    ok = True
    for backend, r in results.items():
        print(f"\n{backend}:")
        if r.get("error"):
            print(f"  {r['error']}")
            continue
        floor = r["small"].pop("ping")["page1"], r.get("large", {}).pop("ping", {}).get(
            "page1")
        print(f"  {'ping (floor)':21} p95 {p95(floor[0]):6.1f} ms at {args.small:,}, "
              f"{p95(floor[1] or floor[0]):6.1f} ms at {args.n:,}", flush=True)
        for name in r["small"]:
            for page in ("page1", "next"):
                small = r["small"][name][page]
                large = r.get("large", r["small"])[name][page]
                if not small or not large:
                    print(f"  {name:14} {page:6} (no such page)")
                    continue
                a, b = p95(small), p95(large)
                good = b <= GOAL_MS and b <= GOAL_RATIO * max(a, 1.0)
                ok &= good
                print(f"  {name:14} {page:6} p95 {a:6.1f} ms at {args.small:,}, {b:6.1f} ms at "
                      f"{args.n:,} ({b / max(a, 0.001):.2f}x)  {'PASS' if good else 'MISS'}",
                      flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import nameko.standalone.rpc  # noqa: F401
    print(f"contracts bench: renewal and invoice lists\n"
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC; {os.cpu_count()} vCPU",
          flush=True)
    results, rc = each_backend("contracts", args, run_backend, "contracts.log")
    report(results, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())

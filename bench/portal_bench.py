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

The time measured is the RPC's round trip from the client (the service's time plus the
broker's): what the gateway would wait for. Goals (issue 16): each p95 <= 100 ms at 50k
customers (1M forms) and within 2x of its p95 at 10k. Everything started is stopped at the
end: the service process, the vhost, the database.
"""
import argparse
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
from services.portal.models import Base, TimelineEntry, TimelineForm  # noqa: E402

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


def measure(proxy, args, customers, rnd):
    """{call: [seconds]} with the calls interleaved, each as a random customer."""
    per = args.forms_per_customer

    def mine():
        c = rnd.randint(1, customers)
        return proxy.portal.my_forms({"limit": PAGE}, customer(c)), c

    for _ in range(args.warmup):
        page, c = mine()
        proxy.portal.my_form(page["items"][0]["id"], customer(c))
    out = {"my forms": [], "next page": [], "timeline": []}
    for _ in range(args.calls):
        t0 = time.perf_counter()
        page, c = mine()
        out["my forms"].append(time.perf_counter() - t0)
        assert len(page["items"]) == min(PAGE, per), page
        if page["next_cursor"]:
            t0 = time.perf_counter()
            proxy.portal.my_forms({"limit": PAGE, "cursor": page["next_cursor"]},
                                  customer(c))
            out["next page"].append(time.perf_counter() - t0)
        fid = form_id(c, rnd.randrange(per), per)
        t0 = time.perf_counter()
        form = proxy.portal.my_form(fid, customer(c))
        out["timeline"].append(time.perf_counter() - t0)
        assert len(form["timeline"]) == 2, form
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
    result["small"] = measure(proxy, args, args.small_customers, rnd)
    if args.customers > args.small_customers:
        secs = load(engine, args.small_customers, args.customers, per)
        print(f"  loaded {args.customers - args.small_customers:,} more customers "
              f"({(args.customers - args.small_customers) * per:,} forms) in {secs:.1f} s",
              flush=True)
        result["large"] = measure(proxy, args, args.customers, rnd)
    if proc.poll() is not None:
        raise RuntimeError("the portal service died; see its log")


def report(results, args):
    ok = True
    per = args.forms_per_customer
    for backend, r in results.items():
        print(f"\n{backend}:")
        if r.get("error"):
            print(f"  {r['error']}")
            continue
        for name in r["small"]:
            small, large = r["small"][name], r.get("large", r["small"])[name]
            if not small or not large:
                print(f"  {name:10} (no such page)")
                continue
            a, b = p95(small), p95(large)
            good = b <= GOAL_MS and b <= GOAL_RATIO * max(a, 1.0)
            ok &= good
            print(f"  {name:10} p95 {a:6.1f} ms at {args.small_customers * per:,} forms, "
                  f"{b:6.1f} ms at {args.customers * per:,} ({b / max(a, 0.001):.2f}x)  "
                  f"{'PASS' if good else 'MISS'}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--small-customers", type=int, default=10_000)
    ap.add_argument("--forms-per-customer", type=int, default=20)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import nameko.standalone.rpc  # noqa: F401
    print(f"portal bench: my forms and the timeline\n"
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC; {os.cpu_count()} vCPU",
          flush=True)
    results, rc = each_backend("portal", args, run_backend, "portal.log")
    report(results, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())

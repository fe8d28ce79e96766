#!/usr/bin/env python
"""contracts' periodic maintenance: the due and overdue visit lists at 100,000 plans / 1,000,000
visits, and the daily scheduler pass over 100,000 plans.

    .venv/bin/python bench/maintenance_bench.py [--n 100000 --small 10000 --visits 10
                                                 --backends sqlite,postgresql]  (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):

1. A fresh database gets contracts' schema and --small (10k) plans are bulk-loaded with
   SQLAlchemy Core: a contract per two plans (active, two devices), a team of two per plan, and
   --visits (10) visits per plan, a quarter apart around today: the past ones done (a few
   skipped, ~3 % left open past their window: overdue), the ones whose day has come within the
   window due, the later ones planned; one visit in 90 falls on today (due and unsent: the day's
   pass has work) and one in 90 is reminded today.
2. The real contracts service runs as a subprocess (`nameko run services.contracts.service`)
   on a fresh vhost against that database. After a warm-up, interleaved, --calls each:
     due       `list_maintenance_visits({"state": "due"})`, page 1 (50) and a cursor page
     overdue   `list_maintenance_visits({"state": "overdue"})`, page 1 and a cursor page
3. The database grows to --n (100k plans, 1M visits) in place (PostgreSQL: ANALYZE), step 2
   is repeated, then the day's scheduler pass: the raw SQL that selects the due visits (timed
   alone, best of 3), then `scan_maintenance()` — the scanner's own selection plus firing every
   due visit (the reminder, the visit due with its event in the outbox) — timed once.

Goals (issue 18): each list's p95 <= 50 ms at 100k plans and within 2x of its p95 at 10k; the
pass <= 60 s and its selection <= 2x the raw SQL's (the selection is timed as the pass runs
it: the ORM's WHERE clause, `Maintenance.due`, executed on its own).
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

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import each_backend, p95, service_process, wait_until  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa
                                     temporary_vhost)
from services.contracts import domain  # noqa: E402
from services.contracts.maintenance import Maintenance  # noqa: E402
from services.contracts.models import (Base, Contract, ContractDevice,  # noqa: E402
                                       MaintenancePlan, MaintenanceTeamMember,
                                       MaintenanceVisit)

CALL_TIMEOUT = 120
GOAL_MS, GOAL_RATIO, PASS_GOAL_S = 50.0, 2.0, 60.0
RAW_DUE = text(  # the due visits of `today`, as a person would write it
    "SELECT v.id FROM maintenance_visits v JOIN contracts c ON c.id = v.contract_id "
    "WHERE c.status = 'active' AND ((v.status = 'planned' AND NOT v.reminded "
    "AND v.remind_on <= :today) OR (v.status IN ('planned', 'due') AND v.scheduled_on <= :today "
    "AND v.dispatched_attempt < v.attempt))")



def load(engine, first, last, visits, today, seed=1):
    """Plans first+1..last (a contract per two plans) with their team and visits, in chunks."""
    rnd = random.Random(seed + first)
    t0 = time.perf_counter()
    chunk = 2000
    for lo in range(first, last, chunk):
        contracts, devices, plans, team, rows = [], [], [], [], []
        for i in range(lo + 1, min(last, lo + chunk) + 1):
            cid = (i + 1) // 2
            start = today - timedelta(days=2 * 365)
            end = today + timedelta(days=2 * 365)
            if i % 2 == 1:
                contracts.append(dict(
                    id=cid, number=f"SZ-2026-{cid:07d}", status="active", version=2,
                    proposal_id=cid, customer_id=cid % max(1, last // 20) + 1,
                    customer_name=f"Müşteri {cid}", customer_language="tr",
                    rep_language="tr", start=start, months=48, end=end, basis="year",
                    unit_price=Decimal(1000), currency="TRY", rate=Decimal(1),
                    vat_rate=Decimal(20), stamp_duty_rate=Decimal("0.948"),
                    subtotal=Decimal(1000), discount=Decimal(0), net=Decimal(1000),
                    vat=Decimal(200), total=Decimal(1200), stamp_duty=Decimal(9),
                    total_try=Decimal(1200), pays_labour=True, pays_parts=False, pays_fee=True,
                    language="tr", renewal_due_on=end - timedelta(days=60),
                    renewal_notified=False, created_at=datetime.now(timezone.utc)))
            devices.append(dict(contract_id=cid, device_id=i, brand="Canon", serial=f"MX-{i}"))
            plans.append(dict(id=i, contract_id=cid, customer_id=cid % max(1, last // 20) + 1,
                              device_id=i, rrule="FREQ=MONTHLY;INTERVAL=3", first_on=start,
                              window_days=7, lead_days=7, avoid_holidays=False,
                              status="active", version=1,
                              created_at=datetime.now(timezone.utc)))
            for u in (1 + i % 40, 41 + i % 40):
                team.append(dict(plan_id=i, user_id=u, name=f"Teknisyen {u}",
                                 email=f"t{u}@servis.local", language="tr"))
            offset = rnd.randint(-89, 0)  # this plan's phase: one visit in 90 lands on today
            for seq in range(visits):
                day = today + timedelta(days=offset + 91 * (seq - visits // 2))
                window_end = day + timedelta(days=6)
                if window_end < today:
                    r = rnd.random()
                    status = "done" if r < 0.95 else "skipped" if r < 0.97 else "due"
                elif day <= today:
                    status = "due" if day < today else "planned"
                else:
                    status = "planned"
                sent = status in ("done", "skipped", "due")
                rows.append(dict(
                    plan_id=i, contract_id=cid, customer_id=cid % max(1, last // 20) + 1,
                    device_id=i, seq=seq + 1, planned_on=day, scheduled_on=day,
                    window_end=window_end, remind_on=day - timedelta(days=7),
                    is_open=status in ("planned", "due"),
                    reminded=sent or day - timedelta(days=7) < today, status=status, attempt=1,
                    dispatched_attempt=1 if sent else 0, version=1,
                    done_on=window_end if status == "done" else None))
        with engine.begin() as conn:
            if contracts:
                conn.execute(insert(Contract), contracts)
            conn.execute(insert(ContractDevice), devices)
            conn.execute(insert(MaintenancePlan), plans)
            conn.execute(insert(MaintenanceTeamMember), team)
            conn.execute(insert(MaintenanceVisit), rows)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("contracts", "maintenance_plans"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  ":n)"), {"n": last})
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":  # the bulk load's WAL folded in, as days of use would
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return time.perf_counter() - t0


def measure(proxy, args):
    """{list: {"page1": [seconds], "next": [seconds]}} with the calls interleaved."""
    queries = {"due": {"state": "due"}, "overdue": {"state": "overdue"}}
    for _ in range(args.warmup):
        for q in queries.values():
            proxy.contracts.list_maintenance_visits(q)
    out = {name: {"page1": [], "next": []} for name in queries}
    for _ in range(args.calls):
        for name, q in queries.items():
            t0 = time.perf_counter()
            page = proxy.contracts.list_maintenance_visits(q)
            out[name]["page1"].append(time.perf_counter() - t0)
            if page["next_cursor"]:
                t0 = time.perf_counter()
                proxy.contracts.list_maintenance_visits({**q, "cursor": page["next_cursor"]})
                out[name]["next"].append(time.perf_counter() - t0)
    return out


def scheduler_pass(engine, proxy, today):
    """(raw SQL s, the scanner's selection s, rows, the whole pass s, visits fired)."""
    raw = []
    for _ in range(3):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            n = len(conn.execute(RAW_DUE, {"today": today}).all())
        raw.append(time.perf_counter() - t0)
    ours = []
    for _ in range(3):
        t0 = time.perf_counter()
        with Session(engine) as s:
            mine = len(s.scalars(select(MaintenanceVisit.id).where(
                Maintenance.due(today))).all())
        ours.append(time.perf_counter() - t0)
    assert mine == n, (mine, n)
    t0 = time.perf_counter()
    fired = proxy.contracts.scan_maintenance({"today": today.isoformat()})["visits"]
    return min(raw), min(ours), n, time.perf_counter() - t0, len(fired)


def run_backend(backend, args, stack, tmp, result):
    from nameko.standalone.rpc import ClusterRpcProxy
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'contracts.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_maintenance"))
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    create_schema(engine, Base.metadata)
    today = domain.local_date()
    secs = load(engine, 0, args.small, args.visits, today)
    print(f"  loaded {args.small:,} plans ({args.small * args.visits:,} visits) in "
          f"{secs:.1f} s", flush=True)
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    # the scanner of its own is slowed down: the pass is timed as one call
    os.environ["CONTRACT_SCAN_SECONDS"] = "100000"
    proc = stack.enter_context(service_process("contracts", amqp_uri, db_url, tmp))
    proxy_cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
    proxy = proxy_cm.start()
    stack.callback(proxy_cm.stop)
    wait_until(lambda: proc.poll() is None and proxy.contracts.ping() == "contracts", 90,
               "the contracts service answering ping")
    result["small"] = measure(proxy, args)
    if args.n > args.small:
        secs = load(engine, args.small, args.n, args.visits, today)
        print(f"  loaded {args.n - args.small:,} more plans in {secs:.1f} s", flush=True)
        result["large"] = measure(proxy, args)
    result["pass"] = scheduler_pass(engine, proxy, today)
    if proc.poll() is not None:
        raise RuntimeError("the contracts service died; see its log")


def report(results, args):
    ok = True
    for backend, r in results.items():
        print(f"\n{backend}:")
        if r.get("error"):
            print(f"  {r['error']}")
            continue
        for name in r["small"]:
            for page in ("page1", "next"):
                small = r["small"][name][page]
                large = r.get("large", r["small"])[name][page]
                if not small or not large:
                    print(f"  {name:8} {page:6} (no such page)")
                    continue
                a, b = p95(small), p95(large)
                good = b <= GOAL_MS and b <= GOAL_RATIO * max(a, 1.0)
                ok &= good
                print(f"  {name:8} {page:6} p95 {a:6.1f} ms at {args.small:,} plans, {b:6.1f} "
                      f"ms at {args.n:,} ({b / max(a, 0.001):.2f}x)  "
                      f"{'PASS' if good else 'MISS'}", flush=True)
        raw, ours, n, whole, fired = r["pass"]
        good = whole <= PASS_GOAL_S and ours <= GOAL_RATIO * max(raw, 0.001)
        ok &= good
        print(f"  the day's pass over {args.n:,} plans: {n:,} visits due; raw SQL "
              f"{raw * 1000:.1f} ms, the scanner's selection {ours * 1000:.1f} ms "
              f"({ours / max(raw, 0.000001):.2f}x); the whole pass {whole:.1f} s firing "
              f"{fired:,}  {'PASS' if good else 'MISS'}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--visits", type=int, default=10)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import nameko.standalone.rpc  # noqa: F401
    print(f"maintenance bench: due and overdue visits, the day's pass\n"
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC; {os.cpu_count()} vCPU",
          flush=True)
    results, rc = each_backend("maintenance", args, run_backend, "contracts.log")
    report(results, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())

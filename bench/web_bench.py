#!/usr/bin/env python
"""The staff console's pages at 1,000,000 forms: the dashboard, a form's page and the forms list
against the same API calls, in the same run.

    .venv/bin/python bench/web_bench.py [--n 1000000 --calls 200 --backends sqlite,postgresql]
                                                                            (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):
1. forms' database (a SQLite file / a temporary PostgreSQL database) gets forms' schema and --n
   forms bulk-loaded with bench/forms_bench.py's Loader (Turkish customers, every status, ~60%
   delivered with their technicians, work logs and totals); PostgreSQL gets an ANALYZE.
2. The whole system starts as a user starts it (`deploy/run.py up`: its own vhost, DATA_DIR and
   port, FORMS_DATABASE_URL at that database; the other services on fresh SQLite files).
3. A manager and a technician sign in twice each: on the page (the session cookie) and for a bearer token. Each
   timed round, in alternating order:
     dashboard   GET /  (the manager's: unassigned, reopened, final-check queue) against the
                 same three GET /api/v1/forms calls the page makes, one after the other; and
                 the technician's (my open forms: one call; the loaded forms of the first
                 technician are given to the account that signs in)
     form page   GET /forms/{id} for a random form against GET /api/v1/forms/{id},
                 /forms/{id}/history?limit=50, /catalogues/fault-types and
                 /users/staff?role=technician&role=manager (what the page asks)
     forms list  GET /forms?sort=…&limit=25 — every sort (ascending and descending) in turn,
                 the first page and a page 1,000 rows deep (its cursor found beforehand) —
                 against GET /api/v1/forms with the same query (issue 15)
   Times are client round trips on 127.0.0.1 (requests, a kept-alive connection), so both
   sides carry the same HTTP cost. The parts a form's page loads after it (e-mails, documents,
   solutions and suggestions: three htmx requests) are timed too, without a goal.

Goals (issues 14 and 15): p95 of each page <= 100 ms with 1M forms, and <= 1.5x the p95 of the same
API calls in the same run.

Everything started is stopped at the end, on errors and on Ctrl-C/SIGTERM too.
"""
import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from sqlalchemy import text  # noqa: E402

from bench.common import record_outcome  # noqa: E402
from bench.forms_bench import Loader, machine  # noqa: E402
from bench.gateway_bench import start_system, stop_system  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import (free_port, postgres_available,  # noqa: E402
                                     temporary_postgres_database, temporary_vhost)
from services.forms.models import Base  # noqa: E402

GOAL_P95_MS = 100.0
GOAL_RATIO = 1.5
PASSWORD = "bench-Şifre-1234"
DASHBOARD_API = {  # what each role's dashboard asks
    "manager": ("/api/v1/forms?status=NEW&sort=-status&limit=10",
                "/api/v1/forms?status=REOPENED&sort=-status&limit=10",
                "/api/v1/forms?status=FINAL_CHECK&sort=status&limit=10"),
    "technician": ("/api/v1/forms?state=open&technician={me}&limit=10",)}
TECH_ID = 3  # the technician's account (admin 1, manager 2): given the loaded assignments of
LOADED_TECH = 1001  # bench/forms_bench.py's first technician
FORM_API = ("/api/v1/forms/{id}", "/api/v1/forms/{id}/history?limit=50",
            "/api/v1/catalogues/fault-types", "/api/v1/users/staff?role=technician&role=manager")
FORM_PARTS = ("/forms/{id}/emails", "/forms/{id}/documents", "/forms/{id}/knowledge")
# the forms list (issue 15): every sort, the first page and a deep one (a cursor DEEP rows in),
# the page against the one API call it shows (the page also asks the filters' catalogues)
SORTS = tuple(s for key in ("number", "customer", "status", "device_type", "fault_type",
                            "opened", "delivered", "closed") for s in (key, "-" + key))
LIST_LIMIT = 25
DEEP = 1000


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def get(session, url, expect=200):
    r = session.get(url, timeout=60)
    if r.status_code != expect:
        raise RuntimeError(f"GET {url}: HTTP {r.status_code} {r.text[:300]}")
    return r


def timed(session, urls):
    t0 = time.perf_counter()
    for url in urls:
        get(session, url)
    return (time.perf_counter() - t0) * 1000


def sign_in(base, username, password):
    import requests
    page, api = requests.Session(), requests.Session()
    first = get(page, base + "/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
    r = page.post(base + "/signin", data={"username": username, "password": password,
                                          "csrf_token": token}, allow_redirects=False)
    if r.status_code != 303:
        raise RuntimeError(f"sign-in on the page: HTTP {r.status_code}")
    r = api.post(base + "/api/v1/auth/token", json={"username": username, "password": password})
    api.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return page, api


def deep_cursors(base, api):
    """{sort: the cursor DEEP rows into the list sorted so} (None where the list is shorter)."""
    out = {}
    for sort in SORTS:
        cursor, seen = None, 0
        while seen < DEEP:
            url = f"{base}/api/v1/forms?sort={sort}&limit=500" + (
                f"&cursor={cursor}" if cursor else "")
            answer = get(api, url).json()
            seen += len(answer["items"])
            cursor = answer["next_cursor"]
            if not cursor:
                break
        out[sort] = cursor
    return out


def list_urls(i, deep):
    """The i-th round's list: the sorts in turn, a first page and a deep page alternately."""
    from urllib.parse import quote
    sort = SORTS[(i // 2) % len(SORTS)]
    query = f"sort={sort}&limit={LIST_LIMIT}"
    if i % 2 and deep.get(sort):
        query += "&cursor=" + quote(deep[sort])
    return "/forms?" + query, "/api/v1/forms?" + query


def measure(base, people, n, args):
    rnd = random.Random(14)
    ids = [rnd.randrange(1, n + 1) for _ in range(args.calls + args.warmup)]
    out = {"dashboard": ([], []), "dashboard-technician": ([], []), "form": ([], []),
           "list": ([], []), "parts": []}
    (page, api), (t_page, t_api) = people["manager"], people["technician"]
    deep = deep_cursors(base, api)
    for i, fid in enumerate(ids):
        list_page, list_api = list_urls(i, deep)
        rounds = [("dashboard", page, ["/"], api, DASHBOARD_API["manager"]),
                  ("dashboard-technician", t_page, ["/"], t_api,
                   [u.format(me=TECH_ID) for u in DASHBOARD_API["technician"]]),
                  ("form", page, [f"/forms/{fid}"], api, [u.format(id=fid) for u in FORM_API]),
                  ("list", page, [list_page], api, [list_api])]
        for name, p_session, p_urls, a_session, a_urls in rounds:
            order = ((p_session, p_urls, 0), (a_session, a_urls, 1))
            for session, urls, side in (order if i % 2 else order[::-1]):
                ms = timed(session, [base + u for u in urls])
                if i >= args.warmup:
                    out[name][side].append(ms)
        ms = timed(page, [base + u.format(id=fid) for u in FORM_PARTS])
        if i >= args.warmup:
            out["parts"].append(ms)
    return out


def run_backend(backend, args, stack, tmp):
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'forms-bench.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_web"))
    engine = make_engine(db_url)
    create_schema(engine, Base.metadata)
    secs, counts = Loader(engine).load(0, args.n)
    print(f"  loaded {counts['forms']:,} forms, {counts['assignments']:,} assignments, "
          f"{counts['work_logs']:,} work logs in {secs:.1f} s", flush=True)
    with engine.begin() as conn:  # the technician who signs in has the first one's forms
        conn.execute(text("UPDATE assignments SET user_id = :me WHERE user_id = :loaded"),
                     {"me": TECH_ID, "loaded": LOADED_TECH})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench-web"))
    data_dir = os.path.join(tmp, "data")
    os.makedirs(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(AMQP_URI=amqp_uri, DATA_DIR=data_dir, GATEWAY_PORT=str(free_port()),
               ADMIN_PASSWORD=PASSWORD, FORMS_DATABASE_URL=db_url, RPC_TIMEOUT="30")
    env.pop("SMTP_URL", None)
    stack.callback(stop_system, env, data_dir)
    start_system(env, data_dir)
    base = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
    _, admin = sign_in(base, "admin", PASSWORD)
    people = {}
    for username, role, name in (("mudur", "manager", "Mehmet Müdür"),
                                 ("tekno", "technician", "Tülay Teknisyen")):
        r = admin.post(base + "/api/v1/users", json={
            "username": username, "password": PASSWORD, "role": role, "name": name})
        if r.status_code != 201:
            raise RuntimeError(f"creating the {role}: HTTP {r.status_code} {r.text[:300]}")
        if role == "technician" and r.json()["id"] != TECH_ID:
            raise RuntimeError(f"the technician is account {r.json()['id']}, not {TECH_ID}")
        people[role] = sign_in(base, username, PASSWORD)
    try:
        return measure(base, people, args.n, args)
    finally:
        for session in [admin] + [s for pair in people.values() for s in pair]:
            session.close()


def report(results, args):
    print(f"\n== results: {args.n:,} forms, {args.calls} rounds each (p50 / p95 ms) ==")
    verdicts = []
    for backend, r in results.items():
        if "error" in r:
            print(f"{backend}: {r['error']}")
            continue
        for name, label in (("dashboard", "dashboard  GET / (manager)"),
                            ("dashboard-technician", "dashboard  GET / (technician)"),
                            ("form", "form page  GET /forms/{id}"),
                            ("list", "forms list GET /forms?sort=…")):
            page_ms, api_ms = r[name]
            p95, a95 = pct(page_ms, 95), pct(api_ms, 95)
            ratio = p95 / a95 if a95 else float("inf")
            ok = p95 <= GOAL_P95_MS and ratio <= GOAL_RATIO
            verdicts.append(ok)
            print(f"{backend:10} {label:30} page {pct(page_ms, 50):6.1f} / {p95:6.1f}   "
                  f"same API calls {pct(api_ms, 50):6.1f} / {a95:6.1f}   ratio p95 {ratio:4.2f}"
                  f"   {'PASS' if ok else 'MISS'}")
        parts = r["parts"]
        print(f"{backend:10} {'parts loaded after a form':30} {pct(parts, 50):6.1f} / "
              f"{pct(parts, 95):6.1f}   (e-mails, documents, solutions: 3 requests; no goal)")
    print(f"goals: p95 <= {GOAL_P95_MS:g} ms and <= {GOAL_RATIO:g}x the same API calls' p95")
    return verdicts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="forms in the database")
    ap.add_argument("--calls", type=int, default=200, help="timed rounds per page")
    ap.add_argument("--warmup", type=int, default=20, help="rounds not timed")
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    started = datetime.now(timezone.utc)
    print(f"web bench: the console's pages against the same API calls\n"
          f"{started:%Y-%m-%d %H:%M:%S} UTC; {machine()}", flush=True)
    results, outcome = {}, {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"\n== {backend} ==", flush=True)
        if backend == "postgresql":
            ok, why = postgres_available()
            if not ok:
                results[backend] = {"error": f"skipped: {why}"}
                outcome[backend] = f"skipped: {why}"
                continue
        tmp = tempfile.mkdtemp(prefix=f"servis-bench-web-{backend}-")
        try:
            with contextlib.ExitStack() as stack:
                results[backend] = run_backend(backend, args, stack, tmp)
            outcome[backend] = "ran"
        except Exception as exc:  # noqa: B902 - reported; the other backend still runs
            import traceback
            traceback.print_exc()
            results[backend] = {"error": f"{type(exc).__name__}: {exc}"}
            outcome[backend] = f"failed: {type(exc).__name__}: {exc}"[:500]
        finally:
            shutil.rmtree(tmp, True)
    report(results, args)
    record_outcome("web", outcome)
    return 0 if all(o == "ran" or o.startswith("skipped") for o in outcome.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

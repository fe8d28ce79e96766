#!/usr/bin/env python
"""forms: list pages per sort key and the revenue report at 1,000,000 forms.

    .venv/bin/python bench/forms_bench.py [--n 1000000 --small 10000
                                           --backends sqlite,postgresql]   (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):

1. A fresh database (a temporary SQLite file / `temporary_postgres_database`) gets forms' schema
   (`create_schema(make_engine(url), Base.metadata)`, as the service creates it) and --small
   (10k) forms are bulk-loaded DIRECTLY with SQLAlchemy Core executemany in chunks of 10k:
   Turkish customers (N/20; `customer_name_sort` = `text.sort_key`), statuses over the whole
   lifecycle (`status_rank` as the service sets it), device-type and fault-type codes, a
   complaint and its `fold`, `created_at` over 3 years; ~60% delivered (`delivered_at`,
   `delivered_on` / `delivered_month` in Europe/Istanbul) with labour (from work logs), parts,
   service fee, coverage, discount and VAT computed like `domain.totals`; ~40% closed
   (`closed_at`); 1-2 technicians per delivered form with their assignments and work logs (so
   group_by=technician has data), one assignee for forms in progress; numbers SF-YYYY-NNNNNN per
   year and the matching `number_sequences` rows. The load is timed.
2. The real forms service runs as a subprocess (`nameko run services.forms.service`) on a fresh
   vhost against that database; the client is nameko's standalone ClusterRpcProxy (one, in the
   main thread, no eventlet). After a warm-up:
     floor         `forms.ping()`
     list page 1   `list_forms({"sort": s, "limit": 50})` for each of the 16 sorts (8 keys,
                   ascending and descending)
     list cursor   the same with a cursor taken at a random position of that order (a random
                   form's key and id, encoded as the service encodes its cursors): a deep page
     revenue       `revenue({"group_by": g, "from": "2025-01-01", "to": "2025-12-31"})` for the
                   five group_bys, interleaved with the same GROUP BY written as raw SQL and
                   run through SQLAlchemy Core in this process on the same database
   Page 1 and the cursor page of one sort are interleaved, and so are the RPC and the raw SQL
   of one group_by, so both see the machine in the same state. Each sort's first page and one
   cursor page are checked against the same ORDER BY in raw SQL; each report's totals against
   the raw SQL's.
3. The database is grown to --n (1M) in place (the service keeps running), PostgreSQL gets an
   ANALYZE (what autovacuum would do after such a load; SQLite gets none: the service never
   runs ANALYZE), and step 2 is repeated.
4. Diagnosis at 1M: the service's own SQL of every list query (captured by running forms'
   query layer, `FormQueries.list` as the `list_forms` RPC calls it, in this process on a
   plain Session) is EXPLAINed (PostgreSQL: EXPLAIN ANALYZE) and timed without the RPC, and
   each cursor page also with its condition written the other way (a row value `(key, id) >
   (:v, :id)` against `key > :v OR (key = :v AND id > :id)`). The revenue GROUP BYs are
   EXPLAINed, and a rewrite of the technician split that ranks after the join (same result,
   checked) is timed beside it. A report whose raw SQL does not finish within
   --revenue-timeout (60 s) is recorded as such and not asked of the service (it would hold
   the service's one SQLite connection as long).

Goals (issue): list page p95 <= 50 ms for every sort key and p95 at 1M within 2x of p95 at
10k; revenue report per group_by <= 1.5x the same GROUP BY as raw SQL (p50 and p95 shown; the
verdict uses p50, the p95 ratio is given beside it).

Everything started is stopped at the end, on errors and on Ctrl-C/SIGTERM too: the service
process, the vhost, the temporary database and directory.
"""
import argparse
import contextlib
import math
import os
import platform
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message=r".*Decimal objects natively.*")

from sqlalchemy import bindparam, event, insert, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import record_outcome, service_process, wait_until  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.schemas import encode_cursor  # noqa: E402
from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa: E402
                                     temporary_vhost)
from services.common.text import fold, sort_key  # noqa: E402
from services.forms import domain  # noqa: E402
from services.forms.models import Assignment, Base, Form, NumberSequence, WorkLog  # noqa: E402

GOAL_PAGE_P95_MS = 50.0
GOAL_PAGE_RATIO = 2.0
GOAL_REVENUE_RATIO = 1.5
CHUNK = 10_000
CALL_TIMEOUT = 120.0
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=3 * 365)
T0 = NOW - SPAN
WINDOW = ("2025-01-01", "2025-12-31")
STATUS_RANK = {s: i for i, s in enumerate(domain.STATUSES, start=1)}  # as the service's
SORT_KEYS = ("number", "customer", "status", "device_type", "fault_type", "opened", "delivered",
             "closed")
SORT_COLUMN = {"number": "number", "customer": "customer_name_sort", "status": "status_rank",
               "device_type": "device_type_key", "fault_type": "fault_type_key",
               "opened": "created_at", "delivered": "delivered_at", "closed": "closed_at"}
GROUPS = ("day", "month", "customer", "device_type", "technician")

# -- realistic data ----------------------------------------------------------------------------

FIRST = ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
         "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt",
         "Özkan", "Şimşek", "Işık", "Güneş", "Çağlar", "Ünal", "Erdoğan", "İnce", "Bulut",
         "Ağaoğlu", "Uğurlu", "Ilgaz"]
TRADE = ["Soğutma", "Makine", "Otelcilik", "Gıda", "Tekstil", "İnşaat", "Eczacılık",
         "Lojistik", "Turizm", "Elektronik", "Mühendislik", "Sağlık Hizmetleri", "Mobilya",
         "Çay Ocağı", "Ölçü Aletleri"]
SUFFIX = ["Ltd. Şti.", "A.Ş.", "San. ve Tic. A.Ş.", "Tic. Ltd. Şti."]
PERSON = ["Ahmet", "Mehmet", "Ayşe", "Fatma", "Şükrü", "Çağrı", "Gülşen", "İsmail", "Özge",
          "Ümit", "Ilgın", "Hülya", "Oğuz", "Serap", "Tuğba", "Emre", "Büşra", "Kübra", "Barış",
          "Gökhan"]
DEVICES = [  # device type code, brand, models
    ("klima", "Arçelik", ["Inverter 12000", "Eco 9000"]),
    ("klima", "Daikin", ["FTXM35", "Sensira 50"]),
    ("buzdolabi", "Beko", ["RCNE520", "GN163130"]),
    ("buzdolabi", "Bosch", ["KGN39", "KAN93"]),
    ("kombi", "Demirdöküm", ["Nitromix 24", "Vintomix 33"]),
    ("kombi", "Vaillant", ["ecoTEC plus 24"]),
    ("fotokopi", "Kyocera", ["TASKalfa 2554ci", "ECOSYS M2040"]),
    ("yazici", "Canon", ["i-SENSYS MF443"]),
    ("jenerator", "Aksa", ["AJD 45", "APD 110"]),
    ("sogutucu", "Uğur Soğutma", ["UDD 400"]),
    ("medikal", "Siemens", ["Acuson P500"]),
    ("camasir_makinesi", "Vestel", ["CMI 9710"]),
    (None, "Ermaksan", ["Power-Bend Pro"]),  # no device type: key ''
]
FAULTS = ("elektrik", "mekanik", "sogutma", "elektronik", "yazilim", "kullanici", "bakim")
COMPLAINTS = [
    "Kâğıt sıkıştırıyor; ekranda hata kodu görünüyor.",
    "Cihaz açılmıyor, güç ışığı yanmıyor.",
    "Soğutmuyor, dış ünite çok gürültülü çalışıyor.",
    "Kombi sıcak su vermiyor, basınç düşüyor.",
    "Buzdolabının alt bölmesinde buzlanma var.",
    "Jeneratör yük altında duruyor; yağ uyarısı.",
    "Periyodik bakım zamanı geldi.",
    "Ekran titriyor, dokunmatik tepki vermiyor.",
    "Çamaşır makinesi sıkma programında titreşim yapıyor.",
    "Işıklı uyarı: İç ünite su damlatıyor.",
]
# (status, weight): ~60% delivered (DELIVERED, FINAL_CHECK, CLOSED), ~40% closed
STATUS_WEIGHTS = [("NEW", 4), ("ASSIGNED", 4), ("DIAGNOSIS", 5), ("AWAITING_APPROVAL", 3),
                  ("AWAITING_PARTS", 5), ("IN_REPAIR", 6), ("REPAIRED", 4), ("DELIVERED", 12),
                  ("FINAL_CHECK", 8), ("CLOSED", 40), ("CANCELLED", 7), ("REOPENED", 2)]
DELIVERED = {"DELIVERED", "FINAL_CHECK", "CLOSED"}
COVERAGE = [("manufacturer_warranty", 20), ("contract", 15), ("repair_warranty", 5), (None, 60)]
TECHNICIANS = [(1001 + k, f"{PERSON[k % len(PERSON)]} {FIRST[(k * 7) % len(FIRST)]}")
               for k in range(40)]


def customer_name(c):
    return (f"{FIRST[c % len(FIRST)]} {FIRST[(c // 7) % len(FIRST)]} "
            f"{TRADE[(c // 3) % len(TRADE)]} {SUFFIX[c % len(SUFFIX)]} #{c}")


def cents(value):
    """An integer amount of kuruş as the Decimal the column holds."""
    return Decimal(value).scaleb(-2)


class Loader:
    """Loads forms start..stop-1 (ids start+1..stop) with their assignments and work logs;
    keeps the id counters and the per-year numbering across calls (10k, then grown to 1M)."""

    def __init__(self, engine):
        self.engine = engine
        self.assignment_id = self.worklog_id = 0
        self.per_year = {}
        self.names = {}
        self.folded = {c: fold(c) for c in COMPLAINTS}
        self.statuses = [s for s, _ in STATUS_WEIGHTS]
        self.status_cum = list(_cumulative(w for _, w in STATUS_WEIGHTS))
        self.cov = [k for k, _ in COVERAGE]
        self.cov_cum = list(_cumulative(w for _, w in COVERAGE))
        self.counts = {"forms": 0, "assignments": 0, "work_logs": 0}

    def customer(self, c):
        got = self.names.get(c)
        if got is None:
            name = customer_name(c)
            got = self.names[c] = (name, sort_key(name))
        return got

    def load(self, start, stop):
        t0 = time.perf_counter()
        before = dict(self.counts)
        n_customers = max(1, stop // 20)
        sqlite = self.engine.dialect.name == "sqlite"
        for lo in range(start, stop, CHUNK):
            rnd = random.Random(lo * 7919 + 17)
            forms, assignments, logs = [], [], []
            for i in range(lo, min(stop, lo + CHUNK)):
                self.form(i, rnd, n_customers, forms, assignments, logs)
            with self.engine.begin() as conn:
                if sqlite:  # the loader's own connection: a bigger page cache for 15 indexes
                    conn.exec_driver_sql("PRAGMA cache_size=-400000")
                conn.execute(insert(Form.__table__), forms)
                if assignments:
                    conn.execute(insert(Assignment.__table__), assignments)
                if logs:
                    conn.execute(insert(WorkLog.__table__), logs)
            self.counts["forms"] += len(forms)
            self.counts["assignments"] += len(assignments)
            self.counts["work_logs"] += len(logs)
        with self.engine.begin() as conn:
            for year, last in self.per_year.items():
                conn.execute(text("DELETE FROM number_sequences WHERE year = :y"), {"y": year})
                conn.execute(insert(NumberSequence.__table__), {"year": year, "last": last})
            if sqlite:  # back to the default page cache: the raw SQL runs as the service's
                conn.exec_driver_sql("PRAGMA cache_size=-2000")
            else:  # explicit ids: move the sequences past them
                for table in ("forms", "assignments", "work_logs"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
        return time.perf_counter() - t0, {k: self.counts[k] - before[k] for k in self.counts}

    def form(self, i, rnd, n_customers, forms, assignments, logs):
        fid = i + 1
        created = T0 + timedelta(seconds=int(rnd.random() * SPAN.total_seconds()))
        year = created.astimezone(domain.LOCAL_TZ).year
        seq = self.per_year[year] = self.per_year.get(year, 0) + 1
        c = rnd.randrange(n_customers)
        name, name_sort = self.customer(c)
        status = rnd.choices(self.statuses, cum_weights=self.status_cum)[0]
        dtype, brand, models = DEVICES[rnd.randrange(len(DEVICES))]
        complaint = COMPLAINTS[rnd.randrange(len(COMPLAINTS))]
        diagnosed = status not in ("NEW", "ASSIGNED") and not (
            status == "CANCELLED" and rnd.random() < 0.5)
        fault = FAULTS[rnd.randrange(len(FAULTS))] if diagnosed else None
        coverage = rnd.choices(self.cov, cum_weights=self.cov_cum)[0]
        row = {
            "id": fid, "number": domain.format_number(year, seq),
            "kind": "maintenance" if fault == "bakim" else "repair", "status": status,
            "status_rank": STATUS_RANK[status], "sub_status": None, "version": 1,
            "customer_id": c + 1, "customer_name": name, "customer_name_sort": name_sort,
            "customer_email": f"servis{c}@example.com.tr", "customer_language": "tr",
            "rep_user_id": None, "rep_name": None, "rep_email": None, "rep_language": "tr",
            "device_id": fid, "device_brand": brand, "device_model": models[i % len(models)],
            "device_type": dtype, "device_type_key": dtype or "",
            "device_serial": f"{brand[:3].upper()}-{year}-{fid:07d}",
            "coverage_kind": coverage,
            "coverage_end": (created.date() + timedelta(days=rnd.randrange(30, 700)))
            if coverage else None,
            "coverage_source_id": None, "coverage_reason": None,
            "complaint": complaint, "complaint_folded": self.folded[complaint],
            "fault_type": fault, "fault_type_key": fault or "",
            "diagnosis": "Arıza tespit edildi." if diagnosed else None, "work_done": None,
            "service_fee": cents(0), "discount_amount": None, "discount_percent": None,
            "currency": "TRY", "repair_warranty_months": None, "repair_warranty_start": None,
            "repair_warranty_end": None, "delivered_at": None, "delivered_on": None,
            "delivered_month": None, "closed_at": None, "survey_status": None,
            "survey_score": None, "survey_at": None, "survey_by_name": None,
            "opened_by_id": 2, "opened_by_name": "Servis Masası", "created_at": created,
            "updated_at": created,
        }
        totals = {"labour_total": 0, "parts_total": 0, "fee_total": 0, "gross_total": 0,
                  "covered_total": 0, "subtotal": 0, "discount_total": 0, "vat_total": 0,
                  "total": 0}
        minutes = 0
        if status in DELIVERED:
            techs = rnd.sample(TECHNICIANS, 1 if rnd.random() < 0.6 else 2)
            labour = 0
            for uid, uname in techs:
                m = rnd.randrange(15, 481)
                minutes += m
                labour += m * 75000 // 60  # 750 TL an hour, in kuruş
                self.assignment_id += 1
                assignments.append({"id": self.assignment_id, "form_id": fid, "user_id": uid,
                                    "name": uname, "email": None, "language": "tr",
                                    "role": "technician", "assigned_at": created})
                self.worklog_id += 1
                started = created + timedelta(hours=rnd.randrange(1, 48))
                logs.append({"id": self.worklog_id, "form_id": fid, "user_id": uid,
                             "user_name": uname, "role": "technician", "started_at": started,
                             "ended_at": started + timedelta(minutes=m), "minutes": m,
                             "running": False, "hourly_rate": cents(75000), "note": None})
            parts = sum(rnd.randrange(5000, 2_000_000) for _ in range(rnd.randrange(0, 4)))
            fee = rnd.choice((0, 25000, 50000, 75000))
            pays = domain.coverage_pays(coverage)
            covered = ((labour if pays.get("labour") else 0) + (parts if pays.get("parts")
                                                                 else 0)
                       + (fee if pays.get("fee") else 0))
            gross = labour + parts + fee
            subtotal = gross - covered
            discount = subtotal // 10 if rnd.random() < 0.1 else 0
            vat = (subtotal - discount) * 20 // 100
            totals = {"labour_total": labour, "parts_total": parts, "fee_total": fee,
                      "gross_total": gross, "covered_total": covered, "subtotal": subtotal,
                      "discount_total": discount, "vat_total": vat,
                      "total": subtotal - discount + vat}
            delivered = min(created + timedelta(hours=rnd.randrange(2, 20 * 24)),
                            NOW - timedelta(minutes=rnd.randrange(1, 600)))
            delivered = max(delivered, created + timedelta(minutes=1))
            on = delivered.astimezone(domain.LOCAL_TZ).date()
            warranty = domain.repair_warranty(on, 3)
            row.update(delivered_at=delivered, delivered_on=on,
                       delivered_month=on.strftime("%Y-%m"), work_done="Onarım yapıldı.",
                       service_fee=cents(fee), discount_percent=Decimal(10) if discount else None,
                       repair_warranty_start=warranty["start"],
                       repair_warranty_end=warranty["end"], survey_status="pending",
                       updated_at=delivered)
            if status == "CLOSED":
                closed = min(delivered + timedelta(hours=rnd.randrange(1, 240)), NOW)
                row.update(closed_at=closed, updated_at=closed, survey_status="done",
                           survey_score=rnd.randrange(40, 101), survey_at=closed,
                           survey_by_name="Çağrı Merkezi")
        elif status not in ("NEW", "CANCELLED"):
            uid, uname = TECHNICIANS[rnd.randrange(len(TECHNICIANS))]
            self.assignment_id += 1
            assignments.append({"id": self.assignment_id, "form_id": fid, "user_id": uid,
                                "name": uname, "email": None, "language": "tr",
                                "role": "technician", "assigned_at": created})
        row["work_minutes"] = minutes
        for k, v in totals.items():
            row[k] = cents(v)
        forms.append(row)


def _cumulative(weights):
    total = 0
    for w in weights:
        total += w
        yield total


# -- measuring -------------------------------------------------------------------------------

def pct(values, q):
    """Nearest-rank percentile in ms."""
    v = sorted(values)
    k = math.ceil(q / 100 * len(v)) - 1
    return v[max(0, min(len(v) - 1, k))] * 1000


def summary(values):
    if not values:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95),
            "mean": statistics.fmean(values) * 1000}


def order_sql(sort):
    col = SORT_COLUMN[sort.lstrip("-")]
    desc = " DESC" if sort.startswith("-") else ""
    where = f" WHERE {col} IS NOT NULL" if sort.lstrip("-") in ("delivered", "closed") else ""
    ids = "" if sort.lstrip("-") == "number" else f", id{desc}"
    return col, where, f" ORDER BY {col}{desc}{ids}"


def random_cursors(engine, sort, count, rnd, size):
    """`count` cursors at random places of `sort`'s order, as the service encodes them."""
    key = sort.lstrip("-")
    column = getattr(Form, SORT_COLUMN[key])
    ids = [rnd.randrange(1, size + 1) for _ in range(max(200, count * 3))]
    stmt = select(Form.id, column).where(Form.id.in_(ids))
    if key in ("delivered", "closed"):
        stmt = stmt.where(column.is_not(None))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    rnd.shuffle(rows)
    out = []
    for fid, value in rows[:count]:
        value = value.isoformat() if isinstance(value, datetime) else value
        out.append(encode_cursor([sort, value] if key == "number" else [sort, value, fid]))
    if len(out) < count:  # a few short of the count: reuse some (only at tiny sizes)
        out = (out * (count // max(1, len(out)) + 1))[:count]
    return out


def check_page(engine, sort, page, cursor_row=None):
    """The page's ids equal the same ORDER BY in raw SQL (first page, or after cursor_row)."""
    col, where, order = order_sql(sort)
    params = {}
    if cursor_row is not None:
        value, fid = cursor_row
        op = "<" if sort.startswith("-") else ">"
        if sort.lstrip("-") == "number":
            cond = f"{col} {op} :v"
        else:
            cond = f"({col} {op} :v OR ({col} = :v AND id {op} :id))"
        where = (where + " AND " if where else " WHERE ") + cond
        params = {"v": value, "id": fid}
    stmt = text(f"SELECT id FROM forms{where}{order} LIMIT 50")
    if params:
        stmt = stmt.bindparams(bindparam("v", type_=getattr(Form, col).type))
    with engine.connect() as conn:
        expected = [r[0] for r in conn.execute(stmt, params)]
    got = [item["id"] for item in page["items"]]
    if got != expected:
        raise RuntimeError(f"list_forms sort={sort}: ids {got[:5]}... != raw SQL "
                           f"{expected[:5]}...")


def measure_lists(proxy, engine, size, args, seed):
    rnd = random.Random(seed)
    forms = proxy.forms
    clock = time.perf_counter
    sorts = [s for k in SORT_KEYS for s in (k, "-" + k)]
    for _ in range(args.warmup):
        forms.ping()
    ping_t = []
    for _ in range(args.calls):
        t0 = clock()
        forms.ping()
        ping_t.append(clock() - t0)
    out = {"size": size, "ping": summary(ping_t), "sorts": {}}
    print(f"    {size:>9,} forms: ping p50 {out['ping']['p50']:.2f} p95 "
          f"{out['ping']['p95']:.2f} ms", flush=True)
    for sort in sorts:
        cursors = random_cursors(engine, sort, args.calls, rnd, size)
        first = forms.list_forms({"sort": sort, "limit": 50})
        check_page(engine, sort, first)
        if first["next_cursor"]:  # page 2 by the service's own cursor
            last = first["items"][-1]
            key = sort.lstrip("-")
            with engine.connect() as conn:
                value = conn.execute(select(getattr(Form, SORT_COLUMN[key]))
                                     .where(Form.id == last["id"])).scalar_one()
            second = forms.list_forms({"sort": sort, "limit": 50,
                                       "cursor": first["next_cursor"]})
            check_page(engine, sort, second, (value, last["id"]))
        for c in cursors[:args.warmup_pages]:
            forms.list_forms({"sort": sort, "limit": 50, "cursor": c})
        first_t, cursor_t, items = [], [], []
        spent = 0.0
        for k in range(args.calls):
            t0 = clock()
            page = forms.list_forms({"sort": sort, "limit": 50})
            t1 = clock()
            deep = forms.list_forms({"sort": sort, "limit": 50, "cursor": cursors[k]})
            t2 = clock()
            first_t.append(t1 - t0)
            cursor_t.append(t2 - t1)
            items.append(len(deep["items"]))
            if len(page["items"]) != min(50, size):
                raise RuntimeError(f"sort {sort}: {len(page['items'])} items on page 1")
            spent += t2 - t0
            if spent > args.budget and k + 1 >= 20:
                break
        r = out["sorts"][sort] = {"first": summary(first_t), "cursor": summary(cursor_t),
                                  "cursor_items": statistics.fmean(items)}
        print(f"      {sort:<13} page 1 p50 {r['first']['p50']:7.2f} p95 {r['first']['p95']:7.2f}"
              f" | cursor page p50 {r['cursor']['p50']:7.2f} p95 {r['cursor']['p95']:7.2f} ms"
              f" ({r['first']['n']} calls each, {r['cursor_items']:.0f} items/cursor page)",
              flush=True)
    return out


def revenue_sql(group):
    where = ("f.delivered_on >= :a AND f.delivered_on <= :b AND f.status <> 'CANCELLED'")
    amounts = ("labour_total", "parts_total", "fee_total", "gross_total", "covered_total",
               "subtotal", "discount_total", "vat_total", "total")
    if group == "technician":  # the service's split, as it now runs: rank after the join
        return technician_after_join_sql()
    if group == "technician-before":  # the split as first written: every work log ranked
        # (+ 0.0: a true division, as SQLAlchemy renders the service's `/`; SQLite keeps whole
        # amounts in a NUMERIC column as integers and would divide them as integers)
        rounded = ", ".join(
            f"CASE WHEN r.rn > 1 THEN ROUND(f.{a} * r.minutes / (NULLIF(f.work_minutes, 0) + 0.0), 2) "
            f"ELSE 0 END AS r{i}, f.{a} AS a{i}" for i, a in enumerate(amounts))
        shares = ", ".join(
            f"CASE WHEN s.rn = 1 OR s.rn IS NULL THEN s.a{i} - SUM(s.r{i}) OVER (PARTITION BY "
            f"s.fid) ELSE s.r{i} END AS s{i}" for i in range(len(amounts)))
        sums = ", ".join(f"SUM(t.s{i})" for i in range(len(amounts)))
        return (f"SELECT t.user_id, MIN(t.user_name), {sums}, COUNT(DISTINCT t.fid) FROM ("
                f"SELECT s.fid, s.user_id, s.user_name, {shares} FROM ("
                f"SELECT f.id AS fid, r.user_id, r.user_name, r.rn, {rounded} "
                f"FROM forms f LEFT OUTER JOIN ("
                f"SELECT p.form_id, p.user_id, p.user_name, p.minutes, ROW_NUMBER() OVER "
                f"(PARTITION BY p.form_id ORDER BY p.minutes DESC, p.user_id) AS rn FROM ("
                f"SELECT form_id, user_id, MIN(user_name) AS user_name, SUM(minutes) AS minutes "
                f"FROM work_logs WHERE running = false GROUP BY form_id, user_id) p) r "
                f"ON r.form_id = f.id WHERE {where}) s) t GROUP BY t.user_id")
    key = {"day": "f.delivered_on", "month": "f.delivered_month",
           "customer": "f.customer_id, MIN(f.customer_name)",
           "device_type": "f.device_type_key"}[group]
    sums = ", ".join(f"SUM(f.{a})" for a in amounts)
    return (f"SELECT {key}, {sums}, COUNT(*) FROM forms f WHERE {where} "
            f"GROUP BY {key.split(',')[0]}")


def technician_after_join_sql():
    """A suggested rewrite of the technician split (same result): join each form in the
    window to its work logs through ix_work_logs_form_user, group per (form, user), and rank
    after the join, instead of ranking every work log in the database in a subquery that is
    then joined (which SQLite scans once per form)."""
    where = ("f.delivered_on >= :a AND f.delivered_on <= :b AND f.status <> 'CANCELLED'")
    amounts = ("labour_total", "parts_total", "fee_total", "gross_total", "covered_total",
               "subtotal", "discount_total", "vat_total", "total")
    pick = ", ".join(f"f.{a} AS a{i}" for i, a in enumerate(amounts))
    rounded = ", ".join(
        f"CASE WHEN g.rn > 1 THEN ROUND(g.a{i} * g.minutes / (NULLIF(g.wm, 0) + 0.0), 2) "
        f"ELSE 0 END AS r{i}, g.a{i}" for i in range(len(amounts)))
    shares = ", ".join(
        f"CASE WHEN s.rn = 1 THEN s.a{i} - SUM(s.r{i}) OVER (PARTITION BY s.fid) "
        f"ELSE s.r{i} END AS s{i}" for i in range(len(amounts)))
    sums = ", ".join(f"SUM(t.s{i})" for i in range(len(amounts)))
    return (f"SELECT t.user_id, MIN(t.user_name), {sums}, COUNT(DISTINCT t.fid) FROM ("
            f"SELECT s.fid, s.user_id, s.user_name, {shares} FROM ("
            f"SELECT g.fid, g.user_id, g.user_name, g.rn, {rounded} FROM ("
            f"SELECT f.id AS fid, w.user_id, MIN(w.user_name) AS user_name, "
            f"SUM(w.minutes) AS minutes, f.work_minutes AS wm, {pick}, ROW_NUMBER() OVER "
            f"(PARTITION BY f.id ORDER BY SUM(w.minutes) DESC, w.user_id) AS rn "
            f"FROM forms f LEFT OUTER JOIN work_logs w ON w.form_id = f.id AND w.running = false "
            f"WHERE {where} GROUP BY f.id, w.user_id) g) s) t GROUP BY t.user_id")


def measure_revenue(proxy, engine, size, args):
    forms = proxy.forms
    clock = time.perf_counter
    params = {"a": date.fromisoformat(WINDOW[0]), "b": date.fromisoformat(WINDOW[1])}
    query = {"from": WINDOW[0], "to": WINDOW[1]}
    out = {}
    with engine.connect() as conn:
        for group in GROUPS:
            sql = text(revenue_sql(group))
            # The raw SQL first, with a time limit: a report that does not finish is not asked
            # of the service (its one SQLite connection would be taken for as long).
            timer = None
            if engine.dialect.name == "sqlite":
                timer = threading.Timer(args.revenue_timeout,
                                        conn.connection.dbapi_connection.interrupt)
                timer.start()
            else:  # for this transaction only (the pooled connection is reused elsewhere)
                conn.exec_driver_sql(
                    f"SET LOCAL statement_timeout = {int(args.revenue_timeout * 1000)}")
            t0 = clock()
            try:
                rows = conn.execute(sql, params).all()
            except OperationalError as exc:
                conn.rollback()
                out[group] = {"timeout": clock() - t0}
                print(f"      revenue {group:<12} raw SQL did not finish in "
                      f"{args.revenue_timeout:g} s ({str(exc.orig).strip()[:60]}): the RPC is "
                      f"not called", flush=True)
                continue
            finally:
                if timer is not None:
                    timer.cancel()
            conn.rollback()
            # every customer (the report's default shows the top 1,000 and sums the rest)
            query = {**query, "limit": 100000}
            got = forms.revenue({**query, "group_by": group})  # warm-up and check
            raw_total = sum(Decimal(str(r[-2])) for r in rows)  # SUM(total) is before COUNT
            if len(rows) != len(got["items"]) or abs(
                    raw_total - Decimal(got["totals"]["total"])) > Decimal("0.01") * len(rows):
                raise RuntimeError(f"revenue {group}: {len(got['items'])} groups, total "
                                   f"{got['totals']['total']} != raw SQL {len(rows)} groups, "
                                   f"total {raw_total}")
            rpc_t, raw_t, spent = [], [], 0.0
            for k in range(args.revenue_calls):
                t0 = clock()
                forms.revenue({**query, "group_by": group})
                t1 = clock()
                conn.execute(sql, params).all()
                t2 = clock()
                conn.rollback()  # no snapshot kept open between calls
                rpc_t.append(t1 - t0)
                raw_t.append(t2 - t1)
                spent += t2 - t0
                if spent > args.revenue_budget and k + 1 >= 5:
                    break
            r = out[group] = {"rpc": summary(rpc_t), "raw": summary(raw_t),
                              "groups": len(rows), "forms": sum(i["forms"] for i in got["items"]),
                              "total": got["totals"]["total"]}
            r["ratio50"] = r["rpc"]["p50"] / r["raw"]["p50"]
            r["ratio95"] = r["rpc"]["p95"] / r["raw"]["p95"]
            print(f"      revenue {group:<12} RPC p50 {r['rpc']['p50']:8.2f} p95 "
                  f"{r['rpc']['p95']:8.2f} | raw SQL p50 {r['raw']['p50']:8.2f} p95 "
                  f"{r['raw']['p95']:8.2f} ms | ratio p50 {r['ratio50']:.2f} p95 "
                  f"{r['ratio95']:.2f} ({r['rpc']['n']} calls, {r['groups']} groups, "
                  f"{r['forms']:,} forms)", flush=True)
        # the suggested rewrite of the technician report, timed the same way (raw SQL)
        sql = text(technician_after_join_sql())
        took = []
        for _ in range(3):
            t0 = clock()
            rows = conn.execute(sql, params).all()
            took.append(clock() - t0)
            conn.rollback()
        total = sum(Decimal(str(r[-2])) for r in rows)
        day_total = Decimal(out["day"]["total"]) if "total" in out.get("day", {}) else None
        out["technician_rewrite"] = {"raw": summary(took), "groups": len(rows), "total": total}
        print(f"      technician rewritten (rank after the join), raw SQL p50 "
              f"{pct(took, 50):.2f} ms, {len(rows)} groups, total {total:.2f}"
              + (f" (day report total {day_total:.2f})" if day_total is not None else ""),
              flush=True)
    return out


# -- diagnosis: the service's own SQL --------------------------------------------------------

def service_sql(engine, query):
    """(sql, params) of the SELECT the `list_forms` RPC runs for `query`, captured by running
    what the RPC runs (the query loaded with its schema, then forms' query layer,
    services/forms/queries.py) in this process on a plain Session."""
    from services.common.schemas import load
    from services.forms.queries import FormQueries
    from services.forms.schemas import FormQuery
    from services.forms.settings import FormsSettings
    captured = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM forms" in statement:
            captured.append((statement, parameters))

    session = Session(engine)
    event.listen(engine, "before_cursor_execute", grab)
    try:
        FormQueries(session, FormsSettings()).list(load(FormQuery(), query))
    finally:
        event.remove(engine, "before_cursor_execute", grab)
        session.close()
    if not captured:
        raise RuntimeError(f"list_forms({query}) ran no SELECT on forms")
    return captured[-1]


def cursor_variant(sql, params, sort):
    """(label, sql, params): the service's cursor condition written the other way, for
    comparison: a row value `(key, id) > (:v, :id)` becomes `key > :v OR (key = :v AND id >
    :id)` and the other way round; None when there is none (number, first pages)."""
    import re
    name = SORT_COLUMN[sort.lstrip("-")]
    col = re.escape(name)
    op = "<" if sort.startswith("-") else ">"
    param = r"(\?|%\(\w+\)s)"
    qmark = isinstance(params, (tuple, list))
    m = re.search(rf"\(forms\.{col}, forms\.id\) {op} \({param}, {param}\)", sql)
    if m:
        new_sql = (sql[:m.start()] + f"(forms.{name} {op} {m.group(1)} OR forms.{name} = "
                   f"{m.group(1)} AND forms.id {op} {m.group(2)})" + sql[m.end():])
        if qmark:  # the value is bound twice now
            k = sql[:m.start()].count("?")
            params = tuple(params[:k + 1]) + (params[k],) + tuple(params[k + 1:])
        return "key > v OR (key = v AND id > i)", new_sql, params
    cond = rf"forms\.{col} {op} {param} OR forms\.{col} = {param} AND forms\.id {op} {param}"
    m = re.search(r"\(" + cond + r"\)", sql) or re.search(cond, sql)
    if not m:
        return None
    new_sql = (sql[:m.start()] + f"(forms.{name}, forms.id) {op} "
               f"({m.group(1)}, {m.group(3)})" + sql[m.end():])
    if qmark:  # drop the '=' parameter
        k = sql[:m.start()].count("?") + 1
        params = tuple(params[:k]) + tuple(params[k + 1:])
    return "(key, id) > (v, i)", new_sql, params


def explain_and_time(engine, size, args):
    rnd = random.Random(99)
    dialect = engine.dialect.name
    out = []
    queries = []  # first, the service's SQL (a Session needs the pool's one SQLite connection)
    for key in SORT_KEYS:
        for sort in (key, "-" + key):
            cursor = random_cursors(engine, sort, 1, rnd, size)[0]
            queries.append((sort, service_sql(engine, {"sort": sort, "limit": 50}),
                            service_sql(engine, {"sort": sort, "limit": 50, "cursor": cursor})))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()

        def run(sql, params, times):
            took = []
            for _ in range(times):
                t0 = time.perf_counter()
                cur.execute(sql, params)
                cur.fetchall()
                took.append(time.perf_counter() - t0)
            raw.rollback()
            return pct(took, 50)

        def plan(sql, params):
            if dialect == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                got = "; ".join(str(r[-1]) for r in cur.fetchall())
            else:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                got = "\n        ".join(r[0] for r in cur.fetchall())
            raw.rollback()
            return got

        for sort, (first_sql, first_p), (deep_sql, deep_p) in queries:
            row = {"sort": sort, "first_ms": run(first_sql, first_p, 5),
                   "cursor_ms": run(deep_sql, deep_p, 5),
                   "first_plan": plan(first_sql, first_p),
                   "cursor_plan": plan(deep_sql, deep_p), "cursor_sql": deep_sql}
            alt = cursor_variant(deep_sql, deep_p, sort)
            if alt:
                row["variant"] = alt[0]
                row["variant_ms"] = run(alt[1], alt[2], 5)
                row["variant_plan"] = plan(alt[1], alt[2])
            out.append(row)
            print(f"      {sort:<13} SQL alone: page 1 {row['first_ms']:8.2f} ms, cursor "
                  f"page {row['cursor_ms']:8.2f} ms"
                  + (f"; cursor page written as {row['variant']}: {row['variant_ms']:8.2f} ms"
                     if alt else ""), flush=True)
            if args.verbose_plans or max(row["cursor_ms"], row["first_ms"],
                                         row.get("variant_ms", 0)) > 5:
                print(f"        SQL cursor: {' '.join(deep_sql.split())[-260:]}\n"
                      f"        plan page 1: {row['first_plan']}\n"
                      f"        plan cursor: {row['cursor_plan']}"
                      + (f"\n        plan {row['variant']}: {row['variant_plan']}"
                         if alt else ""),
                      flush=True)
        if args.revenue:
            for group in GROUPS:
                sql = revenue_sql(group)
                if dialect == "sqlite":
                    sql, p = sql.replace(":a", "?").replace(":b", "?"), (WINDOW[0], WINDOW[1])
                else:
                    sql = sql.replace(":a", "%(a)s").replace(":b", "%(b)s")
                    p = {"a": WINDOW[0], "b": WINDOW[1]}
                pl = plan(sql, p)
                out.append({"sort": f"revenue {group}", "first_plan": pl})
                print(f"      revenue {group}: {pl}", flush=True)
    finally:
        raw.close()
    return out


# -- the forms service as a process ----------------------------------------------------------

def forms_process(amqp_uri, db_url, data_dir):
    return service_process("forms", amqp_uri, db_url, data_dir)


def run_backend(backend, args, stack, tmp, result):
    from nameko.standalone.rpc import ClusterRpcProxy
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'forms.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_forms"))
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    create_schema(engine, Base.metadata)
    loader = Loader(engine)
    result["loads"] = []
    secs, counts = loader.load(0, args.small)
    result["loads"].append((args.small, secs, counts))
    print(f"  loaded {counts['forms']:,} forms, {counts['assignments']:,} assignments, "
          f"{counts['work_logs']:,} work logs in {secs:.1f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    proc = stack.enter_context(forms_process(amqp_uri, db_url, tmp))
    proxy_cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
    proxy = proxy_cm.start()
    stack.callback(proxy_cm.stop)
    wait_until(lambda: proc.poll() is None and proxy.forms.ping() == "forms", 90,
               "the forms service answering ping")
    sizes = [("small", args.small, 0)]
    if args.n > args.small:
        sizes.append(("large", args.n, args.small))
    for label, size, grow_from in sizes:
        if grow_from:
            secs, counts = loader.load(grow_from, size)
            result["loads"].append((size, secs, counts))
            print(f"  loaded {counts['forms']:,} more forms, {counts['assignments']:,} "
                  f"assignments, {counts['work_logs']:,} work logs in {secs:.1f} s "
                  f"({counts['forms'] / secs:,.0f} forms/s)", flush=True)
            if engine.dialect.name == "postgresql":
                t0 = time.perf_counter()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("ANALYZE"))
                print(f"  ANALYZE {time.perf_counter() - t0:.1f} s", flush=True)
        result[label] = measure_lists(proxy, engine, size, args, seed=size)
        if args.revenue:
            result[label]["revenue"] = measure_revenue(proxy, engine, size, args)
        if proc.poll() is not None:
            raise RuntimeError("the forms service died; see its log")
    print("    diagnosis (the service's SQL without the RPC; 5 runs, p50):", flush=True)
    result["explain"] = explain_and_time(engine, args.n if args.n > args.small else args.small,
                                         args)


# -- report ----------------------------------------------------------------------------------

def verdict(ok):
    return "PASS" if ok else "MISS"


def machine():
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    return (f"{os.cpu_count()} vCPU ({cpu}), {mem:.1f} GiB RAM, Python "
            f"{platform.python_version()}, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _short(n):
    return f"{n / 1e6:g}M" if n >= 1e6 else f"{n / 1e3:g}k" if n >= 1e3 else str(n)


def report(results, args, started, wall):
    lines = [f"\n=== forms bench: {started:%Y-%m-%d %H:%M:%S} UTC, wall {wall:.0f} s ===",
             f"{machine()}",
             f"sizes {args.small:,} and {args.n:,} forms; {args.calls} calls per list query, "
             f"{args.revenue_calls} per revenue report; window {WINDOW[0]}..{WINDOW[1]}"]
    misses = 0
    for backend, r in results.items():
        lines.append(f"\n--- {backend} ---")
        if "error" in r:
            lines.append(f"  ERROR: {r['error']}")
            misses += not r["error"].startswith("skipped")
        for size, secs, counts in r.get("loads", []):
            lines.append(f"  load to {size:,}: {counts['forms']:,} forms + "
                         f"{counts['assignments']:,} assignments + {counts['work_logs']:,} work "
                         f"logs in {secs:.1f} s ({counts['forms'] / secs:,.0f} forms/s)")
        small, large = r.get("small"), r.get("large")
        if not small:
            continue
        top = large or small
        lines.append(f"  ping p50/p95: {small['ping']['p50']:.2f}/{small['ping']['p95']:.2f} ms "
                     f"at {small['size']:,}"
                     + (f", {large['ping']['p50']:.2f}/{large['ping']['p95']:.2f} ms at "
                        f"{large['size']:,}" if large else ""))
        a_, b_ = _short(small["size"]), _short(large["size"]) if large else "-"
        lines.append(f"  {'sort':<13}{'page':<8}{'p50 ' + a_:>9}{'p95 ' + a_:>9}"
                     f"{'p50 ' + b_:>9}{'p95 ' + b_:>9}{'ratio':>7}  goal p95<=50  goal ratio<=2")
        for sort in small["sorts"]:
            for kind in ("first", "cursor"):
                a = small["sorts"][sort][kind]
                b = large["sorts"][sort][kind] if large else None
                p95 = (b or a)["p95"]
                ok1 = p95 <= GOAL_PAGE_P95_MS
                misses += not ok1
                cols = f"{a['p50']:>9.2f}{a['p95']:>9.2f}"
                if b:
                    ratio = b["p95"] / a["p95"]
                    ok2 = ratio <= GOAL_PAGE_RATIO
                    misses += not ok2
                    cols += f"{b['p50']:>9.2f}{b['p95']:>9.2f}{ratio:>7.2f}"
                    tail = f"  {verdict(ok1):<12}  {verdict(ok2)}"
                else:
                    cols += f"{'-':>9}{'-':>9}{'-':>7}"
                    tail = f"  {verdict(ok1):<12}  -"
                lines.append(f"  {sort:<13}{'page 1' if kind == 'first' else 'cursor':<8}"
                             f"{cols}{tail}")
        if "revenue" in top:
            lines.append(f"  revenue at {top['size']:,} ({WINDOW[0]}..{WINDOW[1]}):")
            lines.append(f"  {'group_by':<12}{'RPC p50':>9}{'RPC p95':>9}{'SQL p50':>9}"
                         f"{'SQL p95':>9}{'p50 x':>7}{'p95 x':>7}  goal<=1.5  (at "
                         f"{small['size']:,}: p50 x)")
            for group in GROUPS:
                g = top["revenue"].get(group)
                if g is None:
                    continue
                if "timeout" in g:
                    misses += 1
                    lines.append(f"  {group:<12} the raw SQL did not finish in "
                                 f"{args.revenue_timeout:g} s; RPC not called  MISS")
                    continue
                ok = g["ratio50"] <= GOAL_REVENUE_RATIO
                misses += not ok
                s = small.get("revenue", {}).get(group) or {}
                s = s if "ratio50" in s else None
                lines.append(f"  {group:<12}{g['rpc']['p50']:>9.2f}{g['rpc']['p95']:>9.2f}"
                             f"{g['raw']['p50']:>9.2f}{g['raw']['p95']:>9.2f}"
                             f"{g['ratio50']:>7.2f}{g['ratio95']:>7.2f}  {verdict(ok):<9}"
                             + (f"  ({s['ratio50']:.2f})" if s and large else ""))
            w = top["revenue"].get("technician_rewrite")
            if w:
                lines.append(f"  technician rewritten (rank after the join; a suggestion): raw "
                             f"SQL p50 {w['raw']['p50']:.2f} ms, {w['groups']} groups, total "
                             f"{w['total']:.2f}")
    lines.append(f"\n{misses} goal check(s) missed or failed." if misses
                 else "\nEvery goal met.")
    print("\n".join(lines), flush=True)
    return misses


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="forms at the large size")
    ap.add_argument("--small", type=int, default=10_000, help="forms at the small size")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--calls", type=int, default=200, help="timed calls per list query")
    ap.add_argument("--budget", type=float, default=40.0,
                    help="seconds per sort at most (then stop, after at least 20 calls)")
    ap.add_argument("--warmup", type=int, default=50, help="warm-up pings")
    ap.add_argument("--warmup-pages", type=int, default=5, help="warm-up pages per sort")
    ap.add_argument("--revenue-calls", type=int, default=20)
    ap.add_argument("--revenue-budget", type=float, default=120.0,
                    help="seconds per group_by at most (then stop, after at least 5 pairs)")
    ap.add_argument("--revenue-timeout", type=float, default=60.0,
                    help="a report whose raw SQL takes longer is recorded as not finishing")
    ap.add_argument("--no-revenue", dest="revenue", action="store_false")
    ap.add_argument("--verbose-plans", action="store_true")
    args = ap.parse_args()
    started, t_start = datetime.now(timezone.utc), time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    import nameko.standalone.rpc  # noqa: F401  (eventlet imported in the main thread)
    print(f"forms bench: list pages and revenue\n{started:%Y-%m-%d %H:%M:%S} UTC; {machine()}",
          flush=True)
    results, rc = {}, 0
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"\n== {backend} ==", flush=True)
        if backend == "postgresql":
            ok, why = postgres_available()
            if not ok:
                print(f"  skipped: {why}")
                results[backend] = {"error": f"skipped: {why}"}
                continue
        r = results[backend] = {}
        tmp = tempfile.mkdtemp(prefix=f"servis-bench-forms-{backend}-")
        try:
            with contextlib.ExitStack() as stack:
                run_backend(backend, args, stack, tmp, r)
        except Exception as exc:  # noqa: B902 - reported, the other backend still runs
            import traceback
            traceback.print_exc()
            r["error"] = f"{type(exc).__name__}: {exc}"
            rc = 1
        finally:
            log = os.path.join(tmp, "forms.log")
            if r.get("error") and os.path.exists(log):
                with open(log, errors="replace") as f:
                    print(f"  forms.log (tail):\n{f.read()[-3000:]}", flush=True)
            shutil.rmtree(tmp, True)
    report(results, args, started, time.monotonic() - t_start)
    outcome = {backend: outcome_of(r, args) for backend, r in results.items()}
    record_outcome("forms", outcome)
    return rc if all(o == "ran" or o.startswith("skipped") for o in outcome.values()) else 1


def outcome_of(r, args):
    """"ran" when every step ran to the end on this backend (a report whose raw SQL did not
    finish in --revenue-timeout is a figure, a MISS, not a failure of the benchmark)."""
    error = r.get("error")
    if error:
        return error if error.startswith("skipped") else f"failed: {error}"[:500]
    sizes = ("small", "large") if args.n > args.small else ("small",)
    missing = [s for s in sizes if s not in r] + ([] if "explain" in r else ["diagnosis"])
    if args.revenue:
        missing += [f"{s} revenue" for s in sizes if s in r and "revenue" not in r[s]]
    return f"failed: no figures for {', '.join(missing)}" if missing else "ran"


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""devices: serial lookup, warranty-end list pages and CSV import at archive scale.

    .venv/bin/python bench/devices_bench.py [--n 1000000 --small 10000 --import-rows 100000
                                             --backends sqlite,postgresql]   (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else skipped):

1. A fresh database (a temporary SQLite file / `temporary_postgres_database`) gets the devices
   schema (`create_schema`, as the service does) and --small (10k) device cards are bulk-loaded
   DIRECTLY with SQLAlchemy Core executemany in chunks of 10k: customers (N/20, Turkish names,
   tax numbers, `text.sort_key`), cards (Turkish brands/models/serials, keys from
   `domain.device_key`/`model_key`), a manufacturer warranty for ~70% (ends spread over 5
   years) and a maintenance contract for ~30%, with the matching `coverage_periods` rows so the
   cards' derived ends agree with their periods. The load is timed.
2. The real devices service runs as a subprocess (`nameko run services.devices.service`) on a
   fresh vhost against that database; the client is nameko's standalone ClusterRpcProxy (one,
   in the main thread, no eventlet). After a warm-up:
     floor      `devices.ping()`
     serial     `find_devices({"serial": <random existing serial>})` (interleaved with ping)
     raw serial the same SELECT through SQLAlchemy Core in this process (no RPC): the database's
                own share
     page 1     `find_devices({"sort": "warranty_end", "warranty_end_from": <random month
                start>, "warranty_end_to": <+1 month - 1 day>, "limit": 50})`
     page 5     a 3-month window (so page 5 exists at 10k too), pages 1-4 followed by their
                cursors untimed, page 5 timed
3. The database is grown to --n (1M) cards in place (the service keeps running), PostgreSQL gets
   an ANALYZE (what autovacuum would do after such a load; SQLite gets none: the service never
   runs ANALYZE), and step 2 is repeated. EXPLAIN (QUERY PLAN) of both queries is printed.
4. Export: a gateway is started on the same vhost (`python -m gateway.app`) and the whole
   archive is read as `GET /api/v1/devices?format=csv`: seconds to the first byte and to the
   end, and the gateway's RSS before and at most while it streams (`--no-export` skips it).
5. Import: the whole system is started with `deploy/run.py up` (own DATA_DIR, port, vhost;
   PostgreSQL: DEVICES_DATABASE_URL on a temporary database). An --import-rows CSV as Turkish
   Excel saves it (Windows-1254, `;`, the importer's Turkish header, decimal commas,
   DD.MM.YYYY; customers with VKN/TCKN, phones, il/ilçe, 20 cards each; 2% bad rows, one
   wrong cell each) is POSTed to /api/v1/devices/import as admin and the job polled until
   done, then the outbox until it is drained (every event published): the end-to-end time.
   The same file again (nothing changes: every good row unchanged). Serial lookups
   (`find_devices` over RPC, one after another) run during both and for a few seconds
   between them (the "without an import" figure); the RSS of the gateway and devices
   processes is sampled every 0.2 s (the peak of their sum, and each one's VmHWM). Beside
   it, the database's own bulk insert of the same file into a table of text columns:
   sqlite3's `.import`, PostgreSQL's `COPY FROM STDIN`. And the export of what was imported.

Goals (issues): serial lookup p95 <= 5 ms at 1M (reported beside the ping floor); warranty-end
page p95 at 1M / at 10k <= 2; the 100k-row import end to end (outbox drained) <= 60 s, the
same file again <= 30 s, a serial lookup's p95 during an import <= 3x without one, the
gateway's and devices' RSS together <= 300 MB; the CSV export's first byte within 1 s.

Everything started is stopped at the end, on errors and on Ctrl-C too: the service process,
`deploy/run.py down`, vhosts, temporary databases and directories.
"""
import argparse
import contextlib
import csv
import io
import math
import os
import platform
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from sqlalchemy import bindparam, insert, select, text  # noqa: E402

from bench.common import our_processes, record_outcome, service_process, wait_until  # noqa: E402
from services.common.db import create_schema, make_engine  # noqa: E402
from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa: E402
                                     free_port, temporary_vhost)
from services.common.text import fold, sort_key  # noqa: E402
from services.devices import domain, importer  # noqa: E402
from services.devices.models import Base, CoveragePeriod, Customer, Device  # noqa: E402

GOAL_SERIAL_P95_MS = 5.0
GOAL_PAGE_RATIO = 2.0
CHUNK = 10_000
CALL_TIMEOUT = 60.0
EPOCH = date(2023, 1, 1)  # warranty / contract ends spread over 2023-01-01 .. 2027-12-31
SPAN_DAYS = (date(2027, 12, 31) - EPOCH).days
NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)

# -- realistic data ------------------------------------------------------------------------

BRANDS = [  # brand, serial prefix, device type, models
    ("Arçelik", "ARÇ", "klima", ["Inverter 12000", "Inverter 18000", "Eco 9000", "Pro 24000"]),
    ("Vestel", "VST", "klima", ["Flora 12", "Nova 18", "Inverter 24"]),
    ("Beko", "BEK", "buzdolabi", ["RCNE520", "GN163130", "B3RCNA"]),
    ("Bosch", "BSH", "buzdolabi", ["KGN39", "KGN56", "KAN93"]),
    ("Daikin", "DKN", "klima", ["FTXM35", "FTXF25", "Sensira 50"]),
    ("Mitsubishi Electric", "MSE", "klima", ["MSZ-LN35", "MSZ-AP25"]),
    ("Baymak", "BYM", "kombi", ["Lectus 24", "Duotec 28"]),
    ("Demirdöküm", "DMD", "kombi", ["Nitromix 24", "Ademix 28", "Vintomix 33"]),
    ("Vaillant", "VLT", "kombi", ["ecoTEC plus 24", "ecoTEC pure 28"]),
    ("Kyocera", "KYO", "fotokopi", ["TASKalfa 2554ci", "TASKalfa 3554ci", "ECOSYS M2040"]),
    ("Canon", "CNN", "yazici", ["imageRUNNER 2425", "i-SENSYS MF443"]),
    ("Ricoh", "RCH", "fotokopi", ["IM C3000", "MP 2014"]),
    ("Aksa", "AKS", "jenerator", ["AJD 45", "APD 110", "AC 330"]),
    ("Teba", "TEB", "sogutucu", ["TSD-500", "TSD-1200"]),
    ("Uğur Soğutma", "UĞR", "sogutucu", ["UDD 400", "USS 374"]),
    ("Siemens", "SMN", "medikal", ["Acuson P500", "Mobilett Mira"]),
    ("Ermaksan", "ERM", "endustriyel", ["Power-Bend Pro", "Fiber Pro 3015"]),
]
FIRST = ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
         "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt",
         "Özkan", "Şimşek", "Işık", "Güneş", "Çağlar", "Ünal", "Erdoğan", "İnce", "Bulut"]
TRADE = ["Soğutma", "Makine", "Otelcilik", "Gıda", "Tekstil", "İnşaat", "Eczacılık",
         "Lojistik", "Turizm", "Elektronik", "Mühendislik", "Sağlık Hizmetleri", "Mobilya"]
SUFFIX = ["Ltd. Şti.", "A.Ş.", "San. ve Tic. A.Ş.", "Tic. Ltd. Şti."]
CITIES = ["İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", "Diyarbakır", "Eskişehir",
          "Şanlıurfa", "Kocaeli", "Muğla"]


def customer_name(c):
    return (f"{FIRST[c % len(FIRST)]} {FIRST[(c // 7) % len(FIRST)]} "
            f"{TRADE[(c // 3) % len(TRADE)]} {SUFFIX[c % len(SUFFIX)]} #{c}")


def tax_no(c):
    return f"{1000000000 + c * 7919 % 8999999999:010d}"


def device_spec(i):
    """Card i (0-based): deterministic, so the bench knows every serial without storing it."""
    rnd = random.Random(i * 2654435761 % 4294967296)
    brand, prefix, dtype, models = BRANDS[i % len(BRANDS)]
    model = models[rnd.randrange(len(models))]
    serial = f"{prefix}-{2019 + i % 7}-{i:07d}"
    warranty_end = contract_end = None
    if rnd.random() < 0.70:
        warranty_end = EPOCH + timedelta(days=rnd.randrange(SPAN_DAYS + 1))
    if rnd.random() < 0.30:
        contract_end = EPOCH + timedelta(days=rnd.randrange(SPAN_DAYS + 1))
    return brand, dtype, model, serial, warranty_end, contract_end, rnd


def serial_of(i):
    brand, prefix, _, _ = BRANDS[i % len(BRANDS)]
    return f"{prefix}-{2019 + i % 7}-{i:07d}"


def load(engine, start, stop, n_total_customers):
    """Cards start..stop-1 (ids start+1..stop) with their customers (ids for c < stop/20) and
    coverage periods; returns (seconds, {table: rows})."""
    t0 = time.perf_counter()
    counts = {"customers": 0, "devices": 0, "coverage_periods": 0}
    c_from, c_to = start // 20, max(1, math.ceil(stop / 20))
    with engine.begin() as conn:
        for lo in range(c_from, c_to, CHUNK):
            rows = []
            for c in range(lo, min(c_to, lo + CHUNK)):
                name = customer_name(c)
                rows.append({"id": c + 1, "name": name, "name_folded": fold(name),
                             "name_sort": sort_key(name), "tax_no": tax_no(c),
                             "address": f"Atatürk Cad. No: {c % 200 + 1}, {CITIES[c % 10]}",
                             "phone": f"0212 555 {c % 100:02d} {c % 97:02d}",
                             "email": f"servis{c}@example.com.tr", "language": "tr",
                             "rep_language": "tr", "created_at": NOW, "updated_at": NOW})
            conn.execute(insert(Customer), rows)
            counts["customers"] += len(rows)
    pid = start * 2  # coverage ids: at most two periods per card
    for lo in range(start, stop, CHUNK):
        devices, periods = [], []
        for i in range(lo, min(stop, lo + CHUNK)):
            brand, dtype, model, serial, w_end, c_end, rnd = device_spec(i)
            brand_key, serial_key = domain.device_key(brand, serial)
            purchase = (w_end - timedelta(days=730)) if w_end else None
            devices.append({
                "id": i + 1, "customer_id": min(i // 20, c_to - 1) + 1, "brand": brand,
                "brand_key": brand_key, "serial": serial, "serial_key": serial_key,
                "model": model, "model_key": domain.model_key(model), "device_type": dtype,
                "price": None, "currency": "TRY", "purchase_date": purchase,
                "insured": False, "warranty_end": w_end, "contract_end": c_end,
                "repair_warranty_end": None, "version": 1, "created_at": NOW,
                "updated_at": NOW})
            if w_end:
                pid += 1
                periods.append({"id": pid, "device_id": i + 1,
                                "kind": domain.MANUFACTURER_WARRANTY, "source_id": None,
                                "source_ref": None, "start": purchase, "end": w_end,
                                "created_at": NOW})
            if c_end:
                pid += 1
                periods.append({"id": pid, "device_id": i + 1, "kind": domain.CONTRACT,
                                "source_id": i + 1, "source_ref": f"SZ-{c_end.year}-{i:07d}",
                                "start": c_end - timedelta(days=364), "end": c_end,
                                "created_at": NOW})
        with engine.begin() as conn:
            conn.execute(insert(Device), devices)
            conn.execute(insert(CoveragePeriod), periods)
        counts["devices"] += len(devices)
        counts["coverage_periods"] += len(periods)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with engine.begin() as conn:
            for table in ("customers", "devices", "coverage_periods"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return time.perf_counter() - t0, counts


# -- measuring -------------------------------------------------------------------------------

def pct(values, q):
    """Nearest-rank percentile in ms."""
    v = sorted(values)
    k = math.ceil(q / 100 * len(v)) - 1
    return v[max(0, min(len(v) - 1, k))] * 1000


def summary(values):
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95),
            "mean": statistics.fmean(values) * 1000}


def month_starts(rnd, count, months_span):
    """Random month starts such that the window of `months_span` months lies in 2023..2027."""
    out = []
    for _ in range(count):
        m = rnd.randrange(60 - months_span + 1)
        out.append(date(2023 + m // 12, m % 12 + 1, 1))
    return out


def add_months(d, k):
    m = d.month - 1 + k
    return date(d.year + m // 12, m % 12 + 1, 1)


def measure(proxy, engine, size, args, seed):
    rnd = random.Random(seed)
    clock = time.perf_counter
    devices = proxy.devices
    serials = [serial_of(rnd.randrange(size)) for _ in range(args.lookups)]
    # warm-up: both paths, every kind of call
    for s in serials[:args.warmup]:
        devices.ping()
        assert devices.find_devices({"serial": s})["items"], s
    for start in month_starts(rnd, 20, 3):
        devices.find_devices({"sort": "warranty_end", "warranty_end_from": start.isoformat(),
                              "warranty_end_to": (add_months(start, 1) - timedelta(days=1))
                              .isoformat(), "limit": 50})
    ping_t, serial_t = [], []
    for s in serials:
        t0 = clock()
        devices.ping()
        t1 = clock()
        found = devices.find_devices({"serial": s})
        t2 = clock()
        if len(found["items"]) != 1 or found["items"][0]["serial"] != s:
            raise RuntimeError(f"serial {s}: {found['items'][:2]}")
        ping_t.append(t1 - t0)
        serial_t.append(t2 - t1)
    # the same SELECT without RPC (SQLAlchemy Core, this process, a pooled connection)
    raw_t = []
    stmt = (select(Device, Customer.name).join(Customer, Customer.id == Device.customer_id)
            .where(Device.serial_key == bindparam("k")).order_by(Device.id).limit(51))
    with engine.connect() as conn:
        for s in serials[:args.warmup]:
            conn.execute(stmt, {"k": fold(s)}).all()
        for s in serials:
            t0 = clock()
            rows = conn.execute(stmt, {"k": fold(s)}).all()
            raw_t.append(clock() - t0)
            assert len(rows) == 1
    # warranty-end pages
    page1_t, page1_items = [], []
    for start in month_starts(rnd, args.pages, 1):
        q = {"sort": "warranty_end", "warranty_end_from": start.isoformat(),
             "warranty_end_to": (add_months(start, 1) - timedelta(days=1)).isoformat(),
             "limit": 50}
        t0 = clock()
        page = devices.find_devices(q)
        page1_t.append(clock() - t0)
        page1_items.append(len(page["items"]))
    page5_t, page5_items = [], []
    for start in month_starts(rnd, args.pages, 3):
        q = {"sort": "warranty_end", "warranty_end_from": start.isoformat(),
             "warranty_end_to": (add_months(start, 3) - timedelta(days=1)).isoformat(),
             "limit": 50}
        page = devices.find_devices(q)
        for _ in range(3):
            page = devices.find_devices({**q, "cursor": page["next_cursor"]})
        if not page["next_cursor"]:
            raise RuntimeError(f"no page 5 for {q}")
        t0 = clock()
        page = devices.find_devices({**q, "cursor": page["next_cursor"]})
        page5_t.append(clock() - t0)
        page5_items.append(len(page["items"]))
    out = {"size": size, "ping": summary(ping_t), "serial": summary(serial_t),
           "raw_serial": summary(raw_t), "page1": summary(page1_t),
           "page5": summary(page5_t), "page1_items": statistics.fmean(page1_items),
           "page5_items": statistics.fmean(page5_items)}
    out["serial_minus_floor_p50"] = out["serial"]["p50"] - out["ping"]["p50"]
    out["serial_minus_floor_p95"] = out["serial"]["p95"] - out["ping"]["p95"]
    print(f"    {size:>9,} cards: ping p50 {out['ping']['p50']:.2f} p95 {out['ping']['p95']:.2f}"
          f" | serial p50 {out['serial']['p50']:.2f} p95 {out['serial']['p95']:.2f}"
          f" | raw serial p50 {out['raw_serial']['p50']:.3f} p95 {out['raw_serial']['p95']:.3f}"
          f" | page1 p50 {out['page1']['p50']:.2f} p95 {out['page1']['p95']:.2f}"
          f" ({out['page1_items']:.0f} items) | page5 p50 {out['page5']['p50']:.2f}"
          f" p95 {out['page5']['p95']:.2f} ms", flush=True)
    return out


def explain(engine):
    """The plans of the serial lookup and the warranty page as the service's SQL runs them."""
    serial_sql = ("SELECT devices.*, customers.name FROM devices JOIN customers ON customers.id "
                  "= devices.customer_id WHERE devices.serial_key = :k ORDER BY devices.id "
                  "LIMIT 51")
    page_sql = ("SELECT devices.*, customers.name FROM devices JOIN customers ON customers.id "
                "= devices.customer_id WHERE devices.warranty_end >= :a AND devices.warranty_end"
                " <= :b AND devices.warranty_end IS NOT NULL ORDER BY devices.warranty_end, "
                "devices.id LIMIT 51")
    params = [{"k": fold(serial_of(12345))}, {"a": date(2025, 3, 1), "b": date(2025, 3, 31)}]
    out = []
    with engine.connect() as conn:
        for label, sql, p in (("serial", serial_sql, params[0]), ("page", page_sql, params[1])):
            if engine.dialect.name == "sqlite":
                rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), p).all()
                plan = "; ".join(r[-1] for r in rows)
            else:
                rows = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), p).all()
                plan = "\n      ".join(r[0] for r in rows)
            out.append((label, plan))
            print(f"    EXPLAIN {label}: {plan}", flush=True)
    return out


# -- the devices service as a process ----------------------------------------------------------

def devices_process(amqp_uri, db_url, data_dir):
    return service_process("devices", amqp_uri, db_url, data_dir)


def lookups_backend(backend, args, stack, tmp):
    from nameko.standalone.rpc import ClusterRpcProxy
    if backend == "sqlite":
        db_url = f"sqlite:///{os.path.join(tmp, 'devices.db')}"
    else:
        db_url = stack.enter_context(temporary_postgres_database("servis_bench_devices"))
    engine = make_engine(db_url)
    stack.callback(engine.dispose)
    create_schema(engine, Base.metadata)
    result = {"loads": []}
    secs, counts = load(engine, 0, args.small, args.n)
    result["loads"].append((args.small, secs, counts))
    print(f"  loaded {counts['devices']:,} cards, {counts['customers']:,} customers, "
          f"{counts['coverage_periods']:,} periods in {secs:.1f} s", flush=True)
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    proc = stack.enter_context(devices_process(amqp_uri, db_url, tmp))
    proxy_cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
    proxy = proxy_cm.start()
    stack.callback(proxy_cm.stop)
    wait_until(lambda: proc.poll() is None and proxy.devices.ping() == "devices", 90,
               "the devices service answering ping")
    result["small"] = measure(proxy, engine, args.small, args, seed=1)
    if args.n > args.small:
        secs, counts = load(engine, args.small, args.n, args.n)
        result["loads"].append((args.n, secs, counts))
        print(f"  loaded {counts['devices']:,} more cards, {counts['customers']:,} customers, "
              f"{counts['coverage_periods']:,} periods in {secs:.1f} s "
              f"({counts['devices'] / secs:,.0f} cards/s)", flush=True)
        if engine.dialect.name == "postgresql":
            t0 = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
            print(f"  ANALYZE {time.perf_counter() - t0:.1f} s", flush=True)
        result["large"] = measure(proxy, engine, args.n, args, seed=2)
    result["explain"] = explain(engine)
    if proc.poll() is not None:
        raise RuntimeError("the devices service died; see its log")
    if args.export:
        result["export"] = export_through_a_gateway(amqp_uri, tmp, max(args.n, args.small))
    return result


def export_through_a_gateway(amqp_uri, tmp, cards):
    """The whole archive as CSV (GET /api/v1/devices?format=csv) from a gateway started for
    it: seconds to the first byte and to the end, and the gateway's RSS (sampled every 0.1 s)
    before and at its peak while it streamed."""
    import requests
    data_dir = os.path.join(tmp, "gateway")
    os.makedirs(data_dir)
    port, password = free_port(), secrets.token_urlsafe(12)
    env = {**os.environ, "AMQP_URI": amqp_uri, "DATA_DIR": data_dir, "GATEWAY_PORT": str(port),
           "ADMIN_PASSWORD": password, "RPC_TIMEOUT": "60", "PYTHONWARNINGS": "ignore"}
    env.pop("GATEWAY_DATABASE_URL", None)
    log = open(os.path.join(data_dir, "gateway.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        with requests.Session() as s:
            def signed_in():
                r = s.post(f"{base}/auth/token", json={"username": "admin",
                                                        "password": password}, timeout=5)
                s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
                return True
            wait_until(signed_in, 60, "the gateway answering")
            rss = lambda: Memory._status(proc.pid, "VmRSS")  # noqa: E731
            before, peak = rss(), 0
            t0 = time.perf_counter()
            first, size, rows = None, 0, 0
            with s.get(f"{base}/devices?format=csv", stream=True, timeout=600) as r:
                r.raise_for_status()
                for piece in r.iter_content(256 * 1024):
                    if first is None:
                        first = time.perf_counter() - t0
                    size += len(piece)
                    rows += piece.count(b"\n")
                    peak = max(peak, rss())
            total = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    out = {"cards": cards, "rows": rows - 1, "first_byte": first, "total": total,
           "bytes": size, "rss_before": before, "rss_peak": peak}
    print(f"  export of {rows - 1:,} cards as CSV through a gateway: first byte {first:.2f} s, "
          f"{size / 1e6:.0f} MB in {total:.1f} s; gateway RSS {before / 2**20:.0f} MB before, "
          f"{peak / 2**20:.0f} MB at most while streaming", flush=True)
    return out


# -- import through the gateway ------------------------------------------------------------------

def vkn(n):
    """A 10-digit tax number with its check digit (domain.vkn_valid)."""
    nine = f"{n % 10**9:09d}"
    return next(nine + d for d in "0123456789" if domain.vkn_valid(nine + d))


def tckn(n):
    """An 11-digit national id (a sole proprietor's tax number) with its check digits."""
    d = [int(c) for c in f"{1 + n % 9}{n % 10**8:08d}"]
    d.append(((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10)
    d.append(sum(d) % 10)
    return "".join(map(str, d))


BAD_EVERY = 50  # 2% of the rows are bad, each in one of these ways:
BAD = [("customer_tax_no", "1234567891"), ("purchase_date", "31.02.2024"),
       ("price", "12,500"), ("device_type", "uzay gemisi"), ("serial", ""),
       ("customer_phone", "telefon yok"), ("customer_city", "Gotham"),
       ("warranty_end", "01.01.2001")]


def import_csv(rows):
    """`rows` data rows of a Turkish company's archive as Turkish Excel saves it: Windows-1254,
    `;`, the importer's Turkish header, decimal commas (`12.345,67`), DD.MM.YYYY; customers
    with tax numbers (VKN, a few TCKN) and 20 cards each, phones, il/ilçe, sites; 2% of the
    rows bad (BAD: one wrong cell each). Returns (bytes, the number of bad rows)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow([c.tr for c in importer.COLUMNS])
    type_names = {code: tr for code, tr, _ in domain.DEFAULT_DEVICE_TYPES}
    bad = 0
    for i in range(rows):
        c = 500_000 + i // 20  # other customers than the lookup data's (separate database)
        brand, dtype, model, _, w_end, _, rnd = device_spec(i)
        purchase = (w_end - timedelta(days=730)) if w_end else None
        values = {
            "customer_name": customer_name(c),
            "customer_tax_no": tckn(c) if c % 10 == 0 else vkn(c),
            "customer_phone": f"0212 555 {c % 100:02d} {c % 97:02d}",
            "customer_email": f"servis{c}@example.com.tr",
            "customer_address": f"Atatürk Cad. No: {c % 200 + 1}",
            "customer_city": CITIES[c % 10], "customer_district": "Merkez",
            "customer_language": "Türkçe", "site": f"{CITIES[(c + i // 5) % 10]} şubesi",
            "brand": brand, "model": model, "device_type": type_names[dtype],
            "serial": f"IMP-{serial_of(i)}",
            "price": f"{rnd.randrange(1, 90)}.{rnd.randrange(1000):03d},{rnd.randrange(100):02d}",
            "currency": "TL", "purchase_date": purchase.strftime("%d.%m.%Y") if purchase else "",
            "vendor": "Işık Elektronik A.Ş.", "insured": "Evet" if i % 4 == 0 else "Hayır",
            "insurer": "Anadolu Sigorta" if i % 4 == 0 else "",
            "policy_no": f"POL-{i:07d}" if i % 4 == 0 else "",
            "warranty_start": purchase.strftime("%d.%m.%Y") if w_end else "",
            "warranty_end": w_end.strftime("%d.%m.%Y") if w_end else "",
            "notes": "Çatı ünitesi; yılda iki bakım." if i % 10 == 0 else ""}
        if i % BAD_EVERY == BAD_EVERY - 1:
            key, value = BAD[(i // BAD_EVERY) % len(BAD)]
            if key == "warranty_end" and not w_end:
                key, value = "price", "abc"
            values[key] = value
            bad += 1
        w.writerow([values[c.key] for c in importer.COLUMNS])
    return out.getvalue().encode("cp1254"), bad


def stop_system(env, data_dir):
    with contextlib.suppress(Exception):
        subprocess.run([sys.executable, "deploy/run.py", "down"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=90, start_new_session=True)
    leftovers = our_processes(data_dir)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while leftovers and time.monotonic() < deadline:
        leftovers = [p for p in leftovers if os.path.exists(f"/proc/{p}")]
        time.sleep(0.2)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Memory:
    """Samples the RSS of the gateway and the devices processes (what `deploy/run.py up`
    started for this DATA_DIR) every 0.2 s in a thread; `peak` is the largest sum seen, `hwm`
    the sum of the kernel's own peaks (VmHWM) when asked."""

    def __init__(self, data_dir):
        self.pids = {}
        for pid in our_processes(data_dir):
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode()
                if "gateway.app" in cmd:
                    self.pids["gateway"] = pid
                elif "services.devices.service" in cmd:
                    self.pids["devices"] = pid
        self.peak, self.peak_parts, self._stop = 0, {}, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _status(pid, field):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        return 0

    def now(self):
        return {name: self._status(pid, "VmRSS") for name, pid in self.pids.items()}

    def _run(self):
        while not self._stop.wait(0.2):
            parts = self.now()
            if sum(parts.values()) > self.peak:
                self.peak, self.peak_parts = sum(parts.values()), parts

    def hwm(self):
        return {name: self._status(pid, "VmHWM") for name, pid in self.pids.items()}

    def stop(self):
        self._stop.set()
        self.thread.join()


class Lookups:
    """Serial lookups (`devices.find_devices({"serial": s})`, the RPC the lookup bench times)
    in a thread of their own, one after another, until stopped; the times in seconds."""

    def __init__(self, amqp_uri, serials):
        self.amqp_uri, self.serials = amqp_uri, serials
        self.times, self._stop = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        from nameko.standalone.rpc import ClusterRpcProxy
        rnd = random.Random(5)
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=CALL_TIMEOUT) as proxy:
            for s in self.serials[:20]:
                proxy.devices.find_devices({"serial": s})
            while not self._stop.is_set():
                s = self.serials[rnd.randrange(len(self.serials))]
                t0 = time.perf_counter()
                proxy.devices.find_devices({"serial": s})
                self.times.append(time.perf_counter() - t0)
                time.sleep(0.02)

    def stop(self):
        self._stop.set()
        self.thread.join(60)
        return self.times


def unsent_events(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
    finally:
        engine.dispose()


def run_import(s, base, body, db_url, args, label):
    """POST the file, poll the job until done, then wait for the outbox to be drained; the
    times (upload, done, drained from the start of the upload), the job and the polls."""
    t0 = time.perf_counter()
    r = s.post(f"{base}/devices/import", data=body, timeout=1800, headers={
        "Content-Type": "text/csv", "X-Filename": "bench.csv"})
    upload = time.perf_counter() - t0
    if r.status_code != 202:
        raise RuntimeError(f"POST /devices/import: HTTP {r.status_code} {r.text[:500]}")
    job = r.json()
    print(f"  {label}: uploaded {len(body) / 1e6:.1f} MB in {upload:.1f} s; job {job['id']}",
          flush=True)
    deadline, last_print, slowest, moves = time.monotonic() + args.import_timeout, 0, 0.0, set()
    while True:
        tp = time.perf_counter()
        r = s.get(f"{base}/devices/import/{job['id']}", timeout=args.import_timeout)
        slowest = max(slowest, time.perf_counter() - tp)
        if r.status_code == 200:
            job = r.json()
            moves.add(job["processed"])
            if job["status"] == "done" or time.monotonic() > deadline:
                break
            if time.monotonic() - last_print > 15:
                el = time.perf_counter() - t0
                print(f"    {job['processed']:,}/{job['total']:,} after {el:.0f} s", flush=True)
                last_print = time.monotonic()
        time.sleep(0.5)
    done = time.perf_counter() - t0
    while unsent_events(db_url) and time.monotonic() < deadline:
        time.sleep(0.25)
    drained = time.perf_counter() - t0
    print(f"  {label}: done at {done:.1f} s ({job['processed']:,} rows: created "
          f"{job['created']:,}, updated {job['updated']:,}, unchanged {job['unchanged']:,}, "
          f"failed {job['failed']:,}), outbox drained at {drained:.1f} s; progress moved "
          f"{len(moves)} times; slowest progress GET {slowest:.2f} s", flush=True)
    return {"upload": upload, "done_at": done, "drained_at": drained, "job": job,
            "slowest_poll": slowest, "progress_steps": len(moves),
            "finished": job["status"] == "done"}


def database_bulk_insert(backend, db_url, body, tmp):
    """The database's own bulk insert of the same rows, into a table of text columns: SQLite's
    `.import` (the sqlite3 shell), PostgreSQL's COPY FROM STDIN (csv, `;`, WIN1254)."""
    columns = ", ".join(f'"{c.key}" text' for c in importer.COLUMNS)
    if backend == "sqlite":
        path = os.path.join(tmp, "copy.db")
        csv_path = os.path.join(tmp, "copy.csv")
        with open(csv_path, "wb") as f:
            f.write(body)
        t0 = time.perf_counter()
        subprocess.run(["sqlite3", path], input=f"CREATE TABLE raw ({columns});\n"
                       f".mode csv\n.separator ;\n.import --skip 1 {csv_path} raw\n",
                       text=True, check=True, capture_output=True)
        took = time.perf_counter() - t0
        return took, "sqlite3 .import (a new file)"
    import psycopg2
    url = db_url.replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE bench_raw ({columns})")
            t0 = time.perf_counter()
            cur.copy_expert("COPY bench_raw FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER, "
                            "ENCODING 'WIN1254')", io.BytesIO(body))
            conn.commit()
            took = time.perf_counter() - t0
            cur.execute("DROP TABLE bench_raw")
            conn.commit()
    finally:
        conn.close()
    return took, "COPY FROM STDIN"


def export_csv(s, base, memory):
    """GET /devices?format=csv: seconds to the first byte and to the end, bytes, and the
    gateway's RSS growth while it streamed."""
    before = memory.now().get("gateway", 0)
    t0 = time.perf_counter()
    first, size, peak = None, 0, before
    with s.get(f"{base}/devices?format=csv", stream=True, timeout=1800) as r:
        r.raise_for_status()
        for piece in r.iter_content(64 * 1024):
            if first is None:
                first = time.perf_counter() - t0
            size += len(piece)
            peak = max(peak, memory.now().get("gateway", 0))
    total = time.perf_counter() - t0
    return {"first_byte": first, "total": total, "bytes": size,
            "gateway_growth": peak - before}


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def import_backend(backend, args, stack, tmp, file):
    import requests
    body, bad = file
    data_dir = os.path.join(tmp, "system")
    os.makedirs(data_dir)
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    password = secrets.token_urlsafe(12)
    port = free_port()
    env = dict(os.environ, DATA_DIR=data_dir, GATEWAY_PORT=str(port), AMQP_URI=amqp_uri,
               ADMIN_PASSWORD=password, HEALTH_WAIT="120", RPC_TIMEOUT="120")
    for var in ("SMTP_URL", "JWT_SECRET", "LOG_LEVEL", "IMPORT_MODE", "IMPORT_BATCH_SIZE"):
        env.pop(var, None)
    if args.import_mode:
        env["IMPORT_MODE"] = args.import_mode
    if args.import_batch_size:
        env["IMPORT_BATCH_SIZE"] = str(args.import_batch_size)
    for key in [k for k in env if k.endswith("_DATABASE_URL")]:
        del env[key]
    if backend == "postgresql":
        db_url = env["DEVICES_DATABASE_URL"] = stack.enter_context(
            temporary_postgres_database("servis_bench_import"))
    else:
        db_url = f"sqlite:///{os.path.join(data_dir, 'devices.db')}"
    stack.callback(stop_system, env, data_dir)
    up = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300, start_new_session=True)
    if up.returncode != 0:
        raise RuntimeError(f"deploy/run.py up failed:\n{up.stdout}\n{up.stderr}")
    base = f"http://127.0.0.1:{port}/api/v1"
    memory = Memory(data_dir)
    stack.callback(memory.stop)
    serials = [f"IMP-{serial_of(i)}" for i in range(0, args.import_rows, 7)]
    out = {"rows": args.import_rows, "bad": bad, "mb": len(body) / 1e6,
           "load_before": load_average()}
    with requests.Session() as s:
        r = s.post(f"{base}/auth/token", json={"username": "admin", "password": password},
                   timeout=30)
        r.raise_for_status()
        s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        lookups = Lookups(amqp_uri, serials)
        out["first"] = run_import(s, base, body, db_url, args, "import")
        during = lookups.stop()
        out["load_first"] = load_average()
        lookups = Lookups(amqp_uri, serials)
        time.sleep(max(3.0, min(15.0, args.import_rows / 10000)))
        idle = lookups.stop()
        lookups = Lookups(amqp_uri, serials)
        out["again"] = run_import(s, base, body, db_url, args, "the same file again")
        during_again = lookups.stop()
        out["load_again"] = load_average()
        out["lookups"] = {"idle": summary(idle) if idle else None,
                          "first": summary(during) if during else None,
                          "again": summary(during_again) if during_again else None}
        out["memory_peak"], out["memory_parts"] = memory.peak, memory.peak_parts
        out["memory_hwm"] = memory.hwm()
        out["export"] = export_csv(s, base, memory)
    out["database_bulk"] = database_bulk_insert(backend, db_url, body, tmp)
    f, a = out["first"], out["again"]
    out["done"] = f["finished"] and a["finished"]
    out["failed"] = f["job"]["failed"]
    out["unexpected"] = (f["job"]["failed"] != bad or a["job"]["failed"] != bad
                         or a["job"]["unchanged"] != args.import_rows - bad
                         or f["job"]["created"] != args.import_rows - bad)
    print(f"  lookups p95 idle / during import / during the re-import: "
          f"{(out['lookups']['idle'] or {}).get('p95', float('nan')):.1f} / "
          f"{(out['lookups']['first'] or {}).get('p95', float('nan')):.1f} / "
          f"{(out['lookups']['again'] or {}).get('p95', float('nan')):.1f} ms; memory peak "
          f"{memory.peak / 2**20:.0f} MB; database bulk insert "
          f"{out['database_bulk'][0]:.1f} s; export first byte "
          f"{out['export']['first_byte']:.2f} s", flush=True)
    return out


# -- report ----------------------------------------------------------------------------------

GOAL_IMPORT_S, GOAL_AGAIN_S, GOAL_LOOKUP_RATIO, GOAL_MEMORY_MB = 60.0, 30.0, 3.0, 300


def import_report(imp):
    f, a, lk = imp["first"], imp["again"], imp["lookups"]
    took, how = imp["database_bulk"]
    lines = [f"  import of {imp['rows']:,} rows ({imp['mb']:.1f} MB, Windows-1254, `;`, "
             f"{imp['bad']:,} bad rows); load average before {imp['load_before']}, after the "
             f"import {imp['load_first']}, after the re-import {imp['load_again']}"]
    for label, run, goal in (("import", f, GOAL_IMPORT_S), ("same file again", a, GOAL_AGAIN_S)):
        j = run["job"]
        lines.append(
            f"    {label}: upload {run['upload']:.1f} s, job done {run['done_at']:.1f} s, outbox "
            f"drained {run['drained_at']:.1f} s ({j['processed'] / run['drained_at']:,.0f} "
            f"rows/s); created {j['created']:,}, updated {j['updated']:,}, unchanged "
            f"{j['unchanged']:,}, failed {j['failed']:,}; progress moved "
            f"{run['progress_steps']} times, slowest progress GET {run['slowest_poll']:.2f} s")
        lines.append(f"    GOAL {label} end to end (outbox drained) <= {goal:g} s: "
                     f"{run['drained_at']:.1f} s {verdict(run['drained_at'] <= goal)}")
    lines.append(f"    the database's own bulk insert of the same rows ({how}): {took:.1f} s")
    if lk["idle"]:
        for label, key in (("import", "first"), ("same file again", "again")):
            if lk[key]:
                ratio = lk[key]["p95"] / lk["idle"]["p95"]
                lines.append(
                    f"    GOAL serial lookup p95 during the {label} <= {GOAL_LOOKUP_RATIO:g}x "
                    f"without: {lk[key]['p95']:.1f} ms vs {lk['idle']['p95']:.1f} ms (p50 "
                    f"{lk[key]['p50']:.1f} vs {lk['idle']['p50']:.1f}; {lk[key]['n']} lookups) "
                    f"= {ratio:.2f}x {verdict(ratio <= GOAL_LOOKUP_RATIO)}")
    mb = imp["memory_peak"] / 2**20
    parts = ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in imp["memory_parts"].items())
    hwm = ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in imp["memory_hwm"].items())
    lines.append(f"    GOAL memory peak (RSS of gateway + devices, sampled every 0.2 s) <= "
                 f"{GOAL_MEMORY_MB} MB: {mb:.0f} MB ({parts}; each one's own peak VmHWM: "
                 f"{hwm}) {verdict(mb <= GOAL_MEMORY_MB)}")
    e = imp["export"]
    lines.append(f"    export GET /devices?format=csv of {imp['rows'] - imp['bad']:,} cards: "
                 f"first byte {e['first_byte']:.2f} s, all {e['bytes'] / 1e6:.1f} MB in "
                 f"{e['total']:.1f} s; the gateway grew {e['gateway_growth'] / 2**20:.1f} MB "
                 f"meanwhile")
    if imp["unexpected"]:
        lines.append("    UNEXPECTED counts: failed must be the file's bad rows, created the "
                     "rest; again: unchanged the rest")
    return lines


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(results, args, started, wall):
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    lines = [f"\n=== devices bench: {started:%Y-%m-%d %H:%M:%S} UTC, wall {wall:.0f} s; "
             f"{os.cpu_count()} vCPU {cpu}, {mem:.1f} GiB ===",
             f"sizes {args.small:,} and {args.n:,} cards; {args.lookups} lookups, "
             f"{args.pages} pages each; import {args.import_rows:,} rows"]
    for backend, r in results.items():
        lines.append(f"\n--- {backend} ---")
        if "error" in r:
            lines.append(f"  ERROR: {r['error']}")
        for size, secs, counts in r.get("loads", []):
            lines.append(f"  load to {size:,}: {counts['devices']:,} cards + "
                         f"{counts['customers']:,} customers + {counts['coverage_periods']:,} "
                         f"periods in {secs:.1f} s ({counts['devices'] / secs:,.0f} cards/s)")
        lines.append(f"  {'cards':>10} {'what':<28}{'p50 ms':>9}{'p95 ms':>9}{'mean':>9}")
        for key in ("small", "large"):
            m = r.get(key)
            if not m:
                continue
            for what, label in (("ping", "ping (floor)"), ("serial", "find_devices serial"),
                                ("raw_serial", "raw SQL serial (no RPC)"),
                                ("page1", "warranty page 1 (1 month)"),
                                ("page5", "warranty page 5 (3 months)")):
                s = m[what]
                lines.append(f"  {m['size']:>10,} {label:<28}{s['p50']:>9.2f}{s['p95']:>9.2f}"
                             f"{s['mean']:>9.2f}")
            lines.append(f"  {m['size']:>10,} serial - floor: p50 "
                         f"{m['serial_minus_floor_p50']:.2f} ms, p95 "
                         f"{m['serial_minus_floor_p95']:.2f} ms; serial/ping p50 "
                         f"{m['serial']['p50'] / m['ping']['p50']:.2f}")
        top = r.get("large") or r.get("small")
        if top:
            p95 = top["serial"]["p95"]
            lines.append(f"  GOAL serial lookup p95 at {top['size']:,} <= "
                         f"{GOAL_SERIAL_P95_MS:g} ms: {p95:.2f} ms {verdict(p95 <= GOAL_SERIAL_P95_MS)}")
        if r.get("small") and r.get("large"):
            for what in ("page1", "page5"):
                ratio = r["large"][what]["p95"] / r["small"][what]["p95"]
                lines.append(f"  GOAL warranty {what} p95 {args.n:,}/{args.small:,} <= "
                             f"{GOAL_PAGE_RATIO:g}: {ratio:.2f} {verdict(ratio <= GOAL_PAGE_RATIO)}")
        ex = r.get("export")
        if ex:
            lines.append(f"  export GET /devices?format=csv of {ex['rows']:,} cards through a "
                         f"gateway: first byte {ex['first_byte']:.2f} s "
                         f"{verdict(ex['first_byte'] <= 1.0)} (goal <= 1 s), "
                         f"{ex['bytes'] / 1e6:.0f} MB in {ex['total']:.1f} s; gateway RSS "
                         f"{ex['rss_before'] / 2**20:.0f} MB before, "
                         f"{ex['rss_peak'] / 2**20:.0f} MB at most while streaming")
        for label, plan in r.get("explain", []):
            lines.append(f"  plan {label}: {plan}")
        imp = r.get("import")
        if imp:
            lines += import_report(imp)
        if r.get("import_error"):
            lines.append(f"  import ERROR: {r['import_error']}")
    print("\n".join(lines), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="cards at the large size")
    ap.add_argument("--small", type=int, default=10_000, help="cards at the small size")
    ap.add_argument("--import-rows", type=int, default=100_000, help="rows of the CSV (0: skip)")
    ap.add_argument("--import-timeout", type=float, default=3600,
                    help="give up waiting for the import after this many seconds")
    ap.add_argument("--import-mode", choices=("bulk", "rows"), default=None,
                    help="IMPORT_MODE of the devices service (default: its own, bulk)")
    ap.add_argument("--import-batch-size", type=int, default=None,
                    help="IMPORT_BATCH_SIZE of the devices service (default: its own)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--skip-lookups", action="store_true")
    ap.add_argument("--no-export", dest="export", action="store_false",
                    help="skip the CSV export of the whole archive through a gateway")
    args = ap.parse_args()
    started, t_start = datetime.now(timezone.utc), time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    body = None
    if args.import_rows:
        t0 = time.perf_counter()
        body = import_csv(args.import_rows)
        print(f"generated the {args.import_rows:,}-row CSV ({len(body[0]) / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
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
        if not args.skip_lookups:
            tmp = tempfile.mkdtemp(prefix=f"servis-bench-devices-{backend}-")
            try:
                with contextlib.ExitStack() as stack:
                    r.update(lookups_backend(backend, args, stack, tmp))
            except Exception as exc:  # noqa: B902 - reported, the other backend still runs
                import traceback
                traceback.print_exc()
                r["error"] = f"{type(exc).__name__}: {exc}"
                rc = 1
            finally:
                shutil.rmtree(tmp, True)
        if args.import_rows:
            tmp = tempfile.mkdtemp(prefix=f"servis-bench-import-{backend}-")
            try:
                with contextlib.ExitStack() as stack:
                    r["import"] = import_backend(backend, args, stack, tmp, body)
            except Exception as exc:  # noqa: B902
                import traceback
                traceback.print_exc()
                r["import_error"] = f"{type(exc).__name__}: {exc}"
                rc = 1
            finally:
                shutil.rmtree(tmp, True)
    report(results, args, started, time.monotonic() - t_start)
    outcome = {backend: outcome_of(r, args) for backend, r in results.items()}
    record_outcome("devices", outcome)
    return rc if all(o == "ran" or o.startswith("skipped") for o in outcome.values()) else 1


def outcome_of(r, args):
    """"ran" when every step asked for ran to the end on this backend."""
    error = r.get("error") or r.get("import_error")
    if error:
        return error if error.startswith("skipped") else f"failed: {error}"[:500]
    if not args.skip_lookups and ("small" not in r or (args.n > args.small
                                                         and "large" not in r)):
        return "failed: a lookup size has no figures"
    imp = r.get("import")
    if args.import_rows and not imp:
        return "failed: no import figures"
    if imp and not imp["done"]:
        return f"failed: the import did not finish within {args.import_timeout:g} s"
    if imp and imp["unexpected"]:
        return (f"failed: {imp['failed']} rows refused, {imp['bad']} bad in the file (or the "
                f"re-import changed something)")
    return "ran"


if __name__ == "__main__":
    sys.exit(main())

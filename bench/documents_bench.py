#!/usr/bin/env python
"""Documents through the API against WeasyPrint alone (issue 13).

    .venv/bin/python bench/documents_bench.py [--backends sqlite,postgresql] [--calls 40]
        [--report-forms 300] [--report-calls 3]

For each backend the whole system is started with `deploy/run.py up` (a fresh vhost,
DATA_DIR and port; PostgreSQL: a fresh database per service), as bench/gateway_bench.py does.
A customer and one form are created through the API, and `--report-forms` more forms of that
customer are written straight into forms' database (the report's rows: ~15 a page, 300 make
20 pages).

Timed, alternating call by call so both paths see the same machine:
- **one page**: `POST /api/v1/document-templates/intake_slip/preview {form_id}` — the form's
  intake slip rendered on request and answered as application/pdf (gateway, RPC, forms'
  context read, Jinja, the PDF child process, base64 back) — against the same HTML (asked
  once with `html: true`) rendered by WeasyPrint in this process (services.common.documents.pdf
  Renderer: what the child runs, warm fonts);
- **the periodic report**: `POST /api/v1/customers/{id}/periodic-reports {from, to}` — issued,
  rendered, stored and answered — against its HTML (the preview with `customer_id`, `from`,
  `to`, `html: true`) rendered by WeasyPrint alone. The report's page count is printed.

Goals: one page p95 ≤ 150 ms and ≤ 1.3 × WeasyPrint's p95; the report ≤ 2 s and ≤ 1.3 ×
WeasyPrint's (medians). Exit 0 when every step ran (a missed goal prints MISS); the outcome
is recorded for `make bench-smoke` (bench.common.record_outcome). Everything started is
stopped at the end, on errors and on Ctrl-C/SIGTERM too.
"""
import argparse
import contextlib
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.common import record_outcome  # noqa: E402
from bench.gateway_bench import (SERVICE_DB_NAMES, api, machine, percentile,  # noqa: E402
                                 start_system, stop_system)
from services.common.testing import free_port  # noqa: E402

GOAL_PAGE_P95 = 0.150
GOAL_REPORT = 2.0
GOAL_RATIO = 1.3


def load_report_forms(db_url, customer_id, customer_name, n):
    """`n` delivered forms of the customer, written as forms stores them (opened this month)."""
    from sqlalchemy.orm import Session

    from services.common.db import make_engine
    from services.common.text import fold, sort_key
    from services.forms import domain
    from services.forms.models import Form
    engine = make_engine(db_url)
    now = datetime.now(timezone.utc)
    tag = secrets.token_hex(3).upper()
    with Session(engine) as s, s.begin():
        for i in range(n):
            total = Decimal(1000 + i % 700) + Decimal("0.50")
            s.add(Form(
                number=f"SF-{now.year}-B{tag}{i:05d}", kind="repair", status="DELIVERED",
                status_rank=domain.STATUSES.index("DELIVERED") + 1, version=1,
                customer_id=customer_id, customer_name=customer_name,
                customer_name_sort=sort_key(customer_name), customer_language="tr",
                rep_language="tr", device_id=100000 + i, device_brand="Kyocera",
                device_model="TASKalfa 2554ci", device_type="printer", device_type_key="printer",
                device_serial=f"RPT-{tag}-{i:05d}",
                complaint="Kâğıt sıkıştırıyor; ekranda hata kodu görünüyor",
                complaint_folded=fold("Kâğıt sıkıştırıyor"), fault_type_key="",
                work_done="Merdane ve ayırıcı ped değiştirildi", currency="TRY",
                gross_total=total, subtotal=total, total=total * Decimal("1.2"),
                covered_total=Decimal("0.00"), created_at=now - timedelta(minutes=i),
                updated_at=now, delivered_at=now - timedelta(minutes=i),
                delivered_on=now.date()))
    engine.dispose()


def time_pair(api_call, direct_call, calls, warmup):
    """Both paths, alternating call by call (api, direct, direct, api, …): seconds each."""
    for _ in range(warmup):
        api_call()
        direct_call()
    api_times, direct_times = [], []
    for i in range(calls):
        order = (api_call, direct_call) if i % 2 == 0 else (direct_call, api_call)
        for fn in order:
            t0 = time.perf_counter()
            fn()
            (api_times if fn is api_call else direct_times).append(time.perf_counter() - t0)
    return sorted(api_times), sorted(direct_times)


def run_backend(backend, args):
    from services.common.documents.pdf import Renderer
    from services.common.testing import temporary_postgres_database, temporary_vhost
    import requests

    figures = {}
    with contextlib.ExitStack() as stack:
        try:
            amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
            data_dir = tempfile.mkdtemp(prefix=f"servis-bench-docs-{backend}-")
            stack.callback(shutil.rmtree, data_dir, True)
            password = secrets.token_urlsafe(12)
            port = free_port()
            env = dict(os.environ, DATA_DIR=data_dir, GATEWAY_PORT=str(port), AMQP_URI=amqp_uri,
                       ADMIN_PASSWORD=password, HEALTH_WAIT="120", RPC_TIMEOUT="60")
            for var in ("SMTP_URL", "JWT_SECRET", "LOG_LEVEL"):
                env.pop(var, None)
            for name in SERVICE_DB_NAMES:
                env.pop(f"{name.upper()}_DATABASE_URL", None)
                if backend == "postgresql":
                    env[f"{name.upper()}_DATABASE_URL"] = stack.enter_context(
                        temporary_postgres_database(f"servis_bench_{name}"))
            stack.callback(stop_system, env, data_dir)
            start_system(env, data_dir)
            base = f"http://127.0.0.1:{port}/api/v1"
            s = stack.enter_context(requests.Session())
            token = api(s, "POST", f"{base}/auth/token", 200,
                        json={"username": "admin", "password": password})["access_token"]
            s.headers["Authorization"] = f"Bearer {token}"
            name = "Güneş Işıkçıoğlu Ödül İnşaat A.Ş."
            customer = api(s, "POST", f"{base}/customers", 201, json={"name": name})
            form = api(s, "POST", f"{base}/forms", 201, json={
                "customer_id": customer["id"], "complaint": "Kâğıt sıkıştırıyor",
                "accessories": "Güç kablosu", "device": {
                    "brand": "Kyocera", "serial": "BENCH-DOC-1", "model": "TASKalfa 2554ci"}})
            db_url = env.get("FORMS_DATABASE_URL") or f"sqlite:///{data_dir}/forms.db"
            t0 = time.monotonic()
            load_report_forms(db_url, customer["id"], name, args.report_forms)
            print(f"  1 form through the API, {args.report_forms} report rows loaded in "
                  f"{time.monotonic() - t0:.1f} s", flush=True)
            renderer = Renderer()

            # one page
            preview = f"{base}/document-templates/intake_slip/preview"
            html = api(s, "POST", preview, 200, json={"form_id": form["id"], "html": True})["html"]

            def page_api():
                r = s.post(preview, json={"form_id": form["id"]}, timeout=60)
                assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]

            a, d = time_pair(page_api, lambda: renderer.render(html), args.calls, args.warmup)
            figures["page"] = (a, d)
            print(f"  one page   API p50 {percentile(a, 50) * 1000:7.1f} ms  p95 "
                  f"{percentile(a, 95) * 1000:7.1f} ms | WeasyPrint alone p50 "
                  f"{percentile(d, 50) * 1000:7.1f} ms  p95 {percentile(d, 95) * 1000:7.1f} ms",
                  flush=True)

            # the periodic report
            today = date.today()
            window = {"from": (today - timedelta(days=31)).isoformat(),
                      "to": (today + timedelta(days=1)).isoformat()}
            html = api(s, "POST", f"{base}/document-templates/periodic_report/preview", 200,
                       json={"customer_id": customer["id"], "html": True, **window})["html"]
            pages = renderer.render(html)[1]
            issued = []

            def report_api():
                doc = api(s, "POST", f"{base}/customers/{customer['id']}/periodic-reports",
                          201, json=window)
                assert doc["status"] == "issued", doc
                issued.append(doc["pages"])

            a, d = time_pair(report_api, lambda: renderer.render(html), args.report_calls,
                             args.report_warmup)
            figures["report"] = (a, d)
            assert set(issued) == {pages}, (issued, pages)
            print(f"  report ({pages} pages)  API median {statistics.median(a):6.2f} s  max "
                  f"{a[-1]:6.2f} s | WeasyPrint alone median {statistics.median(d):6.2f} s  max "
                  f"{d[-1]:6.2f} s", flush=True)
            figures["pages"] = pages
            print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("  stopping ...", flush=True)
    return figures


def verdicts(figures):
    a, d = figures["page"]
    page_p95, page_ratio = percentile(a, 95), percentile(a, 95) / percentile(d, 95)
    ra, rd = figures["report"]
    report, report_ratio = statistics.median(ra), statistics.median(ra) / statistics.median(rd)

    def v(ok):
        return "PASS" if ok else "MISS"
    p50_ratio = percentile(a, 50) / percentile(d, 50)
    return [f"one page p95 {page_p95 * 1000:.0f} ms {v(page_p95 <= GOAL_PAGE_P95)}",
            f"one page p95 / WeasyPrint p95 {page_ratio:.2f} {v(page_ratio <= GOAL_RATIO)} "
            f"(p50 / p50 {p50_ratio:.2f})",
            f"{figures['pages']}-page report {report:.2f} s {v(report <= GOAL_REPORT)}",
            f"report / WeasyPrint {report_ratio:.2f} {v(report_ratio <= GOAL_RATIO)}"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--calls", type=int, default=40, help="one-page calls per path")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--report-forms", type=int, default=300, help="rows of the report (~15 a page)")
    p.add_argument("--report-calls", type=int, default=3)
    p.add_argument("--report-warmup", type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)

    def on_sigterm(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_sigterm)
    from services.common.testing import postgres_available
    print(f"Documents through the API vs WeasyPrint alone (issue 13)\n"
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {machine()}", flush=True)
    status, outcome, summary = 0, {}, []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"\n--- backend: {backend}", flush=True)
        if backend == "postgresql":
            ok, why = postgres_available()
            if not ok:
                why = " ".join(why.split())
                print(f"  SKIPPED: {why}")
                outcome[backend] = f"skipped: {why}"
                continue
        try:
            figures = run_backend(backend, args)
        except KeyboardInterrupt:
            print("\nInterrupted; everything started was stopped.", file=sys.stderr)
            return 130
        except Exception as exc:
            traceback.print_exc()
            outcome[backend] = f"failed: {type(exc).__name__}: {exc}"[:500]
            status = 1
            continue
        outcome[backend] = "ran"
        summary.append(f"{backend}: " + "; ".join(verdicts(figures)))
    print("\nSummary: " + (" | ".join(summary) or "nothing ran"))
    record_outcome("documents", outcome)
    return status


if __name__ == "__main__":
    sys.exit(main())

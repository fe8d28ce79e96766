#!/usr/bin/env python
"""notify: e-mails per second from event to accepted by a local aiosmtpd, and latency from the
event's occurred_at to SMTP acceptance (issue 5). `.venv/bin/python bench/notify_bench.py`

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL) notify runs as a
real process (`nameko run`) on a fresh vhost against a real SMTP server (aiosmtpd, in its own
process). Three measurements:
  raw     smtplib sending N prebuilt messages over one connection to the same aiosmtpd
          (the floor of the SMTP leg alone: no broker, no database)
  burst   N form_created events published at once; rate = N / (last acceptance − first publish)
  paced   events published at --rate per second for --seconds; latency = acceptance time −
          occurred_at, p50/p95 (the goal's condition: a steady flow, not a backlog)
Goals: burst ≥ 50 e-mails/s, paced p95 ≤ 1 s. Everything started is stopped at the end.
"""
import argparse
import contextlib
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kombu import Connection, Exchange, Producer  # noqa: E402

from bench.common import record_outcome  # noqa: E402

from services.common.events import make_event  # noqa: E402
from services.common.testing import (SmtpSink, postgres_available,  # noqa: E402
                                     temporary_postgres_database, temporary_vhost)


def payload(i):
    return {"form": {
        "id": i, "number": f"SF-2026-{i:06d}", "kind": "repair",
        "customer": {"id": 1, "name": "IŞIK Soğutma", "email": None, "language": "tr"},
        "rep": {"name": "Ayşe Yılmaz", "email": "ayse@servis.local", "language": "tr"},
        "device": {"id": i, "brand": "Arçelik", "model": "X", "device_type": "Klima",
                   "serial": f"S-{i}"},
        "coverage": None, "complaint": "Kompresör çalışmıyor",
        "opened_at": datetime.now().astimezone()}}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def wait_until(predicate, limit):
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def raw_smtp(n, tmp):
    sink = SmtpSink(os.path.join(tmp, "raw"))
    try:
        msg = (b"From: a@x\r\nTo: b@x\r\nSubject: raw\r\nMessage-ID: <%d@raw>\r\n\r\n" +
               "Kompresör çalışmıyor\r\n".encode() * 20)
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", sink.port) as conn:
            for i in range(n):
                conn.sendmail("a@x", ["b@x"], msg.replace(b"%d", str(i).encode()))
        wait_until(lambda: len(sink.accepted()) >= n, 60)
        return n / (time.monotonic() - start)
    finally:
        sink.close()


def run_backend(name, db_url, args, tmp):
    out = {}
    with temporary_vhost(prefix="servis-bench") as amqp_uri:
        sink = SmtpSink(os.path.join(tmp, f"{name}-smtp"))
        data_dir = os.path.join(tmp, f"{name}-data")
        os.makedirs(data_dir)
        env = {**os.environ, "AMQP_URI": amqp_uri, "DATA_DIR": data_dir, "SMTP_URL": sink.url,
               "NOTIFY_DATABASE_URL": db_url or "",
               "PYTHONWARNINGS": "ignore"}
        proc = subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config",
                                 "services/notify/config.yaml", "services.notify.service"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(data_dir, "notify.log"), "w"))
        if args.profile:
            subprocess.Popen(["py-spy", "record", "-d", str(args.profile), "-o",
                              os.path.join(ROOT, f"data/notify-{name}.txt"), "-f", "raw", "-p",
                              str(proc.pid)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            from nameko.standalone.rpc import ClusterRpcProxy
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as rpc:
                wait_until(lambda: _answers(rpc), 60)
            exchange = Exchange("forms.events", type="topic", durable=True)
            with Connection(amqp_uri) as conn:
                producer = Producer(conn.channel(), exchange=exchange, serializer="json")
                # burst
                events = [make_event("form_created", "forms", payload(i)) for i in range(1, args.n + 1)]
                start = time.time()
                for e in events:
                    producer.publish(e, routing_key="form_created", delivery_mode=2)
                wait_until(lambda: len(sink.accepted()) >= args.n, 300)
                last = max(t for t, _ in sink.accepted()[:args.n])
                out["burst"] = args.n / (last - start)
                # paced
                before = len(sink.accepted())
                sent, occurred = 0, {}
                t0 = time.monotonic()
                total = int(args.rate * args.seconds)
                while sent < total:
                    due = t0 + sent / args.rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    e = make_event("form_created", "forms", payload(100000 + sent))
                    occurred[e["event_id"]] = datetime.fromisoformat(e["occurred_at"]).timestamp()
                    producer.publish(e, routing_key="form_created", delivery_mode=2)
                    sent += 1
                wait_until(lambda: len(sink.accepted()) >= before + total, 120)
                lat = [t - occurred[mid[1:37]] for t, mid in sink.accepted()[before:]
                       if mid[1:37] in occurred]
                out["paced_n"] = len(lat)
                out["p50"], out["p95"] = pct(lat, 50), pct(lat, 95)
                out["dups"] = len(sink.accepted()) - len({m for _, m in sink.accepted()})
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
            sink.close()
    return out


def _answers(rpc):
    try:
        return rpc.notify.ping() == "notify"
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="events in the burst")
    ap.add_argument("--rate", type=float, default=50, help="paced events per second")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--profile", type=int, default=0, help="py-spy the notify process (s)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    wanted = set(args.backends.split(","))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_smtp(args.n, tmp)
        print(f"raw SMTP (smtplib → aiosmtpd, one connection): {raw:8.1f} messages/s")
        backends = [("sqlite", None)] if "sqlite" in wanted else []
        outcome = {}
        ok, why = postgres_available() if "postgresql" in wanted else (False, "not asked")
        with contextlib.ExitStack() as stack:
            if "postgresql" not in wanted:
                pass
            elif ok:
                backends.append(("postgresql",
                                 stack.enter_context(temporary_postgres_database("servis_bench"))))
            else:
                print(f"postgresql: skipped ({why})")
                outcome["postgresql"] = f"skipped: {why}"
            for name, url in backends:
                r = run_backend(name, url, args, tmp)
                print(f"{name:10} burst {args.n}: {r['burst']:7.1f} e-mails/s "
                      f"({r['burst'] / raw:.2f}× raw SMTP) "
                      f"[{'PASS' if r['burst'] >= 50 else 'MISS'} ≥ 50/s]; "
                      f"paced {args.rate:g}/s × {args.seconds:g} s ({r['paced_n']}): "
                      f"p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms "
                      f"[{'PASS' if r['p95'] <= 1 else 'MISS'} ≤ 1 s]; duplicates {r['dups']}")
                outcome[name] = "ran"
    record_outcome("notify", outcome)


if __name__ == "__main__":
    main()

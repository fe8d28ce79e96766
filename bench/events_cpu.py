#!/usr/bin/env python
"""forms' CPU per customer event (issue 24: an import's customer_created/customer_updated), in
this process: the real forms service container (services/forms/config.yaml, as `nameko run`
reads it) on a fresh vhost and database, fed by a child process that publishes the events as
devices' outbox relay does (exchange `devices.events`, routing key = the event type, JSON
made by `make_events`); `time.process_time` of this process from the first publish until every
event has its processed_events row — so other sessions' load on the machine matters little.

    .venv/bin/python bench/events_cpu.py [--customers 1000] [--updates 3] [--forms 2000]
                                         [--backends sqlite,postgresql]

Each customer gets customer_created (version 1), then --updates customer_updated (versions 2,
3, ...: all customers' version 2, then all version 3, like an import's batches); ~4 events a
customer is what an import of devices rows sends. --forms forms are loaded first (forms_bench's
Loader: customers 1..forms/20, 20 forms each), so the updates of those customers rewrite
their forms' copy. The result is checked: every copy and form holds the newest version.

Not a `make bench` step (no goal of its own); docs/benchmarks.md, forms section, "Customer
events (issue 24)".
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (the container runs green, as under `nameko run`)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def customer(c, version):
    """Customer c's card at `version`, as devices' customer_event gives it."""
    name = f"Müşteri {c} Soğutma Ltd. Şti." + ("" if version == 1 else f" v{version}")
    return {"customer": {"id": c, "name": name, "email": f"musteri{c}@example.com.tr",
                         "language": "tr", "tax_no": f"{1000000000 + c:010d}",
                         "rep": {"user_id": 7, "name": "Ayşe Temsilci",
                                 "email": "ayse@example.com.tr", "language": "tr"},
                         "version": version, "report_frequency": "none"}}


def publish(amqp_uri, customers, updates):
    """The child: every event published, then the connection closed (flushed)."""
    from kombu import Connection, Exchange, Producer

    from services.common.events import make_events
    exchange = Exchange("devices.events", type="topic", durable=True)
    with Connection(amqp_uri) as conn:
        producer = Producer(conn.channel(), exchange=exchange)
        for version in range(1, updates + 2):
            event_type = "customer_created" if version == 1 else "customer_updated"
            for event in make_events(event_type, "devices",
                                     [customer(c, version) for c in range(1, customers + 1)]):
                producer.publish(json.dumps(event), routing_key=event_type,
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2)


def forms_config(amqp_uri, url, data_dir):
    import yaml
    from nameko.cli.main import setup_yaml_parser
    os.environ.update(AMQP_URI=amqp_uri, FORMS_DATABASE_URL=url, DATA_DIR=data_dir)
    setup_yaml_parser()
    with open(os.path.join(ROOT, "services", "forms", "config.yaml")) as f:
        config = yaml.safe_load(f)
    config.pop("LOGGING", None)
    return config


def run(backend, args, stack):
    from nameko.containers import ServiceContainer
    from sqlalchemy import create_engine, func, select

    from services.common.models import ProcessedEvent
    from services.common.testing import (temporary_postgres_database, temporary_vhost,
                                         wait_for_service)
    from services.forms.models import CustomerCopy, Form
    from services.forms.service import FormsService
    data_dir = stack.enter_context(tempfile.TemporaryDirectory())
    url = (f"sqlite:///{data_dir}/forms.db" if backend == "sqlite" else
           stack.enter_context(temporary_postgres_database("servis_events_cpu")))
    amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
    container = ServiceContainer(FormsService, forms_config(amqp_uri, url, data_dir))
    container.start()
    stack.callback(container.stop)
    wait_for_service(amqp_uri, "forms")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    stack.callback(engine.dispose)
    if args.forms:
        from bench.forms_bench import Loader
        Loader(engine).load(0, args.forms)
    total = args.customers * (1 + args.updates)

    def processed():
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ProcessedEvent)).scalar()

    idle_cpu, idle_wall = time.process_time(), time.perf_counter()
    time.sleep(3)  # the service's own loops (outbox relay, documents, heartbeat) alone
    idle = (time.process_time() - idle_cpu) / (time.perf_counter() - idle_wall)

    cpu, wall = time.process_time(), time.perf_counter()
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--publish", amqp_uri,
                              "--customers", str(args.customers), "--updates",
                              str(args.updates)], cwd=ROOT)
    deadline = time.monotonic() + args.timeout
    while (done := processed()) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{done} of {total} events processed within {args.timeout} s")
        time.sleep(0.25)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if child.wait(60):
        raise RuntimeError("the publisher failed")

    last = 1 + args.updates
    with engine.connect() as conn:
        copies = conn.execute(select(func.count()).select_from(CustomerCopy).where(
            CustomerCopy.version == last)).scalar()
        forms_behind = conn.execute(select(func.count()).select_from(Form).where(
            Form.customer_id <= args.customers,
            Form.customer_version.is_(None) | (Form.customer_version != last))).scalar()
    if copies != args.customers or forms_behind:
        raise RuntimeError(f"{copies} of {args.customers} copies at version {last}, "
                           f"{forms_behind} forms behind")
    print(f"{backend}: {total:,} events ({args.customers:,} customers, {args.updates} updates "
          f"each, {args.forms:,} forms): {cpu:.2f} s CPU = {cpu / total * 1000:.2f} ms/event, "
          f"{wall:.1f} s wall; idle {idle * 1000:.0f} ms CPU/s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--updates", type=int, default=3)
    ap.add_argument("--forms", type=int, default=2000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--publish", metavar="AMQP_URI", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.publish:
        return publish(args.publish, args.customers, args.updates)
    from services.common.testing import postgres_available
    for backend in args.backends.split(","):
        if backend == "postgresql" and not postgres_available()[0]:
            print(f"postgresql: skipped ({postgres_available()[1]})")
            continue
        with contextlib.ExitStack() as stack:
            run(backend, args, stack)


if __name__ == "__main__":
    main()

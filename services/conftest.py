"""Fixtures of the services' suites. eventlet first: nameko services run green."""

import os

import eventlet

eventlet.monkey_patch()  # noqa: E402

import contextlib  # noqa: E402
import itertools  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

import kombu.mixins  # noqa: E402
import pytest  # noqa: E402
from kombu import Connection, Consumer, Exchange, Queue  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.common.testing import (postgres_available, temporary_postgres_database,  # noqa
                                     temporary_vhost)

_consume = kombu.mixins.ConsumerMixin.consume


def _consume_briskly(self, limit=None, timeout=None, safety_interval=0.05, **kwargs):
    return _consume(self, limit, timeout, safety_interval, **kwargs)


# A nameko consumer notices it should stop only between two waits for the broker, each up to
# kombu's `safety_interval` (1 s): stopping a container took 2-3 s, most of the services'
# suite. In the tests' own process the wait is 50 ms; the services' behaviour is the same.
kombu.mixins.ConsumerMixin.consume = _consume_briskly


@pytest.fixture(scope="session")
def pdf_pool():
    """One PDF renderer (a child process) for the tests that render documents in-process."""
    from services.common.documents.pdf import PdfPool
    pool = PdfPool(1)
    pool.start()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def amqp_uri():
    with temporary_vhost() as uri:
        yield uri


# make test runs every backend; make test-unit, the quick loop, SQLite only (TEST_BACKENDS)
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "postgresql":
        ok, why = postgres_available()
        if not ok:
            pytest.skip(why)
    return request.param


@pytest.fixture
def database_url(backend, tmp_path):
    """database_url(name) -> a fresh database of the test's backend for that service."""
    with contextlib.ExitStack() as stack:
        def make(name):
            if backend == "sqlite":
                return f"sqlite:///{tmp_path}/{name}.db"
            return stack.enter_context(temporary_postgres_database(f"servis_test_{name}"))
        yield make


@pytest.fixture
def run_services(amqp_uri, database_url, tmp_path):
    """run_services(ServiceClass, ..., **config) starts real containers on the test vhost, each
    with its own database; they are stopped at the end of the test."""
    containers = []

    def start(*classes, **extra):
        for cls in classes:
            config = {"AMQP_URI": amqp_uri, "DATA_DIR": str(tmp_path),
                      "DATABASE_URL": database_url(cls.name), "OUTBOX_POLL_SECONDS": 0.5,
                      "DEVICES_RPC_TIMEOUT": 3,
                      **extra}
            container = ServiceContainer(cls, config)
            container.start()
            containers.append(container)
        return containers[-len(classes):]

    def restart(container):
        """Start a stopped service again with the same config (same database)."""
        again = ServiceContainer(container.service_cls, container.config)
        again.start()
        containers.append(again)
        return again

    start.containers, start.restart = containers, restart
    yield start
    stopping = [eventlet.spawn(container.stop) for container in reversed(containers)]
    for thread in stopping:  # all at once: a test's teardown waits for the slowest only
        thread.wait()


@pytest.fixture
def rpc(amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        yield proxy


class EventTap:
    """Listens to `<service>.events` on its own exclusive queue and keeps what arrives."""

    _ids = itertools.count()

    def __init__(self, amqp_uri, service, *event_types):
        self.conn = Connection(amqp_uri)
        exchange = Exchange(f"{service}.events", type="topic", durable=True)
        self.queue = Queue(f"tap-{service}-{next(self._ids)}-{id(self)}", exchange=exchange,
                           bindings=None, durable=False, auto_delete=False)
        # Neither auto_delete nor exclusive (kombu makes an exclusive queue auto_delete): the
        # broker would drop the queue, and every later event, when the first wait() cancels
        # its consumer. close() deletes it.
        self.channel = self.conn.channel()
        bound = self.queue(self.channel)
        exchange(self.channel).declare()
        bound.declare()
        for event_type in event_types:
            bound.bind_to(exchange=exchange, routing_key=event_type)
        self.bound = bound

    def wait(self, count=1, timeout=15):
        """The next `count` message bodies; TimeoutError after `timeout` seconds."""
        got = []

        def on_message(body, message):
            got.append(body)
            message.ack()

        deadline = time.monotonic() + timeout
        with Consumer(self.channel, [self.bound], callbacks=[on_message]):
            while len(got) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} events within {timeout} s, got {got}")
                try:
                    self.conn.drain_events(timeout=remaining)
                except socket.timeout:
                    pass
        return got

    def pending(self):
        """How many messages wait in the tap's queue, without taking them."""
        return self.bound.queue_declare(passive=True).message_count

    def close(self):
        try:
            self.bound.delete()
        finally:
            self.conn.release()


@pytest.fixture
def tap(amqp_uri):
    taps = []

    def make(service, *event_types):
        taps.append(EventTap(amqp_uri, service, *event_types))
        return taps[-1]

    yield make
    for t in taps:
        t.close()

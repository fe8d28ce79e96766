"""A lost broker connection ends no container (services/common/reconnect.py): the ack of a
message whose connection died is a no-op, a reply the broker cannot take is dropped, and a
service whose connections the broker closes consumes again and publishes through its outbox,
saying so once."""
import logging
import urllib.parse
from types import SimpleNamespace

import eventlet
import pytest
from amqp.exceptions import ConnectionForced, RecoverableConnectionError
from kombu.exceptions import MessageStateError, OperationalError
from nameko.containers import ServiceContainer
from nameko.events import event_handler
from nameko.messaging import QueueConsumer
from nameko.rpc import Responder, RpcConsumer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.common.broker import BrokerWatch, address, watch
from services.common.db import Database
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.testing import _rabbitmqctl, eventually


class Message:
    def __init__(self, error=None, connection=True):
        self.channel = SimpleNamespace(connection=object() if connection else None)
        self.error, self.acked, self.requeued = error, 0, 0
        self.delivery_info = {"routing_key": "svc.method"}

    def ack(self):
        self.acked += 1
        if self.error:
            raise self.error

    def requeue(self):
        self.requeued += 1
        if self.error:
            raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   BrokenPipeError(32, "Broken pipe"),
                                   ConnectionForced("shutdown"),
                                   RecoverableConnectionError("connection already closed")])
def test_settling_a_message_on_a_dead_socket_is_a_no_op(error):
    consumer = QueueConsumer()
    for settle in (consumer.ack_message, consumer.requeue_message):
        message = Message(error)
        settle(message)  # nameko 2.14.1 let the socket errors out: the container died
        assert message.acked + message.requeued == 1
    gone = Message(connection=False)  # the consumer thread noticed first: not even tried
    consumer.ack_message(gone)
    assert gone.acked == 0


def test_other_errors_of_an_ack_still_show():
    with pytest.raises(MessageStateError):
        QueueConsumer().ack_message(Message(MessageStateError("already acknowledged")))


def test_a_reply_the_broker_cannot_take_does_not_end_the_worker(monkeypatch, caplog):
    def refused(self, result, exc_info):
        raise OperationalError("[Errno 111] ECONNREFUSED")
    monkeypatch.setattr(Responder, "send_response", refused)
    acked = []
    consumer = SimpleNamespace(
        container=SimpleNamespace(config={"AMQP_URI": "amqp://u:secret@broker:5672/v"}),
        queue_consumer=SimpleNamespace(ack_message=acked.append))
    message = Message()
    with caplog.at_level(logging.WARNING):
        assert RpcConsumer.handle_result(consumer, message, "result", None) == ("result", None)
    assert acked == [message]  # the request is done with (a no-op on a dead channel)
    assert "the reply to svc.method was not sent" in caplog.text
    assert "secret" not in caplog.text


def test_the_watch_says_away_once_and_back_once(caplog):
    clock = iter([10.0, 22.5]).__next__
    watch = BrokerWatch("amqp://guest:s3cret@10.0.0.5:5672/servis", clock=clock)
    with caplog.at_level(logging.WARNING, logger="servis.broker"):
        for _ in range(100):
            watch.away(ConnectionRefusedError(111, "Connection refused"))
        watch.back()
        watch.back()
    assert caplog.messages == [
        "broker amqp://guest@10.0.0.5:5672/servis is away (ConnectionRefusedError: [Errno 111] "
        "Connection refused); reconnecting quietly until it is back",
        "broker amqp://guest@10.0.0.5:5672/servis is back (away 12.5 s)"]
    assert address("amqp://127.0.0.1/") == "amqp://127.0.0.1/"


# -- a real container whose connections the broker closes -----------------------------------

class Flaky:
    name = "flaky"
    db = Database()
    outbox = Outbox("db")
    handled = []

    @rpc
    def ping(self):
        return "pong"

    @rpc
    def note(self, text):
        self.outbox.add(self.db, "article_published",
                        {"article": {"id": 1, "code": "KLM-ELK-0001", "title": text}})
        self.db.commit()

    @event_handler("source", "slow", requeue_on_error=True)
    def handle_slow(self, payload):
        eventlet.sleep(payload["seconds"])  # the broker drops us meanwhile
        Flaky.handled.append(payload["n"])


def close_connections(amqp_uri):
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(amqp_uri).path[1:])
    _rabbitmqctl("close_all_connections", "-p", vhost, "test: the broker drops us")


def unsent(tmp_path):
    """(events in the outbox, of which not yet confirmed by the broker)."""
    engine = create_engine(f"sqlite:///{tmp_path}/flaky.db")
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT count(*), count(*) - count(sent_at) FROM outbox")).one())
    finally:
        engine.dispose()


def test_a_service_rides_out_its_connections_being_closed(amqp_uri, tmp_path, caplog):
    """The broker closes every connection of the vhost while a handler runs: the container
    lives on, the event comes again, RPC answers again, the relay publishes on a new
    connection, and the broker's absence is two lines."""
    from nameko.standalone.events import event_dispatcher
    watch(amqp_uri).away_since = None  # this process's watch, as if new
    container = ServiceContainer(Flaky, {"AMQP_URI": amqp_uri, "DATA_DIR": str(tmp_path),
                                         "DATABASE_URL": f"sqlite:///{tmp_path}/flaky.db",
                                         "OUTBOX_POLL_SECONDS": 0.5})
    container.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
            proxy.flaky.note("önce")
        eventually(lambda: unsent(tmp_path) == (1, 0))  # the relay has its connection
        Flaky.handled.clear()
        with caplog.at_level(logging.WARNING, logger="servis.broker"):
            event_dispatcher({"AMQP_URI": amqp_uri})("source", "slow", {"seconds": 2, "n": 1})
            eventually(lambda: container._worker_threads, timeout=10)  # the handler sleeps
            close_connections(amqp_uri)
            eventually(lambda: Flaky.handled, timeout=30)
            assert not container._died.ready()
            # the event was not acked on the dead channel: redelivered and handled again
            eventually(lambda: len(Flaky.handled) == 2, timeout=30)

            def answers():
                with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5) as proxy:
                    return proxy.flaky.ping() == "pong"
            eventually(answers, timeout=30, interval=0.5)
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
                proxy.flaky.note("sonra")  # the relay's old connection is dead: a new one
            eventually(lambda: unsent(tmp_path) == (2, 0))
        assert not container._died.ready()
        said = [m for m in caplog.messages if m.startswith("broker ")]
        assert len(said) == 2 and "is away" in said[0] and "is back" in said[1], said
    finally:
        container.stop()

"""The transactional outbox.

`outbox.add(session, event_type, payload)` writes the event (validated against
services.common.events) as a row in the same transaction as the change. A relay green thread
publishes unsent rows to the nameko events exchange `<service>.events` with publisher confirms,
then marks them sent. It wakes when a worker that added events ends, and polls every
OUTBOX_POLL_SECONDS, so rows left by a crash between commit and publish go out at the next
start. Delivery is at-least-once (a crash after publish and before marking re-publishes);
consumers are idempotent by (handler, event_id).

The relay keeps its own kombu connection. A broker restart leaves it dead, which shows only
when it is used: a publish that fails on an old connection is tried once more on a new one.
While the broker is away the relay tries once per poll (no kombu retry loop inside a step)
and raises BrokerAway: the broker's watch says so once, not a traceback per poll.
"""
import json
import logging
import os

from kombu import Connection
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from services.common.broker import CONNECTION_ERRORS, BrokerAway, watch
from services.common.events import make_event
from services.common.loop import BackgroundLoop
from services.common.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)


def add_event(session, producer, event_type, payload):
    """Validate the event and write it to the outbox in `session`'s transaction."""
    event = make_event(event_type, producer, payload)
    session.add(OutboxMessage(event_id=event["event_id"], event_type=event_type,
                              body=json.dumps(event)))
    return event


class _Handle:
    def __init__(self, service_name):
        self.service_name = service_name
        self.added = False

    def add(self, session, event_type, payload):
        self.added = True
        return add_event(session, self.service_name, event_type, payload)


class Outbox(BackgroundLoop):
    batch_size = 200

    def __init__(self, database_attr="db"):
        super().__init__()
        # The attribute name of the service's Database provider, whose engine the relay uses
        # (not the provider itself: nameko would bind it a second time as a sub-extension).
        self.database_attr = database_attr
        self.handles = {}

    def setup(self):
        config = self.container.config
        self.database = self.provider(self.database_attr)
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", 1.0))
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.amqp_uri = config["AMQP_URI"]
        self.broker = watch(self.amqp_uri)
        self.connection = self.producer = None

    def stop(self):
        super().stop()
        self._close()

    def get_dependency(self, worker_ctx):
        handle = _Handle(self.container.service_name)
        self.handles[worker_ctx] = handle
        return handle

    def worker_teardown(self, worker_ctx):
        handle = self.handles.pop(worker_ctx, None)
        if handle is not None and handle.added:
            self.wake()

    def step(self):
        return self.flush() == self.batch_size

    def _producer(self):
        """The relay's own connection and producer (one green thread uses them), made on
        first use and again after a failure. One attempt to connect (`max_retries` 0): kombu
        would otherwise retry inside the step for its connect timeout."""
        if self.producer is None:
            self.connection = Connection(self.amqp_uri, transport_options={
                "confirm_publish": True, "max_retries": 0})
            self.producer = self.connection.Producer()
            self.exchange(self.producer.channel).declare()
        return self.producer

    def _publish(self, body, **kwargs):
        """Publish and wait for the broker's confirm; on a connection found dead, once more on
        a new one. A broker that is away: BrokerAway, after the watch has said so once."""
        for attempt in (1, 2):
            reused = self.producer is not None
            try:
                self._producer().publish(body, **kwargs)
                break
            except CONNECTION_ERRORS as exc:
                self._close()
                if attempt == 2 or not reused:
                    self.broker.away(exc)
                    raise BrokerAway(self.broker.address) from exc
        self.broker.back()

    def _close(self):
        connection, self.connection, self.producer = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:
                pass

    def flush(self):
        """Publish one batch of unsent events; return how many went out."""
        Session = sessionmaker(self.database.engine)
        with Session() as session:  # read, then close: no transaction held across I/O
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.event_type, OutboxMessage.body)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id).limit(self.batch_size)).all()
        if rows and os.environ.get("SERVIS_TEST_CRASH_BEFORE_PUBLISH") == "1":
            os._exit(137)  # test hook: die like SIGKILL between commit and publish
        sent = []
        for row_id, event_type, body in rows:  # each publish waits for its confirm
            try:
                self._publish(
                    body, exchange=self.exchange, routing_key=event_type,
                    content_type="application/json", content_encoding="utf-8", delivery_mode=2)
            except Exception:
                self._close()  # a new connection at the next try
                raise
            sent.append(row_id)
        if sent:
            with Session() as session, session.begin():
                session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent))
                                .values(sent_at=utcnow()))
        return len(sent)

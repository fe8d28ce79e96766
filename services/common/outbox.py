"""The transactional outbox.

`outbox.add(session, event_type, payload)` writes the event (validated against
services.common.events) as a row in the same transaction as the change. The relay — a
due-date scanner (services/common/scanner.py) over unsent rows — claims a batch, publishes each
row to the nameko events exchange `<service>.events` (routing key = event type) with publisher
confirms, then marks the batch sent, only while the claim is still its own. Claiming is what
lets several processes of one service share one outbox: each row is published by the one
process that claimed it. It wakes when a worker that added events ends, and polls every
OUTBOX_POLL_SECONDS, so rows left by a crash between commit and publish go out at the next
poll (after their claim's lease when the crash was mid-batch). Delivery is at-least-once (a
crash after publish and before marking re-publishes); consumers are idempotent by
(handler, event_id). Marking a row sent also blanks the fields its event declares secret
(services/common/events.py SECRET_FIELDS: a price approval's one-time link), so the outbox,
which keeps its rows, does not keep them.

The relay keeps its own kombu connection. A broker restart leaves it dead, which shows only
when it is used: a publish that fails on an old connection is tried once more on a new one.
While the broker is away the relay tries once per poll (no kombu retry loop inside a step)
and raises BrokerAway: the broker's watch says so once, not a traceback per poll.
"""
import json
import logging
import os
import socket
import time

import eventlet
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select, update

from services.common.broker import CONNECTION_ERRORS, BrokerAway, uris, watch
from services.common.erasure import settle
from services.common.events import make_event, redacted
from services.common.loop import WorkerHandle
from services.common.models import OutboxMessage, utcnow
from services.common.observability import OUTBOX_LAG, OUTBOX_PUBLISHED, current_request_id
from services.common.scanner import Scanner

log = logging.getLogger(__name__)
CONFIRM_TIMEOUT = 30.0  # seconds the relay waits for the broker to confirm a batch


class ConfirmRefused(Exception):
    """The broker nacked a message of the batch (it could not take it)."""


def add_event(session, producer, event_type, payload):
    """Validate the event and write it to the outbox in `session`'s transaction."""
    event = make_event(event_type, producer, payload)
    # the request that caused it, for the handlers' log lines (services/common/observability)
    rid = current_request_id()
    body = json.dumps({**event, "request_id": rid} if rid else event)
    session.add(OutboxMessage(event_id=event["event_id"], event_type=event_type, body=body))
    return event


def secrets_of(rows, sent):
    """[(id, body with its secret fields blanked)] of the published rows whose event type has
    secrets (services/common/events.py SECRET_FIELDS)."""
    sent = set(sent)
    out = []
    for row_id, event_type, body in rows:
        if row_id in sent:
            blanked = redacted(event_type, body)
            if blanked is not None:
                out.append((row_id, blanked))
    return out


class _Handle(WorkerHandle):
    def __init__(self, service_name):
        super().__init__()
        self.service_name = service_name

    def add(self, session, event_type, payload):
        self.woken = True
        return add_event(session, self.service_name, event_type, payload)

    def emitter(self, session):
        """`emit(event_type, payload)` into `session`: what an application layer is given."""
        return lambda event_type, payload: self.add(session, event_type, payload)


class Outbox(Scanner):
    model = OutboxMessage
    batch = 200
    # A batch is published in well under this (one confirm per row, ~1 ms); after a crash its
    # rows wait this long for another process. One that outlives it may be published twice:
    # at-least-once, as after any crash.
    lease_seconds = 10.0
    lease_setting = "OUTBOX_CLAIM_SECONDS"
    poll_setting = "OUTBOX_POLL_SECONDS"

    def setup(self):
        super().setup()
        config = self.container.config
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.amqp_uri = config["AMQP_URI"]
        self.broker = watch(self.amqp_uri)
        self.connection = self.producer = None

    def stop(self):
        super().stop()
        self._close()

    def get_dependency(self, worker_ctx):
        handle = self._handles[worker_ctx] = _Handle(self.container.service_name)
        return handle

    def due(self, now):
        return OutboxMessage.sent_at.is_(None)

    def process(self, claim):
        with self.Session() as session:  # read, then close: no transaction held across I/O
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.event_type, OutboxMessage.body,
                       OutboxMessage.created_at)
                .where(OutboxMessage.id.in_(claim.ids)).order_by(OutboxMessage.id)).all()
        if rows and os.environ.get("SERVIS_TEST_CRASH_BEFORE_PUBLISH") == "1":
            os._exit(137)  # test hook: die like SIGKILL between commit and publish
        sent, blanked = [], []
        try:
            # published one after another, then the broker's confirms awaited once for the
            # batch (its acks may cover many messages): a confirm round trip per event capped
            # the relay at a few hundred events a second, and an import sends 100k+
            self._publish_batch([(body, {"routing_key": event_type}) for _, event_type, body, _
                                 in rows], exchange=self.exchange,
                                content_type="application/json", content_encoding="utf-8",
                                delivery_mode=2)
            sent = [row[0] for row in rows]
            self._measure(rows)
        finally:  # what went out is marked, and the rest let go at once, even when a
            # publish failed (the next poll retries them, in this process or another)
            with self.Session() as session, session.begin():
                mine = claim.mine(OutboxMessage.claimed_by)
                if sent:
                    session.execute(
                        update(OutboxMessage).where(OutboxMessage.id.in_(sent), mine)
                        .values(sent_at=utcnow(), claimed_by=None, claimed_until=None),
                        execution_options={"synchronize_session": False})
                    # published: its secrets not kept
                    blanked = secrets_of([r[:3] for r in rows], sent)
                    for row_id, body in blanked:
                        session.execute(
                            update(OutboxMessage).where(OutboxMessage.id == row_id)
                            .values(body=body), execution_options={"synchronize_session": False})
                if len(sent) < len(claim.ids):
                    session.execute(
                        update(OutboxMessage).where(OutboxMessage.id.in_(claim.ids), mine)
                        .values(claimed_by=None, claimed_until=None),
                        execution_options={"synchronize_session": False})
        if blanked:  # on SQLite the secrets' old pages must not stay in the WAL or the file
            with self.Session() as session:
                settle(session)

    def _measure(self, rows):
        """The published rows' lag (commit to confirm) and count, for the metrics."""
        service, now = self.container.service_name, utcnow()
        lag = OUTBOX_LAG.labels(service)
        for row in rows:
            if row[3] is not None:
                lag.observe(max(0.0, (now - row[3]).total_seconds()))
        OUTBOX_PUBLISHED.labels(service).inc(len(rows))

    def _producer(self):
        """The relay's own connection and producer (one green thread uses them), made on
        first use and again after a failure, its channel in confirm mode. One attempt to
        connect (`max_retries` 0 for one node): kombu would otherwise retry inside the step
        for its connect timeout. For a cluster (AMQP_URI naming several nodes), one attempt
        per node: kombu switches to the next node only between attempts, so a single attempt
        would try the first node again and again while it is the one that was lost."""
        if self.producer is None:
            self.connection = Connection(self.amqp_uri, transport_options={
                "max_retries": len(uris(self.amqp_uri)) - 1})
            self.producer = self.connection.Producer()
            channel = self.producer.channel
            self.exchange(channel).declare()
            channel.confirm_select()
            self.acked, self.nacked, self.published = 0, 0, 0
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
        return self.producer

    def _on_ack(self, delivery_tag, multiple):
        self.acked = max(self.acked, delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self.nacked = max(self.nacked, delivery_tag)

    def _publish_batch(self, messages, **kwargs):
        """Publish every message, then wait until the broker has confirmed the last (a
        confirm covers every message up to its tag when `multiple`). A nack, or a broker
        that does not answer in CONFIRM_TIMEOUT, raises: nothing of the batch is marked sent
        (at-least-once: the next poll publishes it again). On a connection found dead, once
        more on a new one; a broker that is away: BrokerAway, after the watch said so once."""
        for attempt in (1, 2):
            reused = self.producer is not None
            try:
                producer = self._producer()
                for i, (body, extra) in enumerate(messages):
                    producer.publish(body, **kwargs, **extra)
                    self.published += 1
                    if i % 10 == 9:  # a batch is CPU: let the workers run (a publish can
                        eventlet.sleep(0)  # take ~0.3 ms on a busy machine: ≤ ~3 ms between)
                last, deadline = self.published, time.monotonic() + CONFIRM_TIMEOUT
                while self.acked < last and self.nacked < last - len(messages) + 1:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise socket.timeout("no publisher confirm")
                    producer.channel.connection.drain_events(timeout=left)
                if self.nacked >= last - len(messages) + 1:
                    raise ConfirmRefused()
                break
            except CONNECTION_ERRORS + (socket.timeout,) as exc:
                self._close()
                if attempt == 2 or not reused:
                    self.broker.away(exc)
                    raise BrokerAway(self.broker.address) from exc
        self.broker.back()

    def _publish(self, body, **kwargs):
        """One message, confirmed (what _publish_batch does for one)."""
        routing_key = kwargs.pop("routing_key")
        self._publish_batch([(body, {"routing_key": routing_key})], **kwargs)

    def _close(self):
        connection, self.connection, self.producer = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:
                pass

"""The sender loop: takes due messages from the delivery log one at a time, hands each to the
transport, and records the outcome — sent, or retried with backoff, or failed after the last
attempt (`email_failed`). One message in flight per process, so a kill can duplicate at most
the one the SMTP server accepted before its `sent` was committed.

A row is claimed (claimed_until = now + MAIL_CLAIM_SECONDS) before it is sent, so replicas
never send the same row at once; a claim left by a killed process expires and the row is
taken again."""
import base64
import email
import logging
from datetime import timedelta
from email import policy
from email.utils import parseaddr

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import or_, select, update
from sqlalchemy.orm import sessionmaker

from services.common.models import utcnow
from services.common.outbox import add_event
from services.notify.domain import backoff
from services.notify.models import Delivery

log = logging.getLogger(__name__)


class Sender(DependencyProvider):
    def __init__(self, db="db", mailer="mailer", outbox="outbox"):
        self.names = {"db": db, "mailer": mailer, "outbox": outbox}
        self._wake = Event()
        self._running = False
        self._gt = None

    def _provider(self, key):
        return next(d for d in self.container.dependencies if d.attr_name == self.names[key])

    def setup(self):
        c = self.container.config
        self.max_attempts = int(c.get("MAIL_RETRY_ATTEMPTS", 5))
        self.first_delay = float(c.get("MAIL_RETRY_FIRST_DELAY", 5))
        self.max_delay = float(c.get("MAIL_RETRY_MAX_DELAY", 600))
        self.lease = float(c.get("MAIL_CLAIM_SECONDS", 60))
        self.poll = float(c.get("MAIL_POLL_SECONDS", 1))
        self.envelope_from = parseaddr(c.get("MAIL_FROM") or "servis@localhost")[1]
        self.rpc_config = {"AMQP_URI": c["AMQP_URI"]}

    def start(self):
        self.Session = sessionmaker(self._provider("db").engine, expire_on_commit=False)
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.wake()
        if self._gt is not None:
            self._gt.wait()

    def kill(self):
        self._running = False
        if self._gt is not None:
            self._gt.kill()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        while self._running:
            try:
                while self._running and self.send_one():
                    pass
            except Exception:  # database away: try again at the next poll
                log.exception("notify sender: will retry")
            with eventlet.Timeout(self.poll, False):
                self._wake.wait()
            self._wake = Event()

    def send_one(self):
        """Send the next due message; False when none is due."""
        now = utcnow()
        free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
        with self.Session() as s, s.begin():
            row = s.execute(
                select(Delivery.id, Delivery.message_id, Delivery.recipient, Delivery.mime,
                       Delivery.event_id, Delivery.subject, Delivery.document_id)
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now, free)
                .order_by(Delivery.next_attempt_at, Delivery.id).limit(1)).first()
            if row is None:
                return False
            claimed = s.execute(update(Delivery).where(Delivery.id == row.id, free).values(
                claimed_until=now + timedelta(seconds=self.lease))).rowcount
        if not claimed:
            return True  # another replica took it first
        error = None
        try:
            data = row.mime if row.document_id is None else self._with_document(row)
            self._provider("mailer").transport.send(self.envelope_from, row.recipient, data,
                                                    message_id=row.message_id)
        except Exception as exc:  # any refusal or failure: recorded, retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
        self._record(row, error)
        return True

    def _record(self, row, error):
        producer = self.container.service_name
        message = {"id": row.id, "event_id": row.event_id, "recipient": row.recipient,
                   "subject": row.subject}
        with self.Session() as s, s.begin():
            d = s.get(Delivery, row.id)
            d.attempts += 1
            d.claimed_until = None
            if error is None:
                d.status, d.sent_at = "sent", utcnow()
                add_event(s, producer, "email_sent", {"message": message})
            elif d.attempts >= self.max_attempts:
                d.status, d.last_error = "failed", error
                add_event(s, producer, "email_failed", {"message": message, "error": error})
                log.warning("e-mail %s to %s failed after %s attempts: %s", d.id, d.recipient,
                            d.attempts, error)
            else:
                d.last_error = error
                d.next_attempt_at = utcnow() + timedelta(
                    seconds=backoff(d.attempts, self.first_delay, self.max_delay))
        self._provider("outbox").wake()

    def _with_document(self, row):
        """Attach the PDF the form's owner keeps (the price-approval form) at send time, so a
        forms service that is down delays the message (retried) instead of losing it."""
        with ClusterRpcProxy(self.rpc_config, timeout=10) as rpc:
            doc = rpc.forms.get_document(row.document_id)
        msg = email.message_from_bytes(row.mime, policy=policy.default)
        maintype, subtype = doc["content_type"].split("/", 1)
        msg.add_attachment(base64.b64decode(doc["content_b64"]), maintype=maintype,
                           subtype=subtype, filename=doc["filename"])
        return msg.as_bytes(policy=policy.SMTP)

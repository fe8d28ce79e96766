"""The sender loop: takes due messages from the delivery log one at a time, hands each to the
transport, and records the outcome — sent, or retried with backoff, or failed after the last
attempt (`email_failed`). One message in flight per process, so a kill can duplicate at most
the one the SMTP server accepted before its `sent` was committed.

Rows are claimed in small batches (claimed_by, claimed_until = now + MAIL_CLAIM_SECONDS) before
they are sent, so replicas never send the same row at once; a claim left by a killed process
expires and its rows are taken again (they were not sent: only the one in flight may have
been)."""
import base64
import email
import logging
import time
import uuid
from datetime import timedelta
from email import policy
from email.utils import parseaddr

from marshmallow import ValidationError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import or_, select, update
from sqlalchemy.orm import sessionmaker

from services.common.loop import BackgroundLoop
from services.common.models import utcnow
from services.common.outbox import add_event
from services.notify.domain import backoff
from services.notify.models import Delivery

log = logging.getLogger(__name__)
CLAIM_BATCH = 20


class Sender(BackgroundLoop):
    def __init__(self, db="db", mailer="mailer", outbox="outbox"):
        super().__init__()
        self.names = {"db": db, "mailer": mailer, "outbox": outbox}

    def _provider(self, key):
        return self.provider(self.names[key])

    def setup(self):
        c = self.container.config
        self.max_attempts = int(c.get("MAIL_RETRY_ATTEMPTS", 5))
        self.first_delay = float(c.get("MAIL_RETRY_FIRST_DELAY", 5))
        self.max_delay = float(c.get("MAIL_RETRY_MAX_DELAY", 600))
        self.lease = float(c.get("MAIL_CLAIM_SECONDS", 60))
        self.poll_seconds = float(c.get("MAIL_POLL_SECONDS", 1))
        self.envelope_from = parseaddr(c.get("MAIL_FROM") or "servis@localhost")[1]
        self.rpc_config = {"AMQP_URI": c["AMQP_URI"]}

    def start(self):
        self.Session = sessionmaker(self._provider("db").engine, expire_on_commit=False)
        super().start()

    def get_dependency(self, worker_ctx):
        return self

    def step(self):
        """Send the due messages of one claimed batch; False when none was due."""
        batch, token, claimed_at = self._claim()
        for row in batch:
            if time.monotonic() - claimed_at > self.lease / 2 and not self._renew(row, token):
                continue  # our claim ran out (a slow server) and another process took the row
            error = None
            try:
                data = row.mime if row.document_id is None else self._with_document(row)
                self._provider("mailer").transport.send(self.envelope_from, row.recipient, data,
                                                        message_id=row.message_id)
            except Exception as exc:  # any refusal or failure: recorded, retried
                error = f"{type(exc).__name__}: {exc}"[:2000]
            self._record(row, error, token)  # each at once: a kill repeats at most this one
        return bool(batch)

    def _renew(self, row, token):
        with self.Session() as s, s.begin():
            return s.execute(update(Delivery).where(
                Delivery.id == row.id, Delivery.claimed_by == token).values(
                claimed_until=utcnow() + timedelta(seconds=self.lease)),
                execution_options={"synchronize_session": False}).rowcount == 1

    def _claim(self):
        """Claim up to CLAIM_BATCH due rows for this process (claimed_until = now + lease)."""
        now, token = utcnow(), uuid.uuid4().hex
        free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
        due = (select(Delivery.id).where(Delivery.status == "pending",
                                         Delivery.next_attempt_at <= now, free)
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(CLAIM_BATCH))
        claimed_at = time.monotonic()
        with self.Session() as s, s.begin():
            s.execute(update(Delivery).where(Delivery.id.in_(due.scalar_subquery()), free)
                      .values(claimed_until=now + timedelta(seconds=self.lease), claimed_by=token),
                      execution_options={"synchronize_session": False})
            return s.execute(
                select(Delivery.id, Delivery.message_id, Delivery.recipient, Delivery.mime,
                       Delivery.event_id, Delivery.subject, Delivery.document_id,
                       Delivery.attempts)
                .where(Delivery.claimed_by == token).order_by(Delivery.id)).all(), token, claimed_at

    def _record(self, row, error, token):
        """Write the outcome (only while the claim is still ours). The event is best effort:
        a payload that does not validate must not leave a sent message pending (resent)."""
        producer = self.container.service_name
        attempts = row.attempts + 1
        message = {"id": row.id, "event_id": row.event_id, "recipient": row.recipient,
                   "subject": row.subject or "-"}
        values = {"attempts": attempts, "claimed_until": None, "claimed_by": None}
        if error is None:
            values.update(status="sent", sent_at=utcnow())
            event = ("email_sent", {"message": message})
        elif attempts >= self.max_attempts:
            values.update(status="failed", last_error=error)
            event = ("email_failed", {"message": message, "error": error})
            log.warning("e-mail %s to %s failed after %s attempts: %s", row.id, row.recipient,
                        attempts, error)
        else:
            values.update(last_error=error, next_attempt_at=utcnow() + timedelta(
                seconds=backoff(attempts, self.first_delay, self.max_delay)))
            event = None
        with self.Session() as s, s.begin():
            s.execute(update(Delivery).where(Delivery.id == row.id,
                                             Delivery.claimed_by == token).values(**values),
                      execution_options={"synchronize_session": False})
            if event:
                try:
                    add_event(s, producer, *event)
                except (ValidationError, ValueError) as exc:
                    log.error("%s for e-mail %s not published: %s", event[0], row.id, exc)
                    event = None
        if event and event[0] == "email_failed":
            self._provider("outbox").wake()  # at once; email_sent rides the relay's next poll,
            # in batches (waking the relay per sent message cost ~20% of notify's CPU)

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

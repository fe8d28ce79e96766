"""The sender: a due-date scanner (services/common/scanner.py) over the delivery log. It claims
a batch of due `pending` messages, hands each to the transport one at a time, and records the
outcome — sent, or retried with backoff, or failed after the last attempt (`email_failed`) —
only while the claim is still its own. One message in flight per process, so a kill can
duplicate at most the one the SMTP server accepted before its `sent` was committed; a claim
left by a killed process expires and its rows are taken again (they were not sent: only the
one in flight may have been)."""
import base64
import email
import logging
from datetime import timedelta
from email import policy

from marshmallow import ValidationError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select, update

from services.common.models import utcnow
from services.common.observability import EMAILS
from services.common.outbox import add_event
from services.common.scanner import Scanner
from services.notify.domain import backoff
from services.notify.models import Delivery
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)


class Sender(Scanner):
    model = Delivery
    batch = 20
    lease_setting = "MAIL_CLAIM_SECONDS"
    poll_setting = "MAIL_POLL_SECONDS"

    def __init__(self, db="db", mailer="mailer", outbox="outbox"):
        super().__init__(db)
        self.mailer_attr, self.outbox_attr = mailer, outbox

    def setup(self):
        super().setup()
        self.settings = NotifySettings.from_config(self.container.config)
        self.rpc_config = {"AMQP_URI": self.container.config["AMQP_URI"]}

    def due(self, now):
        return (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)

    def order(self):
        return (Delivery.next_attempt_at, Delivery.id)

    def process(self, claim):
        with self.Session() as s:
            rows = s.execute(
                select(Delivery.id, Delivery.message_id, Delivery.recipient, Delivery.mime,
                       Delivery.event_id, Delivery.subject, Delivery.document_id,
                       Delivery.document_service, Delivery.attempts)
                .where(Delivery.id.in_(claim.ids)).order_by(Delivery.id)).all()
        transport = self.provider(self.mailer_attr).transport
        for row in rows:
            with self.Session() as s, s.begin():
                if not claim.renew_if_old(s, row.id):
                    continue  # our claim ran out (a slow server) and another process took it
            error = None
            try:
                data = row.mime if row.document_id is None else self._with_document(row)
                transport.send(self.settings.envelope_from, row.recipient, data,
                               message_id=row.message_id)
            except Exception as exc:  # any refusal or failure: recorded, retried
                error = f"{type(exc).__name__}: {exc}"[:2000]
            # each at once: a kill repeats at most this one
            EMAILS.labels(self._record(row, error, claim)).inc()

    def _record(self, row, error, claim):
        """Write the outcome (only while the claim is still ours): sent, given_up (the last
        attempt failed) or failed (tried again later). The event is best effort: a payload
        that does not validate must not leave a sent message pending (resent)."""
        attempts = row.attempts + 1
        message = {"id": row.id, "event_id": row.event_id, "recipient": row.recipient,
                   "subject": row.subject or "-"}
        values = {"attempts": attempts, "claimed_until": None, "claimed_by": None}
        s = self.settings
        outcome = "sent" if error is None else "given_up" if attempts >= s.retry_attempts \
            else "failed"
        if error is None:
            values.update(status="sent", sent_at=utcnow())
            event = ("email_sent", {"message": message})
        elif attempts >= s.retry_attempts:
            values.update(status="failed", last_error=error)
            event = ("email_failed", {"message": message, "error": error})
            log.warning("e-mail %s to %s failed after %s attempts: %s", row.id, row.recipient,
                        attempts, error)
        else:
            values.update(last_error=error, next_attempt_at=utcnow() + timedelta(
                seconds=backoff(attempts, s.retry_first_delay, s.retry_max_delay)))
            event = None
        with self.Session() as session, session.begin():
            held = session.execute(
                update(Delivery).where(Delivery.id == row.id, claim.mine(Delivery.claimed_by))
                .values(**values), execution_options={"synchronize_session": False}).rowcount
            if not held:  # the claim ran out and another process took the row: its outcome
                event = None
            if event:
                try:
                    add_event(session, self.container.service_name, *event)
                except (ValidationError, ValueError) as exc:
                    log.error("%s for e-mail %s not published: %s", event[0], row.id, exc)
                    event = None
        if event and event[0] == "email_failed":
            self.provider(self.outbox_attr).wake()  # at once; email_sent rides the relay's
            # next poll, in batches (waking the relay per sent message cost ~20% of notify's CPU)
        return outcome

    def _with_document(self, row):
        """Attach the PDF its owner keeps (a delivery receipt, a damage report, a periodic
        report, the price-approval form) at send time, so an owner that is down — or has not
        rendered it yet (a 409) — delays the message (retried) instead of losing it."""
        with ClusterRpcProxy(self.rpc_config, timeout=10) as rpc:
            doc = getattr(rpc, row.document_service or "forms").get_document(row.document_id)
        msg = email.message_from_bytes(row.mime, policy=policy.default)
        maintype, subtype = doc["content_type"].split("/", 1)
        msg.add_attachment(base64.b64decode(doc["content_b64"]), maintype=maintype,
                           subtype=subtype, filename=doc["filename"])
        return msg.as_bytes(policy=policy.SMTP)

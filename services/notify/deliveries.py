"""notify's application layer: the delivery log over one session. An event becomes its
messages (one per recipient with an address, in that recipient's language), rendered and built
as MIME at once and written as `pending` rows; the sender (sender.py) delivers them. Reads of
the log, and an admin's resend. The caller commits."""
import email
import email.policy
import os
from datetime import timedelta

from sqlalchemy import or_, select, update

from services.common.exceptions import Conflict, NotFound
from services.common.models import utcnow
from services.common.erasure import MIN_NEEDLE, needles_of, scrub
from services.common.personal import rows
from services.common.schemas import decode_cursor, is_id, page_of
from services.notify import domain
from services.notify.models import Base, Delivery
from services.notify.schemas import DeliveryOut

DELIVERIES_OUT = DeliveryOut(many=True)
# Compiled at import: a broken template stops the start-up, naming its file and line.
# NOTIFY_TEMPLATE_DIR lets an administrator keep edited templates outside the code tree.
TEMPLATES = domain.Templates(os.environ.get("NOTIFY_TEMPLATE_DIR") or domain.TEMPLATE_DIR)


class DeliveryLog:
    def __init__(self, session, settings, templates=TEMPLATES):
        self.db, self.settings, self.templates = session, settings, templates

    def log_event(self, event):
        """The event's messages as pending rows. Two recipients with one address make one
        message (its Message-ID is per event and address), and a message the log holds
        already (an earlier version logged part of an event) is not logged again."""
        planned = domain.plan(event, management=self.settings.management_recipients)
        unique = {domain.message_id(event["event_id"], p.recipient): p for p in planned}
        logged = set(self.db.scalars(select(Delivery.message_id).where(
            Delivery.event_id == event["event_id"])))
        new = [(msg_id, p) for msg_id, p in unique.items() if msg_id not in logged]
        self.db.add_all(self._message(event, msg_id, p) for msg_id, p in new)
        return len(new)

    def _message(self, event, msg_id, planned):
        parts = self.templates.render(event["event_type"], planned.language, {
            **planned.context, "company": self.settings.company_name,
            "logo_url": self.settings.logo_url})
        mime = domain.build_message(
            parts, sender=self.settings.mail_from, recipient=planned.recipient,
            recipient_name=planned.name, msg_id=msg_id)
        return Delivery(message_id=msg_id, event_id=event["event_id"],
                        event_type=event["event_type"], occurred_at=event["occurred_at"],
                        form_id=planned.form_id, contract_id=planned.contract_id,
                        recipient=planned.recipient.strip().lower(), language=planned.language,
                        subject=parts["subject"], mime=mime,
                        document_id=(planned.document or {}).get("id"),
                        document_service=(planned.document or {}).get("service"),
                        status="pending", attempts=0,
                        next_attempt_at=utcnow())

    # -- reads -----------------------------------------------------------------------------
    def for_form(self, form_id):
        if not is_id(form_id):
            return []
        return DELIVERIES_OUT.dump(self.db.scalars(
            select(Delivery).where(Delivery.form_id == form_id).order_by(Delivery.id)).all())

    def page(self, query):
        """Newest first; filters: status, form_id, contract_id, recipient."""
        stmt = select(Delivery)
        for key in ("status", "form_id", "contract_id"):
            if query.get(key) is not None:
                stmt = stmt.where(getattr(Delivery, key) == query[key])
        if query.get("recipient"):
            stmt = stmt.where(Delivery.recipient == query["recipient"].lower())
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(Delivery.id < last_id)
        rows = self.db.scalars(stmt.order_by(Delivery.id.desc()).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda d: [d.id])
        return {"items": DELIVERIES_OUT.dump(page), "next_cursor": cursor}

    # -- an admin's resend -----------------------------------------------------------------
    def resend(self, delivery_id):
        """Queue a failed message again (same Message-ID: it never reached the server)."""
        d = self.db.get(Delivery, delivery_id) if is_id(delivery_id) else None
        if d is None:
            raise NotFound("E-mail {id} not found.", {"id": delivery_id})
        if d.status != "failed":
            raise Conflict("E-mail {id} is {status}; only a failed one is resent.",
                           {"id": d.id, "status": d.status})
        if not d.mime:
            raise Conflict("E-mail {id} has no content any more (erased); it cannot be resent.",
                           {"id": d.id})
        d.status, d.attempts, d.next_attempt_at = "pending", 0, utcnow()
        d.claimed_until = d.claimed_by = None
        return d


def personal_data(session, subject):
    """What notify holds about a customer (KVKK export): every message of the delivery log
    about their forms or contracts, or sent to one of their addresses — the MIME text as
    sent (the body is gone once the retention setting dropped it)."""
    wanted = [Delivery.form_id.in_(subject["form_ids"]),
              Delivery.contract_id.in_(subject["contract_ids"]),
              Delivery.recipient.in_(subject["emails"])]
    return {"deliveries": rows(session, Delivery, or_(*wanted),
                               exclude=("claimed_by", "claimed_until"))}


ERASURE_NOTE = "KVKK: erased before it was sent"
ERASED_BODY = b""  # a message's bytes once dropped (KVKK erasure, the retention setting)


def erase_customer(session, event, extra=()):
    """KVKK erasure (`customer_erased`): every message about the customer's forms or contracts
    or to one of their addresses loses its bytes (the row stays: when, what kind, its status);
    one still waiting is not sent; then the person's strings are scrubbed from every text
    column (recipient, subject, errors; services/common/erasure.py)."""
    personal = event["personal"]
    about = or_(Delivery.form_id.in_(event["form_ids"]),
                Delivery.contract_id.in_(event["contract_ids"]),
                Delivery.recipient.in_(personal), *extra)
    session.execute(update(Delivery).where(about).values(mime=ERASED_BODY))
    session.execute(update(Delivery).where(about, Delivery.status == "pending").values(
        status="failed", last_error=ERASURE_NOTE, next_attempt_at=None))
    return scrub(session, Base.metadata, needles_of(personal, event["marker"]))


def mentions(mime, needles):
    """Whether a message names one of `needles`: in its raw bytes, or in its headers and text
    parts as decoded (an encoded subject, a quoted-printable or base64 body)."""
    raw = bytes(mime or b"")
    if not raw:
        return False
    if any(n.encode() in raw for n in needles):
        return True
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(v) for _, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                texts.append(part.get_content())
            except (LookupError, ValueError):  # an unknown charset: the raw bytes were read
                continue
    return any(n in t for t in texts for n in needles)


def erase_contact(session, event):
    """KVKK erasure of a contact person (`contact_erased`): the messages sent to their address
    or naming them (an e-mail to the customer that mentions them) lose their bytes — the
    customer's other messages keep theirs; one still waiting is not sent; then their strings
    are scrubbed from every text column (recipient, subject, errors)."""
    needles = [n for n in event["personal"] if len(n.strip()) >= MIN_NEEDLE]
    naming = [d.id for d in session.execute(
        select(Delivery.id, Delivery.mime).where(Delivery.mime != ERASED_BODY)
        .execution_options(yield_per=200)) if mentions(d.mime, needles)]
    ids = []
    for start in range(0, len(naming), 500):  # IN lists of a size every database accepts
        ids.append(Delivery.id.in_(naming[start:start + 500]))
    return erase_customer(session, {**event, "form_ids": [], "contract_ids": []}, extra=ids)


def drop_old_bodies(session, days, now):
    """The retention setting (MAIL_BODY_RETENTION_DAYS): the bytes of messages sent more than
    `days` days before `now` are dropped; the row stays. The number of messages emptied."""
    if days <= 0:
        return 0
    result = session.execute(update(Delivery).where(
        Delivery.status == "sent", Delivery.sent_at < now - timedelta(days=days),
        Delivery.mime != ERASED_BODY).values(mime=ERASED_BODY))
    return result.rowcount

"""notify: every event that needs an e-mail becomes messages in the delivery log (one per
recipient, in the recipient's language), written in the same transaction as the processed-event
row; the sender loop (sender.py) delivers them, with retries. Never lost: the event is acked
only after that commit. Never twice: the message id is stable per (event, recipient) and unique
in the log."""
import logging
import os

from nameko.dependency_providers import Config
from sqlalchemy import select

from services.common.db import Database
from services.common.exceptions import Conflict, NotFound
from services.common.handlers import handles, new_event
from services.common.idempotency import already_processed, commit_processed
from services.common.models import utcnow
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, encode_cursor, is_id, load
from services.notify import domain
from services.notify.models import Base, Delivery
from services.notify.mailer import Mailer
from services.notify.schemas import DeliveryOut, DeliveryQuery
from services.notify.sender import Sender

log = logging.getLogger(__name__)
# Compiled at import: a broken template stops the start-up, naming its file and line.
# NOTIFY_TEMPLATE_DIR lets an administrator keep edited templates outside the code tree.
TEMPLATES = domain.Templates(os.environ.get("NOTIFY_TEMPLATE_DIR") or domain.TEMPLATE_DIR)


class NotifyService:
    name = "notify"

    db = Database(Base.metadata)
    outbox = Outbox("db")
    mailer = Mailer()
    sender = Sender()
    config = Config()

    @rpc
    def ping(self):
        return "notify"

    # -- the delivery log ------------------------------------------------------------------
    @rpc
    def deliveries_for_form(self, form_id):
        if not is_id(form_id):
            return []
        rows = self.db.scalars(select(Delivery).where(Delivery.form_id == form_id)
                               .order_by(Delivery.id)).all()
        return DeliveryOut(many=True).dump(rows)

    @rpc
    def list_deliveries(self, query=None):
        """Newest first; filters: status, form_id, contract_id, recipient."""
        query = load(DeliveryQuery(), query or {})
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
        page = rows[:query["limit"]]
        next_cursor = encode_cursor([page[-1].id]) if len(rows) > query["limit"] else None
        return {"items": DeliveryOut(many=True).dump(page), "next_cursor": next_cursor}

    @rpc
    def resend(self, delivery_id):
        """Queue a failed message again (same Message-ID: it never reached the server)."""
        d = self.db.get(Delivery, delivery_id) if is_id(delivery_id) else None
        if d is None:
            raise NotFound(f"E-mail {delivery_id} not found.", {"id": delivery_id})
        if d.status != "failed":
            raise Conflict(f"E-mail {delivery_id} is {d.status}; only a failed one is resent.",
                           {"status": d.status})
        d.status, d.attempts, d.next_attempt_at = "pending", 0, utcnow()
        d.claimed_until = d.claimed_by = None
        self.db.commit()
        self.sender.wake()
        return DeliveryOut().dump(d)

    # -- events ----------------------------------------------------------------------------
    @handles("forms", "form_created")
    def handle_form_created(self, message): ...

    @handles("forms", "form_assigned")
    def handle_form_assigned(self, message): ...

    @handles("forms", "price_approval_requested")
    def handle_price_approval_requested(self, message): ...

    @handles("forms", "satisfaction_low")
    def handle_satisfaction_low(self, message): ...

    @handles("forms", "form_completed")
    def handle_form_completed(self, message): ...

    @handles("forms", "form_closed")
    def handle_form_closed(self, message): ...

    @handles("forms", "form_reopened")
    def handle_form_reopened(self, message): ...

    @handles("contracts", "contract_renewal_due")
    def handle_contract_renewal_due(self, message): ...

    @handles("contracts", "contract_invoice_due")
    def handle_contract_invoice_due(self, message): ...

    @handles("contracts", "maintenance_due")
    def handle_maintenance_due(self, message): ...

    def _handle(self, event_type, message):
        event, handler = new_event(self, event_type, message)
        if event is None:
            return
        self.db.rollback()  # rendering happens outside any transaction
        plan = domain.plan(event, management=self.config.get("MANAGEMENT_RECIPIENTS") or ())
        self.db.add_all(self._message(event, p) for p in plan)
        if not commit_processed(self.db, handler, event["event_id"]):
            # A unique key was taken: a concurrent delivery did it all, or some message of this
            # event is logged already (add only the others).
            if already_processed(self.db, handler, event["event_id"]):
                return
            ids = {domain.message_id(event["event_id"], p.recipient): p for p in plan}
            known = set(self.db.scalars(select(Delivery.message_id).where(
                Delivery.message_id.in_(list(ids)))))
            self.db.add_all(self._message(event, p) for m, p in ids.items() if m not in known)
            if not commit_processed(self.db, handler, event["event_id"]):
                raise RuntimeError(f"could not log the messages of {event['event_id']}; retried")
        self.sender.wake()

    def _message(self, event, planned):
        msg_id = domain.message_id(event["event_id"], planned.recipient)
        parts = TEMPLATES.render(event["event_type"], planned.language, {
            **planned.context, "company": self.config.get("COMPANY_NAME") or "Servis",
            "logo_url": self.config.get("COMPANY_LOGO_URL") or None})
        mime = domain.build_message(
            parts, sender=self.config.get("MAIL_FROM") or "Servis <servis@localhost>",
            recipient=planned.recipient, recipient_name=planned.name, msg_id=msg_id)
        return Delivery(message_id=msg_id, event_id=event["event_id"],
                        event_type=event["event_type"], occurred_at=event["occurred_at"],
                        form_id=planned.form_id, contract_id=planned.contract_id,
                        recipient=planned.recipient.strip().lower(), language=planned.language,
                        subject=parts["subject"], mime=mime,
                        document_id=planned.document_id, status="pending", attempts=0,
                        next_attempt_at=utcnow())

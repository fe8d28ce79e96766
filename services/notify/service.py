"""notify: outgoing e-mail, with a delivery log."""
from contextlib import contextmanager

from eventlet.semaphore import Semaphore
from nameko.dependency_providers import Config
from nameko.events import event_handler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.common.events import load_event
from services.common.idempotency import already_processed, commit_processed
from services.common.models import utcnow
from services.common.rpc import rpc
from services.notify import domain
from services.notify.mailer import Mailer
from services.notify.models import Base, Delivery

TEMPLATES = domain.Templates()  # compiled at import: a broken template stops the start-up
_SENDING = {}  # message id -> lock: two deliveries of one event in this process take turns


@contextmanager
def one_at_a_time(key):
    lock = _SENDING.setdefault(key, Semaphore())
    with lock:
        yield
    if lock.balance == 1 and not lock._waiters:
        _SENDING.pop(key, None)


class NotifyService:
    name = "notify"

    db = Database(Base.metadata)
    mailer = Mailer()
    config = Config()

    @rpc
    def ping(self):
        return "notify"

    @rpc
    def deliveries_for_form(self, form_id):
        rows = self.db.scalars(select(Delivery).where(Delivery.form_id == form_id)
                               .order_by(Delivery.id)).all()
        return [{"id": d.id, "message_id": d.message_id, "event_type": d.event_type,
                 "recipient": d.recipient, "subject": d.subject, "status": d.status,
                 "attempts": d.attempts, "last_error": d.last_error,
                 "sent_at": d.sent_at.isoformat() if d.sent_at else None} for d in rows]

    @event_handler("forms", "form_created")
    def handle_form_created(self, message):
        event = load_event("form_created", message)
        handler = "notify.handle_form_created"
        if already_processed(self.db, handler, event["event_id"]):
            return
        form, rep = event["form"], event["form"]["rep"]
        if rep and rep.get("email"):
            lang = rep.get("language") or "tr"
            self._deliver(event, form_id=form["id"], recipient=rep["email"],
                          recipient_name=rep.get("name"), language=lang, context={
                              "form": form, "rep": rep,
                              "coverage_text": domain.coverage_text(form["coverage"], lang),
                              "opened_at_local": domain.local_time(form["opened_at"], lang)})
        commit_processed(self.db, handler, event["event_id"])

    def _deliver(self, event, *, recipient, **kwargs):
        msg_id = domain.message_id(event["event_id"], recipient)
        self.db.rollback()  # hold no connection while waiting for the other delivery
        with one_at_a_time(msg_id):
            self._deliver_once(event, msg_id, recipient=recipient, **kwargs)

    def _deliver_once(self, event, msg_id, *, form_id, recipient, recipient_name, language,
                      context):
        """Send one message unless the log says it went out already. No transaction is open
        while the message is sent; the log row is committed right after. (Two replicas of
        notify may still race on one event: the notify issue's claim step closes that.)"""
        logged = select(Delivery).where(Delivery.message_id == msg_id)
        done = self.db.scalars(logged.where(Delivery.status == "sent")).first() is not None
        self.db.rollback()  # end the read: sending is I/O
        if done:
            return
        parts = TEMPLATES.render(event["event_type"], language,
                                 {**context, "company": self.config.get("COMPANY_NAME", "Servis")})
        msg = domain.build_message(parts, sender=self.config.get("MAIL_FROM", "Servis <servis@localhost>"),
                                   recipient=recipient, recipient_name=recipient_name, msg_id=msg_id)
        try:
            self.mailer.send(msg)
            status, error = "sent", None
        except Exception as exc:  # recorded in the log; retries are the notify issue's
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        row = self.db.scalars(logged).first() or Delivery(
            message_id=msg_id, event_id=event["event_id"], event_type=event["event_type"],
            form_id=form_id, recipient=recipient, subject=parts["subject"], attempts=0)
        row.status, row.last_error = status, error
        row.attempts += 1
        row.sent_at = utcnow() if status == "sent" else None
        self.db.add(row)
        try:
            self.db.commit()
        except IntegrityError:  # a concurrent delivery of the same event logged it first
            self.db.rollback()

"""The customer's timeline: a projection of forms' events, kept by portal so that "my forms"
and a form's timeline answer with forms stopped (and cost forms nothing).

What it keeps is only what a customer may read: the form's number, device, complaint, its
customer-visible status (a `form_status_changed` with `customer_visible` false is skipped),
the price asked and the decision, the repair warranty's end. Notes, who on the staff did it,
staff and representative e-mails, coverage internals are in the events and never stored here.

Each entry is keyed by its event's id (unique): a redelivered or replayed event adds nothing.
Events come out of order — each event type has its own queue (so a status move and the price
request forms wrote in one transaction are handled in either order), and replicas have a relay
each: each field of the form's row follows the newest event of its own kind (the status the
newest status move's, the estimate's state the newest price event's, its amount the newest
request's), so a newer event of one kind never holds back an older one of another; the row's
last change (the list's order) is the newest event's time. Entries of a form whose
`form_created` has not arrived yet are kept and shown once it has."""
from sqlalchemy import select

from services.portal.models import TimelineEntry, TimelineForm

STATUS_KINDS = ("created", "status")
PRICE_KINDS = ("price_requested", "price_approved", "price_rejected")


class Timeline:
    def __init__(self, session):
        self.db = session

    def _entry(self, event, form_id, kind, customer_id=None, status=None, **amounts):
        if self.db.scalar(select(TimelineEntry.id).where(
                TimelineEntry.event_id == event["event_id"])) is not None:
            return None
        entry = TimelineEntry(event_id=event["event_id"], form_id=form_id, kind=kind,
                              customer_id=customer_id, status=status,
                              at=event["occurred_at"], **amounts)
        self.db.add(entry)
        return entry

    def _newest(self, form_id, kinds):
        """The form's newest entry of these kinds (by its event's time, then arrival)."""
        return self.db.scalars(select(TimelineEntry).where(
            TimelineEntry.form_id == form_id, TimelineEntry.kind.in_(kinds))
            .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc()).limit(1)).first()

    def _touch(self, form_id, event, kinds=(), **changes):
        """The row's last change moves on to this event's time when it is later; `changes`
        apply when this event is the newest of `kinds` for the form (none given: always)."""
        form = self.db.get(TimelineForm, form_id)
        if form is None:
            return None
        newest = self._newest(form_id, kinds) if kinds else None
        if newest is None or newest.event_id == event["event_id"]:
            for name, value in changes.items():
                setattr(form, name, value)
        if event["occurred_at"] > form.updated_at:
            form.updated_at = event["occurred_at"]
        return form

    def form_created(self, event):
        f = event["form"]
        if self.db.get(TimelineForm, f["id"]) is None:
            device = f["device"]
            self.db.add(TimelineForm(
                form_id=f["id"], customer_id=f["customer"]["id"], number=f["number"],
                language=f["customer"].get("language") or "tr", status="NEW",
                device_id=device["id"], brand=device["brand"], model=device.get("model"),
                serial=device["serial"], complaint=f["complaint"], opened_at=f["opened_at"],
                updated_at=f["opened_at"]))
        self._entry(event, f["id"], "created", f["customer"]["id"], "NEW")
        self._adopt(f["id"], f["customer"]["id"])

    def _adopt(self, form_id, customer_id):
        """Entries that came before the form's `form_created`: their customer and the status
        the latest of them set."""
        self.db.flush()
        entries = self.db.scalars(select(TimelineEntry).where(
            TimelineEntry.form_id == form_id).order_by(TimelineEntry.at)).all()
        form = self.db.get(TimelineForm, form_id)
        for entry in entries:
            entry.customer_id = customer_id
            if entry.at > form.updated_at:
                form.updated_at = entry.at
        status = self._newest(form_id, STATUS_KINDS)
        if status is not None:
            form.status = status.status
        price = self._newest(form_id, PRICE_KINDS)
        if price is not None:
            form.approval_state = price.kind.removeprefix("price_")
        request = self._newest(form_id, ("price_requested",))
        if request is not None:
            form.approval_total, form.approval_currency = request.total, request.currency

    def status_changed(self, event):
        if not event["customer_visible"]:
            return
        f = event["form"]
        self._entry(event, f["id"], "status", f.get("customer_id"), event["to"])
        self._touch(f["id"], event, STATUS_KINDS, status=event["to"])

    def price_requested(self, event):
        f = event["form"]
        self._entry(event, f["id"], "price_requested", total=event["total"],
                    currency=event["currency"])
        self._touch(f["id"], event, ("price_requested",), approval_total=event["total"],
                    approval_currency=event["currency"])
        self._touch(f["id"], event, PRICE_KINDS, approval_state="requested")

    def price_decided(self, event):
        f = event["form"]
        self._entry(event, f["id"], "price_" + event["decision"])
        self._touch(f["id"], event, PRICE_KINDS, approval_state=event["decision"])

    def completed(self, event):
        f = event["form"]
        warranty = event.get("repair_warranty") or {}
        self._entry(event, f["id"], "completed", f.get("customer_id"))
        self._touch(f["id"], event, ("completed",), warranty_end=warranty.get("end"))

    def closed(self, event):
        self._entry(event, event["form"]["id"], "closed")
        self._touch(event["form"]["id"], event)

    def reopened(self, event):
        self._entry(event, event["form"]["id"], "reopened")
        self._touch(event["form"]["id"], event)

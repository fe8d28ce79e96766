"""The payloads of the events forms publishes, built from a form: pure functions (their
schemas, shared with the consumers, are in services/common/events.py)."""
import json

from services.forms import domain


def by(actor):
    """Who did it, as events carry it; None for the system."""
    return {"user_id": actor["id"], "name": actor.get("name") or f"#{actor['id']}"} \
        if actor and actor.get("id") else None


def form_ref(form):
    return {"id": form.id, "number": form.number}


def maintenance_of(form):
    """A maintenance form's (visit, attempt), as its events carry it; None for a repair."""
    if form.maintenance_visit_id is None:
        return None
    return {"visit_id": form.maintenance_visit_id, "attempt": form.maintenance_attempt}


def customer_of(form):
    return {"id": form.customer_id, "name": form.customer_name, "email": form.customer_email,
            "language": form.customer_language}


def rep_of(form, with_user_id=True):
    if not (form.rep_name or form.rep_email):
        return None
    rep = {"name": form.rep_name, "email": form.rep_email, "language": form.rep_language}
    return {"user_id": form.rep_user_id, **rep} if with_user_id else rep


def form_contact(form):
    return {**form_ref(form), "customer": customer_of(form), "rep": rep_of(form)}


def _names(text):
    return json.loads(text) if text else None


def document_ref(doc):
    return {"service": "forms", "id": doc.id} if doc is not None else None


def form_created(form, tracking_url=None, document=None, source="desk"):
    return {"form": {
        **form_ref(form), "kind": form.kind, "source": source, "customer": customer_of(form),
        "rep": rep_of(form, with_user_id=False),
        "device": {"id": form.device_id, "brand": form.device_brand, "model": form.device_model,
                   "device_type": form.device_type,
                   "device_type_name": _names(form.device_type_names),
                   "serial": form.device_serial},
        "coverage": ({"kind": form.coverage_kind, "end": form.coverage_end}
                     if form.coverage_kind else None),
        "complaint": form.complaint,
        "opened_at": form.created_at,
        "tracking_url": tracking_url, "maintenance": maintenance_of(form),
    }, "document": document_ref(document)}


def form_status_changed(form, before, to, sub_status, actor, note):
    return {"form": {**form_ref(form), "customer_id": form.customer_id,
                     "maintenance": maintenance_of(form)}, "from": before,
            "to": to, "sub_status": sub_status, "by": by(actor), "note": note,
            "customer_visible": before != to and to in domain.CUSTOMER_VISIBLE}


def form_assigned(form, added, actor):
    return {"form": form_ref(form),
            "assignees": [{k: a[k] for k in ("user_id", "name", "email", "language")}
                          for a in added], "by": by(actor)}


def form_completed(form, warranty, parts, document=None):
    kind = form.coverage_kind or "none"
    return {
        "form": {**form_ref(form), "customer_id": form.customer_id,
                 "maintenance": maintenance_of(form),
                 "customer": customer_of(form), "work_summary": form.work_done,
                 "parts": [{"code": p.code, "name": p.name, "quantity": p.quantity,
                            "unit_price": p.unit_price, "amount": p.amount} for p in parts],
                 "work_minutes": form.work_minutes,
                 "coverage": {"kind": kind, "end": form.coverage_end,
                              "reason": _names(form.coverage_reason)}},
        "device_id": form.device_id, "repair_warranty": warranty,
        "totals": {"labour": form.labour_total, "parts": form.parts_total,
                   "service_fee": form.fee_total, "gross": form.gross_total,
                   "covered": form.covered_total, "subtotal": form.subtotal,
                   "discount": form.discount_total, "vat": form.vat_total, "total": form.total,
                   "currency": form.currency},
        "document": document_ref(document)}


def form_closed(form, actor):
    return {"form": form_contact(form), "by": by(actor), "summary": form.work_done}


def form_reopened(form, actor, reason, low_score=None):
    """`low_score` {score, threshold} when a low satisfaction score reopened it (notify
    words that in the reader's language)."""
    return {"form": form_contact(form), "by": by(actor), "reason": reason,
            "low_score": low_score}


def satisfaction_recorded(form, score, threshold):
    return {"form": form_ref(form), "score": score, "threshold": threshold}


def satisfaction_low(form, score, threshold, answers, management):
    """`answers` [(question text, value)]; `management` the addresses told of low scores,
    ((display name or None, address), …) as MANAGEMENT_EMAILS gives them."""
    return {"form": form_ref(form),
            "customer": {"id": form.customer_id, "name": form.customer_name},
            "score": score, "threshold": threshold,
            "answers": [{"question": q, "answer": v} for q, v in answers],
            "management": [{"name": name or address, "email": address, "language": "tr"}
                           for name, address in management]}


def price_approval_requested(form, approval, url, document=None):
    """The estimate to the customer: its total, the one-time link and until when it works,
    the PDF (`document`)."""
    return {"form": form_ref(form),
            "customer": {"name": form.customer_name, "email": form.customer_email,
                         "language": form.customer_language},
            "total": approval.total, "currency": approval.currency, "approval_url": url,
            "expires_at": approval.expires_at, "document": document_ref(document),
            "estimate_version": approval.version}


def price_approval_decided(form, approval, by_whom):
    """The decision, by the customer's link ({customer_id}) or recorded by staff ({user_id,
    name}); `recipients`: the manager who sent the estimate (unless they recorded it)."""
    sender = {"name": approval.sent_by_name or approval.sent_by_email,
              "email": approval.sent_by_email, "language": approval.sent_by_language}
    told = [] if not approval.sent_by_email or (
        approval.recorded_by_id is not None and approval.recorded_by_id == approval.sent_by_id) \
        else [sender]
    return {"form": form_ref(form), "decision": approval.decision, "by": by_whom,
            "at": approval.decided_at, "estimate_version": approval.version,
            "via": approval.decided_via, "note": approval.decision_note, "recipients": told}

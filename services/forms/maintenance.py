"""The maintenance forms of periodic maintenance: on contracts' `maintenance_visit_due` forms
opens one service form (`kind=maintenance`) for the visit's (visit, attempt) as the system
actor, with the plan's team as its assignees. Exactly once: a form of that (visit, attempt)
found is the answer (a redelivery, a second replica's event), and the unique constraint
`uq_forms_maintenance` holds should two handlers race (the loser's commit fails and its event
is retried, to find the winner's form). The customer, device and contract come on the event
(snapshots, not call-backs): nothing is asked of devices."""
from sqlalchemy import select

from services.common.roles import SYSTEM_ACTOR
from services.forms.models import Assignment, Form, FormHistory

CONTRACT_REASON = {"tr": "Bakım sözleşmesi {number} ({end} tarihine kadar)",
                   "en": "Maintenance contract {number} (until {end})"}


def maintenance_form(session, visit_id, attempt):
    return session.scalar(select(Form).where(Form.maintenance_visit_id == visit_id,
                                             Form.maintenance_attempt == attempt))


def intake_of(event):
    """What `FormWorkflow.open` takes from devices at a desk intake, from the event."""
    customer, contract, device = event["customer"], event["contract"], event["device"]
    rep = event.get("rep")
    end = contract["end"].isoformat()
    return {
        "customer": {"id": customer["id"], "name": customer["name"],
                     "email": customer.get("email"), "language": customer.get("language") or
                     "tr", "version": None,
                     "rep": {"user_id": rep.get("user_id"), "name": rep.get("name"),
                             "email": rep.get("email"), "language": rep.get("language")}
                     if rep else None},
        "device": {"id": device["id"], "brand": device["brand"], "model": device.get("model"),
                   "device_type": device.get("device_type"),
                   "device_type_name": device.get("device_type_name"),
                   "serial": device["serial"]},
        "coverage": {"kind": "contract", "source_id": contract["id"], "end": end,
                     "reason": {lang: text.format(number=contract["number"], end=end)
                                for lang, text in CONTRACT_REASON.items()},
                     "terms": {"pays": contract.get("pays"),
                               "service_levels": contract.get("service_levels")}
                     if contract.get("pays") else None}}


def open_maintenance_form(workflow, event):
    """The visit's form for this attempt: opened now, or the one already there (None)."""
    visit = event["visit"]
    if maintenance_form(workflow.db, visit["id"], visit["attempt"]) is not None:
        return None
    data = {"kind": "maintenance", "complaint": event["complaint"]}
    form = workflow.open(data, SYSTEM_ACTOR, intake_of(event),
                         maintenance=(visit["id"], visit["attempt"]))
    for member in event["team"]:
        workflow.db.add(Assignment(form_id=form.id, user_id=member["user_id"],
                                   name=member["name"], email=member.get("email"),
                                   language=member.get("language") or "tr", role="technician"))
    if event["team"]:
        workflow.db.add(FormHistory(form_id=form.id, action="assigned", by_id=None,
                                    by_name="system",
                                    note=", ".join(m["name"] for m in event["team"])))
    workflow.db.flush()
    return form

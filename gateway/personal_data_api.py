"""KVKK (law 6698): what the system holds about a customer, from every service, as one ZIP,
and its erasure (docs/architecture.md, "Personal data (KVKK)"). The export asks each service's
`personal_data` RPC and adds the gateway's own part (the customer's portal accounts, the audit
log's entries about the customer) and the issued documents' PDFs. The erasure is refused while
a form of the customer is open; devices erases the customer and sends `customer_erased`
through its outbox to every other service; the gateway erases its own copies (portal
accounts, sessions, the audit log's entries) at once."""
import base64
import io
import json
import zipfile

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import delete, or_, select

from gateway.auth import current_user, roles
from gateway.helpers import actor, rpc
from gateway.login_limits import LoginFailure
from gateway.users import Base, User, WebSession, public
from services.common.erasure import MARKER, needles_of, scrub, settle
from services.common.exceptions import Conflict, NotFound, ServisError
from services.common.models import utcnow
from services.common.roles import ADMINS

OPEN_FORMS = ("The customer has open forms ({numbers}); erase their data once these are "
              "closed or cancelled.")
DONE = ("CLOSED", "CANCELLED")  # a form in any other status is open

blp = Blueprint("personal_data", __name__, url_prefix="/api/v1",
                description="Personal data (KVKK): export")

# Services asked by the customer's id (they keep it), then services asked by what those
# answered (services/common/personal.py Subject): their forms, contracts and addresses.
# A service that keeps customer data adds itself here (portal: by customer id).
BY_CUSTOMER = ("devices", "forms", "contracts", "portal")
BY_SUBJECT = ("notify", "knowledge")
DOCUMENTS_OF = ("forms", "contracts")  # whose `documents` rows have PDFs (get_document)
AUDIT_LIMIT = 10000  # the audit log's entries about the customer put in the file, newest


def subject_of(customer_id, held):
    """The keys the other services know the customer by, from what the first ones hold."""
    devices, forms, contracts = (held.get(s) or {} for s in ("devices", "forms", "contracts"))
    emails = {(devices.get("customer") or {}).get("email")}
    emails |= {c.get("email") for c in devices.get("contacts") or ()}
    emails |= {f.get("customer_email") for f in forms.get("forms") or ()}
    emails |= {p.get("customer_email") for p in forms.get("price_approvals") or ()}
    emails |= {c.get("customer_email") for c in (contracts.get("contracts") or [])
               + (contracts.get("proposals") or [])}
    return {"customer_id": customer_id,
            "form_ids": sorted({f["id"] for f in forms.get("forms") or () if "id" in f}),
            "contract_ids": sorted({c["id"] for c in contracts.get("contracts") or ()
                                    if "id" in c}),
            "emails": sorted(e for e in emails if isinstance(e, str) and len(e) >= 3)}


def collect(customer_id):
    """{service: what it holds} and the documents [(path in the ZIP, bytes)]. An unknown
    customer is devices' 404."""
    held = {"devices": rpc("devices", "personal_data", customer_id)}
    for service in BY_CUSTOMER[1:]:
        held[service] = rpc(service, "personal_data", customer_id)
    subject = subject_of(customer_id, held)
    for service in BY_SUBJECT:
        held[service] = rpc(service, "personal_data", subject)
    ext = current_app.extensions["servis"]
    held["gateway"] = {
        "accounts": [public(u) for u in ext.users.list() if u.customer_id == customer_id],
        "audit": ext.audit.page(entity="customers", record_id=customer_id,
                                limit=AUDIT_LIMIT)["items"]}
    files = []
    for service in DOCUMENTS_OF:
        for doc in (held.get(service) or {}).get("documents") or ():
            if doc.get("status") != "issued":
                continue
            try:
                got = rpc(service, "get_document", doc["id"])
            except ServisError:  # gone from storage: the row in the JSON still says so
                continue
            if isinstance(got, dict) and "content_b64" in got:
                name = got.get("filename") or f"{doc['id']}.pdf"
                files.append((f"documents/{service}/{doc['id']}-{name}",
                              base64.b64decode(got["content_b64"])))
    for photo in (held.get("portal") or {}).get("photos") or ():  # a request's photos
        try:
            got = rpc("portal", "get_photo_file", photo["id"])
        except ServisError:  # gone from storage: the row in the JSON still says so
            continue
        files.append((f"photos/portal/{photo['request_id']}-{photo['id']}-"
                      f"{got.get('filename') or 'photo'}", base64.b64decode(got["content_b64"])))
    return held, subject, files


def zip_of(customer_id, held, files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        user = current_user()
        z.writestr("manifest.json", json.dumps({
            "customer_id": customer_id, "generated_at": utcnow().isoformat(),
            "requested_by": {"id": user["id"], "name": user["name"]},
            "services": sorted(held), "documents": [path for path, _ in files]},
            ensure_ascii=False, indent=1))
        for service, data in sorted(held.items()):
            z.writestr(f"{service}.json", json.dumps(data, ensure_ascii=False, indent=1,
                                                     default=str))
        for path, data in files:
            z.writestr(path, data)
    return buffer.getvalue()


@blp.route("/customers/<id:customer_id>/personal-data", methods=["GET"])
@roles(*ADMINS)
@blp.alt_response(200, success=True, description="A ZIP: manifest.json, one JSON file per "
                  "service, documents/<service>/<id>-<file>.pdf",
                  content_type="application/zip")
def personal_data(customer_id):
    """Everything held about a customer (KVKK export, admin): a ZIP of one JSON file per
    service — devices (the customer, contacts, sites, device cards), forms (forms and their
    texts, price approvals, survey answers, documents), contracts (proposals, contracts,
    invoices, machine-park checks), notify (the e-mails sent), knowledge (solutions of their
    forms), gateway (portal accounts, the audit log's entries about the customer) — plus the
    issued documents' PDFs. The download is in the audit log."""
    held, _subject, files = collect(customer_id)
    data = zip_of(customer_id, held, files)
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="kisisel-veri-{customer_id}.zip"'})


NO_CONTACT = "Contact person {contact_id} of customer {customer_id} not found."


@blp.route("/customers/<id:customer_id>/contacts/<id:contact_id>/personal-data",
           methods=["GET"])
@roles(*ADMINS)
@blp.alt_response(200, success=True, description="A ZIP: manifest.json, devices.json (the "
                  "contact person), notify.json (e-mails to their address), gateway.json (the "
                  "audit log's entries naming them)", content_type="application/zip")
def contact_personal_data(customer_id, contact_id):
    """Everything held about a customer's contact person (KVKK export, admin): their record,
    the e-mails sent to their address, the audit log's entries about the customer that name
    them. 404 for a contact person the customer does not have. The download is in the audit
    log."""
    devices = rpc("devices", "personal_data", customer_id)
    contact = next((c for c in devices.get("contacts") or () if c.get("id") == contact_id),
                   None)
    if contact is None:
        raise NotFound(NO_CONTACT, {"customer_id": customer_id, "contact_id": contact_id})
    emails = [contact["email"]] if contact.get("email") else []
    held = {"devices": {"contact": contact},
            "notify": rpc("notify", "personal_data", {"customer_id": customer_id,
                                                      "emails": emails})}
    needles = [v for v in (contact.get("name"), contact.get("email"), contact.get("phone"))
               if isinstance(v, str) and len(v) >= 4]
    entries = current_app.extensions["servis"].audit.page(
        entity="customers", record_id=customer_id, limit=AUDIT_LIMIT)["items"]
    held["gateway"] = {"audit": [e for e in entries if any(
        n in json.dumps(e, ensure_ascii=False) for n in needles)]}
    data = zip_of(customer_id, held, [])
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition":
            f'attachment; filename="kisisel-veri-{customer_id}-yetkili-{contact_id}.zip"'})


def personal_strings(held, accounts):
    """Every string that names or reaches the person, as the services hold it (current and
    earlier copies: a form keeps the name the customer had when it was opened)."""
    devices, forms, contracts = (held.get(s) or {} for s in ("devices", "forms", "contracts"))
    customer = devices.get("customer") or {}
    out = [customer.get(k) for k in ("name", "email", "phone", "address", "tax_no")]
    for c in devices.get("contacts") or ():
        out += [c.get("name"), c.get("email"), c.get("phone")]
    out += [s.get("address") for s in devices.get("sites") or ()]
    for f in forms.get("forms") or ():
        out += [f.get("customer_name"), f.get("customer_email")]
    for p in forms.get("price_approvals") or ():
        out += [p.get("customer_email"), p.get("decided_by_name")]
    for c in (contracts.get("proposals") or []) + (contracts.get("contracts") or []):
        out += [c.get("customer_name"), c.get("customer_email")]
    for r in (held.get("portal") or {}).get("requests") or ():
        out += [r.get("submitted_by_name"), r.get("site")]
    for a in accounts:
        out += [a.name, a.email, a.username]
    return sorted({v.strip() for v in out if isinstance(v, str) and v.strip()})


def erase_here(customer_id, personal):
    """The gateway's copies: the customer's portal accounts (renamed, deactivated, their
    sessions ended), every table of the gateway's database scrubbed of the person's strings —
    the audit log's entries among them (AuditLog.redact). (accounts, audit entries) changed."""
    ext = current_app.extensions["servis"]
    pairs = needles_of(personal)
    with ext.users.Session() as s:
        accounts = s.scalars(select(User).where(User.customer_id == customer_id)).all()
        for user in accounts:
            user.username, user.name, user.email = f"kvkk-{user.id}", MARKER, None
            user.active, user.epoch, user.version = False, user.epoch + 1, user.version + 1
        s.execute(delete(WebSession).where(WebSession.user_id.in_([u.id for u in accounts])))
        s.flush()
        # sign-in failure counts are keyed by the username tried (a key is no text to scrub)
        s.execute(delete(LoginFailure).where(or_(*[
            LoginFailure.key.contains(n, autoescape=True) for n, _ in pairs])))
        redacted = ext.audit.redact(s, pairs)
        scrub(s, Base.metadata, pairs, tables=[
            t for t in Base.metadata.sorted_tables if t.name != "audit_entries"])
        s.commit()
        settle(s)
    for user in accounts:
        ext.users.states.forget(user.id)
    return len(accounts), redacted


class ErasureOut(Schema):
    customer_id = fields.Integer()
    marker = fields.String()
    forms = fields.Integer(metadata={"description": "forms kept with their numbers and totals"})
    contracts = fields.Integer()
    accounts = fields.Integer(metadata={"description": "portal accounts deactivated"})
    audit_entries = fields.Integer(metadata={"description": "audit entries redacted"})


@blp.route("/customers/<id:customer_id>/erasure", methods=["POST"])
@roles(*ADMINS)
@blp.response(202, ErasureOut)
@blp.alt_response(409, description="A form of the customer is open.")
def erasure(customer_id):
    """Erase a customer's personal data (KVKK, admin): name, e-mail, phone, address and tax
    number replaced by a marker in every service (devices at once, the others through
    `customer_erased`), the portal accounts deactivated, the audit log's entries about the
    person redacted; forms and contracts keep their numbers, dates and amounts. 409 while a
    form of the customer is open. The erasure itself is in the audit log."""
    held = {"devices": rpc("devices", "personal_data", customer_id)}
    for service in BY_CUSTOMER[1:]:
        held[service] = rpc(service, "personal_data", customer_id)
    forms = held["forms"].get("forms") or []
    still_open = [f.get("number") for f in forms if f.get("status") not in DONE]
    if still_open:
        raise Conflict(OPEN_FORMS, {"numbers": ", ".join(map(str, still_open)),
                                    "forms": still_open})
    users = current_app.extensions["servis"].users
    accounts = [u for u in users.list() if u.customer_id == customer_id]
    personal = personal_strings(held, accounts)
    subject = subject_of(customer_id, held)
    rpc("devices", "erase_customer", customer_id, {
        "personal": personal, "form_ids": subject["form_ids"],
        "contract_ids": subject["contract_ids"]}, actor())
    n_accounts, n_audit = erase_here(customer_id, personal)
    return {"customer_id": customer_id, "marker": MARKER, "forms": len(forms),
            "contracts": len(subject["contract_ids"]), "accounts": n_accounts,
            "audit_entries": n_audit}, 202


class ContactErasureOut(Schema):
    customer_id = fields.Integer()
    contact_id = fields.Integer()
    marker = fields.String()
    audit_entries = fields.Integer(metadata={"description": "audit entries redacted"})


@blp.route("/customers/<id:customer_id>/contacts/<id:contact_id>/erasure", methods=["POST"])
@roles(*ADMINS)
@blp.response(202, ContactErasureOut)
def contact_erasure(customer_id, contact_id):
    """Erase a customer's contact person (KVKK, admin): their name, e-mail and phone replaced
    by a marker in every service (devices at once, the others through `contact_erased`: the
    e-mails sent to their address lose their bytes, any text naming them is scrubbed) and in
    the audit log's entries; the customer's own data stays. 404 for a contact person the
    customer does not have. The erasure itself is in the audit log."""
    devices = rpc("devices", "personal_data", customer_id)
    contact = next((c for c in devices.get("contacts") or () if c.get("id") == contact_id),
                   None)
    if contact is None:
        raise NotFound(NO_CONTACT, {"customer_id": customer_id, "contact_id": contact_id})
    customer = devices.get("customer") or {}
    own = {v.strip() for v in [customer.get(k) for k in ("name", "email", "phone", "address",
                                                        "tax_no")]
           + [c.get(k) for c in devices.get("contacts") or () if c.get("id") != contact_id
              for k in ("name", "email", "phone")] if isinstance(v, str)}
    personal = sorted({v.strip() for v in (contact.get(k) for k in ("name", "email", "phone"))
                       if isinstance(v, str) and v.strip()} - own)
    rpc("devices", "erase_contact", customer_id, contact_id, {"personal": []}, actor())
    ext = current_app.extensions["servis"]
    pairs = needles_of(personal)
    with ext.users.Session() as s:
        redacted = ext.audit.redact(s, pairs)
        scrub(s, Base.metadata, pairs, tables=[
            t for t in Base.metadata.sorted_tables if t.name != "audit_entries"])
        s.commit()
        settle(s)
    return {"customer_id": customer_id, "contact_id": contact_id, "marker": MARKER,
            "audit_entries": redacted}, 202


BLUEPRINTS = (blp,)

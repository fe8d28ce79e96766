"""KVKK (law 6698): what the system holds about a customer, from every service, as one ZIP
(docs/architecture.md, "Personal data (KVKK)"). The gateway asks each service's
`personal_data` RPC and adds its own part (the customer's portal accounts, the audit log's
entries about the customer) and the issued documents' PDFs."""
import base64
import io
import json
import zipfile

from flask import Response, current_app
from flask_smorest import Blueprint

from gateway.auth import current_user, roles
from gateway.helpers import rpc
from gateway.users import public
from services.common.exceptions import ServisError
from services.common.models import utcnow
from services.common.roles import ADMINS

blp = Blueprint("personal_data", __name__, url_prefix="/api/v1",
                description="Personal data (KVKK): export")

# Services asked by the customer's id (they keep it), then services asked by what those
# answered (services/common/personal.py Subject): their forms, contracts and addresses.
# A service that keeps customer data adds itself here (portal: by customer id).
BY_CUSTOMER = ("devices", "forms", "contracts")
BY_SUBJECT = ("notify", "knowledge")
DOCUMENTS_OF = ("forms", "contracts")  # whose `documents` rows have PDFs (get_document)
AUDIT_LIMIT = 10000  # the audit log's entries about the customer put in the file, newest


def subject_of(customer_id, held):
    """The keys the other services know the customer by, from what the first ones hold."""
    devices, forms, contracts = (held.get(s) or {} for s in BY_CUSTOMER)
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


BLUEPRINTS = (blp,)

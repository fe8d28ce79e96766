"""The KVKK export (gateway/personal_data_api.py) against the fake RPC client: every service
is asked (the first three by the customer's id, notify and knowledge by the keys those
answered), the ZIP holds one JSON file per service plus the issued documents, the download is
in the audit log, and only admins may ask."""
import base64
import io
import json
import zipfile

import pytest

from services.common.exceptions import NotFound

PDF = b"%PDF-1.4 kvkk"
HELD = {
    "devices": {"customer": {"id": 7, "name": "Ayşe Yılmaz", "email": "ayse@example.com"},
                "contacts": [{"id": 1, "name": "Can", "email": "can@example.com"}],
                "sites": [], "devices": [{"id": 3, "serial": "S1"}],
                "coverage_periods": [], "device_history": []},
    "forms": {"forms": [{"id": 11, "number": "SF-2026-000011", "customer_email":
                         "ayse@example.com"}, {"id": 12, "number": "SF-2026-000012"}],
              "survey_answers": [{"form_id": 11, "question_id": 1, "value": 5}],
              "price_approvals": [{"id": 2, "customer_email": "muhasebe@example.com"}],
              "documents": [{"id": 40, "status": "issued"}, {"id": 41, "status": "pending"}]},
    "contracts": {"contracts": [{"id": 5, "customer_email": "ayse@example.com"}],
                  "proposals": [], "documents": [{"id": 9, "status": "issued"}]},
    "notify": {"deliveries": [{"id": 1, "recipient": "ayse@example.com", "subject": "x"}]},
    "knowledge": {"solution_links": [{"form_id": 11, "article_id": 2}]},
}


def _answer(calls):
    def answer(service, method, args):
        calls.append((service, method, args))
        if method == "personal_data":
            return HELD[service]
        if method == "get_document":
            return {"content_b64": base64.b64encode(PDF).decode(),
                    "filename": f"{service}-{args[0]}.pdf", "content_type": "application/pdf"}
        raise AssertionError(method)
    return answer


def test_the_export_holds_every_service_and_the_documents(gw):
    calls = []
    gw.rpc.answer = _answer(calls)
    r = gw.client.get("/api/v1/customers/7/personal-data", headers=gw.headers["admin"])
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert 'filename="kisisel-veri-7.zip"' in r.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.data))
    names = set(z.namelist())
    assert {"manifest.json", "devices.json", "forms.json", "contracts.json", "notify.json",
            "knowledge.json", "gateway.json", "documents/forms/40-forms-40.pdf",
            "documents/contracts/9-contracts-9.pdf"} == names
    for service in HELD:
        assert json.loads(z.read(f"{service}.json")) == HELD[service]
    assert z.read("documents/forms/40-forms-40.pdf") == PDF
    subject = {"customer_id": 7, "form_ids": [11, 12], "contract_ids": [5],
               "emails": ["ayse@example.com", "can@example.com", "muhasebe@example.com"]}
    assert ("notify", "personal_data", (subject,)) in calls
    assert ("knowledge", "personal_data", (subject,)) in calls
    assert [a for s, m, a in calls if m == "get_document"] == [(40,), (9,)]  # issued only
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["requested_by"]["id"] == gw.users["admin"].id
    entry = gw.app.extensions["servis"].audit.page(limit=1)["items"][0]
    assert (entry["action"], entry["entity"], entry["record_id"], entry["actor_id"]) == (
        "export", "customers", "7", gw.users["admin"].id)
    gateway_part = json.loads(z.read("gateway.json"))
    assert set(gateway_part) == {"accounts", "audit"}


def test_the_customers_portal_account_is_in_the_gateways_part(gw):
    gw.rpc.answer = _answer([])
    r = gw.client.get("/api/v1/customers/1/personal-data", headers=gw.headers["admin"])
    part = json.loads(zipfile.ZipFile(io.BytesIO(r.data)).read("gateway.json"))
    assert [a["username"] for a in part["accounts"]] == ["user-customer"]
    assert "password_hash" not in json.dumps(part)


def test_an_unknown_customer_is_404(gw):
    gw.rpc.raises = NotFound("Customer {customer_id} not found.", {"customer_id": 99})
    r = gw.client.get("/api/v1/customers/99/personal-data", headers=gw.headers["admin"])
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", ["manager", "rep", "desk", "customer"])
def test_only_an_admin_may_export(gw, role):
    r = gw.client.get("/api/v1/customers/7/personal-data", headers=gw.headers[role])
    assert r.status_code == 403 and gw.rpc.calls == []

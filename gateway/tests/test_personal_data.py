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
    "portal": {"requests": [{"id": 3, "customer_id": 7, "submitted_by_name": "Ayşe Portal",
                             "site": "Kadıköy şubesi", "complaint": "Soğutmuyor"}],
               "photos": [{"id": 8, "request_id": 3, "filename": "klima.png"}],
               "forms": [], "timeline": []},
}
PNG = b"\x89PNG\r\n\x1a\n photo"


def _answer(calls):
    def answer(service, method, args):
        calls.append((service, method, args))
        if method == "personal_data":
            return HELD[service]
        if method == "get_document":
            return {"content_b64": base64.b64encode(PDF).decode(),
                    "filename": f"{service}-{args[0]}.pdf", "content_type": "application/pdf"}
        if (service, method) == ("portal", "get_photo_file"):
            return {"content_b64": base64.b64encode(PNG).decode(), "filename": "klima.png",
                    "content_type": "image/png"}
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
            "documents/contracts/9-contracts-9.pdf", "portal.json",
            "photos/portal/3-8-klima.png"} == names
    assert z.read("photos/portal/3-8-klima.png") == PNG
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


# -- erasure ---------------------------------------------------------------------------------
def _erasure_answer(calls, statuses=("CLOSED", "CANCELLED")):
    held = {**HELD, "forms": {**HELD["forms"], "forms": [
        {"id": 11 + n, "number": f"SF-2026-00001{n}", "status": s,
         "customer_name": "Ayşe Yılmaz (eski)", "customer_email": "ayse@example.com"}
        for n, s in enumerate(statuses)]}}
    held["devices"] = {**HELD["devices"], "customer": {
        **HELD["devices"]["customer"], "phone": "0532 111 22 33", "address": "Bağdat Cd. 1"}}

    def answer(service, method, args):
        calls.append((service, method, args))
        if method == "personal_data":
            return held[service]
        if method == "erase_customer":
            return {"customer_id": args[0], "marker": "[KVKK: silindi]", "version": 3}
        raise AssertionError(method)
    return answer


def test_an_open_form_refuses_the_erasure(gw):
    calls = []
    gw.rpc.answer = _erasure_answer(calls, ("CLOSED", "IN_REPAIR"))
    r = gw.client.post("/api/v1/customers/7/erasure", headers={**gw.headers["admin"],
                                                               "Accept-Language": "en"})
    assert r.status_code == 409 and r.json["error"]["details"]["forms"] == ["SF-2026-000011"]
    assert "SF-2026-000011" in r.json["error"]["message"]
    assert not [c for c in calls if c[1] == "erase_customer"]
    tr = gw.client.post("/api/v1/customers/7/erasure", headers=gw.headers["admin"])
    assert "açık formları" in tr.json["error"]["message"]


def test_the_erasure_reaches_devices_and_redacts_the_gateways_copies(gw):
    ext = gw.app.extensions["servis"]
    portal = ext.users.create(username="ayse.portal", password="password-xx", role="customer",
                              name="Ayşe Yılmaz", email="ayse@example.com", customer_id=7)
    # entries about the person: a change of the customer, a failed sign-in with their username
    gw.rpc.answer = lambda s, m, a: {"id": 7, "name": "Ayşe Yılmaz", "version": 5,
                                     "phone": "0212" if m == "get_customer" else
                                     "0532 111 22 33"}
    gw.client.patch("/api/v1/customers/7", json={"phone": "0532 111 22 33"},
                    headers={**gw.headers["admin"], "If-Match": '"4"'})
    gw.client.post("/api/v1/auth/token", json={"username": "ayse.portal", "password": "x"})
    from gateway.login_limits import LoginFailure
    with ext.users.Session() as s:
        assert [f.key for f in s.query(LoginFailure) if "ayse.portal" in f.key]
    calls = []
    gw.rpc.answer = _erasure_answer(calls)
    r = gw.client.post("/api/v1/customers/7/erasure", headers=gw.headers["admin"])
    assert r.status_code == 202, r.json
    assert r.json["accounts"] == 1 and r.json["audit_entries"] >= 2 and r.json["forms"] == 2
    erased = [c for c in calls if c[1] == "erase_customer"]
    assert len(erased) == 1
    customer_id, data, who = erased[0][2]
    assert customer_id == 7 and who["id"] == gw.users["admin"].id
    assert {"Ayşe Yılmaz", "Ayşe Yılmaz (eski)", "ayse@example.com", "0532 111 22 33",
            "Bağdat Cd. 1", "Can", "can@example.com", "muhasebe@example.com",
            "ayse.portal", "Ayşe Portal", "Kadıköy şubesi"} <= set(data["personal"])
    assert data["form_ids"] == [11, 12] and data["contract_ids"] == [5]
    account = ext.users.get(portal.id)
    assert (account.name, account.email, account.active, account.username) == (
        "[KVKK: silindi]", None, False, f"kvkk-{portal.id}")
    text = str(ext.audit.page(limit=500)["items"])
    for needle in ("Ayşe Yılmaz", "ayse@example.com", "0532 111 22 33", "ayse.portal"):
        assert needle not in text, needle
    with ext.users.Session() as s:
        assert not [f.key for f in s.query(LoginFailure) if "ayse.portal" in f.key]
    last = ext.audit.page(limit=1)["items"][0]
    assert (last["rule"], last["record_id"], last["status"]) == (
        "/api/v1/customers/<id:customer_id>/erasure", "7", 202)


def test_a_contact_persons_export(gw):
    calls = []
    gw.rpc.answer = _answer(calls)
    r = gw.client.get("/api/v1/customers/7/contacts/1/personal-data",
                      headers=gw.headers["admin"])
    assert r.status_code == 200 and r.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.data))
    assert set(z.namelist()) == {"manifest.json", "devices.json", "notify.json",
                                 "gateway.json"}
    assert json.loads(z.read("devices.json")) == {"contact": HELD["devices"]["contacts"][0]}
    assert ("notify", "personal_data", ({"customer_id": 7, "emails": ["can@example.com"]},)) \
        in calls
    assert "Ayşe" not in z.read("devices.json").decode()  # the customer's own data is not theirs
    entry = gw.app.extensions["servis"].audit.page(limit=1)["items"][0]
    assert (entry["action"], entry["record_id"]) == ("export", "7")
    gw.rpc.answer = _answer([])
    r = gw.client.get("/api/v1/customers/7/contacts/2/personal-data",
                      headers={**gw.headers["admin"], "Accept-Language": "en"})
    assert r.status_code == 404 and "Contact person 2" in r.json["error"]["message"]
    assert gw.client.get("/api/v1/customers/7/contacts/1/personal-data",
                         headers=gw.headers["manager"]).status_code == 403


def test_a_contact_persons_erasure_reaches_devices_and_redacts_the_audit_log(gw):
    ext = gw.app.extensions["servis"]
    # an audit entry naming the contact (a change of the customer's contacts)
    gw.rpc.answer = lambda s, m, a: {"id": 7, "name": "Ayşe Yılmaz", "version": 5,
                                     "email": "eski@example.com" if m == "get_customer"
                                     else "ayse@example.com",
                                     "contacts": [] if m == "get_customer" else [
                                         {"id": 1, "name": "Can Demirtaş",
                                          "email": "can.d@example.com",
                                          "phone": "0533 444 55 66"}]}
    gw.client.patch("/api/v1/customers/7", json={"contacts": [
        {"name": "Can Demirtaş", "email": "can.d@example.com", "phone": "0533 444 55 66"}]},
        headers={**gw.headers["admin"], "If-Match": '"4"'})
    assert "Can Demirtaş" in str(ext.audit.page(limit=50)["items"])
    held = {"customer": {"id": 7, "name": "Ayşe Yılmaz", "email": "ayse@example.com",
                         "phone": "0532 111 22 33"},
            "contacts": [{"id": 1, "name": "Can Demirtaş", "email": "can.d@example.com",
                          "phone": "0533 444 55 66"},
                         {"id": 3, "name": "Muhasebe", "email": "ayse@example.com"},
                         {"id": 2, "name": "Ela Kaya", "email": "ela@example.com"}]}
    calls = []

    def answer(service, method, args):
        calls.append((service, method, args))
        if (service, method) == ("devices", "personal_data"):
            return held
        if (service, method) == ("devices", "erase_contact"):
            return {"customer_id": 7, "contact_id": 1, "marker": "[KVKK: silindi]"}
        raise AssertionError(method)
    gw.rpc.answer = answer
    r = gw.client.post("/api/v1/customers/7/contacts/1/erasure", headers=gw.headers["admin"])
    assert r.status_code == 202, r.json
    assert r.json["contact_id"] == 1 and r.json["audit_entries"] >= 1
    (erased,) = [c for c in calls if c[1] == "erase_contact"]
    customer_id, contact_id, data, who = erased[2]
    assert (customer_id, contact_id, who["id"]) == (7, 1, gw.users["admin"].id)
    text = str(ext.audit.page(limit=500)["items"])
    for needle in ("Can Demirtaş", "can.d@example.com", "0533 444 55 66"):
        assert needle not in text, needle
    assert "ayse@example.com" in text  # the customer's own (another contact's too) stays
    last = ext.audit.page(limit=1)["items"][0]
    assert (last["rule"], last["record_id"], last["status"]) == (
        "/api/v1/customers/<id:customer_id>/contacts/<id:contact_id>/erasure", "7", 202)
    r = gw.client.post("/api/v1/customers/7/contacts/4/erasure",
                       headers={**gw.headers["admin"], "Accept-Language": "en"})
    assert r.status_code == 404 and "Contact person 4" in r.json["error"]["message"]
    assert len([c for c in calls if c[1] == "erase_contact"]) == 1
    assert gw.client.post("/api/v1/customers/7/contacts/1/erasure",
                          headers=gw.headers["manager"]).status_code == 403

"""The audit log (gateway/audit.py) against the fake RPC client: every write route of the API
leaves an entry (a route added later is covered by the same hook, and this test fails if one
is not), the changes the issue names keep before → after, sign-ins, exports and downloads are
recorded, secrets never are, and no route changes or deletes an entry."""
import re

import pytest

from gateway.tests.test_access_matrix import BODIES
from gateway.tests.test_routes import EXAMPLES

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _log(gw):
    return gw.app.extensions["servis"].audit


def _last(gw):
    return _log(gw).page(limit=1)["items"][0]


def _url(rule):
    ids = iter([7, 8])
    path = re.sub(r"<id:\w+>", lambda m: str(next(ids)), rule)
    path = re.sub(r"<string\(maxlength=40\):\w+>", "kombi", path)
    return path.replace("<token>", "t" * 43)


def write_rules(app):
    return sorted({(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods
                   if m in WRITES and r.rule.startswith("/api/v1/")})


def test_every_write_route_of_the_api_is_audited(gw):
    rules = write_rules(gw.app)
    assert len(rules) > 50
    missing = []
    for method, rule in rules:
        key = f"{method} {rule}"
        example = EXAMPLES.get(key, {})
        before = _log(gw).page(limit=1)["items"]
        r = gw.client.open(_url(rule), method=method,
                           headers={**gw.headers["admin"], "If-Match": '"4"'},
                           json=example.get("body", BODIES.get(key.replace("<id:form_id>",
                                                                           "{form_id}"), {})),
                           query_string=example.get("query"))
        entry = _last(gw)
        if (before and entry["id"] == before[0]["id"]) or entry["rule"] != rule \
                or entry["method"] != method or entry["status"] != r.status_code:
            missing.append(key)
    assert not missing, f"not in the audit log: {missing}"


def test_a_representative_change_keeps_before_and_after(gw):
    def answer(service, method, args):
        if method == "get_customer":
            return {"id": 7, "name": "Öztürk", "rep_user_id": 1, "rep_name": "Ayşe",
                    "version": 4}
        return {"id": 7, "name": "Öztürk", "rep_user_id": gw.users["rep"].id,
                "rep_name": gw.users["rep"].name, "version": 5}
    gw.rpc.answer = answer
    r = gw.client.patch("/api/v1/customers/7", json={"rep_user_id": gw.users["rep"].id},
                        headers={**gw.headers["manager"], "If-Match": '"4"'})
    assert r.status_code == 200, r.json
    found = gw.client.get("/api/v1/audit?entity=customers&id=7",
                          headers=gw.headers["admin"]).json["items"][0]
    assert found["before"] == {"rep_user_id": 1, "rep_name": "Ayşe"}
    assert found["after"] == {"rep_user_id": gw.users["rep"].id,
                              "rep_name": gw.users["rep"].name}
    assert (found["actor_id"], found["actor_role"], found["method"], found["status"]) == (
        gw.users["manager"].id, "manager", "PATCH", 200)
    assert found["address"] and found["at"] and found["action"] == "write"


def test_a_role_change_keeps_before_and_after(gw):
    target = gw.app.extensions["servis"].users.create(
        username="audit-role", password="password-xx", role="desk", name="Rol Değişen")
    r = gw.client.patch(f"/api/v1/users/{target.id}", json={"role": "manager"},
                        headers={**gw.headers["admin"], "If-Match": f'"{target.version}"'})
    assert r.status_code == 200, r.json
    found = gw.client.get(f"/api/v1/audit?entity=users&id={target.id}",
                          headers=gw.headers["admin"]).json["items"][0]
    assert found["before"] == {"role": "desk"} and found["after"] == {"role": "manager"}


def test_a_catalogue_entry_keeps_before_and_after(gw):
    def answer(service, method, args):
        if method == "list_device_types":
            return [{"code": "kombi", "name": {"tr": "Kombi", "en": "Boiler"}, "active": True}]
        return {"code": "kombi", "name": {"tr": "Kombi", "en": "Boiler"}, "active": False}
    gw.rpc.answer = answer
    r = gw.client.patch("/api/v1/catalogues/device-types/kombi", json={"active": False},
                        headers=gw.headers["admin"])
    assert r.status_code == 200, r.json
    found = gw.client.get("/api/v1/audit?entity=catalogues/device-types&id=kombi",
                          headers=gw.headers["admin"]).json["items"][0]
    assert found["before"] == {"active": True} and found["after"] == {"active": False}


def test_sign_in_success_and_failure_without_the_password(gw):
    r = gw.client.post("/api/v1/auth/token", json={"username": "user-desk",
                                                  "password": "wrong-password-1"})
    assert r.status_code == 401
    failed = _last(gw)
    assert failed["action"] == "sign_in_failed" and failed["detail"] == {
        "username": "user-desk"} and failed["actor_id"] is None
    r = gw.client.post("/api/v1/auth/token", json={"username": "user-desk",
                                                  "password": "password-desk"})
    assert r.status_code == 200
    ok = _last(gw)
    assert ok["action"] == "sign_in" and ok["actor_id"] == gw.users["desk"].id
    text = str(ok) + str(failed)
    assert "password-desk" not in text and "wrong-password-1" not in text
    assert r.json["access_token"] not in text


def test_an_export_is_recorded(gw):
    gw.rpc.answer = lambda s, m, a: {"items": [], "next_cursor": None} \
        if m != "list_device_types" else []
    r = gw.client.get("/api/v1/devices?format=csv&brand=Daikin", headers=gw.headers["desk"])
    assert r.status_code == 200 and r.mimetype == "text/csv"
    entry = _last(gw)
    assert (entry["action"], entry["rule"], entry["actor_id"]) == (
        "export", "/api/v1/devices", gw.users["desk"].id)
    assert entry["detail"] == {"format": "csv", "brand": "Daikin"}


def test_a_document_download_is_recorded(gw):
    gw.rpc.answer = lambda s, m, a: {"content_b64": "JVBERi0xLjQK", "filename": "x.pdf",
                                     "content_type": "application/pdf"}
    r = gw.client.get("/api/v1/forms/7/documents/8", headers=gw.headers["manager"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    entry = _last(gw)
    assert (entry["action"], entry["entity"], entry["record_id"], entry["actor_id"]) == (
        "export", "forms", "7", gw.users["manager"].id)
    assert entry["detail"] == {"form_id": 7, "document_id": 8}


def test_the_log_pages_filters_and_answers_csv(gw):
    for n in range(3):
        gw.client.post("/api/v1/auth/token", json={"username": f"nobody{n}", "password": "x"})
    first = gw.client.get("/api/v1/audit?entity=auth&limit=2", headers=gw.headers["admin"])
    assert first.status_code == 200 and len(first.json["items"]) == 2
    cursor = first.json["next_cursor"]
    assert cursor
    second = gw.client.get(f"/api/v1/audit?entity=auth&limit=2&cursor={cursor}",
                           headers=gw.headers["admin"]).json
    assert second["items"][0]["id"] < first.json["items"][-1]["id"]
    mine = gw.client.get(f"/api/v1/audit?user={gw.users['desk'].id}",
                         headers=gw.headers["admin"]).json["items"]
    assert mine and all(e["actor_id"] == gw.users["desk"].id for e in mine)
    empty = gw.client.get("/api/v1/audit?from=2001-01-01&to=2001-01-02",
                          headers=gw.headers["admin"]).json
    assert empty["items"] == []
    today = gw.client.get("/api/v1/audit?from=2000-01-01&to=2999-12-31",
                          headers=gw.headers["admin"]).json
    assert today["items"]
    bad = gw.client.get("/api/v1/audit?from=yesterday&cursor=xx",
                        headers={**gw.headers["admin"], "Accept-Language": "en"})
    assert bad.status_code == 422 and "from" in bad.json["error"]["details"]
    bad = gw.client.get("/api/v1/audit?cursor=xx", headers=gw.headers["admin"])
    assert bad.status_code == 422 and "cursor" in bad.json["error"]["details"]
    r = gw.client.get("/api/v1/audit?format=csv&entity=auth", headers=gw.headers["admin"])
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.get_data(as_text=True).startswith("\ufeffKayıt;Zaman")


@pytest.mark.parametrize("role", ["manager", "desk", "technician", "customer"])
def test_only_admins_read_the_log(gw, role):
    assert gw.client.get("/api/v1/audit", headers=gw.headers[role]).status_code == 403


def test_there_is_no_way_to_change_or_delete_an_entry(gw):
    rules = [r for r in gw.app.url_map.iter_rules() if "audit" in r.rule]
    assert [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in rules] == [
        ("/api/v1/audit", ["GET"])]
    entry = _last(gw)
    for method in WRITES:
        for path in ("/api/v1/audit", f"/api/v1/audit/{entry['id']}"):
            r = gw.client.open(path, method=method, headers=gw.headers["admin"], json={})
            assert r.status_code in (404, 405), (method, path)
    assert _log(gw).page(limit=500)["items"][-1]["id"] <= entry["id"]
    assert not hasattr(_log(gw), "delete") and not hasattr(_log(gw), "update")


def test_a_secret_in_an_answer_is_masked():
    from gateway.audit import clean
    assert clean({"name": "a", "tracking_url": "https://x/t/abc", "nested": [
        {"access_token": "t", "new_password": "p"}]}) == {
        "name": "a", "tracking_url": "***", "nested": [
            {"access_token": "***", "new_password": "***"}]}


# -- the console: its sign-in, its posts (the API's routes) and its downloads ------------------
def _console(gw, role):
    client = gw.app.test_client()
    page = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/signin", data={"username": f"user-{role}", "password": "password-" + role,
                                     "csrf_token": csrf})
    assert r.status_code == 303
    return client


def test_the_console_sign_in_post_and_download_are_recorded(gw):
    client = gw.app.test_client()
    page = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/signin", data={"username": "user-admin", "password": "nope-nope-1",
                                        "csrf_token": csrf}).status_code == 401
    failed = _last(gw)
    assert (failed["action"], failed["rule"], failed["detail"]) == (
        "sign_in_failed", "/signin", {"username": "user-admin"})
    client = _console(gw, "admin")
    assert _last(gw)["action"] == "sign_in" and _last(gw)["actor_id"] == gw.users["admin"].id
    gw.rpc.answer = lambda s, m, a: {"items": [], "next_cursor": None} \
        if m == "list_deliveries" else {"id": 5, "status": "pending"}
    log = client.get("/admin/emails?status=failed")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', log.text).group(1)
    r = client.post("/emails/5/resend", data={"back": "emails", "csrf_token": csrf})
    assert r.status_code == 303
    entry = _last(gw)
    assert (entry["rule"], entry["method"], entry["record_id"], entry["actor_id"],
            entry["status"]) == ("/api/v1/emails/<id:delivery_id>/resend", "POST", "5",
                                 gw.users["admin"].id, 200)
    gw.rpc.answer = lambda s, m, a: [] if m == "list_device_types" else {
        "items": [], "next_cursor": None}
    r = client.get("/devices.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    entry = _last(gw)
    assert (entry["action"], entry["rule"], entry["actor_id"]) == (
        "export", "/devices.csv", gw.users["admin"].id)


def test_a_records_console_page_shows_its_trail_to_admins(gw):
    customer = {"id": 7, "name": "Öztürk", "version": 4, "sites": [], "contacts": [],
                "language": "tr", "rep_name": None, "rep_email": None, "email": None,
                "phone": None, "tax_no": None, "address": None, "city": None,
                "district": None, "report_frequency": "none",
                "updated_at": "2026-11-27T10:00:00+00:00", "created_at":
                "2026-11-27T10:00:00+00:00", "rep_user_id": None}
    gw.rpc.answer = lambda s, m, a: customer if m == "get_customer" else {
        "items": [], "next_cursor": None}
    gw.client.patch("/api/v1/customers/7", json={"phone": "0212 555 00 00"},
                    headers={**gw.headers["admin"], "If-Match": '"4"'})
    admin = _console(gw, "admin").get("/customers/7")
    assert admin.status_code == 200, admin.text
    assert "Denetim kaydı" in admin.text and 'id="audit"' in admin.text
    assert "PATCH /api/v1/customers/&lt;id:customer_id&gt;" in admin.text
    manager = _console(gw, "manager").get("/customers/7")
    assert manager.status_code == 200 and "Denetim kaydı" not in manager.text

"""The foundation's path, as a user walks it: HTTP → devices → forms → event → notify → SMTP."""
import time

from services.registry import NAMES
from tests.conftest import ADMIN_PASSWORD


def test_health_reports_every_service(system):
    r = system.http.get(system.url("/api/v1/health"))
    assert r.status_code == 200
    assert {n for n, s in r.json()["services"].items() if s["ok"]} == set(NAMES)  # the registry's
    assert {"forms", "devices", "notify", "knowledge", "contracts", "portal"} <= set(NAMES)


def test_desk_user_opens_a_form_and_the_representative_is_emailed(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "deniz", "password": "masa-şifresi-1", "role": "desk",
        "name": "Deniz Masa", "email": "deniz@servis.local", "language": "tr"})
    assert r.status_code == 201, r.text
    desk = system.token("deniz", "masa-şifresi-1")
    assert system.http.get(system.url("/api/v1/me"), headers=desk).json()["role"] == "desk"

    r = system.http.post(system.url("/api/v1/customers"), headers=desk, json={
        "name": "IŞIK Soğutma Sanayi", "address": "Bağlar, Diyarbakır", "phone": "0412 000 00 00",
        "email": "info@isik.com.tr", "rep_name": "Ayşe Yılmaz", "rep_email": "ayse@servis.local"})
    assert r.status_code == 201, r.text
    customer = r.json()
    found = system.http.get(system.url("/api/v1/customers"), headers=desk,
                            params={"q": "ışık"}).json()["items"]
    assert [c["id"] for c in found] == [customer["id"]]

    r = system.http.post(system.url("/api/v1/forms"), headers=desk, json={
        "customer_id": customer["id"], "complaint": "Kompresör çalışmıyor, ışık yanıp sönüyor",
        "device": {"serial": "KLM-2026-001", "brand": "Arçelik", "model": "Inverter 12",
                   "device_type": "Klima"}})
    assert r.status_code == 201, r.text
    form = r.json()
    assert form["number"].startswith("SF-") and len(form["number"]) == 14
    assert (form["status"], form["version"]) == ("NEW", 1)
    assert form["opened_by"]["name"] == "Deniz Masa"
    (device,) = system.http.get(system.url("/api/v1/devices"), headers=desk,
                                params={"serial": "klm-2026-001"}).json()["items"]
    assert device["id"] == form["device_id"]

    again = system.http.post(system.url("/api/v1/forms"), headers=desk, json={
        "customer_id": customer["id"], "device_id": device["id"], "complaint": "Su akıtıyor"})
    assert again.status_code == 201
    listed = system.http.get(system.url("/api/v1/forms"), headers=desk, params={"limit": 1}).json()
    assert [f["id"] for f in listed["items"]] == [again.json()["id"]] and listed["next_cursor"]
    rest = system.http.get(system.url("/api/v1/forms"), headers=desk,
                           params={"limit": 1, "cursor": listed["next_cursor"]}).json()
    assert [f["id"] for f in rest["items"]] == [form["id"]]
    got = system.http.get(system.url(f"/api/v1/forms/{form['id']}"), headers=desk).json()
    assert {k: got[k] for k in form} == form  # the detail adds assignees, parts, work …

    messages = system.smtp.wait_for(2)
    mine = [m for m in messages if form["number"] in m["Subject"]]
    assert len(mine) == 1
    assert mine[0]["To"] == "Ayşe Yılmaz <ayse@servis.local>"
    body = mine[0].get_body(("plain",)).get_content()
    assert "IŞIK Soğutma Sanayi" in body and "Kompresör çalışmıyor" in body
    assert "Arçelik Inverter 12" in body and "KLM-2026-001" in body

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = system.http.get(system.url(f"/api/v1/forms/{form['id']}/emails"), headers=desk).json()
        if log["items"]:
            break
        time.sleep(0.1)
    assert [(e["recipient"], e["status"]) for e in log["items"]] == [("ayse@servis.local", "sent")]


def test_roles_and_tokens(system):
    assert system.http.get(system.url("/api/v1/forms")).status_code == 401
    bad = system.http.get(system.url("/api/v1/forms"), headers={"Authorization": "Bearer x.y.z"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    r = system.http.post(system.url("/api/v1/auth/token"),
                         json={"username": "admin", "password": "wrong"})
    assert r.status_code == 401
    import jwt
    with open(f"{system.data_dir}/jwt_secret") as f:
        secret = f.read().strip()
    claims = {"sub": "1", "role": "admin", "name": "x", "iat": 1, "exp": int(time.time()) - 5}
    expired = jwt.encode(claims, secret, algorithm="HS256")
    r = system.http.get(system.url("/api/v1/forms"), headers={
        "Authorization": f"Bearer {expired}", "Accept-Language": "en"})  # Turkish by default
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    unsigned = jwt.encode({**claims, "exp": int(time.time()) + 60}, None, algorithm="none")
    r = system.http.get(system.url("/api/v1/forms"), headers={"Authorization": f"Bearer {unsigned}"})
    assert r.status_code == 401
    admin = system.token("admin", ADMIN_PASSWORD)
    system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "tekin", "password": "teknisyen-1", "role": "technician", "name": "Tekin"})
    tech = system.token("tekin", "teknisyen-1")
    r = system.http.post(system.url("/api/v1/forms"), headers=tech,
                         json={"customer_id": 1, "device_id": 1, "complaint": "x"})
    assert r.status_code == 403 and "desk" in r.json()["error"]["details"]["allowed_roles"]
    assert system.http.post(system.url("/api/v1/users"), headers=tech, json={}).status_code == 403
    assert system.http.get(system.url("/api/v1/forms"), headers=tech).status_code == 200


def test_bad_input_gets_clear_errors_and_writes_nothing(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    before = system.http.get(system.url("/api/v1/forms"), headers=admin,
                             params={"limit": 500}).json()["items"]
    r = system.http.post(system.url("/api/v1/forms"), headers=admin,
                         json={"customer_id": "bir", "complaint": ""})
    assert r.status_code == 422
    assert {"customer_id", "complaint"} <= set(r.json()["error"]["details"])
    r = system.http.post(system.url("/api/v1/forms"), data="{not json",
                         headers={**admin, "Content-Type": "application/json"})
    assert r.status_code in (400, 422) and "error" in r.json()
    other = system.http.post(system.url("/api/v1/customers"), headers=admin,
                             json={"name": "Başka Müşteri"}).json()
    r = system.http.post(system.url("/api/v1/forms"), headers=admin, json={
        "customer_id": other["id"], "complaint": "x",
        "device": {"brand": "ARÇELİK", "serial": "klm-2026-001"}})
    assert r.status_code == 409
    assert r.json()["error"]["details"]["owner"]["name"] == "IŞIK Soğutma Sanayi"
    r = system.http.post(system.url("/api/v1/customers"), headers=admin,
                         json={"name": "X", "email": "not-an-email", "language": "de"})
    assert r.status_code == 422 and {"email", "language"} <= set(r.json()["error"]["details"])
    assert system.http.get(system.url("/api/v1/forms/999999"), headers=admin).status_code == 404
    assert system.http.get(system.url("/api/v1/forms"), headers=admin,
                           params={"cursor": "@@"}).status_code == 422
    after = system.http.get(system.url("/api/v1/forms"), headers=admin,
                            params={"limit": 500}).json()["items"]
    assert after == before


def test_what_a_careless_or_hostile_client_sends_gets_a_4xx(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    huge = 99999999999999999999
    for path in (f"/api/v1/forms/{huge}", f"/api/v1/customers/{huge}", f"/api/v1/devices/{huge}"):
        assert system.http.get(system.url(path), headers=admin).status_code == 404
    r = system.http.post(system.url("/api/v1/forms"), headers=admin,
                         json={"customer_id": huge, "device_id": huge, "complaint": "x"})
    assert r.status_code == 422 and {"customer_id", "device_id"} <= set(r.json()["error"]["details"])
    import base64
    import json as _json
    for bad in ([None, None], ["a"], ["a", 1, 2], ["a", huge]):
        cursor = base64.urlsafe_b64encode(_json.dumps(bad).encode()).decode().rstrip("=")
        r = system.http.get(system.url("/api/v1/customers"), headers=admin,
                            params={"cursor": cursor})
        assert r.status_code == 422 and "cursor" in r.json()["error"]["details"], bad
    r = system.http.post(system.url("/api/v1/customers"), data='{"name": "\\ud800 yarım"}',
                         headers={**admin, "Content-Type": "application/json"})
    assert r.status_code in (400, 422) and "error" in r.json()
    r = system.http.post(system.url("/api/v1/customers"), json={"name": "Nul\u0000Karakter"},
                         headers=admin)
    assert r.status_code == 422 and "name" in r.json()["error"]["details"]
    r = system.http.post(system.url("/api/v1/customers"), data="[" * 100000,
                         headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    r = system.http.delete(system.url("/api/v1/forms/1"), headers=admin)
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    # blank optional fields are "not given"; over-long values are 422, not a database error
    r = system.http.post(system.url("/api/v1/customers"), headers=admin, json={
        "name": "Ş" * 200, "tax_no": " ", "phone": "", "email": None})
    assert r.status_code == 201, r.text
    assert r.json()["tax_no"] is None and r.json()["phone"] is None
    long_mail = "a" * 250 + "@example.com"
    r = system.http.post(system.url("/api/v1/customers"), headers=admin,
                         json={"name": "Uzun", "rep_email": long_mail})
    assert r.status_code == 422 and "rep_email" in r.json()["error"]["details"]
    for params in ({"q": " "}, {"q": "\x00"}):
        r = system.http.get(system.url("/api/v1/customers"), headers=admin, params=params)
        assert r.status_code in (200, 422), (params, r.text)
    assert system.http.get(system.url("/api/v1/devices"), headers=admin,
                           params={"serial": " "}).status_code == 200
    assert system.http.get(system.url("/api/v1/emails"), headers=admin,
                           params={"recipient": "x\x00"}).status_code == 422


def test_accounts_rep_from_an_account_and_the_email_log(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "kullanıcı_temsilci", "password": "temsilci-şifre", "role": "rep",
        "name": "Çağrı Temsilci", "email": "cagri@servis.local", "language": "en"})
    assert r.status_code == 201, r.text
    rep = r.json()
    assert system.token("KULLANICI_TEMSİLCİ", "temsilci-şifre")  # Turkish-aware, any case
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "portal1", "password": "portal-şifre", "role": "customer",
        "name": "Portal", "customer_id": 777777})
    assert r.status_code == 422 and "customer_id" in r.json()["error"]["details"]
    r = system.http.post(system.url("/api/v1/customers"), headers=admin,
                         json={"name": "Temsilcisi Hesaplı", "rep_user_id": 424242})
    assert r.status_code == 422 and "rep_user_id" in r.json()["error"]["details"]
    r = system.http.post(system.url("/api/v1/customers"), headers=admin,
                         json={"name": "Temsilcisi Hesaplı", "rep_user_id": rep["id"]})
    assert r.status_code == 201 and r.json()["rep_email"] == "cagri@servis.local"
    form = system.http.post(system.url("/api/v1/forms"), headers=admin, json={
        "customer_id": r.json()["id"], "complaint": "Ekran kararıyor",
        "device": {"brand": "Vestel", "serial": "TV-77"}}).json()
    mine = []
    deadline = time.monotonic() + 20
    while not mine and time.monotonic() < deadline:
        mine = [m for m in system.smtp.messages() if form["number"] in m["Subject"]]
        time.sleep(0.1)
    assert mine and mine[0]["To"] == "Çağrı Temsilci <cagri@servis.local>"
    assert mine[0]["Subject"].startswith("New service form")  # the rep's language
    log = system.http.get(system.url("/api/v1/emails"), headers=admin,
                          params={"form_id": form["id"]}).json()["items"]
    assert [e["recipient"] for e in log] == ["cagri@servis.local"]
    deadline = time.monotonic() + 10
    while log[0]["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
        log = system.http.get(system.url("/api/v1/emails"), headers=admin,
                              params={"form_id": form["id"]}).json()["items"]
    assert log[0]["status"] == "sent" and log[0]["attempts"] == 1
    r = system.http.post(system.url(f"/api/v1/emails/{log[0]['id']}/resend"), headers=admin)
    assert r.status_code == 409  # it was sent; only a failed one is resent
    assert system.http.get(system.url("/api/v1/emails"), headers=admin,
                           params={"status": "nope"}).status_code == 422
    desk = system.token("deniz", "masa-şifresi-1")
    assert system.http.get(system.url("/api/v1/emails"), headers=desk).status_code == 403
    # a portal customer sees none of the staff's records
    customer_id = system.http.get(system.url("/api/v1/customers"), headers=admin).json()[
        "items"][0]["id"]
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "portal_musteri", "password": "portal-şifre-1", "role": "customer",
        "name": "Portal Müşteri", "customer_id": customer_id})
    assert r.status_code == 201, r.text
    portal = system.token("portal_musteri", "portal-şifre-1")
    for path in ("/api/v1/forms", "/api/v1/customers", "/api/v1/devices", "/api/v1/emails",
                 f"/api/v1/forms/{form['id']}", f"/api/v1/customers/{customer_id}",
                 f"/api/v1/forms/{form['id']}/emails", "/api/v1/users"):
        assert system.http.get(system.url(path), headers=portal).status_code == 403, path


def test_openapi_document_and_docs_page(system):
    doc = system.http.get(system.url("/api/v1/openapi.json")).json()
    assert {"/api/v1/forms", "/api/v1/customers", "/api/v1/auth/token", "/api/v1/health"} <= set(
        doc["paths"])
    page = system.http.get(system.url("/api/docs"))  # Swagger UI over the document (offline)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    init = system.http.get(system.url("/static/docs-init.js"))
    assert init.status_code == 200 and "/api/v1/openapi.json" in init.text


def test_a_stopped_service_gives_503_naming_it_never_a_hang(system):
    import os
    import signal
    import subprocess
    import sys

    from services.common.testing import eventually
    from tests.conftest import ROOT
    admin = system.token("admin", ADMIN_PASSWORD)
    before = system.pids()
    time.sleep(1.1)  # the gateway's cached "forms has a consumer" has expired
    os.kill(before["forms"], signal.SIGKILL)
    eventually(lambda: system.state()["forms"]["state"] == "restarting", timeout=5)
    start = time.monotonic()  # the supervisor starts it again 1 s after it noticed
    r = system.http.get(system.url("/api/v1/forms/1"), headers=admin, timeout=30)
    elapsed = time.monotonic() - start
    assert r.status_code == 503, r.text
    assert r.json()["error"]["details"]["service"] == "forms"
    assert elapsed < 1
    health = system.http.get(system.url("/api/v1/health"))
    assert health.status_code == 503
    forms = health.json()["services"]["forms"]
    assert forms["ok"] is False and forms["state"] == "restarting", forms
    assert forms["restarts"] == 1 and forms["last_exit"] == "signal 9 (SIGKILL)", forms
    assert health.json()["services"]["devices"]["ok"] is True
    # the supervisor `make up` left brings it back by itself, and leaves the others as they are
    eventually(lambda: system.http.get(system.url("/api/v1/health")).status_code == 200,
               timeout=20, interval=0.2)
    after = system.pids()
    assert after["forms"] != before["forms"] and after["devices"] == before["devices"]
    up = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, env=system.env,
                        capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Already supervised" in up.stdout and system.pids() == after

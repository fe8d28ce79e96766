"""Issue 21 through the running system (deploy/run.py up, SQLite, a real broker and SMTP
server): a representative change, a role change and a catalogue entry appear in the audit log
with before and after; the KVKK export of a customer with two forms, an e-mail and a survey
holds all of them; the erasure is refused while a form is open, then leaves none of the
person's name, e-mail or phone in any database file (tables, outbox, delivery log, WAL) while
the forms keep their numbers and totals."""
import io
import json
import os
import zipfile

import pytest

from services.common.testing import eventually
from tests.conftest import ADMIN_PASSWORD, running_system

NAME, EMAIL, PHONE = "Zeynep Karagözoğlu", "zeynep.karagozoglu@example.com", "0532 765 43 21"
NEEDLES = (NAME, EMAIL, PHONE)
PEOPLE = (("masa", "desk", "Deniz Masa"), ("mudur", "manager", "Mehmet Müdür"),
          ("tekno", "technician", "Tülay Teknisyen"), ("temsilci", "rep", "Ayşe Temsilci"),
          ("temsilci2", "rep", "Burak Temsilci"), ("kontrol", "final_checker", "Kemal Kontrol"))


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory, "kvkk") as running:
        yield running


def database_files(data_dir):
    return [os.path.join(root, f) for root, _, files in os.walk(data_dir) for f in files
            if f.endswith((".db", ".db-wal", ".db-journal"))]


def files_holding(data_dir, needles):
    found = []
    for path in database_files(data_dir):
        with open(path, "rb") as f:
            data = f.read()
        found += [(os.path.basename(path), n) for n in needles if n.encode() in data]
    return found


def test_audit_export_and_erasure(system):
    http, url = system.http, system.url
    admin = system.token("admin", ADMIN_PASSWORD)
    ids, h = {}, {"admin": admin}
    for username, role, name in PEOPLE:
        r = http.post(url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "parola-1234", "role": role, "name": name,
            "email": f"{username}@servis.local", "language": "tr"})
        assert r.status_code == 201, r.text
        ids[username] = r.json()["id"]
        h[username] = system.token(username, "parola-1234")

    def audit(**query):
        r = http.get(url("/api/v1/audit"), headers=admin, params=query)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    # -- the audit log: a representative, a role and a catalogue entry, before -> after -----
    customer = http.post(url("/api/v1/customers"), headers=h["masa"], json={
        "name": NAME, "email": EMAIL, "phone": PHONE, "rep_user_id": ids["temsilci"]}).json()
    r = http.patch(url(f"/api/v1/customers/{customer['id']}"), headers={
        **h["mudur"], "If-Match": f'"{customer["version"]}"'},
        json={"rep_user_id": ids["temsilci2"]})
    assert r.status_code == 200, r.text
    change = audit(entity="customers", id=customer["id"])[0]
    assert change["before"]["rep_user_id"] == ids["temsilci"]
    assert change["after"]["rep_user_id"] == ids["temsilci2"]
    assert change["actor_id"] == ids["mudur"] and change["address"] == "127.0.0.1"
    r = http.patch(url(f"/api/v1/users/{ids['tekno']}"), headers={**admin, "If-Match": '"1"'},
                   json={"role": "manager"})
    assert r.status_code == 200, r.text
    role = audit(entity="users", id=ids["tekno"])[0]
    assert (role["before"], role["after"]) == ({"role": "technician"}, {"role": "manager"})
    http.patch(url(f"/api/v1/users/{ids['tekno']}"), headers={**admin, "If-Match": '"2"'},
               json={"role": "technician"})
    h["tekno"] = system.token("tekno", "parola-1234")  # the role change ended its token
    r = http.post(url("/api/v1/catalogues/device-types"), headers=admin,
                  json={"code": "kvkk-tip", "name_tr": "Eski ad", "name_en": "Old name"})
    assert r.status_code == 201, r.text
    r = http.patch(url("/api/v1/catalogues/device-types/kvkk-tip"), headers=admin,
                   json={"name_tr": "Yeni ad"})
    assert r.status_code == 200, r.text
    entry = audit(entity="catalogues/device-types", id="kvkk-tip")[0]
    assert entry["method"] == "PATCH" and "Eski ad" in json.dumps(entry["before"],
                                                                   ensure_ascii=False)
    assert "Yeni ad" in json.dumps(entry["after"], ensure_ascii=False)
    failed = system.http.post(url("/api/v1/auth/token"),
                              json={"username": "masa", "password": "yanlis-parola"})
    assert failed.status_code == 401
    assert audit(entity="auth")[0]["action"] == "sign_in_failed"

    # -- two forms: one delivered, surveyed and closed (e-mailed to the customer), one open --
    q = http.post(url("/api/v1/catalogues/survey-questions"), headers=admin, json={
        "text_tr": "Memnun musunuz?", "text_en": "Satisfied?", "weight": 1,
        "scale_min": 1, "scale_max": 5}).json()

    def form_post(fid, path, who, body, etag, expect=200):
        r = http.post(url(f"/api/v1/forms/{fid}{path}"), headers={**h[who], "If-Match": etag},
                      json=body)
        assert r.status_code == expect, (path, r.text)
        return r

    first = http.post(url("/api/v1/forms"), headers=h["masa"], json={
        "customer_id": customer["id"], "complaint": f"Soğutmuyor; {NAME} {PHONE} arayın",
        "device": {"brand": "Daikin", "serial": "KVKK-1"}})
    assert first.status_code == 201, first.text
    fid, etag = first.json()["id"], first.headers["ETag"]
    r = form_post(fid, "/assignments", "mudur", {"user_ids": [ids["tekno"]]}, etag)
    r = form_post(fid, "/transitions", "tekno", {"to": "DIAGNOSIS"}, r.headers["ETag"])
    r = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["tekno"], "If-Match": r.headers[
        "ETag"]}, json={"diagnosis": "Röle yanmış", "work_done": "Röle değişti"})
    assert r.status_code == 200, r.text
    r = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["mudur"], "If-Match": r.headers[
        "ETag"]}, json={"service_fee": "250.00"})
    assert r.status_code == 200, r.text
    r = form_post(fid, "/work-logs", "tekno", {"minutes": 30}, r.headers["ETag"], expect=201)
    for to in ("IN_REPAIR", "REPAIRED"):
        r = form_post(fid, "/transitions", "tekno", {"to": to}, r.headers["ETag"])
    r = form_post(fid, "/transitions", "masa", {"to": "DELIVERED"}, r.headers["ETag"])
    r = form_post(fid, "/survey", "temsilci2", {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": 4}]}, r.headers["ETag"])
    r = form_post(fid, "/transitions", "temsilci2", {"to": "FINAL_CHECK"}, r.headers["ETag"])
    r = form_post(fid, "/final-check", "kontrol", {"decision": "close"}, r.headers["ETag"])
    closed = r.json()
    assert closed["status"] == "CLOSED"
    second = http.post(url("/api/v1/forms"), headers=h["masa"], json={
        "customer_id": customer["id"], "complaint": "Ses yapıyor",
        "device": {"brand": "Daikin", "serial": "KVKK-2"}})
    assert second.status_code == 201, second.text
    assert eventually(lambda: [m for m in system.smtp.messages() if EMAIL in str(m["To"])],
                      timeout=30)

    # -- the export ---------------------------------------------------------------------------
    def export():
        r = http.get(url(f"/api/v1/customers/{customer['id']}/personal-data"), headers=admin)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        return z, {n[:-5]: json.loads(z.read(n)) for n in z.namelist() if n.endswith(".json")}
    z, held = eventually(lambda: (lambda got: got if got[1]["notify"]["deliveries"] and any(
        d["recipient"] == EMAIL for d in got[1]["notify"]["deliveries"]) else None)(export()),
        timeout=30)
    assert {f["number"] for f in held["forms"]["forms"]} == {closed["number"],
                                                            second.json()["number"]}
    assert [(a["form_id"], a["value"]) for a in held["forms"]["survey_answers"]] == [(fid, 4)]
    assert held["devices"]["customer"]["phone"] == PHONE
    assert any(n.startswith("documents/forms/") for n in z.namelist())
    assert audit(entity="customers", id=customer["id"])[0]["action"] == "export"

    # -- the erasure: refused while a form is open, then done -------------------------------
    r = http.post(url(f"/api/v1/customers/{customer['id']}/erasure"), headers=admin)
    assert r.status_code == 409 and r.json()["error"]["details"]["forms"] == [
        second.json()["number"]]
    form_post(second.json()["id"], "/transitions", "mudur", {"to": "CANCELLED", "note": "iptal"},
              second.headers["ETag"])
    assert files_holding(system.data_dir, NEEDLES)  # the scan sees them before
    r = http.post(url(f"/api/v1/customers/{customer['id']}/erasure"), headers=admin)
    assert r.status_code == 202, r.text
    assert r.json()["forms"] == 2
    assert eventually(lambda: files_holding(system.data_dir, NEEDLES) == [], timeout=60), \
        files_holding(system.data_dir, NEEDLES)
    kept = http.get(url(f"/api/v1/forms/{fid}"), headers=admin).json()
    assert (kept["number"], kept["totals"], kept["status"]) == (
        closed["number"], closed["totals"], "CLOSED")
    assert kept["customer_name"] == "[KVKK: silindi]"
    erased = audit(entity="customers", id=customer["id"])
    assert erased[0]["rule"].endswith("/erasure") and erased[0]["status"] == 202
    assert NAME not in json.dumps(erased, ensure_ascii=False)

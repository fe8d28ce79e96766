"""A service form's whole life through the gateway of a running system, as the people of a
service department do it: desk, manager, technician, representative, final-check officer."""
import csv
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.common.testing import eventually
from tests.conftest import ADMIN_PASSWORD

PEOPLE = (("masa", "desk", "Deniz Masa"), ("mudur", "manager", "Mehmet Müdür"),
          ("tekno", "technician", "Tülay Teknisyen"), ("usta", "technician", "İsmail Usta"),
          ("temsilci", "rep", "Ayşe Temsilci"), ("kontrol", "final_checker", "Kemal Kontrol"))


@pytest.fixture(scope="module")
def team(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    people = {"admin": {"headers": admin}}
    for username, role, name in PEOPLE:
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "parola-1234", "role": role, "name": name,
            "email": f"{username}@servis.local", "language": "tr"})
        assert r.status_code == 201, r.text
        people[username] = {"id": r.json()["id"], "headers": system.token(username, "parola-1234")}
    return people


def test_a_form_from_intake_to_close_through_the_gateway(system, team):
    http, url = system.http, system.url
    h = {name: p["headers"] for name, p in team.items()}
    admin = h["admin"]
    q = http.post(url("/api/v1/catalogues/survey-questions"), headers=admin, json={
        "text_tr": "Servisten memnun kaldınız mı?", "text_en": "Were you satisfied?",
        "weight": 1, "scale_min": 1, "scale_max": 5})
    assert q.status_code == 201, q.text
    sub = http.post(url("/api/v1/catalogues/status-codes"), headers=admin, json={
        "code": "musteri-haber", "status": "AWAITING_PARTS",
        "name_tr": "Müşteriden haber bekleniyor", "name_en": "Waiting for the customer"})
    assert sub.status_code == 201, sub.text
    customer = http.post(url("/api/v1/customers"), headers=h["masa"], json={
        "name": "Öztürk Tekstil", "email": "info@ozturk.com.tr",
        "rep_user_id": team["temsilci"]["id"]}).json()
    r = http.post(url("/api/v1/forms"), headers=h["masa"], json={
        "customer_id": customer["id"], "complaint": "Kompresör çalışmıyor",
        "device": {"brand": "Daikin", "serial": "FRM-1", "device_type": "Klima"}})
    assert r.status_code == 201, r.text
    form = r.json()
    fid, etag = form["id"], r.headers["ETag"]
    assert form["coverage"]["kind"] == "none" and etag == '"1"'

    def post(path, who, json=None, if_match=None, expect=200):
        headers = {**h[who], **({"If-Match": if_match} if if_match else {})}
        resp = http.post(url(f"/api/v1/forms/{fid}{path}"), headers=headers, json=json or {})
        assert resp.status_code == expect, (path, who, resp.status_code, resp.text)
        return resp

    missing = post("/transitions", "mudur", {"to": "CANCELLED", "note": "x"}, expect=428)
    assert missing.json()["error"]["code"] == "precondition_required"
    r = post("/assignments", "mudur", {"user_ids": [team["tekno"]["id"], team["usta"]["id"]]},
             if_match=etag)
    assert r.json()["status"] == "ASSIGNED"
    post("/assignments", "tekno", {"user_ids": [team["tekno"]["id"]]}, if_match=r.headers["ETag"],
         expect=403)
    stale = post("/transitions", "tekno", {"to": "DIAGNOSIS"}, if_match=etag, expect=409)
    assert stale.json()["error"]["details"]["version"] == r.json()["version"]
    wrong = post("/transitions", "tekno", {"to": "DELIVERED"}, if_match=r.headers["ETag"],
                 expect=409)
    assert wrong.json()["error"]["details"]["allowed"] == ["DIAGNOSIS", "CANCELLED"]
    r = post("/transitions", "tekno", {"to": "DIAGNOSIS"}, if_match=r.headers["ETag"])
    fee = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["tekno"], "If-Match": r.headers[
        "ETag"]}, json={"service_fee": "150.00"})
    assert fee.status_code == 403  # prices are the manager's
    r = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["tekno"], "If-Match": r.headers[
        "ETag"]}, json={"diagnosis": "Röle yanmış", "fault_type": "elektrik"})
    assert r.status_code == 200, r.text
    both = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["mudur"], "If-Match": '"1"'},
                      json={"service_fee": "150.00", "version": r.json()["version"]})
    assert both.status_code == 422  # If-Match and the body disagree
    r = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["mudur"], "If-Match": r.headers[
        "ETag"]}, json={"service_fee": "150.00"})
    assert r.status_code == 200, r.text
    r = post("/parts", "tekno", {"code": "R-1", "name": "Röle", "quantity": 2,
                                 "unit_price": "80.00"}, if_match=r.headers["ETag"], expect=201)
    r = post("/work-logs", "tekno", {"minutes": 45}, if_match=r.headers["ETag"], expect=201)
    r = post("/work-logs", "usta", {"minutes": 15}, if_match=r.headers["ETag"], expect=201)
    r = post("/transitions", "tekno", {"to": "AWAITING_PARTS", "sub_status": "musteri-haber"},
             if_match=r.headers["ETag"])
    assert r.json()["sub_status"] == "musteri-haber"
    for to in ("IN_REPAIR", "REPAIRED"):
        r = post("/transitions", "tekno", {"to": to}, if_match=r.headers["ETag"])
    r = http.patch(url(f"/api/v1/forms/{fid}"), headers={**h["tekno"], "If-Match": r.headers[
        "ETag"]}, json={"work_done": "Röle değişti, gaz dolduruldu"})
    r = post("/transitions", "masa", {"to": "DELIVERED"}, if_match=r.headers["ETag"])
    delivered = r.json()
    # 60 min x 750/h (default rate) = 750.00; parts 160.00; fee 150.00 -> 1060.00 + 20% VAT
    assert delivered["totals"]["total"] == "1272.00"
    assert delivered["repair_warranty"]["end"]
    card = eventually(lambda: (lambda d: d if d["repair_warranty_end"] else None)(
        http.get(url(f"/api/v1/devices/{delivered['device_id']}"), headers=h["masa"]).json()))
    assert card["repair_warranty_end"] == delivered["repair_warranty"]["end"]

    calls = http.get(url("/api/v1/satisfaction-calls"), headers=h["temsilci"]).json()
    assert [c["id"] for c in calls["items"]] == [fid] and calls["questions"]
    r = post("/survey", "temsilci", {"outcome": "done", "answers": [
        {"question_id": q.json()["id"], "value": 5}]}, if_match=r.headers["ETag"])
    assert r.json()["survey"]["score"] == 100 and r.json()["status"] == "DELIVERED"
    r = post("/transitions", "temsilci", {"to": "FINAL_CHECK"}, if_match=r.headers["ETag"])
    check = http.get(url(f"/api/v1/forms/{fid}/final-check"), headers=h["kontrol"]).json()
    assert [i["item"] for i in check["checklist"] if not i["ok"]] == []
    post("/final-check", "mudur", {"decision": "close"}, if_match=r.headers["ETag"],
         expect=403)
    r = post("/final-check", "kontrol", {"decision": "close"}, if_match=r.headers["ETag"])
    assert r.json()["status"] == "CLOSED"
    post("/parts", "mudur", {"name": "x", "quantity": 1, "unit_price": "1.00"},
         if_match=r.headers["ETag"], expect=409)  # read-only once closed

    history = http.get(url(f"/api/v1/forms/{fid}/history"), headers=h["masa"]).json()["items"]
    assert history[0]["to"] == "CLOSED" and history[0]["by"]["name"] == "Kemal Kontrol"
    emails = eventually(lambda: [m for m in system.smtp.messages()
                                 if "İsmail Usta" in m["To"] or "usta@" in m["To"]])
    assert emails  # the assignee was e-mailed (form_assigned through notify)

    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/Istanbul")).date()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    rev = http.get(url("/api/v1/reports/revenue"), headers=h["mudur"],
                   params={"group_by": "technician", **span})
    assert rev.status_code == 200, rev.text
    split = {i["name"]: i["total"] for i in rev.json()["items"]}
    assert split == {"Tülay Teknisyen": "954.00", "İsmail Usta": "318.00"}  # 45:15 of 1272.00
    svg = http.get(url("/api/v1/reports/revenue"), headers=h["mudur"],
                   params={"group_by": "day", "format": "svg", **span})
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "Servis gelirleri" in svg.text
    table = http.get(url("/api/v1/reports/revenue"), headers=h["mudur"],
                     params={"group_by": "customer", "format": "csv", **span})
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "Öztürk Tekstil" and rows[1][-1] == "1272,00"
    assert http.get(url("/api/v1/reports/revenue"), headers=h["tekno"],
                    params={"group_by": "day", **span}).status_code == 403


def test_lists_filter_sort_and_export(system, team):
    http, url = system.http, system.url
    desk = team["masa"]["headers"]
    for name in ("Zeytin Ltd", "Çelik Makine", "Demir A.Ş."):
        c = http.post(url("/api/v1/customers"), headers=desk, json={"name": name}).json()
        r = http.post(url("/api/v1/forms"), headers=desk, json={
            "customer_id": c["id"], "complaint": f"{name}: IŞIK yanıp sönüyor",
            "device": {"brand": "Arçelik", "serial": f"L-{c['id']}"}})
        assert r.status_code == 201
    listed = http.get(url("/api/v1/forms"), headers=desk,
                      params={"sort": "customer", "q": "ışık", "limit": 2}).json()
    more = http.get(url("/api/v1/forms"), headers=desk, params={
        "sort": "customer", "q": "ışık", "limit": 2, "cursor": listed["next_cursor"]}).json()
    assert [f["customer_name"] for f in listed["items"] + more["items"]] == [
        "Çelik Makine", "Demir A.Ş.", "Zeytin Ltd"]
    out = http.get(url("/api/v1/forms"), headers=desk, params={"state": "open", "format": "csv"})
    assert out.status_code == 200 and out.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(out.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["Kayıt no", "Tür", "Statü"]
    assert lines[1][1:3] == ["Onarım", "Kayıt açıldı"] and lines[1][9] == "Kapsam dışı"
    bad = http.get(url("/api/v1/forms"), headers=desk, params={"sort": "colour"})
    assert bad.status_code == 422 and "sort" in bad.json()["error"]["details"]
    statuses = http.get(url("/api/v1/catalogues/status-codes"), headers=desk).json()
    assert {"code": "CLOSED", "name": {"tr": "Kapandı", "en": "Closed"}} in statuses["statuses"]

"""A maintenance contract's life through the gateway of a running system (deploy/run.py up:
every service, RabbitMQ, SQLite, a real SMTP server), as the issue lists it: a proposal of a
customer's card and a new device → its PDF parsed back (Turkish text exact, totals, stamp
duty) → e-mailed with the PDF attached → accepted into a draft → activated by the due-date
scanner on its start date (contracts' and forms' time injected by CLOCK_OFFSET_FILE: a day
behind, then today) → the card's coverage says contract with its terms → a repair form on it
pays what the terms say and shows its service-level due times → the renewal reminder e-mailed
to the contracts officers → renew → cancel → the cover ends on the cancel date; a replayed
`contract_activated` changes nothing."""
import io
import json
import os
import sqlite3
from datetime import date, timedelta

import pytest
import pypdf
from nameko.standalone.events import event_dispatcher

from services.common.testing import eventually
from services.contracts.domain import local_date
from tests.conftest import ADMIN_PASSWORD, running_system

PASSWORD = "parola-1234"
PEOPLE = (("sozlesme", "contracts", "Sevgi Sözleşme"), ("masa", "desk", "Deniz Masa"),
          ("mudur", "manager", "Mehmet Müdür"), ("tekno", "technician", "Tülay Teknisyen"))
TERMS = {"pays": {"labour": True, "parts": True, "fee": False},
         "service_levels": {"response_hours": 4, "repair_hours": 16}}


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text(str(-86400))  # contracts' (and forms') today is yesterday
    return path


@pytest.fixture(scope="module")
def system(tmp_path_factory, clock_file):
    # the reminder due at once (a year's contract ends within 400 days), the scanner quick
    with running_system(tmp_path_factory, "contracts", CLOCK_OFFSET_FILE=str(clock_file),
                        CONTRACT_SCAN_SECONDS="0.5", RENEWAL_NOTICE_DAYS="400",
                        CONTRACTS_EMAILS="Sözleşmeler <sozlesmeler@servis.local>") as running:
        yield running


@pytest.fixture(scope="module")
def call(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    headers = {}
    for username, role, name in PEOPLE:
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": PASSWORD, "role": role, "name": name,
            "language": "tr", "email": f"{username}@servis.local"})
        assert r.status_code == 201, r.text
        headers[username] = {**system.token(username, PASSWORD), "id": r.json()["id"]}

    def call(who, method, path, json=None, version=None, status=None, raw=False):
        h = {k: v for k, v in headers[who].items() if k != "id"}
        if version is not None:
            h["If-Match"] = f'"{version}"'
        r = system.http.request(method, system.url("/api/v1" + path), headers=h, json=json)
        if status is not None:
            assert r.status_code == status, (method, path, r.status_code, r.text)
        else:
            assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r if raw else r.json()
    call.ids = {k: v["id"] for k, v in headers.items()}
    return call


def pdf_text(data):
    return " ".join(" ".join(p.extract_text().split())
                    for p in pypdf.PdfReader(io.BytesIO(data)).pages).replace("\xa0", " ")


def test_a_contract_from_proposal_to_cancel_through_the_gateway(system, call, clock_file):
    customer = call("sozlesme", "POST", "/customers", {
        "name": "IŞIK Soğutma Gıda", "email": "satin@isik.example.com"})
    other = call("sozlesme", "POST", "/customers", {"name": "Çelik Makine"})
    card = call("sozlesme", "POST", "/devices", {"customer_id": customer["id"],
                                                 "brand": "Daikin", "serial": "E2E-SZ-1"})
    foreign = call("sozlesme", "POST", "/devices", {"customer_id": other["id"],
                                                    "brand": "Daikin", "serial": "E2E-SZ-9"})
    start = local_date()  # the real today: contracts' clock is a day behind
    data = {"customer_id": customer["id"], "start": start.isoformat(), "months": 12,
            "devices": [{"device_id": card["id"]}, {"brand": "Bosch", "serial": "E2E-B-1"}],
            "unit_price": "1200.00", "discount_percent": "10", **TERMS}

    # bad input: a 4xx naming the field (or the other customer's card), nothing written
    bad = call("sozlesme", "POST", "/proposals", {**data, "unit_price": "10.001"}, status=422)
    assert "unit_price" in bad["error"]["details"]
    bad = call("sozlesme", "POST", "/proposals", {**data, "currency": "USD"}, status=422)
    assert "rate" in bad["error"]["details"]
    bad = call("sozlesme", "POST", "/proposals", {**data, "devices": [
        {"device_id": foreign["id"]}]}, status=409)
    assert "Çelik" in bad["error"]["message"] or str(other["id"]) in bad["error"]["message"]
    assert call("sozlesme", "GET", "/proposals")["items"] == []

    p = call("sozlesme", "POST", "/proposals", data, status=201)
    # 2 devices x 1200, 10 % off: 2160 net, VAT 432, total 2592; stamp duty 0.948 % of net
    assert (p["subtotal"], p["net"], p["vat"], p["total"], p["stamp_duty"]) == (
        "2400.00", "2160.00", "432.00", "2592.00", "20.48")
    docs = eventually(lambda: [d for d in call("sozlesme", "GET",
                                               f"/proposals/{p['id']}/documents")["items"]
                               if d["status"] == "issued"], timeout=60)
    r = call("sozlesme", "GET", f"/proposals/{p['id']}/documents/{docs[0]['id']}", raw=True)
    assert r.headers["Content-Type"] == "application/pdf"
    text = pdf_text(r.content)
    for expected in ("Bakım Sözleşmesi Teklifi", p["number"], "IŞIK Soğutma Gıda",
                     "E2E-SZ-1", "E2E-B-1", "Ara toplam 2.400,00 ₺", "İndirim 240,00 ₺",
                     "KDV (%20) 432,00 ₺", "Genel toplam 2.592,00 ₺",
                     "Damga vergisi (%0,948) 20,48 ₺", "Müdahale süresi 4 iş saati"):
        assert expected in text, (expected, text)

    call("sozlesme", "POST", f"/proposals/{p['id']}/send", {}, status=201)
    mail = eventually(lambda: [m for m in system.smtp.messages()
                               if "satin@isik.example.com" in str(m["To"])], timeout=60)[0]
    attached = [a for a in mail.iter_attachments()
                if a.get_content_type() == "application/pdf"]
    assert attached and pdf_text(attached[0].get_content()).count(p["number"]) >= 1

    p = call("sozlesme", "POST", f"/proposals/{p['id']}/decision",
             {"decision": "accepted", "note": "İmzalı"}, version=p["version"])
    contract = call("sozlesme", "GET", f"/contracts/{p['contract_id']}")
    assert contract["status"] == "draft"
    new_card = call("sozlesme", "GET", "/devices?serial=E2E-B-1")["items"][0]
    assert new_card["customer_id"] == customer["id"]
    again = call("sozlesme", "POST", f"/proposals/{p['id']}/decision",
                 {"decision": "accepted"}, version=p["version"], status=409)
    assert again["error"]["code"]

    clock_file.write_text("0")  # the start date has come: the scanner activates it
    eventually(lambda: call("sozlesme", "GET", f"/contracts/{contract['id']}")["status"]
               == "active", timeout=60)
    cover = eventually(lambda: (c := call("masa", "GET", f"/devices/{card['id']}/coverage"))
                       ["coverage"]["kind"] == "contract" and c, timeout=60)
    assert cover["coverage"]["source_id"] == contract["id"]
    assert cover["coverage"]["terms"] == TERMS
    new_cover = eventually(lambda: (c := call("masa", "GET",
                                              f"/devices/{new_card['id']}/coverage"))
                           ["coverage"]["kind"] == "contract" and c, timeout=60)
    assert new_cover["coverage"]["source_id"] == contract["id"]

    # the renewal reminder (RENEWAL_NOTICE_DAYS=400: due at once) to the contracts officers
    eventually(lambda: [m for m in system.smtp.messages()
                        if "sozlesmeler@servis.local" in str(m["To"])], timeout=60)
    assert call("sozlesme", "GET", f"/contracts/{contract['id']}")["renewal_notified"]
    month = contract["end"][:7]
    listed = call("masa", "GET", f"/reports/contracts/renewals?end_from={month}")["items"]
    assert contract["number"] in [c["number"] for c in listed]

    # a replayed contract_activated changes nothing: the very event (its event_id) again,
    # as the relay published it (contracts' outbox keeps the sent rows)
    history = call("sozlesme", "GET", f"/contracts/{contract['id']}/history")["items"]
    with sqlite3.connect(os.path.join(system.data_dir, "contracts.db")) as db:
        (body,) = db.execute("SELECT body FROM outbox WHERE event_type = "
                             "'contract_activated'").fetchone()
    event = json.loads(body)
    assert event["contract"]["id"] == contract["id"]
    assert sorted(event["devices"]) == sorted([card["id"], new_card["id"]])
    assert event["contract"]["pays"] == TERMS["pays"]
    dispatch = event_dispatcher({"AMQP_URI": system.env["AMQP_URI"]})
    dispatch("contracts", "contract_activated", event)
    dispatch("contracts", "contract_activated", event)

    # a repair form on the card: what the contract pays, its service-level due times
    form = call("masa", "POST", "/forms", {"customer_id": customer["id"],
                                           "device_id": card["id"],
                                           "complaint": "Soğutmuyor"}, status=201)
    assert form["coverage"]["kind"] == "contract"
    f = call("mudur", "POST", f"/forms/{form['id']}/assignments",
             {"user_ids": [call.ids["tekno"]]}, version=form["version"])
    f = call("tekno", "POST", f"/forms/{f['id']}/transitions", {"to": "DIAGNOSIS"},
             version=f["version"])
    f = call("mudur", "PATCH", f"/forms/{f['id']}", {"service_fee": "500.00"},
             version=f["version"])
    f = call("tekno", "POST", f"/forms/{f['id']}/parts", {
        "name": "Kompresör", "quantity": 1, "unit_price": "1000.00"}, version=f["version"],
        status=201)
    detail = call("mudur", "GET", f"/forms/{form['id']}")
    assert detail["coverage_pays"]["parts"] is True and detail["coverage_pays"]["fee"] is False
    assert detail["totals"]["covered"] == "1000.00" and detail["totals"]["subtotal"] == "500.00"
    levels = detail["service_levels"]
    assert levels["response"]["hours"] == 4 and levels["response"]["state"] == "met"
    assert levels["repair"]["hours"] == 16 and levels["repair"]["due_at"]

    # renew: the next period's proposal, 25 % dearer, in one call
    contract = call("sozlesme", "GET", f"/contracts/{contract['id']}")
    renewal = call("sozlesme", "POST", f"/contracts/{contract['id']}/renew",
                   {"increase_percent": "25"}, version=contract["version"], status=201)
    assert renewal["unit_price"] == "1500.00" and renewal["renews_contract_id"] == contract["id"]
    assert renewal["start"] == (date.fromisoformat(contract["end"])
                                + timedelta(days=1)).isoformat()

    # cancel: the cover ends on the cancel date
    contract = call("sozlesme", "GET", f"/contracts/{contract['id']}")
    end = start + timedelta(days=30)
    done = call("sozlesme", "POST", f"/contracts/{contract['id']}/cancel",
                {"reason": "Müşteri talebi", "end": end.isoformat()},
                version=contract["version"])
    assert done["status"] == "cancelled" and done["coverage_end"] == end.isoformat()
    after = (end + timedelta(days=1)).isoformat()
    eventually(lambda: call("masa", "GET", f"/devices/{card['id']}/coverage?on={after}")
               ["coverage"]["kind"] == "none", timeout=60)
    cover = call("masa", "GET", f"/devices/{card['id']}/coverage?on={end.isoformat()}")
    assert cover["coverage"]["kind"] == "contract"
    assert len(cover["periods"]) == 1  # the replays added no second period
    assert call("sozlesme", "GET", f"/contracts/{contract['id']}/history")["items"][
        :len(history)] == history  # ... and no move
    refused = call("sozlesme", "POST", f"/contracts/{contract['id']}/renew",
                   {"increase_percent": "5"}, version=done["version"], status=409)
    assert refused["error"]["code"]

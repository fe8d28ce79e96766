"""Periodic maintenance through the gateway of the running system, time injected (every
service's clock moved by CLOCK_OFFSET_FILE; the contracts' scanner looking every 0.5 s): a plan
every three months on a contract's device → the reminder e-mailed to the team and the customer
seven days ahead → on the day one maintenance form (forms) per due visit → delivered → the
visit done; a cancelled form → exactly one new form on the scanner's next pass; a reschedule
keeps both dates; overdue shows once the window passes, in the list and the summary (JSON and
CSV)."""
import csv
import io
import time
from datetime import timedelta

import pytest

from services.common.testing import eventually
from services.contracts.domain import local_date
from tests.conftest import ADMIN_PASSWORD, running_system
from tests.e2e.test_e2e_documents import mail_to

DAY = 86400
PEOPLE = (("sozlesme", "contracts", "Sevgi Sözleşme"), ("mudur", "manager", "Mehmet Müdür"),
          ("masa", "desk", "Deniz Masa"), ("tekno", "technician", "Tülay Teknisyen"),
          ("usta", "technician", "İsmail Usta"))


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def system(tmp_path_factory, clock):
    with running_system(tmp_path_factory, "maintenance", CLOCK_OFFSET_FILE=str(clock),
                        CONTRACT_SCAN_SECONDS="0.5") as running:
        yield running


@pytest.fixture(scope="module")
def people(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    out = {"admin": {"headers": admin}}
    for username, role, name in PEOPLE:
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "parola-1234", "role": role, "name": name,
            "email": f"{username}@servis.local", "language": "tr"})
        assert r.status_code == 201, r.text
        out[username] = {"id": r.json()["id"],
                         "headers": system.token(username, "parola-1234")}
    return out


def test_a_plan_from_reminder_to_done_cancel_reschedule_and_overdue(system, people, clock):
    http, url = system.http, system.url
    h = {name: p["headers"] for name, p in people.items()}

    def call(method, path, who, expect=200, **kw):
        r = http.request(method, url(path), headers={**h[who], **kw.pop("headers", {})}, **kw)
        assert r.status_code == expect, (path, r.status_code, r.text)
        return r

    customer = call("POST", "/api/v1/customers", "masa", 201, json={
        "name": "Işık Ofis Makineleri", "email": "bakim@isikofis.example.com"}).json()
    device = call("POST", "/api/v1/devices", "masa", 201, json={
        "customer_id": customer["id"], "brand": "Canon", "model": "iR 2625",
        "serial": "CN-2625-1"}).json()
    today = local_date()
    p = call("POST", "/api/v1/proposals", "sozlesme", 201, json={
        "customer_id": customer["id"], "devices": [{"device_id": device["id"]}],
        "start": today.isoformat(), "months": 12, "unit_price": "12000.00"}).json()
    p = call("POST", f"/api/v1/proposals/{p['id']}/decision", "sozlesme",
             json={"decision": "accepted"}, headers={"If-Match": '"1"'}).json()
    contract_id = p["contract_id"]
    eventually(lambda: call("GET", f"/api/v1/contracts/{contract_id}", "masa").json()[
        "status"] == "active", timeout=30)

    # bad plans: a rule firing hourly, a desk user in the team — 422s naming the field
    first_on = today + timedelta(days=10)
    plan = {"contract_id": contract_id, "device_id": device["id"],
            "rrule": "FREQ=MONTHLY;INTERVAL=3", "first_on": first_on.isoformat(),
            "window_days": 5, "avoid_holidays": False,
            "team": [people["tekno"]["id"], people["usta"]["id"]]}
    bad = call("POST", "/api/v1/maintenance-plans", "sozlesme", 422,
               json={**plan, "rrule": "FREQ=HOURLY"}).json()
    assert list(bad["error"]["details"]) == ["rrule"]
    bad = call("POST", "/api/v1/maintenance-plans", "sozlesme", 422,
               json={**plan, "team": [people["masa"]["id"]]}).json()
    assert list(bad["error"]["details"]) == ["team"]
    call("POST", "/api/v1/maintenance-plans", "masa", 403, json=plan)
    created = call("POST", "/api/v1/maintenance-plans", "sozlesme", 201, json=plan)
    plan = created.json()
    assert created.headers["ETag"] == '"1"' and plan["counts"]["total"] == 4
    visits = call("GET", f"/api/v1/maintenance-visits?plan_id={plan['id']}", "tekno").json()[
        "items"]
    first, second = visits[0], visits[1]
    assert first["scheduled_on"] == first_on.isoformat()
    assert first["remind_on"] == (first_on - timedelta(days=7)).isoformat()

    # three days on: the reminder, seven days ahead, to the team and the customer
    clock.write_text(str(3 * DAY))
    mail_to(system, "tekno@servis.local", "Periyodik bakım zamanı")
    mail_to(system, "usta@servis.local", "Periyodik bakım zamanı")
    mail_to(system, "bakim@isikofis.example.com", "Periyodik bakım zamanı")
    assert call("GET", "/api/v1/forms?kind=maintenance", "mudur").json()["items"] == []

    # the visit's day: one maintenance form, the team assigned
    clock.write_text(str(10 * DAY))

    def form_of(attempt):
        v = call("GET", f"/api/v1/maintenance-visits/{first['id']}", "mudur").json()
        assert v["status"] == "due" and v["attempt"] == attempt and v["form"], v
        return v["form"]
    form = eventually(lambda: form_of(1), timeout=30)
    forms = call("GET", "/api/v1/forms?kind=maintenance", "mudur").json()["items"]
    assert [f["id"] for f in forms] == [form["id"]]
    detail = call("GET", f"/api/v1/forms/{form['id']}", "mudur").json()
    assert detail["kind"] == "maintenance" and detail["coverage"]["kind"] == "contract"
    assert sorted(a["name"] for a in detail["assignees"]) == ["Tülay Teknisyen", "İsmail Usta"]

    # cancelled: the attempt rises, the next pass opens exactly one new form
    call("POST", f"/api/v1/forms/{form['id']}/transitions", "mudur",
         json={"to": "CANCELLED", "note": "Müşteri yerinde değildi"},
         headers={"If-Match": f'"{detail["version"]}"'})
    form2 = eventually(lambda: form_of(2), timeout=30)
    assert form2["id"] != form["id"]
    eventually(lambda: len(call("GET", "/api/v1/forms?kind=maintenance", "mudur").json()[
        "items"]) == 2)
    time.sleep(2)  # several more passes of the scanner: nothing more
    assert len(call("GET", "/api/v1/forms?kind=maintenance", "mudur").json()["items"]) == 2

    # delivered: the visit is done
    f = call("GET", f"/api/v1/forms/{form2['id']}", "mudur").json()
    for to, who in (("ASSIGNED", "mudur"), ("DIAGNOSIS", "tekno"), ("IN_REPAIR", "tekno"),
                    ("REPAIRED", "tekno"), ("DELIVERED", "masa")):
        f = call("POST", f"/api/v1/forms/{form2['id']}/transitions", who, json={"to": to},
                 headers={"If-Match": f'"{f["version"]}"'}).json()
    done = eventually(lambda: call("GET", f"/api/v1/maintenance-visits/{first['id']}",
                                   "mudur").json()["status"] == "done", timeout=30)
    assert done
    counts = call("GET", f"/api/v1/maintenance-plans/{plan['id']}", "masa").json()["counts"]
    assert (counts["done"], counts["planned"]) == (1, 3)

    # reschedule the next visit with a reason: both dates kept; a stale version is a 409
    target = first_on + timedelta(days=100)
    moved = call("POST", f"/api/v1/maintenance-visits/{second['id']}/reschedule", "sozlesme",
                 json={"date": target.isoformat(), "reason": "Müşteri talebi"},
                 headers={"If-Match": f'"{second["version"]}"'})
    v = moved.json()
    assert (v["planned_on"], v["scheduled_on"], v["rescheduled"]) == (
        second["planned_on"], target.isoformat(), True)
    assert moved.headers["ETag"] == f'"{second["version"] + 1}"'
    call("POST", f"/api/v1/maintenance-visits/{second['id']}/reschedule", "sozlesme", 409,
         json={"date": (target + timedelta(days=1)).isoformat(), "reason": "x"},
         headers={"If-Match": f'"{second["version"]}"'})

    # past the rescheduled visit's window: overdue in the list and the summary
    clock.write_text(str((target - today).days * DAY + 6 * DAY))
    overdue = eventually(lambda: call("GET", "/api/v1/maintenance-visits?state=overdue",
                                      "tekno").json()["items"], timeout=30)
    assert [o["id"] for o in overdue] == [second["id"]] and overdue[0]["overdue"] is True
    summary = call("GET", "/api/v1/reports/maintenance/summary?state=overdue"
                   "&group_by=technician", "mudur").json()
    assert sorted((i["label"], i["visits"]) for i in summary["items"]) == [
        ("Tülay Teknisyen", 1), ("İsmail Usta", 1)]
    text = call("GET", "/api/v1/reports/maintenance/visits?state=done&format=csv",
                "mudur").text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Ziyaret" and [r[0] for r in rows[1:]] == [str(first["id"])]

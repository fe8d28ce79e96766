"""A form's whole life against real databases (SQLite and PostgreSQL), a real broker, and
the real devices service: versions, roles, work, fees, completion into the device archive,
satisfaction, final check, lists and revenue."""
from datetime import date, timedelta

import pytest

from services.common.exceptions import (Conflict, Forbidden, PreconditionRequired,
                                        ValidationFailed)
from services.common.testing import eventually
from services.devices.service import DevicesService
from services.forms.domain import local_date
from services.forms.service import FormsService

DESK = {"id": 1, "name": "Deniz Masa", "role": "desk", "email": "d@s.local", "language": "tr"}
MANAGER = {"id": 2, "name": "Mehmet Müdür", "role": "manager", "email": "m@s.local"}
TECH = {"id": 3, "name": "Tülay Teknisyen", "role": "technician", "email": "t@s.local"}
TECH2 = {"id": 4, "name": "İsmail Usta", "role": "technician", "email": "i@s.local"}
REP = {"id": 5, "name": "Ayşe Temsilci", "role": "rep", "email": "a@s.local"}
CHECKER = {"id": 6, "name": "Kemal Kontrol", "role": "final_checker"}
CONFIG = {"LABOUR_HOURLY_RATE": "600", "REPAIR_WARRANTY_MONTHS": 6,
          "SATISFACTION_THRESHOLD": 60, "MANAGEMENT_EMAILS": "yonetim@servis.local"}


def snap(user):
    return {"user_id": user["id"], "name": user["name"], "email": user.get("email"),
            "language": "tr", "role": user["role"]}


@pytest.fixture
def system(run_services):
    return run_services(DevicesService, FormsService, **CONFIG)


def open_form(rpc, customer_name="IŞIK Soğutma", serial="SN-1", complaint="Soğutmuyor",
              **device):
    c = rpc.devices.create_customer({"name": customer_name, "rep_user_id": REP["id"],
                                     "rep_name": REP["name"], "rep_email": REP["email"]})
    return rpc.forms.create_form({"customer_id": c["id"], "complaint": complaint,
                                  "device": {"brand": "Daikin", "serial": serial, **device}},
                                 DESK)


def test_a_form_from_intake_to_close(system, rpc, tap):
    events = tap("forms", "form_assigned", "form_completed", "satisfaction_low",
                 "form_reopened", "form_closed", "satisfaction_recorded")
    question = rpc.forms.create_question({"text_tr": "Memnun kaldınız mı?",
                                          "text_en": "Satisfied?", "weight": 2})
    form = open_form(rpc)
    v = form["version"]
    with pytest.raises(PreconditionRequired):
        rpc.forms.transition(form["id"], {"to": "ASSIGNED"}, MANAGER)
    with pytest.raises(Conflict) as exc:  # nobody assigned yet
        rpc.forms.transition(form["id"], {"to": "ASSIGNED", "version": v}, MANAGER)
    with pytest.raises(Forbidden):
        rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": v}, TECH)
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH), snap(TECH2)], "version": v},
                         MANAGER)
    assert f["status"] == "ASSIGNED" and {a["user_id"] for a in f["assignees"]} == {3, 4}
    assigned = events.wait(1)[0]
    assert assigned["event_type"] == "form_assigned" and len(assigned["assignees"]) == 2

    with pytest.raises(Conflict) as exc:  # stale version
        rpc.forms.transition(form["id"], {"to": "DIAGNOSIS", "version": v}, TECH)
    assert exc.value.details["version"] == f["version"]
    with pytest.raises(Conflict) as exc:  # no such move: names the allowed ones
        rpc.forms.transition(form["id"], {"to": "REPAIRED", "version": f["version"]}, TECH)
    assert exc.value.details["allowed"] == ["DIAGNOSIS", "CANCELLED"]
    with pytest.raises(Forbidden):  # the desk may not start a diagnosis
        rpc.forms.transition(form["id"], {"to": "DIAGNOSIS", "version": f["version"]}, DESK)
    f = rpc.forms.transition(form["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)

    with pytest.raises(Forbidden):  # prices are the manager's
        rpc.forms.update_work(form["id"], {"service_fee": "150", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(form["id"], {"diagnosis": "Kompresör rölesi yanmış",
                                           "fault_type": "elektrik",
                                           "version": f["version"]}, TECH)
    f = rpc.forms.update_work(form["id"], {"service_fee": "150", "version": f["version"]},
                              MANAGER)
    with pytest.raises(ValidationFailed):
        rpc.forms.update_work(form["id"], {"fault_type": "uzayli", "version": f["version"]}, TECH)
    with pytest.raises(ValidationFailed):  # money has two decimals, a third is refused
        rpc.forms.add_part(form["id"], {"name": "Röle", "quantity": "2", "unit_price": "87.505",
                                        "version": f["version"]}, TECH)
    f = rpc.forms.add_part(form["id"], {"code": "R-12", "name": "Röle", "quantity": "2",
                                        "unit_price": "87.51", "version": f["version"]}, TECH)
    f = rpc.forms.add_work_log(form["id"], {"minutes": 90, "note": "söküm",
                                            "version": f["version"]}, TECH)
    f = rpc.forms.add_work_log(form["id"], {"minutes": 30, "version": f["version"]}, TECH2)
    f = rpc.forms.start_timer(form["id"], {"version": f["version"]}, TECH)
    with pytest.raises(Conflict):
        rpc.forms.start_timer(form["id"], {"version": f["version"]}, TECH)
    f = rpc.forms.stop_timer(form["id"], {"version": f["version"]}, TECH)
    assert [w["minutes"] for w in f["work_logs"]] == [90, 30, 1]
    assert {p["user_id"]: p["minutes"] for p in f["work_time"]} == {3: 91, 4: 30}
    # 121 min x 600/h = 1210.00; 2 x 87.51 = 175.02; fee 150 -> 1535.02;
    # VAT 20% 307.004 -> 307.00; total 1842.02
    assert f["parts"][0]["unit_price"] == "87.51"
    assert f["totals"]["labour"] == "1210.00" and f["totals"]["parts"] == "175.02"
    assert f["totals"]["total"] == "1842.02" and f["totals"]["covered"] == "0.00"

    for to in ("IN_REPAIR", "REPAIRED"):
        f = rpc.forms.transition(form["id"], {"to": to, "version": f["version"]}, TECH)
    f = rpc.forms.update_work(form["id"], {"work_done": "Röle değişti", "version": f["version"]},
                              TECH)
    f = rpc.forms.transition(form["id"], {"to": "DELIVERED", "version": f["version"]}, DESK)
    today = local_date()
    assert f["repair_warranty"]["start"] == today.isoformat()
    completed = [e for e in events.wait(1) if e["event_type"] == "form_completed"][0]
    assert completed["repair_warranty"]["start"] == today.isoformat()
    assert completed["totals"]["total"] == "1842.02"
    # the device archive turned it into a repair warranty on the card
    card = eventually(lambda: (lambda d: d if d["repair_warranty_end"] else None)(
        rpc.devices.get_device(f["device_id"])))
    assert card["repair_warranty_end"] == f["repair_warranty"]["end"]

    # satisfaction: the rep's call, a low score reopens the form
    assert question in rpc.forms.list_questions()  # beside the default ones
    calls = rpc.forms.satisfaction_calls({"rep_user_id": REP["id"]})["items"]
    assert [c["id"] for c in calls] == [form["id"]]
    with pytest.raises(Forbidden):
        rpc.forms.record_survey(form["id"], {"outcome": "done", "answers": [
            {"question_id": question["id"], "value": 2}], "version": f["version"]},
            {**REP, "id": 99})
    f = rpc.forms.record_survey(form["id"], {"outcome": "done", "answers": [
        {"question_id": question["id"], "value": 2}], "version": f["version"]}, REP)
    assert f["survey"]["score"] == 25 and f["status"] == "REOPENED"
    got = {e["event_type"]: e for e in events.wait(3)}
    assert got["satisfaction_low"]["management"][0]["email"] == "yonetim@servis.local"
    assert got["form_reopened"]["reason"].startswith("Memnuniyet puanı 25 < 60")

    # back through the work to the final check
    f = rpc.forms.transition(form["id"], {"to": "ASSIGNED", "version": f["version"]}, MANAGER)
    for to, who in (("DIAGNOSIS", TECH), ("IN_REPAIR", TECH), ("REPAIRED", TECH),
                    ("DELIVERED", DESK)):
        f = rpc.forms.transition(form["id"], {"to": to, "version": f["version"]}, who)
    f = rpc.forms.record_survey(form["id"], {"outcome": "unreachable", "version": f["version"]},
                                REP)
    f = rpc.forms.transition(form["id"], {"to": "FINAL_CHECK", "version": f["version"]}, REP)
    check = rpc.forms.final_check(form["id"])
    assert all(item["ok"] for item in check["checklist"])
    with pytest.raises(Forbidden):
        rpc.forms.decide_final_check(form["id"], {"decision": "close", "version": f["version"]},
                                     MANAGER)
    with pytest.raises(ValidationFailed):  # sending back needs a note
        rpc.forms.decide_final_check(form["id"], {"decision": "send_back",
                                                  "version": f["version"]}, CHECKER)
    f = rpc.forms.decide_final_check(form["id"], {"decision": "close", "note": "Tamam",
                                                  "version": f["version"]}, CHECKER)
    assert f["status"] == "CLOSED" and f["closed_at"]
    assert [e["event_type"] for e in events.wait(2)] == ["form_completed", "form_closed"]
    with pytest.raises(Conflict):  # read-only once closed
        rpc.forms.update_work(form["id"], {"work_done": "x", "version": f["version"]}, MANAGER)
    with pytest.raises(ValidationFailed):  # reopen needs a reason
        rpc.forms.transition(form["id"], {"to": "REOPENED", "version": f["version"]}, MANAGER)

    history = rpc.forms.form_history(form["id"])["items"]
    actions = [h["action"] for h in history]
    # NEW, ASSIGNED … DELIVERED, REOPENED, ASSIGNED … DELIVERED, FINAL_CHECK, CLOSED
    assert actions.count("status") == 14 and "part_added" in actions and "survey" in actions
    work = next(h for h in history if h["action"] == "work" and "diagnosis" in h["changes"])
    assert work["changes"]["diagnosis"] == [None, "Kompresör rölesi yanmış"]
    assert work["by"]["name"] == "Tülay Teknisyen"


def test_coverage_at_intake_decides_what_the_customer_pays(system, rpc):
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    d = rpc.devices.register_device({"customer_id": c["id"], "brand": "Bosch", "serial": "W-1",
                                     "purchase_date": "2024-01-01",
                                     "warranty_end": (date.today() + timedelta(400)).isoformat()})
    f = rpc.forms.create_form({"customer_id": c["id"], "device_id": d["id"],
                               "complaint": "Ses yapıyor"}, DESK)
    assert f["coverage"]["kind"] == "manufacturer_warranty"
    f = rpc.forms.assign(f["id"], {"assignees": [snap(TECH)], "version": f["version"]}, MANAGER)
    f = rpc.forms.add_part(f["id"], {"name": "Kayış", "quantity": 1, "unit_price": "100",
                                     "version": f["version"]}, TECH)
    assert (f["totals"]["gross"], f["totals"]["covered"], f["totals"]["total"]) == (
        "100.00", "100.00", "0.00")
    assert f["coverage_pays"]["parts"] is True
    assert "parçalar" in f["coverage_pays"]["explanation"]["tr"]


def test_forms_follow_a_renamed_customer(system, rpc):
    form = open_form(rpc, "Eski Ad Ltd", "N-1")
    rpc.devices.update_customer(form["customer_id"], {"name": "Yeni Ad A.Ş.", "version": 1})
    eventually(lambda: rpc.forms.get_form(form["id"])["customer_name"] == "Yeni Ad A.Ş.")
    listed = rpc.forms.list_forms({"sort": "customer"})["items"]
    assert [f["customer_name"] for f in listed] == ["Yeni Ad A.Ş."]




def test_a_price_approval_link_goes_out_once_and_forms_keeps_only_its_hash(system, rpc, tap):
    """Over the broker: the estimate's event carries the one-time link; once the relay has
    published it, forms' outbox row no longer holds it (nor does any table: the approval
    keeps the token's hash); the link's decision, asked over RPC, moves the form on."""
    from sqlalchemy import create_engine, text as sql
    events = tap("forms", "price_approval_requested", "price_approval_decided")
    form = open_form(rpc, serial="FO-1")
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": "250", "version": f["version"]},
                              MANAGER)
    f = rpc.forms.send_price_approval(f["id"], {"version": f["version"]}, MANAGER)
    assert f["status"] == "AWAITING_APPROVAL"
    [requested] = events.wait(1)
    url = requested["approval_url"]
    token = url.rsplit("/", 1)[1]
    assert "/approve/" in url and requested["total"] == "300.00"
    forms_db = [c for c in system if c.service_name == "forms"][0].config["DATABASE_URL"]
    engine = create_engine(forms_db)
    try:
        def published_and_blanked():
            with engine.connect() as conn:
                row = conn.execute(sql("SELECT body, sent_at FROM outbox WHERE event_type = "
                                       "'price_approval_requested'")).one()
            return row.sent_at is not None and token not in row.body and \
                '"approval_url": "[redacted]"' in row.body
        eventually(published_and_blanked)
        with engine.connect() as conn:
            for table in ("price_approvals", "documents", "form_history", "outbox"):
                rows = conn.execute(sql(f"SELECT * FROM {table}")).all()
                assert token not in repr(rows), table
    finally:
        engine.dispose()
    decided = rpc.forms.decide_price_approval(token, {"decision": "approved"},
                                              {"ip": "198.51.100.4", "user_agent": "Test"})
    assert decided["decision"] == "approved"
    assert rpc.forms.get_form(f["id"])["status"] == "IN_REPAIR"
    [event] = events.wait(1)
    assert event["event_type"] == "price_approval_decided" and event["via"] == "link"

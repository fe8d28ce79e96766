"""A form's whole life against real databases (SQLite and PostgreSQL), a real broker, and
the real devices service: versions, roles, work, fees, completion into the device archive,
satisfaction, final check, lists and revenue."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.common.exceptions import (Conflict, Forbidden, NotFound, PreconditionRequired,
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
    rpc.forms.create_question({"text_tr": "Memnun kaldınız mı?", "text_en": "Satisfied?",
                               "weight": 2})
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
    (question,) = rpc.forms.list_questions()
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


def test_technicians_act_only_on_their_forms_and_never_overwrite_each_other(system, rpc):
    form = open_form(rpc)
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    with pytest.raises(Forbidden):
        rpc.forms.update_work(form["id"], {"diagnosis": "x", "version": f["version"]}, TECH2)
    first = rpc.forms.update_work(form["id"], {"diagnosis": "A", "version": f["version"]}, TECH)
    with pytest.raises(Conflict):  # the second writer read the same version
        rpc.forms.update_work(form["id"], {"diagnosis": "B", "version": f["version"]}, MANAGER)
    assert rpc.forms.get_form(form["id"])["diagnosis"] == "A" == first["diagnosis"]
    with pytest.raises(NotFound):
        rpc.forms.remove_part(form["id"], 12345, {"version": first["version"]}, TECH)


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


def deliver(rpc, form, minutes_by=(), fee="0"):
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH), snap(TECH2)],
                                      "version": form["version"]}, MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": fee, "version": f["version"]}, MANAGER)
    for user, minutes in minutes_by:
        f = rpc.forms.add_work_log(f["id"], {"minutes": minutes, "version": f["version"]}, user)
    for to in ("IN_REPAIR", "REPAIRED"):
        f = rpc.forms.transition(f["id"], {"to": to, "version": f["version"]}, TECH)
    return rpc.forms.transition(f["id"], {"to": "DELIVERED", "version": f["version"]}, DESK)


def test_lists_sort_in_turkish_order_filter_and_page(system, rpc):
    made = [open_form(rpc, name, f"S-{i}", complaint)
            for i, (name, complaint) in enumerate([
                ("Zeytin Ltd", "Su akıtıyor"), ("Çelik Makine", "IŞIK yanıp sönüyor"),
                ("Demir A.Ş.", "Ses"), ("Işık Ltd", "Kompresör çalışmıyor")])]
    names = []
    cursor = None
    while True:
        page = rpc.forms.list_forms({"sort": "customer", "limit": 3, "cursor": cursor})
        names += [f["customer_name"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == ["Çelik Makine", "Demir A.Ş.", "Işık Ltd", "Zeytin Ltd"]
    desc = rpc.forms.list_forms({"sort": "-customer"})["items"]
    assert [f["customer_name"] for f in desc] == names[::-1]
    assert [f["id"] for f in rpc.forms.list_forms({"q": "ışık"})["items"]] == [made[1]["id"]]
    assert [f["id"] for f in rpc.forms.list_forms({"q": "kompresor"})["items"]] == [made[3]["id"]]
    deliver(rpc, made[2])
    assert [f["id"] for f in rpc.forms.list_forms({"sort": "delivered"})["items"]] == [
        made[2]["id"]]
    by_status = rpc.forms.list_forms({"sort": "-status", "limit": 1})
    assert by_status["items"][0]["status"] == "DELIVERED"
    rest = rpc.forms.list_forms({"sort": "-status", "cursor": by_status["next_cursor"]})
    assert {f["status"] for f in rest["items"]} == {"NEW"} and len(rest["items"]) == 3
    assert [f["id"] for f in rpc.forms.list_forms({"technician": TECH2["id"]})["items"]] == [
        made[2]["id"]]
    assert len(rpc.forms.list_forms({"state": "open"})["items"]) == 4
    with pytest.raises(ValidationFailed):
        rpc.forms.list_forms({"sort": "status", "cursor": "eyJ4Ijp9"})


def test_revenue_matches_an_independent_sum(system, rpc):
    a = deliver(rpc, open_form(rpc, "Ak Ltd", "R-1"), [(TECH, 60), (TECH2, 30)], fee="100")
    b = deliver(rpc, open_form(rpc, "Bey Ltd", "R-2"), [(TECH, 45)], fee="50.50")
    open_form(rpc, "Can Ltd", "R-3")  # not delivered: not revenue
    today = local_date().isoformat()
    report = rpc.forms.revenue({"group_by": "customer", "from": today, "to": today})
    # independently: labour = minutes x 600 / 60; VAT 20%
    expected = {"Ak Ltd": Decimal("900") + Decimal("100"), "Bey Ltd": Decimal("450") +
                Decimal("50.50")}
    got = {i["name"]: Decimal(i["subtotal"]) for i in report["items"]}
    assert got == expected
    assert Decimal(report["totals"]["vat"]) == (sum(expected.values()) * Decimal("0.2")).quantize(
        Decimal("0.01"))
    assert report["totals"]["total"] == f"{Decimal(a['totals']['total']) + Decimal(b['totals']['total']):.2f}"
    tech = rpc.forms.revenue({"group_by": "technician", "from": today, "to": today})["items"]
    split = {i["user_id"]: Decimal(i["total"]) for i in tech}
    # form a: TECH 2/3 and TECH2 1/3 of 1200.00; form b: TECH all of 600.60
    assert split == {TECH["id"]: Decimal("800.00") + Decimal("600.60"),
                     TECH2["id"]: Decimal("400.00")}
    top = rpc.forms.revenue({"group_by": "customer", "from": today, "to": today, "limit": 1})
    assert [i["name"] for i in top["items"]] == ["Ak Ltd"]  # the larger one
    assert top["others"]["customers"] == 1 and top["others"]["total"] == b["totals"]["total"]
    assert top["totals"] == report["totals"]
    month = rpc.forms.revenue({"group_by": "month", "from": today, "to": today})["items"]
    assert [m["forms"] for m in month] == [2]
    with pytest.raises(ValidationFailed):
        rpc.forms.revenue({"group_by": "year", "from": today, "to": "2000-01-01"})


def test_satisfaction_averages_and_an_expired_call(run_services, rpc):
    run_services(DevicesService, FormsService, **{**CONFIG, "SURVEY_EXPIRY_DAYS": 0})
    q1 = rpc.forms.create_question({"text_tr": "Hız", "text_en": "Speed", "weight": 1})
    rpc.forms.create_question({"text_tr": "Kalite", "text_en": "Quality", "weight": 3,
                                    "scale_min": 0, "scale_max": 10})
    with pytest.raises(ValidationFailed):
        rpc.forms.create_question({"text_tr": "x", "text_en": "x", "scale_min": 5,
                                   "scale_max": 5})
    f = deliver(rpc, open_form(rpc, "Ak Ltd", "E-1"), [(TECH, 30)])
    with pytest.raises(Conflict) as exc:  # 0 days to call: expired at once, counts as waived
        rpc.forms.record_survey(f["id"], {"outcome": "done", "answers": [
            {"question_id": q1["id"], "value": 5}], "version": f["version"]}, REP)
    assert exc.value.details["survey"] == "expired"
    checklist = {i["item"]: i for i in rpc.forms.final_check(f["id"])["checklist"]}
    assert checklist["satisfaction"]["ok"] and checklist["satisfaction"]["detail"]["status"] == \
        "expired"
    assert rpc.forms.satisfaction_calls({})["items"] == []
    assert rpc.forms.get_form_detail(f["id"])["survey"]["status"] == "expired"


def test_satisfaction_report_by_technician_customer_and_month(system, rpc):
    q = rpc.forms.create_question({"text_tr": "Genel", "text_en": "Overall", "scale_min": 1,
                                   "scale_max": 5})
    scores = []
    for i, value in enumerate((5, 4)):
        f = deliver(rpc, open_form(rpc, f"Firma {i}", f"Q-{i}"), [(TECH, 10)])
        f = rpc.forms.record_survey(f["id"], {"outcome": "done", "answers": [
            {"question_id": q["id"], "value": value}], "version": f["version"]}, REP)
        scores.append(f["survey"]["score"])
    assert scores == [100, 75]
    by_tech = rpc.forms.satisfaction_report({"group_by": "technician"})["items"]
    assert {(i["name"], i["average"], i["surveys"]) for i in by_tech} == {
        ("Tülay Teknisyen", "87.5", 2), ("İsmail Usta", "87.5", 2)}
    by_customer = rpc.forms.satisfaction_report({"group_by": "customer"})["items"]
    assert [(i["name"], i["average"]) for i in by_customer] == [("Firma 0", "100.0"),
                                                                ("Firma 1", "75.0")]
    (month,) = rpc.forms.satisfaction_report({"group_by": "month"})["items"]
    assert month["month"] == local_date().strftime("%Y-%m") and month["average"] == "87.5"


def test_revenue_split_by_technician_adds_up_to_the_kurus(system, rpc):
    tech3 = {"id": 8, "name": "Üçüncü Usta", "role": "technician", "email": "u@s.local"}
    form = open_form(rpc, "Kuruş Ltd", "K-1")
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH), snap(TECH2), snap(tech3)],
                                      "version": form["version"]}, MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": "750.01", "version": f["version"]},
                              MANAGER)
    for who in (TECH, TECH2, tech3):
        f = rpc.forms.add_work_log(f["id"], {"minutes": 20, "version": f["version"]}, who)
    for to, who in (("IN_REPAIR", TECH), ("REPAIRED", TECH), ("DELIVERED", DESK)):
        f = rpc.forms.transition(f["id"], {"to": to, "version": f["version"]}, who)
    total = Decimal(f["totals"]["total"])  # 600.00 labour + 750.01 fee, + 20% VAT = 1620.01
    assert total == Decimal("1620.01")
    today = local_date().isoformat()
    split = rpc.forms.revenue({"group_by": "technician", "from": today, "to": today})
    shares = sorted(Decimal(i["total"]) for i in split["items"])
    assert sum(shares) == total and shares == [Decimal("540.00"), Decimal("540.00"),
                                               Decimal("540.01")]
    by_day = rpc.forms.revenue({"group_by": "day", "from": today, "to": today})
    assert by_day["totals"]["total"] == split["totals"]["total"] == "1620.01"


def test_forms_follow_a_renamed_customer(system, rpc):
    form = open_form(rpc, "Eski Ad Ltd", "N-1")
    rpc.devices.update_customer(form["customer_id"], {"name": "Yeni Ad A.Ş."})
    eventually(lambda: rpc.forms.get_form(form["id"])["customer_name"] == "Yeni Ad A.Ş.")
    listed = rpc.forms.list_forms({"sort": "customer"})["items"]
    assert [f["customer_name"] for f in listed] == ["Yeni Ad A.Ş."]


def test_paging_every_sort_both_ways_matches_one_page(system, rpc):
    made = []
    for i, name in enumerate(["Zeytin", "Çelik", "Demir", "Işık", "Ak", "Çelik"]):
        made.append(open_form(rpc, name, f"P-{i}", device_type=["Klima", "Kombi", None][i % 3]))
    for f in made[:3]:  # ties: several forms share a status
        rpc.forms.assign(f["id"], {"assignees": [snap(TECH)], "version": f["version"]}, MANAGER)
    for sort in ("number", "customer", "status", "device_type", "fault_type", "opened"):
        for direction in ("", "-"):
            whole = [f["id"] for f in rpc.forms.list_forms({"sort": direction + sort,
                                                            "limit": 100})["items"]]
            paged, cursor = [], None
            while True:
                page = rpc.forms.list_forms({"sort": direction + sort, "limit": 2,
                                             "cursor": cursor})
                paged += [f["id"] for f in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            assert paged == whole, direction + sort
            assert sorted(whole) == sorted(f["id"] for f in made)


def test_every_write_raises_the_version_by_one(system, rpc):
    f = open_form(rpc, "Bir Ltd", "V-1")
    f2 = rpc.forms.assign(f["id"], {"assignees": [snap(TECH)], "version": f["version"]}, MANAGER)
    f3 = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f2["version"]}, TECH)
    f4 = rpc.forms.update_work(f["id"], {"diagnosis": "x", "version": f3["version"]}, TECH)
    f5 = rpc.forms.add_part(f["id"], {"name": "p", "quantity": 1, "unit_price": "1.00",
                                      "version": f4["version"]}, TECH)
    assert [x["version"] for x in (f, f2, f3, f4, f5)] == [1, 2, 3, 4, 5]

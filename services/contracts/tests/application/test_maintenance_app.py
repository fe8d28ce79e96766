"""Periodic maintenance on real databases (SQLite, and PostgreSQL when one answers) with
recording outboxes and no broker: contracts and forms in-process, each one's events handed to
the other's handlers as the broker would (and some twice, as a broker may). A plan every three
months → the reminder N days ahead → on the day one maintenance form per visit → delivered →
the visit done; a cancelled form → the attempt rises and the next pass opens exactly one new
form; a reschedule keeps both dates; overdue once the window passes; bad input names its field
and writes nothing. Time is injected (FixedClock)."""
from datetime import date

import pytest
from sqlalchemy import select

from services.common.exceptions import Conflict, PreconditionRequired, ValidationFailed
from services.contracts.tests.application.test_contracts_app import (  # noqa: F401
    OFFICER, contracts, proposal)
from services.forms.models import Form
from services.forms.tests.application.test_forms_app import forms  # noqa: F401
from services.forms.tests.service.test_workflow import DESK, MANAGER

TECH = {"user_id": 3, "name": "Tülay Teknisyen", "email": "t@s.local", "language": "tr"}
TECH2 = {"user_id": 4, "name": "İsmail Usta", "email": "i@s.local", "language": "en"}
TECH_ACTOR = {"id": 3, "name": "Tülay Teknisyen", "role": "technician", "email": "t@s.local"}


class Loop:
    """contracts ⇄ forms: each new event of one handed to the other's handler."""

    def __init__(self, contracts_app, forms_app):
        self.c, self.f = contracts_app, forms_app
        self.seen_c, self.seen_f = 0, 0

    def run(self, twice=False):
        while True:
            new_c = self.c.events[self.seen_c:]
            new_f = self.f.service.outbox.events[self.seen_f:]
            if not new_c and not new_f:
                return
            self.seen_c += len(new_c)
            self.seen_f += len(new_f)
            for e in new_c:
                if e["event_type"] == "maintenance_visit_due":
                    for _ in range(2 if twice else 1):
                        self.f.service.handle_maintenance_visit_due(e)
            for e in new_f:
                for _ in range(2 if twice else 1):
                    handler = {"form_created": "handle_form_created",
                               "form_completed": "handle_form_completed",
                               "form_status_changed": "handle_form_status_changed"}.get(
                        e["event_type"])
                    if handler:
                        getattr(self.c.service, handler)(e)


def active_contract(app, day=date(2027, 2, 1)):
    p = app.create_proposal(proposal(), OFFICER)  # 2027-02-01 – 2028-01-31, devices 10, 11
    p = app.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    app.at(day)
    app.scan_due({"today": day.isoformat()})
    c = app.get_contract(p["contract_id"])
    assert c["status"] == "active"
    return c


def plan(contract, **extra):
    return {"contract_id": contract["id"], "device_id": 10, "rrule": "FREQ=MONTHLY;INTERVAL=3",
            "window_days": 10, "team": [TECH, TECH2], **extra}


def scan(app, day):
    app.at(day)
    return app.scan_maintenance({"today": day.isoformat()})["visits"]


def maintenance_forms(f):
    with f.engine.connect() as conn:
        return conn.execute(select(Form.id, Form.maintenance_visit_id, Form.maintenance_attempt,
                                   Form.status, Form.kind).where(
            Form.maintenance_visit_id.is_not(None)).order_by(Form.id)).all()


def deliver(forms_app, form_id):
    f = forms_app.get_form(form_id)
    f = forms_app.transition(form_id, {"to": "ASSIGNED", "version": f["version"]}, MANAGER)
    for to in ("DIAGNOSIS", "IN_REPAIR", "REPAIRED"):
        f = forms_app.transition(form_id, {"to": to, "version": f["version"]}, TECH_ACTOR)
    return forms_app.transition(form_id, {"to": "DELIVERED", "version": f["version"]}, DESK)


def test_a_plan_makes_its_visits_off_holidays_and_weekends(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    assert p["lead_days"] == 7 and p["avoid_holidays"] is True
    assert [m["name"] for m in p["team"]] == ["Tülay Teknisyen", "İsmail Usta"]
    visits = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    # 1 May 2027 is a Saturday and Labour Day, 1 August a Sunday: the next working days
    assert [v["planned_on"] for v in visits] == ["2027-02-01", "2027-05-03", "2027-08-02",
                                                 "2027-11-01"]
    assert visits[0]["window_end"] == "2027-02-10" and visits[0]["remind_on"] == "2027-01-25"
    assert p["counts"] == {"planned": 4, "due": 0, "done": 0, "skipped": 0, "cancelled": 0,
                           "overdue": 0, "total": 4, "percent_done": 0}
    assert visits[0]["customer"]["name"] == "IŞIK Soğutma"
    assert visits[0]["device"]["serial"] == "SN-10"


BAD = [
    ({"rrule": "FREQ=HOURLY"}, "rrule"),
    ({"rrule": "FREQ=DAILY;BYHOUR=8,16"}, "rrule"),
    ({"rrule": "FREQ=YEARLY;UNTIL=20270101"}, "rrule"),
    ({"rrule": "FREQ=WEEKLY", "window_days": 8}, "window_days"),
    ({"device_id": 20}, "device_id"),
    ({"first_on": "2029-01-01"}, "first_on"),
    ({"team": []}, "team"),
    ({"team": [TECH, TECH]}, "team"),
    ({"lead_days": -1}, "lead_days"),
    ({"window_days": 0}, "window_days"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
def test_bad_plans_name_the_field_and_write_nothing(contracts, change, field):  # noqa: F811
    c = active_contract(contracts)
    with pytest.raises(ValidationFailed) as err:
        contracts.create_maintenance_plan(plan(c, **change), OFFICER)
    assert field in err.value.details
    assert contracts.list_maintenance_plans()["items"] == []
    assert contracts.list_maintenance_visits()["items"] == []


def test_reminder_then_one_form_per_visit_then_done(contracts, forms):  # noqa: F811
    f = forms()
    loop = Loop(contracts, f)
    c = active_contract(contracts, date(2027, 2, 1))
    contracts.at(date(2027, 2, 1))
    p = contracts.create_maintenance_plan(plan(c, first_on="2027-03-01"), OFFICER)
    # visits 2027-03-01, 06-01, 09-01, 12-01; reminders 7 days ahead
    assert scan(contracts, date(2027, 2, 21)) == []
    first = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"][0]
    assert first["scheduled_on"] == "2027-03-01"
    assert scan(contracts, date(2027, 2, 22)) == [first["id"]]
    reminders = contracts.service.outbox.of("maintenance_due")
    assert len(reminders) == 1 and reminders[0]["due_date"] == "2027-03-01"
    assert {r["email"] for r in reminders[0]["recipients"]} == {
        "t@s.local", "i@s.local", "isik@example.com"}
    assert scan(contracts, date(2027, 2, 23)) == []  # once
    assert contracts.service.outbox.of("maintenance_visit_due") == []
    assert scan(contracts, date(2027, 3, 1)) == [first["id"]]
    assert scan(contracts, date(2027, 3, 1)) == []  # a second pass: nothing more
    loop.run(twice=True)  # every event delivered twice
    rows = maintenance_forms(f)
    assert [(r.maintenance_visit_id, r.maintenance_attempt, r.kind) for r in rows] == [
        (first["id"], 1, "maintenance")]
    form = f.get_form(rows[0].id)
    assert form["kind"] == "maintenance" and form["coverage"]["kind"] == "contract"
    assert form["coverage"]["source_id"] == c["id"]
    assert form["maintenance"] == {"visit_id": first["id"], "attempt": 1}
    assert form["complaint"] == f"Periyodik bakım ({c['number']}, 1. ziyaret)"
    visit = contracts.get_maintenance_visit(first["id"])
    assert visit["status"] == "due" and visit["form"]["id"] == rows[0].id
    deliver(f, rows[0].id)
    loop.run(twice=True)
    visit = contracts.get_maintenance_visit(first["id"])
    assert visit["status"] == "done" and visit["done_on"] == "2027-03-01"
    counts = contracts.get_maintenance_plan(p["id"])["counts"]
    assert (counts["done"], counts["planned"], counts["percent_done"]) == (1, 3, 25)


def test_a_cancelled_form_opens_exactly_one_new_form_on_the_next_pass(contracts,  # noqa: F811
                                                                     forms):  # noqa: F811
    f = forms()
    loop = Loop(contracts, f)
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    visit_id = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"][0]["id"]
    scan(contracts, date(2027, 2, 1))
    loop.run()
    (row,) = maintenance_forms(f)
    form = f.get_form(row.id)
    f.transition(row.id, {"to": "CANCELLED", "version": form["version"],
                          "note": "Müşteri yerinde değildi"}, MANAGER)
    loop.run(twice=True)
    visit = contracts.get_maintenance_visit(visit_id)
    assert (visit["status"], visit["attempt"], visit["form"]) == ("due", 2, None)
    assert maintenance_forms(f)[-1].maintenance_attempt == 1  # nothing new until the pass
    assert scan(contracts, date(2027, 2, 2)) == [visit_id]
    assert scan(contracts, date(2027, 2, 2)) == []
    loop.run(twice=True)
    rows = maintenance_forms(f)
    assert [(r.maintenance_visit_id, r.maintenance_attempt) for r in rows] == [
        (visit_id, 1), (visit_id, 2)]
    history = [h["action"] for h in contracts.get_maintenance_visit(visit_id)["history"]]
    assert history == ["due", "form_opened", "form_cancelled", "form_opened"]
    # the first attempt's form delivered late changes nothing: the visit waits for attempt 2
    deliver(f, rows[1].id)
    loop.run()
    assert contracts.get_maintenance_visit(visit_id)["status"] == "done"


def test_a_redelivered_visit_due_opens_no_second_form(contracts, forms):  # noqa: F811
    """Two events for the same (visit, attempt) — a replica's duplicate — one form."""
    f = forms()
    c = active_contract(contracts)
    contracts.create_maintenance_plan(plan(c), OFFICER)
    scan(contracts, date(2027, 2, 1))
    (event,) = contracts.service.outbox.of("maintenance_visit_due")
    again = {**event, "event_id": "6f1f3c1e-6a35-4a7e-9a51-000000000001"}
    f.service.handle_maintenance_visit_due(event)
    f.service.handle_maintenance_visit_due(again)
    assert len(maintenance_forms(f)) == 1


def test_reschedule_keeps_both_dates_and_overdue_shows(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    visits = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    second = visits[1]  # 2027-05-03
    with pytest.raises(PreconditionRequired):
        contracts.reschedule_visit(second["id"], {"date": "2027-05-10", "reason": "x"}, OFFICER)
    with pytest.raises(ValidationFailed) as err:
        contracts.reschedule_visit(second["id"], {"date": "2027-05-10", "version": 1}, OFFICER)
    assert "reason" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        contracts.reschedule_visit(second["id"], {"date": "2028-05-10", "reason": "x",
                                                  "version": 1}, OFFICER)
    assert "date" in err.value.details
    moved = contracts.reschedule_visit(second["id"], {
        "date": "2027-05-12", "reason": "Müşteri talebi", "version": 1}, OFFICER)
    assert (moved["planned_on"], moved["scheduled_on"], moved["rescheduled"]) == (
        "2027-05-03", "2027-05-12", True)
    assert moved["window_end"] == "2027-05-21" and moved["version"] == 2
    assert moved["history"][-1]["from_date"] == "2027-05-03"
    assert moved["history"][-1]["to_date"] == "2027-05-12"
    with pytest.raises(Conflict):
        contracts.reschedule_visit(second["id"], {"date": "2027-05-13", "reason": "x",
                                                  "version": 1}, OFFICER)
    # the first visit's window (to 2027-02-10) passes undone: overdue
    scan(contracts, date(2027, 2, 1))
    contracts.at(date(2027, 2, 11))
    first = contracts.get_maintenance_visit(visits[0]["id"])
    assert (first["status"], first["state"], first["overdue"]) == ("due", "overdue", True)
    overdue = contracts.list_maintenance_visits({"state": "overdue"})["items"]
    assert [v["id"] for v in overdue] == [visits[0]["id"]]
    assert contracts.get_maintenance_plan(p["id"])["counts"]["overdue"] == 1
    report = contracts.maintenance_report({"state": "overdue", "group_by": "technician"})
    assert [(i["label"], i["visits"]) for i in report["items"]] == [
        ("İsmail Usta", 1), ("Tülay Teknisyen", 1)]
    assert report["total"] == 1


def test_skip_and_cancel_need_a_reason_and_the_counts_follow(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    with pytest.raises(ValidationFailed) as err:
        contracts.skip_visit(v[1]["id"], {"version": 1, "reason": " "}, OFFICER)
    assert "reason" in err.value.details
    skipped = contracts.skip_visit(v[1]["id"], {"version": 1, "reason": "Cihaz yerinde yok"},
                                   OFFICER)
    assert (skipped["status"], skipped["reason"]) == ("skipped", "Cihaz yerinde yok")
    contracts.cancel_visit(v[2]["id"], {"version": 1, "reason": "Müşteri istemedi"}, OFFICER)
    with pytest.raises(Conflict):  # final
        contracts.cancel_visit(v[1]["id"], {"version": 2, "reason": "x"}, OFFICER)
    with pytest.raises(Conflict):
        contracts.reschedule_visit(v[1]["id"], {"version": 2, "reason": "x",
                                                "date": "2027-06-01"}, OFFICER)
    counts = contracts.get_maintenance_plan(p["id"])["counts"]
    assert (counts["planned"], counts["skipped"], counts["cancelled"], counts["total"]) == (
        2, 1, 1, 4)
    # a skipped visit is never due: the scanner passes it by
    assert v[1]["id"] not in scan(contracts, date(2027, 5, 3))


def test_reports_by_customer_and_month_and_upcoming(contracts):  # noqa: F811
    c = active_contract(contracts)
    contracts.create_maintenance_plan(plan(c), OFFICER)
    contracts.create_maintenance_plan(plan(c, device_id=11, rrule="FREQ=MONTHLY",
                                           avoid_holidays=False), OFFICER)
    upcoming = contracts.maintenance_report({"state": "upcoming", "group_by": "month",
                                             "days": 60})
    assert [(i["key"], i["visits"]) for i in upcoming["items"]] == [
        ("2027-02", 2), ("2027-03", 1), ("2027-04", 1)]  # to 2027-04-02
    by_customer = contracts.maintenance_report({"state": "upcoming", "group_by": "customer",
                                                "days": 366})
    assert by_customer["items"] == [{"key": 1, "label": "IŞIK Soğutma", "visits": 16}]
    with pytest.raises(ValidationFailed) as err:
        contracts.maintenance_report({"state": "someday"})
    assert "state" in err.value.details
    calendar = contracts.list_maintenance_visits({"technician_id": 4, "from": "2027-03-01",
                                                  "to": "2027-03-31"})["items"]
    assert [v["scheduled_on"] for v in calendar] == ["2027-03-01"]
    assert contracts.list_maintenance_visits({"technician_id": 99})["items"] == []


def test_meter_readings_never_go_back_unless_the_meter_was_replaced(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    readings = contracts.record_meter_reading(v[0]["id"], {"value": 120000}, TECH_ACTOR)
    assert [(r["meter"], r["value"], r["pages"]) for r in readings] == [("total", 120000, None)]
    readings = contracts.record_meter_reading(v[0]["id"], {"value": 125500, "meter": "color"},
                                              TECH_ACTOR)
    contracts.at(date(2027, 5, 3))
    readings = contracts.record_meter_reading(v[1]["id"], {"value": 131000}, TECH_ACTOR)
    assert readings[-1]["pages"] == 11000 and readings[-1]["read_on"] == "2027-05-03"
    with pytest.raises(ValidationFailed) as err:
        contracts.record_meter_reading(v[1]["id"], {"value": 130999}, TECH_ACTOR)
    assert list(err.value.details) == ["value"]
    assert "130999" in str(err.value.details) and "131000" in str(err.value.details)
    with pytest.raises(ValidationFailed) as err:
        contracts.record_meter_reading(v[1]["id"], {"value": 1, "read_on": "2027-05-04"},
                                       TECH_ACTOR)
    assert list(err.value.details) == ["read_on"]
    readings = contracts.record_meter_reading(v[1]["id"], {
        "value": 15, "replacement": True, "note": "Sayaç değişti"}, TECH_ACTOR)
    assert [(r["value"], r["pages"]) for r in readings if r["meter"] == "total"] == [
        (120000, None), (131000, 11000), (15, 15)]
    assert len(contracts.meter_readings(v[1]["id"])) == 4
    contracts.skip_visit(v[2]["id"], {"version": 1, "reason": "Kapalı"}, OFFICER)
    with pytest.raises(Conflict):
        contracts.record_meter_reading(v[2]["id"], {"value": 20}, TECH_ACTOR)


def test_a_plan_changed_from_a_date_remakes_its_planned_visits_only(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    contracts.skip_visit(v[1]["id"], {"version": 1, "reason": "Cihaz yok"}, OFFICER)
    contracts.reschedule_visit(v[2]["id"], {"version": 1, "date": "2027-08-10",
                                            "reason": "Müşteri talebi"}, OFFICER)
    with pytest.raises(PreconditionRequired):
        contracts.change_maintenance_plan(p["id"], {"lead_days": 3}, OFFICER)
    with pytest.raises(Conflict):  # stale
        contracts.change_maintenance_plan(p["id"], {"version": 7, "lead_days": 3}, OFFICER)
    with pytest.raises(ValidationFailed) as err:  # before today (1 Feb 2027)
        contracts.change_maintenance_plan(p["id"], {"version": 1, "from": "2027-01-01",
                                                    "lead_days": 3}, OFFICER)
    assert "from" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        contracts.change_maintenance_plan(p["id"], {"version": 1, "rrule": "FREQ=HOURLY"},
                                          OFFICER)
    assert "rrule" in err.value.details
    changed = contracts.change_maintenance_plan(p["id"], {
        "version": 1, "from": "2027-06-01", "rrule": "FREQ=MONTHLY;INTERVAL=2",
        "lead_days": 3, "team": [TECH2]}, OFFICER)
    assert changed["version"] == 2 and changed["lead_days"] == 3
    assert changed["first_on"] == "2027-06-01" and changed["rrule"] == "FREQ=MONTHLY;INTERVAL=2"
    assert [m["name"] for m in changed["team"]] == ["İsmail Usta"]
    after = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    # the first (before the date) and the skipped one stay; the rescheduled one, with its
    # history, is cancelled as superseded; the untouched 1 Nov one is gone; every two months
    # from 1 June (1 Aug a Sunday → 2 Aug), off weekends and holidays
    kept = [(x["seq"], x["scheduled_on"], x["status"]) for x in after]
    assert kept == [(1, "2027-02-01", "planned"), (2, "2027-05-03", "skipped"),
                    (4, "2027-06-01", "planned"), (5, "2027-08-02", "planned"),
                    (3, "2027-08-10", "cancelled"), (6, "2027-10-01", "planned"),
                    (7, "2027-12-01", "planned")]
    assert contracts.get_maintenance_visit(v[2]["id"])["reason"].startswith("Plan değişti")
    assert after[3]["remind_on"] == "2027-07-30"
    counts = contracts.get_maintenance_plan(p["id"])["counts"]
    assert (counts["planned"], counts["skipped"], counts["cancelled"], counts["total"]) == (
        5, 1, 1, 7)
    # the technician's calendar follows the team
    assert contracts.list_maintenance_visits({"technician_id": TECH["user_id"]})["items"] == []


def test_a_cancelled_plan_cancels_its_visits_not_under_way(contracts, forms):  # noqa: F811
    f = forms()
    loop = Loop(contracts, f)
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    scan(contracts, date(2027, 2, 1))
    loop.run()
    first = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"][0]
    assert first["status"] == "due" and first["form"]
    with pytest.raises(ValidationFailed) as err:
        contracts.cancel_maintenance_plan(p["id"], {"version": 1, "reason": ""}, OFFICER)
    assert "reason" in err.value.details
    gone = contracts.cancel_maintenance_plan(p["id"], {"version": 1, "reason": "Cihaz satıldı"},
                                             OFFICER)
    assert gone["status"] == "cancelled" and gone["version"] == 2
    assert (gone["counts"]["due"], gone["counts"]["cancelled"]) == (1, 3)
    visits = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    assert {x["reason"] for x in visits[1:]} == {"Cihaz satıldı"}
    with pytest.raises(Conflict):  # a cancelled plan changes no more
        contracts.change_maintenance_plan(p["id"], {"version": 2, "lead_days": 1}, OFFICER)
    # the open form cancelled: the visit is cancelled too, and no new form is opened
    form = f.get_form(first["form"]["id"])
    f.transition(form["id"], {"to": "CANCELLED", "version": form["version"],
                              "note": "Plan bitti"}, MANAGER)
    loop.run()
    assert contracts.get_maintenance_visit(first["id"])["status"] == "cancelled"
    assert scan(contracts, date(2027, 2, 2)) == []
    loop.run()
    assert len(maintenance_forms(f)) == 1


def test_a_contract_cancelled_cancels_its_visits_after_the_end(contracts, forms):  # noqa: F811
    f = forms()
    loop = Loop(contracts, f)
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    scan(contracts, date(2027, 2, 1))
    loop.run()
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    assert v[0]["status"] == "due" and v[0]["form"]
    # a visit whose form is open is not skipped behind forms' back: a 409 naming the form
    with pytest.raises(Conflict) as err:
        contracts.skip_visit(v[0]["id"], {"version": v[0]["version"], "reason": "x"}, OFFICER)
    assert err.value.details["number"] == v[0]["form"]["number"]
    contracts.at(date(2027, 4, 1))
    contract = contracts.get_contract(c["id"])
    contracts.cancel_contract(c["id"], {"version": contract["version"], "end": "2027-06-30",
                                        "reason": "Müşteri taşındı"}, OFFICER)
    after = {x["id"]: x for x in contracts.list_maintenance_visits(
        {"plan_id": p["id"]})["items"]}
    # before the end: still open (the first under way with its form); after it: cancelled
    assert [after[x["id"]]["status"] for x in v] == ["due", "planned", "cancelled",
                                                      "cancelled"]
    assert after[v[3]["id"]]["reason"] == "Müşteri taşındı"
    # the open form cancelled now: the visit is cancelled, and no second form comes
    form = f.get_form(v[0]["form"]["id"])
    f.transition(form["id"], {"to": "CANCELLED", "version": form["version"],
                              "note": "Sözleşme bitti"}, MANAGER)
    loop.run()
    assert contracts.get_maintenance_visit(v[0]["id"])["status"] == "cancelled"
    assert scan(contracts, date(2027, 5, 3)) == [] and len(maintenance_forms(f)) == 1


def test_an_expired_contract_leaves_no_visit_overdue(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c, rrule="FREQ=MONTHLY;INTERVAL=6",
                                               window_days=30), OFFICER)
    contracts.at(date(2028, 2, 1))
    contracts.scan_due({"today": "2028-02-01"})
    assert contracts.get_contract(c["id"])["status"] == "expired"
    visits = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    assert {x["state"] for x in visits} == {"cancelled"}
    assert visits[0]["reason"].endswith("contract expired")
    assert contracts.list_maintenance_visits({"state": "overdue"})["items"] == []


def test_a_teams_calendar_several_technicians_or_a_plans_team(contracts):  # noqa: F811
    c = active_contract(contracts)
    a = contracts.create_maintenance_plan(plan(c, team=[TECH]), OFFICER)
    b = contracts.create_maintenance_plan(plan(c, device_id=11, team=[TECH2]), OFFICER)
    third = {"user_id": 9, "name": "Üçüncü", "email": None, "language": "tr"}
    d = contracts.create_maintenance_plan(plan(c, team=[third], rrule="FREQ=MONTHLY;INTERVAL=6",
                                               window_days=30), OFFICER)

    def plans_of(query):
        return {v["plan_id"] for v in contracts.list_maintenance_visits(
            {"limit": 100, **query})["items"]}
    assert plans_of({"technician_id": 3}) == {a["id"]}
    assert plans_of({"technician_ids": "3,4"}) == {a["id"], b["id"]}
    assert plans_of({"technician_ids": "4", "technician_id": 9}) == {b["id"], d["id"]}
    assert plans_of({"team_of": a["id"]}) == {a["id"]}
    both = contracts.change_maintenance_plan(a["id"], {"version": 1, "team": [TECH, TECH2]},
                                             OFFICER)
    assert plans_of({"team_of": both["id"]}) == {a["id"], b["id"]}
    for bad in ("3,", "x", ",".join(["1"] * 21), "0"):
        with pytest.raises(ValidationFailed) as err:
            contracts.list_maintenance_visits({"technician_ids": bad})
        assert "technician_ids" in err.value.details

"""Periodic maintenance on a real broker (SQLite and PostgreSQL): devices, forms and contracts
running, the contracts' scanner on its own (every 0.3 s). A plan on an active contract → the
reminder `maintenance_due` and, on the visit's day, `maintenance_visit_due` → forms opens one
maintenance form for (visit, attempt) and contracts shows it on the visit → the form cancelled
→ the attempt rises and the scanner's next pass opens exactly one new form → that one
delivered → the visit done; a replayed maintenance_visit_due opens nothing more."""
import time

from nameko.standalone.events import event_dispatcher

from services.common.testing import eventually
from services.contracts.domain import local_date
from services.contracts.service import ContractsService
from services.devices.service import DevicesService
from services.forms.service import FormsService
from services.forms.tests.service.test_workflow import CONFIG, DESK, MANAGER, TECH

OFFICER = {"id": 7, "name": "Sevgi Sözleşme", "role": "contracts", "email": "s@s.local"}
TEAM = [{"user_id": TECH["id"], "name": TECH["name"], "email": TECH["email"],
         "language": "tr"}]


def test_due_visit_to_one_form_cancel_to_one_more_then_done(run_services, rpc, tap,
                                                           amqp_uri):
    run_services(DevicesService, FormsService, ContractsService, **CONFIG,
                 CONTRACT_SCAN_SECONDS=0.3)
    due_events = tap("contracts", "maintenance_due", "maintenance_visit_due")
    customer = rpc.devices.create_customer({"name": "IŞIK Soğutma",
                                            "email": "isik@example.com"})
    device = rpc.devices.register_device({"customer_id": customer["id"], "brand": "Canon",
                                          "serial": "IR-1"}, OFFICER)
    today = local_date()
    p = rpc.contracts.create_proposal({
        "customer_id": customer["id"], "start": today.isoformat(), "months": 12,
        "devices": [{"device_id": device["id"]}], "unit_price": "1200.00"}, OFFICER)
    p = rpc.contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    eventually(lambda: rpc.contracts.get_contract(p["contract_id"])["status"] == "active")
    plan = rpc.contracts.create_maintenance_plan({
        "contract_id": p["contract_id"], "device_id": device["id"],
        "rrule": "FREQ=MONTHLY;INTERVAL=3", "avoid_holidays": False, "team": TEAM}, OFFICER)
    assert plan["counts"]["total"] == 4
    visit = rpc.contracts.list_maintenance_visits({"plan_id": plan["id"]})["items"][0]
    assert visit["scheduled_on"] == today.isoformat()

    reminder, due = sorted(due_events.wait(2), key=lambda e: e["event_type"])
    assert reminder["event_type"] == "maintenance_due" and reminder["plan_id"] == plan["id"]
    assert {r["email"] for r in reminder["recipients"]} == {TECH["email"], "isik@example.com"}
    assert due["visit"]["id"] == visit["id"] and due["visit"]["attempt"] == 1

    def form_of(attempt):
        v = rpc.contracts.get_maintenance_visit(visit["id"])
        assert v["attempt"] == attempt and v["form"], v
        return v["form"]["id"]
    first = eventually(lambda: form_of(1))
    form = rpc.forms.get_form(first)
    assert form["kind"] == "maintenance" and form["coverage"]["kind"] == "contract"
    assert form["maintenance"] == {"visit_id": visit["id"], "attempt": 1}

    # a replay of the same event, and the same (visit, attempt) under another event id
    dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
    dispatch("contracts", "maintenance_visit_due", due)
    dispatch("contracts", "maintenance_visit_due", {
        **due, "event_id": "0b8e4a36-6f0e-4a55-9d3e-000000000018"})
    time.sleep(1.0)
    listed = rpc.forms.list_forms({"kind": "maintenance"})["items"]
    assert [f["id"] for f in listed] == [first]

    rpc.forms.transition(first, {"to": "CANCELLED", "version": form["version"],
                                 "note": "Müşteri yerinde değildi"}, MANAGER)
    second = eventually(lambda: form_of(2))
    assert second != first
    seen = []  # the replays dispatched above pass the tap too: until attempt 2 shows
    while not any(e["visit"]["attempt"] == 2 for e in seen):
        seen += due_events.wait(1)
    time.sleep(1.0)  # more passes of the scanner: nothing more
    seen += due_events.wait(due_events.pending()) if due_events.pending() else []
    assert [e["visit"]["attempt"] for e in seen].count(2) == 1
    assert sorted(f["id"] for f in rpc.forms.list_forms({"kind": "maintenance"})["items"]) == [
        first, second]

    f = rpc.forms.get_form(second)
    f = rpc.forms.transition(second, {"to": "ASSIGNED", "version": f["version"]}, MANAGER)
    for to in ("DIAGNOSIS", "IN_REPAIR", "REPAIRED"):
        f = rpc.forms.transition(second, {"to": to, "version": f["version"]}, TECH)
    rpc.forms.transition(second, {"to": "DELIVERED", "version": f["version"]}, DESK)
    eventually(lambda: rpc.contracts.get_maintenance_visit(visit["id"])["status"] == "done")
    counts = rpc.contracts.get_maintenance_plan(plan["id"])["counts"]
    assert (counts["done"], counts["planned"], counts["total"]) == (1, 3, 4)


def test_a_group_plan_asks_devices_where_each_device_stands(run_services, rpc):
    """A group plan of a site's devices on a real broker: contracts asks devices for the
    customer's sites and each card (no transaction open), one visit per device on each date;
    a device of the contract at another site is a 422 naming it; a reading from the form of
    the group's visit goes on that visit."""
    from services.common.exceptions import ValidationFailed
    run_services(DevicesService, FormsService, ContractsService, **CONFIG,
                 CONTRACT_SCAN_SECONDS=0.3)
    customer = rpc.devices.create_customer({"name": "Çınar Ofis", "sites": [
        {"name": "Merkez"}, {"name": "Depo"}]})
    merkez, depo = (s["id"] for s in customer["sites"])
    cards = [rpc.devices.register_device({"customer_id": customer["id"], "brand": "Canon",
                                          "serial": f"GR-{i}", "site_id": site}, OFFICER)
             for i, site in enumerate((merkez, merkez, depo))]
    today = local_date()
    p = rpc.contracts.create_proposal({
        "customer_id": customer["id"], "start": today.isoformat(), "months": 12,
        "devices": [{"device_id": c["id"]} for c in cards], "unit_price": "900.00"}, OFFICER)
    p = rpc.contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    group = {"contract_id": p["contract_id"], "rrule": "FREQ=MONTHLY;INTERVAL=6",
             "avoid_holidays": False, "team": TEAM, "site_id": merkez}
    try:
        rpc.contracts.create_maintenance_plan(
            {**group, "device_ids": [cards[0]["id"], cards[2]["id"]]}, OFFICER)
        raise AssertionError("a device of another site was taken")
    except ValidationFailed as exc:
        assert "1" in exc.details["device_ids"] and "Merkez" in str(exc.details)
    plan = rpc.contracts.create_maintenance_plan(
        {**group, "device_ids": [cards[0]["id"], cards[1]["id"]]}, OFFICER)
    assert plan["site"] == {"id": merkez, "name": "Merkez"} and plan["counts"]["total"] == 4
    eventually(lambda: rpc.contracts.get_contract(p["contract_id"])["status"] == "active")
    first = rpc.contracts.list_maintenance_visits({"plan_id": plan["id"]})["items"][:2]
    assert {v["device_id"] for v in first} == {cards[0]["id"], cards[1]["id"]}
    assert {v["scheduled_on"] for v in first} == {today.isoformat()}

    def opened():
        v = rpc.contracts.get_maintenance_visit(first[0]["id"])
        assert v["form"], v
        return v["form"]["id"]
    form = rpc.forms.get_form(eventually(opened))
    ref = {"id": form["id"], "number": form["number"], "device_id": form["device"]["id"],
           "maintenance": form["maintenance"]}
    readings = rpc.contracts.record_form_reading(ref, {"value": 8000}, TECH)
    assert (readings[-1]["visit_id"], readings[-1]["form"]["number"]) == (first[0]["id"],
                                                                          form["number"])

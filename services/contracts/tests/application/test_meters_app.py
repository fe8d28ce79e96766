"""Meter readings, pages over the allowance and group plans on real databases (SQLite, and
PostgreSQL when one answers), no broker, time injected: a contract prices each device's meter
(a monthly allowance, a price per page over it, Decimal in the contract's currency); a period's
page bill counts the pages from the last bill's closing reading (a replaced meter from zero)
and puts what is owed on the invoice schedule as an installment of kind `pages`; readings
recorded from a service form land on its visit or under the contract covering the device; a
group plan of a site's devices makes one visit per device on each date."""
from datetime import date
from decimal import Decimal

import pytest

from services.common.exceptions import Conflict, ValidationFailed
from services.contracts.tests.application.test_contracts_app import (  # noqa: F401
    OFFICER, contracts, proposal)
from services.contracts.tests.application.test_maintenance_app import (
    TECH, TECH2, TECH_ACTOR, active_contract, plan, scan)

TERMS = [{"device_id": 10, "monthly_allowance": 1000, "page_price": "0.05"},
         {"device_id": 11, "meter": "color", "monthly_allowance": 200, "page_price": "0.2500"}]


def read(app, visit_id, day, value, **extra):
    app.at(day)
    return app.record_meter_reading(visit_id, {"value": value, **extra}, TECH_ACTOR)


def test_page_terms_name_their_field_and_replace_the_old(contracts):  # noqa: F811
    c = active_contract(contracts)
    with pytest.raises(ValidationFailed) as err:
        contracts.set_page_terms(c["id"], {"version": c["version"], "terms": [
            {"device_id": 20, "monthly_allowance": 1, "page_price": "0.1"}]}, OFFICER)
    assert "20" in str(err.value.details["terms"]["0"]["device_id"])
    with pytest.raises(ValidationFailed) as err:
        contracts.set_page_terms(c["id"], {"version": c["version"], "terms": [
            TERMS[0], {**TERMS[0], "page_price": "0.06"}]}, OFFICER)
    assert list(err.value.details["terms"]["1"]) == ["meter"]
    with pytest.raises(ValidationFailed) as err:  # a fifth decimal is refused, not rounded
        contracts.set_page_terms(c["id"], {"version": c["version"], "terms": [
            {**TERMS[0], "page_price": "0.00001"}]}, OFFICER)
    assert "page_price" in str(err.value.details)
    out = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": TERMS}, OFFICER)
    assert out["currency"] == "EUR" and out["version"] == c["version"] + 1
    assert [(t["device_id"], t["meter"], t["monthly_allowance"], t["page_price"])
            for t in out["items"]] == [(10, "total", 1000, "0.0500"),
                                       (11, "color", 200, "0.2500")]
    with pytest.raises(Conflict):  # stale
        contracts.set_page_terms(c["id"], {"version": c["version"], "terms": []}, OFFICER)
    out = contracts.set_page_terms(c["id"], {"version": out["version"], "terms": TERMS[:1]},
                                   OFFICER)
    assert len(contracts.page_terms(c["id"])["items"]) == 1


def test_pages_over_the_allowance_feed_the_invoice_schedule(contracts):  # noqa: F811
    c = active_contract(contracts)  # EUR, 2027-02-01 – 2028-01-31, devices 10 and 11
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    c = contracts.schedule_invoices(c["id"], {"frequency": "quarterly",
                                              "version": c["version"]}, OFFICER)
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": TERMS},
                                       OFFICER)["version"]
    read(contracts, v[0]["id"], date(2027, 1, 29), 99000)  # before the period: the opening
    read(contracts, v[0]["id"], date(2027, 3, 15), 101500)
    read(contracts, v[0]["id"], date(2027, 4, 30), 103500)
    read(contracts, v[1]["id"], date(2027, 5, 3), 104000)  # after the period: not counted
    with pytest.raises(ValidationFailed) as err:  # dated before the meter's previous reading
        read(contracts, v[1]["id"], date(2027, 5, 3), 104100, read_on="2027-05-02")
    assert list(err.value.details) == ["read_on"]

    with pytest.raises(ValidationFailed) as err:  # May is not over
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-05"}, OFFICER)
    assert list(err.value.details) == ["to"]
    with pytest.raises(ValidationFailed) as err:
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-04", "to": "2027-02"},
                             OFFICER)
    assert list(err.value.details) == ["to"]
    with pytest.raises(ValidationFailed) as err:  # before the contract's first month
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-01", "to": "2027-02"},
                             OFFICER)
    assert list(err.value.details) == ["from"]

    bill = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02",
                                          "to": "2027-04"}, OFFICER)
    assert (bill["from"], bill["to"], bill["months"]) == ("2027-02-01", "2027-04-30", 3)
    total, color = bill["lines"]
    # 99,000 → 103,500: 4,500 pages; 3 × 1,000 allowed; 1,500 over at 0.05 EUR
    assert (total["opening"]["value"], total["closing"]["value"], total["pages"],
            total["allowance"], total["extra_pages"], total["amount"]) == (
        99000, 103500, 4500, 3000, 1500, "75.00")
    assert color["unread"] is True and color["pages"] == 0 and color["amount"] == "0.00"
    assert bill["total"] == "75.00" and bill["currency"] == "EUR"
    assert bill["installment"]["due_on"] == "2027-05-03"  # the day after, or today
    schedule = contracts.contract_invoices(c["id"])["items"]
    pages = [i for i in schedule if i["kind"] == "pages"]
    assert [(i["amount"], i["currency"], i["seq"]) for i in pages] == [("75.00", "EUR", 5)]
    assert sum(Decimal(i["amount"]) for i in schedule) == Decimal("2160.00") + Decimal("75.00")

    version = contracts.get_contract(c["id"])["version"]
    # the same period again while its installment is not invoiced: made again (late readings)
    again = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02",
                                           "to": "2027-04"}, OFFICER)
    assert again["total"] == "75.00"
    assert len(contracts.page_bills(c["id"])["items"]) == 1
    version += 1
    with pytest.raises(Conflict) as err:  # another period overlapping it
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-04"}, OFFICER)
    assert err.value.details["bill_id"] == again["id"]
    # a new fee schedule leaves the page installment alone
    c = contracts.schedule_invoices(c["id"], {"frequency": "monthly", "version": version},
                                    OFFICER)
    schedule = contracts.contract_invoices(c["id"])["items"]
    assert [i["kind"] for i in schedule].count("pages") == 1
    assert len({i["seq"] for i in schedule}) == len(schedule) == 13
    inst = again["installment"]
    contracts.mark_invoiced(c["id"], inst["id"], {"invoice_no": "FTR-9", "rate": "36.0000",
                                                  "invoiced_on": "2027-05-03", "version": 1},
                            OFFICER)
    with pytest.raises(Conflict):  # invoiced: the period's bill stays
        contracts.bill_pages(c["id"], {"version": c["version"], "from": "2027-02",
                                       "to": "2027-04"}, OFFICER)

    # the next period counts from the last bill's closing reading; a replaced meter from 0
    read(contracts, v[1]["id"], date(2027, 6, 15), 105000)
    read(contracts, v[1]["id"], date(2027, 6, 15), 0, replacement=True, note="Sayaç değişti")
    read(contracts, v[1]["id"], date(2027, 7, 31), 2000)
    contracts.at(date(2027, 8, 2))
    bill = contracts.bill_pages(c["id"], {"version": c["version"], "from": "2027-05",
                                          "to": "2027-07"}, OFFICER)
    total = bill["lines"][0]
    assert (total["opening"]["value"], total["closing"]["value"], total["pages"]) == (
        103500, 2000, 1500 + 0 + 2000)
    assert total["extra_pages"] == 500 and bill["total"] == "25.00"


def test_nothing_over_the_allowance_puts_nothing_on_the_schedule(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": TERMS[:1]},
                                       OFFICER)["version"]
    draft = contracts.create_proposal(proposal(start="2027-06-01",
                                               devices=[{"device_id": 20}], customer_id=2),
                                      OFFICER)
    draft = contracts.decide_proposal(draft["id"], {"decision": "accepted", "version": 1},
                                      OFFICER)
    with pytest.raises(Conflict):  # a draft has no pages yet
        contracts.bill_pages(draft["contract_id"], {"version": 1, "from": "2027-06"}, OFFICER)
    read(contracts, v[0]["id"], date(2027, 2, 1), 5000)  # the first reading: the baseline
    read(contracts, v[0]["id"], date(2027, 2, 26), 5900)
    contracts.at(date(2027, 3, 1))
    bill = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02"}, OFFICER)
    assert bill["lines"][0]["pages"] == 900 and bill["lines"][0]["extra_pages"] == 0
    assert bill["total"] == "0.00" and bill["installment"] is None
    assert all(i["kind"] == "fee" for i in contracts.contract_invoices(c["id"])["items"])


def test_readings_from_a_form_land_on_its_visit_or_its_contract(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    contracts.at(date(2027, 3, 10))
    repair = {"id": 900, "number": "SF-2027-000900", "device_id": 11, "maintenance": None}
    out = contracts.record_form_reading(repair, {"value": 7000}, TECH_ACTOR)
    assert [(r["contract_id"], r["visit_id"], r["form"]["number"]) for r in out] == [
        (c["id"], None, "SF-2027-000900")]
    with pytest.raises(Conflict) as err:  # device 20 is under no contract
        contracts.record_form_reading({**repair, "device_id": 20}, {"value": 1}, TECH_ACTOR)
    assert err.value.details["device_id"] == 20
    maintenance_form = {"id": 901, "number": "SF-2027-000901", "device_id": 10,
                        "maintenance": {"visit_id": v[0]["id"], "attempt": 1}}
    out = contracts.record_form_reading(maintenance_form, {"value": 300}, TECH_ACTOR)
    assert (out[-1]["visit_id"], out[-1]["form"]["id"]) == (v[0]["id"], 901)
    assert contracts.meter_readings(v[0]["id"])[-1]["value"] == 300
    assert contracts.device_meter_readings(11)[0]["value"] == 7000
    # no card has such an id (the fuzz pass's 2**63 overflowed the driver: a 500)
    assert contracts.device_meter_readings(2**63) == contracts.device_meter_readings("11") == []
    with pytest.raises(ValidationFailed) as err:
        contracts.record_form_reading(maintenance_form, {"value": 299}, TECH_ACTOR)
    assert list(err.value.details) == ["value"]


def _sites(app):
    app.devices.customers[1]["sites"] = [{"id": 5, "name": "Merkez Ofis"},
                                         {"id": 6, "name": "Depo"}]
    app.devices.cards[10]["site_id"] = 5
    app.devices.cards[11]["site_id"] = 5


def test_a_group_plan_makes_one_visit_per_device_on_each_date(contracts):  # noqa: F811
    _sites(contracts)
    c = active_contract(contracts)
    group = plan(c, device_id=None, device_ids=[10, 11], site_id=5, team=[TECH])
    p = contracts.create_maintenance_plan(group, OFFICER)
    assert p["device_ids"] == [10, 11] and p["site"] == {"id": 5, "name": "Merkez Ofis"}
    assert p["group"] is True and p["counts"]["total"] == 8
    visits = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    assert [(x["scheduled_on"], x["device_id"], x["seq"]) for x in visits[:2]] == [
        ("2027-02-01", 10, 1), ("2027-02-01", 11, 1)]
    one = contracts.get_maintenance_visit(visits[0]["id"])
    assert one["site"]["name"] == "Merkez Ofis"
    assert [(s["device_id"], s["device"]["serial"]) for s in one["same_day"]] == [
        (11, "SN-11")]
    assert [x["id"] for x in contracts.list_maintenance_plans({"device_id": 11})["items"]] == [
        p["id"]]
    fired = scan(contracts, date(2027, 2, 1))
    due = [e for e in contracts.events if e["event_type"] == "maintenance_visit_due"]
    assert sorted(e["visit"]["device_id"] for e in due) == [10, 11] and len(fired) == 2
    # a change of rule makes each device's planned visits again
    changed = contracts.change_maintenance_plan(p["id"], {
        "version": p["version"], "rrule": "FREQ=MONTHLY;INTERVAL=6", "from": "2027-03-01"},
        OFFICER)
    planned = contracts.list_maintenance_visits({"plan_id": p["id"], "state": "planned"})
    assert [(x["scheduled_on"], x["device_id"]) for x in planned["items"]] == [
        ("2027-03-01", 10), ("2027-03-01", 11), ("2027-09-01", 10), ("2027-09-01", 11)]
    assert changed["counts"]["due"] == 2


GROUP_BAD = [
    ({"device_ids": [10, 11]}, "site_id"),  # no site
    ({"device_ids": [10, 11], "site_id": 9}, "site_id"),  # no such site
    ({"device_ids": [10, 20], "site_id": 5}, "device_ids"),  # 20: another customer's
    ({"device_ids": [10, 11], "site_id": 6}, "device_ids"),  # they stand at site 5
    ({"device_ids": [10, 10], "site_id": 5}, "device_ids"),
    ({"device_ids": [10, 11], "site_id": 5, "device_id": 10}, "device_ids"),
]


@pytest.mark.parametrize("change,field", GROUP_BAD,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(GROUP_BAD)])
def test_a_bad_group_names_the_field_and_writes_nothing(contracts, change,  # noqa: F811
                                                        field):
    _sites(contracts)
    c = active_contract(contracts)
    body = {**plan(c), "device_id": None, **change}
    with pytest.raises(ValidationFailed) as err:
        contracts.create_maintenance_plan(body, OFFICER)
    assert field in err.value.details
    assert contracts.list_maintenance_plans({})["items"] == []


BAD_MONTHS = ["0000-01", "9999-12", "1899-12", "3000-01", "2027-13",
              "\u0662\u0660\u0662\u0667-01", "2027-1", " 2027-01"]


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_a_month_that_makes_no_date_is_a_422_naming_it(contracts, month):  # noqa: F811
    """0000-01 and 9999-12 passed a bare regex and the month arithmetic raised (a 500);
    non-ASCII digits passed \\d."""
    c = active_contract(contracts)
    for body, field in (({"from": month}, "from"), ({"from": "2027-02", "to": month}, "to")):
        with pytest.raises(ValidationFailed) as err:
            contracts.bill_pages(c["id"], {"version": c["version"], **body}, OFFICER)
        assert list(err.value.details) == [field]
        with pytest.raises(ValidationFailed) as err:
            contracts.maintenance_report({"state": "done", **body})
        assert list(err.value.details) == [field]


FLAT = [{"device_id": 10, "monthly_allowance": 0, "page_price": "0.01"}]


def test_a_devices_bills_follow_one_another_so_no_page_is_billed_twice(contracts):  # noqa: F811
    """Readings 0, 3000, 7000, 11000 at the ends of Jan, Apr, Jul, Oct: billed Feb-Apr, then
    Aug-Oct, then May-Jul, the meter's 11,000 pages were charged as 15,000 (May-Jul opened at
    Apr's reading, the last bill ended before it, and closed at Jul's, which Aug-Oct had
    counted from). A period starts the day after the contract's latest bill ends."""
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": FLAT},
                                       OFFICER)["version"]
    for day, value in ((date(2027, 1, 31), 0), (date(2027, 4, 30), 3000),
                       (date(2027, 7, 31), 7000), (date(2027, 10, 31), 11000)):
        read(contracts, v[0]["id"], day, value)
    contracts.at(date(2027, 11, 2))
    bill = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02",
                                          "to": "2027-04"}, OFFICER)
    billed = [bill["lines"][0]["pages"]]
    version += 1
    for gap in ("2027-08", "2027-06"):  # a gap, then one that starts inside the next months
        with pytest.raises(Conflict) as err:
            contracts.bill_pages(c["id"], {"version": version, "from": gap, "to": "2027-10"},
                                 OFFICER)
        assert err.value.details["from"] == "2027-05-01"
        assert err.value.details["billed_to"] == "2027-04-30"
    assert contracts.get_contract(c["id"])["version"] == version  # nothing written
    for span in (("2027-05", "2027-07"), ("2027-08", "2027-10")):
        bill = contracts.bill_pages(c["id"], {"version": version, "from": span[0],
                                              "to": span[1]}, OFFICER)
        version += 1
        billed.append(bill["lines"][0]["pages"])
    assert billed == [3000, 4000, 4000] and sum(billed) == 11000
    # the same latest period again (its installment not invoiced): made again, as before
    again = contracts.bill_pages(c["id"], {"version": version, "from": "2027-08",
                                           "to": "2027-10"}, OFFICER)
    assert again["lines"][0]["pages"] == 4000
    version += 1
    with pytest.raises(Conflict) as err:  # an earlier one: the next bills counted from it
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-05",
                                       "to": "2027-07"}, OFFICER)
    assert err.value.details["from"] == "2027-11-01"
    assert len(contracts.page_bills(c["id"])["items"]) == 3


def test_a_first_bill_counts_no_page_read_before_the_contract(contracts):  # noqa: F811
    old = contracts.create_proposal(proposal(start="2026-02-01", months=6), OFFICER)
    old = contracts.decide_proposal(old["id"], {"decision": "accepted", "version": 1}, OFFICER)
    contracts.at(date(2026, 2, 1))
    contracts.scan_due({"today": "2026-02-01"})
    contracts.at(date(2026, 5, 4))
    repair = {"id": 900, "number": "SF-2026-000900", "device_id": 10, "maintenance": None}
    out = contracts.record_form_reading(repair, {"value": 1000}, TECH_ACTOR)
    assert out[-1]["contract_id"] == old["contract_id"]
    c = active_contract(contracts)  # 2027-02-01 – 2028-01-31, the same devices
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": FLAT},
                                       OFFICER)["version"]
    read(contracts, v[0]["id"], date(2027, 2, 10), 4000)
    read(contracts, v[0]["id"], date(2027, 2, 26), 4500)
    contracts.at(date(2027, 3, 1))
    bill = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02"}, OFFICER)
    line = bill["lines"][0]
    # not from the old contract's 1,000 of 2026 (3,500 pages): the first reading is the base
    assert (line["opening"]["value"], line["closing"]["value"], line["pages"]) == (
        4000, 4500, 500)


def test_a_bill_made_again_sends_no_second_invoice_e_mail(contracts):  # noqa: F811
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": FLAT},
                                       OFFICER)["version"]
    read(contracts, v[0]["id"], date(2027, 2, 1), 0)
    read(contracts, v[0]["id"], date(2027, 2, 26), 500)
    contracts.at(date(2027, 3, 2))
    bill = contracts.bill_pages(c["id"], {"version": version, "from": "2027-02"}, OFFICER)
    assert bill["installment"]["due_on"] == "2027-03-02"
    contracts.scan_due({"today": "2027-03-02"})

    def invoice_mails():
        return [e for e in contracts.events if e["event_type"] == "contract_invoice_due"]
    assert len(invoice_mails()) == 1
    read(contracts, v[0]["id"], date(2027, 3, 2), 700, read_on="2027-02-28")  # read late
    again = contracts.bill_pages(c["id"], {"version": version + 1, "from": "2027-02"},
                                 OFFICER)
    assert again["total"] == "7.00"
    contracts.scan_due({"today": "2027-03-03"})
    assert len(invoice_mails()) == 1  # the new installment carries `notified` over


@pytest.mark.parametrize("price,device_id", [("99999999.9999", 10), ("6000.0000", None)],
                         ids=["a line", "the total"])
def test_an_amount_past_what_a_bill_holds_is_refused(contracts, price,  # noqa: F811
                                                      device_id):
    """10^12 pages at up to 99,999,999.9999 a page: PostgreSQL refused the Numeric(12,2)
    amount (DataError, a 500). Two meters each under the limit can add up past it."""
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    v = contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
    terms = [{"device_id": 10, "meter": m, "monthly_allowance": 0, "page_price": price}
             for m in ("black", "color")]
    version = contracts.set_page_terms(c["id"], {"version": c["version"], "terms": terms},
                                       OFFICER)["version"]
    for meter in ("black", "color"):
        read(contracts, v[0]["id"], date(2027, 2, 1), 0, meter=meter)
        read(contracts, v[0]["id"], date(2027, 2, 26), 10**6 if device_id is None else 10**12,
             meter=meter)
    contracts.at(date(2027, 3, 1))
    with pytest.raises(Conflict) as err:
        contracts.bill_pages(c["id"], {"version": version, "from": "2027-02"}, OFFICER)
    assert "amount" in err.value.details and err.value.details["max"] == "9999999999.99"
    assert err.value.details.get("device_id") == device_id
    assert contracts.get_contract(c["id"])["version"] == version
    assert contracts.page_bills(c["id"])["items"] == []


def test_a_changed_group_plan_is_held_to_the_visits_a_plan_may_have(contracts):  # noqa: F811
    """create_plan refused more than MAX_VISITS (dates × devices); change_plan did not, so a
    group plan changed to a daily rule on a ten-year contract made 7,000 visits."""
    _sites(contracts)
    long = contracts.create_proposal(proposal(months=120), OFFICER)
    long = contracts.decide_proposal(long["id"], {"decision": "accepted", "version": 1},
                                     OFFICER)
    contracts.at(date(2027, 2, 1))
    contracts.scan_due({"today": "2027-02-01"})
    c = contracts.get_contract(long["contract_id"])
    p = contracts.create_maintenance_plan(plan(c, device_id=None, device_ids=[10, 11],
                                               site_id=5, team=[TECH]), OFFICER)
    before = contracts.list_maintenance_visits({"plan_id": p["id"], "limit": 100})
    with pytest.raises(ValidationFailed) as err:
        contracts.change_maintenance_plan(p["id"], {
            "version": p["version"], "rrule": "FREQ=DAILY", "window_days": 1,
            "avoid_holidays": False, "team": [TECH, TECH2]}, OFFICER)
    assert list(err.value.details) == ["rrule"]
    assert "4000" in str(err.value.details["rrule"])
    after = contracts.get_maintenance_plan(p["id"])
    assert after["version"] == p["version"] and len(after["team"]) == 1
    assert contracts.list_maintenance_visits({"plan_id": p["id"], "limit": 100}) == before


def test_a_group_plan_sends_one_reminder_per_day_naming_its_devices(contracts):  # noqa: F811
    """It sent one identical maintenance_due e-mail per device of the group."""
    _sites(contracts)
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c, device_id=None, device_ids=[10, 11],
                                               site_id=5, first_on="2027-03-01"), OFFICER)
    scan(contracts, date(2027, 2, 22))  # reminders 7 days ahead of 2027-03-01
    reminders = contracts.service.outbox.of("maintenance_due")
    assert len(reminders) == 1 and reminders[0]["due_date"] == "2027-03-01"
    assert reminders[0]["plan_id"] == p["id"]
    assert [(d["id"], d["serial"]) for d in reminders[0]["devices"]] == [
        (10, "SN-10"), (11, "SN-11")]
    day = [x for x in contracts.list_maintenance_visits({"plan_id": p["id"]})["items"]
           if x["scheduled_on"] == "2027-03-01"]
    assert [contracts.get_maintenance_visit(x["id"])["reminded"] for x in day] == [True, True]
    assert scan(contracts, date(2027, 2, 23)) == []
    assert len(contracts.service.outbox.of("maintenance_due")) == 1

"""The invoice schedule on a real database: installments adding up to the contract's total,
invoiced at the day's rate and paid, the due and overdue lists, contract_invoice_due once per
installment, and contract revenue by month, customer and contract."""
from datetime import date

import pytest

from services.common.exceptions import Conflict, ValidationFailed
from services.contracts.tests.application.test_contracts_app import (  # noqa: F401
    OFFICER, contracts, proposal)


def _contract(contracts, **extra):
    p = contracts.create_proposal(proposal(**extra), OFFICER)
    p = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    return contracts.get_contract(p["contract_id"])


def test_schedule_invoice_pay_and_lists(contracts):  # noqa: F811
    c = _contract(contracts)  # EUR 2160.00 at 35.5
    with pytest.raises(ValidationFailed) as err:
        contracts.schedule_invoices(c["id"], {"frequency": "weekly", "version": c["version"]},
                                    OFFICER)
    assert "frequency" in err.value.details
    c = contracts.schedule_invoices(c["id"], {"frequency": "quarterly",
                                              "version": c["version"]}, OFFICER)
    invoices = contracts.contract_invoices(c["id"])["items"]
    assert [i["due_on"] for i in invoices] == ["2027-02-01", "2027-05-01", "2027-08-01",
                                               "2027-11-01"]
    assert [i["amount"] for i in invoices] == ["540.00"] * 4
    first = invoices[0]
    with pytest.raises(ValidationFailed) as err:  # EUR: the day's rate is needed
        contracts.mark_invoiced(c["id"], first["id"], {
            "invoice_no": "FTR-1", "invoiced_on": "2027-02-01", "version": 1}, OFFICER)
    assert "rate" in err.value.details
    with pytest.raises(Conflict):  # not invoiced yet
        contracts.mark_paid(c["id"], first["id"], {"paid_on": "2027-02-10", "version": 1},
                            OFFICER)
    done = contracts.mark_invoiced(c["id"], first["id"], {
        "invoice_no": "FTR-1", "invoiced_on": "2027-02-01", "rate": "36.1000",
        "version": 1}, OFFICER)
    assert done["status"] == "invoiced" and done["amount_try"] == "19494.00"
    with pytest.raises(Conflict):  # the schedule stays once invoiced
        contracts.schedule_invoices(c["id"], {"frequency": "monthly",
                                              "version": c["version"]}, OFFICER)

    contracts.at(date(2027, 5, 10))
    overdue = contracts.invoice_list({"state": "overdue"})["items"]
    assert [(i["seq"], i["status"]) for i in overdue] == [(1, "invoiced"), (2, "scheduled")]
    due = contracts.invoice_list({"state": "due", "days": 90})["items"]
    assert [i["seq"] for i in due] == [2, 3]
    paid = contracts.mark_paid(c["id"], first["id"], {"paid_on": "2027-05-10",
                                                      "version": 2}, OFFICER)
    assert paid["status"] == "paid"
    assert [i["seq"] for i in contracts.invoice_list({"state": "overdue"})["items"]] == [2]

    # the scanner reminds once per installment that has come due
    contracts.scan_due()
    contracts.scan_due()
    reminders = [e for e in contracts.events if e["event_type"] == "contract_invoice_due"]
    assert sorted(e["due_date"] for e in reminders) == ["2027-05-01"]

    by_month = contracts.revenue({"from": "2027-01", "to": "2027-12"})
    assert [(i["label"], i["scheduled"], i["invoiced"], i["paid"]) for i in by_month["items"]] \
        == [("2027-02", "19494.00", "19494.00", "19494.00"),
            ("2027-05", "19170.00", "0.00", "0.00"), ("2027-08", "19170.00", "0.00", "0.00"),
            ("2027-11", "19170.00", "0.00", "0.00")]
    assert by_month["totals"] == {"scheduled": "77004.00", "invoiced": "19494.00",
                                  "paid": "19494.00"}
    by_customer = contracts.revenue({"from": "2027-01", "to": "2027-12",
                                     "group_by": "customer"})
    assert [(i["label"], i["installments"]) for i in by_customer["items"]] == [
        ("IŞIK Soğutma", 4)]
    by_contract = contracts.revenue({"from": "2027-05", "to": "2027-05",
                                     "group_by": "contract"})
    assert by_contract["items"][0]["label"] == c["number"]
    assert by_contract["totals"]["scheduled"] == "19170.00"


def _walk(call, query):
    """Every item of a list, page by page through its cursors."""
    items, cursor = [], None
    while True:
        page = call({**query, **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_the_lists_page_by_cursor_in_order(contracts):  # noqa: F811
    """Cursor pages of two rows give every row once, in the list's order, with rows sharing
    a due date (or end date) split across pages: the row-value cursor."""
    made = []
    for devices, start in (([{"device_id": 10}], "2027-02-01"),
                           ([{"device_id": 11}], "2027-02-01"),
                           ([{"device_id": 20}], "2027-02-01")):
        c = _contract(contracts, devices=devices, start=start,
                      customer_id=2 if devices[0]["device_id"] == 20 else 1)
        made.append(contracts.schedule_invoices(c["id"], {"frequency": "monthly",
                                                          "version": c["version"]}, OFFICER))
    contracts.at(date(2027, 6, 15))
    contracts.scan_due()  # active: renewable
    for query in ({"state": "due", "days": 60}, {"state": "overdue"}):
        whole = contracts.invoice_list({**query, "limit": 500})["items"]
        assert len(whole) == (3 * 7 if query["state"] == "due" else 3 * 5)
        assert [(i["due_on"], i["id"]) for i in whole] == sorted(
            (i["due_on"], i["id"]) for i in whole)
        paged = _walk(contracts.invoice_list, {**query, "limit": 2})
        assert [i["id"] for i in paged] == [i["id"] for i in whole]
    renewals = _walk(contracts.renewal_list, {"end_from": "2028-01", "limit": 2})
    assert sorted(c["id"] for c in renewals) == sorted(c["id"] for c in made)
    assert [c["id"] for c in renewals] == sorted(c["id"] for c in made)  # one end date: by id
    assert contracts.renewal_list({"end_from": "2028-02"})["items"] == []

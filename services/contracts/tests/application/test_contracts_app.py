"""contracts' application layer on a real database (SQLite, and PostgreSQL when one answers)
with a recording outbox and no broker: the service's entrypoints called in-process (load, the
application layer, commit, dump); devices is played by a small stand-in answering
get_customer, get_device and register_device as devices does. Time is injected (FixedClock)."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from services.common.clock import FixedClock
from services.common.exceptions import (Conflict, NotFound, PreconditionRequired,
                                        ValidationFailed)
from services.common.testing import application, document_handle
from services.contracts.documents import TEMPLATES, Contexts
from services.contracts.models import Base, Document, DocumentTemplate
from services.contracts.service import ContractsService
from services.contracts.settings import ContractsSettings

OFFICER = {"id": 7, "name": "Sevgi Sözleşme", "role": "contracts", "email": "s@s.local"}
REP = {"user_id": 3, "name": "Rıza Temsilci", "email": "rep@s.local", "language": "tr"}


class Devices:
    """devices' answers, as its RPCs give them."""

    def __init__(self):
        self.customers = {1: {"id": 1, "name": "IŞIK Soğutma", "email": "isik@example.com",
                              "language": "tr", "rep": REP},
                          2: {"id": 2, "name": "Çelik Makine", "email": None,
                              "language": "en", "rep": None}}
        self.cards = {10: {"id": 10, "customer_id": 1, "brand": "Bosch", "model": "K1",
                           "serial": "SN-10", "device_type": "klima"},
                      11: {"id": 11, "customer_id": 1, "brand": "Arçelik", "model": "K2",
                           "serial": "SN-11", "device_type": "kombi"},
                      20: {"id": 20, "customer_id": 2, "brand": "Bosch", "model": "K1",
                           "serial": "SN-20", "device_type": "klima"}}
        self.registered = []

    def call(self, method, *args):
        if method == "get_customer":
            if args[0] not in self.customers:
                raise NotFound("Customer {customer_id} not found.", {"customer_id": args[0]})
            return self.customers[args[0]]
        if method == "get_device":
            if args[0] not in self.cards:
                raise NotFound("Device {device_id} not found.", {"device_id": args[0]})
            return self.cards[args[0]]
        if method == "find_devices":
            q = args[0]
            return {"items": [c for c in self.cards.values()
                              if c["customer_id"] == q["customer_id"]], "next_cursor": None}
        if method == "register_device":
            card = {**args[0], "id": 100 + len(self.registered)}
            self.registered.append(card)
            self.cards[card["id"]] = card
            return card
        raise AssertionError(method)


class Contracts:
    def __init__(self, url, root=None, pdf=None, **config):
        self.clock = FixedClock(datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc))
        settings = ContractsSettings.from_config({"CONTRACTS_EMAILS": "Sözleşmeler "
                                                  "<sozlesme@s.local>", **config})
        object.__setattr__(settings, "clock", self.clock)
        self.devices = Devices()
        self.service, self.engine = application(ContractsService, url, settings, Base.metadata,
                                                devices=self.devices)
        self.service.documents = document_handle(
            "contracts", self.engine, Document, DocumentTemplate, TEMPLATES,
            Contexts(settings).build, root, pdf)

    def __getattr__(self, name):
        return getattr(self.service, name)

    @property
    def events(self):
        return self.service.outbox.events

    def at(self, day):
        self.clock.at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=timezone.utc)

    def close(self):
        self.service.db.close()
        self.engine.dispose()


@pytest.fixture
def contracts(database_url, tmp_path):
    c = Contracts(database_url("contracts"), tmp_path / "documents")
    yield c
    c.close()


def proposal(**extra):
    return {"customer_id": 1, "devices": [{"device_id": 10}, {"device_id": 11}],
            "start": "2027-02-01", "months": 12, "unit_price": "1000.00", "currency": "EUR",
            "rate": "35.5000", "discount_percent": "10",
            "pays": {"labour": True, "parts": True, "fee": False},
            "service_levels": {"response_hours": 4, "repair_hours": 16}, **extra}


def test_a_proposal_with_its_figures_and_number(contracts):
    p = contracts.create_proposal(proposal(), OFFICER)
    assert p["number"] == "TK-2027-000001" and p["status"] == "open"
    assert p["end"] == "2028-01-31" and p["valid_until"] == "2027-02-03"
    assert (p["subtotal"], p["discount"], p["net"], p["vat"], p["total"]) == (
        "2000.00", "200.00", "1800.00", "360.00", "2160.00")
    assert p["stamp_duty"] == "17.06" and p["total_try"] == "76680.00"
    assert [d["serial"] for d in p["devices"]] == ["SN-10", "SN-11"]
    assert p["customer"]["name"] == "IŞIK Soğutma"
    assert contracts.create_proposal(proposal(start="2028-02-01"),
                                     OFFICER)["number"] == "TK-2027-000002"


def test_an_open_proposal_revised_with_the_version_read(contracts):
    p = contracts.get_proposal(contracts.create_proposal(proposal(), OFFICER)["id"])
    with pytest.raises(PreconditionRequired):
        contracts.revise_proposal(p["id"], proposal(months=24), OFFICER)
    with pytest.raises(Conflict):
        contracts.revise_proposal(p["id"], {**proposal(months=24), "version": 5}, OFFICER)
    with pytest.raises(ValidationFailed) as err:  # the customer stays; nothing written
        contracts.revise_proposal(p["id"], {**proposal(customer_id=2, devices=[
            {"device_id": 20}]), "version": 1}, OFFICER)
    assert "customer_id" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        contracts.revise_proposal(p["id"], {**proposal(unit_price="10.001"), "version": 1},
                                  OFFICER)
    assert "unit_price" in err.value.details
    assert contracts.get_proposal(p["id"]) == p
    revised = contracts.revise_proposal(p["id"], {**proposal(
        devices=[{"device_id": 11}, {"brand": "Vaillant", "serial": "YENİ-1"}], months=24,
        currency="TRY", rate=None, discount_percent=None, valid_until="2027-03-01"),
        "version": 1}, OFFICER)
    assert revised["version"] == 2 and revised["number"] == p["number"]
    assert revised["end"] == "2029-01-31" and revised["valid_until"] == "2027-03-01"
    assert [d["serial"] for d in revised["devices"]] == ["SN-11", "YENİ-1"]
    # 2 devices x 1000 TRY x 2 years, 20% VAT
    assert (revised["subtotal"], revised["total"], revised["currency"]) == (
        "4000.00", "4800.00", "TRY")
    assert len(contracts.proposal_documents(p["id"])) == 2  # a new PDF of it
    contracts.decide_proposal(p["id"], {"decision": "rejected", "version": 2}, OFFICER)
    with pytest.raises(Conflict):  # decided: no more versions
        contracts.revise_proposal(p["id"], {**proposal(), "version": 3}, OFFICER)


BAD = [
    ({"end": "2027-01-01"}, "end"),
    ({"months": 121}, "months"),
    ({"unit_price": "-1"}, "unit_price"),
    ({"unit_price": "10.001"}, "unit_price"),
    ({"devices": [{"device_id": 10}, {"device_id": 10}]}, "devices"),
    ({"rate": None}, "rate"),
    ({"currency": "GBP"}, "currency"),
    ({"basis": "visit"}, "visits_per_year"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f for _, f in BAD])
def test_bad_input_names_the_field_and_writes_nothing(contracts, change, field):
    with pytest.raises(ValidationFailed) as err:
        contracts.create_proposal(proposal(**change), OFFICER)
    assert field in err.value.details
    assert contracts.list_proposals()["items"] == []


def test_another_customers_device_and_overlaps_are_refused(contracts):
    with pytest.raises(Conflict) as err:
        contracts.create_proposal(proposal(devices=[{"device_id": 20}]), OFFICER)
    assert err.value.details["device_id"] == 20
    p = contracts.create_proposal(proposal(), OFFICER)
    contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    with pytest.raises(Conflict) as err:
        contracts.create_proposal(proposal(start="2027-06-01"), OFFICER)
    assert err.value.details["number"] == "SZ-2027-000001"
    assert len(contracts.list_proposals()["items"]) == 1


def test_accept_makes_a_draft_and_the_scanner_activates_it_on_its_start(contracts):
    p = contracts.create_proposal(proposal(devices=[{"device_id": 10}, {
        "brand": "Daikin", "serial": "DK-1", "model": "FTX"}]), OFFICER)
    with pytest.raises(PreconditionRequired):
        contracts.decide_proposal(p["id"], {"decision": "accepted"}, OFFICER)
    with pytest.raises(Conflict):
        contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 9}, OFFICER)
    decided = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1,
                                                  "note": "İmzalı"}, OFFICER)
    assert decided["status"] == "accepted" and decided["version"] == 2
    assert contracts.devices.registered[0]["serial"] == "DK-1"
    c = contracts.get_contract(decided["contract_id"])
    assert c["number"] == "SZ-2027-000001" and c["status"] == "draft"
    assert [d["device_id"] for d in c["devices"]] == [10, 100]
    with pytest.raises(Conflict):  # decided already
        contracts.decide_proposal(p["id"], {"decision": "rejected", "version": 2}, OFFICER)

    assert contracts.scan_due() == {"contracts": []}  # 4 January: not yet
    contracts.at(date(2027, 2, 1))
    assert contracts.scan_due() == {"contracts": [c["id"]]}
    activated = [e for e in contracts.events if e["event_type"] == "contract_activated"]
    assert len(activated) == 1
    assert activated[0]["contract"] == {
        "id": c["id"], "number": "SZ-2027-000001", "customer_id": 1, "start": "2027-02-01",
        "end": "2028-01-31", "pays": {"labour": True, "parts": True, "fee": False},
        "service_levels": {"response_hours": 4, "repair_hours": 16}}
    assert activated[0]["devices"] == [10, 100]
    assert contracts.get_contract(c["id"])["status"] == "active"
    contracts.scan_due()  # again: nothing more
    assert len([e for e in contracts.events if e["event_type"] == "contract_activated"]) == 1


def test_expired_proposal_cannot_be_accepted(contracts):
    p = contracts.create_proposal(proposal(valid_until="2027-01-10"), OFFICER)
    contracts.at(date(2027, 1, 11))
    assert contracts.get_proposal(p["id"])["status"] == "expired"
    assert contracts.list_proposals({"status": "expired"})["items"][0]["id"] == p["id"]
    with pytest.raises(Conflict) as err:
        contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    assert err.value.details["state"] == "expired"
    assert contracts.list_contracts()["items"] == []


def _active(contracts, **extra):
    p = contracts.create_proposal(proposal(**extra), OFFICER)
    p = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    contracts.at(date.fromisoformat(p["start"]))
    contracts.scan_due()
    return contracts.get_contract(p["contract_id"])


def test_renewal_reminder_expiry_and_renewal(contracts):
    c = _active(contracts)
    contracts.at(date(2027, 12, 2))  # 60 days before 31 January 2028
    contracts.scan_due()
    due = [e for e in contracts.events if e["event_type"] == "contract_renewal_due"]
    assert len(due) == 1 and due[0]["due_date"] == "2028-01-31"
    assert [r["email"] for r in due[0]["recipients"]] == ["sozlesme@s.local", "rep@s.local"]
    listed = contracts.renewal_list({"end_from": "2028-01"})["items"]
    assert [x["number"] for x in listed] == [c["number"]]
    c = contracts.get_contract(c["id"])
    line = dict(listed[0])  # the list's line: the contract's own values, not all of them
    assert line.pop("customer") == {"id": 1, "name": "IŞIK Soğutma"}
    assert line == {k: c[k] for k in line} and line["renewal_notified"] is True
    renewal = contracts.renew_contract(c["id"], {"increase_percent": "44.38",
                                                 "version": c["version"]}, OFFICER)
    assert renewal["start"] == "2028-02-01" and renewal["end"] == "2029-01-31"
    assert renewal["unit_price"] == "1443.80" and renewal["renews_contract_id"] == c["id"]
    assert [d["device_id"] for d in renewal["devices"]] == [10, 11]
    new = contracts.decide_proposal(renewal["id"], {"decision": "accepted", "version": 1},
                                    OFFICER)
    assert contracts.get_contract(c["id"])["status"] == "renewed"
    assert contracts.get_contract(new["contract_id"])["status"] == "draft"


def test_expiry_after_the_end(contracts):
    c = _active(contracts, months=1)
    contracts.at(date(2027, 3, 1))
    contracts.scan_due()
    assert contracts.get_contract(c["id"])["status"] == "expired"
    expired = [e for e in contracts.events if e["event_type"] == "contract_expired"]
    assert expired[0]["contract"]["end"] == "2027-02-28"


def test_cancel_ends_cover_on_the_cancel_date_and_cannot_be_renewed(contracts):
    c = _active(contracts)
    with pytest.raises(ValidationFailed) as err:
        contracts.cancel_contract(c["id"], {"reason": "x", "end": "2029-01-01",
                                            "version": c["version"]}, OFFICER)
    assert "end" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        contracts.cancel_contract(c["id"], {"end": "2027-05-01", "version": c["version"]},
                                  OFFICER)
    assert "reason" in err.value.details
    done = contracts.cancel_contract(c["id"], {"reason": "Müşteri talebi", "end": "2027-05-31",
                                               "version": c["version"]}, OFFICER)
    assert done["status"] == "cancelled" and done["coverage_end"] == "2027-05-31"
    expired = [e for e in contracts.events if e["event_type"] == "contract_expired"]
    assert expired[0]["contract"]["end"] == "2027-05-31" and expired[0]["devices"] == [10, 11]
    with pytest.raises(Conflict):
        contracts.renew_contract(c["id"], {"increase_percent": "10",
                                           "version": done["version"]}, OFFICER)
    # the devices are free again after the cancel date
    later = contracts.create_proposal(proposal(start="2027-06-01"), OFFICER)
    assert later["status"] == "open"
    history = contracts.contract_history(c["id"])["items"]
    assert [h["to"] for h in history] == ["draft", "active", "cancelled"]


def test_the_signed_scan_by_content_and_size(contracts):
    import base64
    p = contracts.create_proposal(proposal(), OFFICER)
    p = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    png = b"\x89PNG\r\n\x1a\n" + b"imza" * 10
    for bad, message in ((base64.b64encode(b"GIF89a...").decode(),
                          "Not a PDF, JPEG or PNG file (by its content)."),
                         ("not base64!", "Not a file (base64 expected)."),
                         (base64.b64encode(b"%PDF-" + b"0" * (10 * 1024 * 1024)).decode(),
                          "At most 10 MB.")):
        with pytest.raises(ValidationFailed) as err:
            contracts.attach_signed_scan(p["id"], {"content_b64": bad, "version": 2}, OFFICER)
        assert err.value.details == {"file": [message]}
    assert contracts.get_proposal(p["id"])["signed_scan"] is None
    with pytest.raises(PreconditionRequired):
        contracts.attach_signed_scan(p["id"], {"content_b64": base64.b64encode(png).decode()},
                                     OFFICER)
    done = contracts.attach_signed_scan(p["id"], {"content_b64": base64.b64encode(png).decode(),
                                                  "filename": "imza.png", "version": 2},
                                        OFFICER)
    assert done["version"] == 3 and done["signed_scan"]["content_type"] == "image/png"
    got = contracts.get_signed_scan(p["id"])
    assert base64.b64decode(got["content_b64"]) == png and got["filename"] == "imza.png"

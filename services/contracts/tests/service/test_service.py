"""contracts with devices and forms on a real broker (SQLite and PostgreSQL), the chain
through events: a proposal of the customer's cards (and a new device), accepted into a draft,
activated by the due-date scanner on its start date (contracts' time injected by
CLOCK_OFFSET_FILE: a day behind, then today), the card's coverage says contract with its terms,
a repair form on it pays what the terms say and shows its service-level due times, renew,
cancel, and the cover ends on the cancel date; a replayed contract_activated changes nothing."""
from datetime import timedelta

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.exceptions import Conflict
from services.common.testing import eventually
from services.contracts.domain import local_date
from services.contracts.service import ContractsService
from services.devices.service import DevicesService
from services.forms.service import FormsService
from services.forms.tests.service.test_workflow import CONFIG, DESK, MANAGER, TECH, snap

OFFICER = {"id": 7, "name": "Sevgi Sözleşme", "role": "contracts", "email": "s@s.local"}
TERMS = {"pays": {"labour": True, "parts": True, "fee": False},
         "service_levels": {"response_hours": 4, "repair_hours": 16}}


@pytest.fixture
def clock_file(tmp_path):
    path = tmp_path / "clock-offset"
    path.write_text(str(-86400))  # contracts' today is yesterday
    return path


@pytest.fixture
def system(run_services, clock_file):
    return run_services(DevicesService, FormsService, ContractsService, **CONFIG,
                        CONTRACT_SCAN_SECONDS=0.3, CLOCK_OFFSET_FILE=str(clock_file))


def test_proposal_to_cover_a_form_on_it_renew_and_cancel(system, rpc, tap, clock_file,
                                                          amqp_uri):
    events = tap("contracts", "contract_activated", "contract_expired")
    customer = rpc.devices.create_customer({"name": "IŞIK Soğutma"})
    other = rpc.devices.create_customer({"name": "Çelik Makine"})
    d1 = rpc.devices.register_device({"customer_id": customer["id"], "brand": "Daikin",
                                      "serial": "DK-1"}, OFFICER)
    foreign = rpc.devices.register_device({"customer_id": other["id"], "brand": "Daikin",
                                           "serial": "DK-9"}, OFFICER)
    start = local_date()  # the real today: contracts' clock is a day behind
    data = {"customer_id": customer["id"], "start": start.isoformat(), "months": 12,
            "devices": [{"device_id": d1["id"]}, {"brand": "Bosch", "serial": "B-1"}],
            "unit_price": "1200.00", **TERMS}
    with pytest.raises(Conflict):  # another customer's card
        rpc.contracts.create_proposal({**data, "devices": [{"device_id": foreign["id"]}]},
                                      OFFICER)
    p = rpc.contracts.create_proposal(data, OFFICER)
    sent_events = tap("contracts", "proposal_sent")
    customer_mail = rpc.contracts.send_proposal(p["id"], {"email": "teklif@isik.example.com"},
                                                OFFICER)
    (sent,) = sent_events.wait(1)
    assert sent["document"] == {"service": "contracts", "id": customer_mail["id"]}
    eventually(lambda: rpc.contracts.proposal_documents(p["id"])[-1]["status"] == "issued")
    pdf = rpc.contracts.get_document(customer_mail["id"])  # what notify attaches
    assert pdf["content_type"] == "application/pdf" and pdf["filename"].startswith("TK-")
    p = rpc.contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    contract = rpc.contracts.get_contract(p["contract_id"])
    assert contract["status"] == "draft"
    new_card = rpc.devices.find_devices({"serial": "B-1"})["items"][0]
    assert new_card["customer_id"] == customer["id"]
    assert rpc.contracts.scan_due() == {"contracts": []}  # not its start date yet
    with pytest.raises(Conflict):  # the device is under this contract now
        rpc.contracts.create_proposal({**data, "devices": [{"device_id": d1["id"]}]}, OFFICER)

    clock_file.write_text("0")  # the start date has come: the scanner activates it
    eventually(lambda: rpc.contracts.get_contract(contract["id"])["status"] == "active")
    (event,) = events.wait(1)
    assert sorted(event["devices"]) == sorted([d1["id"], new_card["id"]])
    assert event["contract"]["pays"] == TERMS["pays"]
    eventually(lambda: rpc.devices.coverage(d1["id"])["coverage"]["kind"] == "contract")
    cover = rpc.devices.coverage(d1["id"])
    assert cover["coverage"]["source_id"] == contract["id"]
    assert cover["coverage"]["terms"] == TERMS and cover["periods"][0]["terms"] == TERMS

    event_dispatcher({"AMQP_URI": amqp_uri})("contracts", "contract_activated", event)
    (replayed,) = events.wait(1)  # the replay passes the tap too ...
    assert replayed["event_id"] == event["event_id"]

    # a repair form on the device: what the contract pays, its service-level due times
    form = rpc.forms.create_form({"customer_id": customer["id"], "device_id": d1["id"],
                                  "complaint": "Soğutmuyor"}, DESK)
    assert form["coverage"]["kind"] == "contract" and form["coverage"]["terms"] == TERMS
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": form["version"]},
                         MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": "500.00", "version": f["version"]},
                              MANAGER)
    f = rpc.forms.add_part(f["id"], {"name": "Kompresör", "quantity": 1,
                                     "unit_price": "1000.00", "version": f["version"]}, TECH)
    detail = rpc.forms.get_form_detail(f["id"])
    assert detail["coverage_pays"]["parts"] is True and detail["coverage_pays"]["fee"] is False
    assert detail["totals"]["covered"] == "1000.00" and detail["totals"]["subtotal"] == "500.00"
    levels = detail["service_levels"]
    assert levels["response"]["hours"] == 4 and levels["response"]["state"] == "met"
    assert levels["repair"]["hours"] == 16 and levels["repair"]["due_at"]

    # renew: a proposal for the next period, 25 % dearer
    contract = rpc.contracts.get_contract(contract["id"])
    renewal = rpc.contracts.renew_contract(contract["id"], {
        "increase_percent": "25", "version": contract["version"]}, OFFICER)
    assert renewal["unit_price"] == "1500.00" and renewal["renews_contract_id"] == contract["id"]

    # cancel: the cover ends on the cancel date (... and the replay changed nothing)
    contract = rpc.contracts.get_contract(contract["id"])
    end = start + timedelta(days=30)
    done = rpc.contracts.cancel_contract(contract["id"], {
        "reason": "Müşteri talebi", "end": end.isoformat(), "version": contract["version"]},
        OFFICER)
    assert done["status"] == "cancelled"
    (expired,) = events.wait(1)
    assert expired["event_type"] == "contract_expired"
    assert expired["contract"]["end"] == end.isoformat()
    after = (end + timedelta(days=1)).isoformat()
    eventually(lambda: rpc.devices.coverage(d1["id"], {"on": after})["coverage"]["kind"]
               == "none")
    cover = rpc.devices.coverage(d1["id"], {"on": end.isoformat()})
    assert cover["coverage"]["kind"] == "contract" and len(cover["periods"]) == 1

"""contracts with devices on a real broker (SQLite and PostgreSQL): a proposal of the
customer's cards, accepted, activated by the due-date scanner on its start date (time moved
by CLOCK_OFFSET_FILE), the cards' coverage from contract_activated, a cancel ending the cover
on the cancel date; a replayed contract_activated changes nothing."""
from datetime import date, timedelta

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.exceptions import Conflict
from services.common.testing import eventually
from services.contracts.service import ContractsService
from services.devices.service import DevicesService

OFFICER = {"id": 7, "name": "Sevgi Sözleşme", "role": "contracts", "email": "s@s.local"}


@pytest.fixture
def clock_file(tmp_path):
    path = tmp_path / "clock-offset"
    path.write_text("0")
    return path


@pytest.fixture
def system(run_services, clock_file):
    return run_services(DevicesService, ContractsService, CONTRACT_SCAN_SECONDS=0.3,
                        CLOCK_OFFSET_FILE=str(clock_file))


def test_proposal_to_cover_and_its_end(system, rpc, tap, clock_file, amqp_uri):
    activated = tap("contracts", "contract_activated", "contract_expired")
    customer = rpc.devices.create_customer({"name": "IŞIK Soğutma"})
    other = rpc.devices.create_customer({"name": "Çelik Makine"})
    d1 = rpc.devices.register_device({"customer_id": customer["id"], "brand": "Daikin",
                                      "serial": "DK-1"}, OFFICER)
    foreign = rpc.devices.register_device({"customer_id": other["id"], "brand": "Daikin",
                                           "serial": "DK-9"}, OFFICER)
    start = date.today() + timedelta(days=10)
    data = {"customer_id": customer["id"], "start": start.isoformat(), "months": 12,
            "devices": [{"device_id": d1["id"]}, {"brand": "Bosch", "serial": "B-1"}],
            "unit_price": "1200.00", "pays": {"labour": True, "parts": True, "fee": True},
            "service_levels": {"response_hours": 4, "repair_hours": 16}}
    with pytest.raises(Conflict):
        rpc.contracts.create_proposal({**data, "devices": [{"device_id": foreign["id"]}]},
                                      OFFICER)
    p = rpc.contracts.create_proposal(data, OFFICER)
    p = rpc.contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    contract = rpc.contracts.get_contract(p["contract_id"])
    assert contract["status"] == "draft"
    new_card = rpc.devices.find_devices({"serial": "B-1"})["items"][0]
    assert new_card["customer_id"] == customer["id"]

    clock_file.write_text(str(10 * 86400))  # the start date has come: the scanner acts
    eventually(lambda: rpc.contracts.get_contract(contract["id"])["status"] == "active")
    (event,) = activated.wait(1)
    assert sorted(event["devices"]) == sorted([d1["id"], new_card["id"]])
    on = start.isoformat()
    eventually(lambda: rpc.devices.coverage(d1["id"], {"on": on})["coverage"]["kind"]
               == "contract")
    cover = rpc.devices.coverage(d1["id"], {"on": on})
    assert cover["coverage"]["source_id"] == contract["id"] and len(cover["periods"]) == 1

    event_dispatcher({"AMQP_URI": amqp_uri})("contracts", "contract_activated", event)
    contract = rpc.contracts.get_contract(contract["id"])
    end = start + timedelta(days=30)
    done = rpc.contracts.cancel_contract(contract["id"], {
        "reason": "Müşteri talebi", "end": end.isoformat(), "version": contract["version"]},
        OFFICER)
    assert done["status"] == "cancelled"
    replayed, expired = activated.wait(2)  # the replay passes the tap too
    assert replayed["event_id"] == event["event_id"]
    assert expired["contract"]["end"] == end.isoformat()
    after = (end + timedelta(days=1)).isoformat()
    eventually(lambda: rpc.devices.coverage(d1["id"], {"on": after})["coverage"]["kind"]
               == "none")
    cover = rpc.devices.coverage(d1["id"], {"on": end.isoformat()})
    assert cover["coverage"]["kind"] == "contract" and len(cover["periods"]) == 1

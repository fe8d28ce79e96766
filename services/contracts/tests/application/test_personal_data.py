"""contracts' `personal_data` (KVKK export) on a real database: a customer's proposals, the
contract made of one, its devices, history, schedule and documents; nothing of another
customer's."""
import json

import pytest

from services.common.exceptions import ValidationFailed
from services.contracts.tests.application.test_contracts_app import (OFFICER,  # noqa: F401
                                                                     contracts, proposal)


def test_the_customers_proposals_and_contracts(contracts):  # noqa: F811
    p = contracts.create_proposal(proposal(), OFFICER)
    decided = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1},
                                        OFFICER)
    other = contracts.create_proposal(proposal(customer_id=2, devices=[{"device_id": 20}]),
                                      OFFICER)
    held = contracts.personal_data(1)
    assert [x["number"] for x in held["proposals"]] == [p["number"]]
    assert [c["id"] for c in held["contracts"]] == [decided["contract_id"]]
    assert held["contracts"][0]["customer_name"] == "IŞIK Soğutma"
    assert {d["serial"] for d in held["proposal_devices"]} == {"SN-10", "SN-11"}
    assert {d["contract_id"] for d in held["contract_devices"]} == {decided["contract_id"]}
    assert {d["subject"] for d in held["documents"]} <= {"proposal", "contract"}
    assert all("storage_key" not in d for d in held["documents"])
    text = json.dumps(held, ensure_ascii=False)
    assert other["number"] not in text and "Çelik Makine" not in text
    assert contracts.personal_data(2)["proposals"][0]["number"] == other["number"]


def test_a_bad_id_is_a_422(contracts):  # noqa: F811
    with pytest.raises(ValidationFailed):
        contracts.personal_data("1; drop")

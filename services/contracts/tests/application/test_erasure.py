"""contracts' KVKK erasure (`customer_erased`) on a real database: proposals and contracts
keep numbers, periods and amounts; the customer's name and address are gone from every table
(and on SQLite from the file and its WAL)."""
import json

from services.common.erasure import MARKER
from services.common.events import make_event
from services.common.testing import file_holds, strings_held
from services.contracts.tests.application.test_contracts_app import (OFFICER,  # noqa: F401
                                                                     contracts, proposal)

NEEDLES = ("IŞIK Soğutma", "isik@example.com")


def test_the_contracts_keep_their_figures_and_lose_the_person(contracts):  # noqa: F811
    p = contracts.create_proposal(proposal(note="Yetkili: IŞIK Soğutma, isik@example.com"),
                                  OFFICER)
    decided = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1},
                                        OFFICER)
    other = contracts.create_proposal(proposal(customer_id=2, devices=[{"device_id": 20}]),
                                      OFFICER)
    engine = contracts.db.get_bind()
    assert strings_held(engine, NEEDLES)
    was = contracts.get_contract(decided["contract_id"])
    contracts.handle_customer_erased(json.loads(json.dumps(make_event(
        "customer_erased", "devices", {"customer_id": 1, "marker": MARKER,
                                       "personal": list(NEEDLES), "form_ids": [],
                                       "contract_ids": [decided["contract_id"]]}))))
    now = contracts.get_contract(decided["contract_id"])
    assert (now["number"], now["start"], now["end"], now["total"]) == (
        was["number"], was["start"], was["end"], was["total"])
    assert now["customer"]["name"] == MARKER
    assert contracts.get_proposal(other["id"])["customer"]["name"] == "Çelik Makine"
    assert strings_held(engine, NEEDLES) == []
    assert file_holds(str(engine.url), NEEDLES) == []


def test_a_contact_persons_erasure_keeps_the_customer(contracts):  # noqa: F811
    contact = ("Can Özdemir", "can.oz@example.com")
    p = contracts.create_proposal(proposal(note="Yetkili: Can Özdemir, can.oz@example.com"),
                                  OFFICER)
    engine = contracts.db.get_bind()
    assert strings_held(engine, contact)
    contracts.handle_contact_erased(json.loads(json.dumps(make_event(
        "contact_erased", "devices", {"customer_id": 1, "contact_id": 3, "marker": MARKER,
                                      "personal": list(contact)}))))
    now = contracts.get_proposal(p["id"])
    assert now["note"] == f"Yetkili: {MARKER}, {MARKER}"
    assert now["customer"]["name"] == p["customer"]["name"] != MARKER
    assert strings_held(engine, contact) == []
    assert file_holds(str(engine.url), contact) == []

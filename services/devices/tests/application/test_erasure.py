"""devices' KVKK erasure on a real database (SQLite and PostgreSQL): the customer's card,
contacts and sites lose the person's data, every other copy in devices' tables (a card's
history, an earlier event in the outbox) is scrubbed, `customer_erased` carries what to
replace to the others, and a scan of every table — and on SQLite of the database file and its
WAL — finds none of the person's name, e-mail or phone."""
import json

import pytest

from services.common.erasure import MARKER
from services.common.exceptions import Conflict, NotFound
from services.common.events import make_event
from services.common.outbox import add_event
from services.common.testing import file_holds, strings_held
from services.devices.tests.application.test_access import ADMIN, devices  # noqa: F401

NAME, EMAIL, PHONE = "Ayşe Yılmazoğlu", "ayse.yilmaz@example.com", "0532 111 22 33"
NEEDLES = (NAME, EMAIL, PHONE, "Can Özdemir", "can.oz@example.com")


def _customer(devices):  # noqa: F811
    customer = devices.create_customer({
        "name": NAME, "email": EMAIL, "phone": PHONE, "address": "Bağdat Cd. No 5",
        "tax_no": "12345678901", "contacts": [{"name": "Can Özdemir",
                                               "email": "can.oz@example.com"}],
        "sites": [{"name": "Ev", "address": "Moda Sk. 3"}]})
    card = devices.register_device({"customer_id": customer["id"], "brand": "Bosch",
                                    "serial": "ER-1", "price": "999.90"}, ADMIN)
    devices.update_device(card["id"], {"notes": f"{NAME} arar: {PHONE}",
                                       "version": card["version"]}, ADMIN)
    # the events devices sent about the customer, as its outbox keeps them
    add_event(devices.db, "devices", "customer_created", {"customer": {
        "id": customer["id"], "name": NAME, "email": EMAIL, "language": "tr", "tax_no": None,
        "rep": None, "version": 1}})
    devices.db.commit()
    return customer, card


def test_the_customer_and_every_copy_in_devices_are_erased(devices, database_url):  # noqa: F811
    customer, card = _customer(devices)
    other = devices.create_customer({"name": "Başka Ltd", "email": "b@example.com"})
    engine = devices.db.get_bind()
    assert len(strings_held(engine, NEEDLES)) > 5  # the scan sees them before
    if engine.dialect.name == "sqlite":
        assert file_holds(str(engine.url), NEEDLES)
    out = devices.erase_customer(customer["id"], {"personal": ["eski.adres@example.com"],
                                                  "form_ids": [11], "contract_ids": [5]}, ADMIN)
    assert out["marker"] == MARKER
    erased = devices.get_customer(customer["id"])
    assert erased["name"] == MARKER and erased["email"] is None and erased["phone"] is None
    assert erased["contacts"][0]["name"] == MARKER and erased["contacts"][0]["email"] is None
    assert devices.get_device(card["id"])["price"] == "999.90"  # the card stays
    assert devices.get_customer(other["id"])["name"] == "Başka Ltd"
    (event,) = devices.outbox.of("customer_erased")
    assert {NAME, EMAIL, PHONE, "Can Özdemir", "eski.adres@example.com", "12345678901",
            "Bağdat Cd. No 5", "Moda Sk. 3"} <= set(event["personal"])
    assert (event["form_ids"], event["contract_ids"], event["by"]["user_id"]) == (
        [11], [5], ADMIN["id"])
    assert strings_held(engine, NEEDLES) == []
    assert file_holds(str(engine.url), NEEDLES) == []


def test_its_own_event_scrubs_the_outbox_row_that_carried_it(devices):  # noqa: F811
    customer, _ = _customer(devices)
    devices.erase_customer(customer["id"], {"personal": []}, ADMIN)
    (event,) = devices.outbox.of("customer_erased")
    # the real outbox keeps the event (its `personal` blanked once the relay published it)
    add_event(devices.db, "devices", "customer_erased", {
        k: v for k, v in event.items() if k in ("customer_id", "marker", "personal",
                                                 "form_ids", "contract_ids", "by")})
    devices.db.commit()
    engine = devices.db.get_bind()
    assert strings_held(engine, NEEDLES)  # the event's own row names the person
    message = json.loads(json.dumps(make_event("customer_erased", "devices", {
        k: v for k, v in event.items() if k in ("customer_id", "marker", "personal",
                                                 "form_ids", "contract_ids", "by")})))
    devices.handle_customer_erased(message)
    assert strings_held(engine, NEEDLES) == []
    assert file_holds(str(engine.url), NEEDLES) == []


# -- a contact person ------------------------------------------------------------------------
CONTACT = ("Can Özdemir", "can.oz@example.com", "0533 444 55 66")


def test_a_contact_persons_erasure_keeps_the_customer(devices):  # noqa: F811
    customer = devices.create_customer({
        "name": NAME, "email": EMAIL, "phone": PHONE, "contacts": [
            {"name": CONTACT[0], "title": "Müdür", "email": CONTACT[1], "phone": CONTACT[2]},
            {"name": "Ela Kaya", "email": EMAIL}]})  # shares the customer's e-mail
    card = devices.register_device({"customer_id": customer["id"], "brand": "Bosch",
                                    "serial": "ER-2"}, ADMIN)
    devices.update_device(card["id"], {"notes": f"{CONTACT[0]} arar: {CONTACT[2]}",
                                       "version": card["version"]}, ADMIN)
    contact_id = customer["contacts"][0]["id"]
    engine = devices.db.get_bind()
    assert strings_held(engine, CONTACT)
    out = devices.erase_contact(customer["id"], contact_id, {"personal": []}, ADMIN)
    assert (out["contact_id"], out["marker"]) == (contact_id, MARKER)
    now = devices.get_customer(customer["id"])
    assert (now["name"], now["email"], now["phone"]) == (NAME, EMAIL, PHONE)
    first, second = sorted(now["contacts"], key=lambda c: c["id"])
    assert (first["name"], first["title"], first["email"], first["phone"]) == (
        MARKER, None, None, None)
    assert (second["name"], second["email"]) == ("Ela Kaya", EMAIL)
    assert devices.get_device(card["id"])["notes"] == f"{MARKER} arar: {MARKER}"
    (event,) = devices.outbox.of("contact_erased")
    assert set(event["personal"]) == set(CONTACT)  # not the customer's shared e-mail
    assert (event["customer_id"], event["contact_id"], event["by"]["user_id"]) == (
        customer["id"], contact_id, ADMIN["id"])
    # its own event, once published, scrubs the outbox row that carried it
    add_event(devices.db, "devices", "contact_erased", {
        k: v for k, v in event.items() if k in ("customer_id", "contact_id", "marker",
                                                 "personal", "by")})
    devices.db.commit()
    assert strings_held(engine, CONTACT)
    devices.handle_contact_erased(json.loads(json.dumps(make_event("contact_erased", "devices", {
        k: v for k, v in event.items() if k in ("customer_id", "contact_id", "marker",
                                                 "personal", "by")}))))
    assert strings_held(engine, CONTACT) == []
    assert file_holds(str(engine.url), CONTACT) == []
    assert set(strings_held(engine, (NAME, EMAIL, PHONE)))  # the customer's data stays


def test_an_unknown_contact_is_404_and_nothing_changes(devices):  # noqa: F811
    customer = devices.create_customer({"name": NAME, "contacts": [{"name": CONTACT[0]}]})
    other = devices.create_customer({"name": "Başka Ltd", "contacts": [{"name": "Deniz Ak"}]})
    for customer_id, contact_id in ((customer["id"], other["contacts"][0]["id"]),
                                    (customer["id"], "x"), (999, 1)):
        with pytest.raises(NotFound):
            devices.erase_contact(customer_id, contact_id, {}, ADMIN)
    assert devices.outbox.of("contact_erased") == []
    assert devices.get_customer(other["id"])["contacts"][0]["name"] == "Deniz Ak"


def test_no_form_opens_for_an_erased_customer(devices):  # noqa: F811
    """The open-form check runs in the gateway before the erasure; devices' commit of the
    erasure is the line after which no form can be opened: resolve_intake (every new form's
    first step, in forms' open path) refuses the erased customer with a 409."""
    customer, card = _customer(devices)
    assert devices.resolve_intake({"customer_id": customer["id"], "device_id": card["id"]})
    devices.erase_customer(customer["id"], {"personal": []}, ADMIN)
    for intake in ({"customer_id": customer["id"], "device_id": card["id"]},
                   {"customer_id": customer["id"], "device": {"brand": "Arçelik",
                                                              "serial": "NEW-1"}}):
        with pytest.raises(Conflict) as refused:
            devices.resolve_intake(intake)
        assert refused.value.details == {"customer_id": customer["id"]}
    assert devices.get_device(card["id"])["serial"] == "ER-1"
    assert strings_held(devices.db.get_bind(), ("NEW-1",)) == []  # nothing registered

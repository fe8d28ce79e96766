"""forms' KVKK erasure (`customer_erased`) on a real database (SQLite and PostgreSQL): the
customer's forms keep their numbers, dates and totals; their copies of the person's name and
address and every other mention (a complaint, the outbox) are gone from every table and, on
SQLite, from the database file and its WAL."""
import json

from services.common.erasure import MARKER
from services.common.events import make_event
from services.common.outbox import add_event
from services.common.testing import file_holds, strings_held
from services.forms.tests.application.test_forms_app import (DESK, MANAGER,  # noqa: F401
                                                             deliver, forms, open_form, rpc)

NAME, EMAIL, PHONE = "Ayşe Yılmazoğlu", "ayse.yilmaz@example.com", "0532 111 22 33"
NEEDLES = (NAME, EMAIL, PHONE)


def _erased(customer_id, form_ids):
    return json.loads(json.dumps(make_event("customer_erased", "devices", {
        "customer_id": customer_id, "marker": MARKER, "personal": list(NEEDLES),
        "form_ids": form_ids, "contract_ids": [], "by": {"user_id": 1, "name": "Admin"}})))


def test_the_forms_keep_numbers_and_totals_and_lose_the_person(rpc):  # noqa: F811
    app = rpc.forms
    first = app.create_form({"customer_id": 1, "complaint": f"Çalışmıyor, {NAME} arayın "
                                                            f"{PHONE}",
                             "device": {"brand": "Daikin", "serial": "KV-1"}}, DESK,
                            customer_name=NAME, customer_email=EMAIL)
    second = deliver(rpc, app.create_form({"customer_id": 1, "complaint": "Soğutmuyor",
                                           "device": {"brand": "Daikin", "serial": "KV-2"}},
                                          DESK, customer_name=NAME, customer_email=EMAIL),
                     fee="250.00")
    other = open_form(rpc, "Başka Müşteri", "KV-3")
    add_event(app.db, "forms", "customer_updated", {"customer": {
        "id": first["customer_id"], "name": NAME, "email": EMAIL, "language": "tr",
        "tax_no": None, "rep": None, "version": 1}})
    app.db.commit()
    engine = app.db.get_bind()
    assert strings_held(engine, NEEDLES)
    before = {f["id"]: app.get_form(f["id"]) for f in (first, second)}
    app.handle_customer_erased(_erased(first["customer_id"], [first["id"], second["id"]]))
    for form_id, was in before.items():
        now = app.get_form(form_id)
        assert (now["number"], now["created_at"], now["totals"], now["status"]) == (
            was["number"], was["created_at"], was["totals"], was["status"])
        assert now["customer_name"] == MARKER
    assert app.get_form(second["id"])["totals"]["gross"] != "0.00"
    assert app.get_form(other["id"])["customer_name"] == "Başka Müşteri"
    assert MARKER in app.get_form(first["id"])["complaint"]
    assert strings_held(engine, NEEDLES) == []
    assert file_holds(str(engine.url), NEEDLES) == []
    # a second delivery of the event changes nothing more and fails nothing
    app.handle_customer_erased(_erased(first["customer_id"], [first["id"]]))


def test_a_contact_persons_erasure_scrubs_their_strings_and_keeps_the_customer(rpc):  # noqa: F811
    app = rpc.forms
    contact = ("Can Özdemir", "0533 444 55 66")
    form = app.create_form({"customer_id": 1, "complaint": "Yetkili Can Özdemir, 0533 444 55 66",
                            "device": {"brand": "Daikin", "serial": "KV-9"}}, DESK,
                           customer_name=NAME, customer_email=EMAIL)
    engine = app.db.get_bind()
    assert strings_held(engine, contact) and strings_held(engine, (EMAIL,))
    app.handle_contact_erased(json.loads(json.dumps(make_event("contact_erased", "devices", {
        "customer_id": 1, "contact_id": 3, "marker": MARKER, "personal": list(contact)}))))
    now = app.get_form(form["id"])
    assert now["complaint"] == f"Yetkili {MARKER}, {MARKER}"
    assert (now["number"], now["customer_name"]) == (form["number"], NAME)
    assert strings_held(engine, contact) == []
    assert strings_held(engine, (EMAIL,))  # the customer's own stays
    assert file_holds(str(engine.url), contact) == []

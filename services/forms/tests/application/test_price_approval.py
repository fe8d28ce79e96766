"""The price approval (fiyat onay formu) in forms' application layer, on a real database
(SQLite, and PostgreSQL when one answers) with a recording outbox and a clock the test moves:
the estimate sent (from the form or from typed lines) moves the form and e-mails a one-time
link; the decision by the link or by phone moves the form on as the system; a used, expired,
withdrawn or forged link says which and changes nothing; a rejected estimate returns the
device unrepaired — the diagnosis fee alone, no repair warranty."""
import dataclasses
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from services.common.clock import FixedClock
from services.common.exceptions import (Conflict, Forbidden, Gone, PreconditionRequired,
                                        ValidationFailed)
from services.forms.models import PriceApproval
from services.forms.tests.application.test_forms_app import (  # noqa: F401 (a fixture)
    DESK, MANAGER, TECH, forms)
from services.forms.tests.service.test_workflow import snap

CLIENT = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (Linux; Android 14) Telefon"}


@pytest.fixture
def app(forms):
    made = forms(DIAGNOSIS_FEE="150", PRICE_APPROVAL_DAYS="7", VAT_RATE="20",
                 LABOUR_HOURLY_RATE="600", PUBLIC_BASE_URL="https://servis.example.com")
    made.clock = FixedClock()
    made.service.settings = dataclasses.replace(made.service.settings, clock=made.clock)
    return made


def diagnosed(app, serial="SN-1", email="musteri@example.com"):
    """A form in DIAGNOSIS with an hour's work, a part and a fee: 600 + 400 + 100."""
    form = app.create_form({"customer_id": 1, "complaint": "Soğutmuyor",
                            "device": {"brand": "Daikin", "serial": serial}}, DESK,
                           customer_name="Çağlar Işık", customer_email=email)
    f = app.assign(form["id"], {"assignees": [snap(TECH)], "version": form["version"]}, MANAGER)
    f = app.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = app.update_work(f["id"], {"diagnosis": "Kompresör yanmış", "service_fee": "100",
                                  "version": f["version"]}, MANAGER)
    f = app.add_work_log(f["id"], {"minutes": 60, "version": f["version"]}, TECH)
    return app.add_part(f["id"], {"name": "Kompresör", "quantity": "1", "unit_price": "400",
                                  "version": f["version"]}, TECH)


def send(app, form, **body):
    return app.send_price_approval(form["id"], {"version": form["version"], **body}, MANAGER)


def token_of(app, n=-1):
    url = app.service.outbox.of("price_approval_requested")[n]["approval_url"]
    assert url.startswith("https://servis.example.com/approve/")
    return url.rsplit("/", 1)[1]


def test_the_estimate_sent_and_approved_by_its_link(app):
    form = diagnosed(app)
    f = send(app, form, note="Parça 2 günde gelir.")
    assert f["status"] == "AWAITING_APPROVAL" and f["version"] == form["version"] + 1
    [requested] = app.service.outbox.of("price_approval_requested")
    assert requested["customer"] == {"name": "Çağlar Işık", "email": "musteri@example.com",
                                     "language": "tr"}
    assert requested["total"] == "1320.00" and requested["estimate_version"] == 1
    assert requested["expires_at"] == (app.clock.now() + timedelta(days=7)).isoformat()
    approval = f["price_approval"]
    assert approval["state"] == "pending" and approval["waiting"]
    [v1] = approval["versions"]
    assert v1["estimate"]["source"] == "form" and v1["total"] == "1320.00"
    assert [line["kind"] for line in v1["estimate"]["lines"]] == ["labour", "part", "fee"]
    docs = app.list_documents(form["id"])
    assert [d["kind"] for d in docs] == ["intake_slip", "price_approval"]
    assert requested["document"] == {"service": "forms", "id": docs[1]["id"]}
    assert docs[1]["number"] == f["number"] + "-FO1"

    # only the token's hash is kept
    token = token_of(app)
    rows = app.service.db.execute(text("SELECT * FROM price_approvals")).all()
    assert token not in repr(rows) and rows[0].token_hash != token

    page = app.price_approval_by_link(token)
    assert page["form"]["number"] == f["number"] and page["total"] == "1320.00"
    assert page["estimate"]["note"] == "Parça 2 günde gelir."
    assert page["form"]["diagnosis"] == "Kompresör yanmış"

    decided = app.decide_price_approval(token, {"decision": "approved", "note": "Tamam"},
                                        CLIENT)
    assert decided["decision"] == "approved"
    after = app.get_form_detail(form["id"])
    assert after["status"] == "IN_REPAIR" and after["version"] == f["version"] + 1
    [v1] = after["price_approval"]["versions"]
    assert v1["state"] == "approved"
    assert v1["decision"]["via"] == "link" and v1["decision"]["ip"] == CLIENT["ip"]
    assert v1["decision"]["user_agent"] == CLIENT["user_agent"]
    assert v1["decision"]["note"] == "Tamam"
    [event] = app.service.outbox.of("price_approval_decided")
    assert event["decision"] == "approved" and event["via"] == "link"
    assert event["by"] == {"customer_id": 1, "name": "Çağlar Işık", "user_id": None}
    assert event["recipients"] == [{"name": MANAGER["name"], "email": MANAGER["email"],
                                    "language": "tr"}]
    moved = app.service.outbox.of("form_status_changed")[-1]
    assert (moved["from"], moved["to"], moved["by"]) == ("AWAITING_APPROVAL", "IN_REPAIR", None)

    # used: the link says so, and nothing changes
    for again in (lambda: app.price_approval_by_link(token),
                  lambda: app.decide_price_approval(token, {"decision": "rejected"}, CLIENT)):
        with pytest.raises(Gone) as exc:
            again()
        assert exc.value.details == {"reason": "used"}
    assert app.get_form(form["id"])["version"] == after["version"]
    assert len(app.service.outbox.of("price_approval_decided")) == 1


def test_rejected_the_device_is_returned_unrepaired_for_the_diagnosis_fee(app):
    form = diagnosed(app)
    f = send(app, form)
    app.decide_price_approval(token_of(app), {"decision": "rejected", "note": "Pahalı"}, CLIENT)
    f = app.get_form_detail(form["id"])
    assert (f["status"], f["sub_status"], f["unrepaired"]) == ("REPAIRED", "unrepaired", True)
    # only the diagnosis fee (150) and its VAT, whatever the work and parts were
    assert f["totals"] == {"labour": "0.00", "parts": "0.00", "service_fee": "150.00",
                           "gross": "150.00", "covered": "0.00", "subtotal": "150.00",
                           "discount": "0.00", "vat": "30.00", "total": "180.00",
                           "currency": "TRY"}
    assert f["work_minutes"] == 60  # the work stays recorded
    f = app.transition(f["id"], {"to": "DELIVERED", "version": f["version"]}, DESK)
    assert f["repair_warranty"]["end"] is None and f["totals"]["total"] == "180.00"
    [completed] = app.service.outbox.of("form_completed")
    assert completed["repair_warranty"] is None and completed["totals"]["total"] == "180.00"
    assert completed["form"]["parts"] == []
    history = app.form_history(form["id"], {})["items"]
    assert any(h["to"] == "REPAIRED" and "Fiyat reddedildi" in h["note"] for h in history)


def test_returned_unrepaired_then_repaired_after_all_bills_the_repair(app):
    form = diagnosed(app)
    send(app, form)
    app.decide_price_approval(token_of(app), {"decision": "rejected"}, CLIENT)
    f = app.get_form(form["id"])
    f = app.transition(f["id"], {"to": "IN_REPAIR", "version": f["version"]}, TECH)
    assert not f["unrepaired"] and f["totals"]["total"] == "1320.00"


def test_a_new_estimate_withdraws_the_old_link_and_lines_typed_make_their_totals(app):
    form = diagnosed(app)
    f = send(app, form)
    old = token_of(app)
    f = send(app, f, lines=[
        {"kind": "labour", "name": "Kompresör değişimi", "quantity": "1.5",
         "unit_price": "600"},
        {"kind": "part", "name": "Kompresör", "code": "K-9", "quantity": "1",
         "unit_price": "3999.99"},
        {"kind": "fee", "name": "Yol", "unit_price": "100"}], discount_percent="10")
    assert f["status"] == "AWAITING_APPROVAL"
    new = token_of(app)
    [v2, v1] = f["price_approval"]["versions"]
    assert (v2["version"], v2["state"], v1["state"]) == (2, "pending", "voided")
    assert v1["voided"]["reason"] == "new_estimate"
    # 900 + 3999.99 + 100 = 4999.99; 10% = 500.00; VAT 20% of 4499.99 = 900.00
    assert v2["estimate"]["totals"]["gross"] == "4999.99"
    assert v2["estimate"]["totals"]["discount"] == "500.00"
    assert v2["total"] == "5399.99"
    with pytest.raises(Gone) as exc:
        app.decide_price_approval(old, {"decision": "approved"}, CLIENT)
    assert exc.value.details == {"reason": "voided"}
    assert app.get_form(form["id"])["status"] == "AWAITING_APPROVAL"
    assert app.price_approval_by_link(new)["version"] == 2


def test_an_expired_link_changes_nothing_and_a_phone_decision_still_counts(app):
    form = diagnosed(app)
    f = send(app, form)
    token = token_of(app)
    app.clock.at += timedelta(days=7)  # valid for 7 days: at the 7th day's end, it is over
    for call in (lambda: app.price_approval_by_link(token),
                 lambda: app.decide_price_approval(token, {"decision": "approved"}, CLIENT)):
        with pytest.raises(Gone) as exc:
            call()
        assert exc.value.details == {"reason": "expired"}
    f = app.get_form_detail(form["id"])
    assert f["status"] == "AWAITING_APPROVAL" and f["price_approval"]["state"] == "expired"
    assert f["price_approval"]["waiting"]
    f = app.record_price_decision(form["id"], {
        "decision": "approved", "customer_name": "Ahmet Işık (satın alma)",
        "taken_by": "Şule Santral", "version": f["version"]}, MANAGER)
    assert f["status"] == "IN_REPAIR"
    [v1] = f["price_approval"]["versions"]
    decision = v1["decision"]
    assert (decision["via"], decision["customer_name"], decision["taken_by"]) == (
        "phone", "Ahmet Işık (satın alma)", "Şule Santral")
    assert decision["recorded_by"] == {"user_id": MANAGER["id"], "name": MANAGER["name"]}
    [event] = app.service.outbox.of("price_approval_decided")
    assert event["via"] == "phone" and event["by"]["user_id"] == MANAGER["id"]
    assert event["recipients"] == []  # the manager who sent it recorded it


def test_forged_and_malformed_tokens_say_not_valid(app):
    form = diagnosed(app)
    send(app, form)
    real = token_of(app)
    for token in ("A" * 43, real[:-1] + ("B" if real[-1] != "B" else "C"), "kısa", "",
                  "x" * 500, "../../etc/passwd", None, 5):
        with pytest.raises(Gone) as exc:
            app.price_approval_by_link(token)
        assert exc.value.details == {"reason": "invalid"}
    assert app.get_form(form["id"])["status"] == "AWAITING_APPROVAL"


def test_leaving_awaiting_approval_without_a_decision_withdraws_the_link(app):
    form = diagnosed(app)
    f = send(app, form)
    f = app.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"],
                                 "note": "Fiyat yeniden"}, MANAGER)
    with pytest.raises(Gone) as exc:
        app.decide_price_approval(token_of(app), {"decision": "approved"}, CLIENT)
    assert exc.value.details == {"reason": "voided"}
    assert app.get_form_detail(f["id"])["price_approval"]["versions"][0]["voided"][
        "reason"] == "moved"
    assert app.get_form(f["id"])["status"] == "DIAGNOSIS"


def test_who_may_send_and_the_version_contract(app):
    form = diagnosed(app)
    with pytest.raises(Forbidden):
        app.send_price_approval(form["id"], {"version": form["version"]}, TECH)
    with pytest.raises(PreconditionRequired):
        app.send_price_approval(form["id"], {}, MANAGER)
    with pytest.raises(Conflict):
        app.send_price_approval(form["id"], {"version": form["version"] - 1}, MANAGER)
    with pytest.raises(Conflict) as exc:  # the lifecycle's way there is sending an estimate
        app.transition(form["id"], {"to": "AWAITING_APPROVAL", "version": form["version"]},
                       MANAGER)
    assert "price-approval" in exc.value.message
    assert "AWAITING_APPROVAL" not in [m["to"] for m in app.get_form_detail(
        form["id"], MANAGER)["allowed_transitions"]]
    with pytest.raises(ValidationFailed):
        send(app, form, discount_amount="10")  # a discount of its own needs lines
    with pytest.raises(Conflict):  # no decision waits
        app.record_price_decision(form["id"], {"decision": "approved", "customer_name": "X",
                                               "version": form["version"]}, MANAGER)
    with pytest.raises(Forbidden):
        app.record_price_decision(form["id"], {"decision": "approved", "customer_name": "X",
                                               "version": form["version"]}, TECH)
    fresh = app.create_form({"customer_id": 1, "complaint": "Ses",
                             "device": {"brand": "Daikin", "serial": "SN-9"}}, DESK)
    f = app.assign(fresh["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    with pytest.raises(Conflict):  # ASSIGNED: no such move
        send(app, f)
    f = app.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    with pytest.raises(Conflict):  # nothing on the form to estimate, no lines
        send(app, f)


def test_a_rejection_recorded_by_phone_needs_the_customers_name_and_a_sane_time(app):
    form = diagnosed(app)
    f = send(app, form)
    with pytest.raises(ValidationFailed):
        app.record_price_decision(form["id"], {"decision": "rejected", "customer_name": " ",
                                               "version": f["version"]}, MANAGER)
    with pytest.raises(ValidationFailed):  # before it was sent
        app.record_price_decision(form["id"], {
            "decision": "rejected", "customer_name": "Ayşe", "version": f["version"],
            "decided_at": (app.clock.now() - timedelta(days=1)).isoformat()}, MANAGER)
    f = app.record_price_decision(form["id"], {
        "decision": "rejected", "customer_name": "Ayşe", "version": f["version"],
        "decided_at": app.clock.now().isoformat()}, {**MANAGER, "id": 99})
    assert (f["status"], f["sub_status"]) == ("REPAIRED", "unrepaired")
    [event] = app.service.outbox.of("price_approval_decided")
    assert event["recipients"][0]["email"] == MANAGER["email"]  # another manager recorded it


def test_a_customer_without_an_address_gets_the_estimate_by_phone(app):
    form = diagnosed(app, email=None)
    f = send(app, form)
    [v1] = f["price_approval"]["versions"]
    assert v1["emailed_to"] is None and f["price_approval"]["waiting"]
    rows = app.service.db.scalars(select(PriceApproval)).all()
    assert len(rows) == 1 and json.loads(rows[0].estimate)["totals"]["total"] == "1320.00"
    assert Decimal(rows[0].total) == Decimal("1320.00")

"""A form on a device under a maintenance contract (issue 17): what the contract pays comes
from the contract's own terms (devices' coverage answer carries them), the global
COVERAGE_PAYS stays the default for warranties and for contract periods without terms; the
contract's service levels give the form its due times in working hours, flagged when
breached."""
from datetime import timedelta

from services.forms.tests.application.test_forms_app import forms  # noqa: F401 (fixture)
from services.forms.tests.service.test_workflow import DESK, MANAGER, TECH, snap

TERMS = {"pays": {"labour": True, "parts": True, "fee": False},
         "service_levels": {"response_hours": 4, "repair_hours": 16}}


def cover(terms):
    return {"kind": "contract", "start": "2027-01-01", "end": "2027-12-31", "source_id": 5,
            "reason": {"tr": "Bakım sözleşmesi", "en": "Maintenance contract"},
            "terms": terms}


def _repaired(app, form, fee="500.00"):
    f = app.assign(form["id"], {"assignees": [snap(TECH)], "version": form["version"]},
                   MANAGER)
    f = app.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = app.update_work(f["id"], {"service_fee": fee, "version": f["version"]}, MANAGER)
    f = app.add_work_log(f["id"], {"minutes": 60, "version": f["version"]}, TECH)
    f = app.add_part(f["id"], {"name": "Kompresör", "quantity": 1, "unit_price": "1000.00",
                               "version": f["version"]}, TECH)
    return app.get_form_detail(f["id"])


def test_a_contract_pays_what_its_terms_say(forms):  # noqa: F811
    app = forms()
    with_terms = app.create_form({"customer_id": 1, "complaint": "Soğutmuyor", "device": {
        "brand": "Daikin", "serial": "SN-1"}}, DESK, coverage=cover(TERMS))
    assert with_terms["coverage"]["terms"] == TERMS
    f = _repaired(app, with_terms)
    assert f["coverage_pays"]["parts"] is True and f["coverage_pays"]["fee"] is False
    # labour 600 (CONFIG's rate) and the part are covered; the fee is the customer's
    assert f["totals"]["covered"] == "1600.00" and f["totals"]["subtotal"] == "500.00"

    default = app.create_form({"customer_id": 1, "complaint": "Soğutmuyor", "device": {
        "brand": "Daikin", "serial": "SN-2"}}, DESK, coverage=cover(None))
    d = _repaired(app, default)
    assert d["coverage_pays"]["parts"] is False and d["coverage_pays"]["fee"] is True
    assert d["totals"]["covered"] == "1100.00"  # labour and fee; the part is the customer's
    assert d["service_levels"] is None


def test_service_level_due_times_and_a_breach(forms):  # noqa: F811
    app = forms()
    form = app.create_form({"customer_id": 1, "complaint": "Çalışmıyor", "device": {
        "brand": "Daikin", "serial": "SN-3"}}, DESK, coverage=cover(TERMS))
    detail = app.get_form_detail(form["id"])
    levels = detail["service_levels"]
    assert levels["response"]["hours"] == 4 and levels["repair"]["hours"] == 16
    assert levels["response"]["state"] in ("pending", "breached")
    # a form whose due time has passed without a response is flagged
    from services.forms.models import Form
    row = app.service.db.get(Form, form["id"])
    row.response_due_at = row.created_at - timedelta(minutes=1)
    app.service.db.commit()
    levels = app.get_form_detail(form["id"])["service_levels"]
    assert levels["response"]["state"] == "breached" and levels["breached"] is True
    f = app.assign(form["id"], {"assignees": [snap(TECH)], "version": form["version"]},
                   MANAGER)
    assert app.get_form_detail(f["id"])["service_levels"]["response"]["state"] == "breached"

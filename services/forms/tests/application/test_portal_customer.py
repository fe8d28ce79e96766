"""What the portal forwards to forms (issue 16), in forms' application layer on a real
database: a signed-in customer's price decision on their own form (recorded via portal, with
the address and browser, the form moves on as by the link) and their own satisfaction survey
(the same questions and scoring as the representative's call; a low score reopens the form).
Another customer's form is a 404 for both, as if it did not exist; the answer carries nothing
of the staff's detail."""
import pytest

from services.common.exceptions import Conflict, NotFound, ValidationFailed
from services.forms.models import Form
from services.forms.tests.application.test_forms_app import (  # noqa: F401 (a fixture)
    deliver, forms)
from services.forms.tests.application.test_price_approval import (  # noqa: F401 (fixture)
    CLIENT, app, diagnosed, send)


def customer(app, form, other=False):
    cid = app.service.db.get(Form, form["id"]).customer_id
    return {"id": 90, "name": "Çağlar Işık", "email": None, "language": "tr",
            "role": "customer", "customer_id": cid + (1000 if other else 0)}


def test_the_customer_decides_the_price_of_their_own_form_only(app):
    form = diagnosed(app)
    me, stranger = customer(app, form), customer(app, form, other=True)
    with pytest.raises(Conflict):  # no estimate waits yet
        app.decide_price_as_customer(form["id"], {"decision": "approved"}, me, CLIENT)
    f = send(app, form)
    with pytest.raises(NotFound) as other:
        app.decide_price_as_customer(form["id"], {"decision": "approved"}, stranger, CLIENT)
    with pytest.raises(NotFound) as none:
        app.decide_price_as_customer(999999, {"decision": "approved"}, me, CLIENT)
    assert other.value.details == none.value.details == {"record": "form"}
    assert app.get_form(form["id"])["version"] == f["version"]
    out = app.decide_price_as_customer(form["id"], {"decision": "approved", "note": "Tamam"},
                                       me, CLIENT)
    assert out == {"id": form["id"], "number": form["number"], "status": "IN_REPAIR"}
    [event] = app.service.outbox.of("price_approval_decided")
    assert event["via"] == "portal" and event["by"]["customer_id"] == me["customer_id"]
    [v1] = app.get_form_detail(form["id"])["price_approval"]["versions"]
    assert v1["decision"]["via"] == "portal" and v1["decision"]["ip"] == CLIENT["ip"]
    with pytest.raises(Conflict):  # decided once
        app.decide_price_as_customer(form["id"], {"decision": "rejected"}, me, CLIENT)


def test_the_customers_survey_scores_as_the_call_and_a_low_one_reopens(forms):
    app = forms()
    rpc = type("R", (), {"forms": app})()
    q = app.create_question({"text_tr": "Genel", "text_en": "Overall", "scale_min": 1,
                             "scale_max": 5})
    f = deliver(rpc, app.create_form({"customer_id": 1, "complaint": "x", "device": {
        "brand": "B", "serial": "S"}}, {"id": 1, "name": "Masa", "role": "desk"}))
    me, stranger = customer(app, f), customer(app, f, other=True)
    answers = {"answers": [{"question_id": q["id"], "value": 1}]}
    with pytest.raises(NotFound):
        app.record_customer_survey(f["id"], answers, stranger)
    with pytest.raises(ValidationFailed):
        app.record_customer_survey(f["id"], {"answers": []}, me)
    with pytest.raises(ValidationFailed):
        app.record_customer_survey(f["id"], {"answers": [{"question_id": q["id"],
                                                          "value": 9}]}, me)
    out = app.record_customer_survey(f["id"], answers, me)
    assert out["status"] == "REOPENED" and set(out) == {"id", "number", "status"}
    detail = app.get_form_detail(f["id"])
    assert detail["survey"]["status"] == "done" and detail["survey"]["score"] == 0
    assert app.service.outbox.of("satisfaction_low")
    with pytest.raises(Conflict):  # answered once
        app.record_customer_survey(f["id"], answers, me)

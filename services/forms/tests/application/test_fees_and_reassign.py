"""Issue 20, point 9 in forms: a discount above the subtotal is a 422 that writes nothing (it
made a total of 0,00 unnoticed); a reopened form is assigned again to the technician it had
(it was a 409 "assigned already")."""
import pytest

from services.common.exceptions import Conflict, ValidationFailed
from services.forms.tests.application.test_forms_app import (  # noqa: F401  (fixtures)
    deliver, forms, open_form, rpc)
from services.forms.tests.service.test_workflow import MANAGER, TECH, snap


def test_a_discount_above_the_subtotal_is_refused(rpc):
    form = open_form(rpc)
    f = rpc.forms.update_work(form["id"], {"service_fee": "100", "version": 1}, MANAGER)
    with pytest.raises(ValidationFailed) as refused:
        rpc.forms.update_work(form["id"], {"discount_amount": "150", "version": f["version"]},
                              MANAGER)
    assert "discount_amount" in refused.value.details
    rpc.forms.service.db.rollback()
    now = rpc.forms.get_form(form["id"])
    assert now["version"] == f["version"] and now["totals"]["discount"] == "0.00"
    f = rpc.forms.update_work(form["id"], {"discount_amount": "100", "version": f["version"]},
                              MANAGER)  # the whole subtotal: allowed
    assert f["totals"]["total"] == "0.00"


def test_a_reopened_form_is_assigned_again_to_its_technician(rpc):
    form = deliver(rpc, open_form(rpc))
    f = rpc.forms.transition(form["id"], {"to": "REOPENED", "note": "Yine arızalı",
                                          "version": form["version"]}, MANAGER)
    assert f["status"] == "REOPENED"
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": f["version"]},
                         MANAGER)
    assert f["status"] == "ASSIGNED"
    with pytest.raises(Conflict):  # on a form that is not reopened, still a 409
        rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": f["version"]},
                         MANAGER)

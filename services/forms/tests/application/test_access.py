"""Issue 20, findings 3 and 4 in forms: a technician reads and writes the forms assigned to
them and the unassigned pool (every form with TECHNICIANS_SEE_ALL_FORMS) — the record rule of
services/common/access.py, applied by forms with the actor the gateway passes. The own /
other / pool matrix of the form routes' ownership lives here (a real database, in-process);
gateway/tests/test_access_matrix.py covers every route × role at the gateway."""
import pytest

from services.common.exceptions import Conflict, Forbidden, NotFound
from services.forms.tests.application.test_forms_app import (  # noqa: F401  (fixtures)
    forms, open_form, rpc)
from services.forms.tests.service.test_workflow import DESK, MANAGER, TECH, TECH2, snap

CUSTOMER = {"id": 9, "name": "Müşteri", "role": "customer", "email": None, "language": "tr"}


def _three_forms(rpc):
    """(TECH's form, TECH2's form, an unassigned form)."""
    own = open_form(rpc, serial="OWN")
    rpc.forms.assign(own["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    other = open_form(rpc, serial="OTHER")
    rpc.forms.assign(other["id"], {"assignees": [snap(TECH2)], "version": 1}, MANAGER)
    pool = open_form(rpc, serial="POOL")
    return own, other, pool


# (record, technician) -> may touch: the expected table, written out apart from access.py
EXPECTED = {"own": True, "other": False, "pool": True}


def test_a_technician_reads_and_writes_their_forms_and_the_pool_only(rpc):
    forms = dict(zip(("own", "other", "pool"), _three_forms(rpc)))
    for record, form in forms.items():
        fresh = rpc.forms.get_form(form["id"])
        if EXPECTED[record]:
            assert rpc.forms.get_form_detail(form["id"], TECH)["id"] == form["id"]
            assert rpc.forms.check_form_access(form["id"], TECH)["id"] == form["id"]
            assert rpc.forms.check_form_access(form["id"], TECH, "write")
            written = rpc.forms.update_work(form["id"], {"diagnosis": "Röle",
                                                         "version": fresh["version"]}, TECH)
            assert written["version"] == fresh["version"] + 1
        else:
            with pytest.raises(Forbidden):
                rpc.forms.get_form_detail(form["id"], TECH)
            with pytest.raises(Forbidden):
                rpc.forms.check_form_access(form["id"], TECH)
            with pytest.raises(Forbidden):
                rpc.forms.update_work(form["id"], {"diagnosis": "x",
                                                   "version": fresh["version"]}, TECH)
            assert rpc.forms.get_form(form["id"])["version"] == fresh["version"]
        # every other staff role: every form
        for actor in (MANAGER, DESK):
            assert rpc.forms.check_form_access(form["id"], actor)["id"] == form["id"]
        # a customer is told nothing: 404, never 403
        with pytest.raises(NotFound):
            rpc.forms.check_form_access(form["id"], CUSTOMER)


def test_a_technicians_list_holds_their_forms_and_the_pool(rpc):
    own, other, pool = _three_forms(rpc)
    listed = {f["id"] for f in rpc.forms.list_forms({"visible_to": TECH["id"]})["items"]}
    assert listed == {own["id"], pool["id"]}
    assert {f["id"] for f in rpc.forms.list_forms({})["items"]} == {
        own["id"], other["id"], pool["id"]}


def test_a_small_shop_opens_every_form_to_technicians(forms):
    class Rpc:
        pass
    shop = Rpc()
    shop.forms = forms(TECHNICIANS_SEE_ALL_FORMS="true")
    own, other, pool = _three_forms(shop)
    assert shop.forms.get_form_detail(other["id"], TECH)["id"] == other["id"]
    assert len(shop.forms.list_forms({"visible_to": TECH["id"]})["items"]) == 3


def test_a_closed_or_cancelled_form_takes_no_write(rpc):
    form = open_form(rpc)
    rpc.forms.transition(form["id"], {"to": "CANCELLED", "note": "vazgeçti", "version": 1},
                         MANAGER)
    assert rpc.forms.check_form_access(form["id"], TECH)["status"] == "CANCELLED"
    with pytest.raises(Conflict):
        rpc.forms.check_form_access(form["id"], TECH, "write")

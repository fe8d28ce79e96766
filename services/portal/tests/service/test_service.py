"""portal with devices and forms on a real broker (SQLite and PostgreSQL): a customer's request
with a photo, staff accept it — forms opens the form (form_created says source portal) —, the
form's customer-visible moves reach the customer's timeline through forms' events (an internal
move and its note do not), and with forms stopped "my forms" and the timeline still answer.
Another customer reaches none of it."""
import base64

import pytest
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.portal.rebuild import Rebuild

from services.common.exceptions import NotFound
from services.common.testing import eventually
from services.devices.service import DevicesService
from services.forms.service import FormsService
from services.forms.tests.service.test_workflow import CONFIG, MANAGER, TECH, snap
from services.portal.service import PortalService

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128
DESK = {"id": 1, "name": "Deniz Masa", "role": "desk", "email": "d@s.local", "language": "tr"}


def customer_actor(user_id, customer_id, language="tr"):
    return {"id": user_id, "name": f"Müşteri {user_id}", "email": None, "language": language,
            "role": "customer", "customer_id": customer_id}


@pytest.fixture
def system(run_services):
    return run_services(DevicesService, FormsService, PortalService, **CONFIG)


def test_request_to_form_to_timeline_and_forms_stopped(system, rpc, tap):
    created = tap("forms", "form_created")
    isik = rpc.devices.create_customer({"name": "IŞIK Soğutma"})
    celik = rpc.devices.create_customer({"name": "Çelik Makine", "language": "en"})
    card = rpc.devices.register_device({"customer_id": isik["id"], "brand": "Daikin",
                                        "serial": "DK-1"}, DESK)
    theirs = rpc.devices.register_device({"customer_id": celik["id"], "brand": "Bosch",
                                          "serial": "BS-9"}, DESK)
    a, b = customer_actor(40, isik["id"]), customer_actor(41, celik["id"], "en")

    with pytest.raises(NotFound):  # B's card, named by A
        rpc.portal.submit_request({"device_id": theirs["id"], "complaint": "x"}, a)
    r = rpc.portal.submit_request({"device_id": card["id"], "complaint": "Soğutmuyor",
                                   "photos": [{"filename": "on.png",
                                               "content_b64": base64.b64encode(PNG).decode()}]},
                                  a)
    photo = rpc.portal.get_photo(r["id"], r["photos"][0]["id"], a)
    assert base64.b64decode(photo["content_b64"]) == PNG
    with pytest.raises(NotFound):
        rpc.portal.get_request(r["id"], b)
    queue = rpc.portal.list_requests({"status": "submitted"}, DESK)["items"]
    assert [q["id"] for q in queue] == [r["id"]]

    done = rpc.portal.accept_request(r["id"], {"version": r["version"]}, DESK)
    assert done["status"] == "accepted" and done["form_number"].startswith("SF-")
    (event,) = created.wait(1)
    assert event["form"]["source"] == "portal" and event["form"]["id"] == done["form_id"]
    form_id = done["form_id"]
    eventually(lambda: rpc.portal.my_forms({}, a)["items"])
    assert rpc.portal.my_forms({}, a)["items"][0]["number"] == done["form_number"]
    assert rpc.portal.my_forms({}, b)["items"] == []

    # staff move the form: an internal move (assign) is not shown, a visible one is
    form = rpc.forms.get_form(form_id)
    f = rpc.forms.assign(form_id, {"assignees": [snap(TECH)], "version": form["version"]},
                         MANAGER)
    f = rpc.forms.transition(form_id, {"to": "DIAGNOSIS", "version": f["version"],
                                       "note": "İç not: zor müşteri"}, TECH)
    f = rpc.forms.transition(form_id, {"to": "IN_REPAIR", "version": f["version"]}, TECH)
    eventually(lambda: rpc.portal.my_form(form_id, a)["status"] == "IN_REPAIR")
    mine = rpc.portal.my_form(form_id, a)
    assert mine["status_name"] == "Tamir ediliyor"
    assert [e["kind"] for e in mine["timeline"]] == ["created", "status"]
    assert "İç not" not in str(mine) and "Tülay" not in str(mine)
    with pytest.raises(NotFound):
        rpc.portal.my_form(form_id, b)

    # the projection rebuilt from scratch by paging forms' history: the same form, status
    # and customer-visible steps (a second run adds nothing)
    (portal,) = [c for c in system if c.service_name == "portal"]
    Session = sessionmaker(make_engine(portal.config["DATABASE_URL"]), expire_on_commit=False)
    rebuild = Rebuild(Session, lambda method, *args: getattr(rpc.forms, method)(*args))
    for _ in range(2):
        assert rebuild.run() == 1
        again = rpc.portal.my_form(form_id, a)
        assert (again["number"], again["status_name"]) == (mine["number"], "Tamir ediliyor")
        assert [(e["kind"], e["status"]) for e in again["timeline"]] == [
            ("created", "NEW"), ("status", "IN_REPAIR")]
        assert again["language"] == "tr" and "İç not" not in str(again)

    (forms,) = [c for c in system if c.service_name == "forms"]
    forms.stop()  # the projection answers on its own
    assert rpc.portal.my_form(form_id, a)["status"] == "IN_REPAIR"
    assert [x["id"] for x in rpc.portal.my_forms({}, a)["items"]] == [form_id]

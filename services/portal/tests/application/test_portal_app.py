"""portal's application layer on a real database (SQLite, and PostgreSQL when one answers)
with a recording outbox and no broker: the service's entrypoints called in-process; devices
and forms are played by small stand-ins answering get_device and create_form as they do; the
photos go to a real FileStorage; forms' events are made with the shared schemas
(services/common/events.py make_event) and handed to portal's handlers."""
import base64
from datetime import datetime, timedelta, timezone

import pytest

from services.common.documents.storage import FileStorage
from services.common.events import make_event
from services.common.exceptions import (Conflict, Forbidden, NotFound, PreconditionRequired,
                                        ValidationFailed)
from services.common.testing import application
from services.portal.models import Base
from services.portal.service import PortalService
from services.portal.settings import PortalSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DESK = {"id": 5, "name": "Deniz Masa", "email": "desk@s.local", "language": "tr",
        "role": "desk"}
A = {"id": 40, "name": "Ayşe Işık", "email": "ayse@isik.example.com", "language": "tr",
     "role": "customer", "customer_id": 1}
B = {"id": 41, "name": "Can Çelik", "email": "can@celik.example.com", "language": "en",
     "role": "customer", "customer_id": 2}


def b64(data):
    return base64.b64encode(data).decode()


class Devices:
    def __init__(self):
        self.cards = {10: {"id": 10, "customer_id": 1, "brand": "Bosch", "model": "K1",
                           "serial": "SN-10", "device_type": "klima"},
                      20: {"id": 20, "customer_id": 2, "brand": "Arçelik", "model": "K2",
                           "serial": "SN-20", "device_type": "kombi"}}

    def call(self, method, *args):
        assert method == "get_device", method
        if args[0] not in self.cards:
            raise NotFound("Device {device_id} not found.", {"device_id": args[0]})
        return self.cards[args[0]]


class Forms:
    """forms' create_form: a number per form; `refuse` plays its 409 (a serial of another
    customer's card); tracked_form: the form of a token in `tokens`, else its 404."""

    def __init__(self):
        self.created, self.refuse, self.tokens = [], None, {}

    def call(self, method, *args):
        if method == "tracked_form":
            if args[0] not in self.tokens:
                raise NotFound("No such tracking link.")
            return {"form_id": self.tokens[args[0]]}
        assert method == "create_form", method
        if self.refuse:
            raise self.refuse
        self.created.append(args)
        n = len(self.created)
        return {"id": 100 + n, "number": f"SF-2027-{n:06d}"}


@pytest.fixture
def portal(database_url, tmp_path):
    service, engine = application(
        PortalService, database_url("portal"), PortalSettings(), Base.metadata,
        devices=Devices(), forms=Forms(), storage=FileStorage(tmp_path / "documents"))
    yield service
    service.db.close()
    engine.dispose()


def request(**extra):
    return {"device_id": 10, "complaint": "Soğutmuyor, su akıtıyor",
            "photos": [{"filename": "on.png", "content_b64": b64(PNG)}], **extra}


def test_a_customer_submits_with_photos_and_staff_accept(portal):
    r = portal.submit_request(request(photos=[{"filename": "a.png", "content_b64": b64(PNG)},
                                              {"content_b64": b64(JPEG)}]), A)
    assert r["status"] == "submitted" and r["status_name"] == "İnceleniyor"
    assert r["customer_id"] == 1 and r["brand"] == "Bosch" and r["serial"] == "SN-10"
    assert [(p["filename"], p["content_type"]) for p in r["photos"]] == [
        ("a.png", "image/png"), ("foto-2.jpg", "image/jpeg")]
    photo = portal.get_photo(r["id"], r["photos"][1]["id"], A)
    assert base64.b64decode(photo["content_b64"]) == JPEG
    (event,) = portal.outbox.of("service_request_submitted")
    assert event["request"]["photos"] == [{"service": "portal", "id": p["id"]}
                                          for p in r["photos"]]

    queue = portal.list_requests({"status": "submitted"}, DESK)["items"]
    assert [q["id"] for q in queue] == [r["id"]]
    with pytest.raises(PreconditionRequired):
        portal.accept_request(r["id"], {}, DESK)
    done = portal.accept_request(r["id"], {"version": r["version"]}, DESK)
    assert done["status"] == "accepted" and done["form_number"] == "SF-2027-000001"
    (spec, actor), = portal.forms.created
    assert spec == {"customer_id": 1, "complaint": "Soğutmuyor, su akıtıyor",
                    "source": "portal", "device_id": 10} and actor["role"] == "desk"
    (accepted,) = portal.outbox.of("service_request_accepted")
    assert accepted["form"] == {"id": 101, "number": "SF-2027-000001"}
    with pytest.raises(Conflict):  # accepted once: no second form
        portal.accept_request(r["id"], {"version": done["version"]}, DESK)
    assert len(portal.forms.created) == 1
    assert portal.get_request(r["id"], A)["form_number"] == "SF-2027-000001"


def test_a_new_device_is_taken_as_typed_and_forms_refusal_changes_nothing(portal):
    r = portal.submit_request(request(device_id=None, device={
        "brand": "Daikin", "serial": "SN-20", "model": "FTX", "site": "Kadıköy şube"},
        photos=[]), A)
    assert (r["brand"], r["serial"], r["site"], r["device_id"]) == (
        "Daikin", "SN-20", "Kadıköy şube", None)
    portal.forms.refuse = Conflict("Device {serial} belongs to customer {owner}.",
                                   {"serial": "SN-20", "owner": "Çelik"})
    with pytest.raises(Conflict):
        portal.accept_request(r["id"], {"version": r["version"]}, DESK)
    again = portal.get_request(r["id"], DESK)
    assert again["status"] == "submitted" and again["version"] == r["version"]
    assert "owner" not in str(portal.get_request(r["id"], A))
    portal.forms.refuse = None
    declined = portal.decline_request(r["id"], {"version": r["version"],
                                                "reason": "Cihaz bize ait değil"}, DESK)
    assert declined["status"] == "declined" and declined["decline_reason"] == \
        "Cihaz bize ait değil"
    assert portal.get_request(r["id"], A)["status_name"] == "Reddedildi"
    with pytest.raises(Forbidden):  # a customer does not review
        portal.decline_request(r["id"], {"version": declined["version"], "reason": "x"}, A)


BAD = [
    ({"complaint": "  "}, "complaint"),
    ({"device_id": None}, "device"),
    ({"device": {"brand": "X", "serial": "Y"}}, "device"),
    ({"photos": [{"content_b64": b64(b"GIF89a" + b"\x00" * 20)}]}, "photos"),
    ({"photos": [{"content_b64": b64(b"%PDF-1.4 ...")}]}, "photos"),
    ({"photos": [{"content_b64": "not base64!"}]}, "photos"),
    ({"photos": [{"content_b64": b64(PNG)}] * 6}, "photos"),
    ({"photos": [{"content_b64": b64(PNG + b"\x00" * (5 * 1024 * 1024))}]}, "photos"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
def test_bad_input_names_the_field_and_writes_nothing(portal, change, field, tmp_path):
    with pytest.raises(ValidationFailed) as err:
        portal.submit_request(request(**change), A)
    assert field in err.value.details
    assert portal.list_requests({}, DESK)["items"] == []
    assert not list((tmp_path / "documents").rglob("*.*"))
    assert portal.outbox.events == []


def test_a_customer_never_reaches_another_customers_records(portal):
    mine = portal.submit_request(request(), A)
    with pytest.raises(NotFound) as theirs_card:  # B's card
        portal.submit_request(request(device_id=20), A)
    with pytest.raises(NotFound) as no_card:  # no card at all: the same answer
        portal.submit_request(request(device_id=999), A)
    assert theirs_card.value.details == no_card.value.details == {"record": "device"}
    # a customer's body cannot file for another customer
    r = portal.submit_request(request(customer_id=2, device_id=None,
                                      device={"brand": "X", "serial": "1"}), A)
    assert r["customer_id"] == 1
    for call in (lambda: portal.get_request(mine["id"], B),
                 lambda: portal.get_photo(mine["id"], mine["photos"][0]["id"], B),
                 lambda: portal.my_form(101, B)):
        with pytest.raises(NotFound):
            call()
    assert portal.list_requests({}, B)["items"] == []
    assert {x["id"] for x in portal.list_requests({}, A)["items"]} == {mine["id"], r["id"]}
    with pytest.raises(ValidationFailed):  # a customer account without its customer
        portal.list_requests({}, {**A, "customer_id": None})


def event(event_type, when=None, **payload):
    e = make_event(event_type, "forms", payload)
    if when is not None:
        e["occurred_at"] = when.isoformat()
    return e


def form_created(form_id=101, customer_id=1, language="tr"):
    return event("form_created", form={
        "id": form_id, "number": f"SF-2027-{form_id:06d}", "kind": "repair", "source": "portal",
        "customer": {"id": customer_id, "name": "IŞIK Soğutma", "email": "isik@example.com",
                     "language": language},
        "rep": {"name": "Rıza Temsilci", "email": "rep@s.local", "language": "tr"},
        "device": {"id": 10, "brand": "Bosch", "model": "K1", "serial": "SN-10"},
        "complaint": "Soğutmuyor", "opened_at": datetime.now(timezone.utc).isoformat(),
        "tracking_url": None})


def test_a_tracking_link_shows_its_forms_projection_and_nothing_else(portal):
    """tracking: forms says which form a token opens; portal answers that form as its
    customer reads it. A token forms refuses (forged, revoked, expired), a form not yet in
    the projection and a token that cannot be one are one 404 naming no form."""
    portal.handle_form_created(form_created(101))
    portal.handle_form_status_changed(status(101, "IN_REPAIR"))
    portal.handle_form_created(form_created(202, customer_id=2, language="en"))
    portal.forms.tokens.update({"tok-101": 101, "tok-202": 202, "tok-303": 303})
    mine = portal.tracking("tok-101")
    assert (mine["id"], mine["status_name"]) == (101, "Tamir ediliyor")
    assert [e["kind"] for e in mine["timeline"]] == ["created", "status"]
    assert "İç not" not in str(mine) and "isik@example.com" not in str(mine)
    assert portal.tracking("tok-202")["status_name"] == "Received"  # its own language
    for token in ("revoked-or-forged", "tok-303", "", "x" * 65, None, 101, ["tok-101"]):
        with pytest.raises(NotFound) as refused:
            portal.tracking(token)
        assert refused.value.message == "No such tracking link." and not refused.value.details


def status(form_id, to, visible=True, at=None, customer_id=1):
    return event("form_status_changed", when=at, form={"id": form_id, "number": "SF",
                                                     "customer_id": customer_id},
                 **{"from": "NEW", "to": to}, sub_status=None,
                 by={"user_id": 9, "name": "Tekin Teknisyen"},
                 note="İç not: müşteri zor", customer_visible=visible)


def test_the_timeline_keeps_only_what_the_customer_may_read(portal):
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    created = form_created()
    for e in (created, created):  # a redelivery adds nothing
        portal.handle_form_created(e)
    portal.handle_form_status_changed(status(101, "ASSIGNED", visible=False))
    portal.handle_form_status_changed(status(101, "IN_REPAIR", at=later))
    portal.handle_price_approval_requested(event(
        "price_approval_requested", when=later + timedelta(minutes=1),
        form={"id": 101, "number": "SF"},
        customer={"name": "Ayşe", "email": "ayse@isik.example.com", "language": "tr"},
        total="1200.00", currency="TRY", approval_url="https://x/a/t",
        expires_at=(later + timedelta(days=3)).isoformat()))
    portal.handle_price_approval_decided(event(
        "price_approval_decided", when=later + timedelta(minutes=2),
        form={"id": 101, "number": "SF"}, decision="approved", by={"customer_id": 1},
        at=later.isoformat()))
    portal.handle_form_created(form_created(202, customer_id=2, language="en"))

    form = portal.my_form(101, A)
    assert form["status"] == "IN_REPAIR" and form["status_name"] == "Tamir ediliyor"
    assert form["approval_total"] == "1200.00" and form["approval_state"] == "approved"
    assert [e["kind"] for e in form["timeline"]] == [
        "created", "status", "price_requested", "price_approved"]
    assert form["timeline"][0]["title"] == "Servis kaydı açıldı"
    text = str(form)
    for secret in ("İç not", "Tekin", "rep@s.local", "isik@example.com", "approval_url"):
        assert secret not in text
    assert [f["id"] for f in portal.my_forms({}, A)["items"]] == [101]
    assert [f["id"] for f in portal.my_forms({}, B)["items"]] == [202]
    assert portal.my_form(202, B)["status_name"] == "Received"
    with pytest.raises(NotFound):
        portal.my_form(202, A)


def test_events_before_the_form_are_kept_and_an_older_status_does_not_win(portal):
    now = datetime.now(timezone.utc)
    portal.handle_form_status_changed(status(303, "REPAIRED", at=now + timedelta(hours=1)))
    portal.handle_form_created(form_created(303))
    assert portal.my_form(303, A)["status"] == "REPAIRED"
    portal.handle_form_status_changed(status(303, "IN_REPAIR", at=now + timedelta(minutes=5)))
    form = portal.my_form(303, A)
    assert form["status"] == "REPAIRED" and len(form["timeline"]) == 3
    portal.handle_form_completed(event(
        "form_completed", when=now + timedelta(hours=2), form={
            "id": 303, "number": "SF", "customer_id": 1}, device_id=10,
        repair_warranty={"start": "2027-01-04", "end": "2027-07-04"},
        totals={"subtotal": "0.00", "discount": "0.00", "vat": "0.00", "total": "0.00",
                "currency": "TRY"}))
    assert portal.my_form(303, A)["warranty_end"] == "2027-07-04"


def price_requested(form_id, at, total="1500.00"):
    return event("price_approval_requested", when=at, form={"id": form_id, "number": "SF"},
                 customer={"name": "Ayşe", "email": "ayse@isik.example.com", "language": "tr"},
                 total=total, currency="TRY", approval_url="https://x/a/t",
                 expires_at=(at + timedelta(days=7)).isoformat())


def price_decided(form_id, at, decision="approved"):
    return event("price_approval_decided", when=at, form={"id": form_id, "number": "SF"},
                 decision=decision, by={"customer_id": 1}, at=at.isoformat())


def test_events_of_different_kinds_in_any_order_each_set_their_own(portal):
    """Each event type has its own queue, so an estimate's status move and its price request
    (one transaction in forms, a moment apart) are handled in either order: a newer event of
    one kind holds back no older one of another kind — the status follows the newest status
    event, the estimate's state the newest price event, its amount the newest request — and
    the list's order is the newest event's time."""
    now = datetime.now(timezone.utc)

    def created(form_id):  # a minute before the moves
        e = form_created(form_id)
        e["occurred_at"] = (now - timedelta(minutes=1)).isoformat()
        return e
    portal.handle_form_created(created(505))
    portal.handle_price_approval_requested(price_requested(505, now + timedelta(seconds=1)))
    portal.handle_form_status_changed(status(505, "AWAITING_APPROVAL", at=now))
    form = portal.my_form(505, A)
    assert (form["status"], form["approval_state"], form["approval_total"]) == (
        "AWAITING_APPROVAL", "requested", "1500.00")

    portal.handle_form_created(created(506))
    portal.handle_price_approval_decided(price_decided(506, now + timedelta(seconds=3)))
    portal.handle_form_status_changed(status(506, "IN_REPAIR", at=now + timedelta(seconds=2)))
    portal.handle_price_approval_requested(price_requested(506, now + timedelta(seconds=1)))
    portal.handle_form_status_changed(status(506, "AWAITING_APPROVAL", at=now))
    form = portal.my_form(506, A)
    assert (form["status"], form["approval_state"], form["approval_total"]) == (
        "IN_REPAIR", "approved", "1500.00")
    assert datetime.fromisoformat(form["updated_at"]) == now + timedelta(seconds=3)
    # a second estimate after the first's decision: its request is the newest price event
    portal.handle_price_approval_requested(price_requested(506, now + timedelta(seconds=9),
                                                           total="1800.00"))
    form = portal.my_form(506, A)
    assert (form["approval_state"], form["approval_total"]) == ("requested", "1800.00")
    assert [f["id"] for f in portal.my_forms({}, A)["items"]][:2] == [506, 505]


def test_my_forms_pages_by_the_latest_change(portal):
    base = datetime.now(timezone.utc)
    for i in range(5):
        portal.handle_form_created(form_created(400 + i))
        portal.handle_form_status_changed(status(400 + i, "IN_REPAIR",
                                                 at=base + timedelta(minutes=10 - i)))
    first = portal.my_forms({"limit": 2}, A)
    second = portal.my_forms({"limit": 2, "cursor": first["next_cursor"]}, A)
    third = portal.my_forms({"limit": 2, "cursor": second["next_cursor"]}, A)
    assert [f["id"] for f in first["items"] + second["items"] + third["items"]] == [
        400, 401, 402, 403, 404]
    assert third["next_cursor"] is None
    with pytest.raises(ValidationFailed):
        portal.my_forms({"cursor": "bm90IGEgY3Vyc29y"}, A)


def test_kvkk_export_and_erasure_of_a_customer(portal, tmp_path):
    """personal_data holds the customer's requests, photos and timeline (the photo's bytes by
    get_photo_file); customer_erased deletes the photos (rows and files), names the filer by
    the marker and scrubs the person's strings, and leaves the other customer as it was."""
    mine = portal.submit_request(request(
        device_id=None, device={"brand": "Bosch", "serial": "SN-NEW", "site": "Işık Sokak 5"},
        complaint="Ayşe Işık'ı 0532 111 22 33'ten arayın"), A)
    theirs = portal.submit_request(request(device_id=20, complaint="Ses yapıyor"), B)
    held = portal.personal_data(1)
    assert [r["id"] for r in held["requests"]] == [mine["id"]]
    (photo,) = held["photos"]
    got = portal.get_photo_file(photo["id"])
    assert base64.b64decode(got["content_b64"]) == PNG
    with pytest.raises(NotFound):
        portal.get_photo_file("1; DROP")
    with pytest.raises(ValidationFailed):
        portal.personal_data("x")
    files = list((tmp_path / "documents").rglob("*"))
    assert len([f for f in files if f.is_file()]) == 2

    event = make_event("customer_erased", "devices", {
        "customer_id": 1, "marker": "[KVKK: silindi]",
        "personal": ["Ayşe Işık", "0532 111 22 33", "Işık Sokak 5"]})
    portal.handle_customer_erased(event)
    held = portal.personal_data(1)
    (req,) = held["requests"]
    assert req["submitted_by_name"] == "[KVKK: silindi]" and held["photos"] == []
    text = str(held)
    for needle in ("Ayşe Işık", "0532 111 22 33", "Işık Sokak 5"):
        assert needle not in text, needle
    assert [f for f in (tmp_path / "documents").rglob("*") if f.is_file()] != []  # B's photo
    assert len([f for f in (tmp_path / "documents").rglob("*") if f.is_file()]) == 1
    other = portal.get_request(theirs["id"], B)
    assert other["complaint"] == "Ses yapıyor" and len(other["photos"]) == 1


def test_kvkk_erasure_of_a_contact_person_keeps_the_customers_requests(portal, tmp_path):
    """contact_erased scrubs the contact's strings only: the request, its filer and its photos
    stay."""
    mine = portal.submit_request(request(complaint="Yetkili Deniz Aktaş 0533 444 55 66"), A)
    portal.handle_contact_erased(make_event("contact_erased", "devices", {
        "customer_id": 1, "contact_id": 2, "marker": "[KVKK: silindi]",
        "personal": ["Deniz Aktaş", "0533 444 55 66"]}))
    now = portal.get_request(mine["id"], A)
    assert now["complaint"] == "Yetkili [KVKK: silindi] [KVKK: silindi]"
    assert len(now["photos"]) == 1
    held = str(portal.personal_data(1))
    assert "Deniz Aktaş" not in held and "0533 444 55 66" not in held
    assert portal.personal_data(1)["requests"][0]["submitted_by_name"] == A["name"]

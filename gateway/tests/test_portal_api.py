"""The portal's routes in the gateway with a fake RPC client (issue 16): the account's customer
goes to portal with the actor whatever the client sends; the customer's devices are asked of
devices for that customer only and answered without the card's internals; a photo comes back
as the image it is; staff invite a contact — a portal account of exactly that customer and a
one-time, expiring link to set the password (the reset machinery), refused when used again."""
import base64
import time
from types import SimpleNamespace

import pytest

from gateway.tests.test_accounts import SECRET, _app
from gateway.auth import issue_token
from services.common.exceptions import NotFound

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def portal(tmp_path):
    app = _app(tmp_path, PORTAL_INVITE_SECONDS="120")
    users = app.extensions["servis"].users
    desk = users.create(username="masa", password="Masa-parolasi-1", role="desk", name="Masa",
                        email="masa@example.com")
    customer = users.create(username="ayse", password="Ayse-parolasi-1", role="customer",
                            name="Ayşe", email="ayse@isik.example.com", customer_id=3)

    def bearer(user):
        return {"Authorization": "Bearer " + issue_token(users.get(user.id), SECRET, 3600)}
    return SimpleNamespace(app=app, client=app.test_client(), rpc=app.extensions["servis"].rpc,
                           users=users, desk=desk, customer=customer, bearer=bearer)


def test_the_customer_is_the_accounts_not_the_clients(portal):
    r = portal.client.post("/api/v1/portal/requests", headers=portal.bearer(portal.customer),
                           json={"customer_id": 9, "device_id": 5, "complaint": "Isınmıyor"})
    assert r.status_code == 201
    (call,) = portal.rpc.calls
    assert call.args[1]["customer_id"] == 3 and call.args[1]["role"] == "customer"
    portal.rpc.reset()
    r = portal.client.get("/api/v1/portal/requests", headers=portal.bearer(portal.desk))
    assert r.status_code == 200 and portal.rpc.calls[0].args[1]["customer_id"] is None


def test_my_devices_are_asked_for_my_customer_and_answered_without_internals(portal):
    portal.rpc.answer = lambda service, method, args: {"items": [{
        "id": 5, "customer_id": 3, "brand": "Daikin", "serial": "DK-1", "model": None,
        "device_type": "klima", "price": "25000.00", "vendor": "Toptancı", "notes": "iç not",
        "insurer": "Güven", "policy_no": "P-1", "warranty_end": "2027-05-01",
        "contract_end": None, "repair_warranty_end": "2026-12-01"}], "next_cursor": None}
    r = portal.client.get("/api/v1/portal/devices", headers=portal.bearer(portal.customer))
    assert r.status_code == 200
    (call,) = portal.rpc.calls
    assert (call.service, call.method) == ("devices", "find_devices")
    assert call.args[0]["customer_id"] == 3
    (device,) = r.json["items"]
    assert device == {"id": 5, "brand": "Daikin", "serial": "DK-1", "model": None,
                      "device_type": "klima", "warranty_end": "2027-05-01",
                      "contract_end": None, "repair_warranty_end": "2026-12-01"}
    portal.rpc.calls.clear()
    r = portal.client.get("/api/v1/portal/devices?customer_id=4",
                          headers=portal.bearer(portal.customer))
    assert r.status_code == 200  # no other customer's cards, not even by asking
    assert portal.rpc.calls[0].args[0]["customer_id"] == 3


def test_a_photo_comes_back_as_the_image_and_another_customers_is_404(portal):
    portal.rpc.answer = lambda service, method, args: {
        "filename": "on.png", "content_type": "image/png",
        "content_b64": base64.b64encode(PNG).decode()}
    r = portal.client.get("/api/v1/portal/requests/4/photos/9",
                          headers=portal.bearer(portal.customer))
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    portal.rpc.answer = None
    portal.rpc.raises = NotFound("No such {record}.", {"record": "photo"})
    r = portal.client.get("/api/v1/portal/requests/4/photos/9",
                          headers={**portal.bearer(portal.customer), "Accept-Language": "tr"})
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_staff_invite_a_contact_with_a_one_time_expiring_link(portal):
    r = portal.client.post("/api/v1/portal/invitations", headers=portal.bearer(portal.desk),
                           json={"customer_id": 3, "name": "Can Işık",
                                 "email": "can@isik.example.com", "language": "en"})
    assert r.status_code == 201, r.json
    user = r.json["user"]
    assert (user["role"], user["customer_id"], user["username"]) == (
        "customer", 3, "can@isik.example.com")
    assert r.json["sent"] is True and r.json["valid_until_seconds"] == 120
    (_, send) = portal.rpc.calls
    assert send.method == "send_password_reset"
    mail = send.args[0]
    assert mail["kind"] == "invitation" and mail["valid_minutes"] == 2
    assert mail["recipient"] == {"name": "Can Işık", "email": "can@isik.example.com",
                                 "language": "en"}
    token = mail["link"].split("#", 1)[1]
    # no password works before the link is used
    r = portal.client.post("/api/v1/auth/token", json={"username": "can@isik.example.com",
                                                       "password": ""})
    assert r.status_code == 422
    url = "/api/v1/auth/password-reset/confirm"
    r = portal.client.post(url, json={"token": token, "new_password": "Yeni-parola-42"})
    assert r.status_code == 200 and r.json["access_token"]
    r = portal.client.post(url, json={"token": token, "new_password": "Baska-parola-43"})
    assert r.status_code == 422 and "token" in r.json["error"]["details"]
    r = portal.client.post("/api/v1/auth/token", json={"username": "can@isik.example.com",
                                                       "password": "Yeni-parola-42"})
    assert r.status_code == 200


def test_an_invitation_link_expires_and_a_bad_invitation_writes_nothing(portal):
    users = portal.users
    before = len(users.list())
    portal.rpc.raises = NotFound("Customer {customer_id} not found.", {"customer_id": 99})
    r = portal.client.post("/api/v1/portal/invitations", headers=portal.bearer(portal.desk),
                           json={"customer_id": 99, "name": "X", "email": "x@example.com"})
    assert r.status_code == 422 and "customer_id" in r.json["error"]["details"]
    portal.rpc.reset()
    r = portal.client.post("/api/v1/portal/invitations", headers=portal.bearer(portal.desk),
                           json={"customer_id": 3, "name": "X", "email": "not-an-address"})
    assert r.status_code == 422 and "email" in r.json["error"]["details"]
    assert len(users.list()) == before
    r = portal.client.post("/api/v1/portal/invitations", headers=portal.bearer(portal.customer),
                           json={"customer_id": 3, "name": "X", "email": "x@example.com"})
    assert r.status_code == 403
    user = users.create(username="eski", password="Eski-parola-11", role="customer",
                        name="Eski", email="eski@example.com", customer_id=3)
    token = users.open_reset(user, 1)
    time.sleep(1.1)
    r = portal.client.post("/api/v1/auth/password-reset/confirm",
                           json={"token": token, "new_password": "Yeni-parola-42"})
    assert r.status_code == 422


def test_the_new_request_page_takes_photos_larger_than_a_json_body(portal):
    """The page's post carries the photos as files (beyond the app's 2 MB): each read, its
    size checked, then sent to the API as base64; one over 5 MB is refused on the page."""
    import io
    import re
    client = portal.app.test_client()
    page = client.get("/portal/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/portal/signin", data={"username": "ayse", "password": "Ayse-parolasi-1",
                                            "csrf_token": token})
    assert r.status_code == 303
    portal.rpc.answer = lambda service, method, args: (
        {"items": [], "next_cursor": None} if method == "find_devices" else {"id": 12})
    form = client.get("/portal/requests/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    big = PNG + b"\x00" * (3 * 1024 * 1024)
    r = client.post("/portal/requests/new", content_type="multipart/form-data", data={
        "csrf_token": token, "device_id": "new", "brand": "Daikin", "serial": "X-1",
        "complaint": "Soğutmuyor", "photos": (io.BytesIO(big), "buyuk.png")})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/requests/12")
    (call,) = [c for c in portal.rpc.calls if c.method == "submit_request"]
    body = call.args[0]
    assert body["device"]["brand"] == "Daikin"
    assert base64.b64decode(body["photos"][0]["content_b64"]) == big
    portal.rpc.calls.clear()
    r = client.post("/portal/requests/new", content_type="multipart/form-data", data={
        "csrf_token": token, "device_id": "new", "brand": "Daikin", "serial": "X-1",
        "complaint": "x", "photos": (io.BytesIO(big * 2), "cok-buyuk.png")},
        headers={"Accept-Language": "tr"})
    assert r.status_code == 422 and "5 MB" in r.text
    assert not [c for c in portal.rpc.calls if c.method == "submit_request"]


def test_the_form_page_offers_the_estimate_and_forwards_the_decision(portal):
    import re
    client = portal.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portal/").text).group(1)
    client.post("/portal/signin", data={"username": "ayse", "password": "Ayse-parolasi-1",
                                        "csrf_token": token})
    form = {"id": 7, "number": "SF-2026-000007", "status": "AWAITING_APPROVAL",
            "status_name": "Fiyat onayınız bekleniyor", "language": "tr", "brand": "Daikin",
            "model": None, "serial": "DK-1", "complaint": "Soğutmuyor",
            "opened_at": "2026-11-27T09:00:00+00:00", "updated_at": "2026-11-27T10:00:00+00:00",
            "approval_total": "1500.00", "approval_currency": "TRY",
            "approval_state": "requested", "warranty_end": None, "timeline": []}
    portal.rpc.answer = lambda service, method, args: (
        form if method == "my_form" else [] if method == "customer_form_documents" else
        {"id": 7, "number": form["number"], "status": "IN_REPAIR"})
    page = client.get("/portal/forms/7", headers={"Accept-Language": "tr"})
    assert page.status_code == 200 and "Teklifi onaylıyorum" in page.text
    assert "/api/docs" not in page.text  # the API's documentation is staff's, not in the menu
    assert "1.500,00" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/portal/forms/7/price-decision", data={"decision": "approved",
                                                            "csrf_token": token})
    assert r.status_code == 303 and "decided=approved" in r.headers["Location"]
    (call,) = [c for c in portal.rpc.calls if c.method == "decide_price_as_customer"]
    assert call.service == "forms" and call.args[0] == 7
    assert call.args[1] == {"decision": "approved"} and call.args[2]["customer_id"] == 3
    # the form moved on before the decision's event reached the timeline: nothing to decide
    form.update(status="IN_REPAIR", status_name="Tamir ediliyor")
    page = client.get("/portal/forms/7", headers={"Accept-Language": "tr"})
    assert page.status_code == 200 and "Teklifi onaylıyorum" not in page.text


def test_the_delivered_forms_page_offers_its_papers_and_the_survey(portal):
    """A delivered form's page: its papers (forms' customer RPC: the account's customer goes
    with the actor) to download as PDF, and the survey's questions; the answers go to forms as
    the customer's survey, and forms' refusal is shown on the page."""
    import re
    from services.common.exceptions import Conflict, NotFound
    client = portal.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portal/").text).group(1)
    client.post("/portal/signin", data={"username": "ayse", "password": "Ayse-parolasi-1",
                                        "csrf_token": token})
    form = {"id": 7, "number": "SF-2026-000007", "status": "DELIVERED",
            "status_name": "Teslim edildi", "language": "tr", "brand": "Daikin",
            "model": None, "serial": "DK-1", "complaint": "Soğutmuyor",
            "opened_at": "2026-11-27T09:00:00+00:00", "updated_at": "2026-11-27T10:00:00+00:00",
            "approval_total": None, "approval_currency": None, "approval_state": None,
            "warranty_end": "2027-02-27", "timeline": []}
    slip = {"id": 31, "kind": "intake_slip", "number": "SF-2026-000007-KF-1", "language": "tr",
            "issued_at": "2026-11-27T09:00:01+00:00", "filename": "SF-2026-000007-KF-1.pdf",
            "size": 9, "pages": 1}
    question = {"id": 2, "text": {"tr": "Genel memnuniyet", "en": "Overall"}, "scale_min": 1,
                "scale_max": 5}
    refuse = []

    def answer(service, method, args):
        if method == "my_form":
            return form
        if method == "customer_form_documents":
            return [slip]
        if method == "customer_form_document":
            if args[1] != 31:
                raise NotFound("No such {record}.", {"record": "document"})
            return {**slip, "content_type": "application/pdf",
                    "content_b64": base64.b64encode(b"%PDF-1.7\n").decode()}
        if method == "list_questions":
            return [question]
        if method == "record_customer_survey":
            if refuse:
                raise refuse[0]
            return {"id": 7, "number": form["number"], "status": "DELIVERED"}
        raise AssertionError(method)
    portal.rpc.answer = answer
    page = client.get("/portal/forms/7", headers={"Accept-Language": "tr"})
    assert page.status_code == 200 and "Servis Kabul Fişi" in page.text
    assert "/portal/forms/7/documents/31" in page.text and "Genel memnuniyet" in page.text
    (call,) = [c for c in portal.rpc.calls if c.method == "customer_form_documents"]
    assert call.service == "forms" and call.args[0] == 7 and call.args[1]["customer_id"] == 3
    pdf = client.get("/portal/forms/7/documents/31")
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.7\n"
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert client.get("/portal/forms/7/documents/32").status_code == 404

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/portal/forms/7/survey", data={"q_2": "4", "note": " İyi ",
                                                    "csrf_token": token})
    assert r.status_code == 303 and "surveyed=1" in r.headers["Location"]
    (call,) = [c for c in portal.rpc.calls if c.method == "record_customer_survey"]
    assert call.args[:2] == (7, {"answers": [{"question_id": 2, "value": 4}], "note": "İyi"})
    assert call.args[2]["customer_id"] == 3
    refuse.append(Conflict("No satisfaction call is due for this form (it is not delivered "
                           "yet).", {"survey": None}))
    r = client.post("/portal/forms/7/survey", data={"q_2": "4", "csrf_token": token})
    assert r.status_code == 409 and "yapılacak bir memnuniyet araması yok" in r.text
    assert "Genel memnuniyet" in r.text  # the form is there to try again


def test_the_profile_page_and_patch_me_change_only_your_own_name_and_language(portal):
    """/portal/profile (and PATCH /api/v1/me): the account's own name and language with the
    version read; the pages take the new language at once; a stale version is a 409 and a
    blank name a 422 naming the field, nothing changed."""
    import re
    users = portal.app.extensions["servis"].users
    client = portal.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portal/").text).group(1)
    client.post("/portal/signin", data={"username": "ayse", "password": "Ayse-parolasi-1",
                                        "csrf_token": token})
    page = client.get("/portal/profile")
    assert page.status_code == 200 and "Profil" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    version = int(re.search(r'name="version" value="(\d+)"', page.text).group(1))
    r = client.post("/portal/profile", data={"csrf_token": token, "name": "  ",
                                             "language": "en", "version": version})
    assert r.status_code == 422 and "name" in r.text
    r = client.post("/portal/profile", data={"csrf_token": token, "name": "Ayşe Işık",
                                             "language": "en", "version": version})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/profile?saved=1")
    user = users.by_username("ayse")
    assert (user.name, user.language, user.version) == ("Ayşe Işık", "en", version + 1)
    again = client.get("/portal/profile?saved=1")
    assert '<html lang="en">' in again.text and "Saved." in again.text
    stale = client.post("/portal/profile", data={"csrf_token": token, "name": "Eski",
                                                 "language": "tr", "version": version})
    assert stale.status_code == 409 and users.by_username("ayse").name == "Ayşe Işık"
    bearer = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": "ayse", "password": "Ayse-parolasi-1"}).get_json()["access_token"]}
    r = client.patch("/api/v1/me", json={"language": "tr", "version": version + 1},
                     headers=bearer)
    assert r.status_code == 200 and r.get_json()["language"] == "tr"
    assert r.get_json()["customer_id"] == user.customer_id
    assert client.patch("/api/v1/me", json={"name": "x"}, headers=bearer).status_code == 422

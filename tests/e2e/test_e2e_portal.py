"""The customer portal through the running system (deploy/run.py up, a real SMTP server): the
desk invites a customer's contact — the e-mail's one-time link sets the password —; the
customer sees their device, files a request with a photo; the desk accepts it and forms opens
the form; the form appears in the customer's forms, and a move the staff make shows on its
timeline in Turkish. Customer B against A's request, photo, form and device — and A against
B's — is a 404 every time, the same answer as for an id that does not exist."""
import base64
import re

import pytest

from tests.conftest import running_system
from tests.e2e.test_e2e_documents import mail_to, text_of, until
from tests.e2e import test_web_walk

api = test_web_walk.api  # the fixture (an assignment, not an import: the tests' `api`
#                          parameters are the fixture, not a redefinition)

LINK = re.compile(r"https?://\S+/reset-password#([A-Za-z0-9_-]+)")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    """forms' clock offset (CLOCK_OFFSET_FILE): a test moves it to expire a link, then back."""
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def system(tmp_path_factory, clock):
    # the isolation matrix asks the public links a few dozen times within a minute: the
    # per-address limit (gateway/tests/test_web_tracking.py) is not what this module tests
    with running_system(tmp_path_factory, "portal", CLOCK_OFFSET_FILE=str(clock),
                        APPROVAL_RATE_LIMIT="1000") as running:
        yield running


def invited(system, api, customer_id, name, email):
    """The desk invites the contact; the e-mail's link sets the password; a bearer header."""
    r = api("masa", "POST", "/portal/invitations", {"customer_id": customer_id, "name": name,
                                                    "email": email}, 201)
    assert r["sent"] and r["user"]["customer_id"] == customer_id
    (mail,) = mail_to(system, email, "portal")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    token = LINK.search(body).group(1)
    r = system.http.post(system.url("/api/v1/auth/password-reset/confirm"),
                         json={"token": token, "new_password": "Portal-parola-42"})
    assert r.status_code == 200, r.text
    again = system.http.post(system.url("/api/v1/auth/password-reset/confirm"),
                             json={"token": token, "new_password": "Baska-parola-43"})
    assert again.status_code == 422  # one time
    return system.token(email, "Portal-parola-42")


def test_a_request_becomes_a_form_the_customer_follows_and_no_one_else_sees(system, api):
    http, url = system.http, system.url
    isik = api("masa", "POST", "/customers", {"name": "IŞIK Soğutma"}, 201)
    celik = api("masa", "POST", "/customers", {"name": "Çelik Makine", "language": "en"}, 201)
    card = api("masa", "POST", "/devices", {"customer_id": isik["id"], "brand": "Daikin",
                                            "serial": "PT-1", "purchase_date": "2025-01-31",
                                            "warranty_end": "2030-01-31"},
               201)
    theirs = api("masa", "POST", "/devices", {"customer_id": celik["id"], "brand": "Bosch",
                                              "serial": "PT-9"}, 201)
    a = invited(system, api, isik["id"], "Ayşe Işık", "ayse@isik.example.com")
    b = invited(system, api, celik["id"], "Can Çelik", "can@celik.example.com")

    def as_(who, method, path, json=None):
        return http.request(method, url("/api/v1" + path), headers=who, json=json)

    devices = as_(a, "GET", "/portal/devices").json()["items"]
    assert [(d["id"], d["warranty_end"]) for d in devices] == [(card["id"], "2030-01-31")]
    assert "price" not in devices[0]
    r = as_(a, "POST", "/portal/requests", {
        "device_id": card["id"], "complaint": "Soğutmuyor, su akıtıyor",
        "photos": [{"filename": "ariza.png", "content_b64": base64.b64encode(PNG).decode()}]})
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status_name"] == "İnceleniyor"
    photo = as_(a, "GET", f"/portal/requests/{request['id']}/photos/"
                          f"{request['photos'][0]['id']}")
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["Content-Type"] == "image/png"

    queue = api("masa", "GET", "/portal/requests?status=submitted", expect_status=200)
    assert [q["id"] for q in queue["items"]] == [request["id"]]
    done = api("masa", "POST", f"/portal/requests/{request['id']}/accept", {}, 200,
               version=request["version"])
    assert done["status"] == "accepted" and done["form_number"].startswith("SF-")
    form_id = done["form_id"]
    mine = as_(a, "GET", f"/portal/requests/{request['id']}").json()
    assert mine["form_number"] == done["form_number"] and mine["status_name"] == "Kabul edildi"

    assert until(lambda: as_(a, "GET", "/portal/forms").json()["items"])
    (listed,) = as_(a, "GET", "/portal/forms").json()["items"]
    assert listed["number"] == done["form_number"] and listed["status_name"] == \
        "Kaydınız alındı"
    form = api.form(form_id)
    form = api("mudur", "POST", f"/forms/{form_id}/assignments",
               {"user_ids": [api.ids["tekno"]]}, 200, version=form["version"])
    form = api.move("tekno", form, "DIAGNOSIS", note="İç not: müşteri aceleci")
    form = api.move("tekno", form, "IN_REPAIR")
    assert until(lambda: as_(a, "GET", f"/portal/forms/{form_id}").json()["status"]
                 == "IN_REPAIR")
    page = as_(a, "GET", f"/portal/forms/{form_id}").json()
    assert page["status_name"] == "Tamir ediliyor"
    assert [e["title"] for e in page["timeline"]] == ["Servis kaydı açıldı", "Durum değişti"]
    assert "İç not" not in str(page) and "Tülay" not in str(page)

    # B against A's records, A against B's: 404, as for what does not exist
    for path in (f"/portal/requests/{request['id']}",
                 f"/portal/requests/{request['id']}/photos/{request['photos'][0]['id']}",
                 f"/portal/forms/{form_id}", "/portal/forms/999999",
                 "/portal/requests/999999"):
        r = as_(b, "GET", path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    # the form's papers: A downloads the intake slip; B (and anyone's other document) 404
    assert until(lambda: as_(a, "GET", f"/portal/forms/{form_id}/documents").json()["items"])
    (slip,) = as_(a, "GET", f"/portal/forms/{form_id}/documents").json()["items"]
    assert slip["kind"] == "intake_slip" and "requested_by" not in slip
    got = as_(a, "GET", f"/portal/forms/{form_id}/documents/{slip['id']}")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    for path in (f"/portal/forms/{form_id}/documents",
                 f"/portal/forms/{form_id}/documents/{slip['id']}"):
        r = as_(b, "GET", path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    assert as_(a, "GET", f"/portal/forms/{form_id}/documents/999999").status_code == 404
    r = as_(b, "POST", f"/portal/forms/{form_id}/survey",
            {"answers": [{"question_id": 1, "value": 5}]})
    assert r.status_code == 404, r.text
    assert as_(b, "GET", "/portal/forms").json()["items"] == []
    assert as_(b, "GET", "/portal/requests").json()["items"] == []
    assert [d["id"] for d in as_(b, "GET", "/portal/devices").json()["items"]] == [theirs["id"]]
    for device_id in (theirs["id"], 999999):
        r = as_(a, "POST", "/portal/requests", {"device_id": device_id, "complaint": "x"})
        assert r.status_code == 404 and r.json()["error"]["details"] == {"record": "device"}
    # the form's tracking link (no sign-in): this form's timeline; the old one stops
    # working once staff make a new one; a forged one is the same 404
    old = api("mudur", "POST", f"/forms/{form_id}/tracking", {}, 200)["tracking_url"]
    old = old.rsplit("/", 1)[1]
    tracked = http.get(url(f"/api/v1/tracking/{old}"))
    assert tracked.status_code == 200 and tracked.json()["id"] == form_id
    assert tracked.json()["status_name"] == "Tamir ediliyor" and "İç not" not in tracked.text
    new = api("mudur", "POST", f"/forms/{form_id}/tracking", {}, 200)["tracking_url"]
    new = new.rsplit("/", 1)[1]
    assert http.get(url(f"/api/v1/tracking/{new}")).json()["number"] == done["form_number"]
    for token in (old, new[:-2] + "zz", "forged-token"):
        r = http.get(url(f"/api/v1/tracking/{token}"))
        assert r.status_code == 404 and done["form_number"] not in r.text, token
    assert as_(a, "POST", f"/forms/{form_id}/tracking", {}).status_code == 403
    # and a customer reaches no staff route
    assert as_(a, "GET", f"/forms/{form_id}").status_code == 403
    assert as_(a, "POST", f"/portal/requests/{request['id']}/accept", {}).status_code == 403


PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}


class PortalCustomer:
    """A customer in chromium at a given width: every page checked by axe-core, for CSP
    violations and script errors, for horizontal scroll on a phone, and photographed."""

    def __init__(self, browser, system, viewport):
        self.system, self.viewport = system, viewport
        self.context = browser.new_context(viewport=viewport, locale="tr-TR",
                                           timezone_id="Europe/Istanbul",
                                           is_mobile=viewport["width"] < 500)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.problems = []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))

    def check(self, name):
        from tests.browser import axe, screenshot
        self.page.wait_for_load_state("networkidle")
        screenshot(self.page, f"portal-{name}-{self.viewport['width']}")
        found = axe(self.page)
        assert not found, (name, found)
        assert not self.problems, (name, self.problems)
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= self.viewport["width"], f"{name}: {width} px wide"

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def chromium_browser():
    from tests.browser import chromium
    with chromium() as running:
        yield running


# -- a form's estimate, delivery and survey, shared by the matrix and the browser walk ---------
def estimate(api, form_id):
    """The accepted form through diagnosis to the estimate sent to the customer (an hour's
    work 750, a part 400, a fee 100: 1.250,00 + 20% VAT = 1.500,00): AWAITING_APPROVAL."""
    f = api.form(form_id)
    f = api("mudur", "POST", f"/forms/{form_id}/assignments",
            {"user_ids": [api.ids["tekno"]]}, 200, version=f["version"])
    f = api.move("tekno", f, "DIAGNOSIS")
    f = api("mudur", "PATCH", f"/forms/{form_id}", {
        "diagnosis": "Kompresör rölesi yanmış", "work_done": "Röle değişti",
        "service_fee": "100"}, 200, version=f["version"])
    f = api("tekno", "POST", f"/forms/{form_id}/work-logs", {"minutes": 60}, 201,
            version=f["version"])
    f = api("tekno", "POST", f"/forms/{form_id}/parts", {
        "name": "Kompresör rölesi", "quantity": "1", "unit_price": "400"}, 201,
        version=f["version"])
    f = api("mudur", "POST", f"/forms/{form_id}/price-approval", {}, 201, version=f["version"])
    assert f["status"] == "AWAITING_APPROVAL"
    return f


def deliver(api, form_id):
    f = api.move("tekno", api.form(form_id), "REPAIRED")
    return api.move("masa", f, "DELIVERED")


def csrf_in(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def portal_session(system, username, password):
    """A portal sign-in on the page (requests, as a browser without script): the session."""
    import requests
    web = requests.Session()
    r = web.post(system.url("/portal/signin"), allow_redirects=False, data={
        "username": username, "password": password,
        "csrf_token": csrf_in(web.get(system.url("/portal/")).text)})
    assert r.status_code == 303, r.text
    web.csrf = csrf_in(web.get(system.url("/portal/profile")).text)
    return web


class Side:
    """One customer of the matrix: their account (token and page session) and records."""

    def __init__(self, system, api, name, serial, complaint, email):
        from types import SimpleNamespace
        self.system, self.api, self.email = system, api, email
        company = api("masa", "POST", "/customers", {"name": name, "email": email}, 201)
        self.device = api("masa", "POST", "/devices", {
            "customer_id": company["id"], "brand": "Daikin", "serial": serial}, 201)["id"]
        contact = "ofis." + email
        self.headers = invited(system, api, company["id"], "Ofis " + name, contact)
        self.web = portal_session(system, contact, "Portal-parola-42")
        made = self.call("POST", "/portal/requests", {
            "device_id": self.device, "complaint": complaint,
            "photos": [{"filename": "ariza.png",
                        "content_b64": base64.b64encode(PNG).decode()}]})
        assert made.status_code == 201, made.text
        made = made.json()
        self.request, self.photo = made["id"], made["photos"][0]["id"]
        done = api("masa", "POST", f"/portal/requests/{self.request}/accept", {}, 200,
                   version=made["version"])
        self.form, self.number = done["form_id"], done["form_number"]
        self.markers = (self.number, serial, complaint)
        self.ids = SimpleNamespace()

    def call(self, method, path, json=None):
        return self.system.http.request(method, self.system.url("/api/v1" + path),
                                        headers=self.headers, json=json)

    def page(self, method, path, data=None):
        data = {"csrf_token": self.web.csrf, **(data or {})} if method != "GET" else None
        return self.web.request(method, self.system.url(path), data=data)

    def papers(self, *kinds):
        """{kind: document id} of the form's papers once each of `kinds` is issued."""
        def issued():
            got = {d["kind"]: d["id"] for d in self.call(
                "GET", f"/portal/forms/{self.form}/documents").json()["items"]}
            return got if set(kinds) <= set(got) else None
        got = until(issued, 60)
        assert got, (self.number, kinds)
        return got


def approval_link(system, email):
    (mail,) = mail_to(system, email, "Fiyat onayınız bekleniyor")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/approve/([A-Za-z0-9_-]+)", text).group(1)


def test_the_isolation_matrix(system, api, clock, tmp_path):
    """Customer A's account against customer B's device, request, photo, form, papers and
    links, over every route the matrix places (gateway/tests/customer_matrix.py; a route a
    customer reaches without a place there fails before anything is sent): each record route
    answers A 404 — as for an id that does not exist — and writes nothing, while the same URL
    with A's own records is answered; the lists hold A's records and none of B's; forged,
    altered, over-long, revoked, expired and the other kind's link tokens are refused naming
    no form; a working link shows its own form only; every other route refuses A."""
    from gateway.tests import customer_matrix as matrix
    from gateway.tests.customer_matrix import MINE, THEIRS
    app = matrix.gateway_app(tmp_path)
    assert not matrix.misplaced(app)
    # markers in ASCII: the API's JSON escapes other letters
    a = Side(system, api, "Ayvalık Zeytin", "MX-A1", "Ayvalik: kompresor sesli",
             "ayvalik@zeytin.example.com")
    b = Side(system, api, "Bodrum Otel", "MX-B1", "Bodrum: bordo kapak kirik",
             "bodrum@otel.example.com")

    def shown():  # each form's status on its customer's timeline (portal's projection)
        return {s.number: s.call("GET", f"/portal/forms/{s.form}").json().get("status")
                for s in (a, b)}

    for side in (a, b):
        side.ids.slip = side.papers("intake_slip")["intake_slip"]
        estimate(api, side.form)
        side.approval = approval_link(system, side.email)
        side.tracking = api("mudur", "POST", f"/forms/{side.form}/tracking", {},
                            200)["tracking_url"].rsplit("/", 1)[1]
    assert until(lambda: set(shown().values()) == {"AWAITING_APPROVAL"}, 60), shown()
    questions = a.call("GET", "/portal/survey-questions").json()["items"]
    assert questions

    def values(case, side_of):
        out = {}
        for var, whose in case.items():
            side = side_of(whose)
            out[var] = {"request_id": side.request, "photo_id": side.photo,
                        "form_id": side.form, "device_id": side.device,
                        "document_id": getattr(side.ids, "doc", side.ids.slip)}[var]
        return out

    def body(key, v):
        method, rule = key.split(" ", 1)
        if method == "GET":
            return None
        if rule.endswith("/price-decision"):
            return {"decision": "approved"}
        if rule.endswith("/survey"):
            if rule.startswith("/api/"):
                return {"answers": [{"question_id": q["id"], "value": q["scale_max"]}
                                    for q in questions]}
            return {f"q_{q['id']}": str(q["scale_max"]) for q in questions}
        if rule in ("/api/v1/portal/requests", "/portal/requests/new"):
            return {"device_id": v["device_id"], "complaint": "Başkasının cihazı"}
        return None

    def send(key, v):
        method = key.split(" ", 1)[0]
        path = matrix.fill(key, v)
        data = body(key, v)
        if matrix.is_api(key):
            return a.call(method, path[len("/api/v1"):], data)
        return a.page(method, path, data)

    def leaks(text, side=b):
        return [m for m in side.markers if m in text]

    def run_records(keys):
        wrong = []
        before = api.form(b.form)["version"]
        for key in keys:
            for case in matrix.RECORDS[key]:
                v = values(case, lambda whose: b if whose == THEIRS else a)
                r = send(key, v)
                if r.status_code != 404 or leaks(r.text):
                    wrong.append((key, case, r.status_code, leaks(r.text), r.text[:200]))
                if key.startswith("GET "):  # the URL with A's own records is answered
                    mine = send(key, values({k: MINE for k in case}, lambda whose: a))
                    if mine.status_code != 200:
                        wrong.append((key, "own", mine.status_code, mine.text[:200]))
                nothing = send(key, {k: 999999 for k in case}) if "<" in key else None
                if nothing is not None and nothing.status_code != 404:
                    wrong.append((key, "missing id", nothing.status_code))
        assert not wrong, wrong
        assert api.form(b.form)["version"] == before  # A wrote nothing to B's form

    # B's estimate waits: A's decision on it is a 404 and decides nothing
    run_records([k for k in matrix.RECORDS if k.endswith("/price-decision")])
    # the price-approval links while they wait: B's shows B's form; forged, over-long, the
    # tracking token in its place and an expired one are refused; a decision posted to B's
    # link with the form of A's link (its CSRF is tied to A's link) is refused
    got = system.http.get(system.url(f"/api/v1/price-approvals/{b.approval}"))
    assert got.status_code == 200 and b.number in got.text and a.number not in got.text
    refused_links = {"forged": "f" * 43, "over-long": b.approval + "x" * 60,
                     "a tracking token": b.tracking}

    def refused(path, method="GET", **kwargs):
        r = system.http.request(method, system.url(path), **kwargs)
        return r.status_code in (403, 404, 410) and not leaks(r.text) \
            and not leaks(r.text, a), (path, r.status_code, r.text[:200])

    for what, token in refused_links.items():
        for path in (f"/api/v1/price-approvals/{token}", f"/approve/{token}"):
            ok, why = refused(path)
            assert ok, (what, why)
        ok, why = refused(f"/api/v1/price-approvals/{token}/decision", "POST",
                          json={"decision": "approved"})
        assert ok, (what, why)
    a_csrf = csrf_in(system.http.get(system.url(f"/approve/{a.approval}")).text)
    r = system.http.post(system.url(f"/approve/{b.approval}"),
                         data={"csrf_token": a_csrf, "decision": "approved"})
    assert r.status_code == 403
    clock.write_text(str(8 * 24 * 3600))  # forms' clock eight days on: the link expired
    try:
        assert system.http.get(system.url(f"/api/v1/price-approvals/{b.approval}")) \
            .status_code == 410
    finally:
        clock.write_text("0")
    assert api("mudur", "GET", f"/forms/{b.form}/price-approval",
               expect_status=200)["state"] == "pending"
    # each approves their own on the portal: the route works for its owner
    for side in (a, b):
        r = side.call("POST", f"/portal/forms/{side.form}/price-decision",
                      {"decision": "approved"})
        assert r.status_code == 200 and r.json()["status"] == "IN_REPAIR", r.text
    for path in (f"/api/v1/price-approvals/{b.approval}", f"/approve/{b.approval}"):
        ok, why = refused(path)  # used: a link works once
        assert ok, why

    # delivered, with their receipts: the other record routes, the survey among them
    for side in (a, b):
        deliver(api, side.form)
        side.ids.doc = side.papers("intake_slip", "delivery_receipt")["delivery_receipt"]
    assert until(lambda: set(shown().values()) == {"DELIVERED"}, 60), shown()
    run_records([k for k in matrix.RECORDS if not k.endswith("/price-decision")])
    # ... and B's survey is still B's to give
    for side in (a, b):
        r = side.call("POST", f"/portal/forms/{side.form}/survey", body(
            "POST /api/v1/portal/forms/<id:form_id>/survey", {}))
        assert r.status_code == 200 and r.json()["status"] == "DELIVERED", r.text
    # the intake slip of B, asked beside A's own form, is the same 404 as B's receipt
    r = a.call("GET", f"/portal/forms/{a.form}/documents/{b.ids.slip}")
    assert r.status_code == 404

    # the lists: A's own, none of B's; the pages holding no record: none of B's either
    for key in sorted(matrix.OWN_LISTS):
        r = send(key, {})
        assert r.status_code == 200 and not leaks(r.text), (key, r.status_code, leaks(r.text))
        mine = a.markers[0] if "devices" not in key and "new" not in key else a.markers[1]
        assert mine in r.text, (key, mine)
    for key in sorted(matrix.NO_RECORD):
        if key.startswith("GET ") and "<" not in key:
            r = send(key, {})
            assert r.status_code == 200 and not leaks(r.text), (key, r.status_code)

    # the tracking link: B's shows B's form and nothing of A's; revoked (a new one made: the
    # old one used again), forged, altered, over-long, expired and the approval's token in
    # its place are one 404 naming no form
    old, b.tracking = b.tracking, api("mudur", "POST", f"/forms/{b.form}/tracking", {},
                                      200)["tracking_url"].rsplit("/", 1)[1]
    for path in (f"/api/v1/tracking/{b.tracking}", f"/track/{b.tracking}"):
        r = a.web.get(system.url(path))  # A's session adds nothing to a link
        assert r.status_code == 200 and b.number in r.text and not leaks(r.text, a), path
    altered = b.tracking[:-2] + ("zz" if not b.tracking.endswith("zz") else "yy")
    bad = {"revoked": old, "forged": "t" * 43, "altered": altered,
           "over-long": b.tracking + "x" * 60, "an approval token": b.approval}
    for what, token in bad.items():
        for key in ("GET /api/v1/tracking/<token>", "GET /track/<token>"):
            r = a.web.get(system.url(matrix.fill(key, {"token": token})))
            assert r.status_code == 404 and not leaks(r.text) and not leaks(r.text, a), \
                (what, key, r.status_code)
    clock.write_text(str(366 * 24 * 3600))  # past TRACKING_DAYS (365)
    try:
        for key in ("GET /api/v1/tracking/<token>", "GET /track/<token>"):
            r = system.http.get(system.url(matrix.fill(key, {"token": b.tracking})))
            assert r.status_code == 404 and not leaks(r.text), ("expired", key)
    finally:
        clock.write_text("0")
    assert system.http.get(system.url(f"/api/v1/tracking/{b.tracking}")).status_code == 200

    # every route the matrix leaves to staff refuses A, token and session alike
    wrong = []
    for key in matrix.staff_api(app):
        method = key.split(" ", 1)[0]
        r = a.call(method, sample_path(key)[len("/api/v1"):], {})
        if r.status_code != 403:
            wrong.append((key, r.status_code))
    for key in matrix.staff_pages(app):
        r = a.page(key.split(" ", 1)[0], sample_path(key, b.form))
        if r.status_code not in (401, 403) or leaks(r.text):
            wrong.append((key, r.status_code))
    assert not wrong, wrong


def sample_path(key, record_id=7):
    path = key.split(" ", 1)[1]
    path = re.sub(r"<id:\w+>", str(record_id), path)
    path = re.sub(r"<any\(([^)]*)\):\w+>",
                  lambda m: m.group(1).split(",")[0].strip(" '\""), path)
    return re.sub(r"<[^<>]+>", "x", path)


def test_the_customer_approves_rates_and_downloads_in_a_browser(system, api, chromium_browser,
                                                               tmp_path):
    """A customer's form from their request to their survey, in chromium on a 360-px phone,
    each page also seen at 1280 px (both photographed, axe-core, CSP, no horizontal scroll):
    sign in on the portal's page, a request with a photo; the desk accepts it and the staff
    take the form to an estimate through the API; the customer's page shows the new status
    in Turkish, and the customer approves the estimate on it (forms records it via portal);
    delivered, the customer answers the survey with low marks — the form is reopened, as by
    the representative's call — and downloads the delivery receipt (a PDF naming the form)."""
    from playwright.sync_api import expect
    company = api("masa", "POST", "/customers", {"name": "Çağlayan Öztürk Gıda",
                                                 "email": "satin@caglayan.example.com"}, 201)
    card = api("masa", "POST", "/devices", {"customer_id": company["id"], "brand": "Mitsubishi",
                                            "serial": "PW-77", "model": "MSZ-25"}, 201)
    contact = "gulsen@caglayan.example.com"
    invited(system, api, company["id"], "Gülşen Çağlayan", contact)
    photo = tmp_path / "ariza.png"
    photo.write_bytes(PNG)

    phone = PortalCustomer(chromium_browser, system, PHONE)
    wide = PortalCustomer(chromium_browser, system, DESKTOP)
    try:
        for me in (phone, wide):  # each signs in on the portal's own page
            me.page.goto(system.url("/portal/"))
            me.check("walk-signin")
            me.page.get_by_label("Kullanıcı adı").fill(contact)
            me.page.get_by_label("Parola").fill("Portal-parola-42")
            me.page.get_by_role("button", name="Oturum aç").click()
            expect(me.page.get_by_role("heading", name="Servislerim", level=1)).to_be_visible()
        page = phone.page

        def both(name):
            """The phone's page as it is, and the same address at 1280 px."""
            phone.check(name)
            wide.page.goto(page.url)
            wide.check(name)

        def shows(path, text):
            def shown():
                page.goto(system.url(path))
                return page.get_by_text(text, exact=False).count() > 0
            assert until(shown, 30), (path, text)

        page.get_by_role("button", name="Yeni talep").click()
        page.get_by_label("Cihaz", exact=True).select_option(str(card["id"]))
        page.get_by_label("Sorun nedir?").fill("Dış ünite su damlatıyor, ışık yanıp sönüyor")
        page.get_by_label("Fotoğraflar (JPEG veya PNG, en çok 5 tane, her biri 5 MB)") \
            .set_input_files(str(photo))
        phone.check("walk-new-request")
        page.get_by_role("button", name="Talebi gönder").click()
        expect(page.get_by_text("İnceleniyor")).to_be_visible()
        both("walk-request")
        request_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        # the desk accepts it; the staff take the form to an estimate (API)
        submitted = api("masa", "GET", f"/portal/requests/{request_id}", expect_status=200)
        assert len(submitted["photos"]) == 1
        done = api("masa", "POST", f"/portal/requests/{request_id}/accept", {}, 200,
                   version=submitted["version"])
        form_id, number = done["form_id"], done["form_number"]
        estimate(api, form_id)

        # the customer's pages show the new status in Turkish, the estimate to approve
        shows("/portal/", "Fiyat onayınız bekleniyor")
        expect(page.get_by_role("link", name=number)).to_be_visible()
        both("walk-home-awaiting-approval")
        page.get_by_role("link", name=number).click()
        # the estimate's event and the status's come apart (each as forms' relay sends it)
        shows(f"/portal/forms/{form_id}", "Onayınız isteniyor")
        expect(page.locator("main")).to_contain_text("1.500,00")
        expect(page.get_by_text("Fiyat onayınız istendi")).to_be_visible()  # the timeline
        both("walk-estimate")
        page.get_by_role("button", name="Teklifi onaylıyorum").click()
        expect(page.get_by_role("status")).to_contain_text("Kararınız kaydedildi")
        after = api.form(form_id)
        assert after["status"] == "IN_REPAIR"
        approval = api("mudur", "GET", f"/forms/{form_id}/price-approval", expect_status=200)
        decision = approval["versions"][0]["decision"]
        assert (approval["state"], decision["decision"], decision["via"]) == (
            "approved", "approved", "portal")
        assert "Chrome" in decision["user_agent"]
        shows(f"/portal/forms/{form_id}", "Fiyat onaylandı")
        shows(f"/portal/forms/{form_id}", "Tamir ediliyor")
        expect(page.get_by_role("button", name="Teklifi onaylıyorum")).to_have_count(0)
        both("walk-approved")

        # delivered: the survey on the form's page, answered with low marks
        deliver(api, form_id)
        shows(f"/portal/forms/{form_id}", "Teslim Fişi")  # the receipt issued
        shows(f"/portal/forms/{form_id}", "Hizmetimizi nasıl buldunuz?")
        expect(page.locator("h1 .status")).to_have_text("Teslim edildi")
        both("walk-survey")
        questions = page.locator("fieldset.question")
        assert questions.count() >= 1
        for i in range(questions.count()):
            questions.nth(i).get_by_label("1", exact=True).check()
        page.get_by_label("Not", exact=True).fill("Cihaz geç geldi, sorun sürüyor")
        page.get_by_role("button", name="Yanıtlarımı gönder").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Teşekkürler: yanıtlarınız kaydedildi.")
        reopened = api.form(form_id)
        assert reopened["status"] == "REOPENED"  # the same as the representative's call
        assert reopened["survey"]["status"] == "done" and reopened["survey"]["score"] < 60
        shows(f"/portal/forms/{form_id}", "Yeniden açıldı")
        expect(page.get_by_role("heading", name="Hizmetimizi nasıl buldunuz?")).to_have_count(0)
        both("walk-reopened")

        # the delivery receipt, downloaded from the form's page
        receipt = page.locator("ul.documents li", has_text="Teslim Fişi").get_by_role("link")
        with page.expect_download() as downloading:
            receipt.click()
        pdf = open(downloading.value.path(), "rb").read()
        assert pdf.startswith(b"%PDF")
        text = text_of(pdf)
        assert number in text and "Teslim" in text, text[:300]

        # the portal's page for a form that is not theirs (none here): the 404 page, checked
        assert page.goto(system.url("/portal/forms/999999")).status == 404
        both("walk-not-found")
    finally:
        phone.close()
        wide.close()

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
from tests.e2e.test_e2e_documents import mail_to, until
from tests.e2e.test_web_walk import api  # noqa: F401 (fixture)

LINK = re.compile(r"https?://\S+/reset-password#([A-Za-z0-9_-]+)")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory, "portal") as running:
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


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_the_customer_in_a_browser(system, api, chromium_browser, viewport, tmp_path):
    from playwright.sync_api import expect
    width = viewport["width"]
    company = api("masa", "POST", "/customers", {"name": f"Güneş Ödül İnşaat {width}"}, 201)
    card = api("masa", "POST", "/devices", {"customer_id": company["id"], "brand": "Arçelik",
                                            "serial": f"WB-{width}", "model": "Kombi 24"},
               201)
    email = f"ofis{width}@gunes.example.com"
    r = api("masa", "POST", "/portal/invitations", {"customer_id": company["id"],
                                                    "name": "Şule Güneş", "email": email}, 201)
    assert r["sent"]
    (mail,) = mail_to(system, email, "portal")
    link = LINK.search(mail.get_body(preferencelist=("plain",)).get_content())
    photo = tmp_path / "ariza.png"
    photo.write_bytes(PNG)

    me = PortalCustomer(chromium_browser, system, viewport)
    try:
        page = me.page
        page.goto(system.url("/portal/"))
        me.check("signin")
        # the invitation's link from the real e-mail: the password set on the page
        page.goto(system.url("/reset-password#" + link.group(1)))
        expect(page.get_by_role("heading", name="Parolanızı belirleyin")).to_be_visible()
        assert "#" not in page.url  # the token is taken off the address bar
        me.check("reset-password")
        page.get_by_label("Yeni parola", exact=True).fill("Portal-parola-42")
        page.get_by_label("Yeni parola (tekrar)").fill("Portal-parola-43")
        page.get_by_role("button", name="Parolayı belirle ve oturum aç").click()
        expect(page.get_by_text("İki parola aynı değil.")).to_be_visible()
        page.get_by_label("Yeni parola", exact=True).fill("123456")
        page.get_by_label("Yeni parola (tekrar)").fill("123456")
        page.get_by_role("button", name="Parolayı belirle ve oturum aç").click()
        expect(page.get_by_role("alert")).to_contain_text("new_password")
        me.check("reset-password-rules")
        page.get_by_label("Yeni parola", exact=True).fill("Portal-parola-42")
        page.get_by_label("Yeni parola (tekrar)").fill("Portal-parola-42")
        page.get_by_role("button", name="Parolayı belirle ve oturum aç").click()
        expect(page.get_by_role("heading", name="Servislerim", level=1)).to_be_visible()
        assert page.url.endswith("/portal/")
        me.check("home-empty")
        assert system.token(email, "Portal-parola-42")
        page.get_by_role("link", name="Profil").click()
        expect(page.get_by_label("Ad", exact=True)).to_have_value("Şule Güneş")
        me.check("profile")
        page.get_by_label("Ad", exact=True).fill("Şule Güneş Ödül")
        page.get_by_role("button", name="Kaydet").click()
        expect(page.get_by_text("Kaydedildi.")).to_be_visible()
        page.goto(system.url("/portal/devices"))
        expect(page.get_by_text(f"WB-{width}")).to_be_visible()
        me.check("devices")

        page.goto(system.url("/portal/requests/new"))
        page.get_by_label("Cihaz", exact=True).select_option(str(card["id"]))
        page.get_by_label("Sorun nedir?").fill("Sıcak su gelmiyor, ışık yanıp sönüyor")
        page.get_by_label("Fotoğraflar (JPEG veya PNG, en çok 5 tane, her biri 5 MB)") \
            .set_input_files(str(photo))
        me.check("new-request")
        page.get_by_role("button", name="Talebi gönder").click()
        expect(page.get_by_role("heading", name="Servis talebi")).to_be_visible()
        expect(page.get_by_text("İnceleniyor")).to_be_visible()
        me.check("request")
        request_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        (mine,) = [r for r in api("masa", "GET", "/portal/requests?status=submitted",
                                  expect_status=200)["items"] if r["id"] == request_id]
        assert mine["customer_id"] == company["id"] and len(mine["photos"]) == 1

        # the desk reviews it in the console: the queue, the request with its photo, accept
        from tests.browser import Person
        from tests.e2e.test_web_walk import PASSWORD
        desk = Person(chromium_browser, system, "masa", PASSWORD)
        try:
            desk.go("/review")
            expect(desk.page.get_by_role("heading", name="İnternet talepleri")).to_be_visible()
            desk.check(f"portal-review-queue-{width}")
            desk.page.locator(f'a[href="/review/{request_id}"]').click()
            expect(desk.page.get_by_text("Sıcak su gelmiyor")).to_be_visible()
            expect(desk.page.locator("ul.photos img")).to_have_count(1)
            desk.check(f"portal-review-request-{width}")
            desk.page.get_by_role("button", name="Kabul et: servis formunu aç").click()
            desk.page.wait_for_url(re.compile(r".*/forms/\d+$"))
            landed = desk.page.url
        finally:
            desk.close()
        done = api("masa", "GET", f"/portal/requests/{request_id}", expect_status=200)
        assert done["status"] == "accepted" and landed.endswith(f"/forms/{done['form_id']}")
        form = api.form(done["form_id"])
        form = api("mudur", "POST", f"/forms/{form['id']}/assignments",
                   {"user_ids": [api.ids["tekno"]]}, 200, version=form["version"])
        form = api.move("tekno", form, "DIAGNOSIS")
        api.move("tekno", form, "IN_REPAIR")

        def shown():
            page.goto(system.url("/portal/"))
            return page.get_by_text("Tamir ediliyor").count() > 0
        assert until(shown)
        me.check("home")
        page.get_by_role("link", name=done["form_number"]).click()
        expect(page.get_by_role("heading", name=done["form_number"])).to_be_visible()
        expect(page.get_by_text("Servis kaydı açıldı")).to_be_visible()
        expect(page.get_by_text("Servis Kabul Fişi")).to_be_visible()
        me.check("form")
        with page.expect_download() as downloading:
            page.get_by_role("link", name=re.compile(done["form_number"] + "-")).click()
        assert open(downloading.value.path(), "rb").read().startswith(b"%PDF")

        # another customer's form is not there for this customer: 404, not 403
        response = page.goto(system.url("/portal/forms/999999"))
        assert response.status == 404
    finally:
        me.close()

    # the tracking link, opened by anyone who has it (no sign-in), then revoked
    link = api("mudur", "POST", f"/forms/{form['id']}/tracking", {}, 200)["tracking_url"]
    path = "/track/" + link.rsplit("/", 1)[1]
    visitor = PortalCustomer(chromium_browser, system, viewport)
    try:
        page = visitor.page
        assert page.goto(system.url(path)).status == 200
        expect(page.get_by_role("heading", name=done["form_number"])).to_be_visible()
        expect(page.get_by_text("Tamir ediliyor").first).to_be_visible()
        expect(page.get_by_text("Servis kaydı açıldı")).to_be_visible()
        visitor.check("tracking")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_text("Service tracking")).to_be_visible()
        visitor.check("tracking-en")
        api("mudur", "POST", f"/forms/{form['id']}/tracking", {}, 200)
        assert page.goto(system.url(path)).status == 404
        expect(page.get_by_role("heading", name="Bu bağlantı kullanılamıyor")).to_be_visible()
        assert done["form_number"] not in page.content()
        visitor.check("tracking-gone")
    finally:
        visitor.close()

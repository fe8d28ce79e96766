"""(make test-slow) The customer's first steps in a real browser at 360 and at 1280 px,
against the running system: the invitation's link from the real e-mail sets the password (the
page switched to English and back on the way: the link's token survives it), the rules'
errors on the page, profile, devices, a request with a photo, the desk's acceptance, the form
and its timeline, the intake slip, the tracking page and its revoked link. Moved here from
tests/e2e/test_e2e_portal.py, whose whole-form walk (sign-in, request with a photo, estimate
approved, survey, delivery receipt, at both widths) stays in make test; this one starts a
system of its own."""
import re

import pytest

from tests.e2e.test_e2e_documents import mail_to, until
from tests.e2e.test_e2e_portal import (DESKTOP, LINK, PHONE, PNG, PortalCustomer,  # noqa: F401
                                       api, chromium_browser, clock, system)


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
        # the page in the other language and back: the link's token is still there (the
        # switch comes back without the fragment)
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
        page.get_by_role("button", name="Türkçe").click()
        expect(page.get_by_role("heading", name="Parolanızı belirleyin")).to_be_visible()
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

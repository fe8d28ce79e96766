"""The price approval as people live it, through the running system (deploy/run.py up, a real
SMTP server) and Debian's chromium: the manager sends the estimate from the form's page; the
customer's e-mail carries the price-approval form (PDF) and a one-time link; on a phone-sized
screen the customer approves — the form is past AWAITING_APPROVAL — or, on another form,
rejects — REPAIRED/unrepaired, and the delivery bills only the diagnosis fee with no repair
warranty. A used link, an expired one (forms' clock moved a week ahead through
CLOCK_OFFSET_FILE), a withdrawn one and a forged one each show their page and change nothing;
the manager records a decision given by phone on the expired one, and is e-mailed each
customer's decision once."""
import hashlib
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser import Person, axe, screenshot
from tests.conftest import running_system
from tests.e2e.test_e2e_documents import mail_to, text_of
from tests.e2e.test_web_walk import PASSWORD, api, browser  # noqa: F401 (fixtures)

LINK = re.compile(r"https?://\S+/approve/[A-Za-z0-9_-]+")
PHONE = {"width": 360, "height": 740}
WEEK_AND_A_DAY = str(8 * 24 * 3600)


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def system(tmp_path_factory, clock):
    with running_system(tmp_path_factory, "approval", DIAGNOSIS_FEE="150",
                        CLOCK_OFFSET_FILE=str(clock), COMPANY_PHONE="+90 232 000 00 00") \
            as running:
        yield running


class Customer:
    """The customer on a phone: no account, a browser context 360 px wide."""

    def __init__(self, browser, locale="tr-TR"):
        self.context = browser.new_context(viewport=PHONE, locale=locale,
                                           timezone_id="Europe/Istanbul", is_mobile=True)
        self.page = self.context.new_page()
        self.problems = []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))

    def open(self, url, name, status=200):
        response = self.page.goto(url)
        assert response.status == status, (url, response.status)
        self.check(name)
        return self.page

    def check(self, name):
        self.page.wait_for_load_state("networkidle")
        screenshot(self.page, name)
        assert not axe(self.page), (name, axe(self.page))
        assert not self.problems, (name, self.problems)
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width} px wide on a 360-px screen"

    def close(self):
        self.context.close()


def customer_with_form(api, name, email, serial, language="tr"):
    """A customer with an e-mail address and a form in DIAGNOSIS: an hour's work (750), a
    part (400) and a fee (100) — 1.250,00 + 20% VAT = 1.500,00."""
    c = api("masa", "POST", "/customers", {"name": name, "email": email,
                                           "language": language}, 201)
    f = api("masa", "POST", "/forms", {"customer_id": c["id"], "complaint": "Soğutmuyor",
                                       "device": {"brand": "Daikin", "serial": serial}}, 201)
    f = api("mudur", "POST", f"/forms/{f['id']}/assignments",
            {"user_ids": [api.ids["tekno"]]}, 200, version=f["version"])
    f = api.move("tekno", f, "DIAGNOSIS")
    f = api("mudur", "PATCH", f"/forms/{f['id']}", {"diagnosis": "Kompresör rölesi yanmış",
                                                    "service_fee": "100"}, 200,
            version=f["version"])
    f = api("tekno", "POST", f"/forms/{f['id']}/work-logs", {"minutes": 60}, 201,
            version=f["version"])
    return api("tekno", "POST", f"/forms/{f['id']}/parts", {
        "name": "Kompresör rölesi", "quantity": "1", "unit_price": "400"}, 201,
        version=f["version"])


def send(api, form, **body):
    return api("mudur", "POST", f"/forms/{form['id']}/price-approval", body, 201,
               version=form["version"])


def link_in(message):
    return LINK.search(message.get_body(("plain",)).get_content()).group(0)


def test_approved_by_the_link_on_a_phone_and_the_link_is_used_up(system, api, browser):
    form = customer_with_form(api, "Çağlar Işık Gıda", "caglar@example.com", "FO-1")
    manager = Person(browser, system, "mudur", PASSWORD)
    try:  # the manager sends the form's own estimate from its page
        page = manager.go(f"/forms/{form['id']}")  # nothing sent yet: the send form is open
        page.get_by_label("Müşteriye not").fill("Röle stokta, 2 günde teslim.")
        page.get_by_role("button", name="Müşteriye gönder").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Fiyat onayı bekleniyor")
        expect(page.locator("#approval")).to_contain_text("caglar@example.com")
        manager.check("approval-sent")
    finally:
        manager.close()
    [mail] = mail_to(system, "caglar@example.com", "Fiyat onayınız bekleniyor")
    url = link_in(mail)
    assert url.startswith(system.base + "/approve/")
    [pdf] = list(mail.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    docs = api("mudur", "GET", f"/forms/{form['id']}/documents", expect_status=200)["items"]
    [doc] = [d for d in docs if d["kind"] == "price_approval"]
    assert hashlib.sha256(pdf.get_content()).hexdigest() == doc["sha256"]
    text = text_of(pdf.get_content())
    assert "Fiyat Onay Formu" in text and "Çağlar Işık Gıda" in text and "1.500,00 ₺" in text
    assert url.rsplit("/", 1)[1] not in text  # the link is in the e-mail only

    customer = Customer(browser)
    try:
        page = customer.open(url, "approval-page-tr")
        expect(page.get_by_role("heading", level=1)).to_have_text("Fiyat teklifiniz")
        expect(page.locator("#approval-total")).to_have_text("₺1.500,00")
        expect(page.locator("main")).to_contain_text("Röle stokta, 2 günde teslim.")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your estimate")
        customer.check("approval-page-en")
        page.get_by_role("link", name="Türkçe").click()
        page.get_by_label("Servise notunuz (isteğe bağlı)").fill("Onaylıyorum, teşekkürler")
        page.get_by_role("button", name="Teklifi onaylıyorum").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Teşekkürler")
        customer.check("approval-done")
        after = api.form(form["id"])
        assert after["status"] == "IN_REPAIR"
        approval = api("mudur", "GET", f"/forms/{form['id']}/price-approval",
                       expect_status=200)
        decision = approval["versions"][0]["decision"]
        assert (approval["state"], decision["decision"], decision["via"]) == (
            "approved", "approved", "link")
        assert decision["ip"] == "127.0.0.1" and "Chrome" in decision["user_agent"]
        assert decision["note"] == "Onaylıyorum, teşekkürler"

        # used: the page says so, and nothing changes — not by the page, not by the API
        page = customer.open(url, "approval-used", status=410)
        expect(page.get_by_role("alert")).to_have_text(
            "Bu bağlantı kullanıldı: verilen karar kaydedildi.")
        expect(page.locator("main")).not_to_contain_text(form["number"])
        r = system.http.post(url.replace("/approve/", "/api/v1/price-approvals/") + "/decision",
                             json={"decision": "rejected"})
        assert r.status_code == 410 and r.json()["error"]["details"] == {"reason": "used"}
        assert api.form(form["id"])["version"] == after["version"]
    finally:
        customer.close()
    [told] = mail_to(system, "mudur@servis.local", "Fiyat onaylandı")
    assert form["number"] in told["Subject"]
    assert len([m for m in system.smtp.messages() if "Fiyat onay" in str(m["Subject"])
                and "mudur@servis.local" in str(m["To"])]) == 1


def test_rejected_the_device_goes_back_unrepaired_for_the_diagnosis_fee(system, api, browser):
    form = customer_with_form(api, "Demir Makine", "demir@example.com", "FO-2")
    f = send(api, form)
    [first] = mail_to(system, "demir@example.com", "Fiyat onayınız bekleniyor")
    old = link_in(first)
    # a revised estimate, typed: the first link is withdrawn
    send(api, f, lines=[{"kind": "labour", "name": "Röle değişimi", "quantity": "1",
                         "unit_price": "750"},
                        {"kind": "part", "name": "Kompresör rölesi", "unit_price": "350"}])
    mails = mail_to(system, "demir@example.com", "Fiyat onayınız bekleniyor", count=2)
    new = [link_in(m) for m in mails if link_in(m) != old][0]
    customer = Customer(browser)
    try:
        page = customer.open(old, "approval-withdrawn", status=410)
        expect(page.get_by_role("alert")).to_contain_text("Bu bağlantı geri çekildi")
        page = customer.open(new, "approval-page-v2")
        expect(page.locator("#approval-total")).to_have_text("₺1.320,00")
        page.get_by_role("button", name="Teklifi reddediyorum").click()
        expect(page.locator("main")).to_contain_text("Teklifi reddettiniz")
    finally:
        customer.close()
    f = api.form(form["id"])
    assert (f["status"], f["sub_status"], f["unrepaired"]) == ("REPAIRED", "unrepaired", True)
    f = api.move("masa", f, "DELIVERED")
    assert f["totals"]["total"] == "180.00" and f["totals"]["labour"] == "0.00"
    assert f["repair_warranty"]["end"] is None
    [done] = mail_to(system, "demir@example.com", "tamamlandı")
    assert "180,00 ₺" in done.get_body(("plain",)).get_content().replace("\xa0", " ")


def test_expired_withdrawn_and_forged_links_change_nothing(system, api, browser, clock):
    form = customer_with_form(api, "Ege Otel", "ege@example.com", "FO-3")
    f = send(api, form)
    [mail] = mail_to(system, "ege@example.com", "Fiyat onayınız bekleniyor")
    url = link_in(mail)
    customer = Customer(browser)
    pages = {}
    try:
        clock.write_text(WEEK_AND_A_DAY)  # forms' clock: eight days on
        try:
            page = customer.open(url, "approval-expired", status=410)
            expect(page.get_by_role("alert")).to_contain_text("süresi doldu")
            pages["expired"] = page.locator("main").inner_text()
            state = api("mudur", "GET", f"/forms/{f['id']}/price-approval", expect_status=200)
            assert state["state"] == "expired" and state["waiting"]
        finally:
            clock.write_text("0")
        forged = system.base + "/approve/" + secrets.token_urlsafe(32)
        page = customer.open(forged, "approval-forged", status=410)
        expect(page.get_by_role("alert")).to_have_text("Bu bağlantı geçerli değil.")
        pages["invalid"] = page.locator("main").inner_text()
    finally:
        customer.close()
    assert api.form(f["id"])["version"] == f["version"]  # neither changed anything
    strip = [re.sub(r"Bu bağlantı[^\n]*\n", "", t) for t in pages.values()]
    assert strip[0] == strip[1], pages

    manager = Person(browser, system, "mudur", PASSWORD)
    try:  # the customer called instead: the manager records it on the form's page
        page = manager.go(f"/forms/{f['id']}#approval")
        page.get_by_text("Telefonla verilen kararı kaydet").click()
        page.get_by_label("Onaylandı", exact=True).check()
        page.get_by_label("Müşteri adına karar veren").fill("Ayşe Ege (satın alma)")
        page.get_by_role("button", name="Kararı kaydet").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tamirde")
        expect(page.locator("#approval")).to_contain_text("Ayşe Ege (satın alma)")
        manager.check("approval-phone-decision")
    finally:
        manager.close()
    decision = api("mudur", "GET", f"/forms/{f['id']}/price-approval",
                   expect_status=200)["versions"][0]["decision"]
    assert (decision["via"], decision["taken_by"]) == ("phone", "Mehmet Müdür")
    assert api.form(f["id"])["status"] == "IN_REPAIR"

"""The staff console in a real browser (Debian's chromium, tests/browser.py) against the running
system: one test per screen's main write, each checked through the API, each page
screenshotted at 1280 px and checked by axe-core (no serious or critical violation) and for CSP
violations. The long walk (a form's whole day twice over) is tests/slow/test_web_long_walk.py."""
import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from playwright.sync_api import expect

from tests.browser import Person, chromium
from tests.conftest import ADMIN_PASSWORD

PASSWORD = "parola-1234"
PEOPLE = (("masa", "desk", "Deniz Masa"), ("mudur", "manager", "Mehmet Müdür"),
          ("tekno", "technician", "Tülay Teknisyen"), ("temsilci", "rep", "Ayşe Temsilci"),
          ("kontrol", "final_checker", "Kemal Kontrol"))


class Api:
    """The API as each person of the team (checks what the pages wrote)."""

    def __init__(self, system):
        self.system = system
        self.headers = {"admin": system.token("admin", ADMIN_PASSWORD)}
        self.ids = {}
        for username, role, name in PEOPLE:
            r = system.http.post(system.url("/api/v1/users"), headers=self.headers["admin"],
                                 json={"username": username, "password": PASSWORD,
                                       "role": role, "name": name, "language": "tr",
                                       "email": f"{username}@servis.local"})
            assert r.status_code == 201, r.text
            self.ids[username] = r.json()["id"]
            self.headers[username] = system.token(username, PASSWORD)

    def __call__(self, who, method, path, json=None, expect_status=None, version=None):
        headers = {**self.headers[who], **({"If-Match": f'"{version}"'} if version else {})}
        r = self.system.http.request(method, self.system.url("/api/v1" + path),
                                     headers=headers, json=json)
        if expect_status is not None:
            assert r.status_code == expect_status, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def form(self, form_id):
        return self("mudur", "GET", f"/forms/{form_id}", expect_status=200)

    def open_form(self, customer, serial, complaint="Soğutmuyor"):
        c = self("masa", "POST", "/customers", {"name": customer,
                                                "rep_user_id": self.ids["temsilci"]}, 201)
        return self("masa", "POST", "/forms", {
            "customer_id": c["id"], "complaint": complaint,
            "device": {"brand": "Daikin", "serial": serial, "device_type": "klima"}}, 201)

    def move(self, who, form, to, **extra):
        return self(who, "POST", f"/forms/{form['id']}/transitions", {"to": to, **extra}, 200,
                    version=form["version"])

    def delivered(self, customer, serial):
        """A form through its repair by the API, delivered."""
        f = self.open_form(customer, serial)
        f = self("mudur", "POST", f"/forms/{f['id']}/assignments",
                 {"user_ids": [self.ids["tekno"]]}, 200, version=f["version"])
        f = self.move("tekno", f, "DIAGNOSIS")
        f = self("tekno", "PATCH", f"/forms/{f['id']}", {
            "diagnosis": "Röle yanmış", "work_done": "Röle değişti"}, 200, version=f["version"])
        f = self("tekno", "POST", f"/forms/{f['id']}/work-logs", {"minutes": 30}, 201,
                 version=f["version"])
        for to in ("IN_REPAIR", "REPAIRED"):
            f = self.move("tekno", f, to)
        return self.move("masa", f, "DELIVERED")


@pytest.fixture(scope="module")
def api(system):
    return Api(system)


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def person(browser, system):
    opened = []

    def sign_in(username, check_sign_in=None):
        p = Person(browser, system, username, ADMIN_PASSWORD if username == "admin"
                   else PASSWORD, check_sign_in)
        opened.append(p)
        return p
    yield sign_in
    for p in opened:
        p.close()


def form_id_of(page):
    page.wait_for_url(re.compile(r".*/forms/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def tr_money(amount):
    return format_currency(Decimal(amount), "TRY", locale="tr_TR")


def test_intake_opens_a_form_for_a_new_customer_and_device(api, person):
    known = api("masa", "POST", "/customers", {"name": "Kuzey Klima"}, 201)
    api("masa", "POST", "/devices", {
        "customer_id": known["id"], "brand": "Bosch", "serial": "WEB-GAR-1", "model": "B1",
        "purchase_date": "2026-01-10", "warranty_end": "2028-01-09"}, 201)
    article = api("mudur", "POST", "/knowledge/articles", {
        "family": "KLM", "area": "ELK", "title": "Kompresör çalışmıyor: kalkış kondansatörü",
        "symptoms": "Kompresör çalışmıyor, fan dönüyor", "cause": "Kondansatör",
        "solution_steps": ["Kondansatörü ölç", "Değiştir"], "language": "tr"}, 201)
    api("mudur", "POST", f"/knowledge/articles/{article['id']}/status",
        {"status": "published"}, 200, version=article["version"])

    desk = person("masa", check_sign_in="sign-in")
    page = desk.go("/forms/new")
    page.get_by_label("Seri no").fill("WEB-GAR-1")  # a known card: its coverage today, and why
    expect(page.locator("#device-info")).to_contain_text("Üretici garantisi")
    expect(page.locator("#device-info")).to_contain_text("09.01.2028")
    page.get_by_label("Seri no").fill("WEB-YENI-1")
    expect(page.locator("#device-info")).to_contain_text("form ile kaydedilecek")
    page.get_by_label("Müşteri bul (ad veya vergi no)").fill("yıldız")
    expect(page.locator("#customer-results")).to_contain_text("Müşteri bulunamadı")
    page.get_by_text("Yeni müşteri").click()
    page.get_by_label("Ad", exact=True).fill("Yıldız Soğutma")
    page.get_by_label("Marka").fill("Arçelik")
    page.get_by_label("Model").fill("K-12")
    page.get_by_label("Müşterinin bildirdiği").fill("Kompresör çalışmıyor")
    expect(page.locator("#suggestions")).to_contain_text("kalkış kondansatörü")
    desk.check("intake")
    page.get_by_role("button", name="Formu aç").click()
    form_id = form_id_of(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kayıt açıldı")
    desk.check("form-new")
    form = api.form(form_id)
    assert form["customer_name"] == "Yıldız Soğutma" and form["status"] == "NEW"
    assert form["device"]["serial"] == "WEB-YENI-1" and form["device"]["brand"] == "Arçelik"
    assert form["complaint"] == "Kompresör çalışmıyor" and form["coverage"]["kind"] == "none"
    # the intake slip is on the form's page, and its link opens the PDF in the console's
    # session (the API's own route wants a bearer token)
    slip = page.locator("#documents a", has_text="Servis Kabul Fişi")
    expect(slip).to_be_visible(timeout=15000)
    pdf = page.request.get(desk.system.url(slip.get_attribute("href")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    # the customer search finds the new customer, Turkish-aware
    page = desk.go("/forms/new")
    page.get_by_label("Müşteri bul (ad veya vergi no)").fill("YILDIZ")
    expect(page.locator("#customer-results")).to_contain_text("Yıldız Soğutma")


def test_a_forms_page_assign_timer_part_and_delivery(api, person):
    form = api.open_form("Öztürk Tekstil", "WEB-2", "Kompresör çalışmıyor")
    fid = form["id"]
    manager = person("mudur")
    page = manager.go(f"/forms/{fid}")
    page.get_by_label("Görevli", exact=True).select_option(label="Tülay Teknisyen (teknisyen)")
    page.get_by_role("button", name="Ata", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Görevli atandı")
    manager.check("form-assigned")
    assert [a["name"] for a in api.form(fid)["assignees"]] == ["Tülay Teknisyen"]

    tech = person("tekno")
    page = tech.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Arıza tespiti").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arıza tespiti")
    page.get_by_role("button", name="▶ Sayacı başlat").click()
    expect(page.get_by_role("button", name="■ Sayacı durdur")).to_be_visible()
    page.get_by_role("button", name="■ Sayacı durdur").click()
    expect(page.get_by_role("button", name="▶ Sayacı başlat")).to_be_visible()
    page.get_by_label("Parça", exact=True).fill("Röle")
    page.get_by_label("Miktar").fill("2")
    page.get_by_label("Birim fiyat").fill("80,00")
    page.get_by_role("button", name="Parçayı ekle").click()
    expect(page.locator("#parts table")).to_contain_text(tr_money("160.00"))
    for to in ("Tamirde", "Tamir edildi"):
        page.get_by_role("button", name="→ " + to).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(to)
    tech.check("form-technician")
    form = api.form(fid)
    assert form["status"] == "REPAIRED" and [p["name"] for p in form["parts"]] == ["Röle"]
    assert len(form["work_logs"]) == 1 and not form["work_logs"][0]["running"]

    desk = person("masa")
    page = desk.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Teslim edildi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Teslim edildi")
    form = api.form(fid)
    assert form["status"] == "DELIVERED"
    expect(page.locator("#form-total")).to_have_text(tr_money(form["totals"]["total"]))
    desk.check("form-delivered")


def test_a_stale_version_says_reload_and_writes_nothing(api, person):
    form = api.open_form("Eski Sürüm Ltd", "WEB-3")
    manager = person("mudur")
    page = manager.go(f"/forms/{form['id']}")
    api("masa", "POST", f"/forms/{form['id']}/transitions",  # someone else, meanwhile
        {"to": "CANCELLED", "note": "Müşteri vazgeçti"}, 200, version=form["version"])
    page.get_by_label("Görevli", exact=True).select_option(label="Tülay Teknisyen (teknisyen)")
    page.get_by_role("button", name="Ata", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Bu kayıt başka biri tarafından değiştirildi — yeniden yükleyin.")
    manager.check("form-stale")
    after = api.form(form["id"])
    assert after["status"] == "CANCELLED" and after["assignees"] == []


def test_the_satisfaction_call_scored_low_reopens_the_form(api, person):
    form = api.delivered("Düşük Puan AŞ", "WEB-4")
    rep = person("temsilci")
    page = rep.go("/calls")
    expect(page.locator("main")).to_contain_text(form["number"])
    rep.check("calls")
    page.get_by_role("row", name=re.compile(form["number"])).get_by_role(
        "button", name="Ara").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Memnuniyet araması")
    for radio in page.locator("input[type=radio][name^=q_][value='1']").all():
        radio.check()
    rep.check("survey")
    page.get_by_role("button", name="Aramayı kaydet").click()
    page.wait_for_url(re.compile(rf".*/forms/{form['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Yeniden açıldı")
    after = api.form(form["id"])
    assert after["status"] == "REOPENED" and after["survey"]["score"] == 0


def test_the_final_check_closes_the_form(api, person):
    form = api.delivered("Son Kontrol Ltd", "WEB-5")
    form = api("temsilci", "POST", f"/forms/{form['id']}/survey", {"outcome": "unreachable"},
               200, version=form["version"])
    api.move("temsilci", form, "FINAL_CHECK")
    officer = person("kontrol")
    page = officer.go("/")
    expect(page.locator("main")).to_contain_text(form["number"])  # the dashboard's queue
    officer.check("dashboard-final-checker")
    page = officer.go("/final-check")
    page.get_by_role("link", name=form["number"]).click()
    expect(page.locator("table.checklist")).not_to_contain_text("eksik")
    officer.check("final-check")
    page.get_by_role("button", name="Formu kapat").click()
    page.wait_for_url(re.compile(rf".*/forms/{form['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kapandı")
    assert api.form(form["id"])["status"] == "CLOSED"


def test_dashboards_and_the_api_docs(api, person, system):
    api.open_form("Atanmamış Ltd", "WEB-6")
    manager = person("mudur")
    page = manager.go("/")
    expect(page.locator("main")).to_contain_text("Atanmamış formlar")
    expect(page.locator("main")).to_contain_text("Atanmamış Ltd")
    manager.check("dashboard-manager")
    page = manager.go("/forms?state=open&q=soğutmuyor")
    expect(page.locator("table")).to_contain_text("Atanmamış Ltd")
    manager.check("forms-list")
    page = manager.go("/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("main")).to_contain_text("Unassigned forms")
    manager.check("dashboard-manager-en")
    page.get_by_role("button", name="Türkçe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel")
    page = manager.go("/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/forms")
    page.get_by_role("button", name=re.compile("Authorize")).first.wait_for()
    assert not manager.csp_violations and not manager.errors
    from tests.browser import screenshot
    screenshot(page, "api-docs")

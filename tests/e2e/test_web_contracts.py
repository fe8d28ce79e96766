"""The console's contracts screens in a real browser (Debian's chromium, tests/browser.py)
against the running system, one system for the module: a contracts officer prepares a proposal
on its form from the customer's cards, changes it, e-mails it (the PDF reaches the SMTP
server), accepts it and lands on the contract in draft; makes its invoice schedule, marks an
installment invoiced with the accounting system's number and then paid; issues the insurance
notification; runs a machine-park check of a site (its PDF, the results entered back, the
differences); reads the contract reports; cancels a contract. Each write is checked through
the API; every page is screenshotted and checked by axe-core (no serious or critical
violation) and for CSP violations."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from services.common.testing import eventually
from tests.browser import Person
from tests.conftest import ADMIN_PASSWORD
from tests.e2e.test_web_walk import PASSWORD, browser  # noqa: F401 (fixture)


class Officer:
    """The API as the contracts officer (checks what the pages wrote)."""

    def __init__(self, system):
        self.system = system
        admin = system.token("admin", ADMIN_PASSWORD)
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": "sozlesme", "password": PASSWORD, "role": "contracts",
            "name": "Sevgi Sözleşme", "language": "tr", "email": "sozlesme@servis.local"})
        assert r.status_code == 201, r.text
        self.headers = system.token("sozlesme", PASSWORD)

    def __call__(self, method, path, json=None, version=None):
        headers = {**self.headers, **({"If-Match": f'"{version}"'} if version else {})}
        r = self.system.http.request(method, self.system.url("/api/v1" + path),
                                     headers=headers, json=json)
        assert r.status_code < 300, (method, path, r.text)
        return r.json()


@pytest.fixture(scope="module")
def officer(system):
    return Officer(system)


@pytest.fixture
def person(browser, system, officer):  # noqa: F811
    opened = []

    def sign_in(username="sozlesme"):
        p = Person(browser, system, username, ADMIN_PASSWORD if username == "admin"
                   else PASSWORD)
        opened.append(p)
        return p
    yield sign_in
    for p in opened:
        assert not p.csp_violations and not p.errors, (p.csp_violations, p.errors)
        p.close()


def test_a_proposal_on_its_form_changed_sent_accepted_and_invoiced(system, officer, person):
    customer = officer("POST", "/customers", {"name": "Çınar Gıda",
                                              "email": "satin@cinar.example.com"})
    cards = [officer("POST", "/devices", {"customer_id": customer["id"], "brand": "Daikin",
                                          "serial": f"WEB-SZ-{n}"}) for n in (2, 3)]
    start = date.today() + timedelta(days=30)
    me = person()
    page = me.go("/proposals")
    page.get_by_role("button", name="Yeni teklif").click()
    page.get_by_label("Müşteri bul (ad veya vergi no)").fill("çınar")
    page.get_by_role("button", name="Ara").click()
    page.get_by_role("link", name="Çınar Gıda").click()
    me.check("proposal-new")
    page.get_by_label("Daikin · WEB-SZ-2").check()
    page.get_by_label("Başlangıç", exact=True).fill(start.isoformat())
    page.get_by_label("Ay", exact=True).fill("12")
    page.get_by_label("Birim fiyat").fill("1.000,00")
    page.get_by_label("Para birimi").select_option("EUR")  # without its rate: refused
    page.get_by_label("Müdahale süresi").fill("4")
    page.get_by_label("Parça", exact=True).check()
    page.get_by_role("button", name="Teklifi hazırla").click()
    expect(page.get_by_role("alert")).to_contain_text("rate")
    me.check("proposal-new-refused")
    assert officer("GET", f"/proposals?customer_id={customer['id']}")["items"] == []
    expect(page.get_by_label("Birim fiyat")).to_have_value("1.000,00")  # as typed
    page.get_by_label("Döviz kuru (TL)").fill("35,50")
    page.get_by_role("button", name="Teklifi hazırla").click()
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    proposal_id = int(page.url.rsplit("/", 1)[1])
    p = officer("GET", f"/proposals/{proposal_id}")
    assert (p["currency"], p["rate"], p["unit_price"]) == ("EUR", "35.5000", "1000.00")
    assert p["pays"] == {"labour": True, "parts": True, "fee": True}
    assert p["service_levels"]["response_hours"] == 4
    assert [d["serial"] for d in p["devices"]] == ["WEB-SZ-2"]

    page.get_by_role("link", name="Teklifi değiştir").click()  # a new version
    me.check("proposal-edit")
    page.get_by_label("Daikin · WEB-SZ-3").check()
    page.get_by_label("Onarım süresi").fill("16")
    page.get_by_role("button", name="Yeni sürümü kaydet").click()
    page.wait_for_url(re.compile(rf".*/proposals/{proposal_id}$"))
    p = officer("GET", f"/proposals/{proposal_id}")
    assert p["version"] == 2 and p["service_levels"]["repair_hours"] == 16
    assert [d["serial"] for d in p["devices"]] == ["WEB-SZ-2", "WEB-SZ-3"]
    assert p["subtotal"] == "2000.00"

    with page.expect_navigation():
        page.get_by_role("button", name="Gönder").click()  # to the customer's address
    eventually(lambda: any("satin@cinar.example.com" in str(m.get("To", ""))
                           for m in system.smtp.messages()), timeout=30)
    page.get_by_label("Not").fill("İmzalı nüsha geldi")
    page.get_by_role("button", name="Kabul et").click()
    page.wait_for_url(re.compile(r".*/contracts/\d+$"))
    contract_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("dl.facts")).to_contain_text("Taslak")
    expect(page.locator("dl.facts")).to_contain_text("16 iş saati")
    me.check("contract-draft")
    c = officer("GET", f"/contracts/{contract_id}")
    assert c["status"] == "draft" and [d["device_id"] for d in c["devices"]] == [
        card["id"] for card in cards]

    page.get_by_label("Fatura sıklığı").select_option("quarterly")
    page.get_by_role("button", name="Fatura planını oluştur").click()
    expect(page.locator("#installment-4")).to_be_visible()
    me.check("contract-invoices")
    first = officer("GET", f"/contracts/{contract_id}/invoices")["items"][0]
    row = page.locator("#installment-1")
    row.get_by_label("Fatura no").fill("FTR-2027-0042")
    row.get_by_label("Fatura tarihi").fill(first["due_on"])
    row.get_by_label("O günün kuru (TL)").fill("36,10")
    row.get_by_role("button", name="Faturalandı olarak işaretle").click()
    expect(page.locator("#installment-1")).to_contain_text("FTR-2027-0042")
    invoiced = officer("GET", f"/contracts/{contract_id}/invoices")["items"][0]
    assert (invoiced["status"], invoiced["invoice_no"], invoiced["rate"]) == (
        "invoiced", "FTR-2027-0042", "36.1000")
    page.locator("#installment-1").get_by_label("Ödeme günü").fill(first["due_on"])
    page.locator("#installment-1").get_by_role("button",
                                               name="Ödendi olarak işaretle").click()
    expect(page.locator("#installment-1")).to_contain_text("ödendi")
    me.check("contract-paid")
    paid = officer("GET", f"/contracts/{contract_id}/invoices")["items"][0]
    assert paid["status"] == "paid" and paid["paid_on"] == first["due_on"]


def test_the_insurance_notification_of_the_insured_devices(system, officer, person):
    customer = officer("POST", "/customers", {"name": "Ilgaz Tekstil"})
    card = officer("POST", "/devices", {"customer_id": customer["id"], "brand": "Bosch",
                                        "serial": "WEB-INS-1", "insured": True,
                                        "insurer": "Anadolu Sigorta", "policy_no": "POL-77",
                                        "price": "50000.00"})
    p = officer("POST", "/proposals", {"customer_id": customer["id"], "devices": [
        {"device_id": card["id"]}], "start": (date.today() + timedelta(days=5)).isoformat(),
        "months": 12, "unit_price": "500.00"})
    p = officer("POST", f"/proposals/{p['id']}/decision", {"decision": "accepted"},
                version=p["version"])
    me = person()
    page = me.go(f"/contracts/{p['contract_id']}")
    page.get_by_label("Sigorta şirketinin e-posta adresi").fill("hasar@anadolu.example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Düzenle ve e-postayla gönder").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    me.check("contract-insurance")
    eventually(lambda: any("hasar@anadolu.example.com" in str(m.get("To", ""))
                           for m in system.smtp.messages()), timeout=30)


def test_a_machine_park_check_of_a_site(system, officer, person):
    customer = officer("POST", "/customers", {"name": "Ege Makine", "sites": [
        {"name": "Fabrika", "city": "İzmir"}]})
    site = customer["sites"][0]
    known = [officer("POST", "/devices", {"customer_id": customer["id"], "brand": "Mitsubishi",
                                          "serial": f"WEB-MP-{n}", "site_id": site["id"]})
             for n in (1, 2)]
    me = person()
    page = me.go(f"/customers/{customer['id']}")
    page.get_by_role("link", name="Makine parkı kontrolü").click()
    me.check("machine-park-new")
    page.get_by_role("button", name="Formu oluştur").click()
    page.wait_for_url(re.compile(r".*/machine-park-checks/\d+$"))
    check_id = int(page.url.rsplit("/", 1)[1])
    me.check("machine-park")
    pdf = eventually(lambda: _pdf(system, page, check_id), timeout=60)
    assert pdf.startswith(b"%PDF")
    page.get_by_label("Sonuç WEB-MP-1").select_option("present")
    page.get_by_label("Durum WEB-MP-1").select_option("worn")
    page.get_by_label("Sonuç WEB-MP-2").select_option("missing")
    page.get_by_label("Not WEB-MP-2").fill("Hurdaya ayrılmış")
    page.get_by_label("Marka").fill("Arçelik")
    page.get_by_label("Seri no").fill("WEB-MP-YENİ")
    page.get_by_role("button", name="Sonuçları kaydet").click()
    expect(page.get_by_role("button", name="Sonuçları kaydet")).to_have_count(0)  # done
    expect(page.locator("#differences")).to_contain_text("WEB-MP-2")
    expect(page.locator("#differences")).to_contain_text("WEB-MP-YENİ")
    me.check("machine-park-done")
    check = officer("GET", f"/machine-park-checks/{check_id}")
    results = {i["serial"]: (i["result"], i["condition"]) for i in check["items"]}
    assert results == {"WEB-MP-1": ("present", "worn"), "WEB-MP-2": ("missing", None),
                       "WEB-MP-YENİ": ("new", None)}
    found = officer("GET", f"/devices?customer_id={customer['id']}")["items"]
    assert {d["serial"] for d in found} == {"WEB-MP-1", "WEB-MP-2", "WEB-MP-YENİ"}
    assert len(known) == 2


def _pdf(system, page, check_id):
    """The check's form through the console's link with the page's session (409 while it is
    being rendered)."""
    r = page.request.get(system.url(f"/machine-park-checks/{check_id}/form.pdf"))
    return r.body() if r.ok and r.headers.get("content-type") == "application/pdf" else None


def test_the_contract_reports_and_a_cancel(system, officer, person):
    customer = officer("POST", "/customers", {"name": "Kuzey Soğutma"})
    card = officer("POST", "/devices", {"customer_id": customer["id"], "brand": "Daikin",
                                        "serial": "WEB-SZ-1"})
    start = date.today() + timedelta(days=30)
    p = officer("POST", "/proposals", {
        "customer_id": customer["id"], "devices": [{"device_id": card["id"]}],
        "start": start.isoformat(), "months": 12, "unit_price": "1000.00",
        "service_levels": {"response_hours": 4, "repair_hours": 16}})
    p = officer("POST", f"/proposals/{p['id']}/decision", {"decision": "accepted"},
                version=p["version"])
    c = officer("GET", f"/contracts/{p['contract_id']}")
    officer("POST", f"/contracts/{c['id']}/invoices", {"frequency": "single"},
            version=c["version"])
    me = person()
    page = me.go("/contracts")
    page.get_by_role("link", name="Sözleşme raporları").click()
    page.get_by_label("Başlangıç (ay)").fill(start.strftime("%Y-%m"))
    page.get_by_label("Bitiş (ay)").fill(start.strftime("%Y-%m"))
    page.get_by_label("Gruplama").select_option("contract")
    page.get_by_role("button", name="Göster").nth(1).click()
    expect(page.locator("#r-revenue").locator("..")).to_contain_text(c["number"])
    me.check("contract-reports")

    page = me.go(f"/contracts/{c['id']}")
    page.get_by_label("Gerekçe").fill("Müşteri vazgeçti")
    page.get_by_label("Kapsamın bittiği gün").fill(start.isoformat())
    page.get_by_role("button", name="Sözleşmeyi iptal et").click()
    expect(page.locator("dl.facts")).to_contain_text("İptal edildi")
    cancelled = officer("GET", f"/contracts/{c['id']}")
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == \
        "Müşteri vazgeçti"


def test_the_admin_saves_a_new_version_of_the_proposal_template(system, officer, person):
    admin = system.token("admin", ADMIN_PASSWORD)
    before = system.http.get(system.url("/api/v1/proposal-template"), headers=admin).json()
    me = person("admin")
    page = me.go("/admin/templates")
    page.get_by_role("link", name="Sözleşme teklifinin şablonu (teklif ve sözleşme metni)").click()
    me.check("proposal-template")
    source = page.get_by_label("Şablon kaynağı (HTML, Jinja2)").input_value()
    page.get_by_label("Şablon kaynağı (HTML, Jinja2)").fill(
        source.replace("</body>", "<p>Ek madde: yıllık bakım iki ziyarettir.</p></body>", 1)
        if "</body>" in source else source + "\n{# ek madde #}\n")
    page.get_by_label("Not").fill("Ek madde")
    page.get_by_role("button", name="Yeni sürüm olarak kaydet").click()
    expect(page.get_by_role("status")).to_be_visible()
    after = system.http.get(system.url("/api/v1/proposal-template"), headers=admin).json()
    assert after["version"] != before["version"] and after["overridden"]
    assert len(after["versions"]) == len(before["versions"]) + 1
    assert after["versions"][0]["note"] == "Ek madde"

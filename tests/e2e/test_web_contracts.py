"""The console's contracts screens in a real browser (Debian's chromium) against the running
system: a contracts officer accepts a proposal on its page and lands on the contract in draft,
then cancels it; each write checked through the API, each page screenshotted and checked by
axe-core and for CSP violations."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import Person, chromium
from tests.conftest import ADMIN_PASSWORD

PASSWORD = "parola-1234"


@pytest.fixture(scope="module")
def officer(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "sozlesme", "password": PASSWORD, "role": "contracts",
        "name": "Sevgi Sözleşme", "language": "tr", "email": "sozlesme@servis.local"})
    assert r.status_code == 201, r.text
    return system.token("sozlesme", PASSWORD)


def test_accept_a_proposal_and_cancel_its_contract(system, officer):
    def api(method, path, json=None, version=None):
        headers = {**officer, **({"If-Match": f'"{version}"'} if version else {})}
        r = system.http.request(method, system.url("/api/v1" + path), headers=headers,
                                json=json)
        assert r.status_code < 300, (method, path, r.text)
        return r.json()
    customer = api("POST", "/customers", {"name": "Çınar Gıda"})
    device = api("POST", "/devices", {"customer_id": customer["id"], "brand": "Daikin",
                                      "serial": "WEB-SZ-1"})
    start = date.today() + timedelta(days=30)
    proposal = api("POST", "/proposals", {
        "customer_id": customer["id"], "devices": [{"device_id": device["id"]}],
        "start": start.isoformat(), "months": 12, "unit_price": "1000.00",
        "service_levels": {"response_hours": 4, "repair_hours": 16}})

    with chromium() as browser:
        person = Person(browser, system, "sozlesme", PASSWORD)
        try:
            page = person.go("/proposals")
            expect(page.get_by_role("link", name=proposal["number"])).to_be_visible()
            page.get_by_role("link", name=proposal["number"]).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(proposal["number"])
            person.check("proposal")
            page.get_by_label("Not").fill("İmzalı nüsha geldi")
            page.get_by_role("button", name="Kabul et").click()
            page.wait_for_url(re.compile(r".*/contracts/\d+$"))
            contract_id = int(page.url.rsplit("/", 1)[1])
            expect(page.locator("dl.facts")).to_contain_text("Taslak")
            expect(page.locator("dl.facts")).to_contain_text("16 iş saati")
            person.check("contract")
            assert api("GET", f"/proposals/{proposal['id']}")["decision"]["note"] == \
                "İmzalı nüsha geldi"

            page.get_by_label("Gerekçe").fill("Müşteri vazgeçti")
            page.get_by_label("Kapsamın bittiği gün").fill(start.isoformat())
            page.get_by_role("button", name="Sözleşmeyi iptal et").click()
            expect(page.locator("dl.facts")).to_contain_text("İptal edildi")
            contract = api("GET", f"/contracts/{contract_id}")
            assert contract["status"] == "cancelled"
            assert contract["cancel_reason"] == "Müşteri vazgeçti"
            assert not person.csp_violations and not person.errors
        finally:
            person.close()

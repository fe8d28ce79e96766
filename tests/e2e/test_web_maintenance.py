"""The console's periodic maintenance screens in a real browser (Debian's chromium) against the
running system: a contracts officer makes a plan on its page (the team ticked among the
technicians; a window longer than the interval is refused naming the field, nothing written),
a technician sees their calendar, the officer reschedules a visit (both dates shown) and skips
another with a reason, records a meter reading (a lower one refused), changes the plan's
lead days on its page and cancels the plan (refused without a reason); each write checked
through the API, each page screenshotted and checked by axe-core and for CSP violations."""
from datetime import timedelta

from playwright.sync_api import expect

from services.contracts.domain import local_date
from tests.browser import Person, chromium
from tests.conftest import ADMIN_PASSWORD

PASSWORD = "parola-1234"


def officer_and_technician(system, officer, technician):
    """A contracts officer and a technician made by the admin ((username, name) each): their
    ids by username, and api(method, path, json, version) as the officer (a 2xx asserted)."""
    admin = system.token("admin", ADMIN_PASSWORD)
    ids = {}
    for (username, name), role in ((officer, "contracts"), (technician, "technician")):
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": PASSWORD, "role": role, "name": name,
            "language": "tr", "email": f"{username}@servis.local"})
        assert r.status_code == 201, r.text
        ids[username] = r.json()["id"]
    headers = system.token(officer[0], PASSWORD)

    def api(method, path, json=None, version=None):
        r = system.http.request(method, system.url("/api/v1" + path), json=json, headers={
            **headers, **({"If-Match": f'"{version}"'} if version else {})})
        assert r.status_code < 300, (method, path, r.text)
        return r.json()
    return ids, api


def test_plan_calendar_reschedule_skip_and_readings(system):
    ids, api = officer_and_technician(system, ("sozlesme", "Sevgi Sözleşme"),
                                      ("tekno", "Tülay Teknisyen"))
    customer = api("POST", "/customers", {"name": "Çınar Ofis"})
    device = api("POST", "/devices", {"customer_id": customer["id"], "brand": "Canon",
                                      "serial": "WEB-BK-1"})
    start = local_date() + timedelta(days=30)  # a draft contract: plans are made before
    p = api("POST", "/proposals", {"customer_id": customer["id"], "start": start.isoformat(),
                                   "devices": [{"device_id": device["id"]}], "months": 12,
                                   "unit_price": "1000.00"})
    contract_id = api("POST", f"/proposals/{p['id']}/decision", {"decision": "accepted"},
                      version=1)["contract_id"]

    with chromium() as browser:
        person = Person(browser, system, "sozlesme", PASSWORD)
        try:
            page = person.go("/maintenance/plans")
            page.get_by_label("Sözleşme no").fill(str(contract_id))
            page.get_by_label("Cihaz no").fill(str(device["id"]))
            page.get_by_label("Tekrar kuralı (RRULE)").fill("FREQ=WEEKLY")
            page.get_by_label("Ziyaret penceresi (gün)").fill("9")
            page.get_by_label("Tülay Teknisyen").check()
            page.get_by_role("button", name="Planı oluştur").click()
            expect(page.locator("[role=alert], .alert").first).to_contain_text("9 gün")
            assert api("GET", f"/maintenance-plans?contract_id={contract_id}")["items"] == []
            person.check("maintenance-plan-refused")
            page.get_by_label("Tekrar kuralı (RRULE)").fill("FREQ=MONTHLY;INTERVAL=3")
            page.get_by_label("Ziyaret penceresi (gün)").fill("7")
            page.get_by_label("Tülay Teknisyen").check()
            page.get_by_role("button", name="Planı oluştur").click()
            page.wait_for_url("**/maintenance?state=planned*")
            (plan,) = api("GET", f"/maintenance-plans?contract_id={contract_id}")["items"]
            assert plan["counts"]["total"] == 4 and plan["team"][0]["user_id"] == ids["tekno"]
            visits = api("GET", f"/maintenance-visits?plan_id={plan['id']}")["items"]
            expect(page.locator(f"#visit-{visits[0]['id']}")).to_contain_text("Çınar Ofis")
            person.check("maintenance-calendar")
            # the plan team's calendar
            page = person.go(f"/maintenance?state=planned&team_of={plan['id']}")
            expect(page.locator(f"#visit-{visits[0]['id']}")).to_be_visible()
            page = person.go(f"/maintenance?state=planned&technician_ids={ids['tekno']}"
                           "&technician_ids=99")
            expect(page.locator(f"#visit-{visits[0]['id']}")).to_be_visible()
            expect(page.get_by_label("Tülay Teknisyen")).to_be_checked()

            page = person.go(f"/maintenance/visits/{visits[1]['id']}")
            target = (local_date() + timedelta(days=200)).isoformat()
            page.get_by_label("Yeni tarih").fill(target)
            page.locator("#reschedule").get_by_label("Gerekçe").fill("Müşteri talebi")
            page.get_by_role("button", name="Tarihi değiştir").click()
            expect(page.locator("dl.facts")).to_contain_text("Müşteri talebi")
            moved = api("GET", f"/maintenance-visits/{visits[1]['id']}")
            assert (moved["planned_on"], moved["scheduled_on"]) == (visits[1]["planned_on"],
                                                                    target)
            page.get_by_label("Okuma", exact=True).fill("120000")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("table.list")).to_contain_text("120000")
            page.get_by_label("Okuma", exact=True).fill("100")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("[role=alert], .alert").first).to_contain_text("120000")
            person.check("maintenance-visit")

            page = person.go(f"/maintenance/visits/{visits[2]['id']}")
            page.locator("#skip").get_by_label("Gerekçe").fill("Cihaz yerinde yok")
            page.get_by_role("button", name="Ziyareti atla").click()
            expect(page.locator("dl.facts")).to_contain_text("Atlandı")
            assert api("GET", f"/maintenance-visits/{visits[2]['id']}")["reason"] == \
                "Cihaz yerinde yok"

            # the plan changed on its page: a lead of 3 days (the version read), then cancelled
            page = person.go(f"/maintenance/plans/{plan['id']}")
            page.locator("#change-plan").get_by_label("Hatırlatma (kaç gün önce)").fill("3")
            page.get_by_role("button", name="Planı değiştir").click()
            expect(page.locator("#plan-lead")).to_have_text("3")
            changed = api("GET", f"/maintenance-plans/{plan['id']}")
            assert (changed["lead_days"], changed["version"]) == (3, 2)
            person.check("maintenance-plan")
            page.get_by_role("button", name="Planı iptal et").click()  # no reason: refused
            expect(page.locator("[role=alert], .alert").first).to_be_visible()
            assert api("GET", f"/maintenance-plans/{plan['id']}")["status"] == "active"
            page.locator("#cancel-plan").get_by_label("Gerekçe").fill("Cihaz satıldı")
            page.get_by_role("button", name="Planı iptal et").click()
            expect(page.locator("#plan-status")).to_contain_text("İptal edildi")
            left = api("GET", f"/maintenance-visits?plan_id={plan['id']}&state=planned")
            assert left["items"] == []
            assert not person.csp_violations and not person.errors
        finally:
            person.close()
        tech = Person(browser, system, "tekno", PASSWORD)
        try:
            page = tech.go("/maintenance?state=planned")  # their own calendar by default
            expect(page.get_by_label("Teknisyen", exact=True)).to_have_value(str(ids["tekno"]))
            # the plan cancelled: none of its visits is planned any more; the rescheduled one
            # (a history) was cancelled as superseded by the change, the others remade
            expect(page.locator("[id^=visit-]")).to_have_count(0)
            page = tech.go("/maintenance?state=cancelled")
            expect(page.locator(f"#visit-{visits[1]['id']}")).to_be_visible()
            expect(page.locator(f"#visit-{visits[0]['id']}")).to_have_count(0)  # remade
            expect(page.locator(f"#visit-{visits[2]['id']}")).to_have_count(0)  # skipped
            expect(page.get_by_label("Teknisyen", exact=True)).to_have_value(str(ids["tekno"]))
            tech.check("maintenance-technician-calendar")
            # on the technician's phone the calendar and a visit fit the screen's width (the
            # menu wraps; a wide table scrolls in its box): the new user saw 795 px
            page.set_viewport_size({"width": 360, "height": 740})
            for path in ("/maintenance?state=cancelled",
                         f"/maintenance/visits/{visits[1]['id']}"):
                page = tech.go(path)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, (path, width)
        finally:
            tech.close()


def test_a_technician_records_readings_and_the_officer_prices_pages(system):
    """A technician reads a copier's meter on the visit's page (the reading shown with the
    pages since the previous; a lower one refused naming it; the same value as a meter
    replacement accepted), checked through the API; the contracts officer prices the pages on
    the contract's page (a Turkish decimal comma), checked through the API."""
    ids, api = officer_and_technician(system, ("sayfaci", "Şule Sözleşme"),
                                      ("okuyan", "Ömer Okuyan"))
    customer = api("POST", "/customers", {"name": "Işık Fotokopi"})
    device = api("POST", "/devices", {"customer_id": customer["id"], "brand": "Ricoh",
                                      "serial": "WEB-MTR-1"})
    start = local_date() + timedelta(days=10)
    p = api("POST", "/proposals", {"customer_id": customer["id"], "start": start.isoformat(),
                                   "devices": [{"device_id": device["id"]}], "months": 12,
                                   "unit_price": "1000.00"})
    contract_id = api("POST", f"/proposals/{p['id']}/decision", {"decision": "accepted"},
                      version=1)["contract_id"]
    plan = api("POST", "/maintenance-plans", {
        "contract_id": contract_id, "device_id": device["id"], "rrule": "FREQ=MONTHLY",
        "window_days": 5, "team": [ids["okuyan"]]})
    visit = api("GET", f"/maintenance-visits?plan_id={plan['id']}")["items"][0]

    with chromium() as browser:
        tech = Person(browser, system, "okuyan", PASSWORD)
        try:
            page = tech.go(f"/maintenance/visits/{visit['id']}")
            page.get_by_label("Okuma", exact=True).fill("50000")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("#readings")).to_contain_text("50000")
            page.get_by_label("Okuma", exact=True).fill("52500")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("#readings tbody tr").nth(1)).to_contain_text("2500")
            page.get_by_label("Okuma", exact=True).fill("40")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("[role=alert], .alert").first).to_contain_text("52500")
            page.get_by_label("Okuma", exact=True).fill("40")
            page.get_by_label("Sayaç değiştirildi").check()
            page.get_by_label("Not", exact=True).fill("Sayaç değişti")
            page.get_by_role("button", name="Okumayı kaydet").click()
            expect(page.locator("#readings")).to_contain_text("yeni sayaç")
            readings = api("GET", f"/maintenance-visits/{visit['id']}/readings")["items"]
            assert [(r["value"], r["pages"], r["replacement"]) for r in readings] == [
                (50000, None, False), (52500, 2500, False), (40, 40, True)]
            assert readings[0]["by"]["name"] == "Ömer Okuyan"
            tech.check("maintenance-readings")
            assert not tech.csp_violations and not tech.errors
        finally:
            tech.close()
        person = Person(browser, system, "sayfaci", PASSWORD)
        try:
            page = person.go(f"/contracts/{contract_id}")
            section = page.locator("#pages")
            section.get_by_label("Aylık sayfa hakkı 1").fill("2000")
            section.get_by_label("Aşan sayfa başına fiyat 1").fill("0,05")
            page.get_by_role("button", name="Sayfa koşullarını kaydet").click()
            page.wait_for_load_state("networkidle")
            expect(section.get_by_label("Aylık sayfa hakkı 1")).to_have_value("2000")
            expect(section.get_by_label("Aşan sayfa başına fiyat 1")).to_have_value("0,05")
            terms = api("GET", f"/contracts/{contract_id}/page-terms")["items"]
            assert terms == [{"device_id": device["id"], "meter": "total",
                              "monthly_allowance": 2000, "page_price": "0.0500"}]
            person.check("contract-page-terms")
            assert not person.csp_violations and not person.errors
        finally:
            person.close()

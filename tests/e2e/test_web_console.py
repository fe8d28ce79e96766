"""The staff console's other screens (issue 15) in a real browser (Debian's chromium,
tests/browser.py) against the running system, one system start for the module: the forms
lists, customers, device cards, the import, reports, the knowledge archive and the
administration. Each test does the screen's main action and checks the result through the
API; every page is screenshotted and checked by axe-core (no serious or critical violation)
and for CSP violations."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser import Person
from tests.conftest import ADMIN_PASSWORD, running_system
from tests.e2e.test_web_walk import PASSWORD, api, browser  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """The system for this module: an e-mail the server refuses fails at once (one attempt),
    so the delivery log's resend has a failed e-mail to show."""
    with running_system(tmp_path_factory, "console", MAIL_RETRY_ATTEMPTS="1") as running:
        yield running


@pytest.fixture
def person(browser, system):
    opened = []

    def sign_in(username):
        p = Person(browser, system, username, ADMIN_PASSWORD if username == "admin"
                   else PASSWORD)
        opened.append(p)
        return p
    yield sign_in
    for p in opened:
        p.close()


def numbers_on(page):
    return [a.inner_text() for a in page.locator("main table tbody tr td:first-child a").all()]


def test_forms_lists_filter_sort_page_and_csv(api, person, system):
    made = [api.open_form(name, f"LST-{i}", complaint)
            for i, (name, complaint) in enumerate((
                ("Zeytin Gıda", "Ekran kırık"), ("Çelik Yapı", "Su kaçırıyor, ses yapıyor"),
                ("Demir Döküm", "Su kaçırıyor"), ("İnci Tekstil", "Su kaçırıyor")))]
    api.move("masa", made[0], "CANCELLED", note="Müşteri vazgeçti")  # a closed one
    manager = person("mudur")
    # open forms whose complaint says "su kaçırıyor", customers in Turkish order, two a page
    page = manager.go("/forms?state=open")
    page.get_by_label("Şikayette geçen kelimeler").fill("SU KAÇIRIYOR")
    page.get_by_label("Sıralama").select_option(label="Müşteri A–Z")
    page.get_by_label("Sayfa başına satır").select_option("25")
    page.get_by_role("button", name="Ara", exact=True).click()
    page.wait_for_url(re.compile(r".*q=SU.*sort=customer"))
    expect(page.locator("main table")).to_contain_text("İnci Tekstil")
    names = [c.inner_text() for c in page.locator("main table tbody tr td:nth-child(3)").all()]
    assert "Zeytin Gıda" not in names, names
    assert names.index("Çelik Yapı") < names.index("Demir Döküm") < names.index("İnci Tekstil")
    manager.check("forms-open-filtered")
    through_api = api("mudur", "GET", "/forms?state=open&q=su+ka%C3%A7%C4%B1r%C4%B1yor"
                      "&sort=customer&limit=25", expect_status=200)["items"]
    assert numbers_on(page) == [f["number"] for f in through_api]
    # cursor paging: two a page, the next page follows on
    page = manager.go("/forms?state=open&q=su+kaçırıyor&sort=customer&limit=2")
    first = numbers_on(page)
    page.get_by_role("link", name="Devamı →").click()
    expect(page.get_by_role("link", name="← İlk sayfa")).to_be_visible()
    assert numbers_on(page)[0] not in first and len(first) == 2
    # the closed list holds the cancelled one; the status filter narrows it
    page = manager.go("/forms")
    page.get_by_role("link", name="Kapalı", exact=True).click()
    expect(page.locator("main table")).to_contain_text(made[0]["number"])
    page.get_by_label("Statü").select_option(label="İptal")
    page.get_by_label("Açılış başlangıcı").fill("01.01.2020")  # a date the Turkish way
    page.get_by_role("button", name="Ara", exact=True).click()
    expect(page.locator("main table")).to_contain_text("Zeytin Gıda")
    expect(page.locator("main table")).not_to_contain_text("Çelik Yapı")
    manager.check("forms-closed")
    # the CSV download: the API's columns in Turkish, ;-separated, every row of the filter
    href = page.get_by_role("button", name="CSV indir").get_attribute("href")
    answer = page.request.get(system.url(href))
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text().lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Kayıt no", "Tür", "Statü"]
    assert [r[0] for r in rows[1:]] == [f["number"] for f in api(
        "mudur", "GET", "/forms?state=closed&status=CANCELLED&opened_from=2020-01-01",
        expect_status=200)["items"]]


def test_customers_search_create_and_edit_with_the_version_contract(api, person):
    desk = person("masa")
    page = desk.go("/customers/new")
    page.get_by_label("Ad", exact=True).fill("Şahin Soğutma")
    page.get_by_label("İl", exact=True).fill("istanbul")
    page.get_by_label("Telefon", exact=True).fill("0212 555 01 23")
    page.get_by_label("Temsilci").select_option(label="Ayşe Temsilci")
    page.get_by_label("Lokasyon 1").fill("Merkez Depo")
    page.get_by_label("Yetkili adı 1").fill("Ali Işık")
    desk.check("customer-new")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_url(re.compile(r".*/customers/\d+$"))
    cid = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Şahin Soğutma")
    expect(page.locator("#customer-rep")).to_contain_text("Ayşe Temsilci")
    desk.check("customer-page")
    customer = api("masa", "GET", f"/customers/{cid}", expect_status=200)
    assert customer["city"] == "İstanbul" and customer["rep_name"] == "Ayşe Temsilci"
    assert [s["name"] for s in customer["sites"]] == ["Merkez Depo"]
    assert [c["name"] for c in customer["contacts"]] == ["Ali Işık"]
    # the search as you type, Turkish-aware
    page = desk.go("/customers")
    page.get_by_label("Müşteri bul (ad veya vergi no)").fill("ŞAHİN")
    expect(page.locator("#customer-list")).to_contain_text("Şahin Soğutma")
    desk.check("customers")
    # a stale edit: someone else changed the customer meanwhile; nothing of ours is written
    page = desk.go(f"/customers/{cid}/edit")
    api("mudur", "PATCH", f"/customers/{cid}", {"phone": "0216 000 00 00"}, 200,
        version=customer["version"])
    page.get_by_label("Telefon", exact=True).fill("0312 111 11 11")
    page.get_by_role("button", name="Kaydet").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Bu kayıt başka biri tarafından değiştirildi — yeniden yükleyin.")
    desk.check("customer-stale")
    assert api("masa", "GET", f"/customers/{cid}", expect_status=200)["phone"] == \
        "0216 000 00 00"
    # read again, the edit goes through
    page.get_by_role("button", name="Yeniden yükle").click()
    page.get_by_label("Telefon", exact=True).fill("0312 111 11 11")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_url(re.compile(rf".*/customers/{cid}$"))
    after = api("masa", "GET", f"/customers/{cid}", expect_status=200)
    assert after["phone"] == "0312 111 11 11" and after["version"] == customer["version"] + 2
    # contact persons (their e-mail addresses) are the managers' to change (access rules)
    manager = person("mudur")
    page = manager.go(f"/customers/{cid}/edit")
    page.get_by_label("Yetkili adı 2").fill("Ayşe Çınar")
    page.get_by_label("E-posta 2").fill("ayse@sahin.com.tr")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_url(re.compile(rf".*/customers/{cid}$"))
    expect(page.locator("#contacts")).to_contain_text("Ayşe Çınar")
    after = api("masa", "GET", f"/customers/{cid}", expect_status=200)
    assert [c["name"] for c in after["contacts"]] == ["Ali Işık", "Ayşe Çınar"]
    assert after["phone"] == "0312 111 11 11"  # the unchanged fields were not sent


def test_a_device_card_its_coverage_history_forms_and_the_warranty_ends(api, person):
    owner = api("masa", "POST", "/customers", {"name": "Kart Makina"}, 201)
    card = api("masa", "POST", "/devices", {
        "customer_id": owner["id"], "brand": "Canon", "serial": "KART-1", "model": "iR-2520",
        "purchase_date": "2026-03-01", "warranty_end": "2028-02-29"}, 201)
    api("masa", "PATCH", f"/devices/{card['id']}", {"vendor": "Ofis Ltd"}, 200,
        version=card["version"])
    form = api("masa", "POST", "/forms", {"customer_id": owner["id"], "device_id": card["id"],
                                          "complaint": "Kağıt sıkıştırıyor"}, 201)
    manager = person("mudur")
    page = manager.go(f"/customers/{owner['id']}")
    page.get_by_role("link", name="KART-1").click()
    page.wait_for_url(re.compile(rf".*/devices/{card['id']}$"))
    expect(page.locator("#coverage")).to_contain_text("Üretici garantisi")
    expect(page.locator("#coverage")).to_contain_text("29.02.2028")
    expect(page.locator("main")).to_contain_text(form["number"])
    expect(page.locator("#device-history")).to_contain_text("Ofis Ltd")
    manager.check("device-card")
    coverage = api("mudur", "GET", f"/devices/{card['id']}/coverage", expect_status=200)
    assert coverage["coverage"]["kind"] == "manufacturer_warranty"
    # the cards whose warranty ends in February 2028
    page = manager.go("/devices/ends?which=warranty_end&month=2028-02")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Şubat 2028")
    expect(page.locator("#ends")).to_contain_text("KART-1")
    manager.check("warranty-ends")
    listed = api("mudur", "GET", "/devices?warranty_end_from=2028-02-01"
                 "&warranty_end_to=2028-02-29", expect_status=200)["items"]
    assert [d["serial"] for d in listed] == \
        page.locator("#ends tbody tr td:nth-child(3)").all_inner_texts()
    # the reports by customer, model and coverage
    page = manager.go("/devices/reports/by-coverage?status=manufacturer_warranty")
    expect(page.locator("#report")).to_contain_text("KART-1")
    manager.check("devices-by-coverage")
    page = manager.go("/devices/reports/by-model?brand=canon")
    expect(page.locator("#report")).to_contain_text("Kart Makina")


def test_an_import_shows_its_progress_and_the_failed_rows(api, person, system):
    manager = person("mudur")
    page = manager.go("/import")
    manager.check("import")
    # the Turkish template, downloaded from the page, is the file's start
    template = page.request.get(system.url(page.get_by_role(
        "link", name="Türkçe şablon").first.get_attribute("href")))
    assert template.status == 200
    header = template.text().lstrip("\ufeff").splitlines()[0].split(";")
    assert header[:2] == ["Müşteri adı", "Vergi no"]
    english = page.request.get(system.url(page.get_by_role(
        "link", name="İngilizce şablon").first.get_attribute("href")))
    assert english.text().lstrip("\ufeff").startswith("Customer name")

    def row(**cells):
        return ";".join(cells.get(h, "") for h in header)
    lines = [";".join(header),
             row(**{"Müşteri adı": "Ömür Tekstil", "İl": "İzmir", "Marka": "Arçelik",
                    "Seri no": "IMP-1", "Alış tarihi": "15.03.2024"}),
             row(**{"Müşteri adı": "Ömür Tekstil", "İl": "Atlantis", "Marka": "Arçelik",
                    "Seri no": "IMP-2"}),
             row(**{"Müşteri adı": "Ömür Tekstil", "İl": "İzmir", "Marka": "Vestel",
                    "Seri no": "IMP-3", "Garanti başlangıç": "01.06.2025",
                    "Garanti bitiş": "01.06.2027"})]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    page.get_by_label("CSV dosyası (Excel'den kaydedilmiş)").set_input_files(
        files=[{"name": "aktarım.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Yükle ve içe aktar").click()
    page.wait_for_url(re.compile(r".*/import/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#import-state")).to_contain_text("İçe aktarım bitti")
    expect(page.locator("#import-bar")).to_have_attribute("value", "3")
    expect(page.locator("#failed-rows")).to_contain_text("Türkiye'nin bir ili değil")
    assert page.locator("#failed-rows tbody td").first.inner_text() == "3"
    assert page.locator("#import-progress").get_attribute("hx-trigger") is None  # polling ends
    manager.check("import-done")
    job = api("mudur", "GET", f"/devices/import/{job_id}", expect_status=200)
    assert job["status"] == "done" and job["failed"] == 1 and job["errors"][0]["row"] == 3
    assert api("mudur", "GET", "/devices?serial=IMP-3", expect_status=200)["items"][0][
        "warranty_end"] == "2027-06-01"


def test_reports_revenue_and_satisfaction_charts_tables_and_csv(api, person, system):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from babel.numbers import format_decimal

    from tests.e2e.test_web_walk import tr_money
    form = api.delivered("Gelir Ölçüm Ltd", "REV-1")
    questions = api("temsilci", "GET", "/catalogues/survey-questions", expect_status=200)
    api("temsilci", "POST", f"/forms/{form['id']}/survey", {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": q["scale_max"]} for q in questions["items"]]}, 200,
        version=form["version"])
    today = datetime.now(ZoneInfo("Europe/Istanbul")).date()
    manager = person("mudur")
    page = manager.go("/reports/revenue")
    page.get_by_label("Gruplama").select_option(label="Müşteri")
    page.get_by_label("Başlangıç").fill("01.01.2020")
    page.get_by_label("Bitiş").fill(today.strftime("%d.%m.%Y"))
    page.get_by_role("button", name="Göster").click()
    page.wait_for_url(re.compile(r".*group_by=customer.*"))
    expect(page.locator("#report-table")).to_contain_text("Gelir Ölçüm Ltd")
    manager.check("report-revenue")
    query = f"group_by=customer&from=2020-01-01&to={today.isoformat()}"
    report = api("mudur", "GET", "/reports/revenue?" + query, expect_status=200)
    mine = next(i for i in report["items"] if i["name"] == "Gelir Ölçüm Ltd")
    row = page.get_by_role("row", name=re.compile("Gelir Ölçüm Ltd"))
    expect(row).to_contain_text(tr_money(mine["total"]))
    # the chart is the API's own SVG, titled and scaled in Turkish
    svg = system.http.get(system.url("/api/v1/reports/revenue?format=svg&" + query),
                          headers=api.headers["mudur"]).text
    chart = page.locator("#chart svg")
    assert "Servis gelirleri" in chart.locator("title").first.text_content()
    ticks = chart.locator("text").all_text_contents()
    assert all(t in svg for t in ticks) and "0" in ticks
    # the CSV beside it
    href = page.get_by_role("button", name="CSV indir").get_attribute("href")
    rows = list(csv.reader(io.StringIO(page.request.get(system.url(href)).text().lstrip(
        "\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["Grup", "Form sayısı"]
    assert any(r[0] == "Gelir Ölçüm Ltd" for r in rows[1:])
    # satisfaction by technician
    page.get_by_role("link", name="Memnuniyet", exact=True).click()
    page.wait_for_url(re.compile(r".*satisfaction"))
    manager.settle()
    page.get_by_label("Gruplama").select_option(label="Teknisyen")
    page.get_by_label("Başlangıç").fill("01.01.2020")
    page.get_by_role("button", name="Göster").click()
    page.wait_for_url(re.compile(r".*satisfaction.*group_by=technician.*"))
    manager.settle()
    scores = api("mudur", "GET", "/reports/satisfaction?group_by=technician&from=2020-01-01",
                 expect_status=200)["items"]
    tulay = next(i for i in scores if i["name"] == "Tülay Teknisyen")
    expect(page.get_by_role("row", name=re.compile("Tülay Teknisyen"))).to_contain_text(
        format_decimal(tulay["average"], locale="tr_TR"))
    expect(page.locator("#chart svg")).to_be_visible()
    manager.check("report-satisfaction")


def test_the_knowledge_archive_write_publish_search_edit_and_revisions(api, person):
    manager = person("mudur")
    page = manager.go("/knowledge/new")
    page.get_by_label("Cihaz ailesi (kod)").fill("KLM")
    page.get_by_label("Arıza alanı (kod)").fill("ELK")
    page.get_by_label("Başlık").fill("IŞIK YANIP SÖNÜYOR: besleme kartı arızası")
    page.get_by_label("Belirtiler").fill("Gösterge ışığı yanıp sönüyor, cihaz açılmıyor")
    page.get_by_label("Çözüm adımları (her satıra bir)").fill("Sigortayı ölç\nKartı değiştir")
    page.get_by_label("Etiketler").fill("besleme, kart")
    manager.check("article-new")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_url(re.compile(r".*/knowledge/\d+$"))
    aid = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#article-status")).to_have_text("Taslak")
    page.get_by_role("button", name="Yayımla").click()
    expect(page.locator("#article-status")).to_have_text("Yayında")
    article = api("mudur", "GET", f"/knowledge/articles/{aid}", expect_status=200)
    assert article["status"] == "published" and article["code"].startswith("KLM-ELK-")
    assert article["solution_steps"] == ["Sigortayı ölç", "Kartı değiştir"]
    assert article["tags"] == ["besleme", "kart"]
    # the search as you type: Turkish-aware, the match marked in the original text
    page = manager.go("/knowledge")
    page.get_by_label("Arşivde ara").fill("ışık yanıp")
    mark = page.locator("#kb-results mark").first
    expect(mark).to_have_text(re.compile("IŞIK|ışığı", re.IGNORECASE))
    manager.check("knowledge-search")
    # an edit with a stale version writes nothing; read again, it is a new revision
    page = manager.go(f"/knowledge/{aid}/edit")
    api("mudur", "PATCH", f"/knowledge/articles/{aid}", {"cause": "Kondansatör"}, 200,
        version=article["version"])
    page.get_by_label("Başlık").fill("Değişmemeli")
    page.get_by_role("button", name="Kaydet").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Bu kayıt başka biri tarafından değiştirildi — yeniden yükleyin.")
    assert api("mudur", "GET", f"/knowledge/articles/{aid}", expect_status=200)[
        "title"] == article["title"]
    page.get_by_role("button", name="Yeniden yükle").click()
    page.get_by_label("Başlık").fill("Işık yanıp sönüyor: besleme kartı")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_url(re.compile(rf".*/knowledge/{aid}$"))
    expect(page.locator("#revisions li")).to_have_count(4)
    page.get_by_role("button", name="Arşivle").click()
    expect(page.locator("#article-status")).to_have_text("Arşivde")
    manager.check("article")
    after = api("mudur", "GET", f"/knowledge/articles/{aid}", expect_status=200)
    assert after["status"] == "archived" and after["cause"] == "Kondansatör"
    assert after["title"] == "Işık yanıp sönüyor: besleme kartı"
    revisions = api("mudur", "GET", f"/knowledge/articles/{aid}/revisions", expect_status=200)
    assert [r["action"] for r in revisions["items"]][:2] == ["archived", "edited"]


def wait_for(check, seconds=20):
    import time
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_administration_catalogues_email_log_resend_and_templates(api, person, system):
    admin = person("admin")
    # a device type in Turkish and English, then renamed
    page = admin.go("/admin/catalogues/device-types")
    page.get_by_label("Kod", exact=True).fill("cizici")
    page.get_by_label("Türkçe ad", exact=True).fill("Çizici")
    page.get_by_label("İngilizce ad", exact=True).fill("Plotter")
    page.get_by_role("button", name="Ekle", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Kaydedildi.")
    page.get_by_label("İngilizce ad: cizici").fill("Pen plotter")
    page.get_by_role("button", name="Kaydet: cizici").click()
    assert wait_for(lambda: {"tr": "Çizici", "en": "Pen plotter"} in [
        t["name"] for t in api("admin", "GET", "/catalogues/device-types?all=true",
                               expect_status=200)["items"]])
    admin.check("admin-device-types")
    # a survey question
    page = admin.go("/admin/questions")
    page.get_by_label("Türkçe metin", exact=True).fill("Teknisyen nazik miydi?")
    page.get_by_label("İngilizce metin", exact=True).fill("Was the technician polite?")
    page.get_by_role("button", name="Ekle", exact=True).click()
    expect(page.locator("#questions")).to_be_visible()
    admin.check("admin-questions")
    questions = api("admin", "GET", "/catalogues/survey-questions?all=true", expect_status=200)
    assert "Teknisyen nazik miydi?" in [q["text"]["tr"] for q in questions["items"]]
    # an e-mail the server refused is in the log as failed; resent from the page
    system.smtp.refuse("550 5.1.1 Mailbox unavailable")
    try:
        form = api.open_form("Posta Hatası Ltd", "ADM-1")
        failed = wait_for(lambda: [m for m in api("admin", "GET", "/emails?status=failed",
                                                  expect_status=200)["items"]
                                   if m["form_id"] == form["id"]])
        assert failed, "the refused e-mail did not fail"
    finally:
        system.smtp.allow()
    page = admin.go("/admin/emails?status=failed")
    row = page.get_by_role("row", name=re.compile(re.escape(failed[0]["subject"]))).first
    expect(row).to_contain_text("550")
    admin.check("admin-emails")
    row.get_by_role("button", name="Yeniden gönder").click()
    expect(page.get_by_role("status")).to_have_text("Yeniden kuyruğa alındı.")
    assert wait_for(lambda: api("admin", "GET", f"/emails?form_id={form['id']}",
                                expect_status=200)["items"][0]["status"] == "sent")
    # a document template: its PDF preview, then a new version saved from the page
    page = admin.go("/admin/templates")
    admin.check("admin-templates")
    kind = api("admin", "GET", "/document-templates", expect_status=200)["items"][0]["kind"]
    page = admin.go(f"/admin/templates/{kind}")
    pdf = page.request.get(system.url(f"/admin/templates/{kind}/preview?language=tr"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    source = page.get_by_label("Şablon kaynağı (HTML, Jinja2)").input_value()
    page.get_by_label("Şablon kaynağı (HTML, Jinja2)").fill(source + "\n<!-- konsoldan -->\n")
    page.get_by_label("Not", exact=True).fill("Konsol testi")
    page.get_by_role("button", name="Yeni sürüm olarak kaydet").click()
    expect(page.locator("#template-versions")).to_contain_text("Konsol testi", timeout=60000)
    admin.check("admin-template")
    template = api("admin", "GET", f"/document-templates/{kind}", expect_status=200)
    assert template["overridden"] and template["source"].endswith("<!-- konsoldan -->\n")


def test_administration_users_create_change_deactivate_and_set_a_password(api, person, system):
    admin = person("admin")
    page = admin.go("/admin/users")
    page.get_by_label("Kullanıcı adı", exact=True).fill("yeni.teknik")
    page.get_by_label("Ad", exact=True).fill("Yeni Teknisyen")
    adding = page.locator("form[action$='/admin/users']")
    adding.locator("select[name=role]").select_option(label="teknisyen")
    page.get_by_label("Parola", exact=True).fill("Uzun-Parola-2026")
    page.get_by_role("button", name="Ekle", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Kaydedildi.")
    expect(page.locator("#user-yeni\\.teknik")).to_contain_text("yeni.teknik")
    admin.check("admin-users")
    token = system.token("yeni.teknik", "Uzun-Parola-2026")  # the account works
    listed = {u["username"]: u for u in api("admin", "GET", "/users", expect_status=200)["items"]}
    assert listed["yeni.teknik"]["role"] == "technician" and listed["yeni.teknik"]["active"]
    # a second tab read the page before the change below: its save is refused, not applied
    stale = admin.context.new_page()  # the same session, another tab
    stale.goto(system.url("/admin/users"))
    # the admin makes the account a representative and deactivates it
    page = admin.go("/admin/users")
    page.get_by_label("Rol: yeni.teknik").select_option(label="müşteri temsilcisi")
    page.get_by_label("Etkin: yeni.teknik").uncheck()
    page.get_by_role("button", name="Kaydet: yeni.teknik").click()
    expect(page.get_by_role("status")).to_have_text("Kaydedildi.")
    user = {u["username"]: u for u in api("admin", "GET", "/users",
                                          expect_status=200)["items"]}["yeni.teknik"]
    assert (user["role"], user["active"]) == ("rep", False)
    assert wait_for(lambda: system.http.get(system.url("/api/v1/me"), headers=token)
                    .status_code == 401, seconds=10), "a deactivated account's token still works"
    stale.get_by_label("Ad: yeni.teknik").fill("Eski Sayfadan")
    stale.get_by_role("button", name="Kaydet: yeni.teknik").click()
    expect(stale.get_by_role("alert")).to_contain_text("başka biri tarafından değiştirildi")
    assert {u["username"]: u for u in api("admin", "GET", "/users", expect_status=200)[
        "items"]}["yeni.teknik"]["name"] == "Yeni Teknisyen"  # nothing written
    # back on, with a password the admin sets: the new one signs in, the old one does not
    page = admin.go("/admin/users")
    page.get_by_label("Etkin: yeni.teknik").check()
    page.get_by_role("button", name="Kaydet: yeni.teknik").click()
    expect(page.get_by_role("status")).to_have_text("Kaydedildi.")
    page.get_by_label("Yeni parola: yeni.teknik").fill("Bambaska-Parola-77")
    page.get_by_role("button", name="Parolayı belirle: yeni.teknik").click()
    expect(page.get_by_role("status")).to_have_text("Kaydedildi.")
    assert system.http.post(system.url("/api/v1/auth/token"), json={
        "username": "yeni.teknik", "password": "Uzun-Parola-2026"}).status_code == 401
    system.token("yeni.teknik", "Bambaska-Parola-77")
    # a password the rules refuse is said on the page, in Turkish
    page.get_by_label("Yeni parola: yeni.teknik").fill("123456")
    page.get_by_role("button", name="Parolayı belirle: yeni.teknik").click()
    expect(page.get_by_role("alert")).to_be_visible()
    admin.check("admin-users-refused")

"""The long browser walk (make test-slow): one service form's whole day on the console's
screens, as the department's people do it in Debian's chromium — the desk opens it for a new
customer and device, the manager assigns, the technician records the diagnosis, runs the timer,
logs time and adds a part, the manager sets the fee, the desk delivers; the representative's
low score reopens it (the page shows it), it is repaired and delivered again, a high score, and
the final-check officer closes it. Each step is checked through the API; every page is
screenshotted and checked by axe-core (tests/browser.py)."""
import re

from playwright.sync_api import expect

from tests.e2e.test_web_walk import api, browser, form_id_of, person, tr_money  # noqa: F401


def heading(page):
    return page.get_by_role("heading", level=1)


def score_all(page, value):
    for radio in page.locator(f"input[type=radio][name^=q_][value='{value}']").all():
        radio.check()


def test_a_forms_whole_day_on_the_screens(api, person):  # noqa: F811
    desk = person("masa")
    page = desk.go("/forms/new")
    page.get_by_text("Yeni müşteri").click()
    page.get_by_label("Ad", exact=True).fill("Çağlayan İnşaat")
    page.get_by_label("Telefon").fill("0212 555 00 00")
    page.get_by_label("Müşteri temsilcisi").select_option(label="Ayşe Temsilci")
    page.get_by_label("Seri no").fill("LONG-1")
    expect(page.locator("#device-info")).to_contain_text("form ile kaydedilecek")
    page.get_by_label("Marka").fill("Mitsubishi")
    page.get_by_label("Model").fill("MSZ-LN")
    page.get_by_label("Müşterinin bildirdiği").fill("Dış ünite çalışmıyor, IŞIK yanıp sönüyor")
    page.get_by_role("button", name="Formu aç").click()
    fid = form_id_of(page)
    expect(heading(page)).to_contain_text("Kayıt açıldı")
    desk.check("long-1-opened")

    manager = person("mudur")
    page = manager.go(f"/forms/{fid}")
    page.get_by_label("Görevli", exact=True).select_option(label="Tülay Teknisyen (teknisyen)")
    page.get_by_role("button", name="Ata", exact=True).click()
    expect(heading(page)).to_contain_text("Görevli atandı")
    manager.check("long-2-assigned")

    tech = person("tekno")
    page = tech.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Arıza tespiti").click()
    expect(heading(page)).to_contain_text("Arıza tespiti")
    page.get_by_label("Teknisyen tespiti", exact=True).fill("Kart arızalı")
    page.get_by_label("Arıza tipi").select_option(label="Elektronik kart")
    page.get_by_label("Yapılan işler", exact=True).fill("Kart değişti, test edildi")
    page.locator("#work").get_by_role("button", name="Kaydet").click()
    expect(page.locator("#history")).to_contain_text("kayıt güncellendi")
    page.get_by_role("button", name="▶ Sayacı başlat").click()
    page.get_by_role("button", name="■ Sayacı durdur").click()
    expect(page.get_by_role("button", name="▶ Sayacı başlat")).to_be_visible()
    page.get_by_text("İş süresini elle gir").click()
    page.get_by_label("Dakika").fill("45")
    page.locator("#time").get_by_role("button", name="Ekle").click()
    expect(page.locator("#time table")).to_contain_text("45 dk")
    page.get_by_label("Kod").fill("PCB-7")
    page.get_by_label("Parça", exact=True).fill("Ana kart")
    page.get_by_label("Miktar").fill("1")
    page.get_by_label("Birim fiyat").fill("1.250,00")
    page.get_by_role("button", name="Parçayı ekle").click()
    expect(page.locator("#parts table")).to_contain_text(tr_money("1250.00"))
    for to in ("Tamirde", "Tamir edildi"):
        page.get_by_role("button", name="→ " + to).click()
        expect(heading(page)).to_contain_text(to)
    tech.check("long-3-repaired")
    form = api.form(fid)
    assert form["diagnosis"] == "Kart arızalı" and form["fault_type"] == "elektronik"
    assert form["work_minutes"] >= 45 and form["parts"][0]["unit_price"] == "1250.00"

    page = manager.go(f"/forms/{fid}")
    page.get_by_text("Hizmet bedeli ve indirim").click()
    page.get_by_label("Hizmet bedeli", exact=True).fill("150,00")
    page.locator("#totals").get_by_role("button", name="Kaydet").click()
    expect(page.locator("#totals table")).to_contain_text(tr_money("150.00"))
    assert api.form(fid)["fees"]["service_fee"] == "150.00"

    page = desk.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Teslim edildi").click()
    expect(heading(page)).to_contain_text("Teslim edildi")
    form = api.form(fid)
    expect(page.locator("#form-total")).to_have_text(tr_money(form["totals"]["total"]))
    desk.check("long-4-delivered")

    rep = person("temsilci")
    page = rep.go(f"/forms/{fid}/survey")
    expect(heading(page)).to_contain_text("Memnuniyet araması")
    score_all(page, 1)
    page.get_by_role("button", name="Aramayı kaydet").click()
    page.wait_for_url(re.compile(rf".*/forms/{fid}$"))
    expect(heading(page)).to_contain_text("Yeniden açıldı")
    rep.check("long-5-reopened")
    form = api.form(fid)
    assert form["status"] == "REOPENED" and form["survey"]["score"] == 0

    page = manager.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Görevli atandı").click()  # back to the same technician
    expect(heading(page)).to_contain_text("Görevli atandı")
    page = tech.go(f"/forms/{fid}")
    for to in ("Arıza tespiti", "Tamirde", "Tamir edildi"):
        page.get_by_role("button", name="→ " + to).click()
        expect(heading(page)).to_contain_text(to)
    page = desk.go(f"/forms/{fid}")
    page.get_by_role("button", name="→ Teslim edildi").click()
    expect(heading(page)).to_contain_text("Teslim edildi")

    page = rep.go("/calls")
    page.get_by_role("row", name=re.compile(form["number"])).get_by_role(
        "button", name="Ara").click()
    expect(heading(page)).to_contain_text("Memnuniyet araması")
    score_all(page, 5)
    page.get_by_role("button", name="Aramayı kaydet").click()
    page.wait_for_url(re.compile(rf".*/forms/{fid}$"))
    expect(heading(page)).to_contain_text("Teslim edildi")
    expect(page.locator("main")).to_contain_text("puan 100")
    page.get_by_role("button", name="→ Son kontrol").click()
    expect(heading(page)).to_contain_text("Son kontrol")
    rep.check("long-6-scored-high")
    assert api.form(fid)["survey"]["score"] == 100

    officer = person("kontrol")
    page = officer.go("/final-check")
    page.get_by_role("link", name=form["number"]).click()
    expect(page.locator("table.checklist")).not_to_contain_text("eksik")
    page.get_by_role("button", name="Formu kapat").click()
    page.wait_for_url(re.compile(rf".*/forms/{fid}$"))
    expect(heading(page)).to_contain_text("Kapandı")
    officer.check("long-7-closed")
    form = api.form(fid)
    assert form["status"] == "CLOSED"
    history = api("mudur", "GET", f"/forms/{fid}/history", expect_status=200)["items"]
    moves = [h["to"] for h in reversed(history) if h["to"]]
    assert moves == ["NEW", "ASSIGNED", "DIAGNOSIS", "IN_REPAIR", "REPAIRED", "DELIVERED",
                     "REOPENED", "ASSIGNED", "DIAGNOSIS", "IN_REPAIR", "REPAIRED", "DELIVERED",
                     "FINAL_CHECK", "CLOSED"]

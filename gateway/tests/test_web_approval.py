"""The price approval on the web pages against the fake RPC client: the customer's page at
/approve/<token> (no sign-in; its own CSP with no script; a CSRF token tied to the link; the
address and browser passed on; one 410 page for every link that no longer works, differing
only in its message; TR by the customer's language, EN on request) and the form's section
in the console (the versions and decisions; send an estimate; record a phone decision)."""
import re

import pytest

from gateway.tests.test_web import FORM, answer as form_answer, csrf_of, web  # noqa: F401
from gateway.web.approval import APPROVAL_CSP
from services.common.exceptions import Gone

TOKEN = "q2Jx9r0B0m3H8yL0c2f0T7aZk1p4V6wN8s5E3dG1uIo"
PAGE = f"/approve/{TOKEN}"
VIEW = {
    "version": 2, "state": "pending", "language": "tr",
    "sent_at": "2026-11-27T07:00:00+00:00", "expires_at": "2026-12-04T07:00:00+00:00",
    "total": "1890.00", "currency": "TRY",
    "form": {"number": "SF-2026-000005", "customer_name": "Öztürk Tekstil",
             "device": {"brand": "Daikin", "model": "FTX", "serial": "SN-1",
                        "type_name": {"tr": "Klima", "en": "Air conditioner"}},
             "complaint": "Soğutmuyor", "diagnosis": "Kompresör rölesi yanmış"},
    "estimate": {"source": "lines", "currency": "TRY", "note": "Parça stokta.",
                 "lines": [{"kind": "labour", "code": None, "name": "Röle değişimi",
                            "quantity": "1.5", "unit_price": "750.00", "amount": "1125.00"},
                           {"kind": "part", "code": "R-1", "name": "Röle", "quantity": "1",
                            "unit_price": "450.00", "amount": "450.00"}],
                 "totals": {"labour": "1125.00", "parts": "450.00", "service_fee": "0.00",
                            "gross": "1575.00", "covered": "0.00", "subtotal": "1575.00",
                            "discount": "0.00", "vat": "315.00", "total": "1890.00",
                            "vat_rate": "20.00", "discount_percent": None},
                 "coverage": {"kind": "none", "explanation": {
                     "tr": "Kapsam yok: tüm tutarı müşteri öder.",
                     "en": "Not covered: the customer pays everything."}}},
    "company": {"name": "Yıldız Teknik Servis", "phone": "+90 232 000 00 00"},
}
REASONS = {
    "used": "This link has been used: the decision on it is recorded.",
    "expired": "This link has expired; ask the service for a new estimate.",
    "voided": "This link was withdrawn: a newer estimate replaced it, or the service went on "
              "without it.",
    "invalid": "This link is not valid.",
}


@pytest.fixture
def customer(gw):
    """A customer's browser (no account) with the fake forms answering the link."""
    gw.rpc.answer = lambda service, method, args: (
        VIEW if method == "price_approval_by_link" else
        {"decision": args[1]["decision"], "at": "2026-11-28T09:30:00+00:00", "version": 2})
    limiter = getattr(gw.app.extensions["servis"], "link_limiter", None)
    if limiter is not None:
        limiter.reset()
    return gw.app.test_client()


def test_the_page_shows_the_estimate_in_the_customers_language_with_a_narrow_policy(gw,
                                                                                      customer):
    r = customer.get(PAGE)
    assert r.status_code == 200 and '<html lang="tr">' in r.text
    assert "Fiyat teklifiniz" in r.text and "SF-2026-000005" in r.text
    assert "Röle değişimi" in r.text and "₺1.890,00" in r.text and "Parça stokta." in r.text
    assert "04.12.2026 10:00" in r.text and "Teklifi onaylıyorum" in r.text
    assert r.headers["Content-Security-Policy"] == APPROVAL_CSP
    assert "script-src" not in APPROVAL_CSP and "default-src 'none'" in APPROVAL_CSP
    assert "<script" not in r.text and " style=" not in r.text
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
    assert "servis_session" not in r.headers.get("Set-Cookie", "")
    assert "Panel" not in r.text and "Oturum" not in r.text  # no console around it
    [call] = gw.rpc.calls
    assert (call.method, call.args) == ("price_approval_by_link", (TOKEN,))
    english = customer.get(PAGE + "?lang=en")
    assert '<html lang="en">' in english.text and "Approve the estimate" in english.text
    assert "TRY1,890.00" in english.text


def test_a_decision_needs_the_links_csrf_token_and_records_address_and_browser(gw, customer):
    page = customer.get(PAGE)
    token = csrf_of(page.text)
    gw.rpc.calls.clear()
    assert customer.post(PAGE, data={"decision": "approved"}).status_code == 403
    other = customer.post(f"/approve/{TOKEN[:-1]}A", data={"decision": "approved",
                                                           "csrf_token": token})
    assert other.status_code == 403  # a token made for another link
    r = customer.post(PAGE, data={"decision": "approved", "csrf_token": token},
                      headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert gw.rpc.calls == []
    r = customer.post(PAGE, data={"decision": "rejected", "note": " Pahalı ", "lang": "tr",
                                  "csrf_token": token},
                      headers={"User-Agent": "Telefonum/1.0"},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 200 and "Teklifi reddettiniz" in r.text
    assert r.headers["Content-Security-Policy"] == APPROVAL_CSP
    [call] = gw.rpc.calls
    assert call.method == "decide_price_approval"
    assert call.args == (TOKEN, {"decision": "rejected", "note": "Pahalı"},
                         {"ip": "203.0.113.9", "user_agent": "Telefonum/1.0"})


def test_a_decision_that_is_neither_is_refused_on_the_page(gw, customer):
    token = csrf_of(customer.get(PAGE).text)
    gw.rpc.calls.clear()
    r = customer.post(PAGE, data={"decision": "maybe", "csrf_token": token})
    assert r.status_code == 422 and "Girilen bilgiler geçerli değil" in r.text
    assert [c.method for c in gw.rpc.calls] == ["price_approval_by_link"]


def test_every_link_that_no_longer_works_is_one_page_but_for_its_message(gw, customer):
    pages = {}
    for reason, message in REASONS.items():
        gw.rpc.raises = Gone(message, {"reason": reason})
        r = customer.get(PAGE, headers={"Accept-Language": "en"})
        assert r.status_code == 410 and r.headers["Content-Security-Policy"] == APPROVAL_CSP
        assert message in r.text
        assert "SF-2026" not in r.text and "Öztürk" not in r.text
        pages[reason] = r.text.replace(message, "MESSAGE")
        posted = customer.post(PAGE, data={"decision": "approved",
                                           "csrf_token": csrf_of_link(gw)},
                               headers={"Accept-Language": "en"})
        assert posted.status_code == 410 and message in posted.text
    gw.rpc.raises = None
    assert len(set(pages.values())) == 1, "the pages differ in more than their message"
    gw.rpc.raises = Gone(REASONS["used"], {"reason": "used"})
    turkish = customer.get(PAGE)
    assert "Bu bağlantı kullanıldı" in turkish.text and "Bu bağlantı kullanılamıyor" in \
        turkish.text
    gw.rpc.raises = None


def csrf_of_link(gw):
    with gw.app.test_request_context():
        from gateway.web.approval import csrf_for
        return csrf_for(TOKEN)


def test_a_very_long_token_is_not_valid_without_asking_forms(gw, customer):
    gw.rpc.calls.clear()
    r = customer.get("/approve/" + "x" * 300, headers={"Accept-Language": "en"})
    assert r.status_code == 410 and REASONS["invalid"] in r.text
    assert gw.rpc.calls == []


def test_the_page_is_rate_limited_per_address(gw, customer):
    customer.get(PAGE)
    limiter = gw.app.extensions["servis"].link_limiter
    limiter.limit = 2
    try:
        assert customer.get(PAGE).status_code == 200
        r = customer.get(PAGE)
        assert r.status_code == 429 and "Adresinizden çok fazla istek" in r.text
        assert r.headers["Content-Security-Policy"] == APPROVAL_CSP
    finally:
        limiter.limit = 60
        limiter.reset()


# -- the console: the form's price approval ----------------------------------------------------
APPROVAL = {
    "state": "pending", "state_name": {"tr": "Müşteri kararı bekleniyor",
                                       "en": "Awaiting the customer's decision"},
    "waiting": True, "versions": [
        {"id": 2, "version": 2, "state": "pending",
         "state_name": {"tr": "Müşteri kararı bekleniyor", "en": "Awaiting"},
         "total": "1890.00", "currency": "TRY", "sent_at": "2026-11-27T07:00:00+00:00",
         "expires_at": "2026-12-04T07:00:00+00:00", "sent_by": {"user_id": 2, "name": "Mehmet"},
         "emailed_to": "musteri@example.com", "estimate": {"source": "lines", "lines": [
             {"kind": "part", "name": "Röle", "amount": "450.00"}], "note": "Stokta"},
         "voided": None, "decision": None},
        {"id": 1, "version": 1, "state": "voided",
         "state_name": {"tr": "Geçersiz kılındı", "en": "Withdrawn"},
         "total": "1200.00", "currency": "TRY", "sent_at": "2026-11-26T07:00:00+00:00",
         "expires_at": "2026-12-03T07:00:00+00:00", "sent_by": {"user_id": 2, "name": "Mehmet"},
         "emailed_to": "musteri@example.com", "estimate": {"source": "form"},
         "voided": {"at": "2026-11-27T07:00:00+00:00", "reason": "new_estimate"},
         "decision": None}]}


@pytest.fixture
def console(gw, web):
    def answer(service, method, args):
        if method == "get_form_detail":
            return {**FORM, "status": "AWAITING_APPROVAL", "price_approval": APPROVAL}
        return form_answer(service, method, args)
    browser = web()
    browser.sign_in("manager")
    gw.rpc.answer = answer
    return browser


def test_the_forms_page_shows_each_estimate_and_offers_sending_and_a_phone_decision(gw,
                                                                                     console):
    page = console.client.get("/forms/5")
    assert page.status_code == 200
    assert "Fiyat onayı" in page.text and "Müşteri kararı bekleniyor" in page.text
    assert "musteri@example.com adresine gönderildi" in page.text
    assert "daha yeni bir teklif gönderildi" in page.text and "₺1.200,00" in page.text
    assert "Parça: Röle — ₺450,00" in page.text and "Stokta" in page.text
    assert "Yeni bir teklif gönder" in page.text and "Telefonla verilen kararı kaydet" in page.text
    gw.rpc.calls.clear()
    token = csrf_of(page.text)
    r = console.client.post("/forms/5/price-approval", data={
        "csrf_token": token, "version": "3", "source": "lines", "note": "Stokta",
        "anchor": "approval",
        "line_kind_0": "labour", "line_name_0": "Röle değişimi", "line_qty_0": "1,5",
        "line_price_0": "750", "line_kind_1": "part", "line_name_1": "", "line_qty_1": "1",
        "line_price_1": "", "discount_kind": "percent", "discount": "10", "valid_days": "3"})
    assert r.status_code == 303 and r.headers["Location"] == "/forms/5#approval", re.findall(r"<li>.*?</li>", r.text)[-3:]
    [sent] = [c for c in gw.rpc.calls if c.method == "send_price_approval"]
    assert sent.args[1] == {"version": 3, "note": "Stokta", "valid_days": 3,
                            "discount_percent": "10", "lines": [
                                {"kind": "labour", "name": "Röle değişimi", "code": None,
                                 "quantity": "1.500", "unit_price": "750"}]}
    gw.rpc.calls.clear()
    r = console.client.post("/forms/5/price-approval/decision", data={
        "csrf_token": token, "version": "3", "decision": "rejected",
        "customer_name": "Ayşe Işık", "taken_by": "Şule", "decided_at": "2026-01-28T14:05"})
    assert r.status_code == 303
    [phone] = [c for c in gw.rpc.calls if c.method == "record_price_decision"]
    assert phone.args[1] == {"version": 3, "decision": "rejected", "customer_name": "Ayşe Işık",
                             "taken_by": "Şule", "decided_at": "2026-01-28T14:05:00+03:00"}


def test_the_send_form_takes_the_forms_own_estimate_by_default(gw, console):
    token = console.csrf("/forms/5")
    gw.rpc.calls.clear()
    console.client.post("/forms/5/price-approval", data={
        "csrf_token": token, "version": "3", "source": "form", "line_name_0": "ignored",
        "line_price_0": "5"})
    [sent] = [c for c in gw.rpc.calls if c.method == "send_price_approval"]
    assert sent.args[1] == {"version": 3}


def test_the_technician_sees_the_approval_but_no_sending(gw, web):
    browser = web()
    browser.sign_in("technician")
    gw.rpc.answer = lambda service, method, args: (
        {**FORM, "status": "AWAITING_APPROVAL", "price_approval": APPROVAL}
        if method == "get_form_detail" else form_answer(service, method, args))
    page = browser.client.get("/forms/5")
    assert "Price approval" in page.text and "Send a new estimate" not in page.text
    assert "Record a decision given by phone" not in page.text
    assert re.search(r"Withdrawn", page.text)

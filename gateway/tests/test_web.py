"""The web shell and the console's screens against the fake RPC client: sign-in with a cookie
session, CSRF on every post, the security headers, TR/EN texts from the one catalogue, the
access table (a page a role may not see is a 403 and the nav hides it), the version a write
carries and the stale-version page. The browser tests (tests/e2e/test_web_walk.py) drive the
same screens against the running system."""
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from gateway.i18n import catalogue
from services.common.exceptions import Conflict

WEB = Path(__file__).resolve().parents[1] / "web"
FORM = {
    "id": 5, "number": "SF-2026-000005", "version": 3, "status": "DIAGNOSIS", "kind": "repair",
    "status_name": {"tr": "Arıza tespiti", "en": "Diagnosis"}, "sub_status": None,
    "customer_id": 1, "customer_name": "Öztürk Tekstil", "device_id": 2,
    "device": {"id": 2, "brand": "Daikin", "model": "FTX", "device_type": "klima",
               "serial": "SN-1"},
    "coverage": {"kind": "none", "end": None, "source_id": None,
                 "reason": {"tr": "Kapsam yok", "en": "No cover"}},
    "complaint": "Kompresör çalışmıyor", "fault_type": None, "diagnosis": None,
    "work_done": None, "work_minutes": 60,
    "fees": {"service_fee": "150.00", "discount_amount": None, "discount_percent": None,
             "currency": "TRY"},
    "totals": {"labour": "750.00", "parts": "160.00", "service_fee": "150.00",
               "gross": "1060.00", "covered": "0.00", "subtotal": "1060.00",
               "discount": "0.00", "vat": "212.00", "total": "1272.00", "currency": "TRY"},
    "repair_warranty": {"months": 3, "start": None, "end": None},
    "survey": {"status": None, "score": None, "at": None, "by": None},
    "opened_by": {"user_id": 1, "name": "Deniz Masa"},
    "created_at": "2026-11-27T07:05:00+00:00", "updated_at": "2026-11-27T07:05:00+00:00",
    "delivered_at": None, "closed_at": None,
    "assignees": [{"user_id": 3, "name": "Tülay Teknisyen"}],
    "work_logs": [], "work_time": [],
    "parts": [{"id": 9, "code": "R-1", "name": "Röle", "quantity": "2",
               "unit_price": "80.00", "amount": "160.00"}],
    "coverage_pays": {"labour": False, "parts": False, "fee": False,
                      "explanation": {"tr": "Kapsam dışı: hepsini müşteri öder.",
                                      "en": "Not covered: the customer pays all."}},
    "allowed_transitions": [{"to": "IN_REPAIR", "name": {"tr": "Tamirde", "en": "In repair"}},
                            {"to": "CANCELLED", "name": {"tr": "İptal", "en": "Cancelled"}}],
}


def answer(service, method, args):
    if method in ("get_form_detail", "get_form"):
        return dict(FORM)
    if method == "form_history":
        return {"items": [{"id": 1, "action": "status", "from": "NEW", "to": "ASSIGNED",
                           "changes": None, "note": None, "by": {"id": 2, "name": "Mehmet"},
                           "at": "2026-11-27T07:06:00+00:00"}], "next_cursor": None}
    if method in ("list_catalogue", "list_device_types"):
        return [{"code": "elektrik", "name": {"tr": "Elektrik arızası", "en": "Electrical"},
                 "active": True}]
    if method == "list_questions":
        return [{"id": 1, "text": {"tr": "Memnun kaldınız mı?", "en": "Satisfied?"},
                 "weight": "1.00", "scale_min": 1, "scale_max": 5, "position": 0,
                 "active": True}]
    return {**dict(FORM), "items": [dict(FORM)], "next_cursor": None}


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def web(gw):
    """A browser of the gateway: signs in as a role (the fake RPC answers like forms)."""
    gw.rpc.answer = answer

    class Browser:
        def __init__(self):
            self.client = gw.app.test_client()

        def sign_in(self, role):
            page = self.client.get("/")
            r = self.client.post("/signin", data={
                "username": f"user-{role}", "password": "password-" + role,
                "csrf_token": csrf_of(page.text)})
            assert r.status_code == 303, r.text
            return r

        def csrf(self, path="/"):
            return csrf_of(self.client.get(path).text)

    yield Browser
    gw.rpc.answer = None


def test_every_text_of_the_pages_has_its_turkish_entry():
    found = {}
    for filename, lineno, message, _, _ in extract_from_dir(
            str(WEB), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)},
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                                  "trimmed": "true"}}):
        for text in (message if isinstance(message, tuple) else (message,)):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    pages = catalogue().pages
    missing = [f"{where}: {text!r}" for text, where in found.items() if text not in pages]
    assert not missing, "\n".join(missing)
    assert len(found) > 150  # the walk finds them

    def names(text):
        return sorted(n for _, n, _, _ in string.Formatter().parse(text.replace("%", "")) if n)
    for text, turkish in pages.items():
        assert re.findall(r"%\(\w+\)s", text) == re.findall(r"%\(\w+\)s", turkish), text
        assert names(text) == names(turkish), text


def test_sign_in_sets_a_session_cookie_and_sign_out_ends_it(gw, web):
    browser = web()
    page = browser.client.get("/")
    assert page.status_code == 200 and "Oturum aç" in page.text
    bad = browser.client.post("/signin", data={"username": "user-desk", "password": "nope",
                                               "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 401 and "Kullanıcı adı ya da parola yanlış" in bad.text
    r = browser.sign_in("desk")
    cookie = r.headers["Set-Cookie"]
    assert "servis_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http here
    dashboard = browser.client.get("/")
    assert "Panel" in dashboard.text and "Oturumu kapat" in dashboard.text
    token = csrf_of(dashboard.text)
    assert browser.client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert "Oturum aç" in browser.client.get("/").text
    # the cookie is no bearer token: the API does not take it
    assert browser.client.get("/api/v1/forms").status_code == 401


def test_the_cookie_is_secure_when_the_public_address_is_https(gw, web):
    settings = gw.app.extensions["servis"].settings
    before = settings.public_base_url
    settings.public_base_url = "https://servis.example.com.tr"
    try:
        assert "Secure" in web().sign_in("desk").headers["Set-Cookie"]
    finally:
        settings.public_base_url = before


def test_every_post_needs_the_csrf_token(gw, web):
    browser = web()
    assert browser.client.post("/signin", data={"username": "user-desk",
                                                "password": "password-desk"}).status_code == 403
    browser.sign_in("manager")
    r = browser.client.post("/forms/5/move", data={"to": "IN_REPAIR", "version": "3"})
    assert r.status_code == 403 and "Sayfanın süresi doldu" in r.text
    r = browser.client.post("/forms/5/move", data={
        "to": "IN_REPAIR", "version": "3", "csrf_token": browser.csrf()},
        headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert not [c for c in gw.rpc.calls if c.method == "transition"]


def test_security_headers_and_the_docs_page_policy(gw, web):
    r = web().client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in r.text and " style=" not in r.text and " on" not in re.sub(
        r"<[^>]*>", lambda m: re.sub(r'"[^"]*"', '""', m.group(0)), r.text).split("<body")[0]
    docs = web().client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "style-src 'self' 'unsafe-inline'" in docs.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
    assert web().client.get("/api/docs/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert web().client.get("/api/docs/swagger-ui/index.html").status_code == 404
    for vendored in ("vendor/htmx/htmx.min.js", "vendor/pico/pico.min.css", "app.css"):
        assert web().client.get("/static/" + vendored).status_code == 200


def test_a_form_page_in_turkish_and_english(gw, web):
    browser = web()
    browser.sign_in("manager")
    page = browser.client.get("/forms/5")
    assert page.status_code == 200
    assert "SF-2026-000005" in page.text and "Arıza tespiti" in page.text
    assert "₺1.272,00" in page.text and "Ücretler ve toplamlar" in page.text
    assert "→ Tamirde" in page.text and "Görevlendirme" in page.text
    assert 'name="version" value="3"' in page.text
    browser.client.post("/language", data={"lang": "en", "csrf_token": csrf_of(page.text)})
    english = browser.client.get("/forms/5")
    assert "Fees and totals" in english.text and "TRY1,272.00" in english.text
    assert '<html lang="en">' in english.text


def test_a_write_carries_the_version_read_and_a_stale_one_says_reload(gw, web):
    browser = web()
    browser.sign_in("manager")
    token = browser.csrf("/forms/5")
    r = browser.client.post("/forms/5/move", data={"to": "IN_REPAIR", "version": "3",
                                                   "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/forms/5"
    (move,) = [c for c in gw.rpc.calls if c.method == "transition"]
    assert move.args[0] == 5 and move.args[1]["version"] == 3 and move.args[1]["to"] == \
        "IN_REPAIR" and move.args[2]["role"] == "manager"
    gw.rpc.raises = Conflict("Service form {form_id} was changed (version {version}).",
                             {"form_id": 5, "version": 4})
    stale = browser.client.post("/forms/5/parts", data={
        "name": "Röle", "quantity": "1", "unit_price": "80,50", "version": "3",
        "csrf_token": token})
    assert stale.status_code == 409
    assert "Bu kayıt başka biri tarafından değiştirildi — yeniden yükleyin" in stale.text
    gw.rpc.raises = None
    missing = browser.client.post("/forms/5/move", data={"to": "IN_REPAIR",
                                                         "csrf_token": token})
    assert missing.status_code == 428 and "sürüm" in missing.text.lower()


def test_amounts_typed_the_turkish_way_reach_the_api_as_decimals(gw, web):
    browser = web()
    browser.sign_in("technician")
    gw.rpc.calls.clear()
    browser.client.post("/forms/5/parts", data={
        "name": "Röle", "quantity": "1,5", "unit_price": "1.234,50", "version": "3",
        "csrf_token": browser.csrf("/forms/5")})
    (part,) = [c for c in gw.rpc.calls if c.method == "add_part"]
    assert part.args[1]["unit_price"] == "1234.50" and part.args[1]["quantity"] == "1.500"


def test_a_page_a_role_may_not_see_is_a_403_and_the_nav_hides_it(gw, web):
    browser = web()
    browser.sign_in("technician")  # an English-speaking account
    dashboard = browser.client.get("/")
    assert "New form" not in dashboard.text and "Forms" in dashboard.text
    r = browser.client.get("/forms/new")
    assert r.status_code == 403 and "Not allowed" in r.text
    assert "/api/docs" in dashboard.text  # staff's menu links the API's documentation
    desk = web()
    desk.sign_in("desk")
    assert "Yeni form" in desk.client.get("/").text
    assert desk.client.get("/forms/new").status_code == 200
    assert desk.client.get("/calls").status_code == 403


@pytest.mark.parametrize("role,methods", [
    ("technician", {"list_forms"}), ("rep", {"satisfaction_calls", "list_forms"}),
    ("manager", {"list_forms"}), ("final_checker", {"list_forms"}),
    ("admin", {"list_forms", "list_deliveries"}), ("desk", {"list_forms"})])
def test_the_dashboard_per_role(gw, web, role, methods):
    browser = web()
    browser.sign_in(role)
    gw.rpc.calls.clear()
    assert browser.client.get("/").status_code == 200
    assert {c.method for c in gw.rpc.calls} == methods
    if role == "technician":
        (call,) = gw.rpc.calls
        assert call.args[0]["technician"] == gw.users["technician"].id
        assert call.args[0]["state"] == "open"


def test_a_forms_documents_by_name_number_and_state(gw, web):
    browser = web()
    browser.sign_in("desk")
    gw.rpc.answer = lambda service, method, args: [] if method == "list_documents" else None
    r = browser.client.get("/forms/5/documents")
    assert r.status_code == 200 and "Henüz belge yok" in r.text
    docs = [{"id": 3, "kind": "intake_slip", "number": "SF-2026-000005-KF1", "status": "issued",
             "issued_at": "2026-11-27T12:00:00+00:00"},
            {"id": 4, "kind": "delivery_receipt", "number": "SF-2026-000005-TF1",
             "status": "pending", "issued_at": None}]
    gw.rpc.answer = lambda service, method, args: docs if method == "list_documents" else None
    r = browser.client.get("/forms/5/documents")
    assert 'href="/forms/5/documents/3"' in r.text  # the console's own download (session)
    assert "Servis Kabul Fişi SF-2026-000005-KF1" in r.text and "27.11.2026 15:00" in r.text
    assert "Teslim Fişi SF-2026-000005-TF1" in r.text and "hazırlanıyor" in r.text
    assert "/documents/4" not in r.text  # not issued yet: no link
    gw.rpc.answer = lambda service, method, args: {
        "content_b64": "JVBERi0xLjcK", "filename": "SF-2026-000005-KF1.pdf",
        "content_type": "application/pdf", "sha256": "abc"} \
        if method == "get_form_document" else None
    pdf = browser.client.get("/forms/5/documents/3")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and gw.rpc.calls[-1].args[:2] == (5, 3)
    assert web().client.get("/forms/5/documents/3").status_code in (302, 303)  # signed out


def test_intake_opens_a_form_and_a_refused_one_keeps_what_was_typed(gw, web):
    browser = web()
    browser.sign_in("desk")
    token = browser.csrf("/forms/new")
    gw.rpc.calls.clear()
    r = browser.client.post("/forms/new", data={
        "csrf_token": token, "new_customer_name": "Yeni Müşteri", "serial": "SN-9",
        "brand": "Arçelik", "model": "", "device_type": "", "complaint": "Soğutmuyor"})
    assert r.status_code == 303 and r.headers["Location"] == "/forms/5"
    assert [c.method for c in gw.rpc.calls] == ["create_customer", "create_form"]
    body = gw.rpc.calls[1].args[0]
    assert body["customer_id"] == 5 and body["device"] == {
        "brand": "Arçelik", "serial": "SN-9", "model": None, "device_type": None}
    refused = browser.client.post("/forms/new", data={
        "csrf_token": token, "serial": "SN-9", "complaint": "Soğutmuyor"})
    assert refused.status_code == 422 and "Soğutmuyor" in refused.text
    assert "Girilen bilgiler geçerli değil" in refused.text


def test_unknown_pages_are_html_and_unknown_api_urls_json(gw, web):
    browser = web()
    r = browser.client.get("/no-such-page")
    assert r.status_code == 404 and r.mimetype == "text/html" and "Böyle bir sayfa yok" in r.text
    r = browser.client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"

"""A form's tracking link against the fake RPC client: the page at /track/<token> and the
public API at /api/v1/tracking/<token> (no sign-in) show portal's projection of that one form
— in the customer's language, EN on request, with no script and the link kept secret
(no-store, no-referrer) —; a forged, revoked, expired or unknown link is one 404 page (or
JSON) that names no form, and a token too long to be ours never reaches portal."""
import pytest

from gateway.tests.test_web import web  # noqa: F401
from gateway.web.approval import APPROVAL_CSP
from services.common.exceptions import NotFound

TOKEN = "Vq3c1Xo9nJ4kPz8Lb2Rt7yWm"
FORM = {
    "id": 41, "number": "SF-2026-000041", "status": "IN_REPAIR", "status_name": "Onarımda",
    "language": "tr", "device_id": 7, "brand": "Daikin", "model": "FTXM35", "serial": "DK-9",
    "complaint": "Soğutmuyor", "opened_at": "2026-11-27T07:00:00+00:00",
    "updated_at": "2026-11-27T09:00:00+00:00", "approval_total": "1890.00",
    "approval_currency": "TRY", "approval_state": "approved", "warranty_end": None,
    "timeline": [
        {"kind": "created", "title": "Cihazınız teslim alındı", "status": "RECEIVED",
         "status_name": "Teslim alındı", "at": "2026-11-27T07:00:00+00:00", "total": None,
         "currency": None},
        {"kind": "status", "title": "Durum değişti", "status": "IN_REPAIR",
         "status_name": "Onarımda", "at": "2026-11-27T21:30:00+00:00", "total": None,
         "currency": None}],
}
GONE = "No such tracking link."


@pytest.fixture
def visitor(gw):
    gw.rpc.answer = lambda service, method, args: FORM
    limiter = getattr(gw.app.extensions["servis"], "link_limiter", None)
    if limiter is not None:
        limiter.reset()
    return gw.app.test_client()


def test_the_page_shows_the_forms_timeline_in_its_language_with_no_script(gw, visitor):
    r = visitor.get(f"/track/{TOKEN}")
    assert r.status_code == 200 and '<html lang="tr">' in r.text
    assert "Servis takibi" in r.text and "SF-2026-000041" in r.text and "Onarımda" in r.text
    assert "Cihazınız teslim alındı" in r.text and "Daikin" in r.text
    assert "28.11.2026 00:30" in r.text  # 21:30 UTC is already the next day in İstanbul
    assert r.headers["Content-Security-Policy"] == APPROVAL_CSP and "<script" not in r.text
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
    assert "servis_session" not in r.headers.get("Set-Cookie", "")
    [call] = gw.rpc.calls
    assert (call.service, call.method, call.args) == ("portal", "tracking", (TOKEN,))
    english = visitor.get(f"/track/{TOKEN}?lang=en")
    assert '<html lang="en">' in english.text and "Service tracking" in english.text
    assert "Timeline" in english.text


def test_the_api_answers_the_same_form_in_json(gw, visitor):
    r = visitor.get(f"/api/v1/tracking/{TOKEN}")
    assert r.status_code == 200 and r.get_json()["number"] == "SF-2026-000041"
    assert r.get_json()["timeline"][1]["status"] == "IN_REPAIR"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_every_link_that_does_not_work_is_one_404_naming_no_form(gw, visitor):
    gw.rpc.raises = NotFound(GONE)
    pages = set()
    for token in ("forged", "revoked-one", "expired-one", "another-forms-old-one"):
        r = visitor.get(f"/track/{token}", headers={"Accept-Language": "en"})
        assert r.status_code == 404 and r.headers["Content-Security-Policy"] == APPROVAL_CSP
        assert GONE in r.text and "SF-2026" not in r.text and "Daikin" not in r.text
        pages.add(r.text.replace(token, "TOKEN"))  # the language switch links back
        j = visitor.get(f"/api/v1/tracking/{token}")
        assert j.status_code == 404 and j.get_json()["error"]["code"] == "not_found"
        assert j.get_json()["error"]["message"] in (GONE, "Böyle bir takip bağlantısı yok.")
    assert len(pages) == 1  # the same page whatever the reason
    turkish = visitor.get("/track/forged")
    assert "Böyle bir takip bağlantısı yok." in turkish.text
    calls = len(gw.rpc.calls)
    assert visitor.get("/track/" + "x" * 65).status_code == 404
    assert visitor.get("/api/v1/tracking/" + "x" * 65).status_code == 404
    assert len(gw.rpc.calls) == calls  # never sent on


def test_the_links_are_rate_limited_per_address(gw, visitor):
    gw.app.extensions["servis"].link_limiter.limit = 3
    try:
        codes = [visitor.get(f"/track/{TOKEN}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        gw.app.extensions["servis"].link_limiter.limit = gw.app.extensions[
            "servis"].settings.approval_rate_limit

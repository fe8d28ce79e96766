"""The price approval's public API against the fake RPC client: no account needed, the
token handed to forms as it came, the decision's body checked before any service is asked,
the caller's address and browser passed on, a link that no longer works a 410 saying why in
TR and EN, the rate limit per address, and answers kept nowhere (no-store, no-referrer)."""
import pytest

from services.common.exceptions import Gone

TOKEN = "q2Jx9r0B0m3H8yL0c2f0T7aZk1p4V6wN8s5E3dG1uIo"
LINK_USED = "This link has been used: the decision on it is recorded."


@pytest.fixture
def public(gw):
    limiter = getattr(gw.app.extensions["servis"], "link_limiter", None)
    if limiter is not None:
        limiter.reset()
    yield gw
    limiter = getattr(gw.app.extensions["servis"], "link_limiter", None)
    if limiter is not None:
        limiter.reset()


def test_the_estimate_behind_a_link_needs_no_account(public):
    r = public.client.get(f"/api/v1/price-approvals/{TOKEN}")
    assert r.status_code == 200
    [call] = public.rpc.calls
    assert (call.service, call.method, call.args) == ("forms", "price_approval_by_link", (TOKEN,))
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_a_decision_is_checked_then_passed_on_with_the_callers_address_and_browser(public):
    r = public.client.post(f"/api/v1/price-approvals/{TOKEN}/decision",
                           json={"decision": "maybe"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and set(r.json["error"]["details"]) == {"decision"}
    assert public.rpc.calls == []
    r = public.client.post(f"/api/v1/price-approvals/{TOKEN}/decision",
                           json={"decision": "rejected", "note": "  Pahalı  "},
                           headers={"User-Agent": "Telefonum/1.0"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 201
    [call] = public.rpc.calls
    assert call.method == "decide_price_approval"
    assert call.args == (TOKEN, {"decision": "rejected", "note": "Pahalı"},
                         {"ip": "203.0.113.9", "user_agent": "Telefonum/1.0"})


@pytest.mark.parametrize("language,message", [
    ("tr", "Bu bağlantı kullanıldı: verilen karar kaydedildi."), ("en", LINK_USED)])
def test_a_used_link_is_410_saying_so_in_the_callers_language(public, language, message):
    public.rpc.raises = Gone(LINK_USED, {"reason": "used"})
    r = public.client.post(f"/api/v1/price-approvals/{TOKEN}/decision",
                           json={"decision": "approved"}, headers={"Accept-Language": language})
    assert r.status_code == 410
    assert r.json["error"] == {"code": "gone", "message": message,
                               "details": {"reason": "used"}}


def test_each_address_is_rate_limited(public):
    limiter = public.app.extensions["servis"]
    public.client.get(f"/api/v1/price-approvals/{TOKEN}")  # made on first use
    limiter.link_limiter.limit = 3
    try:
        codes = [public.client.get(f"/api/v1/price-approvals/{TOKEN}x").status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        r = public.client.get(f"/api/v1/price-approvals/{TOKEN}",
                              environ_base={"REMOTE_ADDR": "198.51.100.1"})
        assert r.status_code == 200  # another address
        r = public.client.post(f"/api/v1/price-approvals/{TOKEN}/decision",
                               json={"decision": "approved"},
                               headers={"Accept-Language": "tr"})
        assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
        assert r.json["error"]["message"].startswith("Adresinizden çok fazla istek")
    finally:
        limiter.link_limiter.limit = 60


def test_the_public_operations_ask_for_no_token_in_openapi(public):
    doc = public.client.get("/api/v1/openapi.json").json
    for path, method in (("/api/v1/price-approvals/{token}", "get"),
                         ("/api/v1/price-approvals/{token}/decision", "post")):
        assert doc["paths"][path][method]["security"] == []

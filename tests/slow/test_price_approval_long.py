"""The price approval's longer variants (make test-slow), through the running system and
Debian's chromium: an English-speaking customer's estimate revised twice (only the newest link
works); two phones deciding on one link at the same moment (exactly one decision counts, the
other phone is told the link is used or the record changed); a rejection the customer takes
back (repaired after all: the full bill and the repair warranty again); a decision replayed
through the API five times (nothing changes, the manager is e-mailed once); an address asking
too often (429, on the page and the API)."""
import secrets

import pytest
from playwright.sync_api import expect

from tests.conftest import running_system
from tests.e2e.test_e2e_documents import mail_to
from tests.e2e.test_e2e_price_approval import (Customer, customer_with_form, link_in,
                                               send)
from tests.e2e.test_web_walk import api, browser  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory, "approval-long", DIAGNOSIS_FEE="150",
                        APPROVAL_RATE_LIMIT="40") as running:
        yield running


def decision_api(system, url):
    return url.replace("/approve/", "/api/v1/price-approvals/") + "/decision"


def test_an_english_estimate_revised_twice_then_raced_by_two_phones(system, api, browser):
    form = customer_with_form(api, "Bosphorus Hotels Ltd", "hotel@example.com", "FL-1",
                              language="en")
    f = send(api, form)
    for price in ("300", "280"):
        f = send(api, f, lines=[{"kind": "part", "name": "Relay", "unit_price": price}])
    mails = mail_to(system, "hotel@example.com", "Your price approval is requested", count=3)
    links = [link_in(m) for m in mails]
    assert len(set(links)) == 3
    phones = [Customer(browser, "en-GB"), Customer(browser, "en-GB")]
    try:
        for old in links[:2]:
            page = phones[0].open(old, "long-approval-withdrawn", status=410)
            expect(page.get_by_role("alert")).to_contain_text("This link was withdrawn")
        newest = next(u for u in links[2:] if u not in links[:2])
        for phone in phones:
            page = phone.open(newest, "long-approval-en")
            expect(page.get_by_role("heading", level=1)).to_have_text("Your estimate")
            expect(page.locator("#approval-total")).to_have_text("TRY336.00")
        pages = [p.page for p in phones]
        # both posts in flight at once: dispatched without waiting, then both awaited
        pages[0].get_by_role("button", name="Approve the estimate").dispatch_event("click")
        pages[1].get_by_role("button", name="Reject the estimate").dispatch_event("click")
        for page in pages:
            page.wait_for_load_state("networkidle")
        texts = [page.locator("main").inner_text() for page in pages]
    finally:
        for phone in phones:
            phone.close()
    thanked = [t for t in texts if "Thank you" in t]
    assert len(thanked) == 1, texts
    other = [t for t in texts if "Thank you" not in t][0]
    assert "This link has been used" in other or "changed" in other, other
    state = api("mudur", "GET", f"/forms/{form['id']}/price-approval", expect_status=200)
    decided = [v for v in state["versions"] if v["decision"]]
    assert len(decided) == 1 and state["versions"][0]["version"] == 3
    expected = "IN_REPAIR" if decided[0]["decision"]["decision"] == "approved" else "REPAIRED"
    assert api.form(form["id"])["status"] == expected


def test_a_rejection_taken_back_and_a_decision_replayed(system, api, browser):
    form = customer_with_form(api, "Kaya Lokantası", "kaya@example.com", "FL-2")
    send(api, form)
    [mail] = mail_to(system, "kaya@example.com", "Fiyat onayınız bekleniyor")
    url = link_in(mail)
    r = system.http.post(decision_api(system, url), json={"decision": "rejected",
                                                          "note": "Pahalı"})
    assert r.status_code == 201, r.text
    for _ in range(5):  # the same decision again and again: nothing more happens
        again = system.http.post(decision_api(system, url), json={"decision": "approved"})
        assert again.status_code == 410 and again.json()["error"]["details"] == {
            "reason": "used"}
    f = api.form(form["id"])
    assert f["unrepaired"] and f["totals"]["total"] == "180.00"
    # the customer changed their mind by phone: repaired after all
    f = api.move("tekno", f, "IN_REPAIR")
    assert not f["unrepaired"] and f["totals"]["total"] == "1500.00"
    f = api.move("tekno", f, "REPAIRED")
    f = api.move("masa", f, "DELIVERED")
    assert f["repair_warranty"]["end"] is not None and f["totals"]["total"] == "1500.00"
    told = mail_to(system, "mudur@servis.local", "Fiyat reddedildi")
    assert len(told) == 1


def test_an_address_asking_too_often_is_told_to_wait(system, api, browser):
    customer = Customer(browser)
    try:
        codes = [system.http.get(system.url("/api/v1/price-approvals/"
                                            + secrets.token_urlsafe(32))).status_code
                 for _ in range(40)]
        assert set(codes) <= {410, 429} and codes[-1] == 429, codes
        response = customer.page.goto(system.url("/approve/" + secrets.token_urlsafe(32)))
        assert response.status == 429
        expect(customer.page.get_by_role("alert")).to_contain_text("Adresinizden çok fazla")
    finally:
        customer.close()

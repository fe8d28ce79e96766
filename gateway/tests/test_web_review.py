"""The console's review queue of the portal's requests against the fake RPC client: the desk
lists the submitted requests, opens one with its photos, accepts it (on to the new form) or
declines it with a reason (a blank one is shown, nothing sent); a stale version is the reload
page; a technician has no such screen; the menu shows it to reviewers only."""
import base64

from gateway.tests.test_web import csrf_of, web  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
REQ = {"id": 5, "customer_id": 9, "status": "submitted", "status_name": "İnceleniyor",
       "version": 2, "device_id": None, "brand": "Daikin", "model": "FTX", "serial": "PT-1",
       "device_type": None, "site": "Depo", "complaint": "Soğutmuyor, su akıtıyor",
       "decline_reason": None, "form_id": None, "form_number": None,
       "created_at": "2026-11-27T21:30:00+00:00", "reviewed_at": None,
       "photos": [{"id": 11, "filename": "ariza.png", "content_type": "image/png",
                   "size": len(PNG)}]}


def fake(calls_out, customer=True):
    from services.common.exceptions import Conflict, NotFound

    def answer(service, method, args):
        calls_out.append((method, args))
        if method == "get_customer":
            if not customer:
                raise NotFound("Customer {customer_id} not found.", {"customer_id": args[0]})
            return {"id": 9, "name": "Işık Soğutma Ltd. Şti.", "tax_no": None, "version": 1}
        if method == "list_requests":
            return {"items": [REQ], "next_cursor": None}
        if method == "get_request":
            return REQ
        if method == "get_photo":
            return {"filename": "ariza.png", "content_type": "image/png",
                    "content_b64": base64.b64encode(PNG).decode()}
        if method == "accept_request":
            if args[1].get("version") != 2:
                raise Conflict("The record was changed since version {given} (now "
                               "{version}); read it again.", {"given": 1, "version": 2})
            return {**REQ, "status": "accepted", "form_id": 77, "form_number": "SF-77"}
        if method == "decline_request":
            return {**REQ, "status": "declined", "decline_reason": args[1]["reason"]}
        raise AssertionError(method)
    return answer


def test_the_desk_reviews_a_request_in_the_console(gw, web):
    calls = []
    browser = web()
    browser.sign_in("desk")
    gw.rpc.answer = fake(calls)
    listing = browser.client.get("/review")
    assert listing.status_code == 200 and "İnternet talepleri" in listing.text
    assert "/review/5" in listing.text and "28.11.2026 00:30" in listing.text
    assert "Işık Soğutma Ltd. Şti." in listing.text and "#9" not in listing.text
    assert calls[0][0] == "list_requests"
    assert (calls[0][1][0]["status"], calls[0][1][0]["limit"]) == ("submitted", 100)
    one = browser.client.get("/review/5")
    assert one.status_code == 200 and "Soğutmuyor, su akıtıyor" in one.text
    assert "Işık Soğutma Ltd. Şti." in one.text
    assert "/review/5/photos/11" in one.text and "Kabul et" in one.text
    photo = browser.client.get("/review/5/photos/11")
    assert photo.status_code == 200 and photo.data == PNG and photo.mimetype == "image/png"
    token = csrf_of(one.text)
    r = browser.client.post("/review/5/accept", data={"csrf_token": token, "version": "2"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/forms/77")
    stale = browser.client.post("/review/5/accept", data={"csrf_token": token, "version": "1"})
    assert stale.status_code == 409
    calls.clear()
    blank = browser.client.post("/review/5/decline", data={"csrf_token": token, "version": "2",
                                                           "reason": "  "})
    assert blank.status_code == 422 and "reason" in blank.text
    r = browser.client.post("/review/5/decline", data={"csrf_token": token, "version": "2",
                                                       "reason": "Garanti kapsamında değil"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/review")
    (method, args) = [c for c in calls if c[0] == "decline_request"][-1]
    assert args[0] == 5 and args[1] == {"reason": "Garanti kapsamında değil", "version": 2}


def test_a_technician_has_no_review_screen(gw, web):
    browser = web()
    browser.sign_in("technician")
    gw.rpc.answer = fake([])
    assert browser.client.get("/review").status_code == 403
    assert "/review" not in browser.client.get("/").text


def test_a_customer_that_cannot_be_read_keeps_its_number(gw, web):
    calls = []
    browser = web()
    browser.sign_in("desk")
    gw.rpc.answer = fake(calls, customer=False)
    listing = browser.client.get("/review")
    assert listing.status_code == 200 and ">#9<" in listing.text
    assert [m for m, _ in calls].count("get_customer") == 1  # once per distinct customer

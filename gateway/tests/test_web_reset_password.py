"""The page a reset e-mail's or a portal invitation's link opens (/reset-password#<token>):
the token (copied from the fragment by static/reset.js) and a new password set it once through
the accounts' reset machinery; the password rules' errors and two different passwords are
shown on the page and spend nothing; a used or unknown token is refused; set, a customer lands
signed in in the portal and staff in the console."""
import re

from gateway.tests.test_web import csrf_of, web  # noqa: F401


def _form(client, token, password, again=None, lang="tr"):
    page = client.get("/reset-password", headers={"Accept-Language": lang})
    assert page.status_code == 200
    return client.post("/reset-password", data={
        "csrf_token": csrf_of(page.text), "token": token, "new_password": password,
        "new_password_again": password if again is None else again},
        headers={"Accept-Language": lang})


def test_an_invited_customer_sets_the_password_once_and_lands_in_the_portal(gw):
    users = gw.app.extensions["servis"].users
    user = users.create(username="ofis@gunes.example.com", password="x" * 40,
                        role="customer", name="Şule Güneş", email="ofis@gunes.example.com",
                        language="tr", customer_id=7)
    token = users.open_reset(user, 3600)
    client = gw.app.test_client()
    page = client.get("/reset-password")
    assert "Parolanızı belirleyin" in page.text and "/reset.js" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in page.text  # the CSP's: no inline script

    r = _form(client, token, "Portal-parola-42", again="Portal-parola-43")
    assert r.status_code == 422 and "İki parola aynı değil." in r.text
    assert f'value="{token}"' in r.text  # kept for the next try
    r = _form(client, token, "kısa")
    assert r.status_code == 422 and "new_password" in r.text
    r = _form(client, token, "password123", lang="en")
    assert r.status_code == 422 and "new_password" in r.text and "common" in r.text.lower()

    r = _form(client, token, "Portal-parola-42")
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/")
    assert re.search(r"servis_session=[^;]+;", r.headers["Set-Cookie"])
    home = client.get("/portal/")
    assert home.status_code == 200 and "Şule Güneş" in home.text
    assert users.authenticate("ofis@gunes.example.com", "Portal-parola-42") is not None

    again = _form(gw.app.test_client(), token, "Baska-parola-43")
    assert again.status_code == 422 and "bağlantı geçerli değil" in again.text.lower()
    assert users.authenticate("ofis@gunes.example.com", "Baska-parola-43") is None
    forged = _form(gw.app.test_client(), "forged-token", "Baska-parola-43")
    assert forged.status_code == 422


def test_staff_land_in_the_console_and_a_post_without_csrf_is_refused(gw):
    users = gw.app.extensions["servis"].users
    user = users.create(username="yeni-masa", password="x" * 40, role="desk",
                        name="Yeni Masa", email="masa@servis.example.com", language="tr")
    token = users.open_reset(user, 3600)
    client = gw.app.test_client()
    refused = client.post("/reset-password", data={"token": token,
                                                   "new_password": "Masa-parolasi-77",
                                                   "new_password_again": "Masa-parolasi-77"})
    assert refused.status_code == 403
    r = _form(client, token, "Masa-parolasi-77")
    assert r.status_code == 303 and r.headers["Location"] in ("/", "http://localhost/")
    assert users.authenticate("yeni-masa", "Masa-parolasi-77") is not None

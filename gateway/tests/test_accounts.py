"""Accounts (issue 20, finding 7): tokens end when their account changes — deactivated, a new
role, a new password (within ACCOUNT_CHECK_SECONDS, at most 5 s, on every gateway of one
database) — malformed claims are a 401, PATCH /users/{id} follows the version contract, and
passwords are changed, reset by an admin or by a one-time e-mail link, under one set of rules."""
import time
from types import SimpleNamespace

import jwt
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.settings import Settings
from gateway.tests.conftest import FakeRpc

SECRET = "accounts-tests-secret-of-at-least-32-bytes!"


def _app(data_dir, **env):
    app = create_app(Settings.from_env({"DATA_DIR": str(data_dir), **env}),
                     rpc_client=FakeRpc())
    app.config["JWT_SECRET"] = SECRET
    return app


@pytest.fixture
def acc(tmp_path):
    app = _app(tmp_path)
    users = app.extensions["servis"].users
    admin = users.create(username="yonetici", password="Uzun-parola-9", role="admin",
                         name="Yönetici", email="y@example.com")
    tech = users.create(username="tekin", password="Tekin-parolasi-1", role="technician",
                        name="Tekin", email="tekin@example.com", language="en")

    def bearer(user):
        return {"Authorization": "Bearer " + issue_token(users.get(user.id), SECRET, 3600)}
    return SimpleNamespace(app=app, client=app.test_client(), users=users, admin=admin,
                           tech=tech, bearer=bearer, dir=tmp_path)


def _signed(claims):
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


@pytest.mark.parametrize("claims", [
    {"sub": "abc", "role": "admin", "exp": 4102444800},
    {"sub": "1", "role": "admin", "exp": "soon"},
    {"sub": "1", "role": "admin", "exp": True},
    {"sub": "1", "role": "emperor", "exp": 4102444800},
    {"sub": "1", "role": "admin", "exp": 4102444800, "customer_id": "x"},
    {"sub": "99999", "role": "admin", "exp": 4102444800},  # no such account
])
def test_malformed_or_unknown_claims_are_401_not_500(acc, claims):
    r = acc.client.get("/api/v1/me", headers=_signed(claims))
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_a_deleted_users_token_is_refused(acc):
    headers = acc.bearer(acc.tech)
    assert acc.client.get("/api/v1/me", headers=headers).status_code == 200
    with acc.users.Session() as s:
        from gateway.users import User
        s.delete(s.get(User, acc.tech.id))
        s.commit()
    acc.users.states.forget(acc.tech.id)
    assert acc.client.get("/api/v1/me", headers=headers).status_code == 401


def _patch(acc, user, body, version=None, by=None):
    headers = {**acc.bearer(by or acc.admin), "Accept-Language": "en"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return acc.client.patch(f"/api/v1/users/{user.id}", json=body, headers=headers)


def test_deactivation_ends_tokens_on_every_gateway_within_the_check_interval(acc):
    other = _app(acc.dir, ACCOUNT_CHECK_SECONDS="0.5")  # a second gateway, one database
    other_client = other.test_client()
    headers = acc.bearer(acc.tech)
    assert other_client.get("/api/v1/me", headers=headers).status_code == 200  # cached
    r = _patch(acc, acc.tech, {"active": False}, version=1)
    assert r.status_code == 200 and r.json["active"] is False and r.json["version"] == 2
    assert r.headers["ETag"] == '"2"'
    assert acc.client.get("/api/v1/me", headers=headers).status_code == 401  # this one: now
    started = time.monotonic()
    while other_client.get("/api/v1/me", headers=headers).status_code == 200:
        assert time.monotonic() - started < 5, "still accepted after 5 s"
        time.sleep(0.1)
    r = _patch(acc, acc.tech, {"active": True}, version=2)
    assert r.status_code == 200
    assert acc.client.get("/api/v1/me", headers=headers).status_code == 401  # stays ended
    assert acc.client.post("/api/v1/auth/token", json={
        "username": "tekin", "password": "Tekin-parolasi-1"}).status_code == 200


def test_a_new_role_ends_tokens_and_the_version_contract_holds(acc):
    headers = acc.bearer(acc.tech)
    assert _patch(acc, acc.tech, {"role": "manager"}).status_code == 428
    assert _patch(acc, acc.tech, {"role": "manager"}, version=7).status_code == 409
    r = _patch(acc, acc.tech, {"role": "manager", "name": " Tekin Bey ", "language": "tr"},
               version=1)
    assert r.status_code == 200 and (r.json["role"], r.json["name"]) == ("manager", "Tekin Bey")
    assert acc.client.get("/api/v1/me", headers=headers).status_code == 401
    r = _patch(acc, acc.tech, {"name": "Tekin"}, version=2)  # a name: tokens go on
    assert r.status_code == 200
    assert acc.client.get("/api/v1/me", headers=acc.bearer(acc.tech)).status_code == 200


@pytest.mark.parametrize("body,field", [({"role": "king"}, "role"), ({"active": "maybe"}, "active"),
                                        ({"language": "de"}, "language"),
                                        ({"role": "customer"}, "role")])
def test_a_bad_change_is_422_and_writes_nothing(acc, body, field):
    r = _patch(acc, acc.tech, body, version=1)
    assert r.status_code == 422 and field in r.json["error"]["details"]
    assert acc.users.get(acc.tech.id).version == 1


def test_an_admin_cannot_lock_themselves_out(acc):
    for body in ({"active": False}, {"role": "manager"}):
        assert _patch(acc, acc.admin, body, version=1).status_code == 422
    assert _patch(acc, acc.admin, {"active": False}, version=1, by=acc.tech).status_code == 403


def test_change_your_own_password(acc):
    old = acc.bearer(acc.tech)
    url = "/api/v1/me/password"
    for new, field in (("kısa", "new_password"), ("password123", "new_password"),
                       ("Galatasaray1905!", "new_password"), ("Fenerbahçe", "new_password")):
        r = acc.client.post(url, json={"current_password": "Tekin-parolasi-1",
                                       "new_password": new},
                            headers={**old, "Accept-Language": "tr"})
        assert r.status_code == 422 and field in r.json["error"]["details"], (new, r.json)
    r = acc.client.post(url, json={"current_password": "yanlış", "new_password": "Yepyeni-şifre-7"},
                        headers=old)
    assert r.status_code == 422 and "current_password" in r.json["error"]["details"]
    r = acc.client.post(url, json={"current_password": "Tekin-parolasi-1",
                                   "new_password": "Yepyeni-şifre-7"}, headers=old)
    assert r.status_code == 200
    assert acc.client.get("/api/v1/me", headers=old).status_code == 401
    new = {"Authorization": "Bearer " + r.json["access_token"]}
    assert acc.client.get("/api/v1/me", headers=new).status_code == 200
    assert acc.client.post("/api/v1/auth/token", json={
        "username": "tekin", "password": "Yepyeni-şifre-7"}).status_code == 200


def test_an_admin_resets_a_password(acc):
    old = acc.bearer(acc.tech)
    url = f"/api/v1/users/{acc.tech.id}/password"
    assert acc.client.post(url, json={"new_password": "123456789"},
                           headers=acc.bearer(acc.admin)).status_code == 422
    assert acc.client.post(url, json={"new_password": "Sifirlanan-99"},
                           headers=acc.bearer(acc.tech)).status_code == 403
    assert acc.client.post(url, json={"new_password": "Sifirlanan-99"},
                           headers=acc.bearer(acc.admin)).status_code == 204
    assert acc.client.get("/api/v1/me", headers=old).status_code == 401
    assert acc.client.post("/api/v1/auth/token", json={
        "username": "tekin", "password": "Sifirlanan-99"}).status_code == 200


def test_a_reset_by_e_mail_link_works_once_and_expires(acc):
    rpc = acc.app.extensions["servis"].rpc
    r = acc.client.post("/api/v1/auth/password-reset", json={"username": "nobody"})
    assert r.status_code == 202 and rpc.calls == []  # the same answer, nothing sent
    r = acc.client.post("/api/v1/auth/password-reset", json={"username": "tekin@example.com"})
    assert r.status_code == 202
    (call,) = rpc.calls
    assert (call.service, call.method) == ("notify", "send_password_reset")
    sent = call.args[0]
    assert sent["recipient"] == {"name": "Tekin", "email": "tekin@example.com", "language": "en"}
    token = sent["link"].split("#", 1)[1]
    old = acc.bearer(acc.tech)
    url = "/api/v1/auth/password-reset/confirm"
    assert acc.client.post(url, json={"token": token, "new_password": "qwerty123"}
                           ).status_code == 422  # the rules first; the link stays usable
    r = acc.client.post(url, json={"token": token, "new_password": "E-postadan-yeni-1"})
    assert r.status_code == 200 and r.json["access_token"]
    assert acc.client.get("/api/v1/me", headers=old).status_code == 401
    r = acc.client.post(url, json={"token": token, "new_password": "Bir-daha-deneme-2"})
    assert r.status_code == 422 and "token" in r.json["error"]["details"]  # once
    # an expired link
    acc.app.extensions["servis"].settings.password_reset_seconds = -1
    acc.client.post("/api/v1/auth/password-reset", json={"username": "tekin"})
    token = rpc.calls[-1].args[0]["link"].split("#", 1)[1]
    assert acc.client.post(url, json={"token": token, "new_password": "Gec-kalmis-link-3"}
                           ).status_code == 422


def test_new_accounts_follow_the_password_rules(acc):
    for password in ("kısa-1", "iloveyou", "Password123!"):
        r = acc.client.post("/api/v1/users", headers=acc.bearer(acc.admin), json={
            "username": "yeni-ekip", "password": password, "role": "desk", "name": "Yeni"})
        assert r.status_code == 422 and "password" in r.json["error"]["details"], password


def test_a_console_session_ends_with_its_account(acc):
    from gateway.users import SessionStore
    sessions = SessionStore(acc.users)
    token, _ = sessions.open(acc.users.get(acc.tech.id), 3600)
    assert sessions.get(token) is not None
    assert _patch(acc, acc.tech, {"active": False}, version=1).status_code == 200
    assert sessions.get(token) is None
    assert _patch(acc, acc.tech, {"active": True}, version=2).status_code == 200
    assert sessions.get(token) is None  # reactivated: a new sign-in, not the old session
    token, _ = sessions.open(acc.users.get(acc.tech.id), 3600)
    acc.users.set_password(acc.tech.id, "Baska-parola-77")
    assert sessions.get(token) is None


def test_the_product_hashes_passwords_with_scrypt_and_signs_in_with_it(tmp_path, monkeypatch):
    """This layer's other tests hash cheaply (conftest.py); the product's own method here."""
    from gateway import users as users_module
    from gateway.tests.conftest import PRODUCT_HASH_METHOD
    assert PRODUCT_HASH_METHOD == "scrypt"
    monkeypatch.setattr(users_module, "PASSWORD_HASH_METHOD", PRODUCT_HASH_METHOD)
    app = _app(tmp_path)
    user = app.extensions["servis"].users.create(
        username="şule", password="Şule-parolası-7", role="desk", name="Şule",
        email="s@example.com")
    assert app.extensions["servis"].users.get(user.id).password_hash.startswith("scrypt:")
    client = app.test_client()
    good = client.post("/api/v1/auth/token", json={"username": "ŞULE",
                                                    "password": "Şule-parolası-7"})
    assert good.status_code == 200, good.get_json()
    bad = client.post("/api/v1/auth/token", json={"username": "şule", "password": "yanlış-1"})
    assert bad.status_code == 401

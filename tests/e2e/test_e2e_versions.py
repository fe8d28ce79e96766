"""One version contract for every versioned record, through the running system (issue 11):
device cards, service forms, knowledge articles and customers. For each: an ETag on create,
read and write; 428 without a version; 409 naming the current one when stale; 422 when
If-Match and the body's version differ, and for a weak ETag. And error messages — the
gateway's and the services' — in the request's language, their values filled in."""
import itertools

import pytest

from tests.conftest import ADMIN_PASSWORD

_serial = itertools.count(1)


@pytest.fixture(scope="module")
def admin(system):
    return system.token("admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def customer_id(system, admin):
    r = system.http.post(system.url("/api/v1/customers"), headers=admin,
                         json={"name": "Sürüm Soğutma"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def new_device(system, admin, customer_id):
    return system.http.post(system.url("/api/v1/devices"), headers=admin, json={
        "customer_id": customer_id, "brand": "Daikin", "serial": f"VER-{next(_serial)}"})


def new_form(system, admin, customer_id):
    return system.http.post(system.url("/api/v1/forms"), headers=admin, json={
        "customer_id": customer_id, "complaint": "Soğutmuyor",
        "device": {"brand": "Arçelik", "serial": f"VERF-{next(_serial)}"}})


def new_article(system, admin, customer_id):
    return system.http.post(system.url("/api/v1/knowledge/articles"), headers=admin, json={
        "family": "KLM", "area": "VER", "title": f"Sürüm {next(_serial)}"})


def new_customer(system, admin, customer_id):
    return system.http.post(system.url("/api/v1/customers"), headers=admin,
                            json={"name": f"Müşteri {next(_serial)}"})


# kind -> (create, the record's path, a write: (method, path suffix, body))
KINDS = {
    "devices": (new_device, "/api/v1/devices/{id}", ("PATCH", "", {"notes": "Çatıda"})),
    "forms": (new_form, "/api/v1/forms/{id}", ("PATCH", "", {"diagnosis": "Röle yanmış"})),
    "knowledge": (new_article, "/api/v1/knowledge/articles/{id}",
                  ("PATCH", "", {"title": "Röle arızası"})),
    "customers": (new_customer, "/api/v1/customers/{id}", ("PATCH", "", {"phone": "0212"})),
}


@pytest.mark.parametrize("kind", ["devices", "forms", "knowledge", "customers"])
def test_the_version_contract(system, admin, customer_id, kind):
    http = system.http
    create, path, (method, suffix, body) = KINDS[kind]
    r = create(system, admin, customer_id)
    assert r.status_code == 201, r.text
    assert r.headers.get("ETag") == '"1"', (kind, "ETag on create")
    record = path.format(id=r.json()["id"])
    r = http.get(system.url(record), headers=admin)
    assert r.status_code == 200 and r.headers.get("ETag") == '"1"', (kind, "ETag on read")

    def write(headers=None, change=body, **extra):
        return http.request(method, system.url(record + suffix),
                            headers={**admin, **(headers or {})}, json={**change, **extra})

    r = write()
    assert r.status_code == 428, (kind, r.status_code, r.text)
    assert r.json()["error"]["code"] == "precondition_required"
    r = write({"If-Match": '"1"'}, version=2)
    assert r.status_code == 422 and "version" in r.json()["error"]["details"], r.text
    r = write({"If-Match": 'W/"1"'})
    assert r.status_code == 422 and "If-Match" in r.json()["error"]["details"], r.text
    r = write({"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers.get("ETag") == '"2"', (kind, "ETag on write")
    r = write({"If-Match": '"1"'})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["details"]["version"] == 2  # names the current version
    assert r.json()["error"]["details"]["given"] == 1
    again = {k: v + " (2)" for k, v in body.items()}  # an unchanged record keeps its version
    r = write(change=again, version=2)  # the body's version does as well as If-Match
    assert r.status_code == 200 and r.headers.get("ETag") == '"3"'


@pytest.mark.parametrize("language,message,field", [
    ("tr", "Girilen bilgiler geçerli değil.", "Zorunlu alan eksik."),
    ("en", "The input is not valid.", "Missing data for required field.")])
def test_messages_follow_accept_language(system, admin, language, message, field):
    r = system.http.post(system.url("/api/v1/forms"),
                         headers={**admin, "Accept-Language": language},
                         json={"complaint": "Soğutmuyor"})
    assert r.status_code == 422
    assert r.headers["Content-Language"] == language
    error = r.json()["error"]
    assert error["message"] == message
    assert error["details"]["customer_id"] == [field]


def test_service_errors_reach_the_client_in_its_language(system, admin, customer_id):
    """A service raises a constant English template with its values in the details; the
    client reads it in Turkish or English, the values filled in."""
    http, url = system.http, system.url

    def in_both(method, path, headers=None, **kw):
        answers = {}
        for language in ("tr", "en"):
            r = http.request(method, url(path), **kw, headers={
                **admin, **(headers or {}), "Accept-Language": language})
            assert r.headers["Content-Language"] == language
            answers[language] = (r.status_code, r.json()["error"])
        return answers

    answers = in_both("GET", "/api/v1/forms/999999")
    assert answers["tr"] == (404, {"code": "not_found", "details": {"form_id": 999999},
                                   "message": "999999 numaralı servis formu bulunamadı."})
    assert answers["en"][1]["message"] == "Service form 999999 not found."

    form = new_form(system, admin, customer_id).json()
    record = f"/api/v1/forms/{form['id']}"
    r = http.patch(url(record), headers={**admin, "If-Match": '"1"'},
                   json={"diagnosis": "Röle yanmış"})
    assert r.status_code == 200
    answers = in_both("PATCH", record, headers={"If-Match": '"1"'},
                      json={"diagnosis": "Kart arızası"})
    assert answers["tr"] == (409, {"code": "conflict", "details": {"version": 2, "given": 1},
                                   "message": "Kayıt 1 sürümünden bu yana değişti (şimdi 2); "
                                              "yeniden okuyun."})
    assert answers["en"][1]["message"] == \
        "The record was changed since version 1 (now 2); read it again."

    answers = in_both("POST", record + "/transitions", headers={"If-Match": '"2"'},
                      json={"to": "DELIVERED"})
    assert answers["tr"][0] == 409 and answers["tr"][1]["message"] == (
        "NEW statüsündeki bir servis formu DELIVERED statüsüne geçemez; izin verilenler: "
        + ", ".join(answers["tr"][1]["details"]["allowed"]) + ".")
    assert answers["en"][1]["message"].startswith("A form in NEW cannot go to DELIVERED;")

    answers = in_both("PATCH", record, headers={"If-Match": '"2"'},
                      json={"fault_type": "uzay-gemisi"})
    assert answers["tr"] == (422, {"code": "validation_error",
                                   "message": "Girilen bilgiler geçerli değil.",
                                   "details": {"fault_type": [
                                       "Bilinmeyen arıza tipi 'uzay-gemisi'."]}})
    assert answers["en"][1]["details"] == {"fault_type": ["Unknown fault type 'uzay-gemisi'."]}

    owner = http.get(url(f"/api/v1/customers/{customer_id}"), headers=admin).json()
    answers = in_both("POST", "/api/v1/devices", json={
        "customer_id": customer_id, "brand": "Arçelik", "serial": form["device"]["serial"]})
    assert answers["tr"][0] == 409 and answers["tr"][1]["message"] == (
        f"Arçelik {form['device']['serial']} cihazı zaten {owner['name']} (#{customer_id}) "
        "müşterisine kayıtlı.")

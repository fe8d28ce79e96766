"""The knowledge archive as users walk it, through the real gateway and processes: a technician
writes a draft, a manager publishes it, search finds it Turkish-aware with highlights, a form
gets it as a suggestion and as its solution; customers get 403, bad input 422."""
import time

import pytest

from tests.conftest import ADMIN_PASSWORD

ARTICLE = {
    "family": "KLM", "area": "ELK", "title": "IŞIK ARIZASI: ön panel ışığı yanıp sönüyor",
    "symptoms": "KOMPRESÖR çalışmıyor, ön paneldeki IŞIK sürekli yanıp sönüyor.",
    "cause": "Kontrol kartındaki röle arızalı (DİYARBAKIR servisinde sık görülür).",
    "solution_steps": ["Röleyi ölçün.", "Arızalı röleyi değiştirin."],
    "device_types": ["Klima"], "models": ["Inverter 12"], "fault_codes": ["E4"],
    "tags": ["elektrik"], "language": "tr"}


def wait_for(fetch, ok, limit=15):
    deadline = time.monotonic() + limit
    while True:
        value = fetch()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture(scope="module")
def people(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    out = {"admin": admin}
    for username, role in (("teknik_e2e", "technician"), ("mudur_e2e", "manager"),
                           ("masa_e2e", "desk")):
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "şifre-" + username, "role": role,
            "name": username.title(), "email": f"{username}@servis.local"})
        assert r.status_code == 201, r.text
        out[role] = system.token(username, "şifre-" + username)
    customer = system.http.post(system.url("/api/v1/customers"), headers=admin,
                                json={"name": "Çelik Klima Ltd"}).json()
    r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
        "username": "portal_e2e", "password": "portal-şifre-1", "role": "customer",
        "name": "Portal", "customer_id": customer["id"]})
    assert r.status_code == 201, r.text
    out["customer"] = system.token("portal_e2e", "portal-şifre-1")
    out["customer_id"] = customer["id"]
    return out


def test_draft_publish_search_suggest_and_solve(system, people):
    http, url = system.http, system.url
    tech, manager, desk = people["technician"], people["manager"], people["desk"]
    r = http.post(url("/api/v1/knowledge/articles"), headers=tech, json=ARTICLE)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["code"] == "KLM-ELK-0001" and draft["status"] == "draft"
    r = http.post(url(f"/api/v1/knowledge/articles/{draft['id']}/status"), headers=tech,
                  json={"status": "published", "version": 1})
    assert r.status_code == 403  # technicians write drafts; managers publish
    r = http.patch(url(f"/api/v1/knowledge/articles/{draft['id']}"), headers=tech,
                   json={"tags": ["elektrik", "röle"]})
    assert r.status_code == 428
    r = http.patch(url(f"/api/v1/knowledge/articles/{draft['id']}"),
                   headers={**tech, "If-Match": "1"}, json={"tags": ["elektrik", "röle"]})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = http.post(url(f"/api/v1/knowledge/articles/{draft['id']}/status"), headers=manager,
                  json={"status": "published", "version": 1})
    assert r.status_code == 409  # stale version
    r = http.post(url(f"/api/v1/knowledge/articles/{draft['id']}/status"), headers=manager,
                  json={"status": "published", "version": 2})
    assert r.status_code == 200 and r.json()["status"] == "published"

    def search(**params):
        r = http.get(url("/api/v1/knowledge/search"), headers=desk, params=params)
        assert r.status_code == 200, r.text
        return r.json()["hits"]

    hits = wait_for(lambda: search(q="ışık arızası"), lambda h: h)
    assert [h["code"] for h in hits] == ["KLM-ELK-0001"]
    assert hits[0]["highlights"]["title"]["snippet"].startswith(
        "<mark>IŞIK</mark> <mark>ARIZASI</mark>")
    for q in ("diyarbakır", "kompresor", "röle", "kompresr",
              "KLM-ELK-0001", "e4"):
        assert [h["id"] for h in search(q=q)] == [draft["id"]], q
    assert search(q="KLM-ELK-0001")[0]["code_match"] is True
    assert search(q="ışık", device_type="klima", model="INVERTER 12")[0]["id"] == draft["id"]
    assert search(q="ışık", device_type="Kombi") == []

    r = http.post(url("/api/v1/forms"), headers=desk, json={
        "customer_id": people["customer_id"], "complaint": "Panelde ışık yanıp sönüyor, soğutmuyor",
        "device": {"brand": "Arçelik", "serial": "KB-E2E-1", "model": "Inverter 12",
                   "device_type": "Klima"}})
    assert r.status_code == 201, r.text
    form = r.json()
    r = http.get(url(f"/api/v1/forms/{form['id']}/suggestions"), headers=tech)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["items"]][:1] == [draft["id"]]
    r = http.post(url(f"/api/v1/forms/{form['id']}/solutions"), headers=tech,
                  json={"article_id": draft["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["solved_count"] == 1 and r.json()["form_number"] == form["number"]
    assert http.post(url(f"/api/v1/forms/{form['id']}/solutions"), headers=tech,
                     json={"article_id": draft["id"]}).status_code == 409
    article = http.get(url(f"/api/v1/knowledge/articles/{draft['id']}"), headers=desk).json()
    assert article["solved_count"] == 1
    (sol,) = http.get(url(f"/api/v1/forms/{form['id']}/solutions"), headers=desk).json()["items"]
    assert sol["article"]["code"] == "KLM-ELK-0001"
    revs = http.get(url(f"/api/v1/knowledge/articles/{draft['id']}/revisions"), headers=desk)
    assert [r["action"] for r in revs.json()["items"]] == ["published", "edited", "created"]


def test_customers_are_refused_and_bad_input_is_422(system, people):
    http, url = system.http, system.url
    portal, tech = people["customer"], people["technician"]
    for method, path in (("get", "/api/v1/knowledge/search?q=ışık"),
                         ("get", "/api/v1/knowledge/articles"),
                         ("get", "/api/v1/knowledge/articles/1"),
                         ("post", "/api/v1/knowledge/articles"),
                         ("get", "/api/v1/forms/1/suggestions")):
        assert getattr(http, method)(url(path), headers=portal,
                                     json={}).status_code == 403, path
    assert http.get(url("/api/v1/knowledge/search"), params={"q": "x"}).status_code == 401
    r = http.post(url("/api/v1/knowledge/articles"), headers=tech,
                  json={"family": "klm", "area": "ELK1", "title": "", "tags": "x"})
    assert r.status_code == 422
    assert {"family", "area", "title", "tags"} <= set(r.json()["error"]["details"])
    r = http.get(url("/api/v1/knowledge/search"), headers=tech,
                 params={"q": "x" * 300, "status": "nope", "limit": "many"})
    assert r.status_code == 422
    assert {"q", "status", "limit"} <= set(r.json()["error"]["details"])
    for params in ({"q": '"*) OR NEAR('}, {"q": "\x00"}, {"q": "   "}, {"q": "ü-ğ-ş"}):
        r = http.get(url("/api/v1/knowledge/search"), headers=tech, params=params)
        assert r.status_code in (200, 422), (params, r.text)
    assert http.get(url("/api/v1/knowledge/articles"), headers=tech,
                    params={"cursor": "@@"}).status_code == 422
    assert http.get(url("/api/v1/knowledge/articles/999999"), headers=tech).status_code == 404
    assert http.get(url("/api/v1/forms/999999/suggestions"), headers=tech).status_code == 404
    assert http.post(url("/api/v1/forms/999999/solutions"), headers=tech,
                     json={"article_id": 1}).status_code == 404
    r = http.patch(url("/api/v1/knowledge/articles/1"), headers={**tech, "If-Match": "abc"},
                   json={"title": "x"})
    assert r.status_code in (403, 422)
    assert http.post(url("/api/v1/knowledge/reindex"), headers=tech).status_code == 403
    r = http.post(url("/api/v1/knowledge/reindex"), headers=people["admin"])
    assert r.status_code == 200 and r.json()["engine"] == "tantivy"


def test_the_knowledge_api_is_in_the_openapi_document(system):
    doc = system.http.get(system.url("/api/v1/openapi.json")).json()
    assert {"/api/v1/knowledge/articles", "/api/v1/knowledge/search",
            "/api/v1/knowledge/articles/{article_id}/status",
            "/api/v1/forms/{form_id}/suggestions", "/api/v1/forms/{form_id}/solutions"} <= set(
        doc["paths"])
    params = {p["name"] for p in doc["paths"]["/api/v1/knowledge/search"]["get"]["parameters"]}
    assert {"q", "device_type", "model", "fault_code", "status"} <= params

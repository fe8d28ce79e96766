"""knowledge through real nameko containers, on SQLite and PostgreSQL, with a real broker."""
import base64
import json
import time

import eventlet
import pytest

from services.common.events import load_event
from services.common.exceptions import (Conflict, Forbidden, NotFound, PreconditionRequired,
                                        ValidationFailed)
from services.knowledge.service import KnowledgeService

TECH = {"id": 11, "name": "Tekin Teknisyen", "role": "technician"}
OTHER_TECH = {"id": 12, "name": "Başka Teknisyen", "role": "technician"}
MANAGER = {"id": 21, "name": "Müge Müdür", "role": "manager"}
ARTICLE = {"family": "KLM", "area": "ELK", "title": "IŞIK ARIZASI: panel ışığı yanıp sönüyor",
           "symptoms": "Ön paneldeki IŞIK yanıp sönüyor; DİYARBAKIR şubesinden bildirildi.",
           "cause": "KOMPRESÖR rölesi arızalı.", "solution_steps": ["Röleyi değiştirin.", " "],
           "device_types": ["Klima", "klima"], "models": ["Inverter 12"],
           "fault_codes": ["E4"], "tags": ["elektrik"]}


@pytest.fixture
def knowledge(run_services, tmp_path):
    (container,) = run_services(KnowledgeService, INDEX_POLL_SECONDS=0.2,
                                KNOWLEDGE_INDEX_PATH=str(tmp_path / "kb-index"))
    return container


def publish(rpc, article):
    return rpc.knowledge.set_status(article["id"], {"status": "published",
                                                    "version": article["version"]}, MANAGER)


def test_draft_publish_search_and_event(knowledge, rpc, tap):
    events = tap("knowledge", "article_published")
    draft = rpc.knowledge.create_article(ARTICLE, TECH)
    assert draft["code"] == "KLM-ELK-0001" and draft["status"] == "draft"
    assert draft["device_types"] == ["Klima"] and draft["solution_steps"] == ["Röleyi değiştirin."]
    assert draft["author"] == {"user_id": 11, "name": "Tekin Teknisyen"}
    assert rpc.knowledge.search({"q": "ışık arızası"})["hits"] == []  # drafts are not published
    assert [h["id"] for h in rpc.knowledge.search({"q": "ışık", "status": "draft"})["hits"]] == [
        draft["id"]]
    with pytest.raises(Forbidden):
        rpc.knowledge.set_status(draft["id"], {"status": "published", "version": 1}, TECH)
    published = publish(rpc, draft)
    assert (published["status"], published["version"]) == ("published", 2)
    event = load_event("article_published", events.wait(1)[0])
    assert event["article"] == {"id": draft["id"], "code": "KLM-ELK-0001",
                                "title": ARTICLE["title"]}
    for q in ("ışık arızası", "diyarbakır", "kompresor", "röle", "rölesi",
              "KLM-ELK-0001", "ariza"):
        hits = rpc.knowledge.search({"q": q})["hits"]
        assert [h["id"] for h in hits] == [draft["id"]], q
    hit = rpc.knowledge.search({"q": "ışık arızası", "device_type": "KLİMA"})["hits"][0]
    assert hit["highlights"]["title"]["snippet"].startswith("<mark>IŞIK</mark> <mark>ARIZASI</mark>")
    assert rpc.knowledge.search({"q": "ışık", "device_type": "Kombi"})["hits"] == []
    revs = rpc.knowledge.revisions(draft["id"])
    assert [(r["version"], r["action"]) for r in revs] == [(2, "published"), (1, "created")]


def test_codes_are_sequential_per_family_and_area_even_concurrently(knowledge, rpc, amqp_uri):
    from nameko.standalone.rpc import ClusterRpcProxy

    def create(i):
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as proxy:
            return proxy.knowledge.create_article({**ARTICLE, "title": f"Arıza {i}"}, TECH)

    created = list(eventlet.GreenPool(8).imap(create, range(12)))
    assert sorted(a["code"] for a in created) == [f"KLM-ELK-{n:04d}" for n in range(1, 13)]
    other = rpc.knowledge.create_article({**ARTICLE, "area": "MEK"}, TECH)
    assert other["code"] == "KLM-MEK-0001"
    moved = rpc.knowledge.update_article(other["id"], {"area": "SOG", "version": 1}, MANAGER)
    assert moved["code"] == "KLM-SOG-0001"
    with pytest.raises(Forbidden):
        rpc.knowledge.update_article(other["id"], {"family": "KMB", "version": 2}, TECH)


def test_edit_rules_versions_and_bad_input(knowledge, rpc):
    draft = rpc.knowledge.create_article(ARTICLE, TECH)
    with pytest.raises(Forbidden):
        rpc.knowledge.update_article(draft["id"], {"title": "x", "version": 1}, OTHER_TECH)
    edited = rpc.knowledge.update_article(draft["id"], {"title": "Termostat sensörü",
                                                        "version": 1}, TECH)
    assert edited["version"] == 2 and edited["title"] == "Termostat sensörü"
    with pytest.raises(Conflict):
        rpc.knowledge.update_article(draft["id"], {"title": "eski", "version": 1}, TECH)
    with pytest.raises(PreconditionRequired) as exc:  # 428, as forms and devices answer
        rpc.knowledge.update_article(draft["id"], {"title": "yeni"}, TECH)
    assert exc.value.details["version"] == 2
    with pytest.raises(ValidationFailed) as exc:
        rpc.knowledge.create_article({"family": "klm", "area": "E1", "title": " ",
                                      "tags": "x"}, TECH)
    assert {"family", "area", "title", "tags"} <= set(exc.value.details)
    with pytest.raises(Forbidden):
        rpc.knowledge.create_article(ARTICLE, {"id": 5, "name": "Masa", "role": "desk"})
    with pytest.raises(NotFound):
        rpc.knowledge.get_article(99999)
    with pytest.raises(ValidationFailed):
        rpc.knowledge.search({"q": "x", "status": "nope", "limit": 0})
    published = publish(rpc, edited)
    with pytest.raises(Forbidden):  # a technician does not edit a published article
        rpc.knowledge.update_article(draft["id"], {"title": "y", "version": 3}, TECH)
    with pytest.raises(Conflict):  # published -> published is no transition
        rpc.knowledge.set_status(draft["id"], {"status": "published", "version": 3}, MANAGER)
    assert rpc.knowledge.search({"q": "termostat"})["hits"][0]["id"] == published["id"]
    with pytest.raises(PreconditionRequired):  # a delete states the version it read
        rpc.knowledge.delete_article(draft["id"], MANAGER)
    with pytest.raises(Conflict):
        rpc.knowledge.delete_article(draft["id"], MANAGER, {"version": 1})
    rpc.knowledge.delete_article(draft["id"], MANAGER, {"version": published["version"]})
    assert rpc.knowledge.search({"q": "termostat"})["hits"] == []


def test_list_in_turkish_order_with_a_cursor(knowledge, rpc):
    for title in ("Zeytin presi", "Çelik kapı", "Demir ocak", "ışık", "İnce ayar", "Ilık su"):
        rpc.knowledge.create_article({**ARTICLE, "title": title}, TECH)
    seen, cursor = [], None
    while True:
        page = rpc.knowledge.list_articles({"limit": 4, "cursor": cursor})
        seen += [a["title"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Çelik kapı", "Demir ocak", "Ilık su", "ışık", "İnce ayar", "Zeytin presi"]
    newest = rpc.knowledge.list_articles({"sort": "-updated_at", "limit": 2})
    rest = rpc.knowledge.list_articles({"sort": "-updated_at", "limit": 10,
                                        "cursor": newest["next_cursor"]})
    assert [a["title"] for a in newest["items"] + rest["items"]][:2] == ["Ilık su", "İnce ayar"]
    assert len(newest["items"] + rest["items"]) == 6
    with pytest.raises(ValidationFailed):
        rpc.knowledge.list_articles({"cursor": "@@"})


def test_suggestions_links_and_solved_count(knowledge, rpc):
    a = publish(rpc, rpc.knowledge.create_article(ARTICLE, TECH))
    b = publish(rpc, rpc.knowledge.create_article({
        **ARTICLE, "family": "KMB", "title": "Kombi su ısıtmıyor", "symptoms": "Su soğuk.",
        "cause": "Termostat", "device_types": ["Kombi"], "models": ["Eco 24"],
        "fault_codes": []}, TECH))
    items = rpc.knowledge.suggest({"complaint": "Panelde ışık yanıp sönüyor",
                                   "device_type": "Klima", "model": "Inverter 12"})["items"]
    assert [i["id"] for i in items][0] == a["id"]
    assert b["id"] not in [i["id"] for i in items]
    link = rpc.knowledge.link_solution({"article_id": a["id"],
                                        "form": {"id": 5, "number": "SF-2026-000005"}}, TECH)
    assert link["solved_count"] == 1
    rpc.knowledge.link_solution({"article_id": a["id"], "form": {"id": 6}}, TECH)
    with pytest.raises(Conflict):
        rpc.knowledge.link_solution({"article_id": a["id"], "form": {"id": 6}}, TECH)
    assert rpc.knowledge.get_article(a["id"])["solved_count"] == 2
    (sol,) = rpc.knowledge.solutions_for_form(5)["items"]
    assert sol["article"]["code"] == a["code"] and sol["form_number"] == "SF-2026-000005"
    rpc.knowledge.unlink_solution(a["id"], 6, TECH)
    assert rpc.knowledge.get_article(a["id"])["solved_count"] == 1
    hit = rpc.knowledge.search({"q": "ışık"})["hits"][0]
    assert hit["solved_count"] == 1  # the index followed
    draft = rpc.knowledge.create_article(ARTICLE, TECH)
    with pytest.raises(Conflict):
        rpc.knowledge.link_solution({"article_id": draft["id"], "form": {"id": 5}}, TECH)


def test_turkish_words_as_typed_partial_queries_and_spaced_codes(knowledge, rpc):
    a = publish(rpc, rpc.knowledge.create_article({
        **ARTICLE, "family": "KMB", "title": "Pompa basınç yapmıyor", "fault_codes": ["E9"],
        "device_types": ["Kombi"], "models": ["Eco 24"]}, TECH))
    b = publish(rpc, rpc.knowledge.create_article(ARTICLE, TECH))
    for q in ("pompasının", "pompanın basıncı", "basıncı düşük", "e 9", "E-9"):
        hits = rpc.knowledge.search({"q": q})["hits"]
        assert [h["id"] for h in hits][:1] == [a["id"]], q
    hits = rpc.knowledge.search({"q": "e 9"})["hits"]
    assert hits[0]["code_match"] and hits[0]["highlights"]["fault_codes"]["snippet"] == (
        "<mark>E9</mark>")
    hit = rpc.knowledge.search({"q": "paneldeki ışığı"})["hits"][0]
    assert hit["id"] == b["id"]
    assert hit["highlights"]["title"]["snippet"] == (
        "<mark>IŞIK</mark> ARIZASI: <mark>panel</mark> <mark>ışığı</mark> yanıp sönüyor")
    items = rpc.knowledge.suggest({"complaint": "Kombinin pompası basınç yapmıyor",
                                   "device_type": "Kombi"})["items"]
    assert [i["id"] for i in items][0] == a["id"]


def test_reindex_rebuilds_the_index_from_the_database(knowledge, rpc):
    a = publish(rpc, rpc.knowledge.create_article(ARTICLE, TECH))
    engine = knowledge.dependencies  # the SearchIndex provider holds the engine
    index = next(d for d in engine if d.attr_name == "index")
    index.engine.clear()
    assert rpc.knowledge.search({"q": "ışık"})["hits"] == []
    assert rpc.knowledge.reindex() == {"indexed": 1, "engine": "tantivy"}
    assert [h["id"] for h in rpc.knowledge.search({"q": "ışık"})["hits"]] == [a["id"]]


def test_an_empty_index_is_rebuilt_when_the_service_starts(run_services, rpc, tmp_path):
    path = str(tmp_path / "kb-index")
    (first,) = run_services(KnowledgeService, KNOWLEDGE_INDEX_PATH=path)
    a = publish(rpc, rpc.knowledge.create_article(ARTICLE, TECH))
    first.stop()
    import shutil
    shutil.rmtree(path)
    run_services.restart(first)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not rpc.knowledge.search({"q": "ışık"})["hits"]:
        time.sleep(0.1)
    assert [h["id"] for h in rpc.knowledge.search({"q": "ışık"})["hits"]] == [a["id"]]


def test_decomposed_text_odd_codes_empty_queries_and_naive_cursors(knowledge, rpc):
    nfd = {**ARTICLE, "title": "KOMPRESO\u0308R ve DI\u0307YARBAKIR", "symptoms": None,
           "cause": None}
    article = publish(rpc, rpc.knowledge.create_article(nfd, TECH))
    assert article["title"] == "KOMPRESÖR ve DİYARBAKIR"  # stored as NFC
    for q in ("diyarbakır", "kompresor", "DI\u0307YARBAKIR"):
        hits = rpc.knowledge.search({"q": q})["hits"]
        assert [h["id"] for h in hits] == [article["id"]], q
    with pytest.raises(ValidationFailed) as exc:  # a trailing newline is no code part
        rpc.knowledge.create_article({**ARTICLE, "family": "KLM\n"}, TECH)
    assert "family" in exc.value.details
    assert rpc.knowledge.search({"q": "!!!"})["hits"] == []
    assert rpc.knowledge.search({"q": "🔥"})["hits"] == []
    naive = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", 1]).encode()).decode()
    with pytest.raises(ValidationFailed) as exc:
        rpc.knowledge.list_articles({"sort": "-updated_at", "cursor": naive.rstrip("=")})
    assert "cursor" in exc.value.details
    with pytest.raises(ValidationFailed):
        rpc.knowledge.update_article(article["id"], {"title": "x", "version": 1.5}, MANAGER)

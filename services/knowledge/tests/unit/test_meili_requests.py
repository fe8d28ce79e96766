"""The Meilisearch adapter at the request level, against an HTTP test server playing
Meilisearch's documented HTTP API (the one fake DESIGN.md allows: no Meilisearch server can be
installed here). Checks what the adapter sends — index creation, settings, documents with
folded copies, deletes by filter, search parameters and filter syntax, the API key — and how it
reads the answers (tasks, hits)."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from services.common.testing import HttpTestServer, JsonHandler
from services.knowledge import searching
from services.knowledge.engines import make_engine
from services.knowledge.engines.meili import MeiliEngine
from services.knowledge.tests.samples import DOCS

NOW = "2026-11-27T01:00:00.000000Z"


class FakeMeili:
    """Records each request; answers like Meilisearch 1.x: writes are 202 with a task summary
    (taskUid), GET /tasks/{uid} reports it succeeded, search returns the canned hits."""

    def __init__(self):
        self.requests = []
        self.hits = []
        self.task_uid = 0
        fake = self

        class Handler(JsonHandler):

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                fake.requests.append({
                    "method": self.command, "path": url.path, "query": parse_qs(url.query),
                    "body": json.loads(raw) if raw else None,
                    "auth": self.headers.get("Authorization")})
                if self.command == "GET" and url.path.startswith("/tasks/"):
                    uid = int(url.path.rsplit("/", 1)[1])
                    return self.send_json(200, {"uid": uid, "indexUid": "kb", "status": "succeeded",
                                              "type": "documentAdditionOrUpdate",
                                              "details": {}, "error": None,
                                              "duration": "PT0.001S", "enqueuedAt": NOW,
                                              "startedAt": NOW, "finishedAt": NOW})
                if url.path.endswith("/search"):
                    return self.send_json(200, {"hits": fake.hits, "query": fake.requests[-1][
                        "body"]["q"], "processingTimeMs": 1, "limit": 20, "offset": 0,
                        "estimatedTotalHits": len(fake.hits)})
                fake.task_uid += 1
                return self.send_json(202, {"taskUid": fake.task_uid, "indexUid": "kb",
                                          "status": "enqueued", "type": "x", "enqueuedAt": NOW})

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self.http = HttpTestServer(Handler)
        self.url = self.http.url

    def of(self, method, suffix):
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    def close(self):
        self.http.close()


@pytest.fixture
def meili():
    fake = FakeMeili()
    yield fake
    fake.close()


@pytest.fixture
def engine(meili):
    eng = make_engine({"MEILI_URL": meili.url, "MEILI_API_KEY": "secret-key",
                       "MEILI_INDEX": "kb"})
    assert isinstance(eng, MeiliEngine)
    return eng


def test_setup_creates_the_index_and_sends_the_settings(engine, meili):
    engine.setup()
    (create,) = meili.of("POST", "/indexes")
    assert create["body"] == {"uid": "kb", "primaryKey": "id"}
    assert create["auth"] == "Bearer secret-key"
    (settings,) = meili.of("PATCH", "/indexes/kb/settings")
    body = settings["body"]
    assert body["searchableAttributes"][:3] == ["code_f", "fault_codes_f", "title_f"]
    assert {"status", "device_types_f", "models_f", "fault_codes_f", "id"} <= set(
        body["filterableAttributes"])
    assert {"updated_at", "solved_count"} <= set(body["sortableAttributes"])
    assert body["typoTolerance"] == {"enabled": True,
                                     "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}}
    assert body["synonyms"]["kompresor"] == ["compressor"]
    assert body["synonyms"]["pompasinin"] == ["pompa"]  # Meilisearch cannot stem: forms
    assert body["synonyms"]["kartinda"] == ["kart"]
    assert {"codes_k", "fault_codes_k"} <= set(body["filterableAttributes"])
    assert "id" in body["displayedAttributes"] and "title_f" not in body["displayedAttributes"]
    # the adapter waited for its tasks: GET /tasks/{taskUid} of each
    assert {r["path"] for r in meili.of("GET", "")} >= {"/tasks/1", "/tasks/2"}


def test_documents_carry_originals_and_folded_copies(engine, meili):
    engine.upsert(DOCS[:2])
    engine.delete([7, 8])
    engine.clear()
    engine.wait()
    (add,) = meili.of("POST", "/indexes/kb/documents")
    assert add["query"] == {"primaryKey": ["id"]}
    first = add["body"][0]
    assert first["title"] == "IŞIK ARIZASI: ön panel ışığı yanıp sönüyor"
    assert first["title_f"] == "isik arizasi: on panel isigi yanip sonuyor"
    assert first["device_types_f"] == ["klima"] and first["code_f"] == "klm-elk-0001"
    assert first["codes_k"] == ["klmelk0001", "e4"] and first["fault_codes_k"] == ["e4"]
    assert first["solution_f"] == "roleyi degistirin.\nkarti test edin."
    (dele,) = meili.of("POST", "/indexes/kb/documents/delete")
    assert dele["body"] == {"filter": "id IN [7, 8]"}
    assert meili.of("DELETE", "/indexes/kb/documents")
    assert len(engine.tasks) == 0


def test_search_parameters_filter_syntax_and_reading_hits(engine, meili):
    original = {k: v for k, v in DOCS[0].items()}
    meili.hits = [{**original, "title_f": "ignored"}]
    hits = searching.search(engine, 'IŞIK arızası', device_type='Klima "X"', model="Inverter 12",
                            fault_code="E4", status="published", limit=7)
    search = meili.of("POST", "/indexes/kb/search")[-1]["body"]
    assert search["q"] == "isik arizasi"
    assert search["limit"] == 7 and search["matchingStrategy"] == "last"  # most words
    assert search["filter"] == ['status = "published"', 'device_types_f = "klima \\"x\\""',
                                'models_f = "inverter 12"', 'fault_codes_k = "e4"']
    assert "title_f" not in search["attributesToRetrieve"]
    assert [h["id"] for h in hits] == [1]
    assert hits[0]["highlights"]["title"]["snippet"].startswith("<mark>IŞIK</mark>")


def test_codes_are_an_exact_filter_and_suggestions_match_any_word(engine, meili):
    meili.hits = [DOCS[1]]
    hits = searching.search(engine, "KLM-MEK-0001")
    code_search = meili.of("POST", "/indexes/kb/search")[0]["body"]
    assert code_search["q"] == ""
    assert code_search["filter"] == ['status = "published"', 'codes_k IN ["klmmek0001"]']
    assert hits[0]["code_match"] is True
    meili.requests.clear()
    searching.search(engine, "e 9")  # a fault code typed with a space: its code key
    assert meili.of("POST", "/indexes/kb/search")[0]["body"]["filter"][-1] == 'codes_k IN ["e9"]'
    meili.requests.clear()
    searching.search(engine, "pompa basınç", match="all")
    assert meili.of("POST", "/indexes/kb/search")[-1]["body"]["matchingStrategy"] == "all"
    meili.requests.clear()
    searching.suggest(engine, "kompresör çalışmıyor", "Klima", None, limit=3)
    (first,) = meili.of("POST", "/indexes/kb/search")[:1]
    assert first["body"]["matchingStrategy"] == "last"
    assert first["body"]["filter"] == ['status = "published"', 'device_types_f = "klima"']


def test_a_meilisearch_that_does_not_answer_is_a_503_not_a_500(run_services, rpc, meili):
    from services.common.exceptions import ServiceUnavailable
    from services.knowledge.service import KnowledgeService
    run_services(KnowledgeService, MEILI_URL=meili.url, MEILI_INDEX="kb", MEILI_TIMEOUT=1)
    meili.close()  # gone
    with pytest.raises(ServiceUnavailable) as exc:
        rpc.knowledge.search({"q": "ışık"})
    assert exc.value.details == {"engine": "meilisearch"}

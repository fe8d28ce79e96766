"""The Meilisearch adapter (the official `meilisearch` client), used when MEILI_URL is set.

Documents carry the original fields (returned for snippets) and folded copies (`*_f`, what is
searched and filtered), so Turkish folding is exactly services.common.text.fold on both sides,
whatever Meilisearch's own normalizer does. Snippets are made by analysis.highlight from the
originals, like the embedded engine's: Meilisearch's `_formatted` would highlight the folded
copy. Settings (PATCH /indexes/{uid}/settings, when the index is set up): searchable
attributes in rank order, filterable and sortable attributes, typo tolerance (one typo from 5
letters, as the embedded engine; two from 9, Meilisearch's default) and synonyms: the
inflected forms of the trade's common nouns (base.COMMON_NOUNS: pompası, pompanın … →
pompa), since Meilisearch does not stem Turkish (its tokenizer has no Turkish stemmer, and
stemming is not a setting); a word outside that list matches its inflections only by prefix
(the last query word) or as a typo. The matching strategy is a search parameter, not a
setting: "last" for match "most" (every word first; when too few have them all, Meilisearch
drops query words from the end), "all" for "all". Codes are looked up by their code keys
(`codes_k`, `fault_codes_k`: analysis.code_key, so E-9 finds E9). Writes are asynchronous
tasks; `wait()` waits for the last one (tests, reindex).
"""
import meilisearch

from services.common.text import fold
from services.knowledge.analysis import code_key
from services.knowledge.engines.base import SYNONYMS, EngineQuery, SearchEngine

ORIGINALS = ["id", "code", "title", "symptoms", "cause", "solution_steps", "device_types",
             "models", "fault_codes", "tags", "language", "status", "solved_count", "updated_at"]
SETTINGS = {
    "searchableAttributes": ["code_f", "fault_codes_f", "title_f", "tags_f", "symptoms_f",
                             "cause_f", "solution_f", "device_types_f", "models_f"],
    "filterableAttributes": ["id", "status", "code_f", "fault_codes_f", "codes_k",
                             "fault_codes_k", "device_types_f", "models_f", "language"],
    "sortableAttributes": ["id", "updated_at", "solved_count"],
    "displayedAttributes": ORIGINALS,
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
    "synonyms": SYNONYMS,
}
MATCHING = {"all": "all", "most": "last"}
MAX_TASKS = 100


def quote(value):
    """A string value in Meilisearch's filter syntax."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def meili_document(doc):
    return {**doc,
            "code_f": fold(doc["code"]), "title_f": fold(doc["title"]),
            "symptoms_f": fold(doc.get("symptoms") or ""), "cause_f": fold(doc.get("cause") or ""),
            "solution_f": fold("\n".join(doc.get("solution_steps") or [])),
            "tags_f": [fold(t) for t in doc.get("tags", [])],
            "fault_codes_f": [fold(c) for c in doc.get("fault_codes", [])],
            "codes_k": [code_key(c) for c in [doc["code"], *doc.get("fault_codes", [])]],
            "fault_codes_k": [code_key(c) for c in doc.get("fault_codes", [])],
            "device_types_f": [fold(t) for t in doc.get("device_types", [])],
            "models_f": [fold(m) for m in doc.get("models", [])]}


def filters(query):
    out = []
    if query.status:
        out.append(f"status = {quote(query.status)}")
    for attr, value in (("device_types_f", query.device_type), ("models_f", query.model)):
        if value:
            out.append(f"{attr} = {quote(fold(value))}")
    if query.fault_code:
        out.append(f"fault_codes_k = {quote(code_key(query.fault_code))}")
    return out


class MeiliEngine(SearchEngine):
    name = "meilisearch"

    def __init__(self, url, api_key=None, index_uid="knowledge_articles", timeout=5.0):
        self.client = meilisearch.Client(url, api_key, timeout=timeout)
        self.uid = index_uid
        self.index = self.client.index(index_uid)
        self.tasks = []

    def _task(self, info):
        """Remember the task for wait(); only the last MAX_TASKS (the service never waits, and
        Meilisearch runs an index's tasks in order, so the last one is what matters)."""
        self.tasks.append(info.task_uid)
        del self.tasks[:-MAX_TASKS]
        return info.task_uid

    def setup(self):
        created = self.client.create_index(self.uid, {"primaryKey": "id"})
        self.client.wait_for_task(created.task_uid)  # fails harmlessly when it exists
        self._task(self.index.update_settings(SETTINGS))
        self.wait()

    def upsert(self, docs):
        if docs:
            self._task(self.index.add_documents([meili_document(d) for d in docs],
                                                primary_key="id"))

    def delete(self, ids):
        if ids:
            self._task(self.index.delete_documents(
                filter=f"id IN [{', '.join(str(int(i)) for i in ids)}]"))

    def clear(self):
        self._task(self.index.delete_all_documents())

    def wait(self, timeout_ms=60000):
        while self.tasks:
            task = self.client.wait_for_task(self.tasks[0], timeout_in_ms=timeout_ms)
            self.tasks.pop(0)
            if task.status == "failed" and task.type != "indexCreation":
                raise RuntimeError(f"Meilisearch task {task.uid} failed: {task.error}")

    def count(self):
        return self.index.get_stats().number_of_documents

    def search(self, query: EngineQuery):
        params = {"limit": query.limit, "filter": filters(query),
                  "attributesToRetrieve": ORIGINALS,
                  "matchingStrategy": MATCHING[query.match]}
        if not query.words:
            params["sort"] = ["id:desc"]
        answer = self.index.search(" ".join(query.words), params)
        return [self._original(h) for h in answer["hits"]]

    def find_codes(self, codes, query: EngineQuery):
        if not codes:
            return []
        values = ", ".join(quote(c) for c in codes)
        params = {"limit": query.limit, "attributesToRetrieve": ORIGINALS,
                  "filter": [*filters(query), f"codes_k IN [{values}]"],
                  "sort": ["id:asc"]}
        hits = [self._original(h) for h in self.index.search("", params)["hits"]]
        keys = set(codes)
        return sorted(hits, key=lambda d: code_key(d["code"]) not in keys)  # article codes first

    @staticmethod
    def _original(hit):
        return {k: hit.get(k) for k in ORIGINALS}

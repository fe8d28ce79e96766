"""The embedded engine (the default): tantivy, a Rust full-text library, from PyPI.

Why tantivy over SQLite FTS5 (both measured on the same 100,000 articles and queries:
docs/benchmarks.md, docs/architecture.md): top-k BM25 without scoring every match (block-max
WAND) and typo tolerance built in (Levenshtein automata: FuzzyTermQuery with transpositions
costing one), so a query over common Turkish words takes a few ms where FTS5 needed tens of ms
and a rank window; indexing is ~10x faster. The FTS5 engine stays available
(KNOWLEDGE_ENGINE=fts5) and passes the same contract.

Index (a directory, default DATA_DIR/knowledge-index.tantivy): folded text fields code, title,
tags, symptoms, cause, solution, meta (device types, models), tokenized like analysis.words;
raw (exact, folded) fields for filters and codes; the original document as stored JSON (for
snippets); `id` as an indexed fast field (deletes by id, newest-first browsing).
Query per word: the exact term in each field with the field's boost x 3; a prefix for words of
3+ letters (Turkish suffixes: kompresör -> kompresörü; weight 1.5) and one edit for words of
5+ letters (weight 1), both over `all` (every text field: one automaton per word, not one per
field, which cost more than the search itself); every word must match ("all") or any may
("any").
One writer at a time (tantivy's lock file): writes are serialized in the process and retried
while another process (the reindex CLI) holds the lock.
"""
import json
import logging
import os
import shutil
import threading
import time

import tantivy

from services.common.text import fold
from services.knowledge.analysis import MIN_PREFIX_LENGTH, MIN_TYPO_LENGTH
from services.knowledge.engines.base import EngineQuery, SearchEngine

log = logging.getLogger(__name__)
BOOSTS = {"code": 10.0, "title": 6.0, "tags": 3.0, "symptoms": 2.0, "cause": 1.0,
          "solution": 1.0, "meta": 2.0}
FILTERS = {"status": "st", "device_type": "dt", "model": "md", "fault_code": "fc"}
WRITER_HEAP = 64_000_000
LOCK_WAIT_SECONDS = 60
Occur = tantivy.Occur
Q = tantivy.Query


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in (*BOOSTS, "all"):
        sb.add_text_field(name, stored=False, tokenizer_name="default")
    for name in (*FILTERS.values(), "codes"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw")
    sb.add_bytes_field("doc", stored=True, indexed=False)
    return sb.build()


def fields_of(doc):
    return {
        "id": doc["id"], "code": fold(" ".join([doc["code"], *doc.get("fault_codes", [])])),
        "title": fold(doc["title"]), "tags": fold(" ".join(doc.get("tags", []))),
        "symptoms": fold(doc.get("symptoms") or ""), "cause": fold(doc.get("cause") or ""),
        "solution": fold("\n".join(doc.get("solution_steps") or [])),
        "meta": fold(" ".join([*doc.get("device_types", []), *doc.get("models", [])])),
        "st": [doc["status"]], "dt": [fold(v) for v in doc.get("device_types", [])],
        "md": [fold(v) for v in doc.get("models", [])],
        "fc": [fold(v) for v in doc.get("fault_codes", [])],
        "codes": [fold(doc["code"]), *(fold(v) for v in doc.get("fault_codes", []))],
        "doc": json.dumps(doc, ensure_ascii=False).encode(),
    }


def document(doc):
    fields = fields_of(doc)
    fields["all"] = "\n".join(fields[name] for name in BOOSTS)
    return tantivy.Document(**fields)


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, path):
        self.path = path
        self.schema = build_schema()
        self.index = None
        self.lock = threading.RLock()

    def setup(self):
        with self.lock:
            if self.index is not None:
                return
            os.makedirs(self.path, exist_ok=True)
            try:
                self.index = tantivy.Index(self.schema, path=self.path, reuse=True)
                self.index.searcher().search(Q.all_query(), 1)
            except (ValueError, OSError) as exc:  # another schema: start empty (rebuilt)
                log.warning("search index at %s unusable (%s): starting a new one",
                            self.path, exc)
                shutil.rmtree(self.path, ignore_errors=True)
                os.makedirs(self.path, exist_ok=True)
                self.index = tantivy.Index(self.schema, path=self.path, reuse=False)

    def _index(self):
        if self.index is None:
            self.setup()
        return self.index

    # -- writes ----------------------------------------------------------------------------
    def _write(self, fn):
        with self.lock:
            index = self._index()
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    writer = index.writer(WRITER_HEAP, 1)
                    break
                except ValueError:  # the lock file is held (another process writes)
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            try:
                fn(writer)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            index.reload()

    def upsert(self, docs):
        if not docs:
            return

        def write(writer):
            for doc in docs:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(document(doc))
        self._write(write)

    def delete(self, ids):
        if ids:
            self._write(lambda w: [w.delete_documents_by_term("id", int(i)) for i in ids])

    def clear(self):
        self._write(lambda w: w.delete_all_documents())

    def count(self):
        return self._index().searcher().num_docs

    # -- reads -----------------------------------------------------------------------------
    def _word(self, word, match_last):
        """Exact in each field (with its boost), else a prefix or one edit anywhere (`all`:
        one automaton per word instead of one per field)."""
        subs = [(Occur.Should, Q.boost_query(Q.term_query(self.schema, field, word), boost * 3))
                for field, boost in BOOSTS.items()]
        if len(word) >= MIN_PREFIX_LENGTH:
            subs.append((Occur.Should, Q.boost_query(Q.fuzzy_term_query(
                self.schema, "all", word, distance=0, prefix=True), 1.5)))
        if len(word) >= MIN_TYPO_LENGTH:
            subs.append((Occur.Should, Q.fuzzy_term_query(
                self.schema, "all", word, distance=1, transposition_cost_one=True,
                prefix=False)))
        return Q.boolean_query(subs)

    def _filters(self, query):
        out = []
        for kind, field in FILTERS.items():
            value = getattr(query, kind)
            if value:
                out.append((Occur.Must, Q.term_query(
                    self.schema, field, value if kind == "status" else fold(value))))
        return out

    def build(self, query: EngineQuery):
        occur = Occur.Must if query.match == "all" else Occur.Should
        words = [(occur, self._word(w, i == len(query.words) - 1))
                 for i, w in enumerate(query.words)]
        if query.match != "all" and words:
            words = [(Occur.Must, Q.boolean_query(words))]
        return Q.boolean_query(words + self._filters(query) or
                               [(Occur.Must, Q.all_query())])

    def search(self, query: EngineQuery):
        searcher = self._index().searcher()
        q = self.build(query)
        if query.words:
            hits = searcher.search(q, query.limit, count=False).hits
        else:
            hits = searcher.search(q, query.limit, count=False, order_by_field="id").hits
        return [self._doc(searcher, addr) for _, addr in hits]

    def raw(self, words, limit=20):
        """The same tantivy query without filters, documents or snippets (benchmark)."""
        searcher = self._index().searcher()
        return searcher.search(self.build(EngineQuery(words=words, status=None)), limit,
                               count=False).hits

    def find_codes(self, codes, query: EngineQuery):
        if not codes:
            return []
        searcher = self._index().searcher()
        q = Q.boolean_query([(Occur.Must, Q.term_set_query(self.schema, "codes", list(codes))),
                             *self._filters(query)])
        hits = searcher.search(q, query.limit, count=False, order_by_field="id",
                               order=tantivy.Order.Asc).hits
        docs = [self._doc(searcher, addr) for _, addr in hits]
        return sorted(docs, key=lambda d: fold(d["code"]) not in set(codes))

    @staticmethod
    def _doc(searcher, addr):
        return json.loads(bytes(searcher.doc(addr)["doc"][0]))

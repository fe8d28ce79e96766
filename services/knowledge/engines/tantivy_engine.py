"""The embedded engine (the default): tantivy, a Rust full-text library, from PyPI.

Why tantivy over SQLite FTS5 (both measured on the same 100,000 articles and queries:
docs/benchmarks.md, docs/architecture.md): top-k BM25 without scoring every match (block-max
WAND) and typo tolerance built in (Levenshtein automata: FuzzyTermQuery with transpositions
costing one), so a query over common Turkish words takes a few ms where FTS5 needed tens of ms
and a rank window; indexing is ~10x faster. The FTS5 engine stays available
(KNOWLEDGE_ENGINE=fts5) and passes the same contract.

Index (a directory, default DATA_DIR/knowledge-index.tantivy): folded text fields code, title,
tags, symptoms, cause, solution, meta (device types, models), tokenized like analysis.words;
`all`, every word of those fields and the stem keys of the text that are not words of it
(text.stem_roots, computed in Python: the keys the FTS5 engine, the snippets and the query use),
doc ids only (its queries score constants); raw (exact, folded) fields for filters and code
keys; the original document as stored JSON (for snippets); `id` as an indexed fast field
(deletes by id, newest-first browsing).
Query per word: the exact term in each field with the field's boost x 3, plus the best of (a
disjunction max, each a constant score) over `all`: a prefix for words of 3+ letters (1.5), the
word's other stem keys (1.25: pompanın's key pompa meets pompası's), one edit for words of 5+
letters (1.0) — one automaton per word over `all`, not one per field, which cost more than the
search itself. So for one word: exact > prefix > stem > typo. (A key of a document that is the
query word itself — kapak, a key of kapağı — is found by the prefix automaton: ranked as a
prefix.) A word with no other keys (most words as typed: kompresör, pompa) adds no stem
query: its inflections in documents begin with it and match as prefixes.
Every word must match first; when that gives fewer than `limit` and the match is "most", a
second query takes articles with most of the words: each matching word adds COUNT_WEIGHT, so
the number of words found orders them before the score does (a union scores every match, so
it runs only when the intersection is short).
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

from services.common.text import fold, stem_roots
from services.knowledge.analysis import (ANALYSIS_VERSION, MIN_PREFIX_LENGTH, MIN_TYPO_LENGTH,
                                         code_key)
from services.knowledge.engines.base import EngineQuery, SearchEngine

log = logging.getLogger(__name__)
BOOSTS = {"code": 10.0, "title": 6.0, "tags": 3.0, "symptoms": 2.0, "cause": 1.0,
          "solution": 1.0, "meta": 2.0}
FILTERS = {"status": "st", "device_type": "dt", "model": "md", "fault_code": "fc"}
PREFIX_SCORE, STEM_SCORE, TYPO_SCORE = 1.5, 1.25, 1.0
COUNT_WEIGHT = 10_000.0  # per word found, in the "most" query: above any sum of scores
VERSION_FILE = "servis-analysis-version"
WRITER_HEAP = 64_000_000
LOCK_WAIT_SECONDS = 60
Occur = tantivy.Occur
Q = tantivy.Query


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in BOOSTS:
        sb.add_text_field(name, stored=False, tokenizer_name="default")
    sb.add_text_field("all", stored=False, tokenizer_name="default", index_option="basic")
    for name in (*FILTERS.values(), "codes"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw")
    sb.add_bytes_field("doc", stored=True, indexed=False)
    return sb.build()


def fields_of(doc):
    codes = [doc["code"], *doc.get("fault_codes", [])]
    return {
        "id": doc["id"], "code": fold(" ".join(codes + [code_key(c) for c in codes])),
        "title": fold(doc["title"]), "tags": fold(" ".join(doc.get("tags", []))),
        "symptoms": fold(doc.get("symptoms") or ""), "cause": fold(doc.get("cause") or ""),
        "solution": fold("\n".join(doc.get("solution_steps") or [])),
        "meta": fold(" ".join([*doc.get("device_types", []), *doc.get("models", [])])),
        "st": [doc["status"]], "dt": [fold(v) for v in doc.get("device_types", [])],
        "md": [fold(v) for v in doc.get("models", [])],
        "fc": [code_key(v) for v in doc.get("fault_codes", [])],
        "codes": [code_key(c) for c in codes],
        "doc": json.dumps(doc, ensure_ascii=False).encode(),
    }


def document(doc):
    fields = fields_of(doc)
    text = "\n".join(fields[name] for name in BOOSTS)
    fields["all"] = text + "\n" + " ".join(stem_roots(text))
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
            marker = os.path.join(self.path, VERSION_FILE)
            try:
                if os.listdir(self.path) and self._version(marker) != ANALYSIS_VERSION:
                    raise ValueError(f"made by analysis version {self._version(marker)}, "
                                     f"not {ANALYSIS_VERSION}")
                self.index = tantivy.Index(self.schema, path=self.path, reuse=True)
                self.index.searcher().search(Q.all_query(), 1)
            except (ValueError, OSError) as exc:  # another schema or analysis: start empty
                log.warning("search index at %s unusable (%s): starting a new one (the "
                            "service rebuilds an empty index from the database)", self.path, exc)
                shutil.rmtree(self.path, ignore_errors=True)
                os.makedirs(self.path, exist_ok=True)
                self.index = tantivy.Index(self.schema, path=self.path, reuse=False)
            with open(marker, "w") as f:
                f.write(str(ANALYSIS_VERSION))

    @staticmethod
    def _version(marker):
        try:
            with open(marker) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

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
    def _word(self, term, found=0.0):
        """The exact term in each field (with its boost), plus the best of: a prefix, a stem
        key, one edit (constant scores: exact > prefix > stem > typo). Every match of the word
        is a match of one of these three (the exact word is a prefix of itself; a word too
        short for a prefix is among its own keys), so `found` added to each constant is added
        once per word found."""
        subs = [(Occur.Should, Q.boost_query(Q.term_query(self.schema, field, term), boost * 3))
                for field, boost in BOOSTS.items()]
        alternatives = []
        keys = term.keys - {term} if len(term) >= MIN_PREFIX_LENGTH else term.keys
        if keys:
            alternatives.append(Q.boost_query(
                Q.term_set_query(self.schema, "all", sorted(keys)), found + STEM_SCORE))
        if len(term) >= MIN_PREFIX_LENGTH:
            alternatives.append(Q.boost_query(Q.fuzzy_term_query(
                self.schema, "all", term, distance=0, prefix=True), found + PREFIX_SCORE))
        if len(term) >= MIN_TYPO_LENGTH:
            alternatives.append(Q.boost_query(Q.fuzzy_term_query(
                self.schema, "all", term, distance=1, transposition_cost_one=True,
                prefix=False), found + TYPO_SCORE))
        if alternatives:
            subs.append((Occur.Should, Q.disjunction_max_query(alternatives)))
        return Q.boolean_query(subs)

    def _filters(self, query):
        out = []
        for kind, field in FILTERS.items():
            value = getattr(query, kind)
            if value:
                value = (value if kind == "status" else
                         code_key(value) if kind == "fault_code" else fold(value))
                out.append((Occur.Must, Q.term_query(self.schema, field, value)))
        return out

    def build(self, query: EngineQuery):
        """Every word must match (the first query of a search)."""
        words = [(Occur.Must, self._word(t)) for t in query.words]
        return Q.boolean_query(words + self._filters(query) or [(Occur.Must, Q.all_query())])

    def build_most(self, query: EngineQuery):
        """Any word may match; each one found adds COUNT_WEIGHT, so articles with more of the
        words come first, then by score."""
        words = [(Occur.Should, self._word(t, COUNT_WEIGHT)) for t in query.words]
        return Q.boolean_query([(Occur.Must, Q.boolean_query(words)), *self._filters(query)])

    def search(self, query: EngineQuery):
        searcher = self._index().searcher()
        if not query.words:
            hits = searcher.search(self.build(query), query.limit, count=False,
                                   order_by_field="id").hits
            return [self._doc(searcher, addr) for _, addr in hits]
        hits = [addr for _, addr in searcher.search(self.build(query), query.limit,
                                                    count=False).hits]
        if len(hits) < query.limit and query.match == "most" and len(query.words) > 1:
            seen = {(a.segment_ord, a.doc) for a in hits}
            more = searcher.search(self.build_most(query), query.limit + len(hits),
                                   count=False).hits
            hits += [a for _, a in more if (a.segment_ord, a.doc) not in seen][
                :query.limit - len(hits)]
        return [self._doc(searcher, addr) for addr in hits]

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
        return sorted(docs, key=lambda d: code_key(d["code"]) not in set(codes))

    @staticmethod
    def _doc(searcher, addr):
        return json.loads(bytes(searcher.doc(addr)["doc"][0]))

"""The SQLite FTS5 engine (KNOWLEDGE_ENGINE=fts5; tantivy is the default, see
tantivy_engine.py and docs/architecture.md for the measurements that decided it): FTS5 in its
own file, with a folded vocabulary for typos.

It ships inside Python's sqlite3 (nothing to install), ranks with BM25 and has prefix queries;
what it lacks, typo tolerance and stems, is added here: every indexed word goes into a `vocab`
table, and a query word of 5+ letters is expanded with the vocabulary words one edit away
(analysis.typo_variants, an indexed IN lookup); the stem keys of every word (text.stems) are
tokens of the `stems` column.

Tables (one SQLite file, WAL):
  fts    FTS5 over folded text: code (article + fault codes, and their code keys), title, tags,
         symptoms, cause, solution, meta (device types, models); `stems`, the stem keys of
         those words that are not words of the text (text.stem_roots), each as STEM_PREFIX +
         key (xsmpompa: so an exact word never meets a key); rowid = article id; and `filt`, one token per filter value (xstpublished,
         xdtklima, ...), so a filter is one more term FTS5 intersects in its index instead of
         a check on every match (40 ms -> a few ms at 100k with device type + model); the exact
         value is then confirmed in `keys`
  docs   id, status, body (the original document as JSON: snippets come from it)
  keys   (kind, value, doc_id): folded filter values (device_type, model) and code keys
         (code, fault_code: analysis.code_key)
  vocab  every folded word ever indexed (a word no longer in any document only costs a
         useless expansion; a reindex drops it)
  meta   the analysis version the index was made with (another one: the tables start empty
         and the service rebuilds them from the database)

Ranking, in passes, each only while the ones before gave fewer than `limit` hits, each
excluding what they found: every word must match — (0) exactly, the last one also as a prefix
(it may still be being typed); (1) each word also as a prefix (Turkish suffixes); (2) also by a
stem key; (3) also one edit away (the vocabulary's variants) — then, for "most", (4) articles
with most of the words: the newest RANK_WINDOW matches of any word, ordered by how many words
each has, then BM25. Within a pass BM25 with column weights (code, title, tags weigh most).
So exact > prefix > stem > typo, across passes. BM25 ranks at most RANK_WINDOW matches per
query (the newest): see _match and docs/architecture.md.
"""
import json
import os
import sqlite3
import threading

from services.common.text import fold, stem_roots
from services.knowledge.analysis import (ANALYSIS_VERSION, MIN_PREFIX_LENGTH, code_key,
                                         fold_words, typo_variants)
from services.knowledge.analysis import terms_of
from services.knowledge.engines.base import EngineQuery, SearchEngine

COLUMNS = ("code", "title", "tags", "symptoms", "cause", "solution", "meta", "stems", "filt")
WEIGHTS = (10.0, 6.0, 3.0, 2.0, 1.0, 1.0, 2.0, 1.0, 0.0)
TEXT_COLUMNS = COLUMNS[:7]
FILTER_PREFIX = {"status": "xst", "device_type": "xdt", "model": "xmd", "fault_code": "xfc"}
STEM_PREFIX = "xsm"
FILTER_PREFIXES = frozenset(FILTER_PREFIX.values()) | {STEM_PREFIX}
EXACT, PREFIX, STEM, TYPO = range(4)  # what a query word may match, pass by pass
BM25 = "bm25(fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"
RANK_WINDOW = 500  # BM25 ranks at most this many matches: the newest (see _match)
KEY_KINDS = (("device_type", "device_types"), ("model", "models"), ("fault_code", "fault_codes"))

SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({", ".join(COLUMNS)},
    tokenize = "unicode61 remove_diacritics 0", prefix = '2 3');
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (kind TEXT NOT NULL, value TEXT NOT NULL, doc_id INTEGER NOT NULL,
    PRIMARY KEY (kind, value, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_doc ON keys (doc_id);
CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
TABLES = ("fts", "docs", "keys", "vocab", "meta")


def filter_token(kind, value):
    """The `filt` column's token for a filter value: a prefix and the value's folded letters
    and digits (``Inverter 12`` -> ``xmdinverter12``; a fault code by its code key)."""
    if kind == "fault_code":
        return FILTER_PREFIX[kind] + "".join(fold_words(code_key(value)))
    return FILTER_PREFIX[kind] + "".join(fold_words(value))


def _quote(word):
    return '"' + word.replace('"', '""') + '"'


def term_group(term, level=EXACT, last=False, variants=()):
    """The FTS5 expression of one query word (an analysis.Term) at `level`: the word, as a
    prefix too (3+ letters; at EXACT only the last word, the one being typed), its stem keys
    (STEM+: a document word that is one, or a document key, STEM_PREFIX + key, that is one),
    its one-edit `variants` (TYPO)."""
    prefix = (level >= PREFIX or last) and len(term) >= MIN_PREFIX_LENGTH
    parts = [_quote(term) + ("*" if prefix else "")]
    if level >= STEM:
        parts += [_quote(k) for k in sorted(term.keys - {term})]
        parts += [_quote(STEM_PREFIX + k) for k in sorted(term.keys)]
    if level >= TYPO:
        parts += [_quote(v) for v in sorted(variants)]
    group = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    if term[:3] in FILTER_PREFIXES:  # could match a filter or stem token: only the text
        group = "{" + " ".join(TEXT_COLUMNS) + "} : " + group
    return group


def expression(words, level=EXACT, variants=None, joiner=" AND "):
    """Every word (" AND ") or any word (" OR ") at `level`."""
    words = terms_of(words)
    last = len(words) - 1
    return joiner.join(term_group(w, level, i == last, (variants or {}).get(w, ()))
                       for i, w in enumerate(words))


class EmbeddedEngine(SearchEngine):
    name = "fts5"

    def __init__(self, path, rank_window=RANK_WINDOW):
        self.path = path
        self.rank_window = rank_window
        self.lock = threading.RLock()  # green under eventlet: one statement batch at a time
        self.conn = None

    # -- plumbing --------------------------------------------------------------------------
    def _db(self):
        if self.conn is None:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self.conn = conn
        return self.conn

    def setup(self):
        """Create the tables; an index made by another analysis version (or without one)
        starts empty: the service rebuilds an empty index from the database at start."""
        with self.lock:
            db = self._db()
            db.executescript(SCHEMA)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone()
                columns = [r[1] for r in db.execute("PRAGMA table_info(fts)")]
            except sqlite3.DatabaseError:
                row, columns = None, []
            if row is None or row[0] != str(ANALYSIS_VERSION) or tuple(columns) != COLUMNS:
                db.execute("BEGIN IMMEDIATE")
                for table in TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute("COMMIT")
                db.executescript(SCHEMA)
                db.execute("INSERT INTO meta (key, value) VALUES ('analysis', ?)",
                           (str(ANALYSIS_VERSION),))

    def close(self):
        with self.lock:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, docs):
        with self.lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                for doc in docs:
                    self._delete(db, doc["id"])
                    self._insert(db, doc)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _insert(self, db, doc):
        solution = "\n".join(doc.get("solution_steps") or [])
        codes = [doc["code"], *doc.get("fault_codes", [])]
        columns = {
            "code": " ".join(codes + [code_key(c) for c in codes]),
            "title": doc["title"], "tags": " ".join(doc.get("tags", [])),
            "symptoms": doc.get("symptoms") or "", "cause": doc.get("cause") or "",
            "solution": solution,
            "meta": " ".join([*doc.get("device_types", []), *doc.get("models", [])]),
        }
        folded = [fold(columns[c]) for c in TEXT_COLUMNS]
        stems = " ".join(STEM_PREFIX + k for k in stem_roots("\n".join(folded)))
        filt = [filter_token("status", doc["status"])]
        for kind, field in KEY_KINDS:
            filt += [filter_token(kind, v) for v in doc.get(field, [])]
        db.execute(f"INSERT INTO fts (rowid, {', '.join(COLUMNS)}) VALUES "
                   f"(?{', ?' * len(COLUMNS)})", (doc["id"], *folded, stems, " ".join(filt)))
        db.execute("INSERT INTO docs (id, status, body) VALUES (?, ?, ?)",
                   (doc["id"], doc["status"], json.dumps(doc, ensure_ascii=False)))
        keys = {("code", code_key(doc["code"]))}
        for kind, field in KEY_KINDS:
            key = code_key if kind == "fault_code" else fold
            keys |= {(kind, key(v)) for v in doc.get(field, [])}
        db.executemany("INSERT OR IGNORE INTO keys (kind, value, doc_id) VALUES (?, ?, ?)",
                       [(k, v, doc["id"]) for k, v in keys])
        terms = {w for text in folded for w in fold_words(text)}
        db.executemany("INSERT OR IGNORE INTO vocab (term) VALUES (?)", [(t,) for t in terms])

    def _delete(self, db, doc_id):
        db.execute("DELETE FROM fts WHERE rowid = ?", (doc_id,))
        db.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
        db.execute("DELETE FROM keys WHERE doc_id = ?", (doc_id,))

    def delete(self, ids):
        with self.lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                for doc_id in ids:
                    self._delete(db, doc_id)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def clear(self):
        with self.lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            for table in TABLES[:-1]:
                db.execute(f"DELETE FROM {table}")
            db.execute("COMMIT")

    def count(self):
        with self.lock:
            return self._db().execute("SELECT count(*) FROM docs").fetchone()[0]

    # -- reads -----------------------------------------------------------------------------
    @staticmethod
    def _filters(query, id_column):
        """(FTS5 filter terms, exact SQL checks, their parameters) for the query's filters."""
        terms, sql, params = [], [], []
        if query.status:  # most articles are published: a term only for the rarer statuses
            if query.status != "published":
                terms.append("filt : " + _quote(filter_token("status", query.status)))
            sql.append(f"(SELECT d.status FROM docs d WHERE d.id = {id_column}) = ?")
            params.append(query.status)
        for kind, value in (("device_type", query.device_type), ("model", query.model),
                            ("fault_code", query.fault_code)):
            if value:
                terms.append("filt : " + _quote(filter_token(kind, value)))
                sql.append("EXISTS (SELECT 1 FROM keys k WHERE k.kind = ? AND k.value = ? "
                           f"AND k.doc_id = {id_column})")
                params += [kind, code_key(value) if kind == "fault_code" else fold(value)]
        return terms, sql, params

    def _match(self, db, expr, query, limit, exclude=(), count=()):
        """Ids in rank order. BM25 is computed for at most `rank_window` matches, the newest
        (FTS5 walks the index in rowid order and stops): a query matching every other article
        of 100,000 would otherwise rank tens of thousands of rows (40-65 ms p95 in the
        benchmark) to show 20. A query with fewer matches is ranked completely.
        `count`: one expression per query word; the ranked rows are ordered by how many of
        them each matches, then by BM25 (the "most" pass)."""
        terms, where, params = self._filters(query, "fts.rowid")
        filter_terms = list(terms)
        if expr:  # no column filter ({code title ...} : ...): it made FTS5 read position lists
            terms.insert(0, f"({expr})")  # for every match (+40% in the benchmark); filter
            # tokens start with x + a two-letter kind, which no query word of ours does
        if exclude:
            where.append(f"fts.rowid NOT IN ({', '.join('?' * len(exclude))})")
            params += list(exclude)
        window = (f"SELECT fts.rowid AS r, {BM25} AS s FROM fts WHERE fts MATCH ?"
                  + "".join(" AND " + w for w in where) + " ORDER BY fts.rowid DESC LIMIT ?")
        params = [" AND ".join(terms), *params, self.rank_window]
        if not count:
            return [r[0] for r in db.execute(f"SELECT r FROM ({window}) ORDER BY s LIMIT ?",
                                             [*params, limit])]
        rows = db.execute(window, params).fetchall()
        if not rows:
            return []
        # each word's matches among the window's rowids: one range scan per word (the window
        # is the newest matches, so rowid >= its oldest), not one lookup per row and word
        oldest = min(r for r, _ in rows)
        found = {r: 0 for r, _ in rows}
        for word in count:
            for (r,) in db.execute("SELECT rowid FROM fts WHERE fts MATCH ? AND rowid >= ?",
                                   (" AND ".join([f"({word})", *filter_terms]), oldest)):
                if r in found:
                    found[r] += 1
        rows.sort(key=lambda row: (-found[row[0]], row[1]))
        return [r for r, _ in rows[:limit]]

    def variants(self, db, words):
        """{word: vocabulary words one edit away} for the words of 5+ letters."""
        out = {}
        for w in words:
            candidates = typo_variants(w)
            if not candidates:
                continue
            rows = db.execute(f"SELECT term FROM vocab WHERE term IN "
                              f"({', '.join('?' * len(candidates))})", list(candidates))
            found = {r[0] for r in rows}
            if found:
                out[w] = found
        return out

    def search(self, query: EngineQuery):
        with self.lock:
            db = self._db()
            if not query.words:
                if not (query.status or query.device_type or query.model or query.fault_code):
                    ids = [r[0] for r in db.execute("SELECT id FROM docs ORDER BY id DESC "
                                                    "LIMIT ?", (query.limit,))]
                else:  # newest first: the rank window is in rowid order and BM25 is 0
                    ids = self._match(db, "", query, query.limit)
                return self._bodies(db, ids)
            ids, variants = [], {}
            for level in (EXACT, PREFIX, STEM, TYPO):
                if level == PREFIX and len(query.words) == 1:
                    continue  # the one word is the last word: a prefix at EXACT already
                if level == TYPO:
                    variants = self.variants(db, query.words)
                    if not variants:
                        continue
                ids += self._match(db, expression(query.words, level, variants), query,
                                   query.limit - len(ids), exclude=ids)
                if len(ids) >= query.limit:
                    return self._bodies(db, ids)
            if query.match == "most" and len(query.words) > 1:
                words = [expression([w], TYPO, variants) for w in query.words]
                ids += self._match(db, " OR ".join(words), query, query.limit - len(ids),
                                   exclude=ids, count=words)
            return self._bodies(db, ids)

    def find_codes(self, codes, query: EngineQuery):
        if not codes:
            return []
        with self.lock:
            db = self._db()
            _, where, params = self._filters(query, "k0.doc_id")
            sql = ("SELECT k0.doc_id, min(CASE k0.kind WHEN 'code' THEN 0 ELSE 1 END) AS o "
                   "FROM keys k0 "
                   f"WHERE k0.kind IN ('code', 'fault_code') AND k0.value IN "
                   f"({', '.join('?' * len(codes))})" + "".join(" AND " + w for w in where)
                   + " GROUP BY k0.doc_id ORDER BY o, k0.doc_id LIMIT ?")
            ids = [r[0] for r in db.execute(sql, [*codes, *params, query.limit])]
            return self._bodies(db, ids)

    def raw(self, words, limit=20, window=True):
        """The bare FTS5 query of the engine's first pass (benchmark): MATCH and the same
        BM25 order, within the rank window (`window=False`: every match ranked), without
        filters, the join, the later passes, documents or snippets."""
        expr = expression(words)
        with self.lock:
            if window:
                sql = (f"SELECT r FROM (SELECT rowid AS r, {BM25} AS s FROM fts WHERE fts "
                       "MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY s LIMIT ?")
                return [r[0] for r in self._db().execute(sql, (expr, self.rank_window, limit))]
            return [r[0] for r in self._db().execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY {BM25} LIMIT ?",
                (expr, limit))]

    @staticmethod
    def _bodies(db, ids):
        if not ids:
            return []
        rows = dict(db.execute(f"SELECT id, body FROM docs WHERE id IN "
                               f"({', '.join('?' * len(ids))})", ids).fetchall())
        return [json.loads(rows[i]) for i in ids if i in rows]

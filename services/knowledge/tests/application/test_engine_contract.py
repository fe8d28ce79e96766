"""One contract, every engine: the embedded engines (tantivy, the default, and SQLite FTS5)
always; Meilisearch when MEILI_URL points at a running server (else reported as skipped, with
that reason)."""
import os
import uuid

import pytest

from services.knowledge import searching
from services.knowledge.engines.embedded import EmbeddedEngine
from services.knowledge.engines.tantivy_engine import TantivyEngine
from services.knowledge.tests.samples import DOCS, doc


@pytest.fixture(params=["tantivy", "fts5", "meilisearch"])
def engine(request, tmp_path):
    if request.param == "tantivy":
        eng = TantivyEngine(str(tmp_path / "index"))
    elif request.param == "fts5":
        eng = EmbeddedEngine(str(tmp_path / "index.sqlite"))
    else:
        url = os.environ.get("MEILI_URL")
        if not url:
            pytest.skip("MEILI_URL is not set: no Meilisearch server to run the contract against")
        from services.knowledge.engines.meili import MeiliEngine
        eng = MeiliEngine(url, os.environ.get("MEILI_API_KEY") or None,
                          index_uid=f"test_{uuid.uuid4().hex[:10]}")
    eng.setup()
    eng.upsert(DOCS)
    eng.wait()
    yield eng
    if request.param == "meilisearch":
        eng.client.delete_index(eng.uid)
    eng.close()


def ids(hits):
    return [h["id"] for h in hits]


@pytest.mark.parametrize("q, expected", [
    ("ışık arızası", 1),  # IŞIK ARIZASI
    ("IŞIK", 1),
    ("diyarbakır", 3),  # DİYARBAKIR
    ("DIYARBAKIR", 3),
    ("kompresor", 2),  # KOMPRESÖR
    ("kondansator", 2),
])
def test_turkish_folding(engine, q, expected):
    assert expected in ids(searching.search(engine, q))


def test_typos_one_wrong_missing_extra_or_swapped_letter(engine):
    for q in ("termostaf", "termosat", "termostatt", "temrostat"):  # wrong, missing, extra, swap
        assert ids(searching.search(engine, q)) == [3], q
    assert set(ids(searching.search(engine, "kompresr"))) == {2, 6}
    assert ids(searching.search(engine, "kompresör ısınıypr"))[0] == 6  # both words: first
    assert ids(searching.search(engine, "rle")) == []  # short words: no typo allowed


def test_prefix(engine):
    assert ids(searching.search(engine, "termost")) == [3]
    assert 4 in ids(searching.search(engine, "copi"))


def test_articles_with_every_word_first_then_most_of_them(engine):
    assert ids(searching.search(engine, "paper jam")) == [4]  # English text: exact words
    # no article has all four words: the one with three (kompresör ısınıyor … gaz) first
    hits = ids(searching.search(engine, "kompresör ısınıyor gaz fırın"))
    assert hits[0] == 6 and 2 in hits
    assert set(ids(searching.search(engine, "paper kompresör"))) == {2, 4, 6}
    assert ids(searching.search(engine, "paper kompresör", match="all")) == []
    assert ids(searching.search(engine, "fırın buzdolabı")) == []  # no word anywhere


def test_stems_inflected_words_find_their_base_and_rank_below_exact(engine):
    assert set(ids(searching.search(engine, "kompresörü"))) == {2, 6}
    assert ids(searching.search(engine, "kondansatörünü")) == [2]
    assert ids(searching.search(engine, "termostatın")) == [3]
    assert ids(searching.search(engine, "ışığı"))[0] == 1
    engine.upsert([doc(10, "KLM-MEK-0010", "Kompresörü değiştirin", device_types=["Klima"]),
                   doc(11, "KLM-MEK-0011", "Kompresörünün sesi", device_types=["Klima"]),
                   doc(12, "KLM-MEK-0012", "Kompresrü", device_types=["Klima"])])
    engine.wait()
    # exact (10) > prefix (11: kompresörü…) > stem (KOMPRESÖR, kompresör) > typo (12)
    hits = ids(searching.search(engine, "kompresörü"))
    assert hits[:2] == [10, 11] and set(hits[2:4]) == {2, 6} and hits[4] == 12, hits


def test_fault_codes_typed_with_a_space_or_a_dash(engine):
    engine.upsert([doc(13, "KMB-HID-0013", "Pompa basınç yapmıyor", device_types=["Kombi"],
                       fault_codes=["E9"]),
                   doc(14, "BZD-SOG-0014", "Soğutma yok", fault_codes=["H12"])])
    engine.wait()
    for q, expected in (("e 9", 13), ("E-9", 13), ("e9", 13), ("h 12", 14), ("H-12", 14),
                        ("f12", 2), ("F 12", 2), ("klm-mek-0001", 2)):
        hits = searching.search(engine, q)
        assert hits and hits[0]["id"] == expected and hits[0]["code_match"], q
    assert ids(searching.search(engine, None, fault_code="e-9")) == [13]


def test_codes_match_exactly_and_rank_first(engine):
    hits = searching.search(engine, "KLM-MEK-0001")
    assert hits[0]["id"] == 2 and hits[0]["code_match"] is True
    hits = searching.search(engine, "e4")
    assert hits[0]["id"] == 1 and hits[0]["code_match"]
    assert searching.search(engine, "KLM-XXX-0001") == [] or not searching.search(
        engine, "KLM-XXX-0001")[0]["code_match"]


def test_filters_and_status(engine):
    assert set(ids(searching.search(engine, "kompresör", device_type="klima"))) == {2, 6}
    assert ids(searching.search(engine, "kompresör", device_type="Kombi")) == []
    assert ids(searching.search(engine, "kompresör", model="INVERTER 12")) == [6]
    assert ids(searching.search(engine, None, fault_code="f-12")) == [2]
    assert 5 not in ids(searching.search(engine, "kumanda"))  # a draft: not published
    assert ids(searching.search(engine, "kumanda", status="draft")) == [5]


def test_snippets_highlight_the_original_text(engine):
    (hit,) = [h for h in searching.search(engine, "ışık arızası") if h["id"] == 1]
    assert hit["highlights"]["title"]["snippet"].startswith(
        "<mark>IŞIK</mark> <mark>ARIZASI</mark>")
    s, e = hit["highlights"]["symptoms"]["matches"][0]
    assert DOCS[0]["symptoms"][s:e] == "IŞIK"


def test_updates_and_deletes_follow(engine):
    engine.upsert([doc(2, "KLM-MEK-0001", "Fan motoru ses yapıyor", device_types=["Klima"])])
    engine.delete([3])
    engine.wait()
    assert 2 not in ids(searching.search(engine, "kompresör"))
    assert ids(searching.search(engine, "fan motoru")) == [2]
    assert ids(searching.search(engine, "termostat")) == []
    engine.clear()
    engine.wait()
    assert engine.count() == 0


def test_suggestions_prefer_the_device_type_and_model(engine):
    hits = searching.suggest(engine, "Kompresör çalışmıyor, ışık yanıp sönüyor", "Klima",
                             "Inverter 12", limit=3)
    assert ids(hits)[0] in (1, 6) and set(ids(hits)) <= {1, 2, 6}
    assert 2 in ids(hits)
    assert searching.suggest(engine, None, None, None) == []


def test_query_syntax_is_only_text(engine):
    for q in ('"*) OR NEAR(', "xdt", "xst*", "AND OR NOT", "ü-ğ-ş", "a" * 200, "kompresör -gaz"):
        searching.search(engine, q)  # no error
    assert ids(searching.search(engine, "xdtklima")) == []
    assert ids(searching.search(engine, "xst")) == []


@pytest.mark.parametrize("kind", ["tantivy", "fts5"])
def test_an_index_made_by_another_analysis_starts_empty(kind, tmp_path):
    """An index built before stems (or by any other ANALYSIS_VERSION) would miss what the
    queries now ask for: it starts empty, and the service rebuilds an empty index at start."""
    import sqlite3

    from services.knowledge.analysis import ANALYSIS_VERSION

    def make():
        eng = (TantivyEngine(str(tmp_path / "index")) if kind == "tantivy"
               else EmbeddedEngine(str(tmp_path / "index.sqlite")))
        eng.setup()
        return eng
    eng = make()
    eng.upsert(DOCS)
    eng.close()
    again = make()
    assert again.count() == len(DOCS)  # the same version: kept
    again.close()
    if kind == "tantivy":
        (tmp_path / "index" / "servis-analysis-version").write_text(str(ANALYSIS_VERSION - 1))
    else:
        with sqlite3.connect(tmp_path / "index.sqlite") as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'analysis'",
                       (str(ANALYSIS_VERSION - 1),))
    stale = make()
    assert stale.count() == 0
    stale.upsert(DOCS[:1])
    assert ids(searching.search(stale, "ışığı")) == [1]
    stale.close()

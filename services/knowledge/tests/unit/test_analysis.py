"""The text rules every engine shares (no broker, no database)."""
from services.knowledge import analysis
from services.knowledge.analysis import highlight, one_edit, parse_query, term_matches


def test_parse_query_folds_and_finds_codes():
    words, codes = parse_query("IŞIK arızası KLM-ELK-0042 e4")
    assert words == ["isik", "arizasi", "klm", "elk", "0042", "e4"]
    assert codes == ["klm-elk-0042", "e4"]
    assert parse_query("  ") == ([], [])
    assert len(parse_query(" ".join(f"w{i}" for i in range(50)))[0]) == analysis.MAX_QUERY_WORDS


def test_one_edit_wrong_missing_extra_swapped():
    assert one_edit("termostat", "termostaf")  # wrong
    assert one_edit("termostat", "termosat")  # missing
    assert one_edit("termostat", "termostatt")  # extra
    assert one_edit("termostat", "tremostat")  # swapped
    assert not one_edit("termostat", "termostat")
    assert not one_edit("termostat", "trmostaf")  # two edits


def test_term_matches_prefix_and_typo_rules():
    assert term_matches("termost", "termostat")  # prefix
    assert not term_matches("te", "termostat")  # too short for a prefix
    assert term_matches("kompresr", "kompresor")  # one missing letter, 5+ letters
    assert not term_matches("sogk", "soguk")  # under 5 letters: no typo


def test_typo_variants_only_for_long_words():
    assert analysis.typo_variants("abcd") == set()
    v = analysis.typo_variants("kompresr")
    assert {"kompresor", "kompres", "okmpresr"} <= v


def test_highlight_marks_the_original_text_at_the_same_offsets():
    doc = {"title": "IŞIK ARIZASI: Diyarbakır şubesi", "symptoms": "KOMPRESÖR <çalışmıyor>"}
    out = highlight(doc, "ışık arızası kompresor diyarbakir", ["title", "symptoms"])
    assert out["title"]["snippet"] == ("<mark>IŞIK</mark> <mark>ARIZASI</mark>: "
                                       "<mark>Diyarbakır</mark> şubesi")
    assert out["title"]["matches"] == [[0, 4], [5, 12], [14, 24]]
    assert doc["title"][14:24] == "Diyarbakır"
    assert out["symptoms"]["snippet"] == "<mark>KOMPRESÖR</mark> &lt;çalışmıyor&gt;"


def test_highlight_crops_long_text_around_the_first_match():
    text = "kelime " * 100 + "TERMOSTAT bozuk " + "son " * 100
    out = highlight({"cause": text}, "termost", ["cause"])["cause"]
    assert "<mark>TERMOSTAT</mark>" in out["snippet"]
    assert out["snippet"].startswith("…") and out["snippet"].endswith("…")
    assert len(out["snippet"]) < 260
    s, e = out["matches"][0]
    assert text[s:e] == "TERMOSTAT"


def test_the_matcher_agrees_with_term_matches():
    m = analysis.Matcher(["termost", "kompresr", "sogk", "te"])
    for word in ("termostat", "kompresor", "kompres", "sogk", "te", "soguk", "tea", "ter"):
        expected = any(term_matches(t, word) for t in m.terms)
        assert m(word) == expected, word

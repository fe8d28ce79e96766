"""The text rules every engine shares (no broker, no database)."""
from services.knowledge import analysis
from services.knowledge.analysis import highlight, one_edit, parse_query, term_matches


def test_parse_query_folds_and_finds_codes():
    words, codes = parse_query("IŞIK arızası KLM-ELK-0042 e4")
    assert words == ["isik", "arizasi", "klm", "elk", "0042", "e4"]
    assert codes == ["klmelk0042", "e4"]  # code keys: folded, without separators
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


def test_query_terms_carry_stem_keys_and_codes_typed_with_a_space_or_a_dash():
    terms, codes = parse_query("Pompası e 9")
    assert terms == ["pompasi", "e9"] and codes == ["e9"]
    assert "pompa" in terms[0].keys
    assert parse_query("E-9") == (["e9"], ["e9"])
    assert parse_query("H - 12 basınç")[1] == ["h12"]
    assert parse_query("vga 02") == (["vga", "02"], ["vga02"])  # looked up; the words stay
    assert parse_query("ışık 2")[1] == []  # a letter inside a word is no code
    assert analysis.code_key("KLM-ELK-0042") == "klmelk0042" == analysis.code_key("klm elk 0042")


def test_term_matches_by_stem_between_prefix_and_typo():
    assert term_matches(parse_query("pompanın")[0][0], "pompasi")  # both are pompa's
    assert term_matches("kartinda", "karti")
    assert not term_matches("kartus", "kart")


def test_highlight_marks_inflected_words_and_codes_written_otherwise():
    doc = {"title": "Pompa basınç yapmıyor", "fault_codes": "E-9"}
    out = highlight(doc, "pompanın basıncı e 9", ["title", "fault_codes"])
    assert out["title"]["snippet"] == "<mark>Pompa</mark> <mark>basınç</mark> yapmıyor"
    assert out["fault_codes"]["snippet"] == "<mark>E-9</mark>"
    assert highlight({"title": "E90 arızası"}, "e 9", ["title"]) == {}  # E9 is not E90


def test_inflections_for_meilisearch_stem_back_to_their_noun():
    from services.common.text import fold, stems
    from services.knowledge.engines.base import COMMON_NOUNS, SYNONYMS
    assert {"pompasi", "pompanin", "pompalarinda", "pompaya"} <= set(
        analysis.inflections("pompa"))
    assert "kapagi" in analysis.inflections("kapak")  # a final k softens
    assert "valfi" in analysis.inflections("valf") and "kagidi" in analysis.inflections("kâğıt")
    for noun in COMMON_NOUNS:  # the grammar the embedded engines use agrees with them
        for form in analysis.inflections(noun):
            assert fold(noun) in stems(form), (noun, form)
            assert fold(noun) in SYNONYMS[form]


def test_highlight_over_several_fields_keeps_each_fields_offsets():
    """The fields are matched as one text (one pass a document): every mark lands in its own
    field at its own offsets, an empty field between them shifts nothing, a word inside a
    longer word is not marked, and a repeated word is marked each time."""
    doc = {"title": "Kompresör E-9", "symptoms": "", "cause": "e9 kompresörü; süperkompresör",
           "solution_steps": ["Kompresör değişir.", "Kompresör test"], "tags": ["E9"]}
    out = highlight(doc, "kompresör e 9",
                    ["title", "symptoms", "cause", "solution_steps", "tags"])
    assert set(out) == {"title", "cause", "solution_steps", "tags"}
    assert out["title"]["matches"] == [[0, 9], [10, 13]]
    assert [doc["cause"][s:e] for s, e in out["cause"]["matches"]] == ["e9", "kompresörü"]
    steps = "\n".join(doc["solution_steps"])
    assert [steps[s:e] for s, e in out["solution_steps"]["matches"]] == ["Kompresör"] * 2
    assert out["tags"]["snippet"] == "<mark>E9</mark>"

import random
import sqlite3
import sys

import pytest

from services.common import text
from services.common.text import ALPHABET, fold, matches, sort_key, tr_lower, tr_upper

FOLDING = {
    "İ": "i", "I": "i", "ı": "i", "Ç": "c", "ç": "c", "Ğ": "g", "ğ": "g", "Ö": "o", "ö": "o",
    "Ş": "s", "ş": "s", "Ü": "u", "ü": "u", "Â": "a", "â": "a", "Î": "i", "î": "i",
    "Û": "u", "û": "u",
}
TURKISH_LETTERS = "abcçdefgğhıijklmnoöprsştuüvyzABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZâîûÂÎÛ"
EVERY_CHARACTER = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)


@pytest.mark.parametrize("char, folded", FOLDING.items())
def test_fold_maps_each_turkish_letter(char, folded):
    assert fold(char) == folded
    assert fold(f"x{char}Y") == f"x{folded}y"


@pytest.mark.parametrize("document, query", [
    ("IŞIK ARIZASI", "ışık arızası"), ("DİYARBAKIR", "diyarbakır"), ("KOMPRESÖR", "kompresor")])
def test_design_examples_fold_alike(document, query):
    assert fold(document) == fold(query)
    assert matches(f"Müşteri: {document} bildirdi", query)


def test_fold_values():
    assert fold("IŞIK ARIZASI") == fold("ışık arızası") == "isik arizasi"
    assert fold("DİYARBAKIR") == "diyarbakir"
    assert fold("KOMPRESÖR") == "kompresor"
    assert not matches("kompresör", "kompresr")


def test_fold_keeps_length_and_offsets():
    assert len(fold(TURKISH_LETTERS)) == len(TURKISH_LETTERS)
    text = "Servis: İSTANBUL şubesi, ÜNİTE ışığı"
    start = fold(text).index(fold("ünite ışığı"))
    assert text[start:start + len("ünite ışığı")] == "ÜNİTE ışığı"


@pytest.mark.parametrize("convert", [fold, tr_lower, tr_upper])
def test_every_code_point_keeps_length(convert):
    assert len(convert(EVERY_CHARACTER)) == len(EVERY_CHARACTER)


@pytest.mark.parametrize("lower, upper", [
    ("i", "İ"), ("ı", "I"), ("ç", "Ç"), ("ğ", "Ğ"), ("ö", "Ö"), ("ş", "Ş"), ("ü", "Ü")])
def test_turkish_case_pairs(lower, upper):
    assert tr_upper(lower) == upper
    assert tr_lower(upper) == lower


def test_turkish_case_words():
    assert tr_upper("istanbul ılık") == "İSTANBUL ILIK"
    assert tr_lower("DİYARBAKIR IŞIK") == "diyarbakır ışık"
    assert tr_upper("straße") == "STRAßE"  # 'ß'.upper() is two letters: kept


EXAMPLE = ["Zeytin", "Demir", "Çelik", "Cam", "ılık", "ırmak", "İnci", "Işık", "ilaç", "Öz", "Oz",
           "Şahin", "Sarı", "Ünal", "Uçar", "Ğ"]
# ı (ılık, ırmak, Işık: second letters l < r < ş) comes before i (ilaç, İnci: l < n).
EXAMPLE_SORTED = ["Cam", "Çelik", "Demir", "Ğ", "ılık", "ırmak", "Işık", "ilaç", "İnci", "Oz",
                  "Öz", "Sarı", "Şahin", "Uçar", "Ünal", "Zeytin"]


def test_sort_order_of_the_example():
    assert sorted(EXAMPLE, key=sort_key) == EXAMPLE_SORTED
    assert sort_key("Çelik") < sort_key("Demir")
    assert max(EXAMPLE, key=sort_key) == "Zeytin"


def test_sort_order_in_sqlite_binary_collation():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (name TEXT, name_key TEXT)")
    db.execute("CREATE INDEX t_key ON t (name_key)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(n, sort_key(n)) for n in EXAMPLE])
    assert [n for n, in db.execute("SELECT name FROM t ORDER BY name_key")] == EXAMPLE_SORTED
    assert [n for n, in db.execute("SELECT name FROM t WHERE name_key < ? ORDER BY name_key",
                                   (sort_key("Ç"),))] == ["Cam"]


def test_alphabet_order_with_q_w_x():
    letters = list("zyxwvüutşsrqpöonmlkjiıhğgfedçcba")
    assert "".join(sorted(letters, key=sort_key)) == ALPHABET
    assert sorted(["x", "w", "v", "y"], key=sort_key) == ["v", "w", "x", "y"]
    assert sort_key("p") < sort_key("q") < sort_key("r")


def test_case_and_circumflex_only_break_ties():
    assert sort_key("çelik") < sort_key("Çelik") < sort_key("çelika")
    assert sort_key("Âli") < sort_key("alim")
    assert sort_key("hâla") < sort_key("halat")
    assert sort_key("Ali") < sort_key("âlim") < sort_key("alin")


def test_case_tie_order_is_deterministic():
    words = ["ÇELİK", "çelik", "Çelik", "çeLik"]
    expected = sorted(words, key=sort_key)
    assert expected[0] == "çelik" and expected[-1] == "ÇELİK"
    for seed in range(5):
        random.Random(seed).shuffle(words)
        assert sorted(words, key=sort_key) == expected
    assert len({sort_key(w) for w in words}) == len(words)


def test_prefix_and_non_letters_first():
    assert sort_key("") < sort_key("A") < sort_key("Ak") < sort_key("Akın") < sort_key("akıncı")
    assert sort_key("Ak Ltd") < sort_key("Ak-Sa") < sort_key("Ak2") < sort_key("Akçe")
    assert sort_key("9 Eylül") < sort_key("Adana")


def test_sort_key_never_contains_nul():
    assert "\x00" not in sort_key(EVERY_CHARACTER[:0x3000] + "\x00a\x00")
    assert "\x00" not in sort_key("\x00")


REFERENCE_LETTERS = {**{c: i for i, c in enumerate(ALPHABET)},
                     **{c.upper(): i for i, c in enumerate(ALPHABET) if c not in "iı"},
                     "I": ALPHABET.index("ı"), "İ": ALPHABET.index("i"),
                     "â": 0, "Â": 0, "î": ALPHABET.index("i"), "Î": ALPHABET.index("i"),
                     "û": ALPHABET.index("u"), "Û": ALPHABET.index("u")}
NON_LETTERS = " 09-.,"
CIRCUMFLEX = {"a": "â", "i": "î", "u": "û", "A": "Â", "İ": "Î", "U": "Û"}


def _reference_key(s):
    """Space, then other non-letters by code point, then letters by alphabet position;
    ties: lowercase before uppercase, then the text itself."""
    primary = [(0, 0) if c == " " else (1, ord(c)) if c in NON_LETTERS
               else (2, REFERENCE_LETTERS[c]) for c in s]
    return primary, [c.isupper() for c in s], s


def _random_pair(rng):
    chars = list(REFERENCE_LETTERS) + list(NON_LETTERS)
    a = "".join(rng.choice(chars) for _ in range(rng.randint(0, 6)))
    how = rng.random()
    if how < 0.4:  # same letters, other case or circumflex
        b = "".join(rng.choice([c, tr_upper(c), tr_lower(c), fold(c), CIRCUMFLEX.get(c, c)])
                    for c in a)
    elif how < 0.6:  # a prefix or an extension
        b = a[:rng.randint(0, len(a))] if rng.random() < 0.5 else a + rng.choice(chars)
    else:
        b = "".join(rng.choice(chars) for _ in range(rng.randint(0, 6)))
    return a, b


def test_sort_key_agrees_with_reference_comparator():
    rng = random.Random(20261126)
    for _ in range(5000):
        a, b = _random_pair(rng)
        expected = (_reference_key(a) > _reference_key(b)) - (_reference_key(a) < _reference_key(b))
        actual = (sort_key(a) > sort_key(b)) - (sort_key(a) < sort_key(b))
        assert actual == expected, (a, b)


def test_trimmed_text_is_nfc_so_a_decomposed_dotted_i_is_one_letter():
    from marshmallow import Schema

    from services.common.schemas import Trimmed

    class S(Schema):
        name = Trimmed()

    assert S().load({"name": " DI\u0307YARBAKIR "})["name"] == "DİYARBAKIR"
    assert S().load({"name": "KOMPRESO\u0308R"})["name"] == "KOMPRESÖR"


# -- stems: the search keys of a word (issue 25) ---------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("pompası", "Pompa"), ("pompanın", "pompası"), ("pompaların", "pompa"),
    ("kartında", "kartı"), ("kartlarından", "Kart"), ("ekranları", "EKRAN"),
    ("motorları", "motoru"), ("valfinin", "valf"), ("basıncı", "basınç"),
    ("kâğıdı", "Kâğıt"), ("elektrodu", "elektrotları"), ("kapağı", "kapak"),
    ("suyu", "su"), ("kompresörü", "KOMPRESÖR"), ("kompresörlerinde", "kompresörün"),
    ("çalışmıyor", "çalışması"), ("ısıtmıyor", "ısıtma"), ("arızalı", "arıza"),
    ("filtresini", "filtre"), ("borulardaki", "borularda"), ("temizleyin", "temizle"),
    ("pompasi", "pompa"), ("kartinda", "karti"), ("kompresoru", "kompresör"),  # no ı ş ö …
])
def test_inflections_share_a_stem_key(a, b):
    assert text.stems(a) & text.stems(b), (sorted(text.stems(a)), sorted(text.stems(b)))


@pytest.mark.parametrize("a, b", [
    ("kartuş", "kart"), ("kar", "kartı"), ("kablosuz", "kablo"), ("fazla", "fan"),
    ("değişimi", "değiştirin"), ("motor", "mot"), ("ekran", "ekra"), ("hata", "ha"),
])
def test_unrelated_words_share_no_key(a, b):
    assert not text.stems(a) & text.stems(b), (sorted(text.stems(a)), sorted(text.stems(b)))


def test_stem_keys_are_folded_and_include_the_word():
    assert text.stems("POMPASI") == text.stems("pompası") == {"pompasi", "pompas", "pompa"}
    assert text.stems("IŞIK") == {"isik"}
    assert text.stems("E9") == {"e9"} and text.stems("0042") == {"0042"}  # codes, numbers
    assert "su" in text.stems("suyu") and "ka" not in text.stems("kanı")  # 2 letters: before y
    assert text.stem_keys("Kompresör çalışmıyor!") >= {"kompresor", "calismiyor", "calis"}
    column = text.stem_column("Su akıtıyor")
    assert column.startswith(" ") and column.endswith(" ") and " su " in column

"""Turkish text, implemented once: search folding, display case and alphabetical sorting.

* ``fold(s)`` — search folding, one character for one character, so ``len(fold(s)) == len(s)``
  and the offsets of a hit in the folded text are the offsets in the original (highlighting):
  ``İ I ı → i``, ``Ç ç → c``, ``Ğ ğ → g``, ``Ö ö → o``, ``Ş ş → s``, ``Ü ü → u``, ``Â â → a``,
  ``Î î → i``, ``Û û → u``; any other character is lowercased when its lowercase is a single
  code point, else kept. Apply it to documents and queries alike: ``ışık arızası`` finds
  ``IŞIK ARIZASI``, ``diyarbakır`` finds ``DİYARBAKIR``, ``kompresor`` finds ``KOMPRESÖR``.
* ``tr_lower(s)`` / ``tr_upper(s)`` — case for display: ``I → ı``, ``İ → i`` and ``i → İ``,
  ``ı → I``; other characters as ``str.lower``/``str.upper`` where that keeps one code point
  (Python's ``'İ'.lower()`` gives two, SQLite's ``lower()`` is ASCII-only).
* ``sort_key(s)`` — a ``str`` whose plain code-point order (Python comparison, SQLite BINARY,
  PostgreSQL ``COLLATE "C"`` over UTF-8) is the Turkish alphabetical order
  ``a b c ç d e f g ğ h ı i j k l m n o ö p q r s ş t u ü v w x y z``, so it can be stored in
  an indexed column. Three levels:

  1. primary, one token per character (after NFC): whitespace and control characters first
     (``"Ak Ltd" < "Akçe"``), then other non-letters (digits, punctuation) by code point, then
     the letters of the alphabet case-insensitively (``I`` as ``ı``; ``â î û`` and other
     accented Latin letters as their base letter), then letters of other scripts;
  2. case, character by character: lowercase before uppercase;
  3. the text itself, so different texts never share a key and ties are deterministic.

  ``'\\x01'`` ends each level and is lower than any token, so a prefix sorts first
  (``"Ak" < "Akın"``). The key never contains ``'\\x00'`` (PostgreSQL text rejects it).
* ``matches(haystack, needle)`` — ``fold(needle) in fold(haystack)``.
* ``stems(word)`` — the search keys of one word, folded: the word itself and every root it can
  be an inflection of, so that two words match when their keys meet (``pompası`` and
  ``pompanın`` share ``pompa``; ``kartında`` and ``kartı`` share ``kart``; ``kâğıdı`` and
  ``kâğıt`` share ``kagit``). A root is what is left when the rest of the word is a chain of
  Turkish suffixes (SUFFIX_CHAIN: plural, possessive, the cases, -ki, -lI, and the common verb
  endings -Iyor, -mAz, -Ir, -mIş, -(y)In, -mA); it has 3+ letters and a vowel (2 before the
  buffer y: ``suyu`` → ``su``); before a vowel a final g, b, d of a root of two or more
  syllables was k, p, t (``kapağı`` → ``kapak``, ``elektrodu`` → ``elektrot``). The rules
  read folded text: queries typed without Turkish letters (``pompasi``, ``kartinda``) get the
  keys of the properly spelt words, at the price of vowel harmony, which folding blurs (ı/i,
  u/ü) and which is therefore not checked. Words with a digit are their own only key.
* ``stem_keys(text)`` — the keys of every word of a text (a set); ``stem_roots(text)`` those
  that are not words of the text (what an index adds to its words); ``stem_column(text)`` the
  same as one string for a database column (`` key key … ``, space-delimited, so
  ``LIKE '% key %'`` finds one key and ``LIKE '% word%'`` a key beginning with a word).
"""
import re
import unicodedata

ALPHABET = "abcçdefgğhıijklmnoöpqrsştuüvwxyz"

_SEPARATOR = "\x01"
_SPACE = "\x02"  # whitespace and control characters
_OTHER = "\x03"  # + the character: digits, punctuation, symbols
_FOREIGN = "\x7f"  # + the lowercased character: letters outside the alphabet


class _Table(dict):
    """A ``str.translate`` table: fixed characters, any other computed once by ``default``."""

    def __init__(self, fixed, default):
        super().__init__((ord(k), v) for k, v in fixed.items())
        self._default = default

    def __missing__(self, code_point):
        value = self._default(chr(code_point))
        if code_point < 0x3000:  # keep the cache small: scripts beyond are rare here
            self[code_point] = value
        return value


def _one_to_one(case):
    def convert(c):
        converted = case(c)
        return converted if len(converted) == 1 else c
    return convert


_lower1 = _one_to_one(str.lower)
_FOLD = _Table(
    {**dict.fromkeys("İIıÎî", "i"), **dict.fromkeys("Çç", "c"), **dict.fromkeys("Ğğ", "g"),
     **dict.fromkeys("Öö", "o"), **dict.fromkeys("Şş", "s"), **dict.fromkeys("ÜüÛû", "u"),
     **dict.fromkeys("Ââ", "a")},
    _lower1)
_LOWER = _Table({"I": "ı", "İ": "i"}, _lower1)
_UPPER = _Table({"i": "İ", "ı": "I"}, _one_to_one(str.upper))

_LETTER = {c: chr(0x41 + i) for i, c in enumerate(ALPHABET)}


def _primary(c):
    letter = _LETTER.get(unicodedata.normalize("NFD", _lower1(c))[0])
    if letter:
        return letter
    if c.isspace() or c < " ":
        return _SPACE
    if c.isalpha():
        return _FOREIGN + _lower1(c)
    return _OTHER + c


_PRIMARY = _Table({**_LETTER, **{c.translate(_UPPER): v for c, v in _LETTER.items()}}, _primary)
_CASE = _Table({}, lambda c: "\x03" if c.isupper() else "\x02")


def fold(s: str) -> str:
    """Search folding, one character for one character (see the module docstring)."""
    return s.translate(_FOLD)


def tr_lower(s: str) -> str:
    """Turkish lowercase for display (``I → ı``, ``İ → i``), as long as ``s``."""
    return s.translate(_LOWER)


def tr_upper(s: str) -> str:
    """Turkish uppercase for display (``i → İ``, ``ı → I``), as long as ``s``."""
    return s.translate(_UPPER)


def sort_key(s: str) -> str:
    """A key whose code-point order is the Turkish alphabetical order (see the module docstring)."""
    s = unicodedata.normalize("NFC", s)
    return _SEPARATOR.join((s.translate(_PRIMARY), s.translate(_CASE), s.replace("\x00", "\x01")))


def matches(haystack: str, needle: str) -> bool:
    """True when ``needle`` occurs in ``haystack`` once both are folded."""
    return fold(needle) in fold(haystack)


# -- stems: the search keys of a word --------------------------------------------------------
# Suffix chains over folded text (vowels a/e and i/u: folding merges ı/i and u/ü).
_POSSESSIVE3 = r"(?:s[iu]|[iu])(?:n[iu]|n[ae]|nd[ae]n?|n[iu]n|y?l[ae])?"  # -(s)I (+n cases)
_CASE_ENDING = r"(?:y?[iu]|y?[ae]|[dt][ae]n?|n?[iu]n|y?l[ae])"  # acc, dat, loc, abl, gen, instr
_NOUN = rf"(?:l[iu])?(?:l[ae]r)?(?:{_POSSESSIVE3}|{_CASE_ENDING})?(?:ki)?"  # -lI -lAr -(s)I … -ki
_VERB = (r"(?:(?:[ae]?m[iu])?[iu]?yor|m[ae]z|[iu]r|[ae]r|m[iu]s|y?[iu]n|m[ae]y[iu]n|m[ae]k"
         rf"|m[ae](?:{_POSSESSIVE3}|{_CASE_ENDING})?)")  # -Iyor -mAz -Ir -Ar -mIş -(y)In -mA(k)
SUFFIX_CHAIN = re.compile(rf"(?:{_NOUN}|{_VERB})")
_VOWELS = frozenset("aeiou")
_HARDENED = {"g": "k", "b": "p", "d": "t"}  # kapağı → kapak, kitabı → kitap, kâğıdı → kâğıt
MIN_ROOT = 3
STEM_CACHE = 65536
WORD = re.compile(r"[^\W_]+")


def _compute_stems(word):
    """The keys of one folded word."""
    if not word.isalpha():
        return frozenset((word,))
    keys = {word}
    for i in range(len(word) - 1, 1, -1):
        root, rest = word[:i], word[i:]
        if not ((i >= MIN_ROOT or rest[0] == "y") and SUFFIX_CHAIN.fullmatch(rest)):
            continue
        vowels = sum(c in _VOWELS for c in root)
        if vowels:
            keys.add(root)
        if vowels > 1 and root[-1] in _HARDENED and rest[0] in _VOWELS:
            keys.add(root[:-1] + _HARDENED[root[-1]])
    return frozenset(keys)


_STEMS = {}  # folded word -> keys; a plain dict (cleared when full): indexing asks for every word


def _stems(word):
    keys = _STEMS.get(word)
    if keys is None:
        if len(_STEMS) >= STEM_CACHE:
            _STEMS.clear()
        keys = _STEMS[word] = _compute_stems(word)
    return keys


def stems(word: str) -> frozenset:
    """The search keys of one word (see the module docstring): folded, the word among them."""
    return _stems(fold(word))


def folded_stems(word: str) -> frozenset:
    """stems() of a word that is folded already (the snippets' inner loop: no second fold)."""
    return _stems(word)


def _keys_and_words(text):
    words = set(WORD.findall(fold(text or "")))
    get = _STEMS.get  # inline: indexing calls this for every document
    return set().union(*[get(w) or _stems(w) for w in words]), words


def stem_keys(text: str) -> set:
    """The keys of every word (letters and digits) of `text`."""
    return _keys_and_words(text)[0]


def stem_roots(text: str) -> set:
    """The keys of the words of `text` that are not themselves words of it: what an index
    adds to the folded words so that a term lookup finds every key."""
    keys, words = _keys_and_words(text)
    return keys - words


def stem_column(text: str) -> str:
    """stem_keys(text) as " key1 key2 … " (sorted) for a LIKE-searched column."""
    return " " + " ".join(sorted(stem_keys(text))) + " "

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
"""
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

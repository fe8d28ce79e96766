"""How the archive reads text: one place for the search rules every engine shares.

Plain Python, no framework. Documents and queries are folded with ``services.common.text.fold``
(one character for one character), so a word found in the folded text has the same offsets in
the original text: snippets highlight the original (``IŞIK``), never the folded copy (``isik``).

* ``words(text)`` — (start, end, folded word) of every word (letters and digits; FTS5's
  unicode61 tokenizer splits the same way).
* ``parse_query(q)`` — the query's words as ``Term``s (the folded word with its stem keys,
  ``text.stems``) — at most MAX_QUERY_WORDS — and the code-like tokens as code keys
  (``code_key``): codes match exactly and rank first. A letter and a number typed apart
  (``e 9``, ``h 12``, ``E - 9``) are one word and one code (``e9``); 2–3 letters and a number
  (``vga 02``) are looked up as a code too, and stay words.
* ``code_key(code)`` — a code folded, without its separators: ``E-9``, ``e9`` and ``E 9`` are
  ``e9``, ``KLM-ELK-0042`` is ``klmelk0042``. Article and fault codes are looked up by it.
* ``typo_variants(word)`` — every string one wrong, missing, extra or swapped letter away, for
  words of MIN_TYPO_LENGTH or more letters (the FTS5 engine looks them up in its vocabulary).
* ``term_matches(term, word, prefix)`` — the one matching rule, in rank order: equal, a prefix
  (query words of MIN_PREFIX_LENGTH+ letters), a shared stem key (``pompanın`` ~ ``pompası``),
  or one edit away (MIN_TYPO_LENGTH+ letters).
* ``highlight(text, query)`` — the matched spans in the original text, and an HTML snippet
  around the first of them with ``<mark>`` around each match (the rest escaped).
* ``inflections(noun)`` — common inflected forms of a Turkish noun (plural, possessive,
  accusative, genitive, dative, locative, ablative and their chains, with vowel harmony, the
  buffer letters and a softened final k/p/ç): Meilisearch, which cannot stem, gets them as
  synonyms of the noun.
"""
import html
import re
import string

from services.common.text import fold, folded_stems, stems, tr_lower

WORD = re.compile(r"[^\W_]+")
CODE = re.compile(r"^[^\W_]+(?:[-./][^\W_]+)+$|^[A-Za-z]{1,4}\d{1,5}$")
CODE_SEPARATORS = re.compile(r"[-./\s]+")
SPACED_CODE = re.compile(r"(?<![^\W_])([A-Za-z])(?:\s+|\s*-\s*)(\d{1,5})(?![^\W_])")  # e 9, H-12
CODE_LETTERS, CODE_NUMBER = re.compile(r"^[A-Za-z]{2,3}$"), re.compile(r"^\d{1,5}$")  # ER 02
# Raised when what the engines index for a text changes (stems, code keys): an embedded index
# made by another version starts empty and is rebuilt from the database at start.
ANALYSIS_VERSION = 2
MIN_TYPO_LENGTH = 5
MIN_PREFIX_LENGTH = 3
MAX_QUERY_WORDS = 10
TYPO_ALPHABET = string.ascii_lowercase + string.digits
SNIPPET_CHARS = 180


class Term(str):
    """A query word: the folded word (it compares and joins as that string) with `keys`, its
    stem keys (text.stems; the word among them)."""

    def __new__(cls, word):
        self = super().__new__(cls, word)
        self.keys = stems(word)
        return self


def terms_of(words):
    """`words` (folded strings or Terms) as Terms."""
    return [w if isinstance(w, Term) else Term(w) for w in words]


def words(text):
    """[(start, end, folded word)] of `text`; offsets are the original text's."""
    folded = fold(text or "")
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(folded)]


def fold_words(text):
    return [w for _, _, w in words(text)]


def code_key(code):
    """The code folded, without separators (``E-9`` → ``e9``, ``KLM-ELK-0042`` →
    ``klmelk0042``): article and fault codes are stored and looked up by it."""
    return CODE_SEPARATORS.sub("", fold(code or ""))


def parse_query(q):
    """(terms, codes): the query's words as Terms in order, without repeats (at most
    MAX_QUERY_WORDS), and the code keys of its code-like tokens (``KLM-ELK-0042``, ``E4``,
    ``F-28``, ``e 9``)."""
    q = SPACED_CODE.sub(r"\1\2", q or "")  # "e 9", "h 12", "E - 9": one word, one code
    codes = []

    def add_code(token):
        key = code_key(token)
        if key and key not in codes:
            codes.append(key)
    tokens = [t.strip(",;:()[]\"'") for t in q.split()]
    for i, token in enumerate(tokens):
        if CODE.match(token):
            add_code(token)
        elif (i + 1 < len(tokens) and CODE_LETTERS.match(token)
              and CODE_NUMBER.match(tokens[i + 1])):
            add_code(token + tokens[i + 1])  # "ER 02": looked up, the words stay words
    words = list(dict.fromkeys(fold_words(q)))  # in order, without repeats
    return [Term(w) for w in words[:MAX_QUERY_WORDS]], codes


def typo_variants(word):
    """Strings one edit (wrong, missing, extra or swapped letter) from `word`; empty for words
    shorter than MIN_TYPO_LENGTH."""
    if len(word) < MIN_TYPO_LENGTH:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in TYPO_ALPHABET}
    out |= {a + c + b for a, b in splits for c in TYPO_ALPHABET}
    out.discard(word)
    return out


def one_edit(a, b):
    """True when `a` and `b` differ by exactly one wrong, missing, extra or swapped letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def term_matches(term, word, prefix=True):
    """Does query word `term` match document word `word` (both folded; a Term's keys are
    used when it has them)?"""
    if word == term:
        return True
    if prefix and len(term) >= MIN_PREFIX_LENGTH and word.startswith(term):
        return True
    keys = term.keys if isinstance(term, Term) else stems(term)
    if not keys.isdisjoint(stems(word)):
        return True
    return len(term) >= MIN_TYPO_LENGTH and one_edit(term, word)


def code_pattern(key):
    """A regex finding code key `key` in folded text, with or without separators
    (``e9`` finds ``E9``, ``E-9``; ``klmelk0042`` finds ``KLM-ELK-0042``)."""
    return re.compile(r"(?<![^\W_])" + r"[-./ ]?".join(map(re.escape, key)) + r"(?![^\W_])")


class Matcher:
    """The query's words and codes, ready to test document words quickly: exact words and
    their one-edit variants in one set (computed once per query), prefixes in one regex, the
    stem keys in another set (a document word matches when its keys meet them)."""

    def __init__(self, terms, codes=()):
        self.terms = terms_of(terms)
        self.codes = list(codes)
        self.code_patterns = [code_pattern(c) for c in self.codes]
        self.words = set(self.terms)
        for t in self.terms:
            self.words |= typo_variants(t)
        self.keys = frozenset().union(*(t.keys for t in self.terms))
        self.stem_memo = {}  # document word -> shares a key with the query (words repeat)
        prefixes = sorted({t for t in self.terms if len(t) >= MIN_PREFIX_LENGTH})
        self.prefix = re.compile("|".join(map(re.escape, prefixes))).match if prefixes else None

    def __call__(self, word):
        return bool(self.hits({word}))

    def hits(self, tokens):
        """The tokens (a set of folded words) that match."""
        found = tokens & self.words
        if self.prefix:
            found.update(filter(self.prefix, tokens - found))
        if self.keys:
            memo = self.stem_memo
            for token in tokens - found:
                hit = memo.get(token)
                if hit is None:
                    hit = memo[token] = not self.keys.isdisjoint(folded_stems(token))
                if hit:
                    found.add(token)
        return found


def match_spans(text, terms, codes=(), matcher=None):
    """[(start, end)] of the words of `text` that match a query term, and of the occurrences
    of a code (with or without separators)."""
    matcher = matcher or Matcher(terms, codes)
    folded = fold(text or "")
    found = matcher.hits(set(WORD.findall(folded)))
    spans = []
    for word in found:  # few words, each found with str.find: faster than a second regex pass
        at = folded.find(word)
        while at >= 0:
            end = at + len(word)
            # a whole word ([^\W_]+ is what str.isalnum() accepts)
            if not (at and folded[at - 1].isalnum()) and not (
                    end < len(folded) and folded[end].isalnum()):
                spans.append((at, end))
            at = folded.find(word, at + 1)
    for pattern in matcher.code_patterns:
        spans += [(m.start(), m.end()) for m in pattern.finditer(folded)]
    return _merge(spans)


def _merge(spans):
    out = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def snippet(text, spans, width=SNIPPET_CHARS):
    """The original text around the first span (whole text when short), HTML-escaped, each
    span in <mark>; '…' where it was cut."""
    if not spans:
        return None
    start, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0]
        start = max(0, first - width // 3)
        while start > 0 and not text[start - 1].isspace() and first - start < width // 2:
            start -= 1
        end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


FIELD_SEPARATOR = "\x00"


def highlight(doc, q, fields, matcher=None):
    """{field: {"snippet": html, "matches": [[start, end], ...]}} for the fields of `doc`
    (original text) in which the query matches."""
    if matcher is None:
        matcher = Matcher(*parse_query(q))
    values = []
    for field in fields:
        value = doc.get(field)
        if isinstance(value, list):
            value = "\n".join(value)
        if value:
            values.append((field, value))
    # the fields as one text, so folding, tokenizing and matching run once a document rather
    # than once a field (a third of a search's time went there); NUL separates them: no word
    # and no code pattern spans it, and folding keeps every offset
    spans = match_spans(FIELD_SEPARATOR.join(v for _, v in values), None, matcher=matcher)
    out, i, start = {}, 0, 0
    for field, value in values:
        end = start + len(value)
        mine = []
        while i < len(spans) and spans[i][1] <= end:
            mine.append((spans[i][0] - start, spans[i][1] - start))
            i += 1
        if mine:
            out[field] = {"snippet": snippet(value, mine), "matches": [list(s) for s in mine]}
        start = end + len(FIELD_SEPARATOR)
    return out


# -- inflected forms (Meilisearch's synonyms) ------------------------------------------------
_BACK, _FRONT = "aıou", "eiöü"
_FOUR_WAY = {"a": "ı", "ı": "ı", "o": "u", "u": "u", "e": "i", "i": "i", "ö": "ü", "ü": "ü"}
_VOICELESS = "fstkçşhp"
_SOFTENS = {"k": "ğ", "p": "b", "ç": "c"}
_SOFT_T_NOUNS = frozenset({"kağıt", "kanat"})  # kâğıt → kâğıdı (most t's stay: termostatı)
_CIRCUMFLEX = str.maketrans("âîû", "aiu")
FRONT_SUFFIX_NOUNS = frozenset(  # loanwords whose suffixes take front vowels: valf → valfi
    "valf kontrol sinyal metal rol petrol alkol saat kalp hal normal ideal".split())
_FRONTED = {"a": "e", "ı": "i", "o": "ö", "u": "ü"}


def _suffixed(stem, suffix):
    """`stem` + `suffix` written with A (a/e), I (ı/i/u/ü), D (d/t) and buffer letters in
    parentheses — "(s)I", "(n)In", "(y)A", "DA" — resolved by the stem's last vowel and last
    letter; a final k/p/ç of a word of two or more syllables softens before a vowel."""
    vowels = [c for c in stem if c in _BACK + _FRONT]
    last_vowel = vowels[-1] if vowels else "e"
    if stem in FRONT_SUFFIX_NOUNS:
        last_vowel = _FRONTED.get(last_vowel, last_vowel)
    ends_in_vowel = stem[-1] in _BACK + _FRONT
    out = stem
    i = 0
    while i < len(suffix):
        c = suffix[i]
        if c == "(":
            buffer, i = suffix[i + 1], i + 3
            if ends_in_vowel:
                out += buffer
            continue
        if c in "AI" and out == stem and len(vowels) > 1 and (
                out[-1] in _SOFTENS or stem in _SOFT_T_NOUNS):
            out = out[:-1] + _SOFTENS.get(out[-1], "d")
        if c == "A":
            c = "a" if last_vowel in _BACK else "e"
        elif c == "I":
            c = _FOUR_WAY[last_vowel]
        elif c == "D":
            c = "t" if out[-1] in _VOICELESS else "d"
        out += c
        if c in _BACK + _FRONT:
            last_vowel = c
        ends_in_vowel = c in _BACK + _FRONT
        i += 1
    return out


INFLECTION_SUFFIXES = (
    "lAr", "(y)I", "(s)I", "(n)In", "(y)A", "DA", "DAn", "(y)lA",
    "(s)InI", "(s)InIn", "(s)InA", "(s)InDA", "(s)InDAn", "(s)IylA",
    "lArI", "lArIn", "lArA", "lArDA", "lArDAn", "lArInI", "lArInIn", "lArInA", "lArInDA",
    "(s)InDAki", "DAki")


def inflections(noun):
    """Common inflected forms of a Turkish noun (lowercase, Turkish letters), folded, without
    the noun itself."""
    noun = tr_lower(noun).translate(_CIRCUMFLEX)
    forms = {fold(_suffixed(noun, suffix)) for suffix in INFLECTION_SUFFIXES}
    forms.discard(fold(noun))
    return sorted(forms)

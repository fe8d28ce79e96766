"""How the archive reads text: one place for the search rules every engine shares.

Plain Python, no framework. Documents and queries are folded with ``services.common.text.fold``
(one character for one character), so a word found in the folded text has the same offsets in
the original text: snippets highlight the original (``IŞIK``), never the folded copy (``isik``).

* ``words(text)`` — (start, end, folded word) of every word (letters and digits; FTS5's
  unicode61 tokenizer splits the same way).
* ``parse_query(q)`` — the folded query words (at most MAX_QUERY_WORDS) and the code-like
  tokens (``KLM-ELK-0042``, ``E-12``): codes match exactly and rank first.
* ``typo_variants(word)`` — every string one wrong, missing, extra or swapped letter away, for
  words of MIN_TYPO_LENGTH or more letters (the embedded engine looks them up in its vocabulary).
* ``term_matches(term, word, prefix)`` — the one matching rule: equal, a prefix (query words of
  MIN_PREFIX_LENGTH+ letters), or one edit away (MIN_TYPO_LENGTH+ letters).
* ``highlight(text, query)`` — the matched spans in the original text, and an HTML snippet
  around the first of them with ``<mark>`` around each match (the rest escaped).
"""
import html
import re
import string

from services.common.text import fold

WORD = re.compile(r"[^\W_]+")
CODE = re.compile(r"^[^\W_]+(?:[-./][^\W_]+)+$|^[A-Za-z]{1,4}\d{1,5}$")
MIN_TYPO_LENGTH = 5
MIN_PREFIX_LENGTH = 3
MAX_QUERY_WORDS = 10
TYPO_ALPHABET = string.ascii_lowercase + string.digits
SNIPPET_CHARS = 180


def words(text):
    """[(start, end, folded word)] of `text`; offsets are the original text's."""
    folded = fold(text or "")
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(folded)]


def fold_words(text):
    return [w for _, _, w in words(text)]


def parse_query(q):
    """(words, codes): the folded words of `q` in order, without repeats, and the folded
    code-like tokens (whitespace-separated tokens such as ``KLM-ELK-0042``)."""
    q = q or ""
    codes = []
    for token in q.split():
        token = token.strip(",;:()[]\"'")
        if CODE.match(token):
            folded = fold(token)
            if folded not in codes:
                codes.append(folded)
    seen = []
    for w in fold_words(q):
        if w not in seen:
            seen.append(w)
    return seen[:MAX_QUERY_WORDS], codes


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
    """Does query word `term` match document word `word` (both folded)?"""
    if word == term:
        return True
    if prefix and len(term) >= MIN_PREFIX_LENGTH and word.startswith(term):
        return True
    return len(term) >= MIN_TYPO_LENGTH and one_edit(term, word)


class Matcher:
    """The query's words and codes, ready to test document words quickly: exact words and
    their one-edit variants in one set (computed once per query), prefixes in one regex."""

    def __init__(self, terms, codes=()):
        self.terms = list(terms)
        self.codes = list(codes)
        self.words = set(self.terms)
        for t in self.terms:
            self.words |= typo_variants(t)
        prefixes = sorted({t for t in self.terms if len(t) >= MIN_PREFIX_LENGTH})
        self.prefix = re.compile("|".join(map(re.escape, prefixes))).match if prefixes else None

    def __call__(self, word):
        return word in self.words or bool(self.prefix and self.prefix(word))

    def hits(self, tokens):
        """The tokens (a set) that match."""
        found = tokens & self.words
        if self.prefix:
            found.update(filter(self.prefix, tokens - found))
        return found


def match_spans(text, terms, codes=(), matcher=None):
    """[(start, end)] of the words of `text` that match a query term, and of the exact
    occurrences of a code."""
    matcher = matcher or Matcher(terms, codes)
    folded = fold(text or "")
    found = matcher.hits(set(WORD.findall(folded)))
    spans = ([(m.start(), m.end()) for m in WORD.finditer(folded) if m.group() in found]
             if found else [])
    for code in matcher.codes:
        i = folded.find(code)
        while i >= 0:
            spans.append((i, i + len(code)))
            i = folded.find(code, i + 1)
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


def highlight(doc, q, fields, matcher=None):
    """{field: {"snippet": html, "matches": [[start, end], ...]}} for the fields of `doc`
    (original text) in which the query matches."""
    if matcher is None:
        matcher = Matcher(*parse_query(q))
    out = {}
    for field in fields:
        value = doc.get(field)
        if isinstance(value, list):
            value = "\n".join(value)
        if not value:
            continue
        spans = match_spans(value, None, matcher=matcher)
        if spans:
            out[field] = {"snippet": snippet(value, spans), "matches": [list(s) for s in spans]}
    return out

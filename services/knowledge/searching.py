"""Search and suggestions on top of an engine: exact code hits first, then the engine's ranked
hits — articles with every query word, then those with most of them — each with snippets of
the original text (analysis.highlight). Plain Python."""
import contextlib
import logging

from services.common.exceptions import ServiceUnavailable, ServisError
from services.knowledge.analysis import Matcher, highlight, parse_query
from services.knowledge.engines.base import EngineQuery

log = logging.getLogger(__name__)

HIGHLIGHT_FIELDS = ("title", "symptoms", "cause", "solution_steps", "fault_codes", "tags")
SUMMARY_FIELDS = ("id", "code", "title", "status", "language", "device_types", "models",
                  "fault_codes", "tags", "solved_count", "updated_at")


def hit(doc, q, code_match=False, matcher=None):
    return {**{k: doc.get(k) for k in SUMMARY_FIELDS}, "code_match": code_match,
            "highlights": highlight(doc, q, HIGHLIGHT_FIELDS, matcher) if matcher else {}}


def search(engine, q=None, device_type=None, model=None, fault_code=None, status="published",
           limit=20, match="most", snippets=True):
    """Ranked hits: articles whose code or a fault code is a query token come first, then the
    engine's (EngineQuery.match: "most" — every word first, then most of them — or "all").
    `snippets=False` leaves the highlights out (the benchmark's engine-only time)."""
    words, codes = parse_query(q)
    if q and q.strip() and not words and not codes:
        return []  # "!!!" or "🔥" asks for nothing searchable: no hits, not the whole archive
    query = EngineQuery(words=words, device_type=device_type, model=model,
                        fault_code=fault_code, status=status, limit=limit, match=match)
    matcher = Matcher(words, codes) if snippets else None
    hits, seen = [], set()
    for doc in engine.find_codes(codes, query):
        seen.add(doc["id"])
        hits.append(hit(doc, q, code_match=True, matcher=matcher))
    if len(hits) < limit and (words or not codes):
        for doc in engine.search(query):
            if doc["id"] not in seen and len(hits) < limit:
                seen.add(doc["id"])
                hits.append(hit(doc, q, matcher=matcher))
    return hits


def suggest(engine, complaint=None, device_type=None, model=None, limit=5):
    """Published articles for a form: its complaint's words (the more of them, the higher; the
    same analysis as search: stems, prefixes, typos, codes), preferring articles for the same
    device type and model, then the same type, then any."""
    words, _ = parse_query(complaint)
    if not words and not device_type:
        return []
    tiers = []
    if device_type and model:
        tiers.append({"device_type": device_type, "model": model})
    if device_type:
        tiers.append({"device_type": device_type})
    if words:
        tiers.append({})
    hits, seen = [], set()
    for filters in tiers:
        for h in search(engine, complaint, status="published", limit=limit, **filters):
            if h["id"] not in seen and len(hits) < limit:
                seen.add(h["id"])
                hits.append(h)
        if len(hits) >= limit:
            break
    return hits


@contextlib.contextmanager
def engine_errors(engine):
    """An engine that fails (Meilisearch away) is a 503 naming it, not a 500."""
    try:
        yield
    except ServisError:
        raise
    except Exception:
        log.exception("search engine %s failed", engine.name)
        raise ServiceUnavailable("The search engine is not answering; try again shortly.",
                                 {"engine": engine.name})

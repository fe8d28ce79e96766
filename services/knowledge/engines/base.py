"""The interface every search engine implements, and the query it is given."""
from dataclasses import dataclass

SYNONYMS = {  # folded; used by the Meilisearch settings (the embedded engine has none yet)
    "klima": ["air conditioner", "split"],
    "kombi": ["boiler"],
    "ariza": ["fault", "failure"],
    "kompresor": ["compressor"],
    "termostat": ["thermostat"],
    "fotokopi": ["copier", "photocopier"],
}


@dataclass
class EngineQuery:
    """What to find. `words`: folded query words (analysis.parse_query); `match`: "all" (every
    word must match) or "any" (the more words match, the higher; suggestions use it).
    Filters compare folded values; `status` None means every status."""
    words: list
    device_type: str | None = None
    model: str | None = None
    fault_code: str | None = None
    status: str | None = "published"
    limit: int = 20
    match: str = "all"


class SearchEngine:
    """Documents are domain.search_document() dicts; an engine keeps their original text (for
    snippets) and a folded copy (for matching), and answers with documents in rank order."""
    name = "engine"

    def setup(self):
        """Create the index / apply its settings (idempotent)."""

    def upsert(self, docs):
        """Add or replace documents by id."""
        raise NotImplementedError

    def delete(self, ids):
        raise NotImplementedError

    def clear(self):
        """Remove every document (a reindex starts here)."""
        raise NotImplementedError

    def search(self, query: EngineQuery) -> list:
        """Documents matching the words (typo-tolerant, prefix), best first."""
        raise NotImplementedError

    def find_codes(self, codes, query: EngineQuery) -> list:
        """Documents whose article code or a fault code equals one of `codes` (folded),
        within the query's filters."""
        raise NotImplementedError

    def wait(self):
        """Return once every write made so far is visible to search."""

    def count(self):
        raise NotImplementedError

    def close(self):
        pass

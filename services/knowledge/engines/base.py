"""The interface every search engine implements, and the query it is given."""
from dataclasses import dataclass

from services.common.text import fold
from services.knowledge.analysis import inflections, terms_of

# Nouns of the trade whose inflected forms Meilisearch, which cannot stem Turkish, gets as
# synonyms (pompası, pompanın, pompalarda … → pompa). The embedded engines stem every word.
COMMON_NOUNS = """arıza hata kod kompresör pompa motor kart anakart ekran valf vana fan filtre
termostat sensör kablo sigorta conta kazan brülör kondansatör röle panel kumanda hortum boru
tambur toner kâğıt rulo ısıtıcı adaptör soket priz fiş lamba gösterge düğme tuş yazılım voltaj
basınç sıcaklık gaz kapak kapı cihaz makine ünite klima kombi fırın ses ışık kaçak titreşim
gürültü kayış rulman piston bobin devre elektrot şamandıra drenaj tahliye evaporatör kondenser
fotosel batarya pil yazıcı tarayıcı fotokopi""".split()


def _inflection_synonyms(nouns):
    out = {}
    for noun in nouns:
        for form in inflections(noun):
            out.setdefault(form, []).append(fold(noun))
    return out


SYNONYMS = {  # folded; used by the Meilisearch settings (the embedded engines stem instead)
    **_inflection_synonyms(COMMON_NOUNS),
    "klima": ["air conditioner", "split"],
    "kombi": ["boiler"],
    "ariza": ["fault", "failure"],
    "kompresor": ["compressor"],
    "termostat": ["thermostat"],
    "fotokopi": ["copier", "photocopier"],
}


@dataclass
class EngineQuery:
    """What to find. `words`: the query's words, analysis.Terms (folded, with stem keys; plain
    strings are made Terms); `match`: "most" (articles with every word first, then — when
    fewer than `limit` have them all — those with most of them, ranked by how many and then
    by score: Meilisearch's matching strategy "last" in spirit) or "all" (every word must
    match). Filters compare folded values (`fault_code` by analysis.code_key); `status` None
    means every status."""
    words: list
    device_type: str | None = None
    model: str | None = None
    fault_code: str | None = None
    status: str | None = "published"
    limit: int = 20
    match: str = "most"

    def __post_init__(self):
        self.words = terms_of(self.words)


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
        """Documents matching the words, best first: per word exact above prefix above a
        shared stem above one edit (analysis.term_matches); see EngineQuery.match."""
        raise NotImplementedError

    def find_codes(self, codes, query: EngineQuery) -> list:
        """Documents whose article code or a fault code has one of the code keys `codes`
        (analysis.code_key), within the query's filters; article codes first."""
        raise NotImplementedError

    def wait(self):
        """Return once every write made so far is visible to search."""

    def count(self):
        raise NotImplementedError

    def close(self):
        pass

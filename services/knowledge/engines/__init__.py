"""Search engines of the knowledge archive, behind one interface (base.SearchEngine).

``make_engine(settings)`` picks one by configuration (a KnowledgeSettings, or a config mapping
read as one): the Meilisearch adapter when MEILI_URL is set, else the embedded engine in
DATA_DIR: tantivy (the default, a directory) or SQLite FTS5 (KNOWLEDGE_ENGINE=fts5, a file);
KNOWLEDGE_INDEX_PATH overrides the location.
"""
from services.knowledge.engines.base import EngineQuery, SearchEngine  # noqa: F401
from services.knowledge.settings import KnowledgeSettings


def make_engine(settings):
    if not isinstance(settings, KnowledgeSettings):
        settings = KnowledgeSettings.from_config(settings)
    if settings.meili_url:
        from services.knowledge.engines.meili import MeiliEngine
        return MeiliEngine(settings.meili_url, api_key=settings.meili_api_key,
                           index_uid=settings.meili_index, timeout=settings.meili_timeout)
    if settings.engine == "fts5":
        from services.knowledge.engines.embedded import EmbeddedEngine
        return EmbeddedEngine(settings.index_path, rank_window=settings.rank_window)
    from services.knowledge.engines.tantivy_engine import TantivyEngine
    return TantivyEngine(settings.index_path)

"""Search engines of the knowledge archive, behind one interface (base.SearchEngine).

``make_engine(config)`` picks one by configuration: the Meilisearch adapter when MEILI_URL is
set, else the embedded engine in DATA_DIR: tantivy (the default, a directory) or SQLite FTS5
(KNOWLEDGE_ENGINE=fts5, a file); KNOWLEDGE_INDEX_PATH overrides the location.
"""
import os

from services.knowledge.engines.base import EngineQuery, SearchEngine  # noqa: F401


def make_engine(config):
    meili_url = config.get("MEILI_URL") or os.environ.get("MEILI_URL")
    if meili_url:
        from services.knowledge.engines.meili import MeiliEngine
        return MeiliEngine(meili_url, api_key=config.get("MEILI_API_KEY")
                           or os.environ.get("MEILI_API_KEY") or None,
                           index_uid=config.get("MEILI_INDEX") or "knowledge_articles",
                           timeout=float(config.get("MEILI_TIMEOUT") or 5))
    data_dir = config.get("DATA_DIR") or os.environ.get("DATA_DIR") or "./data"
    path = config.get("KNOWLEDGE_INDEX_PATH") or os.environ.get("KNOWLEDGE_INDEX_PATH")
    kind = (config.get("KNOWLEDGE_ENGINE") or os.environ.get("KNOWLEDGE_ENGINE")
            or "tantivy").lower()
    if kind == "fts5":
        from services.knowledge.engines.embedded import EmbeddedEngine
        window = int(config.get("KNOWLEDGE_RANK_WINDOW")
                     or os.environ.get("KNOWLEDGE_RANK_WINDOW") or 500)
        return EmbeddedEngine(os.path.abspath(path or os.path.join(
            data_dir, "knowledge-index.sqlite")), rank_window=window)
    if kind != "tantivy":
        raise ValueError(f"KNOWLEDGE_ENGINE must be tantivy or fts5, not {kind!r}")
    from services.knowledge.engines.tantivy_engine import TantivyEngine
    return TantivyEngine(os.path.abspath(path or os.path.join(
        data_dir, "knowledge-index.tantivy")))

"""Search engines of the knowledge archive, behind one interface (base.SearchEngine).

``make_engine(config)`` picks one by configuration: the Meilisearch adapter when MEILI_URL is
set, else the embedded SQLite FTS5 engine in DATA_DIR (KNOWLEDGE_INDEX_PATH overrides the file).
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
    from services.knowledge.engines.embedded import EmbeddedEngine
    path = config.get("KNOWLEDGE_INDEX_PATH") or os.environ.get("KNOWLEDGE_INDEX_PATH")
    if not path:
        data_dir = config.get("DATA_DIR") or os.environ.get("DATA_DIR") or "./data"
        path = os.path.join(data_dir, "knowledge-index.sqlite")
    window = int(config.get("KNOWLEDGE_RANK_WINDOW") or os.environ.get("KNOWLEDGE_RANK_WINDOW")
                 or 500)
    return EmbeddedEngine(os.path.abspath(path), rank_window=window)

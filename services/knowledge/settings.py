"""knowledge's settings (config.yaml, each `${ENV:default}`), parsed once at start by the
search index. The engine's settings fall back to the environment, so the reindex command and
tests that pass a bare mapping pick the same engine as the service."""
import os
from dataclasses import dataclass

from services.common.settings import SettingError, setting

ENGINES = ("tantivy", "fts5")  # the embedded ones; Meilisearch when meili_url is set


@dataclass(frozen=True)
class KnowledgeSettings:
    index_poll_seconds: float = 2.0  # the indexer's look at index_queue, for rows left behind
    engine: str = "tantivy"
    index_path: str | None = None  # the embedded index (absolute); default in DATA_DIR
    rank_window: int = 500  # fts5 only: matches BM25 ranks per query
    meili_url: str | None = None
    meili_api_key: str | None = None
    meili_index: str = "knowledge_articles"
    meili_timeout: float = 5.0

    @classmethod
    def from_config(cls, config):
        def read(name, default, kind=str):  # the config's value, else the environment's
            return setting({name: config.get(name) or os.environ.get(name)}, name, default, kind)

        meili_url = read("MEILI_URL", None)
        kind = read("KNOWLEDGE_ENGINE", "tantivy").lower()
        if not meili_url and kind not in ENGINES:
            raise SettingError(f"KNOWLEDGE_ENGINE must be tantivy or fts5, not {kind!r}")
        default_file = "knowledge-index.sqlite" if kind == "fts5" else "knowledge-index.tantivy"
        return cls(
            index_poll_seconds=setting(config, "INDEX_POLL_SECONDS", 2.0, float),
            engine="meilisearch" if meili_url else kind,
            index_path=os.path.abspath(read("KNOWLEDGE_INDEX_PATH", None) or os.path.join(
                read("DATA_DIR", "./data"), default_file)),
            rank_window=read("KNOWLEDGE_RANK_WINDOW", 500, int) or 500,
            meili_url=meili_url,
            meili_api_key=read("MEILI_API_KEY", None),
            meili_index=setting(config, "MEILI_INDEX", "knowledge_articles"),
            meili_timeout=setting(config, "MEILI_TIMEOUT", 5.0, float) or 5.0)

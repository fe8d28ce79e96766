"""The search index follows the database through `index_queue` (the index's outbox).

Every change to an article writes its id to `index_queue` in the same transaction. The
`SearchIndex` dependency brings the engine up to date with the queue: at once after the RPC
commits (`flush()`, so the writer sees its change in search), and in a background loop every
INDEX_POLL_SECONDS (rows left by a crash, or by an engine that was away: Meilisearch down).
Each row only names an article; the indexer reads the article's current state, so processing
a row twice, or late, converges on the database. `reindex()` rebuilds the whole index from the
articles table.
"""
import logging
import threading

from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from services.common.loop import BackgroundLoop
from services.knowledge.domain import search_document
from services.knowledge.engines import make_engine
from services.knowledge.models import Article, IndexQueue
from services.knowledge.settings import KnowledgeSettings

log = logging.getLogger(__name__)
BATCH = 500


def sync_queue(Session, engine, batch=BATCH):
    """Apply one batch of the queue to `engine`; return how many rows were done."""
    with Session() as session:
        rows = session.execute(select(IndexQueue.id, IndexQueue.article_id)
                               .order_by(IndexQueue.id).limit(batch)).all()
        if not rows:
            return 0
        ids = sorted({r.article_id for r in rows})
        articles = session.scalars(select(Article).where(Article.id.in_(ids))).all()
        docs = [search_document(a) for a in articles]
    found = {d["id"] for d in docs}
    if docs:
        engine.upsert(docs)
    gone = [i for i in ids if i not in found]
    if gone:
        engine.delete(gone)
    engine.wait()  # Meilisearch queues tasks: the rows go only once the index has the change
    with Session() as session, session.begin():
        session.execute(delete(IndexQueue).where(IndexQueue.id.in_([r.id for r in rows])))
    return len(rows)


def reindex(Session, engine, batch=1000, progress=None):
    """Rebuild the index from the articles table; return the number of articles indexed."""
    with Session() as session:
        upto = session.scalar(select(func.max(IndexQueue.id))) or 0
    engine.setup()
    engine.clear()
    done, last_id = 0, 0
    while True:
        with Session() as session:
            articles = session.scalars(select(Article).where(Article.id > last_id)
                                       .order_by(Article.id).limit(batch)).all()
            docs = [search_document(a) for a in articles]
        if not docs:
            break
        engine.upsert(docs)
        done += len(docs)
        last_id = docs[-1]["id"]
        if progress:
            progress(done)
    with Session() as session, session.begin():  # what changed since is in the queue still
        session.execute(delete(IndexQueue).where(IndexQueue.id <= upto))
    engine.wait()
    return done


class SearchIndex(BackgroundLoop):
    """Gives workers the engine; keeps it following index_queue."""

    def __init__(self, database_attr="db"):
        super().__init__()
        self.database_attr = database_attr
        self.engine = None
        self.ready = False
        self.checked = False
        self.sync_lock = threading.Lock()

    def setup(self):
        settings = KnowledgeSettings.from_config(self.container.config)
        self.poll_seconds = settings.index_poll_seconds
        self.database = self.provider(self.database_attr)
        self.engine = make_engine(settings)
        self._setup_engine()

    def _setup_engine(self):
        try:
            self.engine.setup()
            self.ready = True
        except Exception:  # Meilisearch away: the loop tries again
            log.exception("search engine setup failed; will retry")

    def stop(self):
        super().stop()
        self.engine.close()

    def get_dependency(self, worker_ctx):
        return self

    def Session(self):
        return sessionmaker(self.database.engine)()

    def step(self):
        if not self.ready:
            self._setup_engine()
            if not self.ready:
                return False
        with self.sync_lock:
            if not self.checked:
                self._rebuild_if_empty()
            return sync_queue(self.Session, self.engine) == BATCH

    def _rebuild_if_empty(self):
        """An empty index beside a database with articles (a new or deleted index file, a new
        Meilisearch) is rebuilt at start."""
        with self.Session() as session:
            has_articles = session.scalar(select(Article.id).limit(1)) is not None
        if has_articles and self.engine.count() == 0:
            log.warning("the search index is empty: rebuilding it from the database")
            reindex(self.Session, self.engine)
        self.checked = True

    def flush(self):
        """Index what the queue holds now; an engine error is logged (the loop retries)."""
        try:
            while self.step():
                pass
        except Exception:
            log.exception("indexing failed; the background loop will retry")

    def reindex(self):
        with self.sync_lock:
            return reindex(self.Session, self.engine)

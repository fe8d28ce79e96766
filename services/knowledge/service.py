"""knowledge: the technical knowledge archive (teknik bilgi arşivi) and its search index.

The nameko entrypoints only load the input, call the application layer (articles.py for every
write, queries.py for reads from the database, searching.py over the index's engine), commit,
bring the index up to date, and answer."""
from services.common.db import Database
from services.common.erasure import needles_of, scrub, settle
from services.common.handlers import handles
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.personal import Subject
from services.common.rpc import rpc
from services.common.schemas import load
from services.knowledge import searching
from services.knowledge.articles import Articles
from services.knowledge.indexer import SearchIndex
from services.knowledge.models import Base, IndexQueue
from services.knowledge.queries import ArticleQueries, article_out, personal_data
from services.knowledge.schemas import (Actor, ArticleIn, ArticleQuery, ArticleUpdate, LinkIn,
                                        SearchQuery, StatusIn, SuggestIn, Versioned)

# an edit sends only what it changes; the version it read is always required
UPDATABLE = tuple(f for f in ArticleUpdate().fields if f != "version")


class KnowledgeService:
    name = "knowledge"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata)
    outbox = Outbox("db")
    index = SearchIndex("db")

    @property
    def articles(self):
        return Articles(self.db, self.outbox.emitter(self.db))

    @property
    def queries(self):
        return ArticleQueries(self.db)

    def _commit(self):
        """Commit the write; the writer then finds their change in search at once."""
        self.db.commit()
        self.index.flush()

    def _written(self, article):
        self._commit()
        return article_out(article)

    @rpc
    def ping(self):
        return "knowledge"

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        """KVKK: the person's strings scrubbed from knowledge's text (services/common/erasure.py;
        an article that named them is changed in place, without a revision, and indexed
        again)."""
        self._erase(event)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        """KVKK: a contact person's strings scrubbed the same way (articles indexed again)."""
        self._erase(event)

    def _erase(self, event):
        changed = scrub(self.db, Base.metadata, needles_of(event["personal"], event["marker"]))
        self.db.add_all(IndexQueue(article_id=key[0]) for table, key in sorted(changed)
                        if table == "articles")
        self.db.commit()
        settle(self.db)

    @rpc
    def personal_data(self, subject):
        """Solutions recorded on a customer's forms (KVKK export; services/common/personal.py)."""
        return personal_data(self.db, load(Subject, subject))

    # -- articles --------------------------------------------------------------------------
    @rpc
    def create_article(self, data, actor):
        actor, data = load(Actor, actor), load(ArticleIn, data)
        return self._written(self.articles.create(data, actor))

    @rpc
    def get_article(self, article_id):
        return self.queries.article(article_id)

    @rpc
    def list_articles(self, query=None):
        return self.queries.list(load(ArticleQuery, query or {}))

    @rpc
    def update_article(self, article_id, data, actor):
        actor = load(Actor, actor)
        data = load(ArticleUpdate, data, partial=UPDATABLE)
        return self._written(self.articles.update(article_id, data, actor))

    @rpc
    def set_status(self, article_id, data, actor):
        """draft → published → archived (domain.TRANSITIONS); publishing sends article_published."""
        actor, data = load(Actor, actor), load(StatusIn, data)
        return self._written(self.articles.set_status(article_id, data, actor))

    @rpc
    def delete_article(self, article_id, actor, data=None):
        actor, data = load(Actor, actor), load(Versioned, data)
        article = self.articles.delete(article_id, actor, data["version"])
        self._commit()
        return {"id": article.id, "deleted": True}

    @rpc
    def revisions(self, article_id):
        return self.queries.revisions(article_id)

    # -- search ----------------------------------------------------------------------------
    @rpc
    def search(self, query=None):
        query = load(SearchQuery, query or {})
        self.db.close()  # no session held while the engine works
        engine = self.index.engine
        with searching.engine_errors(engine):
            hits = searching.search(engine, **query)
        return {"hits": hits, "engine": engine.name}

    @rpc
    def suggest(self, data=None):
        """The published articles that best match a form's complaint, device type and model."""
        data = load(SuggestIn, data or {})
        self.db.close()
        with searching.engine_errors(self.index.engine):
            return {"items": searching.suggest(self.index.engine, **data)}

    @rpc
    def reindex(self):
        """Rebuild the search index from the database."""
        return {"indexed": self.index.reindex(), "engine": self.index.engine.name}

    # -- solutions: articles linked to service forms --------------------------------------
    @rpc
    def link_solution(self, data, actor):
        actor, data = load(Actor, actor), load(LinkIn, data)
        link = self.articles.link_solution(data, actor)
        self._commit()
        return self.queries.link(link)

    @rpc
    def unlink_solution(self, article_id, form_id, actor):
        load(Actor, actor)
        self.articles.unlink_solution(article_id, form_id)
        self._commit()
        return {"article_id": article_id, "form_id": form_id, "deleted": True}

    @rpc
    def solutions_for_form(self, form_id):
        return self.queries.solutions_for_form(form_id)

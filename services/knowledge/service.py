"""knowledge: the technical knowledge archive (teknik bilgi arşivi) and its search index."""
import contextlib
import logging
from datetime import datetime

from sqlalchemy import and_, or_, select, text
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.common.exceptions import (Conflict, Forbidden, NotFound, ServiceUnavailable,
                                       ServisError, ValidationFailed)
from services.common.models import utcnow
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, encode_cursor, is_id, load
from services.common.text import sort_key
from services.knowledge import domain, searching
from services.knowledge.indexer import SearchIndex
from services.knowledge.models import Article, Base, IndexQueue, Revision, SolutionLink
from services.knowledge.schemas import (Actor, ArticleIn, ArticleOut, ArticleQuery,
                                        ArticleUpdate, LinkIn, LinkOut, RevisionOut,
                                        SearchQuery, StatusIn, SuggestIn)

log = logging.getLogger(__name__)
NEXT_NUMBER = text(
    "INSERT INTO code_sequences (family, area, last) VALUES (:family, :area, 1) "
    "ON CONFLICT (family, area) DO UPDATE SET last = code_sequences.last + 1 RETURNING last")
ARTICLE_OUT, ARTICLES_OUT = ArticleOut(), ArticleOut(many=True)
CONTENT_FIELDS = ("title", "symptoms", "cause", "solution_steps", "device_types", "models",
                  "fault_codes", "tags", "language")
SORTS = {  # sort -> (column, descending, cursor type)
    "title": (Article.title_sort, False, str),
    "code": (Article.code, False, str),
    "-updated_at": (Article.updated_at, True, str),
}


class KnowledgeService:
    name = "knowledge"

    db = Database(Base.metadata)
    outbox = Outbox("db")
    index = SearchIndex("db")

    @rpc
    def ping(self):
        return "knowledge"

    # -- articles --------------------------------------------------------------------------
    @rpc
    def create_article(self, data, actor):
        actor = load(Actor(), actor)
        data = load(ArticleIn(), data)
        if actor["role"] not in domain.WRITERS:
            raise Forbidden("Only technicians, managers and admins write articles.",
                            {"allowed_roles": list(domain.WRITERS)})
        article = Article(status="draft", version=1, author_id=actor["id"],
                          author_name=actor["name"], solved_count=0)
        self._apply(article, data)
        self._assign_code(article, data["family"], data["area"])
        self.db.add(article)
        self.db.flush()
        self._saved(article, "created", actor)
        self.db.commit()
        self.index.flush()
        return ARTICLE_OUT.dump(article)

    @rpc
    def get_article(self, article_id):
        return ARTICLE_OUT.dump(self._article(article_id))

    @rpc
    def list_articles(self, query=None):
        """A page of articles in Turkish title order (or by code, or newest change first)."""
        query = load(ArticleQuery(), query or {})
        column, desc, _ = SORTS[query["sort"]]
        stmt = select(Article)
        for field in ("status", "family", "area"):
            if query[field]:
                stmt = stmt.where(getattr(Article, field) == query[field])
        if query["cursor"]:
            last, last_id = decode_cursor(query["cursor"], str, int)
            if query["sort"] == "-updated_at":
                try:
                    last = datetime.fromisoformat(last)
                    if last.tzinfo is None:  # stored times are UTC and carry their zone
                        raise ValueError
                except ValueError:
                    raise ValidationFailed("The input is not valid.",
                                           {"cursor": ["Invalid cursor."]})
                stmt = stmt.where(or_(column < last, and_(column == last, Article.id < last_id)))
            else:
                stmt = stmt.where(or_(column > last, and_(column == last, Article.id > last_id)))
        order = (column.desc(), Article.id.desc()) if desc else (column, Article.id)
        rows = self.db.scalars(stmt.order_by(*order).limit(query["limit"] + 1)).all()
        page = rows[:query["limit"]]
        next_cursor = None
        if len(rows) > query["limit"]:
            value = getattr(page[-1], column.key)
            next_cursor = encode_cursor([value.isoformat() if desc else value, page[-1].id])
        return {"items": ARTICLES_OUT.dump(page), "next_cursor": next_cursor}

    @rpc
    def update_article(self, article_id, data, actor):
        actor = load(Actor(), actor)
        partial = tuple(f for f in ArticleUpdate().fields if f != "version")
        data = load(ArticleUpdate(), data, partial=partial)
        article = self._article(article_id, for_update=True)
        domain.can_edit(actor, article)
        domain.check_version(article, data["version"])
        prefix = (data.get("family", article.family), data.get("area", article.area))
        if prefix != (article.family, article.area):
            domain.can_change_prefix(actor)
            self._assign_code(article, *prefix)
        self._apply(article, data)
        article.version += 1
        article.updated_at = utcnow()
        self._saved(article, "edited", actor)
        self._commit_version(article)
        return ARTICLE_OUT.dump(article)

    @rpc
    def set_status(self, article_id, data, actor):
        """draft → published → archived (domain.TRANSITIONS); publishing sends article_published."""
        actor = load(Actor(), actor)
        data = load(StatusIn(), data)
        article = self._article(article_id, for_update=True)
        domain.check_transition(actor, article, data["status"])
        domain.check_version(article, data["version"])
        article.status = data["status"]
        article.version += 1
        article.updated_at = utcnow()
        if article.status == "published":
            article.published_at = article.updated_at
            self.outbox.add(self.db, "article_published", {"article": {
                "id": article.id, "code": article.code, "title": article.title}})
        self._saved(article, article.status, actor, note=data["note"])
        self._commit_version(article)
        return ARTICLE_OUT.dump(article)

    @rpc
    def delete_article(self, article_id, actor):
        actor = load(Actor(), actor)
        article = self._article(article_id, for_update=True)
        domain.can_edit(actor, article)
        self.db.delete(article)
        self.db.add(IndexQueue(article_id=article.id))
        self.db.commit()
        self.index.flush()
        return {"id": article.id, "deleted": True}

    @rpc
    def revisions(self, article_id):
        article = self._article(article_id)
        revs = self.db.scalars(select(Revision).where(Revision.article_id == article.id)
                               .order_by(Revision.version.desc(), Revision.id.desc())).all()
        return RevisionOut(many=True).dump(revs)

    # -- search ----------------------------------------------------------------------------
    @rpc
    def search(self, query=None):
        query = load(SearchQuery(), query or {})
        self.db.close()  # no session held while the engine works
        with self._engine_errors():
            hits = searching.search(self.index.engine, **query)
        return {"hits": hits, "engine": self.index.engine.name}

    @rpc
    def suggest(self, data=None):
        """The published articles that best match a form's complaint, device type and model."""
        data = load(SuggestIn(), data or {})
        self.db.close()
        with self._engine_errors():
            return {"items": searching.suggest(self.index.engine, **data)}

    @rpc
    def reindex(self):
        """Rebuild the search index from the database."""
        return {"indexed": self.index.reindex(), "engine": self.index.engine.name}

    # -- solutions: articles linked to service forms --------------------------------------
    @rpc
    def link_solution(self, data, actor):
        actor = load(Actor(), actor)
        data = load(LinkIn(), data)
        article = self._article(data["article_id"], for_update=True)
        if article.status != "published":
            raise Conflict("Only a published article can be a form's solution.",
                           {"article_id": article.id, "status": article.status})
        link = SolutionLink(article_id=article.id, form_id=data["form"]["id"],
                            form_number=data["form"]["number"], by_id=actor["id"],
                            by_name=actor["name"])
        self.db.add(link)
        try:
            self.db.flush()
        except IntegrityError:
            self.db.rollback()
            raise Conflict("This article is already linked to that form.",
                           {"article_id": data["article_id"], "form_id": data["form"]["id"]})
        self._count_solved(article.id, +1)
        self.db.commit()
        self.index.flush()
        self.db.refresh(article)
        return {**LinkOut().dump(link), "solved_count": article.solved_count}

    @rpc
    def unlink_solution(self, article_id, form_id, actor):
        load(Actor(), actor)
        link = None
        if is_id(article_id) and is_id(form_id):
            link = self.db.scalars(select(SolutionLink).where(
                SolutionLink.article_id == article_id, SolutionLink.form_id == form_id)).first()
        if link is None:
            raise NotFound("That article is not linked to that form.",
                           {"article_id": article_id, "form_id": form_id})
        self.db.delete(link)
        self._count_solved(article_id, -1)
        self.db.commit()
        self.index.flush()
        return {"article_id": article_id, "form_id": form_id, "deleted": True}

    @rpc
    def solutions_for_form(self, form_id):
        if not is_id(form_id):
            return {"items": []}
        rows = self.db.execute(select(SolutionLink, Article).join(
            Article, Article.id == SolutionLink.article_id).where(
            SolutionLink.form_id == form_id).order_by(SolutionLink.id)).all()
        return {"items": [{**LinkOut().dump(link), "article": {
            "id": a.id, "code": a.code, "title": a.title, "solved_count": a.solved_count}}
            for link, a in rows]}

    # -- helpers ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _engine_errors(self):
        """An engine that fails (Meilisearch away) is a 503 naming it, not a 500."""
        try:
            yield
        except ServisError:
            raise
        except Exception:
            log.exception("search engine %s failed", self.index.engine.name)
            raise ServiceUnavailable("The search engine is not answering; try again shortly.",
                                     {"engine": self.index.engine.name})

    def _article(self, article_id, for_update=False):
        article = (self.db.get(Article, article_id, with_for_update=for_update)
                   if is_id(article_id) else None)
        if article is None:
            raise NotFound(f"Article {article_id} not found.", {"article_id": article_id})
        return article

    def _apply(self, article, data):
        for field in CONTENT_FIELDS:
            if field in data:
                value = data[field]
                if field in domain.LIST_FIELDS or field == "solution_steps":
                    value = domain.clean_list(value)
                setattr(article, field, value)
        article.title_sort = sort_key(article.title)

    def _assign_code(self, article, family, area):
        number = self.db.execute(NEXT_NUMBER, {"family": family, "area": area}).scalar_one()
        article.family, article.area, article.number = family, area, number
        article.code = domain.format_code(family, area, number)

    def _saved(self, article, action, actor, note=None):
        self.db.flush()
        self.db.add(Revision(article_id=article.id, version=article.version, action=action,
                             snapshot=domain.revision_snapshot(article), by_id=actor["id"],
                             by_name=actor["name"], note=note))
        self.db.add(IndexQueue(article_id=article.id))

    def _commit_version(self, article):
        """The article was read FOR UPDATE (PostgreSQL row lock; SQLite has one writer), so
        the version checked is still the current one here."""
        self.db.commit()
        self.index.flush()

    def _count_solved(self, article_id, delta):
        self.db.execute(text("UPDATE articles SET solved_count = solved_count + :d "
                             "WHERE id = :id"), {"d": delta, "id": article_id})
        self.db.add(IndexQueue(article_id=article_id))

"""The application layer of service knowledge: every write to the archive — articles (create,
edit, status, delete), their codes and revisions, and the solution links with the solved
counts — over one database session, with `emit(event_type, payload)` writing events into the
outbox of the same transaction. The caller commits, then brings the search index up to date
(`SearchIndex.flush()`).

Each change writes the article's id to `index_queue` in its transaction (the index's outbox).
An edit states the version it read; the article is read FOR UPDATE (PostgreSQL's row lock;
SQLite has one writer), so the version checked is still the current one at the commit."""
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from services.common.exceptions import Conflict, Forbidden, NotFound
from services.common.models import utcnow
from services.common.schemas import is_id
from services.common.text import sort_key
from services.knowledge import domain
from services.knowledge.models import Article, IndexQueue, Revision, SolutionLink

NEXT_NUMBER = text(
    "INSERT INTO code_sequences (family, area, last) VALUES (:family, :area, 1) "
    "ON CONFLICT (family, area) DO UPDATE SET last = code_sequences.last + 1 RETURNING last")
CONTENT_FIELDS = ("title", "symptoms", "cause", "solution_steps", "device_types", "models",
                  "fault_codes", "tags", "language")


def find_article(session, article_id, for_update=False):
    article = (session.get(Article, article_id, with_for_update=for_update)
               if is_id(article_id) else None)
    if article is None:
        raise NotFound("Article {article_id} not found.", {"article_id": article_id})
    return article


class Articles:
    def __init__(self, session, emit):
        self.db, self.emit = session, emit

    # -- articles --------------------------------------------------------------------------
    def create(self, data, actor):
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
        return article

    def update(self, article_id, data, actor):
        article = find_article(self.db, article_id, for_update=True)
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
        return article

    def set_status(self, article_id, data, actor):
        """draft → published → archived (domain.TRANSITIONS); publishing sends
        article_published."""
        article = find_article(self.db, article_id, for_update=True)
        domain.check_transition(actor, article, data["status"])
        domain.check_version(article, data["version"])
        article.status = data["status"]
        article.version += 1
        article.updated_at = utcnow()
        if article.status == "published":
            article.published_at = article.updated_at
            self.emit("article_published", {"article": {
                "id": article.id, "code": article.code, "title": article.title}})
        self._saved(article, article.status, actor, note=data["note"])
        return article

    def delete(self, article_id, actor, version):
        article = find_article(self.db, article_id, for_update=True)
        domain.can_edit(actor, article)
        domain.check_version(article, version)
        self.db.delete(article)
        self.db.add(IndexQueue(article_id=article.id))
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

    # -- solutions: articles linked to service forms ---------------------------------------
    def link_solution(self, data, actor):
        """Record a published article as a form's solution; its solved count goes up."""
        article = find_article(self.db, data["article_id"], for_update=True)
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
        return link

    def unlink_solution(self, article_id, form_id):
        link = None
        if is_id(article_id) and is_id(form_id):
            link = self.db.scalars(select(SolutionLink).where(
                SolutionLink.article_id == article_id, SolutionLink.form_id == form_id)).first()
        if link is None:
            raise NotFound("That article is not linked to that form.",
                           {"article_id": article_id, "form_id": form_id})
        self.db.delete(link)
        self._count_solved(article_id, -1)

    def _count_solved(self, article_id, delta):
        self.db.execute(text("UPDATE articles SET solved_count = solved_count + :d "
                             "WHERE id = :id"), {"d": delta, "id": article_id})
        self.db.add(IndexQueue(article_id=article_id))

"""Reads of the knowledge archive from its database: an article, the list (paged and sorted),
its revisions, and the solutions linked to a form. Search reads the index (searching.py).
Nothing here writes."""
from datetime import datetime

from sqlalchemy import and_, or_, select

from services.common.exceptions import invalid
from services.common.personal import rows
from services.common.schemas import INVALID_CURSOR, decode_cursor, encode_cursor, is_id
from services.knowledge.articles import find_article
from services.knowledge.models import Article, Revision, SolutionLink
from services.knowledge.schemas import ArticleOut, LinkOut, RevisionOut

ARTICLE_OUT, ARTICLES_OUT = ArticleOut(), ArticleOut(many=True)
LINK_OUT, REVISIONS_OUT = LinkOut(), RevisionOut(many=True)
SORTS = {  # sort -> (column, descending, cursor type)
    "title": (Article.title_sort, False, str),
    "code": (Article.code, False, str),
    "-updated_at": (Article.updated_at, True, str),
}


def article_out(article):
    return ARTICLE_OUT.dump(article)


class ArticleQueries:
    def __init__(self, session):
        self.db = session

    def article(self, article_id):
        return article_out(find_article(self.db, article_id))

    def list(self, query):
        """A page of articles in Turkish title order (or by code, or newest change first)."""
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
                    raise invalid(cursor=[INVALID_CURSOR])
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

    def revisions(self, article_id):
        article = find_article(self.db, article_id)
        revs = self.db.scalars(select(Revision).where(Revision.article_id == article.id)
                               .order_by(Revision.version.desc(), Revision.id.desc())).all()
        return REVISIONS_OUT.dump(revs)

    def link(self, link):
        """A solution link with its article's solved count as stored now."""
        solved = self.db.scalar(select(Article.solved_count).where(
            Article.id == link.article_id))
        return {**LINK_OUT.dump(link), "solved_count": solved}

    def solutions_for_form(self, form_id):
        if not is_id(form_id):
            return {"items": []}
        rows = self.db.execute(select(SolutionLink, Article).join(
            Article, Article.id == SolutionLink.article_id).where(
            SolutionLink.form_id == form_id).order_by(SolutionLink.id)).all()
        return {"items": [{**LINK_OUT.dump(link), "article": {
            "id": a.id, "code": a.code, "title": a.title, "solved_count": a.solved_count}}
            for link, a in rows]}


def personal_data(session, subject):
    """What knowledge holds about a customer (KVKK export): which articles were recorded as
    the solution of their forms (articles themselves are about devices, not people)."""
    return {"solution_links": rows(session, SolutionLink,
                                   SolutionLink.form_id.in_(subject["form_ids"]))}

"""knowledge's KVKK erasure (`customer_erased`) on a real database: an article's text that
named the person is scrubbed, nothing else changes."""
import json

from services.common.erasure import MARKER
from services.common.events import make_event
from services.common.testing import application, file_holds, strings_held
from services.knowledge.models import Article, Base, IndexQueue, Revision
from services.knowledge.service import KnowledgeService

NEEDLES = ("Ayşe Yılmazoğlu", "0532 111 22 33")


def test_an_article_that_named_the_person_is_scrubbed(database_url):
    service, engine = application(KnowledgeService, database_url("knowledge"), None,
                                  Base.metadata)
    try:
        service.db.add_all([
            Article(code="SOG-KLM-0001", family="SOG", area="KLM", number=1,
                    title="Kompresör (Ayşe Yılmazoğlu vakası)", title_sort="kompresor",
                    symptoms="Müşteri 0532 111 22 33 aradı", status="published"),
            Article(code="SOG-KLM-0002", family="SOG", area="KLM", number=2,
                    title="Fan", title_sort="fan", status="published")])
        service.db.commit()
        assert strings_held(engine, NEEDLES)
        service.handle_customer_erased(json.loads(json.dumps(make_event(
            "customer_erased", "devices", {"customer_id": 7, "marker": MARKER,
                                           "personal": list(NEEDLES)}))))
        titles = [a.title for a in service.db.query(Article).order_by(Article.id)]
        assert titles == [f"Kompresör ({MARKER} vakası)", "Fan"]
        first = service.db.query(Article).filter(Article.number == 1).one()
        assert [q.article_id for q in service.db.query(IndexQueue)] == [first.id]  # reindexed
        service.db.commit()
        assert strings_held(engine, NEEDLES) == []
        assert file_holds(str(engine.url), NEEDLES) == []
    finally:
        service.db.close()
        engine.dispose()


def test_a_contact_persons_erasure_scrubs_an_article(database_url):
    service, engine = application(KnowledgeService, database_url("knowledge"), None,
                                  Base.metadata)
    try:
        service.db.add(Article(code="SOG-KLM-0001", family="SOG", area="KLM", number=1,
                               title="Fan", title_sort="fan", status="published",
                               symptoms="Yetkili Can Özdemir aradı"))
        service.db.commit()
        service.handle_contact_erased(json.loads(json.dumps(make_event(
            "contact_erased", "devices", {"customer_id": 7, "contact_id": 2, "marker": MARKER,
                                          "personal": ["Can Özdemir"]}))))
        article = service.db.query(Article).one()
        assert article.symptoms == f"Yetkili {MARKER} aradı"
        assert [q.article_id for q in service.db.query(IndexQueue)] == [article.id]
        service.db.commit()
        assert strings_held(engine, ("Can Özdemir",)) == []
    finally:
        service.db.close()
        engine.dispose()


def test_json_columns_are_scrubbed_too(database_url):
    """An article's steps (a JSON list) and a revision's snapshot (a JSON object) naming the
    person: scrubbed in every string they hold, keys included (SQLite stores them escaped —
    `\\u015f` — so the scrub reads them as JSON, not by LIKE)."""
    service, engine = application(KnowledgeService, database_url("knowledge"), None,
                                  Base.metadata)
    try:
        article = Article(code="SOG-KLM-0003", family="SOG", area="KLM", number=3,
                          title="Fan", title_sort="fan", status="published",
                          solution_steps=["Ayşe Yılmazoğlu'nu ara", "0532 111 22 33 numarası"],
                          tags=["fan"])
        service.db.add(article)
        service.db.flush()
        service.db.add(Revision(article_id=article.id, version=1, action="created",
                                snapshot={"title": "Fan", "steps": ["Ayşe Yılmazoğlu"],
                                          "Ayşe Yılmazoğlu": {"n": 1}}))
        service.db.commit()
        service.handle_customer_erased(json.loads(json.dumps(make_event(
            "customer_erased", "devices", {"customer_id": 7, "marker": MARKER,
                                           "personal": list(NEEDLES)}))))
        service.db.expire_all()
        article = service.db.query(Article).filter(Article.number == 3).one()
        assert article.solution_steps == [f"{MARKER}'nu ara", f"{MARKER} numarası"]
        assert article.tags == ["fan"]
        snapshot = service.db.query(Revision).one().snapshot
        assert snapshot == {"title": "Fan", "steps": [MARKER], MARKER: {"n": 1}}
        assert [q.article_id for q in service.db.query(IndexQueue)] == [article.id]
        service.db.commit()
        assert strings_held(engine, NEEDLES) == []
        assert file_holds(str(engine.url), NEEDLES) == []
    finally:
        service.db.close()
        engine.dispose()

"""knowledge's `personal_data` (KVKK export) on a real database: the solutions recorded on the
customer's forms, nothing else."""
from sqlalchemy.orm import Session

from services.common.db import make_engine
from services.common.personal import Subject
from services.knowledge.models import Article, Base, SolutionLink
from services.knowledge.queries import personal_data


def test_the_solutions_of_the_customers_forms(database_url):
    engine = make_engine(database_url("knowledge"))
    Base.metadata.create_all(engine)
    try:
        with Session(engine) as s:
            article = Article(code="SOG-KLM-0001", family="SOG", area="KLM", number=1,
                              title="Kompresör", title_sort="kompresor", status="published")
            s.add(article)
            s.flush()
            s.add_all([SolutionLink(article_id=article.id, form_id=11, form_number="SF-1"),
                       SolutionLink(article_id=article.id, form_id=99, form_number="SF-9")])
            s.commit()
            held = personal_data(s, Subject().load({"customer_id": 7, "form_ids": [11, 12]}))
        assert [(h["form_id"], h["form_number"]) for h in held["solution_links"]] == [
            (11, "SF-1")]
    finally:
        engine.dispose()

"""forms' application layer on a real database (SQLite, and PostgreSQL when one answers) with
a recording outbox and no broker: the service's own entrypoints called in-process (load, the
application layer, commit, dump), as nameko's worker_factory does. The rules of versions,
roles, lists and paging, revenue and the satisfaction call live here; the service layer
(../test_workflow.py) keeps what needs the broker and the devices service."""
import itertools
from decimal import Decimal

import pytest

from services.common.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from services.common.schemas import load
from services.common.testing import application, document_handle
from services.forms.catalogues import seed_catalogue
from services.forms.domain import local_date
from services.forms.documents import TEMPLATES, Contexts
from services.forms.models import Base, Document, DocumentTemplate
from services.forms.schemas import FormIn
from services.forms.service import FormsService
from services.forms.settings import FormsSettings
from services.forms.tests.service.test_workflow import (CONFIG, DESK, MANAGER, REP, TECH, TECH2,
                                                snap)

NO_COVER = {"kind": "none", "end": None, "source_id": None,
            "reason": {"tr": "Kapsam dışı", "en": "Not covered"}}


class Forms:
    """FormsService in-process: entrypoints as they are, intake without the devices service
    (the answer devices gives is built here, as `resolve_intake` builds it)."""

    def __init__(self, url, root, pdf=None, **config):
        settings = FormsSettings.from_config({**CONFIG, **config})
        self.service, self.engine = application(
            FormsService, url, settings, Base.metadata, seed=seed_catalogue)
        self.service.documents = document_handle(
            "forms", self.engine, Document, DocumentTemplate, TEMPLATES,
            Contexts(settings).build, root, pdf)
        self.ids = itertools.count(1)
        self.customers = {}

    def __getattr__(self, name):  # the entrypoints
        return getattr(self.service, name)

    def create_form(self, data, actor, customer_name="IŞIK Soğutma", customer_email=None,
                    language="tr", coverage=None, **device_extra):
        data = load(FormIn(), data)
        customer_id = self.customers.setdefault(customer_name, next(self.ids))
        device = data["device"]
        intake = {"customer": {"id": customer_id, "name": customer_name,
                               "email": customer_email, "language": language, "version": 1,
                               "rep": {"user_id": REP["id"], "name": REP["name"],
                                       "email": REP["email"], "language": "tr"}},
                  "device": {"id": next(self.ids), "brand": device["brand"],
                             "model": device["model"], "device_type": device["device_type"],
                             "serial": device["serial"], **device_extra},
                  "coverage": coverage or NO_COVER}
        form = self.service.workflow.open(data, actor, intake)
        self.service.db.commit()
        self.service.documents.issue_now()
        return self.service.queries.form(form.id)

    def close(self):
        self.service.db.close()
        self.engine.dispose()


@pytest.fixture
def forms(database_url, tmp_path):
    made = []

    def make(pdf=None, **config):
        made.append(Forms(database_url("forms"), tmp_path / f"documents{len(made)}", pdf,
                          **config))
        return made[-1]
    yield make
    for f in made:
        f.close()


@pytest.fixture
def rpc(forms):
    """The moved tests' `rpc.forms.…`: the application, called in-process."""
    class Rpc:
        pass
    rpc = Rpc()
    rpc.forms = forms()
    return rpc


def open_form(rpc, customer_name="IŞIK Soğutma", serial="SN-1", complaint="Soğutmuyor",
              **device):
    return rpc.forms.create_form({"customer_id": 1, "complaint": complaint,
                                  "device": {"brand": "Daikin", "serial": serial, **device}},
                                 DESK, customer_name=customer_name)


def deliver(rpc, form, minutes_by=(), fee="0"):
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH), snap(TECH2)],
                                      "version": form["version"]}, MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": fee, "version": f["version"]}, MANAGER)
    for user, minutes in minutes_by:
        f = rpc.forms.add_work_log(f["id"], {"minutes": minutes, "version": f["version"]}, user)
    for to in ("IN_REPAIR", "REPAIRED"):
        f = rpc.forms.transition(f["id"], {"to": to, "version": f["version"]}, TECH)
    return rpc.forms.transition(f["id"], {"to": "DELIVERED", "version": f["version"]}, DESK)


def test_the_complaint_search_reads_turkish_words_as_typed(rpc):
    made = [open_form(rpc, serial=f"S-{i}", complaint=c) for i, c in enumerate([
        "Kompresör çalışmıyor", "Ekran kartı arızalı, görüntü yok", "Pompa basınç yapmıyor",
        "Su akıtıyor"])]

    def found(q):
        return [f["id"] for f in rpc.forms.list_forms({"q": q})["items"]]
    assert found("kompresörü") == [made[0]["id"]]  # inflected: its stem
    assert found("kompresorun") == [made[0]["id"]]  # and typed without Turkish letters
    assert found("çalışmıyor kompresör") == [made[0]["id"]]  # words in any order
    assert found("kartında arıza") == [made[1]["id"]]
    assert found("pompası") == [made[2]["id"]]
    assert found("suyu") == [made[3]["id"]]
    assert found("kompres") == [made[0]["id"]]  # the folded substring, as before
    assert found("kart yok") == [made[1]["id"]]  # a word being typed: a key's beginning
    assert found("kompresörü pompası") == []  # a list filter: every word


def test_forms_opened_before_the_terms_column_match_by_substring_until_written(rpc):
    from sqlalchemy import update

    from services.forms.models import Form
    form = open_form(rpc, complaint="Kompresör çalışmıyor")
    rpc.forms.service.db.execute(update(Form).values(complaint_terms=None))
    rpc.forms.service.db.commit()
    assert [f["id"] for f in rpc.forms.list_forms({"q": "kompresor"})["items"]] == [form["id"]]
    assert rpc.forms.list_forms({"q": "kompresörü"})["items"] == []  # no terms yet
    rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    assert [f["id"] for f in rpc.forms.list_forms({"q": "kompresörü"})["items"]] == [
        form["id"]]  # filled by the form's next write


def test_technicians_act_only_on_their_forms_and_never_overwrite_each_other(rpc):
    form = open_form(rpc)
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    with pytest.raises(Forbidden):
        rpc.forms.update_work(form["id"], {"diagnosis": "x", "version": f["version"]}, TECH2)
    first = rpc.forms.update_work(form["id"], {"diagnosis": "A", "version": f["version"]}, TECH)
    with pytest.raises(Conflict):  # the second writer read the same version
        rpc.forms.update_work(form["id"], {"diagnosis": "B", "version": f["version"]}, MANAGER)
    assert rpc.forms.get_form(form["id"])["diagnosis"] == "A" == first["diagnosis"]
    with pytest.raises(NotFound):
        rpc.forms.remove_part(form["id"], 12345, {"version": first["version"]}, TECH)


def test_lists_sort_in_turkish_order_filter_and_page(rpc):
    made = [open_form(rpc, name, f"S-{i}", complaint)
            for i, (name, complaint) in enumerate([
                ("Zeytin Ltd", "Su akıtıyor"), ("Çelik Makine", "IŞIK yanıp sönüyor"),
                ("Demir A.Ş.", "Ses"), ("Işık Ltd", "Kompresör çalışmıyor")])]
    names = []
    cursor = None
    while True:
        page = rpc.forms.list_forms({"sort": "customer", "limit": 3, "cursor": cursor})
        names += [f["customer_name"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == ["Çelik Makine", "Demir A.Ş.", "Işık Ltd", "Zeytin Ltd"]
    desc = rpc.forms.list_forms({"sort": "-customer"})["items"]
    assert [f["customer_name"] for f in desc] == names[::-1]
    assert [f["id"] for f in rpc.forms.list_forms({"q": "ışık"})["items"]] == [made[1]["id"]]
    assert [f["id"] for f in rpc.forms.list_forms({"q": "kompresor"})["items"]] == [made[3]["id"]]
    deliver(rpc, made[2])
    assert [f["id"] for f in rpc.forms.list_forms({"sort": "delivered"})["items"]] == [
        made[2]["id"]]
    by_status = rpc.forms.list_forms({"sort": "-status", "limit": 1})
    assert by_status["items"][0]["status"] == "DELIVERED"
    rest = rpc.forms.list_forms({"sort": "-status", "cursor": by_status["next_cursor"]})
    assert {f["status"] for f in rest["items"]} == {"NEW"} and len(rest["items"]) == 3
    assert [f["id"] for f in rpc.forms.list_forms({"technician": TECH2["id"]})["items"]] == [
        made[2]["id"]]
    assert len(rpc.forms.list_forms({"state": "open"})["items"]) == 4
    with pytest.raises(ValidationFailed):
        rpc.forms.list_forms({"sort": "status", "cursor": "eyJ4Ijp9"})


def test_revenue_matches_an_independent_sum(rpc):
    a = deliver(rpc, open_form(rpc, "Ak Ltd", "R-1"), [(TECH, 60), (TECH2, 30)], fee="100")
    b = deliver(rpc, open_form(rpc, "Bey Ltd", "R-2"), [(TECH, 45)], fee="50.50")
    open_form(rpc, "Can Ltd", "R-3")  # not delivered: not revenue
    today = local_date().isoformat()
    report = rpc.forms.revenue({"group_by": "customer", "from": today, "to": today})
    # independently: labour = minutes x 600 / 60; VAT 20%
    expected = {"Ak Ltd": Decimal("900") + Decimal("100"), "Bey Ltd": Decimal("450") +
                Decimal("50.50")}
    got = {i["name"]: Decimal(i["subtotal"]) for i in report["items"]}
    assert got == expected
    assert Decimal(report["totals"]["vat"]) == (sum(expected.values()) * Decimal("0.2")).quantize(
        Decimal("0.01"))
    assert report["totals"]["total"] == f"{Decimal(a['totals']['total']) + Decimal(b['totals']['total']):.2f}"
    tech = rpc.forms.revenue({"group_by": "technician", "from": today, "to": today})["items"]
    split = {i["user_id"]: Decimal(i["total"]) for i in tech}
    # form a: TECH 2/3 and TECH2 1/3 of 1200.00; form b: TECH all of 600.60
    assert split == {TECH["id"]: Decimal("800.00") + Decimal("600.60"),
                     TECH2["id"]: Decimal("400.00")}
    top = rpc.forms.revenue({"group_by": "customer", "from": today, "to": today, "limit": 1})
    assert [i["name"] for i in top["items"]] == ["Ak Ltd"]  # the larger one
    assert top["others"]["customers"] == 1 and top["others"]["total"] == b["totals"]["total"]
    assert top["totals"] == report["totals"]
    month = rpc.forms.revenue({"group_by": "month", "from": today, "to": today})["items"]
    assert [m["forms"] for m in month] == [2]
    with pytest.raises(ValidationFailed):
        rpc.forms.revenue({"group_by": "year", "from": today, "to": "2000-01-01"})


def test_satisfaction_averages_and_an_expired_call(forms):
    rpc = type("Rpc", (), {})()
    rpc.forms = forms(SURVEY_EXPIRY_DAYS=0)
    q1 = rpc.forms.create_question({"text_tr": "Hız", "text_en": "Speed", "weight": 1})
    rpc.forms.create_question({"text_tr": "Kalite", "text_en": "Quality", "weight": 3,
                                    "scale_min": 0, "scale_max": 10})
    with pytest.raises(ValidationFailed):
        rpc.forms.create_question({"text_tr": "x", "text_en": "x", "scale_min": 5,
                                   "scale_max": 5})
    f = deliver(rpc, open_form(rpc, "Ak Ltd", "E-1"), [(TECH, 30)])
    with pytest.raises(Conflict) as exc:  # 0 days to call: expired at once, counts as waived
        rpc.forms.record_survey(f["id"], {"outcome": "done", "answers": [
            {"question_id": q1["id"], "value": 5}], "version": f["version"]}, REP)
    assert exc.value.details["survey"] == "expired"
    checklist = {i["item"]: i for i in rpc.forms.final_check(f["id"])["checklist"]}
    assert checklist["satisfaction"]["ok"] and checklist["satisfaction"]["detail"]["status"] == \
        "expired"
    assert rpc.forms.satisfaction_calls({})["items"] == []
    assert rpc.forms.get_form_detail(f["id"])["survey"]["status"] == "expired"


def test_satisfaction_report_by_technician_customer_and_month(rpc):
    q = rpc.forms.create_question({"text_tr": "Genel", "text_en": "Overall", "scale_min": 1,
                                   "scale_max": 5})
    scores = []
    for i, value in enumerate((5, 4)):
        f = deliver(rpc, open_form(rpc, f"Firma {i}", f"Q-{i}"), [(TECH, 10)])
        f = rpc.forms.record_survey(f["id"], {"outcome": "done", "answers": [
            {"question_id": q["id"], "value": value}], "version": f["version"]}, REP)
        scores.append(f["survey"]["score"])
    assert scores == [100, 75]
    by_tech = rpc.forms.satisfaction_report({"group_by": "technician"})["items"]
    assert {(i["name"], i["average"], i["surveys"]) for i in by_tech} == {
        ("Tülay Teknisyen", "87.5", 2), ("İsmail Usta", "87.5", 2)}
    by_customer = rpc.forms.satisfaction_report({"group_by": "customer"})["items"]
    assert [(i["name"], i["average"]) for i in by_customer] == [("Firma 0", "100.0"),
                                                                ("Firma 1", "75.0")]
    (month,) = rpc.forms.satisfaction_report({"group_by": "month"})["items"]
    assert month["month"] == local_date().strftime("%Y-%m") and month["average"] == "87.5"


def test_revenue_split_by_technician_adds_up_to_the_kurus(rpc):
    tech3 = {"id": 8, "name": "Üçüncü Usta", "role": "technician", "email": "u@s.local"}
    form = open_form(rpc, "Kuruş Ltd", "K-1")
    f = rpc.forms.assign(form["id"], {"assignees": [snap(TECH), snap(TECH2), snap(tech3)],
                                      "version": form["version"]}, MANAGER)
    f = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = rpc.forms.update_work(f["id"], {"service_fee": "750.01", "version": f["version"]},
                              MANAGER)
    for who in (TECH, TECH2, tech3):
        f = rpc.forms.add_work_log(f["id"], {"minutes": 20, "version": f["version"]}, who)
    for to, who in (("IN_REPAIR", TECH), ("REPAIRED", TECH), ("DELIVERED", DESK)):
        f = rpc.forms.transition(f["id"], {"to": to, "version": f["version"]}, who)
    total = Decimal(f["totals"]["total"])  # 600.00 labour + 750.01 fee, + 20% VAT = 1620.01
    assert total == Decimal("1620.01")
    today = local_date().isoformat()
    split = rpc.forms.revenue({"group_by": "technician", "from": today, "to": today})
    shares = sorted(Decimal(i["total"]) for i in split["items"])
    assert sum(shares) == total and shares == [Decimal("540.00"), Decimal("540.00"),
                                               Decimal("540.01")]
    by_day = rpc.forms.revenue({"group_by": "day", "from": today, "to": today})
    assert by_day["totals"]["total"] == split["totals"]["total"] == "1620.01"


def test_paging_every_sort_both_ways_matches_one_page(rpc):
    made = []
    for i, name in enumerate(["Zeytin", "Çelik", "Demir", "Işık", "Ak", "Çelik"]):
        made.append(open_form(rpc, name, f"P-{i}", device_type=["Klima", "Kombi", None][i % 3]))
    for f in made[:3]:  # ties: several forms share a status
        rpc.forms.assign(f["id"], {"assignees": [snap(TECH)], "version": f["version"]}, MANAGER)
    for sort in ("number", "customer", "status", "device_type", "fault_type", "opened"):
        for direction in ("", "-"):
            whole = [f["id"] for f in rpc.forms.list_forms({"sort": direction + sort,
                                                            "limit": 100})["items"]]
            paged, cursor = [], None
            while True:
                page = rpc.forms.list_forms({"sort": direction + sort, "limit": 2,
                                             "cursor": cursor})
                paged += [f["id"] for f in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            assert paged == whole, direction + sort
            assert sorted(whole) == sorted(f["id"] for f in made)


def test_every_write_raises_the_version_by_one(rpc):
    f = open_form(rpc, "Bir Ltd", "V-1")
    f2 = rpc.forms.assign(f["id"], {"assignees": [snap(TECH)], "version": f["version"]}, MANAGER)
    f3 = rpc.forms.transition(f["id"], {"to": "DIAGNOSIS", "version": f2["version"]}, TECH)
    f4 = rpc.forms.update_work(f["id"], {"diagnosis": "x", "version": f3["version"]}, TECH)
    f5 = rpc.forms.add_part(f["id"], {"name": "p", "quantity": 1, "unit_price": "1.00",
                                      "version": f4["version"]}, TECH)
    assert [x["version"] for x in (f, f2, f3, f4, f5)] == [1, 2, 3, 4, 5]


def test_a_late_older_customer_update_changes_nothing(rpc):
    """customer_updated carries the card's version: two relays or concurrent handlers may
    deliver an older update last; the form keeps the newest copy."""
    from services.common.events import make_event
    form = open_form(rpc, "Eski Ad Ltd", "C-1")

    def updated(name, version):
        rpc.forms.handle_customer_updated(make_event("customer_updated", "devices", {
            "customer": {"id": form["customer_id"], "name": name, "email": None,
                         "language": "tr", "tax_no": None, "rep": None, "version": version}}))
    updated("Yeni Ad A.Ş.", 3)
    updated("Ara Ad Ltd", 2)  # older, arriving late
    now = rpc.forms.get_form(form["id"])
    assert (now["customer_name"], now["version"]) == ("Yeni Ad A.Ş.", 2)  # a change: ETag moves
    updated("En Yeni Ad", 4)
    now = rpc.forms.get_form(form["id"])
    assert (now["customer_name"], now["version"]) == ("En Yeni Ad", 3)


def test_the_customer_copy_follows_the_newest_card_and_its_report_frequency(rpc):
    """forms' one row per customer (the periodic report's recipient): an update that arrives
    before the customer's creation wins over it; the next report day moves only when the
    frequency changes (or there is none); an event without a version always applies."""
    from datetime import date

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from services.common.events import make_event
    from services.forms.domain import next_report_day
    from services.forms.models import CustomerCopy
    app = rpc.forms

    def event(event_type, name, version, frequency="monthly", **extra):
        getattr(app, "handle_" + event_type)(make_event(event_type, "devices", {"customer": {
            "id": 7, "name": name, "email": "m@example.com", "language": "en",
            "tax_no": None, "rep": None, "version": version, "report_frequency": frequency,
            **extra}}))

    def copy():
        with Session(app.engine) as s:
            c = s.get(CustomerCopy, 7)
            return (c.name, c.version, c.report_frequency, c.next_report_on, c.language)

    today = local_date()
    event("customer_updated", "İki", 2)
    event("customer_created", "Bir", 1, "none")  # the creation, arriving late
    assert copy() == ("İki", 2, "monthly", next_report_day("monthly", today), "en")
    with Session(app.engine) as s, s.begin():  # the schedule moved it on (a report went out)
        s.execute(update(CustomerCopy).values(next_report_on=date(2031, 1, 1)))
    event("customer_updated", "Üç", 3)
    assert copy() == ("Üç", 3, "monthly", date(2031, 1, 1), "en")
    event("customer_updated", "Dört", 4, "quarterly")
    assert copy() == ("Dört", 4, "quarterly", next_report_day("quarterly", today), "en")
    event("customer_updated", "Eski", 3, "none")  # older: nothing changes
    assert copy() == ("Dört", 4, "quarterly", next_report_day("quarterly", today), "en")
    event("customer_updated", "Sürümsüz", None, "none", language="tr")
    assert copy() == ("Sürümsüz", None, "none", None, "tr")
    event("customer_updated", "Beş", 1, "none")  # a copy without a version takes any
    assert copy()[:2] == ("Beş", 1)


def test_events_go_out_with_their_commit_and_a_refused_write_sends_none(rpc):
    outbox = rpc.forms.service.outbox
    form = open_form(rpc, "Olay Ltd", "O-1")
    assert [e["event_type"] for e in outbox.events] == ["form_created"]
    with pytest.raises(Forbidden):  # refused after nothing was written: no event either
        rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, TECH)
    with pytest.raises(Conflict):  # refused half-way through a move (nobody assigned)
        rpc.forms.transition(form["id"], {"to": "ASSIGNED", "version": 1}, MANAGER)
    assert [e["event_type"] for e in outbox.events] == ["form_created"]
    rpc.forms.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    assert [e["event_type"] for e in outbox.events] == [
        "form_created", "form_assigned", "form_status_changed"]


def test_a_new_database_has_default_survey_questions_so_a_call_can_be_scored(rpc):
    questions = rpc.forms.list_questions()
    assert len(questions) == 5
    assert all(q["text"]["tr"] and q["text"]["en"] and (q["scale_min"], q["scale_max"]) == (1, 5)
               for q in questions)
    assert questions[0]["text"]["tr"].startswith("Servis ekibimizin")
    f = deliver(rpc, open_form(rpc, "Varsayılan Ltd", "D-1"), [(TECH, 20)])
    f = rpc.forms.record_survey(f["id"], {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": 5} for q in questions], "version": f["version"]}, REP)
    assert f["survey"]["score"] == 100
    seed_catalogue(rpc.forms.service.db)  # started again: nothing is added twice
    rpc.forms.service.db.commit()
    assert len(rpc.forms.list_questions()) == 5


def test_a_technicians_list_starts_from_their_assignments(tmp_path):
    """SQLite has no statistics: given the status index for the open states it walked 180k
    forms at 1M, checking each one's assignments (the technician's dashboard, 0.4–0.6 s;
    docs/benchmarks.md). The technician's list must start from their assignments. (SQLite's
    choice: PostgreSQL plans from its statistics.)"""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from services.common.db import create_schema, make_engine
    from services.forms.queries import FormQueries
    from services.forms.schemas import FormQuery
    engine = make_engine(f"sqlite:///{tmp_path}/plan.db")
    create_schema(engine, Base.metadata)
    try:
        with Session(engine) as session:
            stmt = FormQueries(session, None)._filtered(
                load(FormQuery(), {"state": "open", "technician": 7}))
            compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(r) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    finally:
        engine.dispose()
    assert "ix_assignments_user" in plan and "ix_forms_status" not in plan, plan


def test_a_forms_detail_dumps_it_as_its_schema_does(rpc):
    """The detail dumps the form's row with queries.FORM_DUMP (plain_dumper): the same dict,
    key for key, as FormOut's marshmallow dump of the ORM form, for forms new, delivered with
    work, discounted and covered."""
    from sqlalchemy import select

    from services.forms.models import Form
    from services.forms.queries import FORM_DUMP, FORM_OUT, form_row
    open_form(rpc, serial="SN-A")
    deliver(rpc, open_form(rpc, serial="SN-B", model="FTX-35"),
            minutes_by=((TECH, 45), (TECH2, 30)), fee="150")
    covered = rpc.forms.create_form(
        {"customer_id": 1, "complaint": "Isıtmıyor", "device": {"brand": "Vaillant",
                                                               "serial": "SN-C"}},
        DESK, coverage={"kind": "warranty", "end": "2030-01-01", "source_id": 4,
                        "reason": {"tr": "Garanti", "en": "Warranty"}})
    session = rpc.forms.service.db
    forms = session.scalars(select(Form)).all()
    assert len(forms) == 3 and covered["coverage"]
    for form in forms:
        row = form_row(session, form.id)
        assert FORM_DUMP(row) == FORM_OUT.dump(form)
        assert list(FORM_DUMP(row)) == list(FORM_OUT.dump(form))

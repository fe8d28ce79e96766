"""`@handles` (services/common/handlers.py) on a real database, SQLite and PostgreSQL: the
effect and its (handler, event_id) row in one transaction, a redelivery skipped, a delivery
that lost the race to a concurrent one ending quietly, an effect's own conflict tried again,
a failing event requeued and then parked in dead_letters, an invalid one dropped."""
import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from services.common import handlers
from services.common.db import create_schema, make_engine
from services.common.events import make_event
from services.common.handlers import DEAD_LETTER_AFTER, handles
from services.common.idempotency import already_processed
from services.common.models import DeadLetter, ProcessedEvent


class Base(DeclarativeBase):
    pass


class Seen(Base):
    __tablename__ = "seen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Service:
    name = "things"

    def __init__(self, session):
        self.db = session
        self.fail = None  # an exception the effect raises

    @handles("devices", "customer_updated")
    def handle_customer_updated(self, event):
        if self.fail is not None:
            raise self.fail
        self.db.add(Seen(id=event["customer"]["id"], name=event["customer"]["name"]))


def updated(customer_id, name):
    return make_event("customer_updated", "devices", {"customer": {
        "id": customer_id, "name": name, "email": None, "language": "tr", "tax_no": None,
        "rep": None, "version": 2}})


@pytest.fixture
def app(database_url):
    engine = make_engine(database_url("things"))
    create_schema(engine, Base.metadata)
    Session = sessionmaker(engine, expire_on_commit=False)
    service = Service(Session())
    yield service, Session
    service.db.close()
    engine.dispose()


def rows(Session, model):
    with Session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_effect_and_its_row_commit_together_and_a_redelivery_does_nothing(app):
    service, Session = app
    event = updated(1, "Bir")
    service.handle_customer_updated(event)
    service.handle_customer_updated(event)  # delivered again
    with Session() as s:
        assert s.scalars(select(Seen.name)).all() == ["Bir"]
        assert s.execute(select(ProcessedEvent.handler, ProcessedEvent.event_id)).all() == [
            ("things.customer_updated", event["event_id"])]


def test_a_delivery_that_lost_the_race_ends_quietly_with_nothing_written_twice(
        app, monkeypatch):
    service, Session = app
    event = updated(1, "Bir")
    with Session() as s:  # a concurrent delivery committed after this one's check
        s.add(ProcessedEvent(handler="things.customer_updated", event_id=event["event_id"]))
        s.commit()
    checks = []

    def check(*args):  # the first check ran before that commit; the one after sees it
        checks.append(args)
        return len(checks) > 1 and already_processed(*args)
    monkeypatch.setattr(handlers, "already_processed", check)
    service.handle_customer_updated(event)
    assert len(checks) == 2
    assert rows(Session, Seen) == 0
    assert rows(Session, ProcessedEvent) == 1


def test_an_effects_own_conflict_is_tried_again_then_parked(app):
    service, Session = app
    service.handle_customer_updated(updated(1, "Bir"))
    again = updated(2, "Bir")  # its name is taken: the effect's unique key, not the event's
    for _ in range(DEAD_LETTER_AFTER - 1):
        with pytest.raises(RuntimeError, match="could not record"):
            service.handle_customer_updated(again)  # raised: nameko requeues it
    service.handle_customer_updated(again)  # the last failure: parked, not raised
    with Session() as s:
        (dead,) = s.scalars(select(DeadLetter)).all()
        assert (dead.handler, dead.event_id) == ("things.customer_updated", again["event_id"])
        assert "could not record" in dead.error
    assert rows(Session, ProcessedEvent) == 1


def test_a_failing_event_is_requeued_and_parked_after_its_failures(app):
    service, Session = app
    service.fail = OSError("database away")
    event = updated(1, "Bir")
    for _ in range(DEAD_LETTER_AFTER - 1):
        with pytest.raises(OSError):
            service.handle_customer_updated(event)
    assert rows(Session, DeadLetter) == 0
    service.handle_customer_updated(event)
    assert rows(Session, DeadLetter) == 1
    assert rows(Session, ProcessedEvent) == rows(Session, Seen) == 0
    service.fail = None  # the same event again later (a replay): handled now
    service.handle_customer_updated(event)
    assert rows(Session, Seen) == 1


def test_an_event_that_does_not_validate_is_dropped(app):
    service, Session = app
    event = updated(1, "Bir")
    event["customer"]["id"] = "bir"
    service.handle_customer_updated(event)  # logged, not raised: it never will validate
    assert rows(Session, ProcessedEvent) == rows(Session, Seen) == rows(Session, DeadLetter) == 0

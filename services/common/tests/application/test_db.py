"""The Database provider alone: setup(), get_dependency(), teardown; SQLite under eventlet."""
import time
from types import SimpleNamespace

import eventlet
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import Database, database_url


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def provider(url):
    db = Database(Base.metadata)
    db.container = SimpleNamespace(config={"DATABASE_URL": url}, service_name="things")
    db.setup()
    return db


def test_default_url_is_a_sqlite_file_per_service_in_data_dir(tmp_path):
    assert database_url({"DATA_DIR": str(tmp_path)}, "forms") == f"sqlite:///{tmp_path}/forms.db"
    assert database_url({"DATABASE_URL": "postgresql://x/y"}, "forms") == "postgresql://x/y"


def test_session_per_worker_and_rollback_of_what_was_not_committed(backend, database_url):
    db = provider(database_url("things"))
    try:
        w1, w2 = object(), object()
        s1 = db.get_dependency(w1)
        s1.add(Thing(name="kept"))
        s1.commit()
        s2 = db.get_dependency(w2)
        assert s2 is not s1
        s2.add(Thing(name="lost"))
        s2.flush()
        db.worker_teardown(w2)  # ended without commit
        db.worker_teardown(w1)
        s3 = db.get_dependency(w1)
        assert s3.scalars(select(Thing.name)).all() == ["kept"]
        db.worker_teardown(w1)
    finally:
        db.stop()


def test_two_green_writers_on_sqlite_both_commit_without_freezing(tmp_path):
    """STYLE.md's pitfall: one writer holds a transaction across I/O while another writes."""
    db = provider(f"sqlite:///{tmp_path}/t.db")
    try:
        def writer(name, pause):
            worker = object()
            session = db.get_dependency(worker)
            session.add(Thing(name=name))
            session.flush()
            eventlet.sleep(pause)  # I/O inside the transaction (what a careless worker does)
            session.commit()
            db.worker_teardown(worker)

        start = time.monotonic()
        pool = eventlet.GreenPool()
        pool.spawn(writer, "a", 0.5)
        pool.spawn(writer, "b", 0)
        pool.waitall()
        elapsed = time.monotonic() - start
        session = db.get_dependency("check")
        assert session.scalar(select(func.count()).select_from(Thing)) == 2
        db.worker_teardown("check")
        assert elapsed < 2.5  # the second writer waited greenly, not in sqlite's busy loop
    finally:
        db.stop()

"""The Database provider alone: setup(), get_dependency(), teardown; SQLite under eventlet."""
import time
from types import SimpleNamespace

import eventlet
from sqlalchemy import Integer, String, func, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from services.common.db import Database, create_schema, database_url, make_engine


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


def test_a_table_from_an_earlier_version_gets_the_columns_added_since(backend, database_url):
    """An existing DATA_DIR after an upgrade: a nullable column is added; a NOT NULL one with a
    server default too, every existing row holding the default (customers' version); a NOT
    NULL one without a default is left to migrations."""
    from sqlalchemy import text

    class Before(DeclarativeBase):
        pass

    class Old(Before):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    class After(DeclarativeBase):
        pass

    class New(After):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        note: Mapped[str | None] = mapped_column(String(50))
        version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
        required: Mapped[int] = mapped_column(Integer, deferred=True)  # never loaded here
        __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    url = database_url("things")
    engine = make_engine(url)
    try:
        create_schema(engine, Before.metadata)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO things (id, name) VALUES (1, 'eski')"))
        create_schema(engine, After.metadata)
        create_schema(engine, After.metadata)  # again: nothing left to add
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("things")}
            assert columns == {"id", "name", "note", "version"}
            assert conn.execute(text("SELECT version, note FROM things")).one() == (1, None)
        with sessionmaker(engine)() as session:
            thing = session.get(New, 1)
            thing.name, thing.version = "yeni", thing.version + 1
            session.commit()
            assert session.execute(text("SELECT version FROM things")).scalar_one() == 2
    finally:
        engine.dispose()


def reader_of(db, attr="db"):
    from services.common.db import Reader
    db.attr_name = attr
    reader = Reader(attr)
    reader.container = SimpleNamespace(dependencies=[db, reader])
    reader.start()
    return reader


def test_reads_do_not_wait_for_a_transaction_holding_the_writing_connection(backend,
                                                                           database_url):
    """An import's batch holds the service's one SQLite connection for its transaction; a
    lookup on the Reader reads the last committed state at once instead of waiting for it
    (on PostgreSQL the reader's sessions are the Database's, as are its connections)."""
    db = provider(database_url("things"))
    reader = reader_of(db)
    try:
        with db.Session() as s:
            s.add(Thing(name="committed"))
            s.commit()
        writer, worker = db.get_dependency(object()), object()
        writer.add(Thing(name="not yet"))
        writer.flush()  # the batch's transaction is open and holds the connection
        started = time.monotonic()
        session = reader.get_dependency(worker)
        names = session.scalars(select(Thing.name)).all()
        assert names == ["committed"]
        assert time.monotonic() - started < 1  # the pool would have waited 60 s for it
        reader.worker_teardown(worker)
        writer.commit()
        session = reader.get_dependency(worker)
        assert sorted(session.scalars(select(Thing.name)).all()) == ["committed", "not yet"]
        reader.worker_teardown(worker)
        assert (reader.engine is not None) == (backend == "sqlite")
    finally:
        reader.stop()
        db.stop()


def test_the_reader_refuses_writes_on_sqlite(tmp_path):
    import pytest
    from sqlalchemy.exc import OperationalError
    db = provider(f"sqlite:///{tmp_path}/things.db")
    reader = reader_of(db)
    try:
        worker = object()
        session = reader.get_dependency(worker)
        session.add(Thing(name="through the reader"))
        with pytest.raises(OperationalError, match="readonly"):
            session.flush()
        reader.worker_teardown(worker)
        with db.Session() as s:
            assert s.scalar(select(func.count()).select_from(Thing)) == 0
    finally:
        reader.stop()
        db.stop()


def test_sqlite_transactions_begin_on_the_driver_and_hold_one_snapshot(tmp_path):
    """BEGIN is the dialect's (services/common/db.py `_begin`): a session's transaction is
    open on the driver from its first statement, SAVEPOINTs work inside it, a reader's
    session keeps one snapshot for all its reads, and neither engine has a connection event
    listener (with one, SQLAlchemy runs the statement events for every statement)."""
    db = provider(f"sqlite:///{tmp_path}/things.db")
    reader = reader_of(db)
    try:
        with db.Session() as s:
            s.add(Thing(name="first"))
            assert s.connection().connection.driver_connection.in_transaction
            with s.begin_nested():
                s.add(Thing(name="inner"))
            nested = s.begin_nested()
            s.add(Thing(name="undone"))
            s.flush()
            nested.rollback()
            s.commit()
        count = select(func.count()).select_from(Thing)
        worker = object()
        session = reader.get_dependency(worker)
        assert session.scalar(count) == 2
        with db.Session() as s:
            s.add(Thing(name="later"))
            s.commit()
        assert session.scalar(count) == 2  # the reader's transaction: its snapshot
        reader.worker_teardown(worker)
        session = reader.get_dependency(worker)
        assert session.scalar(count) == 3
        reader.worker_teardown(worker)
        assert not db.engine._has_events and not reader.engine._has_events
    finally:
        reader.stop()
        db.stop()

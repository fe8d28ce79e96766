"""`@rpc` for our services: a ServisError is an expected answer (the caller gets it back as the
same type), so nameko does not log it as a failed worker; and the worker's database session is
closed before nameko sends the reply (nameko replies before worker_teardown, and no
transaction may stay open across I/O: STYLE.md's SQLite pitfall)."""
import functools

from nameko.rpc import rpc as nameko_rpc
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.common import reconnect  # noqa: F401  (nameko rides out a lost broker)
from services.common.exceptions import Conflict, ServisError


def closing_session(fn):
    """Close `self.db` (when it is a session) as the entrypoint returns or raises."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        finally:
            db = getattr(self, "db", None)
            if isinstance(db, Session):
                db.close()
    return wrapper


def stale_is_conflict(fn):
    """A row changed by another worker between our read and our write (SQLAlchemy's
    version_id_col: `UPDATE … WHERE version = :read` matched nothing) is a 409, wherever in
    the entrypoint the flush happens."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except StaleDataError:
            db = getattr(self, "db", None)
            if isinstance(db, Session):
                db.rollback()
            raise Conflict("The record was changed at the same moment by someone else; read it "
                           "again.", {})
    return wrapper


def rpc(fn):
    return nameko_rpc(expected_exceptions=ServisError)(closing_session(stale_is_conflict(fn)))

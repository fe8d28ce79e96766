"""Idempotent event handling: a (handler, event_id) row written in the same transaction as
the handler's effect. A redelivered event finds the row and does nothing.

Both statements are built once, on the table (Core, no ORM unit of work), with the values
bound at execution: a statement's cache key is worked out once per object, so a use costs
only its execution. Built per call, through the session's ORM path, the look-up and the
row's flush were about a third of a customer event's CPU in forms (bench/events_cpu.py)."""
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from services.common.models import ProcessedEvent

_TABLE = ProcessedEvent.__table__
_FIND = select(_TABLE.c.event_id).where(_TABLE.c.handler == bindparam("handler"),
                                        _TABLE.c.event_id == bindparam("event_id"))
_RECORD = insert(_TABLE)  # processed_at: the column's default (now, UTC)


def already_processed(session, handler, event_id):
    return session.connection().execute(
        _FIND, {"handler": handler, "event_id": event_id}).first() is not None


def commit_processed(session, handler, event_id):
    """Add the processed-event row and commit with the effect. Returns False (and rolls back)
    when a concurrent delivery of the same event committed first."""
    try:
        session.connection().execute(_RECORD, {"handler": handler, "event_id": event_id})
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False

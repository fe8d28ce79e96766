"""Idempotent event handling: a (handler, event_id) row written in the same transaction as
the handler's effect. A redelivered event finds the row and does nothing."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.models import ProcessedEvent


def already_processed(session, handler, event_id):
    return session.execute(select(ProcessedEvent.event_id).where(
        ProcessedEvent.handler == handler, ProcessedEvent.event_id == event_id)).first() is not None


def commit_processed(session, handler, event_id):
    """Add the processed-event row and commit with the effect. Returns False (and rolls back)
    when a concurrent delivery of the same event committed first."""
    session.add(ProcessedEvent(handler=handler, event_id=event_id))
    try:
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False

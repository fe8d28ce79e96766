"""Event handlers that lose nothing and do nothing twice.

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self.archive.coverage_from_event(event)   # writes to self.db, no commit

The method runs with the event loaded and validated by its schema (services/common/events.py).
Around it: an event that does not validate is logged and dropped (it never will); one this
handler has processed already is skipped; after the method, the processed-event row
(handler, event_id) is added and committed in the same transaction as what the method wrote.
If that commit finds the row taken, a concurrent delivery did the work first: nothing more.
The look-up of the row begins that transaction (the method does no I/O before its writes, as
no worker does inside a transaction: services/common/db.py); it used to end it and begin
another for the method, a round trip and a tenth of a customer event's CPU in forms.

An unexpected error (a database blip) requeues the event; after DEAD_LETTER_AFTER failures of
one event in this process it is parked in `dead_letters` (visible, and logged) instead of
spinning. The handler key stored with processed events is "<service>.<event type>".
"""
import json
import logging
from collections import Counter

from marshmallow import ValidationError
from nameko.events import event_handler

from services.common.events import load_event
from services.common.idempotency import already_processed, commit_processed
from services.common.models import DeadLetter
from services.common.rpc import closing_session

log = logging.getLogger(__name__)

_FAILURES = Counter()  # event_id -> failed handlings in this process
DEAD_LETTER_AFTER = 5


def handles(source, event_type):
    def decorator(fn):
        @closing_session
        def entry(self, message):
            key = str(message.get("event_id")) if isinstance(message, dict) else "?"
            try:
                _run(self, fn, event_type, message)
                if _FAILURES:
                    _FAILURES.pop(key, None)
            except Exception as exc:
                _FAILURES[key] += 1
                if _FAILURES[key] < DEAD_LETTER_AFTER:
                    raise
                dead_letter(self.db, f"{self.name}.{event_type}", message, exc)
                _FAILURES.pop(key, None)
        entry.__name__, entry.__doc__ = fn.__name__, fn.__doc__
        return event_handler(source, event_type, requeue_on_error=True)(entry)
    return decorator


def _run(service, fn, event_type, message):
    handler = f"{service.name}.{event_type}"
    try:
        event = load_event(event_type, message)
    except (ValidationError, ValueError) as exc:
        log.error("dropped a %s that does not validate: %s; message: %r", event_type, exc,
                  message)
        return
    session = service.db
    if already_processed(session, handler, event["event_id"]):
        return
    fn(service, event)
    if not commit_processed(session, handler, event["event_id"]) and not already_processed(
            session, handler, event["event_id"]):
        # a unique key of the effect itself was taken, not ours: let it be tried again
        raise RuntimeError(f"{handler}: could not record {event['event_id']}; retried")


def dead_letter(session, handler, message, exc):
    log.error("parked %s after %s failures: %r", handler, DEAD_LETTER_AFTER, exc)
    session.rollback()
    event_id = message.get("event_id") if isinstance(message, dict) else None
    session.add(DeadLetter(handler=handler, event_id=str(event_id)[:36],
                           body=json.dumps(message, default=str),
                           error=f"{type(exc).__name__}: {exc}"[:4000]))
    session.commit()

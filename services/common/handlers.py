"""Event handlers that lose nothing: `@handles(source, event_type)` on a service method makes
it a nameko event handler that calls the service's `_handle(event_type, message)`, requeues on
an unexpected error (a database blip must not lose the event), and after DEAD_LETTER_AFTER
failures of one event parks it in `dead_letters` (visible, and logged) instead of spinning.
`_handle` drops, with a log line, a payload that does not validate (it never will) and uses
services.common.idempotency so a redelivered event does nothing."""
import json
import logging
from collections import Counter

from marshmallow import ValidationError
from nameko.events import event_handler

from services.common.events import load_event
from services.common.idempotency import already_processed

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
                self._handle(event_type, message)
                if _FAILURES:
                    _FAILURES.pop(key, None)
            except Exception as exc:
                _FAILURES[key] += 1
                if _FAILURES[key] < DEAD_LETTER_AFTER:
                    raise
                dead_letter(self.db, f"{self.name}.{event_type}", message, exc)
                _FAILURES.pop(key, None)
        entry.__name__ = fn.__name__
        return event_handler(source, event_type, requeue_on_error=True)(entry)
    return decorator


def new_event(service, event_type, message):
    """The event loaded by its schema, with the handler's name, or (None, name) when it does
    not validate (logged and dropped: it never will) or this handler has processed it."""
    handler = f"{service.name}.{event_type}"
    try:
        event = load_event(event_type, message)
    except (ValidationError, ValueError) as exc:
        log.error("dropped a %s that does not validate: %s; message: %r", event_type, exc,
                  message)
        return None, handler
    if already_processed(service.db, handler, event["event_id"]):
        return None, handler
    return event, handler


def dead_letter(session, handler, message, exc):
    log.error("parked %s after %s failures: %r", handler, DEAD_LETTER_AFTER, exc)
    session.rollback()
    event_id = message.get("event_id") if isinstance(message, dict) else None
    session.add(DeadLetter(handler=handler, event_id=str(event_id)[:36],
                           body=json.dumps(message, default=str),
                           error=f"{type(exc).__name__}: {exc}"[:4000]))
    session.commit()

"""What a process tells about itself: JSON log lines that carry the request id, and Prometheus
metrics (issue 23).

**The request id.** The gateway takes a request's `X-Request-ID` (or makes one), answers with it
and sends it with every RPC as nameko context data (the AMQP header `nameko.request_id`). A
service's worker finds it in `worker_ctx.context_data`; nameko copies a worker's context data
onto every RPC the worker makes, so the id travels on by itself. Events go out later, from the
outbox, so `add_event` writes the id into the event's body (`request_id`, beside the envelope;
consumers' schemas ignore unknown fields) and the handling worker binds it from there. Inside a
process the id lives in a context variable: each waitress thread and each eventlet green
thread (greenlet gives every green thread its own context) has its own, so one request's id
never appears on another's lines.

**Logs.** Every line is one JSON object (`LOG_FORMAT=json`, the default) or a readable
key=value line (`LOG_FORMAT=console`), through structlog's formatter on the standard library's
handlers, so the libraries' own log calls are formatted the same way: `time` (UTC), `level`,
`process` (forms, gateway …), `request_id` when there is one, `event` (the message), and the
exception as text.

**Metrics.** The names are below; a service serves them on `METRICS_PORT` (unset or 0: not
served), the gateway at `GET /metrics`.
"""
import contextvars
import logging
import os
import re
import threading
import uuid

import structlog
from prometheus_client import Counter, Histogram, start_http_server

REQUEST_ID = contextvars.ContextVar("servis_request_id", default=None)
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# -- metrics (one registry per process: prometheus_client's default)
LATENCY_BUCKETS = (.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
RPC_SECONDS = Histogram(
    "servis_rpc_seconds", "Time a service spent on an RPC call (worker start to result)",
    ["service", "method"], buckets=LATENCY_BUCKETS)
RPC_CALLS = Counter(
    "servis_rpc_calls", "RPC calls a service answered, by outcome: ok, refused (an expected "
    "error: 4xx), failed (an unexpected error)", ["service", "method", "outcome"])
HANDLED = Counter(
    "servis_events_handled", "Events a service's handlers took, by outcome: ok, failed "
    "(requeued; parked as a dead letter after repeated failures)",
    ["service", "handler", "outcome"])
HANDLER_SECONDS = Histogram(
    "servis_handler_seconds", "Time a service's event handler took", ["service", "handler"],
    buckets=LATENCY_BUCKETS)
OUTBOX_LAG = Histogram(
    "servis_outbox_lag_seconds", "From an event's commit to the broker's confirm of it",
    ["service"], buckets=(.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300))
OUTBOX_PUBLISHED = Counter(
    "servis_outbox_published", "Events the outbox relay published", ["service"])
EMAILS = Counter(
    "servis_emails", "E-mails notify handed to the SMTP server, by outcome: sent, failed "
    "(tried again later), given_up", ["outcome"])


def new_request_id():
    return uuid.uuid4().hex


def valid_request_id(value):
    """`value` when it can be a request id (1-128 of letters, digits and . _ : -), else None:
    a client's header reaches every log line, so nothing else is taken from it."""
    return value if isinstance(value, str) and _VALID.fullmatch(value) else None


def bind_request_id(value):
    """Make `value` (or a new id) this thread's request id; the token resets it."""
    return REQUEST_ID.set(valid_request_id(value) or new_request_id())


def current_request_id():
    return REQUEST_ID.get()


def reset_request_id(token):
    try:
        REQUEST_ID.reset(token)
    except ValueError:  # set in another context (a worker ended elsewhere): just clear it
        REQUEST_ID.set(None)


# -- logs

def _add_request_id(_logger, _name, event):
    rid = REQUEST_ID.get()
    if rid and "request_id" not in event:
        event["request_id"] = rid
    return event


def _processors(process):
    def add_process(_logger, _name, event):
        event.setdefault("process", process)
        return event
    return [structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
            add_process, _add_request_id]


def formatter(process, fmt=None):
    """A logging.Formatter writing every record (the libraries' too) as structlog does."""
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "json").lower()
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if fmt == "console"
                else structlog.processors.JSONRenderer(ensure_ascii=False, default=str))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_processors(process), structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer])


_configured = set()


def configure_logging(process, level=None):
    """The root logger's stream and file handlers (nameko's `console`, basicConfig's) format
    as `formatter(process)`; a root without handlers gets one on stderr; handlers of other
    kinds (pytest's capture) keep theirs. structlog's own loggers go through the standard
    library. Idempotent per process name."""
    root = logging.getLogger()
    if level:
        root.setLevel(level)
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    form = formatter(process)
    for handler in root.handlers:
        if type(handler) in (logging.StreamHandler, logging.FileHandler):
            handler.setFormatter(form)
    if process not in _configured:
        structlog.configure(
            processors=[structlog.stdlib.filter_by_level, *_processors(process),
                        structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=True)
        _configured.add(process)


# -- the metrics port

_served = {}
_lock = threading.Lock()


def serve_metrics(port=None):
    """Serve this process's metrics on `port` (METRICS_PORT when None; 0 or unset: not
    served) once per process; the port bound, or None."""
    if port is None:
        port = os.environ.get("METRICS_PORT") or 0
    port = int(port)
    if not port:
        return None
    with _lock:
        if port not in _served:
            host = os.environ.get("METRICS_HOST", "127.0.0.1")
            try:
                server, _thread = start_http_server(port, addr=host)
            except OSError as exc:  # taken: the service runs on, without its metrics
                logging.getLogger(__name__).error(
                    "metrics not served: cannot listen on %s:%s (%s)", host, port, exc)
                return None
            _served[port] = server.server_address[1]
        return _served[port]

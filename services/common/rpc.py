"""`@rpc` for our services: a ServisError is an expected answer (the caller gets it back as the
same type), so nameko does not log it as a failed worker; and the worker's database session is
closed before nameko sends the reply (nameko replies before worker_teardown, and no
transaction may stay open across I/O: STYLE.md's SQLite pitfall)."""
import functools

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.contextdata import ContextDataProvider
from nameko.exceptions import UnknownService
from nameko.rpc import Responder, RpcProxy
from nameko.rpc import Rpc as NamekoRpc
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.common import reconnect  # noqa: F401  (nameko rides out a lost broker)
from services.common import wire
from services.common import queues  # noqa: F401  (QUEUE_TYPE: classic or quorum queues)
from services.common.broker import CONNECTION_ERRORS
from services.common.exceptions import (Conflict, ServiceUnavailable, ServisError,
                                        register_remote_errors)

wire.install()  # kombu's json is orjson; here, after eventlet has patched the process

register_remote_errors()


class ReplyPublisher(Publisher):
    """nameko's publisher for RPC replies, without a publisher confirm per reply and
    transient. The confirm was a broker round trip inside every call: about a third of the
    forms process's CPU per `get_form_detail` (py-spy, issue 23 "cheaper reads"). A reply
    goes to its caller's exclusive, non-durable reply queue, so neither the confirm nor
    persistence could keep it: a broker that fails before delivering it loses that queue too,
    and the caller times out either way (the gateway publishes its requests without confirms
    for the same reason, gateway/rpc.py). An unroutable reply (its caller gone) is dropped by
    the broker, as before."""
    use_confirms = False
    delivery_mode = NON_PERSISTENT


Responder.publisher_cls = ReplyPublisher

CHANGED_MEANWHILE = "The record was changed at the same moment by someone else; read it again."
NOT_ANSWERING = "The {service} service is not answering."


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
    the entrypoint the flush happens — the commit included. The one place a StaleDataError
    is caught: the message is generic, since which record lost the race (a form, a card, a
    customer) is not known here, nor its version now (the client reads it again)."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except StaleDataError:
            db = getattr(self, "db", None)
            if isinstance(db, Session):
                db.rollback()
            raise Conflict(CHANGED_MEANWHILE, {})
    return wrapper


CALL_ID = "rpc_call_id"  # the key in a worker's context data


class Rpc(NamekoRpc):
    """nameko's RPC entrypoint, which also puts the call's id in the worker's context data:
    the request message's correlation id — one per call, whoever calls (the gateway, another
    service's ServiceClient, a standalone proxy), and the same when the broker delivers the
    request again. It does that when the connection the request was taken on is lost before
    the ack: a broker node lost under a consumer (tests/slow/test_rabbit_cluster.py) while
    the worker goes on and commits. A write that must not be done twice for one call keys on
    it (`CallId`, forms' create_form)."""

    def unpack_message_headers(self, message):
        data = super().unpack_message_headers(message)
        correlation_id = message.properties.get("correlation_id")
        if correlation_id:
            data[CALL_ID] = str(correlation_id)[:64]
        return data


class CallId(ContextDataProvider):
    """`self.call_id` in a worker: the id of the RPC call it serves (None outside one)."""
    context_key = CALL_ID


def rpc(fn):
    return Rpc.decorator(expected_exceptions=ServisError)(closing_session(stale_is_conflict(fn)))



class ServiceClient(RpcProxy):
    """Another service's RPCs for a worker, each with a deadline: `self.devices.call("method",
    *args)` waits at most `timeout` seconds (config `timeout_setting`, default `default`), and
    the request carries the same expiration, so one given up on is dropped by the broker
    instead of running later. A service that is not running or not answering in time is a
    ServiceUnavailable (503) naming it."""

    def __init__(self, target_service, timeout_setting, default=8.0):
        super().__init__(target_service)
        self.timeout_setting, self.default = timeout_setting, default
        self.timeout = default

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get(self.timeout_setting) or self.default)
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx):
        return _Client(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class _Client:
    def __init__(self, proxy, service, timeout):
        self.proxy, self.service, self.timeout = proxy, service, timeout

    def call(self, method, *args, **kwargs):
        try:
            reply = getattr(self.proxy, method).call_async(*args, **kwargs)
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except (UnknownService, eventlet.Timeout, *CONNECTION_ERRORS):  # broker away too
            raise ServiceUnavailable(NOT_ANSWERING, {"service": self.service})

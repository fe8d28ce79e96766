"""`@rpc` for our services: a ServisError is an expected answer (the caller gets it back as the
same type), so nameko does not log it as a failed worker; and the worker's database session is
closed before nameko sends the reply (nameko replies before worker_teardown, and no
transaction may stay open across I/O: STYLE.md's SQLite pitfall)."""
import functools
import inspect

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.contextdata import ContextDataProvider
from nameko.exceptions import MethodNotFound, UnknownService
from nameko.extensions import ProviderCollector
from nameko.rpc import Responder, RpcConsumer, RpcProxy
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


def _provider_for_method(self, routing_key):
    """The entrypoint a request names, from a dict: nameko's `get_provider_for_method` formats
    `<service>.<method>` for each of the service's entrypoints in turn on every call (~8 µs a
    call for forms' 50 RPCs, issue 23). The dict is made again when an entrypoint registers or
    unregisters."""
    methods = self.__dict__.get("_servis_methods")
    if methods is None:
        service = self.container.service_name
        methods = self._servis_methods = {f"{service}.{p.method_name}": p
                                          for p in self._providers}
    try:
        return methods[routing_key]
    except KeyError:
        raise MethodNotFound(routing_key.split(".")[-1]) from None


def _install_method_index():
    if getattr(RpcConsumer, "_servis_method_index", False):
        return
    unregister = RpcConsumer.unregister_provider

    def register_provider(self, provider):
        ProviderCollector.register_provider(self, provider)
        self.__dict__.pop("_servis_methods", None)

    def unregister_provider(self, provider):
        try:
            unregister(self, provider)
        finally:
            self.__dict__.pop("_servis_methods", None)

    RpcConsumer.register_provider = register_provider
    RpcConsumer.unregister_provider = unregister_provider
    RpcConsumer.get_provider_for_method = _provider_for_method
    RpcConsumer._servis_method_index = True


_install_method_index()

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

    def check_signature(self, args, kwargs):
        """nameko checks every call's arguments against the method's signature
        (`inspect.getcallargs`, ~12 µs a call). An `@rpc` method below is the wrapper
        `(self, *args, **kwargs)` (closing_session), against which that check cannot fail —
        unless a keyword is named `self` — so it is made only when it can."""
        takes_anything = self.__dict__.get("_takes_anything")
        if takes_anything is None:
            spec = inspect.getfullargspec(getattr(self.container.service_cls, self.method_name))
            takes_anything = self._takes_anything = (
                spec.args == ["self"] and spec.varargs is not None
                and spec.varkw is not None and not spec.kwonlyargs)
        if (not takes_anything or not isinstance(args, (list, tuple))
                or not isinstance(kwargs, dict) or "self" in kwargs):
            super().check_signature(args, kwargs)  # a malformed request: nameko's refusal

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
        self._clients = {}

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get(self.timeout_setting) or self.default)
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx):
        client = self._clients[worker_ctx] = _Client(self, worker_ctx)
        return client

    def worker_teardown(self, worker_ctx):
        client = self._clients.pop(worker_ctx, None)
        if client is not None:
            client.end()


class _Client:
    """A worker's calls to one service. nameko's proxy is made at the worker's first call and
    let go when the worker ends: the proxy holds the worker's context, which holds the service
    instance, which holds this client — a cycle that, kept, left every worker of the service
    (its session, its handles, its arguments) to the garbage collector instead of being freed
    as it ends (issue 23: forms' gen-0 collections per call, ~10x the echo service's)."""

    def __init__(self, provider, worker_ctx):
        self.service, self.timeout = provider.target_service, provider.timeout
        self._provider, self._worker_ctx, self._proxy = provider, worker_ctx, None

    @property
    def proxy(self):
        if self._proxy is None:
            if self._provider is None:
                raise RuntimeError(f"a call to {self.service} after its worker ended")
            self._proxy = RpcProxy.get_dependency(self._provider, self._worker_ctx)
        return self._proxy

    def call(self, method, *args, **kwargs):
        try:
            reply = getattr(self.proxy, method).call_async(*args, **kwargs)
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except (UnknownService, eventlet.Timeout, *CONNECTION_ERRORS):  # broker away too
            raise ServiceUnavailable(NOT_ANSWERING, {"service": self.service})

    def end(self):
        self._provider = self._worker_ctx = self._proxy = None

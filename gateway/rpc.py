"""A thread-safe, pooled pika client that speaks nameko's RPC protocol.

Why not nameko's ``ClusterRpcProxy``: the standalone proxy is single-threaded (STYLE.md,
"Standalone ClusterRpcProxy in Flask"): one per request costs a connection, a reply queue and a
consumer per call (~10-20 req/s), one shared between waitress threads corrupts its state, and its
default timeout is None. The gateway is not eventlet-patched, so we talk to the broker with pika.

Design
- A *lane* is one ``pika.BlockingConnection`` (not thread-safe, so one thread at a time) with a
  channel consuming its own exclusive, auto-delete reply queue; the
  queue is bound to ``nameko-rpc`` with routing key = its name, which is what nameko publishes
  the reply to (``reply_to``). A second channel on the lane (``probe``) runs passive queue
  declares: a 404 closes that channel, never the one that consumes replies.
- Lanes live in a ``LifoQueue`` (hot lanes are reused, cold ones stay idle), created lazily up to
  ``pool_size``; a call waits for a free lane no longer than its own timeout.
- Heartbeats are off (``heartbeat=0``) so idle pooled lanes are not killed. A lane the broker
  dropped (restart, ``close_connection``) is noticed when borrowed after more than
  ``IDLE_CHECK_SECONDS`` idle: ``process_data_events(0)`` raises, the lane is discarded and the
  call retries once on a newly made lane. That retry happens
  only before publishing, so a request is never sent twice; a connection lost after publishing
  discards the lane and raises ServiceUnavailable.
- A call: check the service has a consumer on ``rpc-<service>`` (positive answers cached for
  ``CONSUMER_CACHE_SECONDS`` and shared by all lanes, so the hot path has no extra round trip),
  publish ``{"args", "kwargs"}`` to ``nameko-rpc`` / ``<service>.<method>`` with
  ``mandatory=True`` and no publisher confirm (it cost a broker round trip per call: the largest
  single gateway cost in the benchmark); an unroutable request comes back as basic.return,
  which the broker sends before any reply, -> ServiceUnavailable at once; ``expiration`` = the
  time left
  (a request nobody took in time is dropped by the broker and never runs later), transient
  delivery (it expires anyway) and a ``nameko.call_id_stack`` header as nameko's standalone proxy
  sends. Then pump the lane's connection until the reply with our correlation id arrives;
  replies with another id (late answers to earlier timed-out calls) are dropped.
- On timeout the consumers are counted again: none -> ServiceUnavailable (503), some ->
  ServiceTimeout (504). Errors in the reply go through ``nameko.exceptions.deserialize``, so
  classes registered with ``@deserialize_to_instance`` come back as themselves, others as
  ``RemoteError``.
- ``close()`` closes idle lanes at once and borrowed ones when their call returns (a pika
  connection must only be touched by the thread using it).
- A broker that cannot be reached is logged once with its address (no password) and once
  when a lane connects again (services/common/broker.py), not once per request.
"""
import math
import queue
import threading
import time
import uuid

import pika
from nameko.exceptions import deserialize
from pika.exceptions import AMQPError, ChannelClosedByBroker
from prometheus_client import Histogram

from services.common import wire
from services.common.broker import uris, watch
from services.common.exceptions import ServiceUnavailable, ServisError, register_remote_errors
from services.common.observability import LATENCY_BUCKETS, current_request_id

register_remote_errors()  # services' errors come back as themselves

EXCHANGE = "nameko-rpc"
CALLER = "gateway"  # our name in nameko's call id stack
CONSUMER_CACHE_SECONDS = 1.0
IDLE_CHECK_SECONDS = 0.0  # a lane idle longer is checked for a dropped connection on borrow:
# always (a non-blocking read, ~20 µs): a connection the broker closed a moment ago is noticed
# before the request is published, and the call retries on a new lane


RPC_SECONDS = Histogram("servis_gateway_rpc_seconds",
                        "An RPC call's round trip from the gateway, by outcome: ok, refused "
                        "(the service's 4xx), failed, unavailable, timeout",
                        ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)

UNAVAILABLE = "The {service} service is not running; try again shortly."
TIMED_OUT = "The {service} service did not answer within {timeout:g} s."


def unavailable(service, reason="no consumer"):
    """503: no such service, no consumer running, or the broker is unreachable — the one
    ServiceUnavailable (services.common.exceptions), naming the service in its details."""
    exc = ServiceUnavailable(UNAVAILABLE, {"service": service})
    exc.service, exc.reason = service, reason  # for the caller's logs and health
    return exc


class ServiceTimeout(ServisError):
    """504: the service has a consumer but did not reply in time."""
    code = "gateway_timeout"
    http_status = 504

    def __init__(self, service, timeout):
        super().__init__(TIMED_OUT, {"service": service, "timeout": timeout})
        self.service, self.timeout = service, timeout


def connection_parameters(amqp_uri, timeout):
    """pika's parameters for each node AMQP_URI names (`;`-separated for a cluster,
    services/common/broker.py `uris`). pika.BlockingConnection takes the list and tries the
    nodes in turn, one attempt each: a lane is made on the first node that answers, so a
    lost node costs a refused connection (at once) and the lanes that were on it."""
    params = []
    for uri in uris(amqp_uri):
        p = pika.URLParameters(uri)
        p.heartbeat = 0
        p.blocked_connection_timeout = max(timeout, 1.0)
        p.connection_attempts = 1
        p.socket_timeout = p.stack_timeout = 5
        p.client_properties = {"connection_name": f"{CALLER}-rpc"}
        params.append(p)
    return params


class _Lane:
    """One connection, its reply queue and consumer; used by one thread at a time."""

    def __init__(self, params):
        self.connection = pika.BlockingConnection(params)
        self.probe = None
        self.expected = self.reply = None
        self.returned = False
        self.last_used = time.monotonic()
        self.reply_to = f"{CALLER}.reply-{uuid.uuid4().hex}"
        try:
            self.channel = self.connection.channel()
            self.channel.exchange_declare(EXCHANGE, "topic", durable=True)
            self.channel.queue_declare(self.reply_to, exclusive=True, auto_delete=True)
            self.channel.queue_bind(self.reply_to, EXCHANGE, routing_key=self.reply_to)
            self.channel.basic_consume(self.reply_to, self._on_reply, auto_ack=True)
            # No publisher confirms (a round trip per call): a request no queue is bound for
            # comes back as basic.return, which the broker sends before any reply could come.
            self.channel.add_on_return_callback(self._on_return)
        except BaseException:
            self.close()
            raise

    def _on_reply(self, _channel, _method, props, body):
        if props.correlation_id == self.expected:
            self.reply = body  # anything else is a stale reply to a timed-out call: dropped

    def _on_return(self, _channel, _method, props, _body):
        if props.correlation_id == self.expected:
            self.returned = True

    def consumer_count(self, queue_name):
        return self.queue_state(queue_name)[1]

    def queue_state(self, queue_name):
        """(messages, consumers) of the queue; (0, 0) when there is none."""
        if self.probe is None or not self.probe.is_open:
            self.probe = self.connection.channel()
        try:
            method = self.probe.queue_declare(queue_name, passive=True).method
            return method.message_count, method.consumer_count
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:  # no such queue: the service never ran here
                return 0, 0
            raise

    def close(self):
        try:
            if self.connection.is_open:
                self.connection.close()
        except (AMQPError, OSError):
            pass


class RpcClient:
    def __init__(self, amqp_uri: str, *, timeout: float = 10.0, pool_size: int = 32):
        self.timeout = timeout
        self._params = connection_parameters(amqp_uri, timeout)
        self._idle = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()
        self._consumers_until = {}  # service -> monotonic time until which "has consumers" holds
        self._closed = False
        self._broker = watch(amqp_uri)

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        started, outcome = time.perf_counter(), "failed"
        try:
            result = self._call(service, method, args, kwargs, timeout)
            outcome = "ok"
            return result
        except ServiceTimeout:
            outcome = "timeout"
            raise
        except ServiceUnavailable:
            outcome = "unavailable"
            raise
        except ServisError:
            outcome = "refused"
            raise
        finally:
            RPC_SECONDS.labels(service, method, outcome).observe(time.perf_counter() - started)

    def _call(self, service, method, args, kwargs, timeout):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        body = wire.dumps({"args": args, "kwargs": kwargs})  # the services' JSON (orjson)
        if isinstance(body, str):  # kombu's json wrote it (a big integer, a lone surrogate)
            body = body.encode()
        lane = self._borrow(service, deadline, timeout)
        try:
            reply = self._round_trip(lane, service, method, body, deadline, timeout)
        except (AMQPError, OSError) as exc:
            self._discard(lane)
            self._broker.away(exc)
            raise unavailable(service, f"broker connection lost: {exc!r}") from exc
        except BaseException:
            self._give_back(lane)
            raise
        self._give_back(lane)
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply.get("result")

    def close(self):
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    # -- a call's steps

    def _borrow(self, service, deadline, timeout):
        """A live lane, after checking `service` has a consumer; retries once on a dead lane."""
        for attempt in (1, 2):
            if self._closed:
                raise RuntimeError("RpcClient is closed")
            if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise ServiceTimeout(service, timeout)  # every lane busy for the whole timeout
            try:
                if attempt == 2:  # the pooled lanes may all be dead (a broker restart)
                    raise queue.Empty
                lane = self._idle.get_nowait()
            except queue.Empty:
                try:
                    lane = _Lane(self._params)
                except (AMQPError, OSError) as exc:
                    self._slots.release()
                    self._broker.away(exc)
                    raise unavailable(service, f"cannot reach the broker: {exc!r}") from exc
                self._broker.back()
            try:
                if time.monotonic() - lane.last_used > IDLE_CHECK_SECONDS:
                    lane.connection.process_data_events(0)  # raises if the broker dropped us
                if self._has_consumers(lane, service):
                    return lane
            except (AMQPError, OSError) as exc:
                self._discard(lane)
                if attempt == 2:
                    raise unavailable(service, f"broker connection lost: {exc!r}") from exc
                continue
            self._give_back(lane)
            raise unavailable(service)

    def consumers(self, service, timeout=3.0):
        """How many processes consume `rpc-<service>` now (its replicas); None when the broker
        cannot be asked."""
        state = self.queue_state(service, timeout)
        return None if state is None else state[1]

    def queue_state(self, service, timeout=3.0):
        """(calls waiting, consumers) of `rpc-<service>` now; None when the broker cannot be
        asked."""
        if not self._slots.acquire(timeout=timeout):
            return None
        try:
            lane = self._idle.get_nowait()
        except queue.Empty:
            try:
                lane = _Lane(self._params)
            except (AMQPError, OSError):
                self._slots.release()
                return None
        try:
            state = lane.queue_state(f"rpc-{service}")
        except (AMQPError, OSError):
            self._discard(lane)
            return None
        self._give_back(lane)
        return state

    def _round_trip(self, lane, service, method, body, deadline, timeout):
        correlation_id = str(uuid.uuid4())
        lane.expected, lane.reply, lane.returned = correlation_id, None, False
        properties = pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=1,
            reply_to=lane.reply_to, correlation_id=correlation_id,
            expiration=str(max(1, math.ceil((deadline - time.monotonic()) * 1000))),
            headers=self._headers(correlation_id))
        lane.channel.basic_publish(EXCHANGE, f"{service}.{method}", body, properties,
                                   mandatory=True)
        while lane.reply is None and not lane.returned and (
                left := deadline - time.monotonic()) > 0:
            lane.connection.process_data_events(time_limit=left)
        lane.expected, lane.last_used = None, time.monotonic()
        if lane.returned:
            raise unavailable(service, "no queue bound")
        if lane.reply is None:
            if not self._has_consumers(lane, service, fresh=True):
                raise unavailable(service)
            raise ServiceTimeout(service, timeout)
        return wire.loads(lane.reply)

    @staticmethod
    def _headers(correlation_id):
        """nameko's call id stack, as its standalone proxy sends, and the request id (nameko
        gives the worker every `nameko.*` header as context data)."""
        headers = {"nameko.call_id_stack": [f"{CALLER}.call.{correlation_id}"]}
        rid = current_request_id()
        if rid:
            headers["nameko.request_id"] = rid
        return headers

    def _has_consumers(self, lane, service, fresh=False):
        now = time.monotonic()
        if not fresh:
            with self._lock:
                if self._consumers_until.get(service, 0) > now:
                    return True
        count = lane.consumer_count(f"rpc-{service}")
        with self._lock:
            if count:
                self._consumers_until[service] = now + CONSUMER_CACHE_SECONDS
            else:
                self._consumers_until.pop(service, None)
        return count > 0

    # -- pool

    def _give_back(self, lane):
        with self._lock:  # against close() draining the pool at the same moment
            if not self._closed:
                self._idle.put(lane)  # before releasing the slot, so a slot finds this lane
                lane = None
        if lane is not None:
            lane.close()
        self._slots.release()

    def _discard(self, lane):
        lane.close()
        self._slots.release()

"""nameko 2.14.1 made to ride out a lost broker connection (a broker restart, a network cut).

nameko reconnects its consumer by itself (kombu's ConsumerMixin), but a connection error that
escapes a worker thread or a managed thread reaches `ServiceContainer._handle_thread_exited`
(nameko/containers.py), which kills the container, and `nameko run` then exits. Found by
stopping the broker's application under load (tests/slow/test_broker_restart.py):

1. The ack. `QueueConsumer.ack_message` / `requeue_message` (nameko/messaging.py) catch only
   amqp's own ConnectionError. A worker that ends after the broker closed the socket but
   before the consumer thread has noticed writes its basic.ack into a dead socket, and
   ConnectionResetError / BrokenPipeError (OSError) escapes `handle_result`. Now every
   connection or channel error there is ignored: the broker gives an unacked message back
   when its channel dies, and our handlers are idempotent.
2. The RPC reply. `RpcConsumer.handle_result` (nameko/rpc.py) publishes the reply through
   `Responder` with kombu's retry policy `{'max_retries': 3}` (about 3 s): a reply due while
   the broker is away raises kombu's OperationalError out of the worker. Now the reply is
   dropped with one line (the caller's connection went down with the broker, so the gateway
   has answered 503 already) and the request is acked (a no-op on a dead channel).
3. The reconnection itself. kombu's `ConsumerMixin.run` logs a traceback for each lost
   connection and nameko's `on_connection_error` a warning for each retry; the retries wait
   2, 4, 6 … 30 s, so a broker back after 20 s could wait up to 30 s more for its consumers.
   Now the retries wait 1, 2, … at most RECONNECT_MAX_INTERVAL s, and the broker's absence is
   one line when it goes and one when it is back (services/common/broker.py).

4. A stop before the broker was ever reached. `QueueConsumer.unregister_provider` sends
   `_last_provider_unregistered` for every provider while the consumer is not ready, and the
   second send raises AssertionError (eventlet: "Trying to re-send() an already-triggered
   event") in each remaining provider's stop: a service started while the broker is away
   printed a traceback per entrypoint on SIGTERM and never exited. Now the first send
   counts and the others return; and the consumer thread, killed with QueueConsumerStopped
   while it waits to reconnect, hands that to whoever waits for it to be ready and ends
   quietly (it was a traceback and a warning "raised `` during kill").

Our own background loops (the outbox relay, notify's sender, the import and index loops) catch
their errors in services/common/loop.py; the relay's producer reconnects on its own
(services/common/outbox.py).

`install()` runs when this module is imported; services/common/rpc.py imports it, so every
service (and every test container) has it.
"""
import logging
import time
from contextlib import contextmanager

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.messaging import QueueConsumer, QueueConsumerStopped
from nameko.rpc import RpcConsumer

from services.common.broker import CONNECTION_ERRORS, describe, watch

log = logging.getLogger(__name__)

RECONNECT_MAX_INTERVAL = 3.0  # seconds between two attempts to reach a broker that is away


def settle(message, settle_fn):
    """ack or requeue `message`, unless its connection is gone (then the broker requeues it
    itself when it notices the channel is dead)."""
    if not message.channel.connection:
        return False
    try:
        settle_fn()
        return True
    except CONNECTION_ERRORS as exc:
        log.debug("message not settled, its connection is gone (%s): the broker redelivers it",
                  describe(exc))
        return False


def ack_message(self, message):
    settle(message, message.ack)


def requeue_message(self, message):
    settle(message, message.requeue)


def run(self, _tokens=1, **kwargs):
    """kombu's ConsumerMixin.run, reporting a lost connection to the broker's watch instead of
    logging a traceback each time."""
    restart_limit = self.restart_limit
    errors = self.connection.connection_errors + self.connection.channel_errors
    while not self.should_stop:
        try:
            if restart_limit.can_consume(_tokens):
                for _ in self.consume(limit=None, **kwargs):
                    pass
            else:
                time.sleep(restart_limit.expected_time(_tokens))
        except errors as exc:
            watch(self.amqp_uri).away(exc)
        except QueueConsumerStopped as exc:  # stopped before it ever connected (4. above)
            if not self._consumers_ready.ready():
                self._consumers_ready.send_exception(exc)
            return


@contextmanager
def establish_connection(self):
    with self.create_connection() as conn:
        conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                               interval_start=1, interval_step=1,
                               interval_max=RECONNECT_MAX_INTERVAL)
        yield conn


def on_connection_error(self, exc, interval):
    watch(self.amqp_uri).away(exc)


_on_consume_ready = QueueConsumer.on_consume_ready


def on_consume_ready(self, connection, channel, consumers, **kwargs):
    watch(self.amqp_uri).back()
    _on_consume_ready(self, connection, channel, consumers, **kwargs)


_unregister_provider = QueueConsumer.unregister_provider


def unregister_provider(self, provider):
    if not self._consumers_ready.ready() and self._last_provider_unregistered.ready():
        return  # stopping before the consumer ever started: already said (4. above)
    _unregister_provider(self, provider)


_rpc_handle_result = RpcConsumer.handle_result


def rpc_handle_result(self, message, result, exc_info):
    try:
        return _rpc_handle_result(self, message, result, exc_info)
    except CONNECTION_ERRORS as exc:
        broker = watch(self.container.config[AMQP_URI_CONFIG_KEY])
        broker.away(exc)
        log.warning("the reply to %s was not sent: the broker is away (%s)",
                    message.delivery_info.get("routing_key"), describe(exc))
        self.queue_consumer.ack_message(message)
        return result, exc_info


def install():
    if getattr(QueueConsumer, "_servis_reconnect", False):
        return
    QueueConsumer.ack_message = ack_message
    QueueConsumer.requeue_message = requeue_message
    QueueConsumer.run = run
    QueueConsumer.establish_connection = establish_connection
    QueueConsumer.on_connection_error = on_connection_error
    QueueConsumer.on_consume_ready = on_consume_ready
    QueueConsumer.unregister_provider = unregister_provider
    RpcConsumer.handle_result = rpc_handle_result
    QueueConsumer._servis_reconnect = True


install()

"""The type of the queues nameko declares for our services: `QUEUE_TYPE` in a service's config
(`${QUEUE_TYPE:classic}` in every config.yaml). `classic` (the default) declares them as nameko
always did; `quorum` adds `x-queue-type: quorum` to those that can be quorum queues, so they
are replicated across a RabbitMQ cluster and survive losing a node (tests/slow/
test_rabbit_cluster.py).

nameko 2.14 has no setting for queue arguments: `RpcConsumer.setup` (nameko/rpc.py) builds
`rpc-<service>` and `EventHandler.setup` (nameko/events.py) `evt-<source>-<event>--<service>.
<method>` as kombu `Queue`s without arguments, and kombu declares them on every (re)connect.
`install()` (run when this module is imported; services/common/rpc.py imports it, so every
service and test container has it) wraps both `setup`s: after nameko built the queue, the
configured type is put in its `queue_arguments`, before the consumer ever declares it.

A quorum queue must be durable, not exclusive and not auto-delete. `rpc-<service>` and the
service-pool event queues (nameko's default, `reliable_delivery=True`) are all three, and
become quorum queues. Broadcast handlers' queues (exclusive) stay classic.

The reply queues stay classic, and with `quorum` nameko's is made transient. nameko's
`ReplyListener` (`RpcProxy`, e.g. forms -> devices) declares `rpc.reply-<service>-<uuid>`,
one per process, with kombu's default `durable=True` and `x-expires` 5 min. A durable classic
queue lives on one node; when that node is lost, declaring it again from another node is
refused — 404 "home node … of durable queue … is down or inaccessible" (tried on a 3.10
cluster) — and kombu declares every queue of the consumer on reconnect, so the whole process
would stop consuming until the lost node came back. A transient queue is dropped with its
node and declared again on the node the process reconnects to; the replies it could have
kept are transient anyway (services/common/rpc.py `ReplyPublisher`), and a caller whose reply
was lost times out as it would have. The gateway's reply queues are exclusive already
(gateway/rpc.py).

RabbitMQ refuses to declare an existing queue with another `x-queue-type` (406
PRECONDITION_FAILED, inequivalent arg): a broker whose queues were made classic keeps
refusing the service until those queues are deleted (drained first) or the service moves to
a new vhost. Switching is a deployment step, not a restart."""
from nameko.events import EventHandler
from nameko.rpc import ReplyListener, RpcConsumer

QUEUE_TYPE_KEY = "QUEUE_TYPE"
QUEUE_TYPES = ("classic", "quorum")


class QueueTypeError(ValueError):
    pass


def queue_type(config):
    """The configured type, `classic` when unset; anything else stops the service's start."""
    value = str(config.get(QUEUE_TYPE_KEY) or "classic").strip().lower()
    if value not in QUEUE_TYPES:
        raise QueueTypeError(f"QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, "
                             f"not {config.get(QUEUE_TYPE_KEY)!r}")
    return value


def can_be_quorum(queue):
    return bool(queue.durable) and not queue.exclusive and not queue.auto_delete


def as_configured(queue, config):
    """`queue` (a kombu Queue not yet declared), made a quorum queue when the config says so
    and it can be one; left as nameko made it otherwise."""
    if queue is not None and queue_type(config) == "quorum" and can_be_quorum(queue):
        queue.queue_arguments = {**(queue.queue_arguments or {}), "x-queue-type": "quorum"}
    return queue


def reply_as_configured(queue, config):
    """nameko's per-process reply queue: transient with `quorum` (see above)."""
    if queue is not None and queue_type(config) == "quorum":
        queue.durable = False
    return queue


def _wrap(cls, configure):
    original = cls.setup

    def setup(self):
        original(self)
        configure(self.queue, self.container.config)
    setup.__wrapped__ = original
    cls.setup = setup


def install():
    if getattr(RpcConsumer, "_servis_queue_type", False):
        return
    _wrap(RpcConsumer, as_configured)
    _wrap(EventHandler, as_configured)
    _wrap(ReplyListener, reply_as_configured)
    RpcConsumer._servis_queue_type = True


install()

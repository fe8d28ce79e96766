"""QUEUE_TYPE (services/common/queues.py): which of the queues nameko declares become quorum
queues, read from nameko's own `setup` (no broker: the queue objects before declaration); and
AMQP_URI naming a cluster's nodes (services/common/broker.py)."""
import types

import pytest
from nameko.events import BROADCAST, SERVICE_POOL, SINGLETON, EventHandler
from nameko.rpc import ReplyListener, RpcConsumer

from services.common import queues
from services.common.broker import address, uris

pytestmark = pytest.mark.unit


class Registry:
    def register_provider(self, provider):
        pass


def bound(extension, config, method_name="handle"):
    extension.container = types.SimpleNamespace(service_name="forms", config=config)
    extension.method_name = method_name
    extension.queue_consumer = Registry()
    extension.setup()
    return extension.queue


def arguments(queue):
    return queue.queue_arguments or {}


@pytest.mark.parametrize("config", [{}, {"QUEUE_TYPE": ""}, {"QUEUE_TYPE": "classic"}])
def test_classic_by_default_declares_as_nameko_always_did(config):
    assert arguments(bound(RpcConsumer(), config)) == {}
    assert arguments(bound(EventHandler("devices", "customer_updated"), config)) == {}


def test_quorum_makes_the_rpc_queue_and_service_pool_event_queues_quorum_queues():
    config = {"QUEUE_TYPE": "Quorum "}
    rpc = bound(RpcConsumer(), config)
    assert rpc.name == "rpc-forms" and rpc.durable
    assert arguments(rpc) == {"x-queue-type": "quorum"}
    for kind in (SERVICE_POOL, SINGLETON):
        evt = bound(EventHandler("devices", "customer_updated", handler_type=kind), config)
        assert evt.name.startswith("evt-devices-customer_updated")
        assert arguments(evt) == {"x-queue-type": "quorum"}


def test_queues_that_cannot_be_quorum_stay_classic():
    config = {"QUEUE_TYPE": "quorum"}
    # a broadcast queue is exclusive; one without reliable delivery is auto-delete
    broadcast = bound(EventHandler("devices", "x", handler_type=BROADCAST,
                                   reliable_delivery=False), config)
    unreliable = bound(EventHandler("devices", "x", reliable_delivery=False), config)
    # nameko's reply queue (RpcProxy): classic, and transient (a durable classic queue whose
    # node is lost cannot be declared again elsewhere), its own x-expires kept
    reply = bound(ReplyListener(), config)
    assert broadcast.exclusive and arguments(broadcast) == {}
    assert unreliable.auto_delete and arguments(unreliable) == {}
    assert not reply.durable and arguments(reply) == {"x-expires": 300000}
    classic = bound(ReplyListener(), {})
    assert classic.durable and arguments(classic) == {"x-expires": 300000}  # as nameko made it


def test_a_wrong_queue_type_stops_the_start_naming_the_setting():
    with pytest.raises(queues.QueueTypeError, match="QUEUE_TYPE must be one of classic, quorum"):
        bound(RpcConsumer(), {"QUEUE_TYPE": "stream"})


def test_amqp_uri_names_one_node_or_a_clusters_nodes():
    one = "amqp://guest:sır@127.0.0.1:5672/servis"
    assert uris(one) == [one]
    three = (" amqp://guest:a@10.0.0.1:5672/v ; amqp://guest:b@10.0.0.2:5673/v;"
             "amqp://guest:c@10.0.0.3/v;")
    assert uris(three) == ["amqp://guest:a@10.0.0.1:5672/v", "amqp://guest:b@10.0.0.2:5673/v",
                           "amqp://guest:c@10.0.0.3/v"]
    assert address(three) == ("amqp://guest@10.0.0.1:5672/v;amqp://guest@10.0.0.2:5673/v;"
                              "amqp://guest@10.0.0.3/v")  # no password in the logs
    with pytest.raises(ValueError):
        uris(" ; ")

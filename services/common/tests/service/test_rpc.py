"""services/common/rpc.py's cuts in nameko's per-call work (issue 23), in real containers on a
real broker: the entrypoint a request names comes from a dict (an unknown method is still
MethodNotFound), the signature check is made only where it can fail (a keyword `self` is
still IncorrectSignature), and a worker that called another service through its
ServiceClient is freed by reference counting as it ends — no cycle left to the collector."""
import gc
import inspect
import weakref

import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import IncorrectSignature, MethodNotFound
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.heartbeat import Heartbeat
from services.common.rpc import ServiceClient, rpc
from services.common.testing import eventually

WORKERS = weakref.WeakSet()  # the service instances of the workers that ran


class Back:
    name = "rpc_back"

    @rpc
    def echo(self, value):
        return value


class Front:
    name = "rpc_front"
    heartbeat = Heartbeat()
    back = ServiceClient("rpc_back", "BACK_TIMEOUT", default=5)

    @rpc
    def relay(self, value):
        WORKERS.add(self)
        return self.back.call("echo", value)

    @rpc
    def local(self):
        WORKERS.add(self)
        return "here"


@pytest.fixture
def services(amqp_uri):
    config = {"AMQP_URI": amqp_uri}
    containers = [ServiceContainer(cls, config) for cls in (Back, Front)]
    for container in containers:
        container.start()
    yield config, containers
    for container in containers:
        container.stop()


def test_a_worker_is_freed_as_it_ends_with_the_collector_off(services):
    config, _containers = services
    gc.collect()
    gc.disable()
    try:
        with ClusterRpcProxy(config, timeout=10) as proxy:
            assert proxy.rpc_front.relay(7) == 7
            assert proxy.rpc_front.local() == "here"
            assert proxy.rpc_front.relay("again") == "again"
            # the workers end just after their replies: then nothing is left of them, though
            # no collection ran (the client's proxy held the worker's context, which holds
            # the service instance, which holds the client)
            eventually(lambda: len(WORKERS) == 0, timeout=5)
    finally:
        gc.enable()


def test_unknown_methods_and_bad_keywords_are_refused_as_before(services, monkeypatch):
    config, (back, _front) = services
    with ClusterRpcProxy(config, timeout=10) as proxy:
        with pytest.raises(MethodNotFound):
            proxy.rpc_front.nothing_here()
        assert proxy.rpc_back.echo(value=3) == 3
    echo = next(e for e in back.entrypoints if e.method_name == "echo")
    checked = []
    real = inspect.getcallargs

    def counting(*args, **kwargs):
        checked.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(inspect, "getcallargs", counting)  # what nameko's check calls
    echo.check_signature((1,), {"value": 2})  # the wrapper takes anything: not checked
    assert checked == []
    with pytest.raises(IncorrectSignature):  # nameko's check could fail here: made
        echo.check_signature((1,), {"self": 2})
    assert len(checked) == 1
    with pytest.raises(IncorrectSignature):  # a malformed request: refused as before
        echo.check_signature((1,), ["not", "keywords"])

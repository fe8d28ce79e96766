"""RpcClient against the real broker on a throw-away vhost, with the `echo` nameko service of
gateway/tests/service/echo_service.py running as a subprocess (this process stays un-patched, like the
gateway)."""
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nameko.exceptions import MethodNotFound, RemoteError

from gateway.rpc import RpcClient, ServiceTimeout, ServiceUnavailable
from gateway.tests.service.echo_service import EchoError
from services.common.testing import temporary_vhost

ROOT = Path(__file__).resolve().parents[3]
TURKISH = "İĞÜŞÖÇ ı"


def wait_until(predicate, what, timeout=30.0, interval=0.05):
    """Bounded poll."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def answers(client):
    try:
        return client.call("echo", "echo", "ping", timeout=1) == "ping"
    except (ServiceUnavailable, ServiceTimeout):
        return False


class EchoProcess:
    def __init__(self, amqp_uri, client, log_dir):
        self.amqp_uri, self.client, self.log = amqp_uri, client, Path(log_dir) / "echo.log"
        self.proc = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--broker", self.amqp_uri,
                 "gateway.tests.service.echo_service"], cwd=ROOT, stdout=log, stderr=log)
        try:
            wait_until(lambda: self.proc.poll() is None and answers(self.client), "echo service")
        except AssertionError:
            self.stop()
            raise AssertionError(self.log.read_text()[-3000:])

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


def gateway_connections(amqp_uri):
    """Broker-side pids of this vhost's connections opened by RpcClient."""
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(amqp_uri).path[1:])
    out = subprocess.run(["rabbitmqctl", "list_connections", "-q", "--no-table-headers",
                          "pid", "vhost", "client_properties"],  # (list_connections ignores -p)
                         check=True, capture_output=True, text=True, timeout=60).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return [row[0] for row in rows
            if row[1:2] == [vhost] and '{"connection_name","gateway-rpc"}' in row[2]]


@pytest.fixture(scope="module")
def amqp_uri():
    with temporary_vhost() as uri:
        yield uri


@pytest.fixture(scope="module")
def client(amqp_uri):
    client = RpcClient(amqp_uri, timeout=5)
    yield client
    client.close()


@pytest.fixture(scope="module")
def service(amqp_uri, client, tmp_path_factory):
    echo = EchoProcess(amqp_uri, client, tmp_path_factory.mktemp("echo"))
    echo.start()
    yield echo
    echo.stop()


@pytest.fixture
def stopped(service):
    """The echo service stopped for the test (its durable queue stays), restarted afterwards."""
    service.stop()
    yield service
    if service.proc.poll() is not None:
        service.start()


def test_echo_round_trip_keeps_unicode_and_nested_data(client, service):
    data = {"ad": TURKISH, "liste": [1, 2.5, None, True, {"iç": [TURKISH, {}]}], "boş": []}
    assert client.call("echo", "echo", data) == data
    assert client.call("echo", "echo", x=TURKISH) == TURKISH


def test_concurrent_calls_get_their_own_replies(amqp_uri, client, service):
    """(The other clients of this module close their lanes when their test ends.)"""
    def one(i):
        return i, client.call("echo", "echo", {"i": i, "s": f"{TURKISH} {i}"})

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(200)))
    assert all(reply == {"i": i, "s": f"{TURKISH} {i}"} for i, reply in results)
    assert len(results) == 200 and len(gateway_connections(amqp_uri)) <= 16  # lanes <= threads


def test_remote_errors_come_back_as_registered_classes(client, service):
    with pytest.raises(EchoError) as err:
        client.call("echo", "boom", "kötü", TURKISH)
    assert type(err.value) is EchoError and err.value.args == ("kötü", TURKISH)
    with pytest.raises(MethodNotFound):
        client.call("echo", "no_such_method")
    with pytest.raises(RemoteError) as err:  # not registered: nameko's RemoteError
        client.call("echo", "touch", "/no/such/dir/file")
    assert err.value.exc_type == "FileNotFoundError"


def test_unknown_service_is_unavailable_at_once(client):
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        client.call("no_such_service", "anything", timeout=5)
    assert err.value.service == "no_such_service"
    assert time.monotonic() - started < 2


def test_slow_call_times_out_and_its_late_reply_is_dropped(amqp_uri, service):
    one_lane = RpcClient(amqp_uri, timeout=5, pool_size=1)
    try:
        started = time.monotonic()
        with pytest.raises(ServiceTimeout) as err:
            one_lane.call("echo", "slow", 1.0, "first", timeout=0.3)
        assert (err.value.service, err.value.timeout) == ("echo", 0.3)
        assert 0.3 <= time.monotonic() - started < 1.0
        # same lane; the late "first" reply arrives while this call waits and must be dropped
        assert one_lane.call("echo", "slow", 1.5, "second") == "second"
        assert one_lane.call("echo", "echo", "third") == "third"
    finally:
        one_lane.close()


def test_lane_dropped_by_broker_is_replaced(amqp_uri, service):
    others = set(gateway_connections(amqp_uri))  # the module's client shares the vhost
    c = RpcClient(amqp_uri, timeout=5, pool_size=2)
    try:
        assert c.call("echo", "echo", 1) == 1
        (pid,) = set(gateway_connections(amqp_uri)) - others
        subprocess.run(["rabbitmqctl", "close_connection", pid, "test"],
                       check=True, capture_output=True, timeout=60)
        assert c.call("echo", "echo", 2) == 2
    finally:
        c.close()


def test_close_closes_every_lane(amqp_uri, service):
    others = set(gateway_connections(amqp_uri))
    c = RpcClient(amqp_uri, timeout=5, pool_size=4)
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda i: c.call("echo", "slow", 0.2, i), range(8))) == list(range(8))
    assert 1 <= len(set(gateway_connections(amqp_uri)) - others) <= 4
    c.close()
    wait_until(lambda: not set(gateway_connections(amqp_uri)) - others, "lanes closed", timeout=10)
    with pytest.raises(RuntimeError):
        c.call("echo", "echo", 1)


def test_stopped_service_is_unavailable_then_recovers(client, stopped):
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        client.call("echo", "echo", 1, timeout=3)
    assert time.monotonic() - started < 3.5
    stopped.start()
    assert client.call("echo", "echo", TURKISH) == TURKISH


def test_request_nobody_took_in_time_never_runs(client, stopped, tmp_path):
    checked, raced = tmp_path / "checked", tmp_path / "raced"
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):  # the consumer check stops it before publishing
        client.call("echo", "touch", str(checked), timeout=3)
    assert time.monotonic() - started < 2
    # the race the check cannot see: a cached "has consumers" from just before the stop.
    # The request is published, nobody takes it, it expires with the timeout.
    client._consumers_until["echo"] = time.monotonic() + 60
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        client.call("echo", "touch", str(raced), timeout=1)
    assert 1 <= time.monotonic() - started < 2
    stopped.start()
    # requests queued before this one would have been delivered first
    assert client.call("echo", "touch", str(tmp_path / "after")) == str(tmp_path / "after")
    assert (tmp_path / "after").exists()
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:  # bounded: nothing late shows up either
        assert not checked.exists() and not raced.exists()
        time.sleep(0.05)


def test_a_clusters_first_node_down_the_lanes_go_to_the_next(amqp_uri, service):
    """AMQP_URI naming several nodes (`;`): a node that refuses connections is passed over
    at once (the cluster test stops a real node: tests/slow/test_rabbit_cluster.py)."""
    from services.common.testing import free_port
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}/" + amqp_uri.rsplit("/", 1)[1]
    client = RpcClient(f"{down};{amqp_uri}", timeout=5)
    try:
        started = time.monotonic()
        assert client.call("echo", "echo", TURKISH) == TURKISH
        assert time.monotonic() - started < 2
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(lambda i: client.call("echo", "echo", i), range(20))) == list(
                range(20))
    finally:
        client.close()

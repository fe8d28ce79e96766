"""AMQP_URI naming a cluster's nodes (`;`-separated): the gateway's RPC client gives pika one
set of connection parameters per node, in order, each with the client's own settings (the
round trip against a real broker whose first node is down: gateway/tests/service/
test_rpc_client.py)."""
import pika
import pytest

from gateway.rpc import connection_parameters


def test_one_node_is_one_set_of_parameters():
    [p] = connection_parameters("amqp://guest:guest@127.0.0.1:5672/servis-x", timeout=7)
    assert (p.host, p.port, p.virtual_host) == ("127.0.0.1", 5672, "servis-x")
    assert p.heartbeat == 0 and p.connection_attempts == 1
    assert p.blocked_connection_timeout == 7 and p.socket_timeout == 5


def test_a_clusters_nodes_are_tried_in_the_order_given_each_with_the_same_settings():
    params = connection_parameters(
        "amqp://guest:a@127.0.0.1:5673/servis;amqp://servis:b%3Bc@127.0.0.2:5674/servis; "
        "amqp://guest:d@127.0.0.3/servis", timeout=0.5)
    assert [(p.host, p.port) for p in params] == [
        ("127.0.0.1", 5673), ("127.0.0.2", 5674), ("127.0.0.3", 5672)]
    assert {p.virtual_host for p in params} == {"servis"}
    assert params[1].credentials == pika.PlainCredentials("servis", "b;c")  # %3B stays in
    for p in params:  # one attempt each: a lost node is passed over at once
        assert p.connection_attempts == 1 and p.heartbeat == 0
        assert p.blocked_connection_timeout == 1.0
        assert p.client_properties == {"connection_name": "gateway-rpc"}


def test_an_empty_list_is_refused():
    with pytest.raises(ValueError, match="AMQP_URI names no broker"):
        connection_parameters(";", timeout=5)

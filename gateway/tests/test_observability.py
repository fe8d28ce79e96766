"""Issue 23's observability at the gateway (fake RPC client): the request id is taken from a
valid X-Request-ID or made, answered, and handed to the RPC client with each call; /metrics is
for an admin or the metrics token and counts requests by route and status."""
import re

import pytest

from gateway.app import create_app
from gateway.rpc import RpcClient
from gateway.settings import Settings
from services.common import observability as obs

pytestmark = pytest.mark.gateway


class Recording:
    """A fake RPC client that notes the request id bound while it is called."""

    def __init__(self):
        self.ids = []

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.ids.append(obs.current_request_id())
        return {"items": [], "next_cursor": None, "id": 1, "version": 1}

    def queue_state(self, service, timeout=3.0):
        return (3, 2) if service == "forms" else None


@pytest.fixture
def app(tmp_path):
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "METRICS_TOKEN": "prom-token-1"})
    rpc = Recording()
    app = create_app(settings, rpc_client=rpc)
    return app, rpc


def test_a_valid_request_id_is_kept_answered_and_sent_with_each_call(app, gw):
    app, rpc = app
    client = app.test_client()
    headers = {**gw.headers["admin"], "X-Request-ID": "abc-123.x:1"}
    app.config["JWT_SECRET"] = gw.app.config["JWT_SECRET"]
    app.extensions["servis"].users = gw.app.extensions["servis"].users
    r = client.get("/api/v1/forms", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.headers["X-Request-ID"] == "abc-123.x:1"
    assert rpc.ids and set(rpc.ids) == {"abc-123.x:1"}
    assert obs.current_request_id() is None  # nothing left bound after the request


@pytest.mark.parametrize("sent", [None, "", "a b", "x" * 129, "ş", "a\tb", "a;b"])
def test_a_missing_or_unfit_request_id_is_replaced_by_a_new_one(app, sent):
    app, _rpc = app
    headers = {} if sent is None else {"X-Request-ID": sent}
    r = app.test_client().get("/api/v1/health/live", headers=headers)
    assert r.status_code == 200
    made = r.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and made != sent


def test_an_error_answer_carries_the_request_id_too(app):
    app, _rpc = app
    r = app.test_client().get("/api/v1/forms", headers={"X-Request-ID": "err-1"})
    assert r.status_code == 401 and r.headers["X-Request-ID"] == "err-1"


def test_metrics_need_the_token_or_an_admin(app, gw):
    app, _rpc = app
    app.config["JWT_SECRET"] = gw.app.config["JWT_SECRET"]
    app.extensions["servis"].users = gw.app.extensions["servis"].users
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    denied = client.get("/metrics", headers=gw.headers["manager"])
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"
    assert client.get("/metrics", headers=gw.headers["admin"]).status_code == 200
    client.get("/api/v1/health/live")
    r = client.get("/metrics", headers={"Authorization": "Bearer prom-token-1"})
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert re.search(r'servis_gateway_requests_total\{method="GET",route="/api/v1/health/live",'
                     r'status="200"\} [1-9]', text)
    assert 'servis_gateway_requests_total{method="GET",route="/metrics",status="401"}' in text
    assert 'servis_rpc_queue_messages{service="forms"} 3.0' in text
    assert 'servis_rpc_queue_consumers{service="forms"} 2.0' in text
    assert 'service="devices"' not in text.split("servis_rpc_queue_messages", 1)[1]


def test_an_unknown_path_is_counted_as_unmatched_not_by_its_path(app):
    app, _rpc = app
    client = app.test_client()
    client.get("/api/v1/no-such-thing-4711")
    text = client.get("/metrics", headers={"Authorization": "Bearer prom-token-1"}).get_data(
        as_text=True)
    assert "no-such-thing-4711" not in text
    assert re.search(r'route="unmatched",status="404"\} [1-9]', text)


def test_the_rpc_client_sends_the_bound_request_id_as_nameko_context_data():
    token = obs.bind_request_id("rid-42")
    try:
        headers = RpcClient._headers("corr-1")
    finally:
        obs.reset_request_id(token)
    assert headers == {"nameko.call_id_stack": ["gateway.call.corr-1"],
                       "nameko.request_id": "rid-42"}
    assert "nameko.request_id" not in RpcClient._headers("corr-2")

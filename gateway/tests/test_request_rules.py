"""Issue 20, point 9 and the request rules at the gateway: an unencoded query through the real
server gets the JSON envelope, a body that is not JSON is a 415, a body too large for its route
a 413, a desk user is no assignee (422), CORS stays closed unless configured."""
import socket
import threading

import pytest

from gateway.serving import make_server
from gateway.tests.conftest import ANSWER


def _raw(port, request_line, headers):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request_line.encode("utf-8") + b"\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()).encode() +
            b"Host: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body.decode("utf-8")


def test_an_unencoded_query_reaches_the_app_through_the_server(gw):
    server = make_server(gw.app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        head, body = _raw(server.effective_port, "GET /api/v1/customers?q=ışık HTTP/1.1",
                          gw.headers["desk"])
        assert " 200 " in head.splitlines()[0] and "application/json" in head, head
        assert gw.rpc.calls[-1].args[0]["q"] == "ışık"
        head, body = _raw(server.effective_port, "GET /api/v1/forms/ışık HTTP/1.1",
                          gw.headers["desk"])
        assert " 404 " in head.splitlines()[0] and '"error"' in body
    finally:
        server.close()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_json_without_its_content_type_is_415(gw, content_type):
    headers = {**gw.headers["desk"], "Accept-Language": "en"}
    if content_type:
        headers["Content-Type"] = content_type
    r = gw.client.post("/api/v1/customers", data='{"name": "Öztürk"}', headers=headers)
    assert r.status_code == 415 and r.json["error"]["code"] == "unsupported_media_type"
    assert "JSON" in r.json["error"]["message"] and gw.rpc.calls == []
    r = gw.client.post("/api/v1/customers", data='{"name": "Öztürk"}',
                       headers={**gw.headers["desk"], "Accept-Language": "tr",
                                "Content-Type": "text/plain"})
    assert r.json["error"]["message"].startswith("İsteğin gövdesi JSON olmalı")


def test_a_body_too_large_for_its_route_is_413(gw):
    big = '{"name": "' + "a" * (300 * 1024) + '"}'
    r = gw.client.post("/api/v1/customers", data=big, content_type="application/json",
                       headers=gw.headers["desk"])
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert r.json["error"]["details"]["limit"] == 256 * 1024 and gw.rpc.calls == []
    # a template's source may be larger
    r = gw.client.put("/api/v1/document-templates/intake_slip", json={"source": "x" * 300_000},
                      headers=gw.headers["admin"])
    assert r.status_code != 413


def test_a_desk_user_is_no_assignee(gw):
    r = gw.client.post("/api/v1/forms/7/assignments",
                       json={"user_ids": [gw.users["desk"].id], "version": 4},
                       headers={**gw.headers["manager"], "Accept-Language": "en"})
    assert r.status_code == 422 and "user_ids" in r.json["error"]["details"]
    assert gw.rpc.calls == []
    r = gw.client.post("/api/v1/forms/7/assignments",
                       json={"user_ids": [gw.users["technician"].id], "version": 4},
                       headers=gw.headers["manager"])
    assert r.status_code == 200 and gw.rpc.calls[-1].method == "assign"


def test_cors_is_closed_unless_configured(gw, tmp_path):
    r = gw.client.get("/api/v1/customers", headers={**gw.headers["desk"],
                                                    "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    from gateway.app import create_app
    from gateway.settings import Settings
    from gateway.tests.conftest import FakeRpc
    app = create_app(Settings.from_env({"DATA_DIR": str(tmp_path),
                                        "CORS_ORIGINS": "https://servis.example"}),
                     rpc_client=FakeRpc())
    client = app.test_client()
    r = client.get("/api/v1/health", headers={"Origin": "https://servis.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://servis.example"
    r = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert ANSWER  # the shared app is untouched

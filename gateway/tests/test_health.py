"""/api/v1/health under the local supervisor: a process being restarted is reported as such
(state, restarts, why it last ended) and not pinged; without a live supervisor nothing is
added."""
import json
import os
import time

from gateway.app import create_app
from gateway.settings import Settings


class Pings:
    def __init__(self):
        self.asked = []

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.asked.append(service)
        return service


def app_for(tmp_path, rpc):
    settings = Settings(data_dir=str(tmp_path), amqp_uri="amqp://guest:guest@127.0.0.1:1/",
                        port=0, database_url=f"sqlite:///{tmp_path}/gateway.db",
                        rpc_timeout=1, health_timeout=1, token_ttl=60)
    return create_app(settings, rpc_client=rpc)


def test_health_says_which_process_is_being_restarted(tmp_path, monkeypatch):
    path = tmp_path / "servis.state.json"
    written = time.time()
    process = {"pid": 11, "state": "running", "restarts": 0, "last_exit": None,
               "next_start": None}
    path.write_text(json.dumps({"supervisor": {"pid": os.getpid(), "mode": "up"}, "processes": {
        "forms": process, "devices": process, "knowledge": process, "contracts": process,
        "portal": process,
        "gateway": process,
        "notify": {"pid": 12, "state": "restarting", "restarts": 2,
                   "last_exit": "signal 9 (SIGKILL)", "next_start": written + 3}}}))
    monkeypatch.setenv("SERVIS_SUPERVISOR_STATE", str(path))
    pings = Pings()
    r = app_for(tmp_path, pings).test_client().get("/api/v1/health")
    answered = time.time()
    assert r.status_code == 503 and r.json["status"] == "degraded"
    notify = r.json["services"]["notify"]
    # the seconds left until the restart, as of the answer (however busy the machine)
    assert written + 3 - answered - 0.1 <= notify.pop("restart_in") <= 3
    assert notify == {"ok": False, "error": "not running", "state": "restarting", "restarts": 2,
                      "last_exit": "signal 9 (SIGKILL)"}
    assert r.json["services"]["forms"] == {"ok": True, "state": "running", "restarts": 0}
    assert sorted(pings.asked) == ["contracts", "devices", "forms", "knowledge",
                                   "portal"]  # not the one restarting

    path.write_text(json.dumps({"supervisor": {"pid": 2 ** 22 + 1}, "processes": {
        "notify": {"state": "restarting", "restarts": 1}}}))  # a supervisor that is gone
    r = app_for(tmp_path, Pings()).test_client().get("/api/v1/health")
    assert r.status_code == 200 and r.json["services"]["notify"] == {"ok": True}


class Away:
    def call(self, service, method, *args, timeout=None, **kwargs):
        raise TimeoutError("no answer")


def test_liveness_answers_while_every_service_is_away(tmp_path):
    """/health/live (the container's liveness probe) asks no service: a service that is away
    makes /health 503, and must not get the gateway restarted."""
    client = app_for(tmp_path, Away()).test_client()
    assert client.get("/api/v1/health").status_code == 503
    live = client.get("/api/v1/health/live")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})


def test_the_first_admin_password_is_named_on_later_starts_never_shown(tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    first = app_for(tmp_path, Pings()).extensions["servis"].admin_message
    path = tmp_path / "admin_password"
    assert first == f"Created user 'admin' (password generated, kept in {path})."
    again = app_for(tmp_path, Pings()).extensions["servis"].admin_message
    assert again == (f"The first password of 'admin' is kept in {path} (delete the file once "
                     "it is changed).")
    assert path.read_text().strip() not in again
    path.unlink()
    assert app_for(tmp_path, Pings()).extensions["servis"].admin_message is None

"""Issue 23's request id and metrics in real nameko containers on a real broker: the id a
caller sends travels through a service's worker into the RPC it makes to another service, and
from an event's body into the handler; every RPC is timed and counted by outcome, and the
process serves its metrics on METRICS_PORT."""
import json
import uuid

import eventlet
import requests
from nameko.containers import ServiceContainer
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.common import observability as obs
from services.common.exceptions import NotFound
from services.common.heartbeat import Heartbeat
from services.common.models import CommonBase, OutboxMessage
from services.common.outbox import add_event
from services.common.rpc import ServiceClient, rpc
from services.common.testing import free_port

SEEN = []


class Back:
    name = "obs_back"
    heartbeat = Heartbeat()

    @rpc
    def whoami(self):
        return obs.current_request_id()

    @rpc
    def missing(self):
        raise NotFound("No such thing.", {})

    @event_handler("obs_front", "poked")
    def on_poke(self, message):
        SEEN.append((message["n"], obs.current_request_id()))


class Front:
    name = "obs_front"
    heartbeat = Heartbeat()
    back = ServiceClient("obs_back", "BACK_TIMEOUT", default=5)

    @rpc
    def relay(self):
        return [obs.current_request_id(), self.back.call("whoami")]


def wait_for(check, seconds=5.0):
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        eventlet.sleep(0.05)
    return check()


def test_the_request_id_travels_through_rpc_and_events_and_calls_are_counted(
        amqp_uri, monkeypatch):
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    config = {"AMQP_URI": amqp_uri}
    containers = [ServiceContainer(cls, config) for cls in (Back, Front)]
    for c in containers:
        c.start()
    try:
        calls = obs.RPC_CALLS.labels("obs_front", "relay", "ok")
        before = calls._value.get()
        with ClusterRpcProxy(config, context_data={"request_id": "rid-svc-1"}) as proxy:
            assert proxy.obs_front.relay() == ["rid-svc-1", "rid-svc-1"]
        with ClusterRpcProxy(config) as proxy:  # none sent: the worker makes one, passed on
            made, passed = proxy.obs_front.relay()
            assert made and made == passed and made != "rid-svc-1"
            try:
                proxy.obs_back.missing()
            except NotFound:
                pass
        refused = obs.RPC_CALLS.labels("obs_back", "missing", "refused")
        # counted as the worker ends, which is just after nameko has sent the reply
        assert wait_for(lambda: calls._value.get() == before + 2 and refused._value.get() >= 1)

        dispatch = event_dispatcher(config)
        dispatch("obs_front", "poked", {"n": 1, "request_id": "ev-7"})
        dispatch("obs_front", "poked", {"n": 2})
        for _ in range(100):
            if len(SEEN) >= 2:
                break
            eventlet.sleep(0.05)
        seen = dict(SEEN)
        assert seen[1] == "ev-7" and seen[2] and seen[2] != "ev-7"

        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'servis_rpc_calls_total{method="relay",outcome="ok",service="obs_front"}' in text
        assert 'servis_rpc_seconds_count{method="whoami",service="obs_back"}' in text
        assert 'servis_events_handled_total{handler="on_poke",outcome="ok",service="obs_back"}' \
            in text
    finally:
        for c in containers:
            c.stop()


def test_an_event_written_to_the_outbox_carries_the_request_id():
    engine = create_engine("sqlite://")
    CommonBase.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    with Session(engine) as session:
        token = obs.bind_request_id("rid-outbox-1")
        try:
            add_event(session, "forms", "email_sent", {"message": {
                "id": 1, "event_id": str(uuid.uuid4()), "recipient": "a@b.c", "subject": "s"}})
        finally:
            obs.reset_request_id(token)
        session.commit()
        body = json.loads(session.scalars(select(OutboxMessage.body)).one())
    assert body["request_id"] == "rid-outbox-1" and body["event_type"] == "email_sent"

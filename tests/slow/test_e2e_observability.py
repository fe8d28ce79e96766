"""Issue 23's observability through the running system (deploy/run.py up, real broker, SMTP):
a request's X-Request-ID is in the log lines of every process its work reaches — the gateway,
forms, devices (forms' RPC at intake) and notify (the form_created event's handler) — and the
metrics of the gateway (/metrics) and of each service (its METRICS_BASE_PORT port, listed by
/api/v1/health) count what was done."""
import json
import os
import re
import time

import pytest
import requests

from services.common.testing import free_port_block
from tests.conftest import ADMIN_PASSWORD, running_system


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    with running_system(tmp_path_factory, "observed", LOG_LEVEL="INFO", LOG_FORMAT="json",
                        METRICS_BASE_PORT=str(free_port_block()),
                        METRICS_TOKEN="e2e-metrics-token") as running:
        yield running


def lines_with(system, process, request_id):
    path = os.path.join(system.data_dir, "logs", f"{process}.log")
    with open(path, encoding="utf-8") as f:
        found = []
        for line in f:
            if line.startswith("{") and request_id in line:
                found.append(json.loads(line))
        return found


def wait_for(check, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answer := check():
            return answer
        time.sleep(0.2)
    return check()


def test_a_request_id_reaches_every_process_its_work_touches(observed):
    admin = observed.token("admin", ADMIN_PASSWORD)
    r = observed.http.post(observed.url("/api/v1/customers"), headers=admin, json={
        "name": "Gözlem Ltd", "email": "bilgi@gozlem.com.tr", "rep_name": "Ayşe Yılmaz",
        "rep_email": "ayse@servis.local"})
    assert r.status_code == 201, r.text
    rid = "e2e-obs-" + str(time.time_ns())
    r = observed.http.post(observed.url("/api/v1/forms"), headers={**admin, "X-Request-ID": rid},
                           json={"customer_id": r.json()["id"], "complaint": "Ses yapıyor",
                                 "device": {"serial": "OBS-1", "brand": "Arçelik",
                                            "model": "K1", "device_type": "Klima"}})
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-ID"] == rid
    observed.smtp.wait_for(1)

    forms = wait_for(lambda: lines_with(observed, "forms", rid))
    assert any(line.get("method") == "create_form" and line["outcome"] == "ok"
               for line in forms), forms
    assert all(line["process"] == "forms" and line["request_id"] == rid for line in forms)
    devices = wait_for(lambda: lines_with(observed, "devices", rid))
    assert devices and {line["process"] for line in devices} == {"devices"}
    notify = wait_for(lambda: [line for line in lines_with(observed, "notify", rid)
                               if line.get("method") == "handle_form_created"])
    assert notify and notify[0]["outcome"] == "ok", lines_with(observed, "notify", rid)

    health = observed.http.get(observed.url("/api/v1/health"), headers=admin).json()["services"]
    (forms_metrics,) = health["forms"]["metrics"]
    (notify_metrics,) = health["notify"]["metrics"]
    forms_text = requests.get(forms_metrics, timeout=5).text
    assert re.search(r'servis_rpc_calls_total\{method="create_form",outcome="ok",'
                     r'service="forms"\} 1.0', forms_text), forms_text
    assert wait_for(lambda: re.search(r'servis_outbox_published_total\{service="forms"\} [1-9]',
                                      requests.get(forms_metrics, timeout=5).text))
    assert wait_for(lambda: 'servis_emails_total{outcome="sent"} 1.0' in requests.get(
        notify_metrics, timeout=5).text), requests.get(notify_metrics, timeout=5).text


def test_the_gateway_and_each_service_serve_their_metrics(observed):
    admin = observed.token("admin", ADMIN_PASSWORD)
    assert observed.http.get(observed.url("/metrics")).status_code == 401
    r = observed.http.get(observed.url("/metrics"),
                          headers={"Authorization": "Bearer e2e-metrics-token"})
    assert r.status_code == 200, r.text
    assert re.search(r'servis_gateway_rpc_seconds_count\{method="ping",outcome="ok",'
                     r'service="forms"\} [1-9]', r.text), r.text
    assert 'servis_rpc_queue_consumers{service="forms"} 1.0' in r.text

    health = observed.http.get(observed.url("/api/v1/health"), headers=admin).json()["services"]
    for name, answer in health.items():  # one metrics address per process
        (address,) = answer["metrics"]
        text = requests.get(address, timeout=5).text
        assert f'servis_rpc_calls_total{{method="ping",outcome="ok",service="{name}"}}' in text

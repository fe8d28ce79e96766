"""The gateway's part of issue 23's observability (services/common/observability.py has the
rest): every request gets its request id (the client's `X-Request-ID` when it is a valid one,
else a new one), answered in `X-Request-ID`, in every log line written while it is served and
sent with each RPC (gateway/rpc.py); its route, status and time are counted; `GET /metrics`
serves the process's metrics in Prometheus' text format, with the depth and consumers of each
service's RPC queue read from the broker at the scrape.

/metrics is not open: it answers a `Authorization: Bearer <METRICS_TOKEN>` (the token
Prometheus is configured with; unset: no token works) or an admin's session token."""
import hmac
import time

from flask import Response, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily

from gateway.auth import current_user
from services.common import observability as obs
from services.common.exceptions import Forbidden

REQUESTS = Counter("servis_gateway_requests", "HTTP requests the gateway answered",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram("servis_gateway_request_seconds", "Time the gateway took to answer",
                            ["method", "route"], buckets=obs.LATENCY_BUCKETS)
ADMINS_ONLY = "Only an administrator or the metrics token may read the metrics."


class _Queues:
    """servis_rpc_queue_messages / _consumers per service, asked of the broker at the scrape."""

    def __init__(self, rpc, services):
        self.rpc, self.services = rpc, services

    def collect(self):
        messages = GaugeMetricFamily("servis_rpc_queue_messages",
                                     "Calls waiting in a service's RPC queue", labels=["service"])
        consumers = GaugeMetricFamily("servis_rpc_queue_consumers",
                                      "Processes consuming a service's RPC queue",
                                      labels=["service"])
        state = getattr(self.rpc, "queue_state", None)
        for service in self.services if state else ():
            answer = state(service, timeout=2.0)
            if answer is not None:
                messages.add_metric([service], answer[0])
                consumers.add_metric([service], answer[1])
        yield messages
        yield consumers


def _allowed(settings):
    header = request.headers.get("Authorization", "")
    token = settings.metrics_token
    if token and header[:7].lower() == "bearer " and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()):
        return
    user = current_user()  # 401 without a token
    if user["role"] != "admin":
        raise Forbidden(ADMINS_ONLY, {"role": user["role"], "allowed_roles": ["admin"]})


def register(app, settings):
    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id_token = obs.bind_request_id(request.headers.get("X-Request-ID"))

    @app.after_request
    def _count(response):
        rid = obs.current_request_id()
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.pop("request_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUESTS.labels(request.method, route, str(response.status_code)).inc()
            REQUEST_SECONDS.labels(request.method, route).observe(
                time.perf_counter() - started)
        return response

    @app.teardown_request
    def _forget(_exc=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            obs.reset_request_id(token)

    @app.route("/metrics", methods=["GET"])
    def metrics():
        _allowed(settings)
        ext = current_app.extensions["servis"]
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Queues(ext.rpc, ext.settings.services))
        return Response(generate_latest(REGISTRY) + generate_latest(scrape),
                        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Cache-Control": "no-store"})

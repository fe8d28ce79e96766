"""GET /api/v1/health: each service's answer to a ping (no sign-in)."""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from flask_smorest import Blueprint

from gateway.supervision import metrics_addresses, process_states

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


@blp.route("/health", methods=["GET"])
@blp.doc(security=[])
@blp.alt_response(200, success=True, description="Every service answered")
@blp.alt_response(503, description="A service did not answer (the same body)")
def health():
    """Each service's answer to a ping, and how many processes consume its calls
    (`consumers`: its replicas); 503 when one does not answer. Under the local
    supervisor (make up / make run) each also says whether it runs or is being restarted,
    its restart count and why it last ended; `metrics` says where its Prometheus metrics
    are served, when they are (METRICS_BASE_PORT locally, METRICS_PORT in a container)."""
    ext = current_app.extensions["servis"]
    supervised = process_states()  # a process the supervisor is restarting is not pinged

    counting = getattr(ext.rpc, "consumers", None)

    def ping(name):
        if supervised.get(name, {}).get("state", "running") != "running":
            return name, {"ok": False, "error": "not running"}
        try:
            ext.rpc.call(name, "ping", timeout=ext.settings.health_timeout)
            answer = {"ok": True}
            if counting is not None:  # the processes consuming its calls: its replicas
                answer["consumers"] = counting(name, timeout=ext.settings.health_timeout)
            return name, answer
        except Exception as exc:  # any failure is that service's state, reported
            reason = getattr(exc, "reason", None)
            return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"
                          + (f" ({reason})" if reason else "")}

    with ThreadPoolExecutor(len(ext.settings.services)) as pool:
        services = dict(pool.map(ping, ext.settings.services))
    for name, state in supervised.items():
        if name in services:
            services[name].update(state)
    metrics = metrics_addresses()
    for name, answer in services.items():  # where each service's metrics are read
        if name in metrics or "*" in metrics:
            answer["metrics"] = metrics.get(name) or f"port {metrics['*']} of each process"
    ok = all(s["ok"] for s in services.values())
    return {"status": "ok" if ok else "degraded", "services": services}, (200 if ok else 503)


@blp.route("/health/live", methods=["GET"])
@blp.doc(security=[])
@blp.alt_response(200, success=True, description="The gateway process answers")
def live():
    """The gateway process answers (no service asked): the container's liveness probe. A
    service that is away makes /health 503, which must not restart the gateway."""
    return {"status": "ok"}


BLUEPRINTS = (blp,)

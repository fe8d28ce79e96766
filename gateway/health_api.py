"""GET /api/v1/health: each service's answer to a ping (no sign-in)."""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from flask_smorest import Blueprint

from gateway.supervision import process_states

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


@blp.route("/health", methods=["GET"])
@blp.doc(security=[])
def health():
    """Each service's answer to a ping; 503 when one does not answer. Under the local
    supervisor (make up / make run) each also says whether it runs or is being restarted,
    its restart count and why it last ended."""
    ext = current_app.extensions["servis"]
    supervised = process_states()  # a process the supervisor is restarting is not pinged

    def ping(name):
        if supervised.get(name, {}).get("state", "running") != "running":
            return name, {"ok": False, "error": "not running"}
        try:
            ext.rpc.call(name, "ping", timeout=ext.settings.health_timeout)
            return name, {"ok": True}
        except Exception as exc:  # any failure is that service's state, reported
            reason = getattr(exc, "reason", None)
            return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"
                          + (f" ({reason})" if reason else "")}

    with ThreadPoolExecutor(len(ext.settings.services)) as pool:
        services = dict(pool.map(ping, ext.settings.services))
    for name, state in supervised.items():
        if name in services:
            services[name].update(state)
    ok = all(s["ok"] for s in services.values())
    return {"status": "ok" if ok else "degraded", "services": services}, (200 if ok else 503)


@blp.route("/health/live", methods=["GET"])
@blp.doc(security=[])
def live():
    """The gateway process answers (no service asked): the container's liveness probe. A
    service that is away makes /health 503, which must not restart the gateway."""
    return {"status": "ok"}


BLUEPRINTS = (blp,)

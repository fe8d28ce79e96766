"""GET /api/v1/health: each service's answer to a ping (no sign-in)."""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from flask_smorest import Blueprint

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


@blp.route("/health", methods=["GET"])
@blp.doc(security=[])
def health():
    """Each service's answer to a ping; 503 when one does not answer."""
    ext = current_app.extensions["servis"]

    def ping(name):
        try:
            ext.rpc.call(name, "ping", timeout=ext.settings.health_timeout)
            return name, {"ok": True}
        except Exception as exc:  # any failure is that service's state, reported
            reason = getattr(exc, "reason", None)
            return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"
                          + (f" ({reason})" if reason else "")}

    with ThreadPoolExecutor(len(ext.settings.services)) as pool:
        services = dict(pool.map(ping, ext.settings.services))
    ok = all(s["ok"] for s in services.values())
    return {"status": "ok" if ok else "degraded", "services": services}, (200 if ok else 503)


BLUEPRINTS = (blp,)

"""The gateway: the only HTTP edge. `python -m gateway.app` serves it with waitress."""
import logging
import os
from decimal import Decimal
from types import SimpleNamespace

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api

from gateway import (accounts_api, approvals_api, audit, audit_api, contracts_api, devices_api,
                     errors, forms_api, health_api, knowledge_api, maintenance_api, notify_api,
                     observability, personal_data_api, portal_api, request_rules, routes, web)
from gateway.login_limits import make_budgets
from gateway.rpc import RpcClient
from gateway.settings import Settings
from gateway.users import UserStore
from services.common.observability import configure_logging


def _bounded_int(text):
    """A JSON integer of at most 40 digits: more can be no id, amount or count, and a
    thousands-digit one would cost the parser (and Python refuses > 4300 digits anyway)."""
    if len(text.lstrip("-")) > 40:
        raise ValueError("number too long")
    return int(text)


BLUEPRINTS = (accounts_api.BLUEPRINTS + health_api.BLUEPRINTS + notify_api.BLUEPRINTS
              + devices_api.BLUEPRINTS + forms_api.BLUEPRINTS + approvals_api.BLUEPRINTS
              + knowledge_api.BLUEPRINTS + contracts_api.BLUEPRINTS + maintenance_api.BLUEPRINTS
              + portal_api.BLUEPRINTS + audit_api.BLUEPRINTS + personal_data_api.BLUEPRINTS)


def _numeric_bounds(self, field, ret, **kwargs):
    """A Decimal field's Range as JSON numbers in the OpenAPI document (apispec copies the
    Decimal, which the document wrote as a string: no valid JSON Schema, found by
    schemathesis)."""
    return {k: float(v) for k, v in ret.items()
            if k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            and isinstance(v, Decimal)}


class BoundedJSON(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_int", _bounded_int)
        return super().loads(s, **kwargs)


class ServisApi(Api):
    ERROR_SCHEMA = errors.ErrorSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


def create_app(settings=None, rpc_client=None):
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)  # files: gateway/web/static
    app.json = BoundedJSON(app)
    app.json.ensure_ascii = False  # Turkish text stays readable
    app.json.sort_keys = False
    app.config.update(
        API_TITLE="Servis API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        JWT_SECRET=settings.jwt_secret(), MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    users = UserStore(settings.database_url, settings.account_check_seconds)
    app.extensions["servis"] = SimpleNamespace(
        settings=settings, users=users,
        rpc=rpc_client or RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout))
    app.extensions["servis"].admin_message = users.ensure_admin(settings.data_dir)
    app.extensions["servis"].login_budgets = make_budgets(settings, users)
    audit.register(app)

    spec = ServisApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})
    spec.ma_plugin.converter.add_attribute_function(_numeric_bounds)
    spec.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    routes.register_converters(app, spec)
    for blp in BLUEPRINTS:
        spec.register_blueprint(blp)
    errors.register(app)
    observability.register(app, settings)
    request_rules.register(app, settings)

    web.register(app)
    return app


def main():
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    configure_logging("gateway")  # JSON lines with the request id (LOG_FORMAT)
    # pika logs a passive check's expected 404, and each failed connection attempt at ERROR
    # with tracebacks (7 per request while the broker is away): the RPC client turns every
    # failure into a 503 and reports an unreachable broker once (services/common/broker.py).
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    settings = Settings.from_env()
    app = create_app(settings)
    message = app.extensions["servis"].admin_message
    if message:
        print(message, flush=True)
    from gateway.serving import serve
    print(f"gateway: http://127.0.0.1:{settings.port}/ (the staff console)  API docs: "
          f"http://127.0.0.1:{settings.port}/api/docs", flush=True)
    serve(app, host=os.environ.get("GATEWAY_HOST", "127.0.0.1"), port=settings.port,
          threads=int(os.environ.get("GATEWAY_THREADS", "32")), ident="servis")


if __name__ == "__main__":
    main()

"""The REST API (/api/v1): thin views that check the role, validate with the services' own
schemas, call one RPC and return its answer."""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.auth import LoginLimiter, Unauthorized, current_user, issue_token, roles
from gateway.supervision import process_states
from gateway.users import ROLES, public
from services.common.exceptions import NotFound, ValidationFailed
from services.common.schemas import LANGUAGES, Trimmed, email_field, id_field
from services.common.text import tr_lower
from services.notify.schemas import DeliveryQuery



def rpc(service, method, *args, **kwargs):
    return current_app.extensions["servis"].rpc.call(service, method, *args, **kwargs)


def user_language():
    return current_user().get("language") or "tr"


def actor():
    user = current_user()
    return {k: user[k] for k in ("id", "name", "email", "language", "role")}


class Page(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


# -- auth and users --------------------------------------------------------------------------
auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in and accounts")
limiter = LoginLimiter()


class TokenIn(Schema):
    username = Trimmed(required=True, validate=validate.Length(max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class UserIn(Schema):
    username = Trimmed(required=True, validate=validate.Regexp(
        r"^[\w.@-]{3,80}$", error="3-80 letters (Turkish ones too), digits or _ . @ -"))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = Trimmed(required=True, validate=validate.Length(max=200))
    email = email_field(load_default=None, allow_none=True)
    language = fields.String(load_default="tr", validate=validate.OneOf(LANGUAGES))
    customer_id = id_field(load_default=None, allow_none=True)


@auth_blp.route("/auth/token", methods=["POST"])
@auth_blp.doc(security=[])
@auth_blp.arguments(TokenIn)
@auth_blp.response(200, TokenOut)
def token(body):
    """Sign in: a bearer token for the username and password."""
    key = (tr_lower(body["username"]), request.remote_addr)
    limiter.check(key)
    ext = current_app.extensions["servis"]
    user = ext.users.authenticate(body["username"], body["password"])
    if user is None:
        limiter.failed(key)
        raise Unauthorized("Wrong username or password.")
    limiter.succeeded(key)
    ttl = ext.settings.token_ttl
    return {"access_token": issue_token(user, current_app.config["JWT_SECRET"], ttl),
            "token_type": "Bearer", "expires_in": ttl}


@auth_blp.route("/me", methods=["GET"])
def me():
    """The signed-in user."""
    user = current_app.extensions["servis"].users.get(current_user()["id"])
    if user is None:
        raise Unauthorized("The account no longer exists.")
    return public(user)


@auth_blp.route("/users")
class Users(MethodView):
    @roles("admin")
    def get(self):
        """Every account (admin only)."""
        return {"items": [public(u) for u in current_app.extensions["servis"].users.list()],
                "next_cursor": None}

    @roles("admin")
    @auth_blp.arguments(UserIn)
    def post(self, body):
        """Create a staff or portal account (admin only)."""
        if body["role"] == "customer":
            if body["customer_id"] is None:
                raise ValidationFailed("The input is not valid.",
                                       {"customer_id": ["A portal account needs its customer."]})
            try:
                rpc("devices", "get_customer", body["customer_id"])
            except NotFound:
                raise ValidationFailed("The input is not valid.",
                                       {"customer_id": ["No such customer."]})
        elif body["customer_id"] is not None:
            raise ValidationFailed("The input is not valid.", {
                "customer_id": ["Only a portal account (role customer) belongs to a customer."]})
        user = current_app.extensions["servis"].users.create(**body)
        return public(user), 201


# -- health ----------------------------------------------------------------------------------
health_blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


@health_blp.route("/health", methods=["GET"])
@health_blp.doc(security=[])
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
            return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    with ThreadPoolExecutor(len(ext.settings.services)) as pool:
        services = dict(pool.map(ping, ext.settings.services))
    for name, state in supervised.items():
        if name in services:
            services[name].update(state)
    ok = all(s["ok"] for s in services.values())
    return {"status": "ok" if ok else "degraded", "services": services}, (200 if ok else 503)


# -- e-mail ----------------------------------------------------------------------------------
emails_blp = Blueprint("emails", __name__, url_prefix="/api/v1",
                       description="Outgoing e-mail and its delivery log")


@emails_blp.route("/emails", methods=["GET"])
@roles("admin", "manager")
@emails_blp.arguments(DeliveryQuery, location="query")
@emails_blp.response(200, Page)
def emails(query):
    """The delivery log, newest first: `?status=failed` shows what did not go out."""
    return rpc("notify", "list_deliveries", query)


@emails_blp.route("/emails/<int(max=2147483647):delivery_id>/resend", methods=["POST"])
@roles("admin")
def resend_email(delivery_id):
    """Queue a failed e-mail again (same Message-ID); 409 unless it failed."""
    return rpc("notify", "resend", delivery_id)


BLUEPRINTS = (auth_blp, health_blp, emails_blp)

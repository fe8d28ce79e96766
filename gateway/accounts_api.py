"""Sign-in and accounts (/api/v1/auth/token, /me, /users): the gateway's own data, so these
views are written by hand."""
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.auth import LoginLimiter, Unauthorized, current_user, issue_token, roles
from gateway.helpers import invalid, rpc
from gateway.routes import expose
from gateway.users import public
from services.common.exceptions import NotFound
from services.common.roles import ADMINS, ROLES, STAFF
from services.common.schemas import LANGUAGES, Trimmed, email_field, id_field
from services.common.text import tr_lower

WRONG_PASSWORD = "Wrong username or password."
GONE = "The account no longer exists."
USERNAME = "3-80 letters (Turkish ones too), digits or _ . @ -"
PORTAL_NEEDS_CUSTOMER = "A portal account needs its customer."
NO_SUCH_CUSTOMER = "No such customer."
STAFF_HAS_NO_CUSTOMER = "Only a portal account (role customer) belongs to a customer."

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in and accounts")
limiter = LoginLimiter()


class TokenIn(Schema):
    username = Trimmed(required=True, validate=validate.Length(max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class UserIn(Schema):
    username = Trimmed(required=True, validate=validate.Regexp(r"^[\w.@-]{3,80}$",
                                                               error=USERNAME))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = Trimmed(required=True, validate=validate.Length(max=200))
    email = email_field(load_default=None, allow_none=True)
    language = fields.String(load_default="tr", validate=validate.OneOf(LANGUAGES))
    customer_id = id_field(load_default=None, allow_none=True)


@blp.route("/auth/token", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TokenIn)
@blp.response(200, TokenOut)
def token(body):
    """Sign in: a bearer token for the username and password."""
    key = (tr_lower(body["username"]), request.remote_addr)
    limiter.check(key)
    ext = current_app.extensions["servis"]
    user = ext.users.authenticate(body["username"], body["password"])
    if user is None:
        limiter.failed(key)
        raise Unauthorized(WRONG_PASSWORD)
    limiter.succeeded(key)
    ttl = ext.settings.token_ttl
    return {"access_token": issue_token(user, current_app.config["JWT_SECRET"], ttl),
            "token_type": "Bearer", "expires_in": ttl}


@blp.route("/me", methods=["GET"])
def me():
    """The signed-in user."""
    user = current_app.extensions["servis"].users.get(current_user()["id"])
    if user is None:
        raise Unauthorized(GONE)
    return public(user)


@blp.route("/users")
class Users(MethodView):
    @roles(*ADMINS)
    def get(self):
        """Every account (admin only)."""
        return {"items": [public(u) for u in current_app.extensions["servis"].users.list()],
                "next_cursor": None}

    @roles(*ADMINS)
    @blp.arguments(UserIn)
    def post(self, body):
        """Create a staff or portal account (admin only)."""
        if body["role"] == "customer":
            if body["customer_id"] is None:
                raise invalid(customer_id=[PORTAL_NEEDS_CUSTOMER])
            try:
                rpc("devices", "get_customer", body["customer_id"])
            except NotFound:
                raise invalid(customer_id=[NO_SUCH_CUSTOMER])
        elif body["customer_id"] is not None:
            raise invalid(customer_id=[STAFF_HAS_NO_CUSTOMER])
        user = current_app.extensions["servis"].users.create(**body)
        return public(user), 201


@blp.route("/users/staff", methods=["GET"])
@roles(*STAFF)
def staff():
    """Colleagues to pick from (a form's assignees, a customer's representative): id, name and
    role of every active staff account; `role` (repeatable) narrows it."""
    return staff_list({}, query={"role": request.args.getlist("role")})


@expose("GET", "/api/v1/users/staff", STAFF)
def staff_list(view_args, body=None, query=None, version=None):
    wanted = (query or {}).get("role") or ()
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    users = current_app.extensions["servis"].users.list()
    return {"items": [{"id": u.id, "name": u.name, "role": u.role} for u in users
                      if u.active and u.role in STAFF and (not wanted or u.role in wanted)],
            "next_cursor": None}


BLUEPRINTS = (blp,)

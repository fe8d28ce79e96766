"""Sign-in and accounts (/api/v1/auth/token, /me, /users): the gateway's own data, so these
views are written by hand."""
import logging

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from gateway.errors import ErrorSchema

from gateway import passwords, versions
from gateway.auth import LoginLimiter, Unauthorized, current_user, issue_token, roles
from gateway.helpers import invalid, rpc
from gateway.routes import expose
from gateway.users import public
from services.common.exceptions import NotFound, ServisError
from services.common.roles import ADMINS, ROLES, STAFF
from services.common.schemas import LANGUAGES, Trimmed, email_field, id_field
from services.common.text import tr_lower

WRONG_PASSWORD = "Wrong username or password."
GONE = "The account no longer exists."
USERNAME = "3-80 letters (Turkish ones too), digits or _ . @ -"
PORTAL_NEEDS_CUSTOMER = "A portal account needs its customer."
NO_SUCH_CUSTOMER = "No such customer."
STAFF_HAS_NO_CUSTOMER = "Only a portal account (role customer) belongs to a customer."
NOT_YOURSELF = "You may not deactivate your own account or take away your own admin role."
PORTAL_ROLE_FIXED = "A portal account stays a portal account, and a staff account staff."
WRONG_CURRENT = "The current password is wrong."
RESET_SENT = ("If the account exists and has an e-mail address, a link to set a new password "
              "has been sent to it.")
RESET_LINK_BAD = "The link is not valid: it was used, it expired, or it never existed."

log = logging.getLogger(__name__)
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
    password = fields.String(required=True, validate=validate.Length(max=200))
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
        return list_users({})

    @roles(*ADMINS)
    @blp.arguments(UserIn)
    def post(self, body):
        """Create a staff or portal account (admin only)."""
        out = create_user({}, body)
        return out, 201, versions.etag(out)


# The accounts' work, exposed (gateway/routes.py `expose`) so the console's users screen
# reaches it through the same roles and loading as the API's views above and below.
@expose("GET", "/api/v1/users", ADMINS)
def list_users(view_args, body=None, query=None, version=None):
    return {"items": [public(u) for u in current_app.extensions["servis"].users.list()],
            "next_cursor": None}


@expose("POST", "/api/v1/users", ADMINS, body=UserIn)
def create_user(view_args, body, query=None, version=None):
    if body["role"] == "customer":
        if body["customer_id"] is None:
            raise invalid(customer_id=[PORTAL_NEEDS_CUSTOMER])
        try:
            rpc("devices", "get_customer", body["customer_id"])
        except NotFound:
            raise invalid(customer_id=[NO_SUCH_CUSTOMER])
    elif body["customer_id"] is not None:
        raise invalid(customer_id=[STAFF_HAS_NO_CUSTOMER])
    check_password(body["password"], "password")
    return public(current_app.extensions["servis"].users.create(**body))


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


def check_password(password, field="new_password"):
    """The password rules (gateway/passwords.py): a 422 on `field` naming what is wrong."""
    found = passwords.problems(password, current_app.extensions["servis"].settings
                               .password_min_length)
    if found:
        raise invalid(**{field: found})


# -- accounts: change, passwords ----------------------------------------------------------------
class UserPatch(Schema):
    active = fields.Boolean()
    role = fields.String(validate=validate.OneOf(ROLES))
    name = Trimmed(validate=validate.Length(min=1, max=200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class PasswordChange(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=200))
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class PasswordSet(Schema):
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class ResetAsk(Schema):
    username = Trimmed(required=True, validate=validate.Length(min=1, max=254))


class ResetUse(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=100))
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    language = fields.String()
    customer_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.String()
    version = fields.Integer()


@blp.route("/users/<id:user_id>", methods=["PATCH"])
@roles(*ADMINS)
@blp.arguments(versions.versioned_schema(UserPatch), arg_name="body")
@blp.response(200, UserOut)
@blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": False,
                      "schema": {"type": "string"}}])
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(428, schema=ErrorSchema)
def update_user(body, user_id):
    """Change an account (admin): `active` (false ends its tokens and sessions within
    seconds), `role` (the same), `name`, `language`. Versioned: If-Match or `version`;
    missing 428, stale 409."""
    out = change_user({"user_id": user_id}, body, version=body.pop("version", None))
    return out, 200, versions.etag(out)


@expose("PATCH", "/api/v1/users/<id:user_id>", ADMINS, body=UserPatch)
def change_user(view_args, body, query=None, version=None):
    version = versions.stated(version)
    user_id = view_args["user_id"]
    users = current_app.extensions["servis"].users
    user = users.get(user_id)
    if user is None:
        raise NotFound("No such user: {user_id}.", {"user_id": user_id})
    me_ = current_user()
    if user.id == me_["id"] and (body.get("active") is False or (
            "role" in body and body["role"] != user.role)):
        raise invalid(_schema=[NOT_YOURSELF])
    if "role" in body and (body["role"] == "customer") != (user.role == "customer"):
        raise invalid(role=[PORTAL_ROLE_FIXED])
    return public(users.update(user_id, body, version))


class ProfileIn(Schema):
    """Your own name and language (the e-mails' and pages'); `version` as read from /me."""
    name = Trimmed(validate=validate.Length(min=1, max=200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    version = fields.Integer(required=True, validate=validate.Range(min=1))

    @validates("name")
    def _not_blank(self, value, **kwargs):
        if value is None:
            raise ValidationError("Must not be blank.")


@blp.route("/me", methods=["PATCH"])
@roles(*ROLES)
@blp.arguments(ProfileIn)
@blp.response(200)
def change_profile(body):
    """Change your own `name` and `language` (every role, portal customers too), stating the
    `version` read from `GET /me` (409 when it changed since)."""
    return update_profile(current_user()["id"], body)


def update_profile(user_id, body):
    """The account's own name and language; its web sessions take the new ones."""
    from gateway.web.shell import sessions
    ext = current_app.extensions["servis"]
    changes = {k: body[k] for k in ("name", "language") if k in body}
    user = ext.users.update(user_id, changes, body["version"])
    sessions().set_profile(user.id, user.name, user.language)
    return public(user)


@blp.route("/me/password", methods=["POST"])
@roles(*ROLES)
@blp.arguments(PasswordChange)
@blp.response(200, TokenOut)
def change_password(body):
    """Change your own password: `current_password`, `new_password`. Every other token and
    session of the account ends; the answer is a new token."""
    ext = current_app.extensions["servis"]
    user = ext.users.get(current_user()["id"])
    if user is None:
        raise Unauthorized(GONE)
    if ext.users.authenticate(user.username, body["current_password"]) is None:
        raise invalid(current_password=[WRONG_CURRENT])
    check_password(body["new_password"])
    user = ext.users.set_password(user.id, body["new_password"])
    return _token_for(user)


@blp.route("/users/<id:user_id>/password", methods=["POST"])
@roles(*ADMINS)
@blp.arguments(PasswordSet)
@blp.response(204)
def reset_password(body, user_id):
    """An admin sets an account's password (`new_password`): its tokens and sessions end."""
    set_user_password({"user_id": user_id}, body)
    return "", 204


@expose("POST", "/api/v1/users/<id:user_id>/password", ADMINS, body=PasswordSet)
def set_user_password(view_args, body, query=None, version=None):
    users = current_app.extensions["servis"].users
    if users.get(view_args["user_id"]) is None:
        raise NotFound("No such user: {user_id}.", {"user_id": view_args["user_id"]})
    check_password(body["new_password"])
    users.set_password(view_args["user_id"], body["new_password"])
    return None


@blp.route("/auth/password-reset", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(ResetAsk)
@blp.response(202)
def ask_reset(body):
    """Forgot the password: `username` (or the account's e-mail address). When the account
    exists, is active and has an e-mail address, notify sends it a one-time link (valid
    PASSWORD_RESET_SECONDS); the answer is the same either way."""
    ext = current_app.extensions["servis"]
    key = ("reset:" + tr_lower(body["username"]), request.remote_addr)
    limiter.check(key)  # asks count as failures: a few per address and name
    limiter.failed(key)
    user = ext.users.by_username(body["username"]) or ext.users.by_email(body["username"])
    if user is not None and user.active and user.email:
        token = ext.users.open_reset(user, ext.settings.password_reset_seconds)
        link = f"{ext.settings.public_base_url}/reset-password#{token}"
        try:
            rpc("notify", "send_password_reset", {
                "recipient": {"name": user.name, "email": user.email,
                              "language": user.language},
                "link": link, "valid_minutes": ext.settings.password_reset_seconds // 60})
        except ServisError:  # the answer must not tell that this account exists
            log.warning("password reset e-mail for user %s not queued", user.id, exc_info=True)
    return {"message": RESET_SENT}, 202


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(ResetUse)
@blp.response(200, TokenOut)
def use_reset(body):
    """Set a new password with the link's `token` (once, before it expires): `token`,
    `new_password`. Every earlier token and session of the account ends; the answer is a new
    token."""
    ext = current_app.extensions["servis"]
    check_password(body["new_password"])
    user = ext.users.use_reset(body["token"], body["new_password"])
    if user is None:
        raise invalid(token=[RESET_LINK_BAD])
    return _token_for(user)


def _token_for(user):
    ttl = current_app.extensions["servis"].settings.token_ttl
    return {"access_token": issue_token(user, current_app.config["JWT_SECRET"], ttl),
            "token_type": "Bearer", "expires_in": ttl}


BLUEPRINTS = (blp,)

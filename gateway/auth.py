"""Bearer tokens (PyJWT, HS256 fixed here — never taken from the token) and role checks."""
import functools
import time

import jwt
from flask import current_app, g, request

from services.common.exceptions import Forbidden, ServisError
from services.common.roles import ROLES

ALGORITHM = "HS256"
SIGN_IN = "Sign in first: send 'Authorization: Bearer <token>'."
BAD_TOKEN = "The token is not valid."
EXPIRED = "The token has expired; ask for a new one."
ENDED = "The session has ended (the account was changed or deactivated); sign in again."
ROLE_MAY_NOT = "The role '{role}' may not do this."


class Unauthorized(ServisError):
    code = "unauthorized"
    http_status = 401


class TooManyRequests(ServisError):
    code = "rate_limited"
    http_status = 429


def issue_token(user, secret, ttl):
    now = int(time.time())
    claims = {"sub": str(user.id), "role": user.role, "name": user.name, "email": user.email,
              "language": user.language, "customer_id": user.customer_id, "iat": now,
              "exp": now + ttl, "ep": user.epoch or 0}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@functools.lru_cache(maxsize=4096)
def _verified(token, secret):
    """Signature and claims checked once per token (expiry is checked on every use): decoding
    cost ~7% of the gateway's CPU per request in the benchmark. Invalid tokens raise, and
    exceptions are not cached."""
    return jwt.decode(token, secret, algorithms=[ALGORITHM], options={
        "require": ["exp", "sub"], "verify_exp": False})


def current_user():
    """The caller from the bearer token, or a 401."""
    if "user" in g:
        return g.user
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthorized(SIGN_IN)
    try:
        claims = _verified(header[7:].strip(), current_app.config["JWT_SECRET"])
    except jwt.InvalidTokenError:
        raise Unauthorized(BAD_TOKEN)
    if not _well_formed(claims):  # signed by us, yet not what issue_token writes
        raise Unauthorized(BAD_TOKEN)
    if claims["exp"] <= time.time():
        raise Unauthorized(EXPIRED)
    user_id = int(claims["sub"])
    # the account as it is now (cached a few seconds): deactivated, a new role or a new
    # password end its tokens
    if not current_app.extensions["servis"].users.states.live(user_id, claims.get("ep", 0)):
        raise Unauthorized(ENDED)
    g.user = {"id": user_id, "role": claims["role"], "name": claims.get("name"),
              "email": claims.get("email"), "language": claims.get("language", "tr"),
              "customer_id": claims.get("customer_id")}
    return g.user


def _well_formed(claims):
    number = (int, float)
    return (isinstance(claims.get("sub"), str) and claims["sub"].isascii()
            and claims["sub"].isdigit() and 0 < len(claims["sub"]) <= 18
            and isinstance(claims.get("exp"), number) and not isinstance(claims["exp"], bool)
            and claims.get("role") in ROLES
            and isinstance(claims.get("ep", 0), int)
            and (claims.get("customer_id") is None or isinstance(claims["customer_id"], int))
            and all(claims.get(k) is None or isinstance(claims[k], str)
                    for k in ("name", "email", "language")))


def roles(*allowed):
    """Only these roles may call the view (401 without a token, 403 with another role)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user["role"] not in allowed:
                raise Forbidden(ROLE_MAY_NOT, {"role": user["role"],
                                               "allowed_roles": list(allowed)})
            return view(*args, **kwargs)
        wrapper.__doc__ = f"{(view.__doc__ or '').strip()}\n\nRoles: {', '.join(allowed)}."
        return wrapper
    return decorator


from gateway.login_limits import LoginLimiter  # noqa: E402,F401  (the views' name for it)

"""How a page reaches the services: through the API's own access table (gateway/routes.py
`target`), so a page asks the same RPC, with the same roles, loading, version contract and
`prepare` as the API route it names — never a database, never a second list of who may do
what. The signed-in user is the page's session (gateway/web/shell.py sets it where the API's
views find their bearer token's user)."""
from gateway import audit
from gateway.auth import ROLE_MAY_NOT, current_user
from gateway.routes import target
from services.common.exceptions import Forbidden, NotFound, ServisError

API = "/api/v1"
NO_ROUTE = "The API has no {rule}."


def may(method, rule):
    """True when the signed-in user's role may call `method` `rule` (under /api/v1)."""
    t = target(method, API + rule)
    try:
        user = current_user()
    except Exception:  # not signed in
        return False
    return t is not None and user["role"] in t.roles


def exists(method, rule):
    return target(method, API + rule) is not None


def call(method, rule, view_args=None, body=None, query=None, version=None):
    """What the API answers to `method` `rule` (e.g. "POST", "/forms/<id:form_id>/parts")
    for the signed-in user, or its error (ServisError: 403, 404, 409, 422 …)."""
    t = target(method, API + rule)
    if t is None:
        raise NotFound(NO_ROUTE, {"rule": f"{method} {API}{rule}"})
    user = current_user()
    if user["role"] not in t.roles:
        raise Forbidden(ROLE_MAY_NOT, {"role": user["role"], "allowed_roles": list(t.roles)})
    if method.upper() == "GET":
        return t.run(view_args or {}, body, query, version)
    try:  # a change from a page: in the audit log under the API's rule, as the API's own
        result = t.run(view_args or {}, body, query, version)
    except ServisError as exc:
        audit.write(method.upper(), API + rule, view_args, exc.http_status)
        raise
    audit.write(method.upper(), API + rule, view_args, 200, result)
    return result

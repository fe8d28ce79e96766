"""The gateway as declarations: a pass-through route is one `Route` (method, path, service,
RPC method and its arguments, roles, request schemas, response schema, versioned or not,
success status, docs), and `declare()` turns a table of them into flask-smorest views with
their OpenAPI entries. Hand-written views remain only where the gateway does real work
(the CSV import, the revenue chart, assignment snapshots, views that combine two services,
accounts and health).

A declared view, in order: the role check (401/403), the request schemas (422 with field
messages), the version contract for a versioned route (428/422, gateway/versions.py), an
optional `prepare` step (snapshots, role-dependent filters), the RPC with what the schemas
loaded (helpers.to_wire), then the answer: `answer(call, result)` if given, an `ETag` when
the answer is a versioned record, the success status.
"""
import dataclasses
import functools
import re
from collections import defaultdict
from typing import Any, Callable

from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, missing
from werkzeug.routing import IntegerConverter

from gateway import audit, versions
from gateway.auth import current_user, roles as require_roles
from gateway.csv_export import csv_response, listing
from gateway.errors import ErrorSchema
from gateway.helpers import actor, rpc, to_wire, user_language
from services.common.exceptions import Conflict, validation_failed
from services.common.roles import CUSTOMER, TECHNICIAN
from services.common.schemas import MAX_ID


class IdConverter(IntegerConverter):
    """`<id:name>`: a record id, 1 to MAX_ID; anything else is no URL of ours (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def id_param_schema(converter):
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def register_converters(app, api):
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, id_param_schema)


@dataclasses.dataclass(frozen=True)
class Csv:
    """`?format=csv` on a list: columns(lang) -> [(tr, en, item -> value[, "money"])], and
    the file name (tr, en)."""
    columns: Callable[[str], list]
    filenames: tuple


@dataclasses.dataclass(frozen=True)
class Route:
    method: str  # GET, POST, PATCH, DELETE
    path: str  # under the blueprint's prefix; ids as <id:form_id>
    service: str
    rpc: str  # the service's RPC method
    roles: tuple  # from services/common/roles.py
    args: tuple = ()  # the RPC's arguments in order, each one of: "body", "query", "actor",
    #                   a URL variable's name, or a function of the Call
    body: Any = None  # the JSON body's schema (class or instance)
    query: Any = None  # the query string's schema
    response: Any = None  # the answer's schema (serialises and documents it)
    status: int = 200
    versioned: bool = False  # the version contract applies (If-Match / body version)
    etag: bool = False  # the answer is a versioned record: send its ETag
    timeout: Callable | float | None = None  # seconds, or settings -> seconds
    prepare: Callable | None = None  # (call) -> None, may change call.body / call.query
    answer: Callable | None = None  # (call, result) -> the response body
    csv: Csv | None = None  # the list also as CSV (?format=csv)
    doc: str = ""  # the first line is the summary
    record: str | None = None  # the record rule (services/common/access.py) the owning
    #                            service checks first for roles limited per record ("form")


class Call:
    """One request of a declared route, as `args`, `prepare` and `answer` see it."""

    def __init__(self, route, view_args, body, query, schemas, raw=None):
        self.route, self.view_args, self.body, self.query = route, view_args, body, query
        self._schemas = schemas  # (body, query) as loaded by the view
        self._defaulted = _defaulted(schemas[0], body, raw)

    @property
    def user(self):
        return current_user()

    def arg(self, source):
        if callable(source):
            return source(self)
        if source == "body":
            # what the client sent (and the gateway added), not the schema's defaults for
            # fields it left out: a service tells "not given" from "given as null"
            # (a transition without `sub_status` keeps the form's sub-status)
            return to_wire(self._schemas[0], {
                k: v for k, v in self.body.items()
                if not (k in self._defaulted and v is self._defaulted[k])})
        if source == "query":
            return to_wire(self._schemas[1], {k: v for k, v in self.query.items()
                                              if k != "format"})
        if source == "actor":
            return actor()
        return self.view_args[source]


def _defaulted(schema, loaded, raw):
    """{attribute: value} of the body's fields the request (`raw`, the body as sent) left out
    and the schema filled with its load_default."""
    if schema is None or not loaded:
        return {}
    if isinstance(schema, type):
        schema = schema()
    raw = raw if isinstance(raw, dict) else {}
    return {(f.attribute or name): loaded[f.attribute or name]
            for name, f in schema.fields.items()
            if f.load_default is not missing and (f.data_key or name) not in raw
            and (f.attribute or name) in loaded}


def const(value):
    """An RPC argument that is always `value` (a catalogue's name)."""
    return lambda call: value


class AllQuery(Schema):
    all = fields.Boolean(load_default=False, metadata={
        "description": "admins: inactive entries too"})


def admin_wants_all(call):
    """`?all=true` from an admin: inactive catalogue entries too."""
    return bool(call.query.get("all")) and call.user["role"] == "admin"


def items(call, result):
    """A plain list answered as a page: {"items": [...], "next_cursor": null}."""
    return {"items": result, "next_cursor": None}


def declare(blp, routes):
    """Add `routes` to the blueprint: one MethodView per path, its methods generated."""
    by_path = defaultdict(list)
    for route in routes:
        by_path[route.path].append(route)
    for path, group in by_path.items():
        methods = {}
        for route in group:
            methods[route.method.lower()] = _method(blp, route)
        name = re.sub(r"\W+", "_", path).strip("_") or "root"
        view = type(name, (MethodView,), methods)
        blp.route(path, endpoint=name)(view)
        _DECLARED[blp.name].extend((blp, route) for route in group)
    return routes


_DECLARED = defaultdict(list)


def declared_routes(blueprints):
    """(blueprint, route) for every route declared on these blueprints."""
    return [pair for blp in blueprints for pair in _DECLARED.get(blp.name, [])]


# -- the access table, for the web pages --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Target:
    """What a (method, URL rule) of the API does, for a caller that is no HTTP request of the
    API (the web pages, gateway/web): who may, and `run(view_args, body, query, version)` —
    the same loading, version contract, `prepare` and RPC as the API's view."""
    roles: tuple
    run: Callable


_TARGETS = {}
_RULES = {}  # id(route) -> its full URL rule


def target(method, rule):
    """The Target of `method` `rule` (the full URL rule, e.g.
    "/api/v1/forms/<id:form_id>/transitions"), or None when the API has no such route."""
    return _TARGETS.get((method.upper(), rule))


def expose(method, rule, roles_, body=None):
    """Record a hand-written view's work `func(view_args, body, query, version)` under its
    (method, rule) with its roles (and the body's schema, loaded for a page as the view's
    decorator loads it for the API), so pages reach it as they reach a declared route. The
    function returned is the one both call: a change keeps the record's "before" for the
    audit log (gateway/audit.py)."""
    def decorator(func):
        @functools.wraps(func)
        def work(view_args, body_=None, query=None, version=None, **kwargs):
            audit.remember_before(method.upper(), rule, view_args)
            return func(view_args, body_, query, version, **kwargs)

        def run(view_args, data=None, query=None, version=None):
            return work(view_args, _load(body, data) if body is not None else data, query,
                        version)
        _TARGETS[(method.upper(), rule)] = Target(tuple(roles_), run)
        return work
    return decorator


def perform(route, view_args, body, query, schemas, stated=None, raw=None):
    """The work of a declared route once its request is loaded (`raw`: the body as sent):
    `prepare`, the RPC, the version contract's 409 — (call, result). The API's view and the
    web pages both use it."""
    call = Call(route, view_args, body, query, schemas, raw)
    if route.versioned:
        call.body = {**call.body, "version": stated}
    if route.record:
        guard(route.record, view_args, write=route.method.upper() != "GET")
    if route.prepare:
        route.prepare(call)
    if route.method.upper() != "GET":
        audit.remember_before(route.method.upper(), _RULES[id(route)], view_args)
    kwargs = {}
    if route.timeout is not None:
        settings = current_app.extensions["servis"].settings
        kwargs["timeout"] = route.timeout(settings) if callable(route.timeout) \
            else route.timeout
    try:
        result = rpc(route.service, route.rpc, *[call.arg(a) for a in route.args], **kwargs)
    except Conflict as conflict:
        if stated is None:
            raise
        raise versions.stale(conflict, stated) from None
    return call, result


# -- record rules ------------------------------------------------------------------------------
# record -> (the roles limited per record, the view argument naming it, the owning service's
# check). The rule itself lives in the service (services/common/access.py applied with the
# actor); the gateway asks it first, and only for the limited roles (others: no extra RPC).
GUARDS = {
    "form": ((TECHNICIAN, CUSTOMER), "form_id", ("forms", "check_form_access")),
}


def guard(record, view_args, write=False):
    """403 (a customer: 404) when the caller may not touch the record `view_args` names;
    `write`: 409 when the record no longer changes."""
    roles_, key, (service, method) = GUARDS[record]
    if current_user()["role"] in roles_:
        rpc(service, method, view_args[key], actor(), "write" if write else "read")


def _load(schema, data):
    if schema is None:
        return {}
    schema = schema() if isinstance(schema, type) else schema
    try:
        return schema.load(data or {})
    except ValidationError as exc:
        raise validation_failed(exc) from None


def _target(route, body_schema, query_schema):
    def run(view_args, body=None, query=None, version=None):
        loaded_body, loaded_query = _load(body_schema, body), _load(query_schema, query)
        stated = versions.stated(version) if route.versioned else None
        call, result = perform(route, view_args, loaded_body, loaded_query,
                               (body_schema, query_schema), stated, raw=body)
        return route.answer(call, result) if route.answer else result
    return Target(tuple(route.roles), run)


def _method(blp, route):
    query_schema = listing(route.query) if route.csv else route.query
    body_schema = versions.versioned_schema(route.body) if (
        route.versioned and route.body is not None) else route.body
    if route.versioned and body_schema is None:  # the version may come in a body all the same
        body_schema = versions.VersionBody
    _RULES[id(route)] = (blp.url_prefix or "") + route.path
    _TARGETS[(route.method.upper(), _RULES[id(route)])] = _target(
        route, body_schema, query_schema)

    def view(self, *args, body=None, query=None, **view_args):
        body, query = body or {}, query or {}
        stated = versions.stated(body.get("version")) if route.versioned else None
        if route.csv and query.get("format") == "csv":
            call = Call(route, view_args, body, query, (body_schema, query_schema),
                        request.get_json(silent=True))
            if route.prepare:
                route.prepare(call)
            lang = user_language()
            wire = call.arg("query")
            return csv_response(lambda a: rpc(route.service, route.rpc, a), wire,
                                route.csv.columns(lang),
                                route.csv.filenames[0 if lang == "tr" else 1], lang)
        call, result = perform(route, view_args, body, query, (body_schema, query_schema),
                               stated, raw=request.get_json(silent=True))
        out = route.answer(call, result) if route.answer else result
        if route.status == 204:
            return "", 204
        return out, route.status, (versions.etag(result) if route.etag else {})

    view.__name__ = route.method.lower()
    view.__doc__ = _summary_first(route.doc)
    if route.versioned or route.etag:
        view.__doc__ = (view.__doc__ or "") + _VERSION_DOC[route.versioned]
    if body_schema is not None:
        view = blp.arguments(body_schema, arg_name="body")(view)
    if query_schema is not None:
        view = blp.arguments(query_schema, location="query", arg_name="query")(view)
    if route.response is not None:
        view = blp.response(route.status, route.response)(view)
    else:
        view = blp.alt_response(route.status, success=True, description=_STATUS_TEXT.get(
            route.status, "OK"), headers=_ETAG_HEADER if route.etag else None)(view)
    if route.versioned:
        view = blp.doc(parameters=[_IF_MATCH])(view)
        for status in (409, 428):
            view = blp.alt_response(status, schema=ErrorSchema)(view)
    view = require_roles(*route.roles)(view)
    return view


def _summary_first(doc):
    """A route's doc as flask-smorest reads a docstring: its first clause (up to the first
    ": " or ". ") is the operation's summary line, the rest its description (Markdown), so
    Swagger UI shows each once."""
    match = re.search(r"(: |\. )", doc or "")
    if match is None or match.start() > 100:
        return doc
    summary, rest = doc[:match.start()], doc[match.end():]
    return f"{summary}.\n\n{rest[:1].upper()}{rest[1:]}" if rest else summary


_VERSION_DOC = {
    True: "\n\nVersioned: send the version you read as `If-Match: \"<n>\"` (its ETag) or "
          "`version` in the body — missing 428, stale 409, both and different or a weak "
          "ETag 422.",
    False: "\n\nAnswers with the record's version as its `ETag`.",
}
_IF_MATCH = {"in": "header", "name": "If-Match", "required": False,
             "schema": {"type": "string"}, "description": 'The version read, e.g. "3".'}
_ETAG_HEADER = {"ETag": {"description": 'The record\'s version, e.g. "3".',
                         "schema": {"type": "string"}}}
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}

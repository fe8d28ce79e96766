"""GET /api/v1/audit: the audit log (gateway/audit.py), newest first, paged, also as CSV.
Read only: no route changes or deletes an entry."""
import json
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway.auth import roles
from gateway.csv_export import csv_response, listing
from gateway.helpers import Page, user_language
from gateway.routes import expose
from services.common.formats import LOCAL_TZ
from services.common.roles import ADMINS
from services.common.schemas import PageQuery, id_field, load

blp = Blueprint("audit", __name__, url_prefix="/api/v1",
                description="The audit log: every change, export, download and sign-in")


def _day(**kw):
    return fields.Date(load_default=None, allow_none=True, validate=validate.Range(
        min=date(2000, 1, 1), max=date(2999, 12, 31)), **kw)


class AuditQuery(PageQuery):
    entity = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=80), metadata={
                               "description": "customers, forms, users, "
                                              "catalogues/device-types, auth …"})
    id = fields.String(load_default=None, allow_none=True,
                       validate=validate.Length(min=1, max=80),
                       metadata={"description": "the record's id (with `entity`)"})
    user = id_field(load_default=None, allow_none=True, strict=False,
                    metadata={"description": "the acting account's id"})
    from_ = _day(data_key="from", metadata={"description": "first day (Türkiye)"})
    to = _day(metadata={"description": "last day (Türkiye), inclusive"})


AuditHttp = listing(AuditQuery)


def _columns(lang):
    return [
        ("Kayıt", "Id", lambda e: e["id"]),
        ("Zaman", "Time", lambda e: e["at"], "moment"),
        ("Kullanıcı", "User", lambda e: e["actor_name"]),
        ("Kullanıcı no", "User id", lambda e: e["actor_id"]),
        ("Rol", "Role", lambda e: e["actor_role"]),
        ("Adres", "Address", lambda e: e["address"]),
        ("İşlem", "Action", lambda e: e["action"]),
        ("Yöntem", "Method", lambda e: e["method"]),
        ("Yol", "Route", lambda e: e["rule"]),
        ("Kayıt türü", "Entity", lambda e: e["entity"]),
        ("Kayıt no", "Record", lambda e: e["record_id"]),
        ("Durum", "Status", lambda e: e["status"]),
        ("Önce", "Before", lambda e: _text(e["before"])),
        ("Sonra", "After", lambda e: _text(e["after"])),
    ]


def _text(value):
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _local_day_start(day):
    """A day on Türkiye's calendar as the UTC moment it starts."""
    return datetime.combine(day, time(0), LOCAL_TZ)


def _fetch(args):
    start = _local_day_start(args["from_"]) if args.get("from_") else None
    end = _local_day_start(args["to"] + timedelta(days=1)) if args.get("to") else None
    return current_app.extensions["servis"].audit.page(
        entity=args.get("entity"), record_id=args.get("id"), user=args.get("user"),
        start=start, end=end, limit=args.get("limit", 50), cursor=args.get("cursor"))


@blp.route("/audit", methods=["GET"])
@roles(*ADMINS)
@blp.arguments(AuditHttp, location="query", arg_name="query")
@blp.response(200, Page)
def audit_log(query):
    """The audit log (admin), newest first: who, when, from which address, which record,
    before → after. Filters `entity` (with `id`), `user` (an account's id), `from` and `to`
    (days on Türkiye's calendar, inclusive); cursor paged; `?format=csv` for the file. The
    log is append-only: there is no route that changes or deletes an entry."""
    if query.pop("format", "json") == "csv":
        lang = user_language()
        return csv_response(_fetch, query, _columns(lang),
                            "denetim-kaydi.csv" if lang == "tr" else "audit-log.csv", lang)
    return _fetch(query)


@expose("GET", "/api/v1/audit", ADMINS)
def read_audit(view_args, body=None, query=None, version=None):
    """The log for a page (gateway/web): the same filters, as the query string's text."""
    return _fetch(load(AuditQuery(), {k: v for k, v in (query or {}).items()
                                      if v not in (None, "")}))


BLUEPRINTS = (blp,)

"""The audit log: who did what, when, from which address, to which record, before → after.

It lives in the gateway's own database (docs/architecture.md, "The audit log"): every change
and every download passes through the gateway with its actor, so one `after_request` hook
records them all — no route has to remember to. What is recorded:

- every POST/PUT/PATCH/DELETE under /api/v1 (whatever its answer: a refused write is worth
  knowing too), with the record's answer as "after" and, for a change of a record the API can
  read back (a GET on the same URL, or the entry in its parent list), that record as it was
  before the change ("before"); only the fields that changed are kept;
- the console's posts, which run the same routes (gateway/web/api.py `call` records them under
  the API's rule);
- every GET that answers a file (CSV, PDF, ZIP: exports and document downloads), API or console;
- sign-in through the API or the console, success and failure (the username tried).

Append-only for the application: this module writes and reads; the one change it makes to a
written entry is `redact` (KVKK erasure replaces a person's data with a marker; the erasure's
own request is recorded like every write). No route updates or deletes an entry."""
import json
import logging
import re
from datetime import datetime

from flask import current_app, g, request
from sqlalchemy import Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from gateway.users import Base
from services.common.db import add_missing_columns
from services.common.erasure import scrub
from services.common.models import UTCDateTime, utcnow
from services.common.schemas import decode_cursor, encode_cursor

log = logging.getLogger(__name__)

WRITES = ("POST", "PUT", "PATCH", "DELETE")
FILES = ("application/pdf", "text/csv", "application/zip")
SIGN_IN_RULES = ("/api/v1/auth/token", "/signin")
MAX_JSON = 32 * 1024  # a before/after larger than this is kept as {"truncated": n chars}
SECRET_KEY = re.compile(r"password|token|secret|_url$", re.IGNORECASE)
TWO_PART = ("catalogues", "reports")  # entities named by two segments


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entity_record", "entity", "record_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))  # write, export, sign_in, sign_in_failed
    method: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(300))  # the URL rule, never the URL itself
    entity: Mapped[str | None] = mapped_column(String(80))
    record_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[int] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)  # the URL's variables, the username tried


class AuditLog:
    """Append and read; `redact` is the one change to a written entry (KVKK erasure)."""

    def __init__(self, engine):
        with engine.begin() as conn:
            AuditEntry.__table__.create(conn, checkfirst=True)
            add_missing_columns(conn, Base.metadata)
        self.Session = sessionmaker(engine, expire_on_commit=False)

    def append(self, **values):
        with self.Session() as s:
            entry = AuditEntry(**values)
            s.add(entry)
            s.commit()
        return entry

    def page(self, entity=None, record_id=None, user=None, start=None, end=None, limit=50,
             cursor=None):
        """Newest first: {"items", "next_cursor"}."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if record_id is not None:
            query = query.where(AuditEntry.record_id == str(record_id))
        if user is not None:
            query = query.where(AuditEntry.actor_id == user)
        if start is not None:
            query = query.where(AuditEntry.at >= start)
        if end is not None:
            query = query.where(AuditEntry.at < end)
        if cursor:
            (after_id,) = decode_cursor(cursor, int)
            query = query.where(AuditEntry.id < after_id)
        with self.Session() as s:
            rows = s.scalars(query).all()
        page = rows[:limit]
        return {"items": [dump(r) for r in page],
                "next_cursor": encode_cursor([page[-1].id]) if len(rows) > limit else None}

    def redact(self, session, pairs):
        """KVKK erasure: each needle of `pairs` [(needle, replacement)] replaced wherever an
        entry holds it (services/common/erasure.py scrub), in `session`'s transaction; the
        number of entries changed. The one change to a written entry there is."""
        return len(scrub(session, Base.metadata, pairs, tables=[AuditEntry.__table__]))


def dump(entry):
    return {"id": entry.id, "at": entry.at.isoformat(), "actor_id": entry.actor_id,
            "actor_name": entry.actor_name, "actor_role": entry.actor_role,
            "address": entry.address, "action": entry.action, "method": entry.method,
            "rule": entry.rule, "entity": entry.entity, "record_id": entry.record_id,
            "status": entry.status, "before": _load(entry.before),
            "after": _load(entry.after), "detail": _load(entry.detail)}


def _load(text):
    return json.loads(text) if text else None


# -- what an entry says -----------------------------------------------------------------------
def clean(value):
    """A JSON-able copy with secrets (passwords, tokens, links that carry one) masked."""
    if isinstance(value, dict):
        return {k: ("***" if SECRET_KEY.search(str(k)) and v is not None else clean(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _json(value):
    if value is None:
        return None
    text = json.dumps(clean(value), ensure_ascii=False, default=str)
    return text if len(text) <= MAX_JSON else json.dumps({"truncated": len(text)})


def changes(before, after):
    """(before, after) as kept: of two records, only the fields that differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in dict.fromkeys([*before, *after])
                if before.get(k) != after.get(k) and k not in ("version", "updated_at")]
        return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
    return before, after


def entity_of(rule):
    """"/api/v1/customers/<id:customer_id>/contacts" -> "customers";
    "/api/v1/catalogues/device-types/<code>" -> "catalogues/device-types"."""
    path = rule[len("/api/v1"):] if rule.startswith("/api/v1/") else rule
    parts = [p for p in path.strip("/").split("/") if p and not p.startswith("<")]
    if not parts:
        return None
    if parts[0] in TWO_PART and len(parts) > 1:
        return f"{parts[0]}/{parts[1]}"
    return parts[0].removesuffix(".csv")


def record_of(view_args, after):
    """The record's id: the URL's first variable, or the id a creation answered."""
    for value in (view_args or {}).values():
        if isinstance(value, (int, str)):
            return str(value)
    if isinstance(after, dict) and isinstance(after.get("id"), (int, str)):
        return str(after["id"])
    return None


def _actor():
    user = g.get("user")
    if user is None:
        return {}
    return {"actor_id": user.get("id"), "actor_name": user.get("name"),
            "actor_role": user.get("role")}


def _log():
    return current_app.extensions["servis"].audit


def write(method, rule, view_args, status, after=None, action=None, detail=None, actor=None,
          entity=None):
    """Append one entry for this request (its actor, address and time)."""
    view_args = {k: v for k, v in (view_args or {}).items() if k != "token"}
    before = g.get("audit_before", {}).pop((method, rule), None)
    kept_after = after if 200 <= status < 300 else None
    if method != "POST" or before is not None:
        before, kept_after = changes(before, kept_after)
    values = dict(
        at=utcnow(), address=(request.remote_addr or "")[:64], action=action or "write",
        method=method, rule=rule[:300], entity=entity or entity_of(rule),
        record_id=(record_of(view_args, after) or "")[:80] or None, status=status,
        before=_json(before), after=_json(kept_after),
        detail=_json({**view_args, **(detail or {})} or None), **(actor or _actor()))
    try:
        _log().append(**values)
    except Exception:  # the change is made; a lost entry is logged, never a 500 afterwards
        log.exception("audit entry not written: %s %s", method, rule)


def remember_before(method, rule, view_args):
    """Before a change: the record as the API reads it (a GET on the same rule, else its
    entry in the parent list), kept for this request's audit entry. Best effort: a record
    that cannot be read has no "before"."""
    if method not in ("PATCH", "PUT", "DELETE"):
        return
    from gateway.routes import target
    try:
        role = g.user["role"]
        value = None
        own = target("GET", rule)
        if own is not None and role in own.roles:
            value = own.run(dict(view_args))
        else:
            parent, _, last = rule.rpartition("/")
            key = re.fullmatch(r"<(?:[^:>]+:)?(\w+)>", last)
            lister = target("GET", parent)
            if key and lister is not None and role in lister.roles:
                wanted = view_args[key.group(1)]
                args = {k: v for k, v in view_args.items() if k != key.group(1)}
                try:
                    listed = lister.run(args, None, {"all": "true"})
                except Exception:
                    listed = lister.run(args)
                items = listed.get("items", []) if isinstance(listed, dict) else listed
                value = next((i for i in items or () if isinstance(i, dict) and (
                    i.get("code") == wanted or i.get("id") == wanted)), None)
    except Exception:  # noqa: BLE001 — no "before" is better than no change
        log.debug("no before for %s %s", method, rule, exc_info=True)
        value = None
    g.setdefault("audit_before", {})[(method, rule)] = value


def _is_file(response):
    return (response.headers.get("Content-Disposition") is not None
            or response.mimetype in FILES)


def after_request(response):
    """The hook: an entry for every API write, sign-in and file answered."""
    try:
        rule = request.url_rule.rule if request.url_rule is not None else None
        if rule is None or g.get("audit_written"):
            return response
        method = request.method
        if method in WRITES and (rule.startswith("/api/v1/") or rule in SIGN_IN_RULES):
            if rule in SIGN_IN_RULES:
                sign_in(response.status_code)
            else:
                after = response.get_json(silent=True) if response.is_json else None
                write(method, rule, request.view_args, response.status_code, after)
        elif method == "GET" and g.get("user") is not None and _is_file(response) \
                and not rule.startswith("/static"):
            write(method, rule, request.view_args, response.status_code, action="export",
                  detail={k: v for k, v in request.args.items() if k != "cursor"})
    except Exception:
        log.exception("audit hook failed")
    return response


def sign_in(status):
    """A sign-in (API or console): the username tried; the account when it succeeded."""
    if request.is_json:
        username = (request.get_json(silent=True) or {}).get("username")
    else:
        username = request.form.get("username")
    username = str(username or "").strip()[:80]
    ok = status in (200, 303)
    actor = {}
    if ok:
        user = current_app.extensions["servis"].users.by_username(username) if username \
            else None
        if user is not None:
            actor = {"actor_id": user.id, "actor_name": user.name, "actor_role": user.role}
    write(request.method, request.url_rule.rule, {}, status if status != 303 else 200,
          action="sign_in" if ok else "sign_in_failed", detail={"username": username},
          actor=actor, entity="auth")


def register(app):
    app.extensions["servis"].audit = AuditLog(app.extensions["servis"].users.engine)
    app.after_request(after_request)

"""forms: service forms (servis formu) from intake to the final check — lifecycle, assignment,
work, parts and fees, completion and repair warranty, satisfaction call, final check, lists and
revenue."""
import json
import logging
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import eventlet
from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from sqlalchemy import and_, case, exists, func, select, text, tuple_, union_all, update
from sqlalchemy.orm.exc import StaleDataError

from services.common.db import Database
from services.common.exceptions import (Conflict, Forbidden, NotFound, PreconditionRequired,
                                        ServiceUnavailable, ValidationFailed)
from services.common.handlers import handles, new_event
from services.common.idempotency import commit_processed
from services.common.models import utcnow
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, is_id, like_pattern, load, page_of
from services.common.text import fold, sort_key
from services.forms import domain
from services.forms.models import (Assignment, Base, FaultType, Form, FormHistory, PartLine,
                                   SubStatus, SurveyAnswer, SurveyQuestion, WorkLog)
from services.forms.schemas import (Actor, AssignIn, CallsQuery, CatalogueIn, CataloguePatch,
                                    FinalCheckIn, FormIn, FormOut, FormQuery, HistoryQuery,
                                    PartIn,
                                    QuestionIn, QuestionPatch, RevenueQuery, SatisfactionQuery,
                                    SubStatusIn, SurveyIn, TimerIn, TransitionIn, Versioned,
                                    WorkIn, WorkLogIn)

log = logging.getLogger(__name__)

# forms -> devices: the wait for an answer and the life of the request in devices' queue, so a
# request given up on is dropped by the broker instead of running later.
DEVICES_RPC_TIMEOUT = float(os.environ.get("DEVICES_RPC_TIMEOUT", "8"))

FORM_OUT, FORMS_OUT = FormOut(), FormOut(many=True)  # built once: ~10% of get_form's CPU
STATUS_RANK = {s: i for i, s in enumerate(domain.STATUSES, start=1)}  # lifecycle order
MONEY_FIELDS = {"service_fee", "discount_amount", "discount_percent", "repair_warranty_months"}
MAX_TOTAL = Decimal("9999999999.99")  # Numeric(12, 2)

NEXT_NUMBER = text(
    "INSERT INTO number_sequences (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = number_sequences.last + 1 RETURNING last")

DEFAULT_FAULT_TYPES = (
    ("elektrik", "Elektrik arızası", "Electrical fault"),
    ("mekanik", "Mekanik arıza", "Mechanical fault"),
    ("sogutma", "Soğutma / gaz", "Cooling / refrigerant"),
    ("elektronik", "Elektronik kart", "Electronic board"),
    ("yazilim", "Yazılım", "Software"),
    ("kullanici", "Kullanıcı hatası", "User error"),
    ("bakim", "Periyodik bakım", "Periodic maintenance"),
)


def seed_catalogue(session):
    if session.scalars(select(FaultType.code).limit(1)).first() is None:
        session.add_all(FaultType(code=c, name_tr=tr, name_en=en)
                        for c, tr, en in DEFAULT_FAULT_TYPES)


def _by(actor):
    return {"user_id": actor["id"], "name": actor.get("name") or f"#{actor['id']}"} \
        if actor and actor.get("id") else None


def _catalogue_out(row):
    out = {"code": row.code, "name": {"tr": row.name_tr, "en": row.name_en},
           "active": row.active}
    if isinstance(row, SubStatus):
        out["status"] = row.status
    return out


def _question_out(q):
    return {"id": q.id, "text": {"tr": q.text_tr, "en": q.text_en}, "weight": f"{q.weight:.2f}",
            "scale_min": q.scale_min, "scale_max": q.scale_max, "position": q.position,
            "active": q.active}


class FormsService:
    name = "forms"

    db = Database(Base.metadata, seed=seed_catalogue)
    outbox = Outbox("db")
    devices = RpcProxy("devices", expiration=DEVICES_RPC_TIMEOUT)
    config = Config()

    @rpc
    def ping(self):
        return "forms"

    # -- settings -----------------------------------------------------------------------------
    def _setting(self, name, default):
        value = self.config.get(name)
        return default if value in (None, "") else value

    def _rate(self, role):
        rates = self._setting("LABOUR_RATES", {})
        if isinstance(rates, str):
            rates = json.loads(rates)
        return Decimal(str(rates.get(role) or self._setting("LABOUR_HOURLY_RATE", "750")))

    def _coverage_table(self):
        table = self._setting("COVERAGE_PAYS", None)
        return json.loads(table) if isinstance(table, str) else table

    # -- intake -------------------------------------------------------------------------------
    @rpc
    def create_form(self, data, actor):
        data = load(FormIn(), data)
        actor = load(Actor(), actor)
        # Ask devices first, with no transaction open (no I/O inside a transaction).
        intake = self._call_devices("resolve_intake", {
            "customer_id": data["customer_id"], "device_id": data["device_id"],
            "device": data["device"]})
        customer, rep, device = intake["customer"], intake["customer"]["rep"], intake["device"]
        form = Form(
            kind=data["kind"], status="NEW", status_rank=STATUS_RANK["NEW"], version=1,
            complaint=data["complaint"], complaint_folded=fold(data["complaint"]),
            customer_id=customer["id"], customer_name=customer["name"],
            customer_name_sort=sort_key(customer["name"]), customer_email=customer["email"],
            customer_language=customer["language"],
            rep_user_id=rep and rep["user_id"], rep_name=rep and rep["name"],
            rep_email=rep and rep["email"], rep_language=(rep or {}).get("language") or "tr",
            device_id=device["id"], device_brand=device["brand"], device_model=device["model"],
            device_type=device["device_type"], device_type_key=device["device_type"] or "",
            device_serial=device["serial"], currency=self._setting("CURRENCY", "TRY"),
            opened_by_id=actor["id"], opened_by_name=actor["name"],
            **domain.coverage_columns(intake["coverage"]))
        year = domain.numbering_year()
        seq = self.db.execute(NEXT_NUMBER, {"year": year}).scalar_one()
        form.number = domain.format_number(year, seq)
        self.db.add(form)
        self.db.flush()
        self.db.add(FormHistory(form_id=form.id, action="status", from_status=None,
                                to_status="NEW", by_id=actor["id"], by_name=actor["name"]))
        self.outbox.add(self.db, "form_created", domain.form_created_payload(form))
        self.db.commit()
        return FORM_OUT.dump(form)

    def _call_devices(self, method, *args):
        try:
            reply = getattr(self.devices, method).call_async(*args)
            with eventlet.Timeout(DEVICES_RPC_TIMEOUT):
                return reply.result()
        except (UnknownService, eventlet.Timeout):
            raise ServiceUnavailable("The devices service is not answering.",
                                     {"service": "devices"})

    # -- reading ------------------------------------------------------------------------------
    @rpc
    def get_form(self, form_id):
        return FORM_OUT.dump(self._form(form_id))

    @rpc
    def get_form_detail(self, form_id, actor=None):
        """The form with its assignees, work logs (and time per person), parts, the coverage's
        share, and the moves the actor may make."""
        form = self._form(form_id)
        out = FORM_OUT.dump(form)
        assignees = self.db.scalars(select(Assignment).where(Assignment.form_id == form.id)
                                    .order_by(Assignment.id)).all()
        logs = self.db.scalars(select(WorkLog).where(WorkLog.form_id == form.id)
                               .order_by(WorkLog.id)).all()
        parts = self.db.scalars(select(PartLine).where(PartLine.form_id == form.id)
                                .order_by(PartLine.id)).all()
        per_person = {}
        for w in logs:
            p = per_person.setdefault(w.user_id, {"user_id": w.user_id, "name": w.user_name,
                                                  "minutes": 0})
            p["minutes"] += w.minutes
        pays = domain.coverage_pays(form.coverage_kind, self._coverage_table())
        role = (actor or {}).get("role")
        if form.survey_status == "pending" and domain.survey_expired(
                form.delivered_at, int(self._setting("SURVEY_EXPIRY_DAYS", 14))):
            out["survey"]["status"] = "expired"  # not made in time: waived
        out.update({
            "assignees": [{"user_id": a.user_id, "name": a.name, "email": a.email,
                           "language": a.language, "assigned_at": a.assigned_at.isoformat()}
                          for a in assignees],
            "work_logs": [{"id": w.id, "user_id": w.user_id, "user_name": w.user_name,
                           "started_at": w.started_at.isoformat() if w.started_at else None,
                           "ended_at": w.ended_at.isoformat() if w.ended_at else None,
                           "minutes": w.minutes, "running": w.running,
                           "hourly_rate": f"{w.hourly_rate:.2f}", "note": w.note}
                          for w in logs],
            "work_time": list(per_person.values()),
            "parts": [{"id": p.id, "code": p.code, "name": p.name,
                       "quantity": f"{p.quantity.normalize():f}",
                       "unit_price": f"{p.unit_price:.2f}", "amount": f"{p.amount:.2f}"}
                      for p in parts],
            "coverage_pays": {**pays, "explanation": domain.coverage_explanation(
                form.coverage_kind or "none", pays)},
            "allowed_transitions": [
                {"to": to, "name": domain.STATUS_NAMES[to]}
                for to, roles in domain.moves_from(form.status) if role is None or role in roles],
        })
        return out

    @rpc
    def form_history(self, form_id, query=None):
        """Every change, newest first: status moves and field changes, who and when."""
        query = load(HistoryQuery(), query or {})
        form = self._form(form_id)
        stmt = select(FormHistory).where(FormHistory.form_id == form.id)
        if query["cursor"]:
            (before,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(FormHistory.id < before)
        rows = self.db.scalars(stmt.order_by(FormHistory.id.desc())
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda h: [h.id])
        return {"items": [{"id": h.id, "action": h.action, "from": h.from_status,
                           "to": h.to_status, "changes": json.loads(h.changes) if h.changes
                           else None, "note": h.note, "by": {"id": h.by_id, "name": h.by_name},
                           "at": h.at.isoformat()} for h in page], "next_cursor": cursor}

    # -- lists --------------------------------------------------------------------------------
    SORT_COLUMNS = {"number": Form.number, "customer": Form.customer_name_sort,
                    "status": Form.status_rank, "device_type": Form.device_type_key,
                    "fault_type": Form.fault_type_key, "opened": Form.created_at,
                    "delivered": Form.delivered_at, "closed": Form.closed_at}

    @rpc
    def list_forms(self, query=None):
        """Filtered, sorted (number, customer in Turkish order, status in lifecycle order,
        device type, fault type, opened/delivered/closed date; '-' for descending) and paged
        with a cursor. Sorting by delivered or closed lists the forms that have that date."""
        query = load(FormQuery(), query or {})
        stmt = select(Form)
        if query["state"] == "open":
            stmt = stmt.where(Form.status.in_(domain.OPEN_STATUSES))
        elif query["state"] == "closed":
            stmt = stmt.where(Form.status.in_(("CLOSED", "CANCELLED")))
        for name, column in (("status", Form.status), ("customer_id", Form.customer_id),
                             ("device_type", Form.device_type_key),
                             ("fault_type", Form.fault_type_key), ("kind", Form.kind),
                             ("coverage", Form.coverage_kind),
                             ("rep_user_id", Form.rep_user_id)):
            if query[name] is not None:
                stmt = stmt.where(column == query[name])
        if query["technician"] is not None:
            stmt = stmt.where(exists(select(Assignment.id).where(
                Assignment.form_id == Form.id, Assignment.user_id == query["technician"])))
        if query["opened_from"]:
            stmt = stmt.where(Form.created_at >= _day_start(query["opened_from"]))
        if query["opened_to"]:
            stmt = stmt.where(Form.created_at < _day_start(query["opened_to"] + timedelta(1)))
        if query["q"]:
            stmt = stmt.where(Form.complaint_folded.like(like_pattern(fold(query["q"])),
                                                          escape="\\"))
        sort = query["sort"].lstrip("-")
        descending = query["sort"].startswith("-")
        key = self.SORT_COLUMNS[sort]
        if sort in ("delivered", "closed"):
            stmt = stmt.where(key.is_not(None))
        order = ((key.desc(), Form.id.desc()) if descending else (key, Form.id))
        if sort == "number":
            order = order[:1]
        n = query["limit"] + 1
        if query["cursor"]:
            value, last_id = self._after(key, sort, descending, query["cursor"])
            if last_id is None:  # number: unique, one column
                stmt = stmt.where(key < value if descending else key > value)
            elif self.db.get_bind().dialect.name == "sqlite":
                # SQLite ranges a row value on its first column only: a deep page of a key with
                # few values (status) would walk that value's whole group. Two index ranges —
                # the rest of this key's group, then the keys after it — each stop at n rows.
                same = stmt.where(key == value, Form.id < last_id if descending
                                  else Form.id > last_id).order_by(*order).limit(n)
                after = stmt.where(key < value if descending else key > value) \
                    .order_by(*order).limit(n)
                ids = union_all(select(same.subquery().c.id), select(after.subquery().c.id))
                stmt = select(Form).where(Form.id.in_(ids))
            else:
                columns, values = tuple_(key, Form.id), tuple_(value, last_id)
                stmt = stmt.where(columns < values if descending else columns > values)
        rows = self.db.scalars(stmt.order_by(*order).limit(n)).all()
        def cursor_of(last):
            value = getattr(last, key.key)
            value = value.isoformat() if isinstance(value, datetime) else value
            return [query["sort"], value] if sort == "number" else [query["sort"], value, last.id]

        page, cursor = page_of(rows, query["limit"], cursor_of)
        return {"items": FORMS_OUT.dump(page), "next_cursor": cursor}

    def _after(self, key, sort, descending, cursor):
        """The (key value, id) a cursor made for this sort holds (id None for `number`)."""
        wanted = ("-" if descending else "") + sort
        if sort == "number":
            made_for, value = decode_cursor(cursor, str, str)
            last_id = None
        else:
            made_for, value, last_id = decode_cursor(
                cursor, str, int if sort == "status" else str, int)
            if sort in ("opened", "delivered", "closed"):
                value = _aware(value)
        if made_for != wanted:
            raise ValidationFailed("The input is not valid.", {"cursor": [
                "This cursor belongs to another sort order."]})
        return value, last_id

    # -- lifecycle ----------------------------------------------------------------------------
    @rpc
    def transition(self, form_id, data, actor):
        """Move a form along the lifecycle table (or change its sub-status within its status):
        a move that does not exist from here is a 409 naming the allowed ones; a role that may
        not make it is a 403."""
        given = set(data) if isinstance(data, dict) else set()
        data, actor = load(TransitionIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, any_state=True)
        if data["to"] == form.status:
            return self._set_sub_status(form, data, "sub_status" in given, actor)
        if data["to"] == "CLOSED":
            raise Conflict("A form is closed through its final check "
                           "(POST /forms/{id}/final-check).", {"status": form.status})
        self._move(form, data["to"], actor, note=data["note"], sub_status=data["sub_status"])
        return self._commit(form)

    def _set_sub_status(self, form, data, given, actor):
        """A sub-status within the current status (or none: `sub_status: null`), by a role
        that may move the form on from here; not on a closed or cancelled form."""
        if not given:
            raise Conflict(f"The form is already {form.status}.", {"status": form.status})
        if form.status in ("CLOSED", "CANCELLED"):
            raise Conflict(f"The form is {form.status}: it cannot change.",
                           {"status": form.status})
        roles = sorted({r for _, rs in domain.moves_from(form.status) for r in rs} - {
            domain.SYSTEM})
        if actor["role"] not in roles:
            raise Forbidden(f"The role '{actor['role']}' may not set a sub-status in "
                            f"{form.status}.", {"allowed_roles": roles})
        code = data["sub_status"]
        if code is not None:
            self._check_sub_status(form.status, code)
        if code == form.sub_status:
            return self.get_form_detail(form.id)  # nothing changes
        self._history(form, "sub_status", actor, note=data["note"],
                      changes={"sub_status": [form.sub_status, code]})
        self.outbox.add(self.db, "form_status_changed", {
            "form": {"id": form.id, "number": form.number, "customer_id": form.customer_id},
            "from": form.status, "to": form.status, "sub_status": code, "by": _by(actor),
            "note": data["note"], "customer_visible": False})
        form.sub_status = code
        self._changed(form)
        return self._commit(form)

    def _move(self, form, to, actor, note=None, sub_status=None):
        role = actor.get("role") if actor else domain.SYSTEM
        try:
            domain.check_transition(form.status, to, role)
        except domain.TransitionRefused as exc:
            if exc.kind == "role":
                raise Forbidden(str(exc), {"allowed_roles": exc.allowed})
            raise Conflict(str(exc), {"status": form.status, "allowed": exc.allowed})
        if (form.status, to) in domain.NEEDS_NOTE and not note:
            raise ValidationFailed("The input is not valid.", {"note": [
                f"Give the reason for {to}."]})
        if to == "CANCELLED" and form.delivered_at is not None:
            raise Conflict("A delivered form is not cancelled (its revenue and repair warranty "
                           "stand); close it through the final check.", {"status": form.status})
        if role == "rep" and form.rep_user_id != actor["id"]:
            raise Forbidden("This form's customer has another representative.",
                            {"rep_user_id": form.rep_user_id})
        if sub_status is not None:
            self._check_sub_status(to, sub_status)
        if to == "ASSIGNED" and not self._assignees(form):
            raise Conflict("Assign someone first (POST /forms/{id}/assignments).",
                           {"status": form.status})
        if to == "DELIVERED" and self._running_timers(form):
            raise Conflict("A work timer is still running; stop it first.", {"status": form.status})
        before = form.status
        form.status, form.status_rank, form.sub_status = to, STATUS_RANK[to], sub_status
        self._history(form, "status", actor, note=note, from_status=before, to_status=to)
        self.outbox.add(self.db, "form_status_changed", {
            "form": {"id": form.id, "number": form.number, "customer_id": form.customer_id},
            "from": before, "to": to, "sub_status": sub_status, "by": _by(actor), "note": note,
            "customer_visible": to in domain.CUSTOMER_VISIBLE})
        if to == "DELIVERED" and before != "FINAL_CHECK":
            self._complete(form)
        elif to == "CANCELLED":
            for w in self._running_timers(form):
                self._stop(w)
        if to == "CLOSED":
            form.closed_at = utcnow()
            self.outbox.add(self.db, "form_closed", {"form": self._form_contact(form),
                                                     "by": _by(actor), "summary": form.work_done})
        elif to == "REOPENED":
            form.closed_at = None
            if form.survey_status == "pending":  # no call is due until the next delivery
                form.survey_status = None
            self.outbox.add(self.db, "form_reopened", {"form": self._form_contact(form),
                                                       "by": _by(actor), "reason": note})
        self._changed(form)

    def _complete(self, form):
        """DELIVERED: the repair warranty is granted and `form_completed` carries it to the
        device archive; the satisfaction call becomes due."""
        now = utcnow()
        form.delivered_at = now
        form.delivered_on = domain.local_date(now)
        form.delivered_month = form.delivered_on.strftime("%Y-%m")
        months = form.repair_warranty_months
        if months is None:
            months = int(self._setting("REPAIR_WARRANTY_MONTHS", 3))
        warranty = domain.repair_warranty(form.delivered_on, months)
        form.repair_warranty_start = warranty and warranty["start"]
        form.repair_warranty_end = warranty and warranty["end"]
        # a new call is due; the last score (if any) counts until a new one is recorded
        form.survey_status, form.survey_at = "pending", None
        parts = self.db.scalars(select(PartLine).where(PartLine.form_id == form.id)
                                .order_by(PartLine.id)).all()
        self.outbox.add(self.db, "form_completed", {
            "form": {"id": form.id, "number": form.number, "customer_id": form.customer_id,
                     "customer": {"id": form.customer_id, "name": form.customer_name,
                                  "email": form.customer_email,
                                  "language": form.customer_language},
                     "work_summary": form.work_done,
                     "parts": [{"code": p.code, "name": p.name, "quantity": p.quantity,
                                "unit_price": p.unit_price, "amount": p.amount} for p in parts]},
            "device_id": form.device_id, "repair_warranty": warranty,
            "totals": {"subtotal": form.subtotal, "discount": form.discount_total,
                       "vat": form.vat_total, "total": form.total, "currency": form.currency}})

    def _form_contact(self, form):
        return {"id": form.id, "number": form.number,
                "customer": {"id": form.customer_id, "name": form.customer_name,
                             "email": form.customer_email, "language": form.customer_language},
                "rep": ({"user_id": form.rep_user_id, "name": form.rep_name,
                         "email": form.rep_email, "language": form.rep_language}
                        if (form.rep_name or form.rep_email) else None)}

    # -- assignment and work ------------------------------------------------------------------
    @rpc
    def assign(self, form_id, data, actor):
        """Assign staff (the gateway passes each one's snapshot); a NEW or REOPENED form moves
        to ASSIGNED. `form_assigned` carries them, so notify e-mails them."""
        data, actor = load(AssignIn(), data), load(Actor(), actor)
        if actor.get("role") not in domain.MANAGE:
            raise Forbidden("Only a manager assigns forms.", {"allowed_roles": list(domain.MANAGE)})
        form = self._for_write(form_id, data["version"], actor)
        current = {a.user_id: a for a in self._assignees(form)}
        wanted = {a["user_id"]: a for a in data["assignees"]}
        added = [a for uid, a in wanted.items() if uid not in current]
        removed = [a for uid, a in current.items() if uid not in wanted] if data["replace"] else []
        if not added and not removed:
            raise Conflict("They are assigned already.", {"assignees": sorted(current)})
        for a in removed:
            for w in self._running_timers(form):
                if w.user_id == a.user_id:
                    self._stop(w)
            self.db.delete(a)
        for a in added:
            self.db.add(Assignment(form_id=form.id, **a))
        self._history(form, "assigned", actor, changes={
            "assignees": [sorted(current), sorted(set(current) - {a.user_id for a in removed}
                                                  | set(wanted))]})
        if added:
            self.outbox.add(self.db, "form_assigned", {
                "form": {"id": form.id, "number": form.number},
                "assignees": [{k: a[k] for k in ("user_id", "name", "email", "language")}
                              for a in added], "by": _by(actor)})
        self.db.flush()
        if form.status in ("NEW", "REOPENED"):
            self._move(form, "ASSIGNED", actor)
        self._changed(form)
        return self._commit(form)

    @rpc
    def update_work(self, form_id, data, actor):
        """Diagnosis, fault type, work done, the repair-warranty months of this form, the
        service fee and the discount; totals are recomputed."""
        data, actor = load(WorkIn(), data), load(Actor(), actor)
        version = data.pop("version", None)
        money = sorted(set(data) & MONEY_FIELDS)
        form = self._for_write(form_id, version, actor, money=bool(money))
        if not data:
            raise ValidationFailed("The input is not valid.", {"_schema": ["Nothing to change."]})
        if money and actor["role"] not in domain.MANAGE:
            raise Forbidden("Fees, discounts and the repair warranty are the manager's: "
                            + ", ".join(money) + ".", {"allowed_roles": list(domain.MANAGE)})
        if "fault_type" in data and data["fault_type"] is not None:
            known = self.db.get(FaultType, data["fault_type"])
            if known is None or not known.active:
                raise ValidationFailed("The input is not valid.", {"fault_type": [
                    f"Unknown fault type {data['fault_type']!r}."]})
        if data.get("discount_amount") is not None:
            data["discount_percent"] = None
        if data.get("discount_percent") is not None:
            data["discount_amount"] = None
        changes = {}
        for name, value in data.items():
            old = getattr(form, name)
            if isinstance(old, Decimal) and value is not None:
                value = Decimal(value)
            if old != value:
                changes[name] = [_plain(old), _plain(value)]
                setattr(form, name, value)
        if not changes:
            return self._commit(form)
        form.fault_type_key = form.fault_type or ""
        self._history(form, "work", actor, changes=changes)
        self._recompute(form)
        self._changed(form)
        return self._commit(form)

    @rpc
    def add_work_log(self, form_id, data, actor):
        data, actor = load(WorkLogIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, money=True)
        user_id, name, role = self._worker(form, data["user_id"], actor)
        minutes = data["minutes"] or domain_minutes(data["started_at"], data["ended_at"])
        log_row = WorkLog(form_id=form.id, user_id=user_id, user_name=name, role=role,
                          started_at=data["started_at"], ended_at=data["ended_at"],
                          minutes=minutes, running=False, hourly_rate=self._rate(role),
                          note=data["note"])
        self.db.add(log_row)
        self._history(form, "work_log", actor, changes={"work_log": [None, {
            "user_id": user_id, "minutes": minutes, "note": data["note"]}]})
        self.db.flush()
        self._recompute(form)
        self._changed(form)
        return self._commit(form)

    @rpc
    def start_timer(self, form_id, data, actor):
        """Start the actor's running timer on the form (one at a time per person and form)."""
        data, actor = load(TimerIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, money=True)
        if any(w.user_id == actor["id"] for w in self._running_timers(form)):
            raise Conflict("Your timer on this form is already running.", {"form_id": form.id})
        self.db.add(WorkLog(form_id=form.id, user_id=actor["id"], user_name=actor["name"],
                            role=actor["role"], started_at=utcnow(), minutes=0, running=True,
                            hourly_rate=self._rate(actor["role"]), note=data["note"]))
        self._history(form, "timer_started", actor)
        self._changed(form)
        return self._commit(form)

    @rpc
    def stop_timer(self, form_id, data, actor):
        data, actor = load(TimerIn(), data), load(Actor(), actor)
        whose = data["user_id"] or actor["id"]
        if whose != actor["id"] and actor["role"] not in domain.MANAGE:
            raise Forbidden("Only a manager stops someone else's timer.",
                            {"allowed_roles": list(domain.MANAGE)})
        form = self._for_write(form_id, data["version"], actor, money=True,
                               assigned=whose == actor["id"])
        running = [w for w in self._running_timers(form) if w.user_id == whose]
        if not running:
            raise Conflict("No running timer of that person on this form.",
                           {"form_id": form.id, "user_id": whose})
        w = running[0]
        self._stop(w)
        if data["note"]:
            w.note = data["note"]
        self._history(form, "timer_stopped", actor, changes={"minutes": [None, w.minutes]})
        self.db.flush()
        self._recompute(form)
        self._changed(form)
        return self._commit(form)

    @rpc
    def add_part(self, form_id, data, actor):
        data, actor = load(PartIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data.pop("version"), actor, money=True)
        part = PartLine(form_id=form.id, **data,
                        amount=domain.line_amount(data["quantity"], data["unit_price"]))
        self.db.add(part)
        self._history(form, "part_added", actor, changes={"part": [None, {
            "code": data["code"], "name": data["name"], "quantity": str(data["quantity"]),
            "unit_price": str(data["unit_price"])}]})
        self.db.flush()
        self._recompute(form)
        self._changed(form)
        return self._commit(form)

    @rpc
    def remove_part(self, form_id, part_id, data, actor):
        data, actor = load(Versioned(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, money=True)
        part = self.db.get(PartLine, part_id) if is_id(part_id) else None
        if part is None or part.form_id != form.id:
            raise NotFound(f"Part line {part_id} not found on this form.", {"part_id": part_id})
        self._history(form, "part_removed", actor, changes={"part": [{
            "code": part.code, "name": part.name, "quantity": str(part.quantity)}, None]})
        self.db.delete(part)
        self.db.flush()
        self._recompute(form)
        self._changed(form)
        return self._commit(form)

    def _stop(self, w):
        w.ended_at, w.running = utcnow(), False
        w.minutes = max(1, domain_minutes(w.started_at, w.ended_at))

    def _worker(self, form, user_id, actor):
        """Whose work a log is: the actor's; a manager may log an assignee's."""
        if user_id is None or user_id == actor["id"]:
            return actor["id"], actor["name"], actor["role"]
        if actor["role"] not in domain.MANAGE:
            raise Forbidden("Only a manager records someone else's work.",
                            {"allowed_roles": list(domain.MANAGE)})
        for a in self._assignees(form):
            if a.user_id == user_id:
                return a.user_id, a.name, a.role or "technician"
        raise ValidationFailed("The input is not valid.", {"user_id": [
            "Not assigned to this form."]})

    def _recompute(self, form):
        """Totals from the work logs, parts, fee, discount and the coverage stored at intake:
        never typed, recomputed on every change."""
        logs = self.db.execute(select(WorkLog.minutes, WorkLog.hourly_rate).where(
            WorkLog.form_id == form.id, WorkLog.running.is_(False))).all()
        parts = self.db.execute(select(PartLine.quantity, PartLine.unit_price).where(
            PartLine.form_id == form.id)).all()
        result = domain.totals(domain.Fees(
            work_minutes=[(m, r) for m, r in logs], parts=[(q, p) for q, p in parts],
            service_fee=form.service_fee or 0, discount_amount=form.discount_amount,
            discount_percent=form.discount_percent,
            vat_rate=Decimal(str(self._setting("VAT_RATE", "20"))),
            coverage_pays=domain.coverage_pays(form.coverage_kind, self._coverage_table())))
        form.labour_total, form.parts_total = result["labour"], result["parts"]
        form.fee_total, form.gross_total = result["service_fee"], result["gross"]
        form.covered_total, form.subtotal = result["covered"], result["subtotal"]
        form.discount_total, form.vat_total = result["discount"], result["vat"]
        too_big = [k for k, v in result.items() if v > MAX_TOTAL]
        if too_big:
            raise ValidationFailed("The input is not valid.", {"_schema": [
                "The form's " + ", ".join(too_big) + " would exceed 9,999,999,999.99."]})
        form.total = result["total"]
        form.work_minutes = sum(m for m, _ in logs)

    # -- satisfaction call --------------------------------------------------------------------
    @rpc
    def list_questions(self, include_inactive=False):
        stmt = select(SurveyQuestion).order_by(SurveyQuestion.position, SurveyQuestion.id)
        if not include_inactive:
            stmt = stmt.where(SurveyQuestion.active.is_(True))
        return [_question_out(q) for q in self.db.scalars(stmt)]

    @rpc
    def create_question(self, data):
        q = SurveyQuestion(**load(QuestionIn(), data))
        self.db.add(q)
        self.db.commit()
        return _question_out(q)

    @rpc
    def update_question(self, question_id, data):
        data = load(QuestionPatch(), data)
        q = self.db.get(SurveyQuestion, question_id) if is_id(question_id) else None
        if q is None:
            raise NotFound(f"Question {question_id} not found.", {"question_id": question_id})
        for k, v in data.items():
            setattr(q, k, v)
        if q.scale_max <= q.scale_min:
            raise ValidationFailed("The input is not valid.", {"scale_max": [
                "The scale's top must be above its bottom."]})
        self.db.commit()
        return _question_out(q)

    @rpc
    def satisfaction_calls(self, query=None):
        """Completed forms whose satisfaction call is due (not done, not expired), oldest
        delivery first; `rep_user_id` for one representative's list."""
        query = load(CallsQuery(), query or {})
        days = int(self._setting("SURVEY_EXPIRY_DAYS", 14))
        stmt = select(Form).where(Form.survey_status == "pending",
                                  Form.delivered_at > utcnow() - timedelta(days=days))
        if query["rep_user_id"] is not None:
            stmt = stmt.where(Form.rep_user_id == query["rep_user_id"])
        if query["cursor"]:
            value, last_id = decode_cursor(query["cursor"], str, int)
            stmt = stmt.where(tuple_(Form.delivered_at, Form.id) > tuple_(_aware(value), last_id))
        rows = self.db.scalars(stmt.order_by(Form.delivered_at, Form.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"],
                               lambda f: [f.delivered_at.isoformat(), f.id])
        return {"items": [{**FORM_OUT.dump(f), "survey_due_until": (
            f.delivered_at + timedelta(days=days)).isoformat()} for f in page],
            "next_cursor": cursor, "questions": self.list_questions()}

    @rpc
    def record_survey(self, form_id, data, actor):
        """The representative's satisfaction call: the answers (score 0–100 from the weighted
        answers) or 'unreachable'/'declined'. Below the threshold: `satisfaction_low` and the
        form is reopened with the score as the reason."""
        data, actor = load(SurveyIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, any_state=True)
        if actor["role"] not in ("rep", "manager", "admin"):
            raise Forbidden("The satisfaction call is the representative's.",
                            {"allowed_roles": ["rep", "manager", "admin"]})
        if actor["role"] == "rep" and form.rep_user_id != actor["id"]:
            raise Forbidden("This form's customer has another representative.",
                            {"rep_user_id": form.rep_user_id})
        days = int(self._setting("SURVEY_EXPIRY_DAYS", 14))
        if form.survey_status != "pending":
            raise Conflict("No satisfaction call is due for this form"
                           + (f" (it is {form.survey_status})." if form.survey_status else
                              " (it is not delivered yet)."), {"survey": form.survey_status})
        if domain.survey_expired(form.delivered_at, days):
            raise Conflict(f"The satisfaction call expired {days} days after delivery and "
                           "counts as waived.", {"survey": "expired"})
        threshold = int(self._setting("SATISFACTION_THRESHOLD", 60))
        form.survey_status, form.survey_at = data["outcome"], utcnow()
        form.survey_by_name = actor["name"]
        self.db.execute(SurveyAnswer.__table__.delete().where(SurveyAnswer.form_id == form.id))
        score = None
        if data["outcome"] == "done":
            questions = {q.id: q for q in self.db.scalars(select(SurveyQuestion).where(
                SurveyQuestion.id.in_([a["question_id"] for a in data["answers"]])))}
            errors = {}
            for i, a in enumerate(data["answers"]):
                q = questions.get(a["question_id"])
                if q is None or not q.active:
                    errors[str(i)] = {"question_id": ["No such question."]}
                elif not q.scale_min <= a["value"] <= q.scale_max:
                    errors[str(i)] = {"value": [f"From {q.scale_min} to {q.scale_max}."]}
            if errors:
                raise ValidationFailed("The input is not valid.", {"answers": errors})
            score = domain.satisfaction_score(
                {q.id: (q.weight, q.scale_min, q.scale_max) for q in questions.values()},
                {a["question_id"]: a["value"] for a in data["answers"]})
            self.db.add_all(SurveyAnswer(form_id=form.id, question_id=a["question_id"],
                                         value=a["value"]) for a in data["answers"])
            form.survey_score = score
            self.outbox.add(self.db, "satisfaction_recorded", {
                "form": {"id": form.id, "number": form.number}, "score": score,
                "threshold": threshold})
        self._history(form, "survey", actor, note=data["note"], changes={
            "survey": [None, {"outcome": data["outcome"], "score": score}]})
        if score is not None and score < threshold:
            management = self._setting("MANAGEMENT_EMAILS", "")
            self.outbox.add(self.db, "satisfaction_low", {
                "form": {"id": form.id, "number": form.number},
                "customer": {"id": form.customer_id, "name": form.customer_name},
                "score": score, "threshold": threshold,
                "answers": [{"question": questions[a["question_id"]].text_tr,
                             "answer": a["value"]} for a in data["answers"]],
                "management": [{"name": addr.strip(), "email": addr.strip(), "language": "tr"}
                               for addr in str(management).split(",") if addr.strip()]})
            self._move(form, "REOPENED", None,
                       note=f"Memnuniyet puanı {score} < {threshold} "
                            f"(satisfaction score {score} below {threshold}).")
        self._changed(form)
        return self._commit(form)

    @rpc
    def satisfaction_report(self, query=None):
        """Average score by technician, customer or month (of delivery): each form counts with
        its latest recorded score."""
        query = load(SatisfactionQuery(), query or {})
        stmt = select(func.avg(Form.survey_score), func.count()).where(
            Form.survey_score.is_not(None))
        if query["date_from"]:
            stmt = stmt.where(Form.delivered_on >= query["date_from"])
        if query["date_to"]:
            stmt = stmt.where(Form.delivered_on <= query["date_to"])
        if query["group_by"] == "technician":
            stmt = stmt.join(Assignment, Assignment.form_id == Form.id).add_columns(
                Assignment.user_id, func.min(Assignment.name)).group_by(Assignment.user_id)
            out = lambda r: {"user_id": r[2], "name": r[3]}  # noqa: E731
        elif query["group_by"] == "customer":
            stmt = stmt.add_columns(Form.customer_id, func.min(Form.customer_name)).group_by(
                Form.customer_id)
            out = lambda r: {"customer_id": r[2], "name": r[3]}  # noqa: E731
        else:
            stmt = stmt.add_columns(Form.delivered_month).group_by(Form.delivered_month)
            out = lambda r: {"month": r[2]}  # noqa: E731
        rows = self.db.execute(stmt).all()
        items = [{**out(r), "average": f"{Decimal(r[0]):.1f}", "surveys": r[1]} for r in rows]
        items.sort(key=lambda i: (i.get("month") or "", sort_key(i.get("name") or "")))
        return {"items": items, "next_cursor": None}

    # -- final check --------------------------------------------------------------------------
    @rpc
    def final_check(self, form_id):
        """The checklist the final-check officer sees."""
        form = self._form(form_id)
        return {"form": FORM_OUT.dump(form), "checklist": self._checklist(form)}

    def _checklist(self, form):
        days = int(self._setting("SURVEY_EXPIRY_DAYS", 14))
        survey = form.survey_status
        if survey == "pending" and domain.survey_expired(form.delivered_at, days):
            survey = "expired"
        parts = self.db.scalar(select(func.count()).select_from(PartLine).where(
            PartLine.form_id == form.id))
        running = len(self._running_timers(form))
        return [
            {"item": "diagnosis", "ok": bool(form.diagnosis), "detail": form.diagnosis,
             "name": {"tr": "Teknisyen tespiti", "en": "Diagnosis"}},
            {"item": "work", "ok": bool(form.work_done) and form.work_minutes > 0 and not running,
             "detail": {"work_done": form.work_done, "minutes": form.work_minutes,
                        "running_timers": running},
             "name": {"tr": "Yapılan işler ve iş süresi", "en": "Work done and work time"}},
            {"item": "parts", "ok": True, "detail": {"lines": parts,
                                                     "amount": f"{form.parts_total:.2f}"},
             "name": {"tr": "Kullanılan parçalar", "en": "Parts used"}},
            {"item": "fees", "ok": form.total is not None,
             "detail": FORM_OUT._totals(form), "name": {"tr": "Ücretler", "en": "Fees"}},
            {"item": "delivery", "ok": form.delivered_at is not None,
             "detail": form.delivered_at.isoformat() if form.delivered_at else None,
             "name": {"tr": "Teslim", "en": "Delivery"}},
            {"item": "satisfaction", "ok": survey in ("done", "unreachable", "declined",
                                                      "expired"),
             "detail": {"status": survey, "score": form.survey_score},
             "name": {"tr": "Memnuniyet araması (yapıldı veya muaf)",
                      "en": "Satisfaction call (done or waived)"}},
        ]

    @rpc
    def decide_final_check(self, form_id, data, actor):
        """Close the form (every checklist item must be ok) or send it back with a note."""
        data, actor = load(FinalCheckIn(), data), load(Actor(), actor)
        form = self._for_write(form_id, data["version"], actor, any_state=True)
        if actor["role"] != "final_checker":
            raise Forbidden("Only the final-check officer decides the final check.",
                            {"allowed_roles": ["final_checker"]})
        if form.status != "FINAL_CHECK":
            raise Conflict(f"The form is {form.status}, not under final check.",
                           {"status": form.status})
        if data["decision"] == "close":
            missing = [i["item"] for i in self._checklist(form) if not i["ok"]]
            if missing:
                raise Conflict("The checklist is not complete: " + ", ".join(missing) + ".",
                               {"missing": missing})
            self._move(form, "CLOSED", actor, note=data["note"])
        else:
            self._move(form, "DELIVERED", actor, note=data["note"])
        return self._commit(form)

    # -- revenue ------------------------------------------------------------------------------
    @rpc
    def revenue(self, query=None):
        """Service revenue (servis gelirleri) of the forms delivered in the window (Türkiye's
        days, both included; cancelled ones left out), grouped by day, month, customer, device
        type or technician. By technician each form's amounts are split by their share of its
        work time (forms without work time under 'unassigned')."""
        query = load(RevenueQuery(), query or {})
        amounts = (Form.labour_total, Form.parts_total, Form.fee_total, Form.gross_total,
                   Form.covered_total, Form.subtotal, Form.discount_total, Form.vat_total,
                   Form.total)
        names = ("labour", "parts", "service_fee", "gross", "covered", "subtotal", "discount",
                 "vat", "total")
        width = len(amounts)
        where = (Form.delivered_on >= query["date_from"], Form.delivered_on <= query["date_to"],
                 Form.status != "CANCELLED")
        group = query["group_by"]
        if group == "technician":
            rows = self._revenue_by_technician(amounts, where)
        else:
            key = {"day": (Form.delivered_on,), "month": (Form.delivered_month,),
                   "customer": (Form.customer_id, func.min(Form.customer_name)),
                   "device_type": (Form.device_type_key,)}[group]
            stmt = (select(*key, *[func.sum(a) for a in amounts], func.count())
                    .where(*where).group_by(key[0]))
            n = len(key)
            label = {"day": lambda r: {"day": r[0].isoformat() if hasattr(r[0], "isoformat")
                                       else str(r[0])},
                     "month": lambda r: {"month": r[0]},
                     "customer": lambda r: {"customer_id": r[0], "name": r[1]},
                     "device_type": lambda r: {"device_type": r[0] or None}}[group]
            rows = [(label(r), r[n:n + width], r[n + width]) for r in self.db.execute(stmt)]
        sums = [0] * width
        for _, vals, _ in rows:
            sums = [a + _dec(v) for a, v in zip(sums, vals)]
        totals = {name: f"{domain.money(v):.2f}" for name, v in zip(names, sums)}
        others = None
        if group == "customer" and len(rows) > query["limit"]:
            # the customers with the most revenue, and everyone else in one line
            rows.sort(key=lambda r: _dec(r[1][-1]), reverse=True)
            rest, rows = rows[query["limit"]:], rows[:query["limit"]]
            rest_sums = [sum((_dec(r[1][i]) for r in rest), Decimal(0)) for i in range(width)]
            others = {"customers": len(rest), "forms": sum(r[2] for r in rest),
                      **{name: f"{domain.money(v):.2f}" for name, v in zip(names, rest_sums)}}
        items = [{**lab, **{name: f"{domain.money(_dec(v)):.2f}" for name, v in zip(names, vals)},
                  "forms": count} for lab, vals, count in rows]
        items.sort(key=lambda i: sort_key(str(i.get("name") or i.get("day") or i.get("month")
                                              or i.get("device_type") or "")))
        return {"group_by": group, "from": query["date_from"].isoformat(),
                "to": query["date_to"].isoformat(), "currency": self._setting("CURRENCY", "TRY"),
                "items": items, "others": others, "totals": totals}

    def _revenue_by_technician(self, amounts, where):
        """Each form's amounts split by the workers' shares of its work minutes: every share
        but the largest is rounded to kuruş and the largest takes the rest, so the shares of a
        form add up to its amount exactly. Forms without work time: user None. One pass: the
        window's forms joined to their work logs, grouped per (form, worker), ranked."""
        width = len(amounts)
        minutes = func.sum(WorkLog.minutes)
        g = (select(Form.id.label("fid"), WorkLog.user_id,
                    func.min(WorkLog.user_name).label("user_name"), minutes.label("minutes"),
                    Form.work_minutes.label("wm"),
                    *[a.label(f"a{i}") for i, a in enumerate(amounts)],
                    func.row_number().over(partition_by=Form.id,
                                           order_by=(minutes.desc(), WorkLog.user_id))
                    .label("rn"))
             .select_from(Form)
             .outerjoin(WorkLog, and_(WorkLog.form_id == Form.id, WorkLog.running.is_(False)))
             .where(*where).group_by(Form.id, WorkLog.user_id).subquery())
        columns = []
        for i in range(width):
            exact = g.c[f"a{i}"] * g.c.minutes / func.nullif(g.c.wm, 0)
            columns += [case((g.c.rn > 1, func.round(exact, 2)), else_=0).label(f"r{i}"),
                        g.c[f"a{i}"].label(f"a{i}")]
        split = select(g.c.fid, g.c.user_id, g.c.user_name, g.c.rn, *columns).subquery()
        largest = split.c.rn == 1
        shares = select(split.c.fid, split.c.user_id, split.c.user_name, *[
            case((largest, split.c[f"a{i}"] - func.sum(split.c[f"r{i}"]).over(
                partition_by=split.c.fid)), else_=split.c[f"r{i}"]).label(f"s{i}")
            for i in range(width)]).subquery()
        stmt = (select(shares.c.user_id, func.min(shares.c.user_name),
                       *[func.sum(shares.c[f"s{i}"]) for i in range(width)],
                       func.count(func.distinct(shares.c.fid)))
                .group_by(shares.c.user_id))
        return [({"user_id": r[0], "name": r[1] or None}, r[2:2 + width], r[2 + width])
                for r in self.db.execute(stmt)]

    # -- catalogues ---------------------------------------------------------------------------
    @rpc
    def list_catalogue(self, name, include_inactive=False):
        model = self._catalogue(name)
        stmt = select(model).order_by(model.code)
        if not include_inactive:
            stmt = stmt.where(model.active.is_(True))
        return [_catalogue_out(r) for r in self.db.scalars(stmt)]

    @rpc
    def create_catalogue_entry(self, name, data):
        model = self._catalogue(name)
        data = load(SubStatusIn() if model is SubStatus else CatalogueIn(), data)
        if self.db.get(model, data["code"]) is not None:
            raise Conflict(f"{data['code']!r} exists.", {"code": data["code"]})
        row = model(**data)
        self.db.add(row)
        self.db.commit()
        return _catalogue_out(row)

    @rpc
    def update_catalogue_entry(self, name, code, data):
        model = self._catalogue(name)
        data = load(CataloguePatch(), data)
        row = self.db.get(model, code) if isinstance(code, str) else None
        if row is None:
            raise NotFound(f"{code!r} not found.", {"code": code})
        for k, v in data.items():
            setattr(row, k, v)
        self.db.commit()
        return _catalogue_out(row)

    def _catalogue(self, name):
        try:
            return {"fault-types": FaultType, "status-codes": SubStatus}[name]
        except (KeyError, TypeError):
            raise NotFound(f"No catalogue {name!r}.", {"catalogue": name})

    def _check_sub_status(self, status, code):
        row = self.db.get(SubStatus, code)
        if row is None or not row.active or row.status != status:
            raise ValidationFailed("The input is not valid.", {"sub_status": [
                f"{code!r} is not a sub-status of {status}."]})

    # -- events -------------------------------------------------------------------------------
    @handles("devices", "customer_updated")
    def handle_customer_updated(self, message): ...

    def _handle(self, event_type, message):
        """forms keeps its own copy of the customer (name for sorting, contact, rep)."""
        event, handler = new_event(self, event_type, message)
        if event is None:
            return
        c = event["customer"]
        rep = c.get("rep") or {}
        self.db.execute(update(Form).where(Form.customer_id == c["id"]).values(
            customer_name=c["name"], customer_name_sort=sort_key(c["name"]),
            customer_email=c.get("email"), customer_language=c.get("language") or "tr",
            rep_user_id=rep.get("user_id"), rep_name=rep.get("name"), rep_email=rep.get("email"),
            rep_language=rep.get("language") or "tr").execution_options(
            synchronize_session=False))
        commit_processed(self.db, handler, event["event_id"])

    # -- helpers ------------------------------------------------------------------------------
    def _form(self, form_id):
        form = self.db.get(Form, form_id) if is_id(form_id) else None
        if form is None:
            raise NotFound(f"Service form {form_id} not found.", {"form_id": form_id})
        return form

    def _for_write(self, form_id, version, actor, any_state=False, money=False,
                   assigned=True):
        """The form, if the version read is current (missing: 428, stale: 409), it may still
        change (a closed or cancelled form is read-only but for reopening), and a technician
        is among its assignees."""
        form = self._form(form_id)
        if version is None:
            raise PreconditionRequired(
                "State the version you read (If-Match header or `version`).",
                {"version": form.version})
        if version != form.version:
            raise Conflict(f"The form was changed since version {version} (now "
                           f"{form.version}); read it again.", {"version": form.version})
        self._read_version = version
        if not any_state and form.status not in domain.EDITABLE:
            raise Conflict(f"The form is {form.status}: it cannot change"
                           + (" (reopen it first)." if form.status == "CLOSED" else "."),
                           {"status": form.status})
        if money and form.status not in domain.MONEY_EDITABLE:
            raise Conflict(f"The form is {form.status}: its work, parts and fees are final "
                           "(reopen it to change them).", {"status": form.status})
        if assigned and actor and actor.get("role") == "technician" and not any(
                a.user_id == actor["id"] for a in self._assignees(form)):
            raise Forbidden("You are not assigned to this form.", {"form_id": form.id})
        return form

    def _assignees(self, form):
        return self.db.scalars(select(Assignment).where(Assignment.form_id == form.id)).all()

    def _running_timers(self, form):
        return self.db.scalars(select(WorkLog).where(WorkLog.form_id == form.id,
                                                     WorkLog.running.is_(True))).all()

    def _history(self, form, action, actor, changes=None, note=None, from_status=None,
                 to_status=None):
        by = _by(actor) or {"user_id": None, "name": "system"}
        self.db.add(FormHistory(form_id=form.id, action=action, from_status=from_status,
                                to_status=to_status, by_id=by["user_id"], by_name=by["name"],
                                note=note, changes=json.dumps(changes, ensure_ascii=False,
                                                              default=str) if changes else None))

    def _changed(self, form):
        """The row changes: its version goes up by one (however often this is called)."""
        form.updated_at = utcnow()
        form.version = self._read_version + 1

    def _commit(self, form):
        try:
            self.db.commit()
        except StaleDataError:
            self.db.rollback()
            raise Conflict("The form was changed at the same moment by someone else; read it "
                           "again.", {"form_id": form.id})
        return self.get_form_detail(form.id)


def _aware(text):
    """A cursor's moment: an ISO time with its zone, else a 422."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationFailed("The input is not valid.", {"cursor": ["Invalid cursor."]})
    return value


def _day_start(day):
    """00:00 of a day in Türkiye, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=domain.LOCAL_TZ).astimezone(
        timezone.utc)


def domain_minutes(start, end):
    return int(-(-(end - start).total_seconds() // 60))


def _dec(value):
    """A sum as Decimal: SQLite gives floats for computed shares; their shortest repr is the
    decimal meant (5.005, not 5.00499…)."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value

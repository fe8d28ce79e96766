"""The application layer of service forms: every write — intake, moves along the lifecycle,
assignment, work, timers, parts, totals, the satisfaction call, the final check, and following
a renamed customer (price approvals: approvals.py, on this class's rules) — over one database
session, with `emit(event_type, payload)` writing events into the outbox of the same
transaction. The caller commits (a StaleDataError at that commit is a 409:
services/common/rpc.py).

Every write to a form states the version it read: missing is a 428, stale a 409; the write
raises the form's version by exactly one (`_saved`), and the database checks it again
(`version_id_col`), so two writers that read the same version cannot both commit."""
import functools
import json
from decimal import Decimal

from sqlalchemy import bindparam, case, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from services.common import access
from services.common.exceptions import (Conflict, Forbidden, NotFound, PreconditionRequired,
                                        field_message, invalid)
from services.common.models import utcnow
from services.common.roles import CUSTOMER, MANAGE, REPS, SYSTEM
from services.common.schemas import is_id
from services.common.text import fold, sort_key, stem_column
from services.forms import domain, events
from services.forms.approvals import void_pending
from services.forms.documents import FormDocuments
from services.forms.models import (Assignment, CustomerCopy, FaultType, Form, FormHistory,
                                   PartLine, SubStatus, SurveyAnswer, SurveyQuestion, WorkLog)

CANNOT_CHANGE = "The form is {status}: it cannot change."
OTHER_REP = "This form's customer has another representative."
STATUS_RANK = {s: i for i, s in enumerate(domain.STATUSES, start=1)}  # lifecycle order
MONEY_FIELDS = {"service_fee", "discount_amount", "discount_percent", "repair_warranty_months"}
MAX_TOTAL = Decimal("9999999999.99")  # Numeric(12, 2)
NEXT_NUMBER = text(  # one sequence per year, never reused (docs/architecture.md)
    "INSERT INTO number_sequences (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = number_sequences.last + 1 RETURNING last")


def find_form(session, form_id):
    form = session.get(Form, form_id) if is_id(form_id) else None
    if form is None:
        raise NotFound("Service form {form_id} not found.", {"form_id": form_id})
    return form


def assignees(session, form):
    return session.scalars(select(Assignment).where(Assignment.form_id == form.id)).all()


def running_timers(session, form):
    return session.scalars(select(WorkLog).where(WorkLog.form_id == form.id,
                                                 WorkLog.running.is_(True))).all()


def minutes_between(start, end):
    return int(-(-(end - start).total_seconds() // 60))


def customers_form(session, form_id, actor):
    """The form when it is the acting customer's (issue 16, the portal); another customer's,
    or none, is a 404 alike (services/common/access.py refuse)."""
    form = session.get(Form, form_id) if is_id(form_id) else None
    if form is None or actor.get("customer_id") is None or \
            form.customer_id != actor.get("customer_id"):
        access.refuse(actor, access.NOT_YOURS, {"form_id": form_id}, "form")
    return form


class FormWorkflow:
    def __init__(self, session, emit, settings, documents=None):
        """`documents`: the documents dependency's handle (a form's papers are asked for in
        the write's own transaction); None issues none."""
        self.db, self.emit, self.settings = session, emit, settings
        self.papers = FormDocuments(session, emit, settings, documents)

    # -- intake ---------------------------------------------------------------------------
    def opened_by_call(self, call_id):
        """The id of the form the create_form call `call_id` opened already (the broker
        delivered the call again: the connection it was taken on was lost before the ack,
        while the worker went on and committed), or None. The read is ended either way: the
        caller goes on to ask devices, and no transaction stays open across I/O."""
        if not call_id:
            return None
        form_id = self.db.scalar(select(Form.id).where(Form.opening_call == call_id))
        self.db.rollback()
        return form_id

    def open_once(self, data, actor, intake, call_id):
        """`open`, for the create_form call `call_id`: the new form's id, or — when another
        delivery of the same call wrote its form first (the opening call is unique: this
        flush fails, in a SAVEPOINT so nothing of it stays) — that form's id."""
        try:
            with self.db.begin_nested():
                return self.open(data, actor, intake, call_id=call_id).id
        except IntegrityError:
            form_id = self.opened_by_call(call_id)
            if form_id is None:
                raise
            return form_id

    def open(self, data, actor, intake, maintenance=None, call_id=None):
        """A new form (NEW) from the intake data and devices' answer for it (customer, rep,
        device and the device's coverage today, stored on the form); `maintenance` (visit id,
        attempt): a maintenance visit's form (services/forms/maintenance.py); `call_id`: the
        create_form call opening it (unique: a second delivery's write fails, `open_once`)."""
        customer, rep, device = intake["customer"], intake["customer"]["rep"], intake["device"]
        form = Form(
            kind=data["kind"], status="NEW", status_rank=STATUS_RANK["NEW"], version=1,
            complaint=data["complaint"], complaint_folded=fold(data["complaint"]),
            complaint_terms=stem_column(data["complaint"]),
            customer_id=customer["id"], customer_name=customer["name"],
            customer_name_sort=sort_key(customer["name"]), customer_email=customer["email"],
            customer_language=customer["language"], customer_version=customer.get("version"),
            rep_user_id=rep and rep["user_id"], rep_name=rep and rep["name"],
            rep_email=rep and rep["email"], rep_language=(rep or {}).get("language") or "tr",
            device_id=device["id"], device_brand=device["brand"], device_model=device["model"],
            device_type=device["device_type"], device_type_key=device["device_type"] or "",
            device_serial=device["serial"], currency=self.settings.currency,
            device_type_names=json.dumps(device["device_type_name"], ensure_ascii=False)
            if device.get("device_type_name") else None,
            device_insured=device.get("insured"), device_insurer=device.get("insurer"),
            device_policy_no=device.get("policy_no"),
            accessories=data.get("accessories"), condition=data.get("condition"),
            opened_by_id=actor["id"], opened_by_name=actor["name"],
            **domain.coverage_columns(intake["coverage"]))
        form.created_at = utcnow()
        form.response_due_at, form.repair_due_at = domain.service_level_dues(
            intake["coverage"].get("terms") if form.coverage_terms else None, form.created_at)
        form.promised_delivery_date = domain.promised_delivery(
            domain.local_date(), form.coverage_kind, data.get("promised_delivery_date"))
        year = domain.numbering_year()
        form.number = domain.format_number(
            year, self.db.execute(NEXT_NUMBER, {"year": year}).scalar_one())
        if maintenance is not None:
            form.maintenance_visit_id, form.maintenance_attempt = maintenance
        form.opening_call = call_id
        self.db.add(form)
        self.db.flush()
        self.db.add(FormHistory(form_id=form.id, action="status", from_status=None,
                                to_status="NEW", by_id=actor["id"], by_name=actor["name"]))
        tracking_url = self.papers.mint_tracking(form)
        self.db.flush()
        slip = self.papers.for_form(form, "intake_slip", actor, occasion="intake")
        self.emit("form_created", events.form_created(form, tracking_url, slip,
                                                     data.get("source") or "desk"))
        return form

    # -- the lifecycle --------------------------------------------------------------------
    def transition(self, form_id, data, actor, sub_status_given):
        """Move a form along the lifecycle table, or change its sub-status within its status
        (`to` = the current status and `sub_status` given)."""
        form = self._for_write(form_id, data["version"], actor, any_state=True)
        if data["to"] == form.status:
            return self._set_sub_status(form, data, sub_status_given, actor)
        if data["to"] == "CLOSED":
            raise Conflict("A form is closed through its final check "
                           "(POST /forms/{{id}}/final-check).", {"status": form.status})
        if data["to"] == "AWAITING_APPROVAL":
            raise Conflict("A form awaits a price approval once its estimate is sent "
                           "(POST /forms/{{id}}/price-approval).", {"status": form.status})
        self._move(form, data["to"], actor, note=data["note"], sub_status=data["sub_status"])
        return self._saved(form, data["version"])

    def _set_sub_status(self, form, data, given, actor):
        """A sub-status within the current status (or none: `sub_status: null`), by a role
        that may move the form on from here; not on a closed or cancelled form."""
        if not given:
            raise Conflict("The form is already {status}.", {"status": form.status})
        if form.status in ("CLOSED", "CANCELLED"):
            raise Conflict(CANNOT_CHANGE, {"status": form.status})
        allowed = sorted({r for _, rs in domain.moves_from(form.status) for r in rs} - {SYSTEM})
        if actor["role"] not in allowed:
            raise Forbidden("The role '{role}' may not set a sub-status in {status}.",
                            {"allowed_roles": allowed, "role": actor["role"],
                             "status": form.status})
        code = data["sub_status"]
        if code is not None:
            self._check_sub_status(form.status, code)
        if code == form.sub_status:
            return form  # nothing changes
        self._history(form, "sub_status", actor, note=data["note"],
                      changes={"sub_status": [form.sub_status, code]})
        self.emit("form_status_changed", events.form_status_changed(
            form, form.status, form.status, code, actor, data["note"]))
        form.sub_status = code
        return self._saved(form, data["version"])

    def _move(self, form, to, actor, note=None, sub_status=None, low_score=None):
        """One step of the lifecycle table, with what the step brings (completion on
        DELIVERED, the closing time, the reopen); `actor` None is the system."""
        role = actor.get("role") if actor else SYSTEM
        domain.check_transition(form.status, to, role)
        if (form.status, to) in domain.NEEDS_NOTE and not note:
            raise invalid(note=[("Give the reason for {to}.", {"to": to})])
        if to == "CANCELLED" and form.delivered_at is not None:
            raise Conflict("A delivered form is not cancelled (its revenue and repair warranty "
                           "stand); close it through the final check.", {"status": form.status})
        if role == "rep" and form.rep_user_id != actor["id"]:
            raise Forbidden(OTHER_REP, {"rep_user_id": form.rep_user_id})
        required = domain.SUB_STATUS_OF_MOVE.get((form.status, to))
        if required is not None and sub_status not in (None, required):
            raise invalid(sub_status=[("'{code}' is not a sub-status of {status}.",
                                       {"code": sub_status, "status": to})])
        sub_status = required or sub_status
        if sub_status is not None and required is None:
            self._check_sub_status(to, sub_status)
        if to == "ASSIGNED" and not assignees(self.db, form):
            raise Conflict("Assign someone first (POST /forms/{{id}}/assignments).",
                           {"status": form.status})
        if to == "DELIVERED" and running_timers(self.db, form):
            raise Conflict("A work timer is still running; stop it first.", {"status": form.status})
        before = form.status
        form.status, form.status_rank, form.sub_status = to, STATUS_RANK[to], sub_status
        self._history(form, "status", actor, note=note, from_status=before, to_status=to)
        self.emit("form_status_changed",
                  events.form_status_changed(form, before, to, sub_status, actor, note))
        if before == "AWAITING_APPROVAL":  # moved on without a decision: its link is withdrawn
            void_pending(self.db, form.id, self.settings.clock.now(), "moved")
        if (to == "REPAIRED" and before == "AWAITING_APPROVAL") or (
                to == "IN_REPAIR" and form.unrepaired):
            form.unrepaired = to == "REPAIRED" or None  # returned unrepaired, or repaired after all
            self.db.flush()
            self._recompute(form)
        if to == "DELIVERED" and before != "FINAL_CHECK":
            self._complete(form)
        elif to == "CANCELLED":
            for w in running_timers(self.db, form):
                self._stop(w)
        if to == "CLOSED":
            form.closed_at = utcnow()
            self.emit("form_closed", events.form_closed(form, actor))
        elif to == "REOPENED":
            form.closed_at = None
            if form.survey_status == "pending":  # no call is due until the next delivery
                form.survey_status = None
            self.emit("form_reopened", events.form_reopened(form, actor, note, low_score))

    def _complete(self, form):
        """DELIVERED: the repair warranty is granted and `form_completed` carries it to the
        device archive; the satisfaction call becomes due."""
        now = utcnow()
        form.delivered_at = now
        form.delivered_on = domain.local_date(now)
        form.delivered_month = form.delivered_on.strftime("%Y-%m")
        months = form.repair_warranty_months
        if months is None:
            months = self.settings.repair_warranty_months
        if form.unrepaired:  # returned unrepaired: no repair, no repair warranty
            months = 0
        warranty = domain.repair_warranty(form.delivered_on, months)
        form.repair_warranty_start = warranty and warranty["start"]
        form.repair_warranty_end = warranty and warranty["end"]
        # a new call is due; the last score (if any) counts until a new one is recorded
        form.survey_status, form.survey_at = "pending", None
        parts = [] if form.unrepaired else self.db.scalars(
            select(PartLine).where(PartLine.form_id == form.id).order_by(PartLine.id)).all()
        # one receipt per delivery (a reopened form delivered again gets its second)
        receipt = self.papers.for_form(form, "delivery_receipt")
        self.emit("form_completed", events.form_completed(form, warranty, parts, receipt))

    # -- assignment and work --------------------------------------------------------------
    def assign(self, form_id, data, actor):
        """Assign staff (the gateway passes each one's snapshot); a NEW or REOPENED form moves
        to ASSIGNED. `form_assigned` carries the new ones, so notify e-mails them."""
        if actor.get("role") not in MANAGE:
            raise Forbidden("Only a manager assigns forms.", {"allowed_roles": list(MANAGE)})
        form = self._for_write(form_id, data["version"], actor)
        current = {a.user_id: a for a in assignees(self.db, form)}
        wanted = {a["user_id"]: a for a in data["assignees"]}
        added = [a for uid, a in wanted.items() if uid not in current]
        removed = [a for uid, a in current.items() if uid not in wanted] if data["replace"] else []
        if not added and not removed and form.status != "REOPENED":
            # a reopened form goes back to the people it had: the same assignment moves it
            raise Conflict("They are assigned already.", {"assignees": sorted(current)})
        for a in removed:
            for w in running_timers(self.db, form):
                if w.user_id == a.user_id:
                    self._stop(w)
            self.db.delete(a)
        for a in added:
            self.db.add(Assignment(form_id=form.id, **a))
        self._history(form, "assigned", actor, changes={
            "assignees": [sorted(current), sorted(set(current) - {a.user_id for a in removed}
                                                  | set(wanted))]})
        if added:
            self.emit("form_assigned", events.form_assigned(form, added, actor))
        self.db.flush()
        if form.status in ("NEW", "REOPENED"):
            self._move(form, "ASSIGNED", actor)
        return self._saved(form, data["version"])

    def update_work(self, form_id, data, actor):
        """Diagnosis, fault type, work done, the repair-warranty months of this form, the
        service fee and the discount; totals are recomputed."""
        version = data.pop("version", None)
        money = sorted(set(data) & MONEY_FIELDS)
        form = self._for_write(form_id, version, actor, money=bool(money))
        if not data:
            raise invalid(_schema=["Nothing to change."])
        if money and actor["role"] not in MANAGE:
            raise Forbidden("Fees, discounts and the repair warranty are the manager's: "
                            "{fields}.", {"allowed_roles": list(MANAGE),
                                          "fields": ", ".join(money)})
        if "fault_type" in data and data["fault_type"] is not None:
            known = self.db.get(FaultType, data["fault_type"])
            if known is None or not known.active:
                raise invalid(fault_type=[("Unknown fault type '{code}'.",
                                           {"code": data["fault_type"]})])
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
            return form
        form.fault_type_key = form.fault_type or ""
        self._history(form, "work", actor, changes=changes)
        self._recompute(form)
        if "discount_amount" in changes and form.discount_amount is not None \
                and form.discount_amount > form.subtotal:
            # a discount larger than what the customer pays made a total of 0,00 unnoticed
            raise invalid(discount_amount=[("At most the subtotal, {subtotal}.",
                                            {"subtotal": f"{form.subtotal:.2f}"})])
        return self._saved(form, version)

    def add_work_log(self, form_id, data, actor):
        form = self._for_write(form_id, data["version"], actor, money=True)
        user_id, name, role = self._worker(form, data["user_id"], actor)
        minutes = data["minutes"] or minutes_between(data["started_at"], data["ended_at"])
        self.db.add(WorkLog(form_id=form.id, user_id=user_id, user_name=name, role=role,
                            started_at=data["started_at"], ended_at=data["ended_at"],
                            minutes=minutes, running=False, hourly_rate=self.settings.rate(role),
                            note=data["note"]))
        self._history(form, "work_log", actor, changes={"work_log": [None, {
            "user_id": user_id, "minutes": minutes, "note": data["note"]}]})
        self.db.flush()
        self._recompute(form)
        return self._saved(form, data["version"])

    def start_timer(self, form_id, data, actor):
        """Start the actor's running timer on the form (one at a time per person and form)."""
        form = self._for_write(form_id, data["version"], actor, money=True)
        if any(w.user_id == actor["id"] for w in running_timers(self.db, form)):
            raise Conflict("Your timer on this form is already running.", {"form_id": form.id})
        self.db.add(WorkLog(form_id=form.id, user_id=actor["id"], user_name=actor["name"],
                            role=actor["role"], started_at=utcnow(), minutes=0, running=True,
                            hourly_rate=self.settings.rate(actor["role"]), note=data["note"]))
        self._history(form, "timer_started", actor)
        return self._saved(form, data["version"])

    def stop_timer(self, form_id, data, actor):
        """Stop a running timer: the actor's own, or (a manager) someone else's."""
        whose = data["user_id"] or actor["id"]
        if whose != actor["id"] and actor["role"] not in MANAGE:
            raise Forbidden("Only a manager stops someone else's timer.",
                            {"allowed_roles": list(MANAGE)})
        form = self._for_write(form_id, data["version"], actor, money=True,
                               assigned=whose == actor["id"])
        running = [w for w in running_timers(self.db, form) if w.user_id == whose]
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
        return self._saved(form, data["version"])

    def add_part(self, form_id, data, actor):
        version = data.pop("version")
        form = self._for_write(form_id, version, actor, money=True)
        self.db.add(PartLine(form_id=form.id, **data,
                             amount=domain.line_amount(data["quantity"], data["unit_price"])))
        self._history(form, "part_added", actor, changes={"part": [None, {
            "code": data["code"], "name": data["name"], "quantity": str(data["quantity"]),
            "unit_price": str(data["unit_price"])}]})
        self.db.flush()
        self._recompute(form)
        return self._saved(form, version)

    def remove_part(self, form_id, part_id, data, actor):
        form = self._for_write(form_id, data["version"], actor, money=True)
        part = self.db.get(PartLine, part_id) if is_id(part_id) else None
        if part is None or part.form_id != form.id:
            raise NotFound("Part line {part_id} not found on this form.", {"part_id": part_id})
        self._history(form, "part_removed", actor, changes={"part": [{
            "code": part.code, "name": part.name, "quantity": str(part.quantity)}, None]})
        self.db.delete(part)
        self.db.flush()
        self._recompute(form)
        return self._saved(form, data["version"])

    def _stop(self, w):
        w.ended_at, w.running = utcnow(), False
        w.minutes = max(1, minutes_between(w.started_at, w.ended_at))

    def _worker(self, form, user_id, actor):
        """Whose work a log is: the actor's; a manager may log an assignee's."""
        if user_id is None or user_id == actor["id"]:
            return actor["id"], actor["name"], actor["role"]
        if actor["role"] not in MANAGE:
            raise Forbidden("Only a manager records someone else's work.",
                            {"allowed_roles": list(MANAGE)})
        for a in assignees(self.db, form):
            if a.user_id == user_id:
                return a.user_id, a.name, a.role or "technician"
        raise invalid(user_id=["Not assigned to this form."])

    def _recompute(self, form):
        """Totals from the work logs, parts, fee, discount and the coverage stored at intake:
        never typed, recomputed on every change."""
        logs = self.db.execute(select(WorkLog.minutes, WorkLog.hourly_rate).where(
            WorkLog.form_id == form.id, WorkLog.running.is_(False))).all()
        parts = self.db.execute(select(PartLine.quantity, PartLine.unit_price).where(
            PartLine.form_id == form.id)).all()
        fees = domain.Fees(
            work_minutes=[(m, r) for m, r in logs], parts=[(q, p) for q, p in parts],
            service_fee=form.service_fee or 0, discount_amount=form.discount_amount,
            discount_percent=form.discount_percent, vat_rate=self.settings.vat_rate,
            coverage_pays=self.settings.pays(form.coverage_kind, form.coverage_terms))
        if form.unrepaired:  # returned unrepaired: the diagnosis fee alone
            fees = domain.unrepaired_fees(fees, self.settings.diagnosis_fee)
        result = domain.totals(fees)
        form.labour_total, form.parts_total = result["labour"], result["parts"]
        form.fee_total, form.gross_total = result["service_fee"], result["gross"]
        form.covered_total, form.subtotal = result["covered"], result["subtotal"]
        form.discount_total, form.vat_total = result["discount"], result["vat"]
        too_big = [k for k, v in result.items() if v > MAX_TOTAL]
        if too_big:
            raise invalid(_schema=[("The form's {totals} would exceed 9,999,999,999.99.",
                                    {"totals": ", ".join(too_big)})])
        form.total = result["total"]
        form.work_minutes = sum(m for m, _ in logs)

    # -- satisfaction call and final check ------------------------------------------------
    def record_survey(self, form_id, data, actor):
        """The representative's satisfaction call: the answers (score 0–100 from the weighted
        answers) or 'unreachable'/'declined'. Below the threshold: `satisfaction_low` and the
        form is reopened by the system with the score as the reason.

        The customer's own answers from the portal (issue 16) take the same path — the same
        questions, scoring and low-score reopening — for their own form only (another
        customer's: 404), without a version to state: the customer answers a question and
        edits nothing they read (their page shows portal's projection, not forms' version)."""
        if actor["role"] == CUSTOMER:
            form = customers_form(self.db, form_id, actor)
            data = {**data, "version": form.version}
        else:
            form = self._for_write(form_id, data["version"], actor, any_state=True)
        if actor["role"] not in REPS + (CUSTOMER,):
            raise Forbidden("The satisfaction call is the representative's.",
                            {"allowed_roles": list(REPS)})
        if actor["role"] == "rep" and form.rep_user_id != actor["id"]:
            raise Forbidden(OTHER_REP, {"rep_user_id": form.rep_user_id})
        days = self.settings.survey_expiry_days
        if form.survey_status is None:
            raise Conflict("No satisfaction call is due for this form (it is not delivered "
                           "yet).", {"survey": None})
        if form.survey_status != "pending":
            raise Conflict("No satisfaction call is due for this form (it is {survey}).",
                           {"survey": form.survey_status})
        if domain.survey_expired(form.delivered_at, days):
            raise Conflict("The satisfaction call expired {days} days after delivery and "
                           "counts as waived.", {"survey": "expired", "days": days})
        threshold = self.settings.satisfaction_threshold
        form.survey_status, form.survey_at = data["outcome"], utcnow()
        form.survey_by_name = actor["name"]
        self.db.execute(SurveyAnswer.__table__.delete().where(SurveyAnswer.form_id == form.id))
        score = None
        if data["outcome"] == "done":
            questions = self._answered_questions(data["answers"])
            score = domain.satisfaction_score(
                {q.id: (q.weight, q.scale_min, q.scale_max) for q in questions.values()},
                {a["question_id"]: a["value"] for a in data["answers"]})
            self.db.add_all(SurveyAnswer(form_id=form.id, question_id=a["question_id"],
                                         value=a["value"]) for a in data["answers"])
            form.survey_score = score
            self.emit("satisfaction_recorded",
                      events.satisfaction_recorded(form, score, threshold))
        self._history(form, "survey", actor, note=data["note"], changes={
            "survey": [None, {"outcome": data["outcome"], "score": score}]})
        if score is not None and score < threshold:
            self.emit("satisfaction_low", events.satisfaction_low(
                form, score, threshold,
                [(questions[a["question_id"]].text_tr, a["value"]) for a in data["answers"]],
                self.settings.management_emails))
            self._move(form, "REOPENED", None,
                       note=f"Memnuniyet puanı {score} < {threshold} "
                            f"(satisfaction score {score} below {threshold}).",
                       low_score={"score": score, "threshold": threshold})
        return self._saved(form, data["version"])

    def _answered_questions(self, answers):
        """The questions answered, each answer checked against its question's scale."""
        questions = {q.id: q for q in self.db.scalars(select(SurveyQuestion).where(
            SurveyQuestion.id.in_([a["question_id"] for a in answers])))}
        errors = {}
        for i, a in enumerate(answers):
            q = questions.get(a["question_id"])
            if q is None or not q.active:
                errors[str(i)] = {"question_id": [field_message("No such question.")]}
            elif not q.scale_min <= a["value"] <= q.scale_max:
                errors[str(i)] = {"value": [field_message(
                    "From {min} to {max}.", {"min": q.scale_min, "max": q.scale_max})]}
        if errors:
            raise invalid(answers=errors)
        return questions

    def decide_final_check(self, form_id, data, actor, checklist):
        """Close the form (every item of `checklist(form)` must be ok) or send it back with a
        note."""
        form = self._for_write(form_id, data["version"], actor, any_state=True)
        if actor["role"] != "final_checker":
            raise Forbidden("Only the final-check officer decides the final check.",
                            {"allowed_roles": ["final_checker"]})
        if form.status != "FINAL_CHECK":
            raise Conflict("The form is {status}, not under final check.",
                           {"status": form.status})
        if data["decision"] == "close":
            missing = [i["item"] for i in checklist(form) if not i["ok"]]
            if missing:
                raise Conflict("The checklist is not complete: {items}.",
                               {"missing": missing, "items": ", ".join(missing)})
            self._move(form, "CLOSED", actor, note=data["note"])
        else:
            self._move(form, "DELIVERED", actor, note=data["note"])
        return self._saved(form, data["version"])

    # -- papers -------------------------------------------------------------------------
    def damage_report(self, form_id, data, actor):
        """The damage report (hasar bildirim formu) of an insured device, e-mailed to the
        insurer. Asks for a document; the form itself does not change."""
        form = find_form(self.db, form_id)
        return self.papers.damage_report(form, data, actor)

    def revoke_tracking(self, form_id, actor):
        """A new tracking link for the form; the old one stops working."""
        form = find_form(self.db, form_id)
        url = self.papers.mint_tracking(form)
        self._history(form, "tracking", actor)
        return url

    # -- events from others ---------------------------------------------------------------
    def follow_customer(self, customer):
        """forms keeps its own copy of the customer: on each form (name for sorting, contact,
        rep), and one row (the periodic report's recipient, frequency and next day) — from the
        newest version of the card it has heard of: an older update arriving late (two relays,
        concurrent handlers) changes nothing. Statements built once, on the tables
        (`_follow_statements`): an import sends thousands of these events, and through the
        ORM (a get, a flush, the bulk UPDATE's machinery) this method was half of each one's
        CPU (bench/events_cpu.py)."""
        rep = customer.get("rep") or {}
        version = customer.get("version")
        frequency = customer.get("report_frequency") or "none"
        name, email = customer["name"], customer.get("email")
        language = customer.get("language") or "tr"
        params = {
            "b_id": customer["id"], "b_version": version, "b_name": name,
            "b_name_sort": sort_key(name), "b_email": email, "b_language": language,
            "b_frequency": frequency,
            "b_next_report": domain.next_report_day(frequency, domain.local_date()),
            "b_rep_user_id": rep.get("user_id"), "b_rep_name": rep.get("name"),
            "b_rep_email": rep.get("email"), "b_rep_language": rep.get("language") or "tr",
            "b_now": utcnow()}
        conn = self.db.connection()
        for statement in _follow_statements(conn.dialect.name, version is not None):
            conn.execute(statement, params)
        if len(self.db.identity_map):  # a session that read before (a worker's is new)
            held = self.db.identity_map.get(identity_key(CustomerCopy, customer["id"]))
            if held is not None:  # it read this copy: read it again when used
                self.db.expire(held)

    # -- helpers --------------------------------------------------------------------------
    def _for_write(self, form_id, version, actor, any_state=False, money=False,
                   assigned=True):
        """The form, if the version read is current (missing: 428, stale: 409), it may still
        change (a closed or cancelled form is read-only but for reopening), and a technician
        is among its assignees."""
        form = find_form(self.db, form_id)
        if version is None:
            raise PreconditionRequired(
                "State the version you read (If-Match header or `version`).",
                {"version": form.version})
        if version != form.version:
            raise Conflict("The form was changed since version {given} (now {version}); read "
                           "it again.", {"version": form.version, "given": version})
        if not any_state and form.status not in domain.EDITABLE:
            raise Conflict("The form is {status}: it cannot change (reopen it first)."
                           if form.status == "CLOSED" else CANNOT_CHANGE, {"status": form.status})
        if money and form.status not in domain.MONEY_EDITABLE:
            raise Conflict("The form is {status}: its work, parts and fees are final (reopen "
                           "it to change them).", {"status": form.status})
        if assigned and actor:
            access.check_form(actor, [a.user_id for a in assignees(self.db, form)],
                              self.settings.technicians_see_all_forms, form.id)
        return form

    def _saved(self, form, version_read):
        """The write changed the form: its version is the one read plus one (however many
        flushes the write made), and its time of change is now."""
        form.updated_at = utcnow()
        form.version = version_read + 1
        if form.complaint_terms is None:  # opened before the column: filled on its next write
            form.complaint_terms = stem_column(form.complaint)
        return form

    def _check_sub_status(self, status, code):
        row = self.db.get(SubStatus, code)
        if row is None or not row.active or row.status != status:
            raise invalid(sub_status=[("'{code}' is not a sub-status of {status}.",
                                       {"code": code, "status": status})])

    def _history(self, form, action, actor, changes=None, note=None, from_status=None,
                 to_status=None):
        who = events.by(actor) or {"user_id": None, "name": "system"}
        self.db.add(FormHistory(form_id=form.id, action=action, from_status=from_status,
                                to_status=to_status, by_id=who["user_id"], by_name=who["name"],
                                note=note, changes=json.dumps(changes, ensure_ascii=False,
                                                              default=str) if changes else None))


@functools.cache
def _follow_statements(dialect, versioned):
    """follow_customer's statements on `dialect` (sqlite or postgresql) for an event with a
    version or without: the copy's upsert — inserted, or updated only when the event's version
    is newer (or either has none), its next report day moved only when the frequency changed
    (or it has none) — and the forms' UPDATE. On PostgreSQL one statement (the upsert in the
    UPDATE's WITH): a round trip fewer.

    One INSERT … ON CONFLICT instead of a read and a write, also on PostgreSQL: there two
    handlers of one customer (its customer_created and customer_updated) both inserted (one
    failed and was delivered again), and an older update that waited for the newer one's row
    lock wrote over it."""
    module = {"sqlite": sqlite, "postgresql": postgresql}[dialect]
    t, f = CustomerCopy.__table__, Form.__table__
    insert = module.insert(t).values(
        id=bindparam("b_id"), name=bindparam("b_name"), email=bindparam("b_email"),
        language=bindparam("b_language"), report_frequency=bindparam("b_frequency"),
        version=bindparam("b_version", type_=t.c.version.type),
        next_report_on=bindparam("b_next_report", type_=t.c.next_report_on.type))
    new = insert.excluded
    copy = insert.on_conflict_do_update(
        index_elements=[t.c.id],
        set_={"name": new.name, "email": new.email, "language": new.language,
              "report_frequency": new.report_frequency, "version": new.version,
              "next_report_on": case(
                  ((t.c.report_frequency != new.report_frequency)
                   | t.c.next_report_on.is_(None), new.next_report_on),
                  else_=t.c.next_report_on)},
        where=new.version.is_(None) | t.c.version.is_(None) | (t.c.version < new.version))
    forms = update(f).where(f.c.customer_id == bindparam("b_id")).values(
        customer_name=bindparam("b_name"), customer_name_sort=bindparam("b_name_sort"),
        customer_email=bindparam("b_email"), customer_language=bindparam("b_language"),
        rep_user_id=bindparam("b_rep_user_id"), rep_name=bindparam("b_rep_name"),
        rep_email=bindparam("b_rep_email"), rep_language=bindparam("b_rep_language"),
        customer_version=bindparam("b_version", type_=f.c.customer_version.type),
        version=f.c.version + 1, updated_at=bindparam("b_now", type_=f.c.updated_at.type))
    if versioned:
        forms = forms.where(f.c.customer_version.is_(None)
                            | (f.c.customer_version < bindparam("b_version")))
    if dialect == "postgresql":
        return (forms.add_cte(copy.cte("customer_copy")),)
    return copy, forms


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


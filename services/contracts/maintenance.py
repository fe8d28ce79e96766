"""The application layer of periodic maintenance (periyodik bakım) over one database session:
plans and the visits they make, a visit's reschedule, skip and cancel, what the due-date
scanner does (the reminder `maintenance_due` N days ahead, `maintenance_visit_due` on the day
— forms opens one maintenance form per (visit, attempt)), what forms' events do to a visit
(delivered: done; cancelled: the attempt rises and the visit is due again), and the reads
(plans with their counts, visits, the maintenance report). `emit(event_type, payload)` writes
into the outbox of the same transaction; the caller commits.

"Once" is, as for the contracts' own scanner, the claim plus the flag that moves with the event
in one transaction: `reminded` for the reminder, `dispatched_attempt` for the visit's due event;
forms' unique (visit, attempt) is the last guard, should an event ever go out twice."""
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from services.common.exceptions import Conflict, NotFound, invalid
from services.common.roles import SYSTEM_ACTOR
from services.common.schemas import INVALID_CURSOR, decode_cursor, is_id, page_of
from services.common.text import sort_key
from services.contracts import domain
from services.contracts import maintenance_domain as rules
from services.contracts.events import pays_of, service_levels_of
from services.contracts.meters import Meters, device_readings
from services.contracts.models import (Contract, ContractDevice, MaintenancePlan,
                                       MaintenancePlanDevice,
                                       MaintenanceTeamMember, MaintenanceVisit, MeterReading,
                                       VisitHistory)
from services.contracts.workflow import check_version, find

PLANNABLE = (domain.DRAFT, domain.ACTIVE)
COMPLAINT = {"tr": "Periyodik bakım ({number}, {seq}. ziyaret)",
             "en": "Periodic maintenance ({number}, visit {seq})"}


def find_plan(session, plan_id):
    row = session.get(MaintenancePlan, plan_id) if is_id(plan_id) else None
    if row is None:
        raise NotFound("Maintenance plan {id} not found.", {"id": plan_id})
    return row


def find_visit(session, visit_id):
    row = session.get(MaintenanceVisit, visit_id) if is_id(visit_id) else None
    if row is None:
        raise NotFound("Maintenance visit {id} not found.", {"id": visit_id})
    return row


def plan_devices(session, plan):
    """The plan's device ids (a group plan's several, in the order given)."""
    ids = session.scalars(select(MaintenancePlanDevice.device_id).where(
        MaintenancePlanDevice.plan_id == plan.id).order_by(MaintenancePlanDevice.id)).all()
    return list(ids) or [plan.device_id]


def team_of(session, plan_id):
    return session.scalars(select(MaintenanceTeamMember).where(
        MaintenanceTeamMember.plan_id == plan_id).order_by(MaintenanceTeamMember.id)).all()


def member_out(m):
    return {"user_id": m.user_id, "name": m.name, "email": m.email, "language": m.language}


class Maintenance:
    def __init__(self, session, emit, settings):
        self.db, self.emit, self.settings = session, emit, settings

    def today(self):
        return domain.local_date(self.settings.clock.now())

    # -- plans ------------------------------------------------------------------------------
    def create_plan(self, data, actor, customer=None, cards=None):
        """A plan of one device — or of a group of a customer site's devices (`site_id`,
        `device_ids`; `customer` and `cards` as devices answered) — of a draft or active
        contract, and its visits from today (or the contract's start, if later) to the
        contract's end: one visit per device on each of the rule's dates."""
        contract = find(self.db, Contract, data["contract_id"])
        if contract.status not in PLANNABLE:
            raise Conflict("A contract in {status} gets no maintenance plan.",
                           {"status": contract.status})
        device_ids, site = self._devices(contract, data, customer, cards or {})
        first = data["first_on"] or contract.start
        if not contract.start <= first <= contract.end:
            raise invalid(first_on=[("The first date must lie within the contract "
                                     "({start} – {end}).", {"start": contract.start.isoformat(),
                                                           "end": contract.end.isoformat()})])
        start = max(contract.start, self.today())
        fires = rules.occurrences(data["rrule"], first, start, contract.end)
        rules.check_window(data["window_days"], fires, contract.end)
        dates = rules.visit_dates(data["rrule"], first, start, contract.end,
                                  data["avoid_holidays"])
        if not dates:
            raise invalid(rrule=[("The rule never fires inside the contract's period "
                                  "({start} – {end}).", {"start": start.isoformat(),
                                                         "end": contract.end.isoformat()})])
        if len(dates) * len(device_ids) > rules.MAX_VISITS:
            raise invalid(device_ids=[("At most {max} visits in a plan: {dates} dates for "
                                       "{devices} devices.", {
                                           "max": rules.MAX_VISITS, "dates": len(dates),
                                           "devices": len(device_ids)})])
        self._check_team(data["team"])
        plan = MaintenancePlan(
            contract_id=contract.id, customer_id=contract.customer_id,
            device_id=device_ids[0], rrule=data["rrule"].upper().removeprefix("RRULE:"),
            first_on=first, window_days=data["window_days"], lead_days=data["lead_days"],
            avoid_holidays=data["avoid_holidays"], status="active", note=data["note"],
            site_id=site["id"] if site else None, site_name=site["name"] if site else None,
            version=1, created_by_id=actor["id"], created_by_name=actor["name"])
        self.db.add(plan)
        self.db.flush()
        for device_id in device_ids:
            self.db.add(MaintenancePlanDevice(plan_id=plan.id, device_id=device_id))
        for member in data["team"]:
            self.db.add(MaintenanceTeamMember(plan_id=plan.id, **member))
        self._add_visits(plan, dates, 1, device_ids)
        self.db.flush()
        return plan

    def _devices(self, contract, data, customer, cards):
        """([device ids], site or None): one device of the contract, or a group whose every
        device is under the contract and stands at the site (a 422 naming `device_ids`)."""
        on_contract = set(self.db.scalars(select(ContractDevice.device_id).where(
            ContractDevice.contract_id == contract.id)).all())
        if not data.get("device_ids"):
            if data["device_id"] not in on_contract:
                raise invalid(device_id=[("Device {device_id} is not under contract "
                                          "{number}.", {"device_id": data["device_id"],
                                                        "number": contract.number})])
            return [data["device_id"]], None
        site = next((s for s in (customer or {}).get("sites") or []
                     if s["id"] == data["site_id"]), None)
        if site is None:
            raise invalid(site_id=[("Customer {customer_id} has no site {site_id}.", {
                "customer_id": contract.customer_id, "site_id": data["site_id"]})])
        errors = {}
        for i, device_id in enumerate(data["device_ids"]):
            if device_id not in on_contract:
                errors[str(i)] = [("Device {device_id} is not under contract {number}.",
                                   {"device_id": device_id, "number": contract.number})]
            elif (cards.get(device_id) or {}).get("site_id") != site["id"]:
                errors[str(i)] = [("Device {device_id} does not stand at site '{site}'.",
                                   {"device_id": device_id, "site": site["name"]})]
        if errors:
            raise invalid(device_ids=errors)
        return list(data["device_ids"]), {"id": site["id"], "name": site["name"]}

    def _add_visits(self, plan, dates, first_seq, device_ids, taken=frozenset()):
        """One visit per device on each date (a group's visits of a date share its `seq`),
        except where the device has an open visit that day already (`taken`)."""
        for seq, day in enumerate(dates, first_seq):
            for device_id in device_ids:
                if (device_id, day) in taken:
                    continue
                self.db.add(MaintenanceVisit(
                    plan_id=plan.id, contract_id=plan.contract_id,
                    customer_id=plan.customer_id, device_id=device_id, seq=seq,
                    planned_on=day, scheduled_on=day,
                    window_end=rules.window_end(day, plan.window_days),
                    remind_on=rules.remind_on(day, plan.lead_days), reminded=False,
                    status=rules.PLANNED, is_open=True, attempt=1, dispatched_attempt=0,
                    version=1))

    @staticmethod
    def _check_team(team):
        seen = set()
        for i, member in enumerate(team):
            if member["user_id"] in seen:
                raise invalid(team={str(i): {"user_id": [("User {id} is twice in the team.",
                                                          {"id": member["user_id"]})]}})
            seen.add(member["user_id"])

    def _open_plan(self, plan_id, version):
        plan = find_plan(self.db, plan_id)
        check_version(plan, version)
        if plan.status != "active":
            raise Conflict("A maintenance plan that is {status} cannot be changed.",
                           {"status": plan.status})
        contract = self.db.get(Contract, plan.contract_id)
        if contract.status not in PLANNABLE:
            raise Conflict("A contract in {status} gets no maintenance plan.",
                           {"status": contract.status})
        return plan, contract

    def change_plan(self, plan_id, data, actor):
        """Only what is sent changes. The team is replaced (the visits' forms already open
        keep theirs). A new rule, window, lead or holiday choice makes the planned visits from
        `from` (default today, or a draft contract's start; a new rule's first date) again:
        those untouched are removed, those with a history or a reading are cancelled with the
        reason; done, due, skipped and cancelled visits stay as they are."""
        plan, contract = self._open_plan(plan_id, data["version"])
        today = self.today()
        earliest = max(today, contract.start)  # a draft contract: from its start
        start = data["effective_from"] or earliest
        if not (earliest <= start <= contract.end):
            raise invalid(**{"from": [("The change takes effect within the rest of the "
                                       "contract ({start} – {end}).", {
                                           "start": earliest.isoformat(),
                                           "end": contract.end.isoformat()})]})
        if "team" in data:
            self._check_team(data["team"])
            for member in team_of(self.db, plan.id):
                self.db.delete(member)
            self.db.flush()
            for member in data["team"]:
                self.db.add(MaintenanceTeamMember(plan_id=plan.id, **member))
        if "note" in data:
            plan.note = data["note"]
        regenerate = any(name in data for name in ("rrule", "window_days", "lead_days",
                                                   "avoid_holidays"))
        if regenerate:
            rule = data.get("rrule", plan.rrule)
            first = start if "rrule" in data else plan.first_on
            window = data.get("window_days", plan.window_days)
            avoid = data.get("avoid_holidays", plan.avoid_holidays)
            fires = rules.occurrences(rule, first, start, contract.end)
            rules.check_window(window, fires, contract.end)
            dates = rules.visit_dates(rule, first, start, contract.end, avoid)
            if not dates:
                raise invalid(rrule=[("The rule never fires inside the contract's period "
                                      "({start} – {end}).", {"start": start.isoformat(),
                                                             "end": contract.end.isoformat()})])
            device_ids = plan_devices(self.db, plan)
            if len(dates) * len(device_ids) > rules.MAX_VISITS:  # as create_plan: a group's
                raise invalid(rrule=[("At most {max} visits in a plan: {dates} dates for "
                                      "{devices} devices.", {
                                          "max": rules.MAX_VISITS, "dates": len(dates),
                                          "devices": len(device_ids)})])
            plan.rrule = rule.upper().removeprefix("RRULE:")
            plan.first_on, plan.window_days = first, window
            plan.lead_days = data.get("lead_days", plan.lead_days)
            plan.avoid_holidays = avoid
            reason = rules.PLAN_CHANGED
            v = MaintenanceVisit
            for visit in self.db.scalars(select(v).where(
                    v.plan_id == plan.id, v.status == rules.PLANNED,
                    v.scheduled_on >= start)).all():
                touched = self.db.scalar(select(func.count()).select_from(VisitHistory).where(
                    VisitHistory.visit_id == visit.id)) or self.db.scalar(
                    select(func.count()).select_from(MeterReading).where(
                        MeterReading.visit_id == visit.id))
                if touched:
                    self._cancel(visit, actor, reason)
                else:
                    self.db.delete(visit)
            self.db.flush()
            taken = set(self.db.execute(select(v.device_id, v.scheduled_on).where(
                v.plan_id == plan.id, v.is_open.is_(True))).all())
            last = self.db.scalar(select(func.max(v.seq)).where(v.plan_id == plan.id)) or 0
            dates = [d for d in dates if any((i, d) not in taken for i in device_ids)]
            self._add_visits(plan, dates, last + 1, device_ids, taken)
        plan.version = data["version"] + 1
        self.db.flush()
        return plan

    def cancel_plan(self, plan_id, data, actor):
        """The plan ends: its planned visits, and its due ones whose form is not open, are
        cancelled with the reason; a due visit whose maintenance form is open finishes
        through that form (delivered: done; cancelled: the visit is cancelled, no new
        attempt)."""
        plan, _ = self._open_plan(plan_id, data["version"])
        plan.status = "cancelled"
        for visit in self.db.scalars(select(MaintenanceVisit).where(
                MaintenanceVisit.plan_id == plan.id, MaintenanceVisit.is_open.is_(True))).all():
            if visit.status == rules.PLANNED or visit.form_id is None:
                self._cancel(visit, actor, data["reason"])
        plan.version = data["version"] + 1
        self.db.flush()
        return plan

    def _cancel(self, visit, actor, reason):
        self._history(visit, rules.CANCELLED, actor, reason, from_status=visit.status,
                      to_status=rules.CANCELLED)
        visit.status, visit.reason, visit.is_open = rules.CANCELLED, reason, False
        visit.version += 1

    # -- a visit's moves by staff -----------------------------------------------------------
    def reschedule(self, visit_id, data, actor):
        """A new date with a reason: the planned date stays, the window and the reminder move
        with it (a reminder not yet due is sent again for the new date)."""
        visit = find_visit(self.db, visit_id)
        check_version(visit, data["version"])
        if visit.status not in rules.OPEN:
            raise Conflict("A visit that is {status} cannot be rescheduled.",
                           {"status": visit.status})
        contract = self.db.get(Contract, visit.contract_id)
        today = self.today()
        rules.check_reschedule(data["date"], contract.start, contract.end, today)
        plan = self.db.get(MaintenancePlan, visit.plan_id)
        self._history(visit, "rescheduled", actor, data["reason"], from_date=visit.scheduled_on,
                      to_date=data["date"])
        visit.scheduled_on = data["date"]
        visit.window_end = rules.window_end(data["date"], plan.window_days)
        visit.remind_on = rules.remind_on(data["date"], plan.lead_days)
        if visit.status == rules.PLANNED and visit.remind_on > today:
            visit.reminded = False
        visit.rescheduled_reason = data["reason"]
        visit.version = data["version"] + 1
        self.db.flush()
        return visit

    def close(self, visit_id, to, data, actor):
        """Skip or cancel a planned or due visit, with its reason."""
        visit = find_visit(self.db, visit_id)
        check_version(visit, data["version"])
        rules.check_visit_move(visit.status, to, actor.get("role"))
        if visit.status == rules.DUE and visit.form_id is not None:
            # contracts does not cancel forms' records (forms' lifecycle lets no system actor
            # cancel a form): the open form is ended there first, by a person
            raise Conflict("The visit's maintenance form {number} is open: deliver it, or "
                           "cancel it in forms first.", {"number": visit.form_number,
                                                         "form_id": visit.form_id})
        self._history(visit, to, actor, data["reason"], from_status=visit.status, to_status=to)
        visit.status, visit.reason, visit.is_open = to, data["reason"], to in rules.OPEN
        visit.version = data["version"] + 1
        self.db.flush()
        return visit

    def _history(self, visit, action, actor, note=None, **kw):
        self.db.add(VisitHistory(visit_id=visit.id, action=action, attempt=visit.attempt,
                                 by_id=actor.get("id"), by_name=actor.get("name"), note=note,
                                 **kw))

    # -- meter readings ---------------------------------------------------------------------
    def record_reading(self, visit_id, data, actor):
        """A counter reading of the visit's device (meters.py: never lower than the meter's
        previous one unless a replacement, nor dated before it or in the future)."""
        return Meters(self.db, self.settings).record_on_visit(visit_id, data, actor)

    # -- the scanner's work -----------------------------------------------------------------
    @staticmethod
    def due(today):
        """The WHERE clause of visits with something due on `today`: a reminder not sent whose
        day has come, or a visit whose day has come and whose attempt has not gone out — of an
        active contract."""
        v = MaintenanceVisit
        active = v.contract_id.in_(select(Contract.id).where(Contract.status == domain.ACTIVE))
        remind = and_(v.status == rules.PLANNED, v.reminded.is_(False), v.remind_on <= today)
        dispatch = and_(v.status.in_(rules.OPEN), v.scheduled_on <= today,
                        v.dispatched_attempt < v.attempt)
        return and_(or_(remind, dispatch), active)

    def fire(self, visit, today):
        """What is due on one visit, as the system actor: the reminder (once), then on its day
        the visit due (planned → due) and its `maintenance_visit_due` for this attempt (once:
        `dispatched_attempt` moves with the event)."""
        contract = self.db.get(Contract, visit.contract_id)
        if contract is None or contract.status != domain.ACTIVE:
            return False
        fired = False
        team = team_of(self.db, visit.plan_id)
        if visit.status == rules.PLANNED and not visit.reminded and visit.remind_on <= today:
            day = self._reminded_together(visit, today)
            recipients = self._recipients(contract, team)
            if day and recipients and visit.scheduled_on >= today:
                self.emit("maintenance_due", {
                    "contract_id": contract.id, "plan_id": visit.plan_id,
                    "due_date": visit.scheduled_on.isoformat(), "recipients": recipients,
                    "devices": self._devices_of(contract, [v.device_id for v in day])})
            fired = True
        if (visit.status in rules.OPEN and visit.scheduled_on <= today
                and visit.dispatched_attempt < visit.attempt):
            if visit.status == rules.PLANNED:
                rules.check_visit_move(visit.status, rules.DUE, SYSTEM_ACTOR["role"])
                self._history(visit, "due", SYSTEM_ACTOR, from_status=visit.status,
                              to_status=rules.DUE)
                visit.status = rules.DUE
            visit.dispatched_attempt = visit.attempt
            self.emit("maintenance_visit_due", self._visit_due(visit, contract, team))
            fired = True
        if fired:
            visit.version += 1
        self.db.flush()
        return fired

    def _reminded_together(self, visit, today):
        """The plan's visits of `visit`'s day whose reminder is due and not sent (a group
        plan's devices: one visit each), marked reminded: one e-mail for the day, not one per
        device. Locked and re-read (FOR UPDATE on PostgreSQL), so a replica that claimed a
        sibling and comes second finds them reminded and sends nothing: [] then."""
        v = MaintenanceVisit
        day = self.db.scalars(select(v).where(
            v.plan_id == visit.plan_id, v.scheduled_on == visit.scheduled_on,
            v.status == rules.PLANNED, v.reminded.is_(False), v.remind_on <= today).order_by(
            v.device_id, v.id).with_for_update()).all()
        if visit not in day:
            visit.reminded = True
            return []
        for other in day:
            other.reminded = True
            if other is not visit:
                other.version += 1
        return day

    def _devices_of(self, contract, device_ids):
        cards = {d.device_id: d for d in self.db.scalars(select(ContractDevice).where(
            ContractDevice.contract_id == contract.id,
            ContractDevice.device_id.in_(device_ids))).all()}
        return [{"id": i, "brand": cards[i].brand, "model": cards[i].model,
                 "device_type": cards[i].device_type, "device_type_name": None,
                 "serial": cards[i].serial} for i in device_ids if i in cards]

    @staticmethod
    def _recipients(contract, team):
        out = [{"name": m.name, "email": m.email, "language": m.language}
               for m in team if m.email]
        if contract.customer_email:
            out.append({"name": contract.customer_name, "email": contract.customer_email,
                        "language": contract.customer_language})
        return out

    def _visit_due(self, visit, contract, team):
        device = self.db.scalar(select(ContractDevice).where(
            ContractDevice.contract_id == contract.id,
            ContractDevice.device_id == visit.device_id))
        lang = contract.customer_language if contract.customer_language in COMPLAINT else "tr"
        return {
            "visit": {"id": visit.id, "attempt": visit.attempt, "plan_id": visit.plan_id,
                      "contract_id": contract.id, "device_id": visit.device_id,
                      "due": visit.scheduled_on.isoformat(),
                      "window_end": visit.window_end.isoformat()},
            "team": [{**member_out(m), "email": m.email} for m in team if m.email],
            "customer": {"id": contract.customer_id, "name": contract.customer_name,
                         "email": contract.customer_email,
                         "language": contract.customer_language},
            "rep": {"user_id": None, "name": contract.rep_name, "email": contract.rep_email,
                    "language": contract.rep_language} if contract.rep_name else None,
            "device": {"id": visit.device_id, "brand": device.brand, "model": device.model,
                       "device_type": device.device_type, "device_type_name": None,
                       "serial": device.serial},
            "contract": {"id": contract.id, "number": contract.number,
                         "start": contract.start.isoformat(), "end": contract.end.isoformat(),
                         "pays": pays_of(contract),
                         "service_levels": service_levels_of(contract)},
            "complaint": COMPLAINT[lang].format(number=contract.number, seq=visit.seq)}

    def scan(self, today=None):
        """Everything due on `today` (default: the clock's), in this session: what the scanner
        does in claimed batches, for an operator or a test with time injected."""
        today = today or self.today()
        fired = []
        for visit in self.db.scalars(select(MaintenanceVisit).where(self.due(today)).order_by(
                MaintenanceVisit.id)).all():
            if self.fire(visit, today):
                fired.append(visit.id)
        return fired

    # -- what forms' events do --------------------------------------------------------------
    def _visit_of(self, ref):
        if not ref:
            return None
        visit = self.db.get(MaintenanceVisit, ref["visit_id"])
        if visit is None or visit.attempt != ref["attempt"]:
            return None  # an older attempt's form: the visit went on without it
        return visit

    def form_opened(self, form):
        """forms opened the maintenance form of (visit, attempt): the visit shows it."""
        visit = self._visit_of(form.get("maintenance"))
        if visit is None or visit.status != rules.DUE:
            return
        visit.form_id, visit.form_number = form["id"], form["number"]
        self._history(visit, "form_opened", SYSTEM_ACTOR, form["number"])
        visit.version += 1
        self.db.flush()

    def form_completed(self, form):
        """The visit's form delivered: the visit is done (on Türkiye's today)."""
        visit = self._visit_of(form.get("maintenance"))
        if visit is None or visit.status != rules.DUE:
            return
        rules.check_visit_move(visit.status, rules.DONE, SYSTEM_ACTOR["role"])
        self._history(visit, "done", SYSTEM_ACTOR, form["number"], from_status=rules.DUE,
                      to_status=rules.DONE)
        visit.status, visit.done_on, visit.is_open = rules.DONE, self.today(), False
        visit.form_id, visit.form_number = form["id"], form["number"]
        visit.version += 1
        self.db.flush()

    def form_cancelled(self, form, note=None):
        """The visit's form cancelled: the attempt rises and the visit is due again; the
        scanner's next pass sends the new attempt (one new form)."""
        visit = self._visit_of(form.get("maintenance"))
        if visit is None or visit.status != rules.DUE:
            return
        plan = self.db.get(MaintenancePlan, visit.plan_id)
        contract = self.db.get(Contract, visit.contract_id)
        if plan.status != "active" or contract.status != domain.ACTIVE:
            # the plan was cancelled, or the contract ended, while this form was open
            self._cancel(visit, SYSTEM_ACTOR, note or form["number"])
            visit.form_id, visit.form_number = None, None
            self.db.flush()
            return
        self._history(visit, "form_cancelled", SYSTEM_ACTOR, note or form["number"],
                      from_status=rules.DUE, to_status=rules.DUE)
        visit.attempt += 1
        visit.form_id, visit.form_number = None, None
        visit.version += 1
        self.db.flush()


# -- reads -------------------------------------------------------------------------------------
def visit_out(v, today, contract=None, device=None):
    state = rules.visit_state(v.status, v.window_end, today)
    out = {"id": v.id, "plan_id": v.plan_id, "contract_id": v.contract_id,
           "customer_id": v.customer_id, "device_id": v.device_id, "seq": v.seq,
           "version": v.version, "status": v.status, "state": state,
           "state_name": rules.VISIT_STATUS_NAMES[state], "overdue": state == rules.OVERDUE,
           "planned_on": v.planned_on.isoformat(), "scheduled_on": v.scheduled_on.isoformat(),
           "rescheduled": v.planned_on != v.scheduled_on,
           "rescheduled_reason": v.rescheduled_reason,
           "window_end": v.window_end.isoformat(), "remind_on": v.remind_on.isoformat(),
           "reminded": v.reminded, "attempt": v.attempt,
           "form": {"id": v.form_id, "number": v.form_number} if v.form_id else None,
           "done_on": v.done_on.isoformat() if v.done_on else None, "reason": v.reason}
    if contract is not None:
        out["contract_number"] = contract.number
        out["customer"] = {"id": contract.customer_id, "name": contract.customer_name}
    if device is not None:
        out["device"] = {"id": device.device_id, "brand": device.brand, "model": device.model,
                         "serial": device.serial}
    return out


def plan_out(p, team, counts, device_ids):
    return {"id": p.id, "contract_id": p.contract_id, "customer_id": p.customer_id,
            "device_id": p.device_id, "device_ids": device_ids,
            "site": {"id": p.site_id, "name": p.site_name} if p.site_id else None,
            "group": p.site_id is not None, "rrule": p.rrule, "first_on": p.first_on.isoformat(),
            "window_days": p.window_days, "lead_days": p.lead_days,
            "avoid_holidays": p.avoid_holidays, "status": p.status, "note": p.note,
            "version": p.version, "team": [member_out(m) for m in team], "counts": counts,
            "created_at": p.created_at.isoformat() if p.created_at else None,
            "created_by": {"id": p.created_by_id, "name": p.created_by_name}}


class MaintenanceQueries:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def today(self):
        return domain.local_date(self.settings.clock.now())

    def counts(self, plan_id, today):
        v = MaintenanceVisit
        rows = dict(self.db.execute(select(v.status, func.count()).where(
            v.plan_id == plan_id).group_by(v.status)).all())
        overdue = self.db.scalar(select(func.count()).select_from(v).where(
            v.plan_id == plan_id, v.is_open.is_(True), v.window_end < today))
        return rules.completion(rows, overdue)

    def plan(self, plan_id):
        p = find_plan(self.db, plan_id)
        return plan_out(p, team_of(self.db, p.id), self.counts(p.id, self.today()),
                        plan_devices(self.db, p))

    def plans(self, query):
        stmt = select(MaintenancePlan)
        for name in ("contract_id", "customer_id"):
            if query[name] is not None:
                stmt = stmt.where(getattr(MaintenancePlan, name) == query[name])
        if query["device_id"] is not None:  # a group plan's other devices too
            stmt = stmt.where(MaintenancePlan.id.in_(select(MaintenancePlanDevice.plan_id).where(
                MaintenancePlanDevice.device_id == query["device_id"])))
        if query["cursor"]:
            (last,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(MaintenancePlan.id < last)
        rows = self.db.scalars(stmt.order_by(MaintenancePlan.id.desc())
                               .limit(query["limit"] + 1)).all()
        today = self.today()
        page, cursor = page_of(rows, query["limit"], lambda p: [p.id])
        return {"items": [plan_out(p, team_of(self.db, p.id), self.counts(p.id, today),
                                   plan_devices(self.db, p)) for p in page],
                "next_cursor": cursor}

    def visit(self, visit_id):
        v = find_visit(self.db, visit_id)
        contract = self.db.get(Contract, v.contract_id)
        device = self.db.scalar(select(ContractDevice).where(
            ContractDevice.contract_id == v.contract_id,
            ContractDevice.device_id == v.device_id))
        out = visit_out(v, self.today(), contract, device)
        out["team"] = [member_out(m) for m in team_of(self.db, v.plan_id)]
        plan = self.db.get(MaintenancePlan, v.plan_id)
        out["site"] = {"id": plan.site_id, "name": plan.site_name} if plan.site_id else None
        # a group plan's other devices visited the same day: one trip for the technician
        out["same_day"] = self._same_day(v)
        out["history"] = [{
            "action": h.action, "from": h.from_status,
            "action_name": rules.HISTORY_NAMES.get(h.action,
                                                   {"tr": h.action, "en": h.action}),
            "to": h.to_status,
            "from_date": h.from_date.isoformat() if h.from_date else None,
            "to_date": h.to_date.isoformat() if h.to_date else None, "attempt": h.attempt,
            "at": h.at.isoformat(), "by": {"id": h.by_id, "name": h.by_name}, "note": h.note}
            for h in self.db.scalars(select(VisitHistory).where(
                VisitHistory.visit_id == v.id).order_by(VisitHistory.id))]
        return out

    def _same_day(self, v):
        w, d = MaintenanceVisit, ContractDevice
        rows = self.db.execute(select(w, d).outerjoin(d, and_(
            d.contract_id == w.contract_id, d.device_id == w.device_id)).where(
            w.plan_id == v.plan_id, w.scheduled_on == v.scheduled_on, w.id != v.id).order_by(
            w.id)).all()
        return [{"id": o.id, "device_id": o.device_id, "status": o.status,
                 "device": {"brand": c.brand, "model": c.model, "serial": c.serial}
                 if c else None} for o, c in rows]

    def readings(self, visit_id):
        """The readings of the visit's device (every meter, oldest first), each with the pages
        counted since the meter's previous reading."""
        return device_readings(self.db, find_visit(self.db, visit_id).device_id)

    def _filtered(self, stmt, query, today):
        v = MaintenanceVisit
        for name in ("plan_id", "contract_id", "customer_id", "device_id"):
            if query.get(name) is not None:
                stmt = stmt.where(getattr(v, name) == query[name])
        t = MaintenanceTeamMember
        people = set()
        if query.get("technician_id") is not None:
            people.add(query["technician_id"])
        if query.get("technician_ids"):
            people.update(int(i) for i in query["technician_ids"].split(","))
        if query.get("team_of") is not None:
            team = {m.user_id for m in team_of(self.db, find_plan(self.db,
                                                                  query["team_of"]).id)}
            people.update(team)
        if people:  # a calendar of one technician, several, or a plan's whole team
            stmt = stmt.where(v.plan_id.in_(select(t.plan_id).where(
                t.user_id.in_(sorted(people)))))
        state = query.get("state")
        if state == rules.OVERDUE:
            stmt = stmt.where(v.is_open.is_(True), v.window_end < today)
        elif state in rules.OPEN:
            stmt = stmt.where(v.status == state, v.window_end >= today)
        elif state:
            stmt = stmt.where(v.status == state)
        if query.get("date_from"):
            stmt = stmt.where(v.scheduled_on >= query["date_from"])
        if query.get("date_to"):
            stmt = stmt.where(v.scheduled_on <= query["date_to"])
        return stmt

    def visits(self, query):
        """Visits by date (scheduled_on, id); a technician's calendar is `technician_id` with
        `from`–`to`. The due and overdue lists go by the end of the window (the deadline):
        each is then one range of an index in its order (ix_maintenance_visits_window,
        ix_maintenance_visits_open_window), however many visits there are."""
        v, today = MaintenanceVisit, self.today()
        key = v.window_end if query.get("state") in (rules.DUE, rules.OVERDUE) else \
            v.scheduled_on
        stmt = self._filtered(select(v, Contract, ContractDevice).join(
            Contract, Contract.id == v.contract_id).outerjoin(ContractDevice, and_(
                ContractDevice.contract_id == v.contract_id,
                ContractDevice.device_id == v.device_id)), query, today)
        if query["cursor"]:
            day, last = decode_cursor(query["cursor"], str, int)
            try:
                day = date.fromisoformat(day)
            except ValueError:
                raise invalid(cursor=[INVALID_CURSOR]) from None
            stmt = stmt.where(or_(key > day, and_(key == day, v.id > last)))
        rows = self.db.execute(stmt.order_by(key, v.id).limit(query["limit"] + 1)).all()
        attr = key.key
        page, cursor = page_of(rows, query["limit"], lambda r: [
            getattr(r[0], attr).isoformat(), r[0].id])
        return {"items": [visit_out(vis, today, c, d) for vis, c, d in page],
                "next_cursor": cursor}

    def _chosen(self, query, today):
        """(the ids of the visits a report counts, the date it goes by)."""
        v = MaintenanceVisit
        state = query["state"]
        when = v.done_on if state == "done" else v.scheduled_on
        stmt = select(v.id)
        if state == "done":
            stmt = stmt.where(v.status == rules.DONE)
        elif state == "due":
            stmt = stmt.where(v.status == rules.DUE, v.window_end >= today)
        elif state == "overdue":
            stmt = stmt.where(v.is_open.is_(True), v.window_end < today)
        else:
            stmt = stmt.where(v.status == rules.PLANNED, v.scheduled_on >= today,
                              v.scheduled_on <= today + timedelta(days=query["days"]))
        if query["month_from"]:
            stmt = stmt.where(when >= _month_start(query["month_from"]))
        if query["month_to"]:
            stmt = stmt.where(when < domain.add_months(_month_start(query["month_to"]), 1))
        return stmt.subquery(), when

    def report(self, query):
        """Maintenance lists by customer, technician or month: `done` (by the day done),
        `due` (due, window still open), `overdue` (open past the window), `upcoming` (planned
        within `days`); months from–to (YYYY-MM) limit the date."""
        v, today = MaintenanceVisit, self.today()
        state, group_by = query["state"], query["group_by"]
        chosen, when = self._chosen(query, today)
        if group_by == "customer":
            rows = self.db.execute(select(
                Contract.customer_id, func.min(Contract.customer_name), func.count()).select_from(
                v).join(Contract, Contract.id == v.contract_id).where(
                v.id.in_(select(chosen.c.id))).group_by(Contract.customer_id)).all()
            items = [{"key": k, "label": name, "visits": n} for k, name, n in rows]
            items.sort(key=lambda i: sort_key(i["label"] or ""))
        elif group_by == "technician":
            t = MaintenanceTeamMember
            rows = self.db.execute(select(t.user_id, func.min(t.name), func.count()).select_from(
                v).join(t, t.plan_id == v.plan_id).where(v.id.in_(select(chosen.c.id)))
                .group_by(t.user_id)).all()
            items = [{"key": k, "label": name, "visits": n} for k, name, n in rows]
            items.sort(key=lambda i: sort_key(i["label"] or ""))
        else:
            rows = self.db.execute(select(when, func.count()).where(
                v.id.in_(select(chosen.c.id))).group_by(when)).all()
            months = {}
            for day, n in rows:
                key = rules.month_of(day)
                months[key] = months.get(key, 0) + n
            items = [{"key": k, "label": k, "visits": n} for k, n in sorted(months.items())]
        total = self.db.scalar(select(func.count()).select_from(chosen))
        return {"state": state, "group_by": group_by, "today": today.isoformat(),
                "items": items, "total": total}

    def report_visits(self, query, limit):
        """The visits a report counts, by their date (the day done for `done`): each with its
        contract, customer, device and team — the PDF's list (the first `limit`)."""
        v, today = MaintenanceVisit, self.today()
        chosen, when = self._chosen(query, today)
        rows = self.db.execute(select(v, Contract, ContractDevice).join(
            Contract, Contract.id == v.contract_id).outerjoin(ContractDevice, and_(
                ContractDevice.contract_id == v.contract_id,
                ContractDevice.device_id == v.device_id)).where(
            v.id.in_(select(chosen.c.id))).order_by(when, v.id).limit(limit)).all()
        teams = {}
        for plan_id in sorted({r[0].plan_id for r in rows}):
            teams[plan_id] = [m.name for m in team_of(self.db, plan_id)]
        return [{**visit_out(vis, today, c, d), "team": teams.get(vis.plan_id, [])}
                for vis, c, d in rows]


def _month_start(text):
    year, month = text.split("-")
    return date(int(year), int(month), 1)

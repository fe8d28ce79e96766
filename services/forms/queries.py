"""Reads of service forms that page and sort: one form with its details, its history, the
lists, the satisfaction calls due, and the final check's checklist. Nothing here writes."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, exists, func, or_, select, tuple_, union_all

from services.common import access
from services.common.exceptions import Conflict, NotFound, invalid
from services.common.models import utcnow
from services.common.schemas import (INVALID_CURSOR, OTHER_SORT, decode_cursor, is_id,
                                     like_pattern, page_of, plain_dumper)
from services.common.text import WORD, fold, stems
from services.forms import approvals, domain
from services.common.personal import rows
from services.forms.models import (Assignment, CustomerCopy, Document, Form, FormHistory,
                                   PartLine, PriceApproval, SurveyAnswer, WorkLog)
from services.forms.schemas import FormOut
from services.forms.workflow import STATUS_RANK, find_form, running_timers

FORM_OUT, FORMS_OUT = FormOut(), FormOut(many=True)  # built once: ~10% of get_form's CPU
FORM_DUMP = plain_dumper(FORM_OUT)  # FORM_OUT.dump of one form, without the per-field machinery


def _children(model, *order):
    """A form's rows of `model` as plain rows (Core, on the session's connection), the
    statement built once: a detail read made three ORM queries that built the statement,
    its ORM context and an object per row each time (a third of get_form_detail's CPU)."""
    table = model.__table__
    return select(table).where(table.c.form_id == bindparam("form_id")).order_by(
        *(order or (table.c.id,)))


ASSIGNEES, WORK_LOGS, PARTS = _children(Assignment), _children(WorkLog), _children(PartLine)
FORM_ROW = select(Form.__table__).where(Form.__table__.c.id == bindparam("id"))


def form_row(session, form_id):
    """The form as a plain row (its columns as attributes, as on a Form), read past the
    session after a flush: `session.get` building the ORM object was half of a detail
    read's CPU (issue 23)."""
    form = None
    if is_id(form_id):
        session.flush()
        form = session.connection().execute(FORM_ROW, {"id": form_id}).first()
    if form is None:
        raise NotFound("Service form {form_id} not found.", {"form_id": form_id})
    return form
SORT_COLUMNS = {"number": Form.number, "customer": Form.customer_name_sort,
                "status": Form.status_rank, "device_type": Form.device_type_key,
                "fault_type": Form.fault_type_key, "opened": Form.created_at,
                "delivered": Form.delivered_at, "closed": Form.closed_at}


def complaint_matches(q):
    """The list's complaint search: the folded query as a substring of the folded complaint
    (as before: ``kompres`` finds ``Kompresör çalışmıyor``), or every query word found in the
    complaint's stem keys (``complaint_terms``, text.stem_column) — as the beginning of a key
    (a word being typed) or as one of the word's own keys (``kompresörü`` finds the key
    ``kompresor``; the order of the words does not matter). A form whose complaint_terms is
    still NULL (opened before the column existed) matches by the substring alone."""
    substring = Form.complaint_folded.like(like_pattern(fold(q)), escape="\\")
    words = WORD.findall(q)
    if not words:
        return substring
    every_word = []
    for word in words:
        options = [Form.complaint_terms.like("% " + like_pattern(fold(word))[1:], escape="\\")]
        options += [Form.complaint_terms.like(like_pattern(f" {key} "), escape="\\")
                    for key in sorted(stems(word) - {fold(word)})]
        every_word.append(or_(*options))
    return or_(substring, and_(*every_word))


class FormQueries:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def form(self, form_id):
        return FORM_OUT.dump(find_form(self.db, form_id))

    def detail(self, form_id, actor=None):
        """The form with its assignees, work logs (and time per person), parts, the coverage's
        share, and the moves the actor may make (any role's when no actor is given)."""
        form = form_row(self.db, form_id)  # flushed: the reads go past the session
        out = FORM_DUMP(form)
        conn, key = self.db.connection(), {"form_id": form.id}
        assignees = conn.execute(ASSIGNEES, key).all()
        if actor is not None:
            access.check_form(actor, [a.user_id for a in assignees],
                              self.settings.technicians_see_all_forms, form.id)
        logs = conn.execute(WORK_LOGS, key).all()
        parts = conn.execute(PARTS, key).all()
        per_person = {}
        for w in logs:
            p = per_person.setdefault(w.user_id, {"user_id": w.user_id, "name": w.user_name,
                                                  "minutes": 0})
            p["minutes"] += w.minutes
        pays = self.settings.pays(form.coverage_kind, form.coverage_terms)
        role = (actor or {}).get("role")
        if self._survey_expired(form):
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
            "service_levels": self._service_levels(form, assignees),
            "allowed_transitions": [
                {"to": to, "name": domain.STATUS_NAMES[to]}
                for to, roles in domain.moves_from(form.status)
                if (role is None or role in roles) and to != "AWAITING_APPROVAL"],
            "price_approval": approvals.of_form(self.db, self.settings, form),
        })
        return out

    def check_access(self, form_id, actor, write=False):
        """The record rule of services/common/access.py for a form (a technician: theirs or
        the unassigned pool); `write`: the form must still change (a closed or cancelled one
        is read-only). Answers the form's id and status."""
        form = find_form(self.db, form_id)
        ids = self.db.scalars(select(Assignment.user_id).where(
            Assignment.form_id == form.id)).all()
        access.check_form(actor, ids, self.settings.technicians_see_all_forms, form.id)
        if write and form.status not in domain.EDITABLE:
            raise Conflict("The form is {status}: it cannot change.", {"status": form.status})
        return {"id": form.id, "status": form.status}

    def _service_levels(self, form, assignees):
        """A contract's service levels on this form: the response due (met by the first
        assignment) and the repair due (met by REPAIRED), each met, breached or pending."""
        if form.response_due_at is None and form.repair_due_at is None:
            return None
        terms = json.loads(form.coverage_terms or "{}").get("service_levels") or {}
        repaired = self.db.scalar(select(func.min(FormHistory.at)).where(
            FormHistory.form_id == form.id, FormHistory.to_status == "REPAIRED"))
        responded = min((a.assigned_at for a in assignees), default=None)
        now = utcnow()
        out = {}
        for key, due, done in (("response", form.response_due_at, responded),
                               ("repair", form.repair_due_at, repaired)):
            state = domain.service_level_state(due, done, now)
            out[key] = None if due is None else {
                "hours": terms.get(f"{key}_hours"), "due_at": due.isoformat(),
                "state": state, "breached": state == "breached"}
        out["breached"] = any(v and v["breached"] for v in out.values() if isinstance(v, dict))
        return out

    def price_approvals(self, form_id):
        """The form's price approvals: the state, every version of the estimate, decisions."""
        return approvals.of_form(self.db, self.settings, find_form(self.db, form_id))

    def history(self, form_id, query):
        """Every change, newest first: status moves and field changes, who and when."""
        form = find_form(self.db, form_id)
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

    # -- lists ----------------------------------------------------------------------------
    def list(self, query):
        """Filtered, sorted (number, customer in Turkish order, status in lifecycle order,
        device type, fault type, opened/delivered/closed date; '-' for descending) and paged
        with a cursor. Sorting by delivered or closed lists the forms that have that date."""
        stmt = self._filtered(query)
        sort = query["sort"].lstrip("-")
        descending = query["sort"].startswith("-")
        key = SORT_COLUMNS[sort]
        if sort in ("delivered", "closed"):
            stmt = stmt.where(key.is_not(None))
        order = ((key.desc(), Form.id.desc()) if descending else (key, Form.id))
        if sort == "number":
            order = order[:1]
        n = query["limit"] + 1
        if query["cursor"]:
            stmt = self._after_cursor(stmt, key, sort, descending, order, n, query["cursor"])
        rows = self.db.scalars(stmt.order_by(*order).limit(n)).all()

        def cursor_of(last):
            value = getattr(last, key.key)
            value = value.isoformat() if isinstance(value, datetime) else value
            return [query["sort"], value] if sort == "number" else [query["sort"], value, last.id]

        page, cursor = page_of(rows, query["limit"], cursor_of)
        return {"items": FORMS_OUT.dump(page), "next_cursor": cursor}

    def _filtered(self, query):
        stmt = select(Form)
        # A technician's forms are a few thousand of a million: the list is driven from the
        # assignments' (user_id, form_id) index, and the state is then checked on those rows
        # only — SQLite, without statistics, otherwise took the status index for the open
        # states (180k rows at 1M) and ran the assignment check on each (the technician's
        # dashboard: 0.4–0.6 s; docs/benchmarks.md). `status || ''` keeps the same test but
        # names no index, so the planner cannot start there.
        status = (Form.status.op("||")("") if query["technician"] is not None
                  else Form.status)
        if query["state"] == "open":
            stmt = stmt.where(status.in_(domain.OPEN_STATUSES))
        elif query["state"] == "closed":
            stmt = stmt.where(status.in_(("CLOSED", "CANCELLED")))
        if query["status"] is not None:
            # by its rank (one to one with the status): then (status_rank, id) serves both the
            # filter and sort=status, where SQLite, without statistics, took the status index
            # and sorted every form of that status (the console's dashboard lists at 1M forms)
            stmt = stmt.where(Form.status_rank == STATUS_RANK[query["status"]])
        for name, column in (("customer_id", Form.customer_id),
                             ("device_type", Form.device_type_key),
                             ("fault_type", Form.fault_type_key), ("kind", Form.kind),
                             ("coverage", Form.coverage_kind),
                             ("rep_user_id", Form.rep_user_id)):
            if query[name] is not None:
                stmt = stmt.where(column == query[name])
        if query["technician"] is not None:
            stmt = stmt.where(Form.id.in_(select(Assignment.form_id).where(
                Assignment.user_id == query["technician"])))
        if query.get("visible_to") is not None and not self.settings.technicians_see_all_forms:
            mine = select(Assignment.id).where(Assignment.form_id == Form.id)
            stmt = stmt.where(or_(exists(mine.where(Assignment.user_id == query["visible_to"])),
                                  ~exists(mine)))
        if query["opened_from"]:
            stmt = stmt.where(Form.created_at >= day_start(query["opened_from"]))
        if query["opened_to"]:
            stmt = stmt.where(Form.created_at < day_start(query["opened_to"] + timedelta(1)))
        if query["q"]:
            stmt = stmt.where(complaint_matches(query["q"]))
        return stmt

    def _after_cursor(self, stmt, key, sort, descending, order, n, cursor):
        value, last_id = self._cursor_values(sort, descending, cursor)
        if last_id is None:  # number: unique, one column
            return stmt.where(key < value if descending else key > value)
        if self.db.get_bind().dialect.name == "sqlite":
            # SQLite ranges a row value on its first column only: a deep page of a key with
            # few values (status) would walk that value's whole group. Two index ranges — the
            # rest of this key's group, then the keys after it — each stop at n rows.
            same = stmt.where(key == value, Form.id < last_id if descending
                              else Form.id > last_id).order_by(*order).limit(n)
            after = stmt.where(key < value if descending else key > value) \
                .order_by(*order).limit(n)
            ids = union_all(select(same.subquery().c.id), select(after.subquery().c.id))
            return select(Form).where(Form.id.in_(ids))
        columns, values = tuple_(key, Form.id), tuple_(value, last_id)
        return stmt.where(columns < values if descending else columns > values)

    def _cursor_values(self, sort, descending, cursor):
        """The (key value, id) a cursor made for this sort holds (id None for `number`)."""
        wanted = ("-" if descending else "") + sort
        if sort == "number":
            made_for, value = decode_cursor(cursor, str, str)
            last_id = None
        else:
            made_for, value, last_id = decode_cursor(
                cursor, str, int if sort == "status" else str, int)
            if sort in ("opened", "delivered", "closed"):
                value = aware(value)
        if made_for != wanted:
            raise invalid(cursor=[OTHER_SORT])
        return value, last_id

    # -- satisfaction calls and the final check -------------------------------------------
    def satisfaction_calls(self, query, questions):
        """Completed forms whose satisfaction call is due (not done, not expired), oldest
        delivery first; `rep_user_id` for one representative's list."""
        window = timedelta(days=self.settings.survey_expiry_days)
        stmt = select(Form).where(Form.survey_status == "pending",
                                  Form.delivered_at > utcnow() - window)
        if query["rep_user_id"] is not None:
            stmt = stmt.where(Form.rep_user_id == query["rep_user_id"])
        if query["cursor"]:
            value, last_id = decode_cursor(query["cursor"], str, int)
            stmt = stmt.where(tuple_(Form.delivered_at, Form.id) > tuple_(aware(value), last_id))
        rows = self.db.scalars(stmt.order_by(Form.delivered_at, Form.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"],
                               lambda f: [f.delivered_at.isoformat(), f.id])
        return {"items": [{**FORM_OUT.dump(f), "survey_due_until": (
            f.delivered_at + window).isoformat()} for f in page],
            "next_cursor": cursor, "questions": questions}

    def final_check(self, form_id):
        """The checklist the final-check officer sees."""
        form = find_form(self.db, form_id)
        return {"form": FORM_OUT.dump(form), "checklist": self.checklist(form)}

    def checklist(self, form):
        survey = "expired" if self._survey_expired(form) else form.survey_status
        parts = self.db.scalar(select(func.count()).select_from(PartLine).where(
            PartLine.form_id == form.id))
        running = len(running_timers(self.db, form))
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

    def _survey_expired(self, form):
        """A due call not made in time counts as waived (computed when read, no timer)."""
        return form.survey_status == "pending" and domain.survey_expired(
            form.delivered_at, self.settings.survey_expiry_days)


def aware(text):
    """A cursor's moment: an ISO time with its zone, else a 422."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise invalid(cursor=[INVALID_CURSOR])
    return value


def day_start(day):
    """00:00 of a day in Türkiye, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=domain.LOCAL_TZ).astimezone(
        timezone.utc)


def personal_data(session, customer_id):
    """What forms holds about a customer (KVKK export): the forms with their texts (history,
    work logs, parts), price approvals (the link's hash left out), survey answers, the
    documents of the forms and of the customer, and forms' copy of the customer."""
    forms = select(Form.id).where(Form.customer_id == customer_id)
    return {
        "forms": rows(session, Form, Form.customer_id == customer_id,
                      exclude=("customer_name_sort", "status_rank", "device_type_key",
                               "fault_type_key")),
        "form_history": rows(session, FormHistory, FormHistory.form_id.in_(forms)),
        "work_logs": rows(session, WorkLog, WorkLog.form_id.in_(forms)),
        "part_lines": rows(session, PartLine, PartLine.form_id.in_(forms)),
        "assignments": rows(session, Assignment, Assignment.form_id.in_(forms)),
        "price_approvals": rows(session, PriceApproval, PriceApproval.form_id.in_(forms),
                                exclude=("token_hash",)),
        "survey_answers": rows(session, SurveyAnswer, SurveyAnswer.form_id.in_(forms)),
        "documents": rows(session, Document, or_(
            and_(Document.subject == "form", Document.subject_id.in_(forms)),
            and_(Document.subject == "customer", Document.subject_id == customer_id)),
            exclude=("claimed_by", "claimed_until", "storage_key")),
        "customer_copy": rows(session, CustomerCopy, CustomerCopy.id == customer_id,
                              exclude=("claimed_by", "claimed_until")),
    }

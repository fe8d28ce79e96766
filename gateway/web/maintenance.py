"""The console's screens for periodic maintenance (issue 18): the visits by day — a
technician's calendar (their own by default), any technician's or everyone's for the office —
with state and date filters; the plans with a new plan's form (the team picked among the
active technicians); a visit with its history, reschedule, skip, cancel and meter readings.
Every read and write goes through gateway/web/api.py `call`, as the other screens do: the
API's route, roles, loading and version contract."""
from datetime import date, datetime, timedelta

from flask import current_app, redirect, request, url_for

from gateway.auth import current_user
from gateway.web import api
from gateway.web.formatting import LOCAL_TZ
from gateway.web.i18n import error_text, field_errors, gettext
from gateway.web.pages import STALE, as_decimal, as_int, listed, page, text_or_none
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError
from services.common.roles import TECHNICIAN
from services.contracts.api import (REPORT_GROUP_NAMES, REPORT_STATE_NAMES,
                                    VISIT_STATUS_NAMES)

VISIT = "/maintenance-visits/<id:visit_id>"
STATES = ("planned", "due", "overdue", "done", "skipped", "cancelled")


def technicians():
    return [u for u in current_app.extensions["servis"].users.list()
            if u.role == TECHNICIAN and u.active]


@bp.get("/maintenance")
@page("GET", "/maintenance-visits")
def maintenance():
    """The visits by day from `from` (default today) for four weeks, or in a state."""
    user = current_user()
    default_tech = str(user["id"]) if user["role"] == TECHNICIAN else ""
    tech = request.args.get("technician_id", default_tech)
    state = request.args.get("state") or None
    start = request.args.get("from") or datetime.now(LOCAL_TZ).date().isoformat()  # Türkiye's
    query = {"limit": 200, "from": start}
    if not state:
        try:
            query["to"] = (date.fromisoformat(start) + timedelta(days=27)).isoformat()
        except ValueError:
            pass  # the API names the field
    if state:
        query["state"] = state
        if state in ("overdue", "due", "done", "skipped", "cancelled"):
            query.pop("from")
    several = [t for t in request.args.getlist("technician_ids") if t.isdigit()][:20]
    team_of = request.args.get("team_of") or ""
    if several or team_of:  # a team's calendar: the technicians ticked, or a plan's team
        tech = ""
        if several:
            query["technician_ids"] = ",".join(several)
        if team_of:
            query["team_of"] = team_of
    if tech:
        query["technician_id"] = tech
    items, error = listed("/maintenance-visits", query)
    days = {}
    for v in items:
        days.setdefault(v["scheduled_on"], []).append(v)
    return render("maintenance.html", days=sorted(days.items()), error=error, state=state,
                  states=STATES, state_names=VISIT_STATUS_NAMES, start=start, tech=tech,
                  technicians=technicians(), several=set(several), team_of=team_of,
                  report_states=list(REPORT_STATE_NAMES.items()),
                  report_groups=list(REPORT_GROUP_NAMES.items()))


SUMMARY = "/reports/maintenance/summary"


@bp.get("/maintenance/report.pdf")
@page("GET", SUMMARY)
def maintenance_report_pdf():
    """The maintenance report as a PDF in the user's language (the API's `format=pdf`); a
    refused choice shows the calendar with the message."""
    query = {k: request.args.get(k) for k in ("state", "group_by", "from", "to")
             if request.args.get(k)}
    try:
        return api.call("GET", SUMMARY, query={**query, "format": "pdf"})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return render("maintenance.html", status=exc.http_status, days=[],
                      error=error_text(exc), state=None, states=STATES,
                      state_names=VISIT_STATUS_NAMES, start="", tech="",
                      technicians=technicians(), several=set(), team_of="",
                      report_states=list(REPORT_STATE_NAMES.items()),
                      report_groups=list(REPORT_GROUP_NAMES.items()))


@bp.get("/maintenance/plans")
@page("GET", "/maintenance-plans")
def maintenance_plans(status=200, error=None, errors=(), typed=None):
    contract_id = request.args.get("contract_id") or None
    items, list_error = listed("/maintenance-plans", {
        "limit": 50, **({"contract_id": contract_id} if contract_id else {})})
    return render("maintenance_plans.html", status=status, items=items,
                  error=error or list_error, errors=list(errors), typed=typed or {},
                  technicians=technicians(), may_plan=api.may("POST", "/maintenance-plans"))


@bp.post("/maintenance/plans")
@page("POST", "/maintenance-plans")
def create_plan():
    form = request.form
    body = {"contract_id": as_int(form.get("contract_id")),
            "device_id": as_int(form.get("device_id")), "rrule": form.get("rrule") or "",
            "first_on": text_or_none("first_on"),
            "window_days": as_int(form.get("window_days")) or 7,
            "lead_days": as_int(form.get("lead_days")) if form.get("lead_days") else 7,
            "avoid_holidays": form.get("avoid_holidays") == "on",
            "team": [as_int(t) for t in form.getlist("team")], "note": text_or_none("note")}
    group = [as_int(d) for d in (form.get("device_ids") or "").replace(";", ",").split(",")
             if d.strip()]
    if group or text_or_none("site_id"):  # a site's group: the API names what is missing
        body.update(device_ids=group or None, site_id=as_int(form.get("site_id")))
        if not text_or_none("device_id"):
            body["device_id"] = None
    try:
        plan = api.call("POST", "/maintenance-plans", body=body)
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return maintenance_plans(exc.http_status, error_text(exc), field_errors(exc),
                                 typed=dict(form))
    return redirect(url_for("web.maintenance", state="planned") + f"#plan-{plan['id']}", 303)


@bp.get("/maintenance/visits/<id:visit_id>")
@page("GET", VISIT)
def visit_page(visit_id, status=200, error=None, errors=(), typed=None):
    visit = api.call("GET", VISIT, {"visit_id": visit_id})
    readings = api.call("GET", VISIT + "/readings", {"visit_id": visit_id})["items"]
    return render("maintenance_visit.html", status=status, v=visit, readings=readings,
                  error=error, errors=list(errors), typed=typed or {},
                  may_write=api.may("POST", VISIT + "/reschedule"),
                  may_read_meter=api.may("POST", VISIT + "/readings"))


def _write(action, visit_id, body, versioned=True):
    """One write with the version the page read; back to the visit, or the visit with the
    error (a stale version: the "reload" page, nothing written)."""
    version = as_int(request.form.get("version")) if versioned else None
    try:
        api.call("POST", VISIT + action, {"visit_id": visit_id}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.visit_page", visit_id=visit_id))
        return visit_page(visit_id, exc.http_status, error_text(exc), typed=request.form)
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:  # the page again with the error and what was typed
        return visit_page(visit_id, exc.http_status, error_text(exc), field_errors(exc),
                          typed=request.form)
    return redirect(url_for("web.visit_page", visit_id=visit_id), 303)


@bp.post("/maintenance/visits/<id:visit_id>/reschedule")
@page("POST", VISIT + "/reschedule")
def reschedule_visit(visit_id):
    return _write("/reschedule", visit_id, {"date": text_or_none("date") or "",
                                            "reason": text_or_none("reason") or ""})


@bp.post("/maintenance/visits/<id:visit_id>/skip")
@page("POST", VISIT + "/skip")
def skip_visit(visit_id):
    return _write("/skip", visit_id, {"reason": text_or_none("reason") or ""})


@bp.post("/maintenance/visits/<id:visit_id>/cancel")
@page("POST", VISIT + "/cancel")
def cancel_visit(visit_id):
    return _write("/cancel", visit_id, {"reason": text_or_none("reason") or ""})


@bp.post("/maintenance/visits/<id:visit_id>/readings")
@page("POST", VISIT + "/readings")
def record_reading(visit_id):
    return _write("/readings", visit_id, {
        "meter": text_or_none("meter") or "total", "value": as_int(request.form.get("value")),
        "replacement": request.form.get("replacement") == "on",
        "read_on": text_or_none("read_on"), "note": text_or_none("note")}, versioned=False)


PLAN = "/maintenance-plans/<id:plan_id>"


@bp.get("/maintenance/plans/<id:plan_id>")
@page("GET", PLAN)
def plan_page(plan_id, status=200, error=None, errors=(), typed=None):
    """One plan: its rule, team and counts; a change from a date on and the plan's cancel."""
    plan = api.call("GET", PLAN, {"plan_id": plan_id})
    return render("maintenance_plan.html", status=status, p=plan, error=error,
                  errors=list(errors), typed=typed or {}, technicians=technicians(),
                  team={m["user_id"] for m in plan["team"]},
                  may_write=api.may("PATCH", PLAN))


def _plan_write(method, rule, plan_id, body):
    version = as_int(request.form.get("version"))
    try:
        api.call(method, rule, {"plan_id": plan_id}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.plan_page", plan_id=plan_id))
        return plan_page(plan_id, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return plan_page(plan_id, exc.http_status, error_text(exc), field_errors(exc),
                         typed=dict(request.form))
    return redirect(url_for("web.plan_page", plan_id=plan_id), 303)


@bp.post("/maintenance/plans/<id:plan_id>/change")
@page("PATCH", PLAN)
def change_plan(plan_id):
    """Only the fields filled in change (an empty field leaves it as it is)."""
    form, body = request.form, {}
    for name in ("window_days", "lead_days"):
        if form.get(name):
            body[name] = as_int(form.get(name))
    if form.get("rrule"):
        body["rrule"] = form.get("rrule")
    if form.get("team_changed") == "on":
        body["team"] = [as_int(t) for t in form.getlist("team")]
    if form.get("holidays") in ("avoid", "keep"):
        body["avoid_holidays"] = form.get("holidays") == "avoid"
    if form.get("from"):
        body["from"] = form.get("from")
    return _plan_write("PATCH", PLAN, plan_id, body)


@bp.post("/maintenance/plans/<id:plan_id>/cancel")
@page("POST", PLAN + "/cancel")
def cancel_plan(plan_id):
    return _plan_write("POST", PLAN + "/cancel", plan_id,
                       {"reason": text_or_none("reason") or ""})


# -- a contract's pages over the allowance (on the contract's page) ---------------------------
PAGE_TERMS = "/contracts/<id:contract_id>/page-terms"
PAGE_BILLS = "/contracts/<id:contract_id>/page-bills"


def contract_meters(contract, typed=None):
    """What the contract's page shows of its page pricing, for a role that may read it (else
    None): the terms as rows to edit (each priced meter, each device not priced yet, one
    empty row for another meter), the bills with their lines. `typed`: the rows as the user
    typed them, shown again after a refused save (nothing typed is lost)."""
    if not api.may("GET", PAGE_TERMS):
        return None
    args = {"contract_id": contract["id"]}
    terms = api.call("GET", PAGE_TERMS, args)["items"]
    bills, error = listed(PAGE_BILLS, None, args)
    if typed is not None:  # as typed, then each device still unpriced, then an empty row
        named = {t["device_id"] for t in typed} | {t["device_id"] for t in terms}
        rows = [*typed, *({"device_id": d["device_id"], "meter": "total",
                           "monthly_allowance": "", "page_price": ""}
                          for d in contract["devices"]
                          if d["device_id"] and d["device_id"] not in named),
                {"device_id": None, "meter": "", "monthly_allowance": "", "page_price": ""}]
    else:
        priced = {t["device_id"] for t in terms}
        rows = terms + [{"device_id": d["device_id"], "meter": "total",
                         "monthly_allowance": None, "page_price": None}
                        for d in contract["devices"]
                        if d["device_id"] and d["device_id"] not in priced]
        rows.append({"device_id": None, "meter": "", "monthly_allowance": None,
                     "page_price": None})
    names = {d["device_id"]: f"{d['brand']} {d['serial']}" for d in contract["devices"]}
    return {"terms": terms, "rows": rows, "bills": bills, "error": error, "names": names,
            "typed": typed is not None,
            "may_write": api.may("PUT", PAGE_TERMS), "may_bill": api.may("POST", PAGE_BILLS)}


def _contract_write(method, rule, contract_id, body, anchor, typed=None):
    """One write with the contract's version the page read; back to the contract's page, or
    the page with the error (stale: the "reload" page); `typed`: the page terms' rows as
    typed, kept on the page with the error."""
    from gateway.web.contracts_pages import contract_page
    version = as_int(request.form.get("version"))
    try:
        api.call(method, rule, {"contract_id": contract_id}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.contract_page", contract_id=contract_id))
        return contract_page(contract_id, exc.http_status, error_text(exc), typed_terms=typed)
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return contract_page(contract_id, exc.http_status, error_text(exc), field_errors(exc),
                             typed_terms=typed)
    return redirect(url_for("web.contract_page", contract_id=contract_id) + anchor, 303)


@bp.post("/contracts/<id:contract_id>/page-terms")
@page("PUT", PAGE_TERMS)
def set_page_terms(contract_id):
    """The rows typed (device, meter, monthly allowance, price per page); a row left without
    an allowance and a price is no term."""
    rows = as_int(request.form.get("rows"))
    terms, typed = [], []
    for i in range(min(rows, 200) if isinstance(rows, int) else 0):
        allowance, price = text_or_none(f"allowance-{i}"), text_or_none(f"price-{i}")
        if allowance is None and price is None:
            continue
        device = as_int(request.form.get(f"device-{i}"))
        terms.append({"device_id": device, "meter": text_or_none(f"meter-{i}") or "total",
                      "monthly_allowance": as_int(allowance), "page_price": as_decimal(price)})
        typed.append({"device_id": device, "meter": request.form.get(f"meter-{i}", ""),
                      "monthly_allowance": allowance, "page_price": price})
    return _contract_write("PUT", PAGE_TERMS, contract_id, {"terms": terms}, "#pages", typed)


@bp.post("/contracts/<id:contract_id>/page-bills")
@page("POST", PAGE_BILLS)
def bill_pages(contract_id):
    return _contract_write("POST", PAGE_BILLS, contract_id, {
        "from": text_or_none("from") or "", "to": text_or_none("to")}, "#pages")

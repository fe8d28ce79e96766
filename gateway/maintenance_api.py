"""Periodic maintenance's REST API (/api/v1/maintenance-plans, /api/v1/maintenance-visits,
/api/v1/reports/maintenance/...): declared pass-throughs to the contracts service
(gateway/routes.py), and the summary report's CSV.

Roles: contracts officers, managers and admins plan, reschedule, skip and cancel; the service
desk and technicians read (a technician's calendar is the visit list with `technician_id`).

A plan's team is given as user ids; the gateway, which knows the accounts, checks each is an
active technician and passes contracts their snapshots {user_id, name, email, language}
(DESIGN.md: snapshots, not call-backs) — contracts never asks for users."""
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway.auth import roles
from gateway.csv_export import csv_response
from gateway.forms_api import pdf
from gateway.helpers import Page, rpc, to_wire, user_language
from gateway.routes import Csv, Route, declare, expose, items
from services.common.exceptions import invalid
from services.common.schemas import load
from services.common.roles import TECHNICIAN
from services.contracts.api import (MAINTENANCE_READ, MAINTENANCE_WRITE, READ, READINGS_WRITE,
                                    VISIT_STATUS_NAMES, WRITE, MaintenanceReportQuery,
                                    PageBillIn, PageTermsIn, PlanChangeHttp, PlanHttp,
                                    PlanQuery, ReadingIn, ReasonIn, RescheduleIn, VisitQuery)

NOT_TECHNICIANS = "Only active technicians make a maintenance team: {ids}."
PDF_TIMEOUT = 60  # a long report renders for seconds (docs/benchmarks.md, "Documents")

blp = Blueprint("maintenance", __name__, url_prefix="/api/v1",
                description="Periodic maintenance (periyodik bakım): plans and visits")
PLAN = "/maintenance-plans/<id:plan_id>"
VISIT = "/maintenance-visits/<id:visit_id>"
CONTRACT = "/contracts/<id:contract_id>"
FORM = "/forms/<id:form_id>"


def form_of(call):
    """The service form a reading is recorded from, as forms has it: its device and, for a
    maintenance form, its (visit, attempt). contracts owns the readings (DESIGN.md); forms is
    asked, contracts never is asked to call forms back."""
    form = rpc("forms", "get_form", call.view_args["form_id"])
    return {"id": form["id"], "number": form.get("number"),
            "device_id": (form.get("device") or {}).get("id"),
            "maintenance": form.get("maintenance")}


def device_of(call):
    return form_of(call)["device_id"]


def plan_body(call, schema=PlanHttp):
    """The plan as contracts takes it: each team member's snapshot from the accounts; a user
    id that is no active technician is a 422 naming `team`."""
    body = to_wire(schema, call.body)
    if "team" not in call.body:  # a change that leaves the team as it is
        return body
    users = current_app.extensions["servis"].users
    team, wrong = [], []
    for uid in call.body["team"]:
        user = users.get(uid)
        if user is None or user.role != TECHNICIAN or not user.active:
            wrong.append(uid)
        else:
            team.append({"user_id": user.id, "name": user.name, "email": user.email,
                         "language": user.language})
    if wrong:
        raise invalid(team=[(NOT_TECHNICIANS, {"ids": ", ".join(map(str, wrong))})])
    body["team"] = team
    return body


def plan_change_body(call):
    return plan_body(call, PlanChangeHttp)


def visit_columns(lang):
    def name(item):
        return VISIT_STATUS_NAMES[item["state"]][lang]
    return [("Ziyaret", "Visit", lambda i: i["id"]),
            ("Sözleşme", "Contract", lambda i: i.get("contract_number")),
            ("Müşteri", "Customer", lambda i: (i.get("customer") or {}).get("name")),
            ("Cihaz", "Device", lambda i: " ".join(filter(None, (
                (i.get("device") or {}).get("brand"), (i.get("device") or {}).get("serial"))))),
            ("Planlanan tarih", "Planned date", lambda i: i["planned_on"]),
            ("Tarih", "Date", lambda i: i["scheduled_on"]),
            ("Pencere sonu", "Window end", lambda i: i["window_end"]),
            ("Durum", "State", name),
            ("Deneme", "Attempt", lambda i: i["attempt"]),
            ("Form", "Form", lambda i: (i.get("form") or {}).get("number")),
            ("Yapıldığı gün", "Done on", lambda i: i.get("done_on")),
            ("Gerekçe", "Reason", lambda i: i.get("reason") or i.get("rescheduled_reason"))]


VISITS_DOC = ("Maintenance visits by date: filters `plan_id`, `contract_id`, `customer_id`, "
              "`device_id`, `technician_id` (a technician's calendar), `technician_ids` (several "
              "at once, comma-separated: a team's calendar), `team_of` (a plan: its whole "
              "team's calendar), `state` (planned, due, "
              "done, skipped, cancelled, overdue — open past its window), `from`–`to` dates; "
              "each with its planned and current date, window, attempt and form; cursor pages; "
              "`format=csv`.")

ROUTES = declare(blp, [
    Route("GET", "/maintenance-plans", "contracts", "list_maintenance_plans", MAINTENANCE_READ,
          args=("query",), query=PlanQuery, response=Page,
          doc="Maintenance plans, newest first; filters `contract_id`, `customer_id`, "
              "`device_id`; each with its team and its visits' counts."),
    Route("POST", "/maintenance-plans", "contracts", "create_maintenance_plan",
          MAINTENANCE_WRITE, args=(plan_body, "actor"), body=PlanHttp, status=201, etag=True,
          doc="A maintenance plan of one device of a draft or active contract: `contract_id`, "
              "`device_id`, `rrule` (RFC 5545, e.g. FREQ=MONTHLY;INTERVAL=3 or "
              "FREQ=MONTHLY;BYDAY=1MO; at most daily; it must fire inside the contract's "
              "period), `first_on` (default the contract's start), `window_days` (default 7; "
              "not longer than the interval between visits), `lead_days` (the reminder, "
              "default 7), `avoid_holidays` (default true: visits move off Turkish public "
              "holidays and weekends), `team` (technicians' user ids). Its visits are made at "
              "once, from today to the contract's end."),
    Route("GET", PLAN, "contracts", "get_maintenance_plan", MAINTENANCE_READ,
          args=("plan_id",), etag=True,
          doc="One plan: its rule, window, lead, team and counts (planned, due, done, skipped, "
              "cancelled, overdue, total, percent done)."),
    Route("PATCH", PLAN, "contracts", "change_maintenance_plan", MAINTENANCE_WRITE,
          args=("plan_id", plan_change_body, "actor"), body=PlanChangeHttp, versioned=True,
          etag=True,
          doc="Change an active plan with the version read (`If-Match`): only what is sent "
              "changes — `team` (technicians' user ids), `rrule`, `window_days`, `lead_days`, "
              "`avoid_holidays`, `note`. `from` (default today, within the rest of the "
              "contract) is the day a new rule, window, lead or holiday choice takes effect "
              "and a new rule's first date: the plan's planned visits from that day are made "
              "again (one with a history or a reading is cancelled as superseded); done, due, "
              "skipped and cancelled visits stay. A cancelled plan is a 409."),
    Route("POST", PLAN + "/cancel", "contracts", "cancel_maintenance_plan", MAINTENANCE_WRITE,
          args=("plan_id", "body", "actor"), body=ReasonIn, versioned=True, etag=True,
          doc="Cancel an active plan with its `reason`: its planned visits, and due ones "
              "with no form open, are cancelled with that reason; a visit whose maintenance "
              "form is open ends with the form (delivered: done; cancelled: cancelled, no new "
              "form)."),
    Route("GET", "/maintenance-visits", "contracts", "list_maintenance_visits",
          MAINTENANCE_READ, args=("query",), query=VisitQuery, response=Page,
          csv=Csv(visit_columns, ("bakim-ziyaretleri.csv", "maintenance-visits.csv")),
          doc=VISITS_DOC),
    Route("GET", VISIT, "contracts", "get_maintenance_visit", MAINTENANCE_READ,
          args=("visit_id",), etag=True,
          doc="One visit with its team and history (due, rescheduled from–to with the reason, "
              "form opened, form cancelled with the attempt, done, skipped, cancelled)."),
    Route("POST", VISIT + "/reschedule", "contracts", "reschedule_visit", MAINTENANCE_WRITE,
          args=("visit_id", "body", "actor"), body=RescheduleIn, versioned=True, etag=True,
          doc="Move a planned or due visit to `date` (within the contract, not in the past) "
              "with a `reason`; the planned date is kept, the window and reminder move."),
    Route("POST", VISIT + "/skip", "contracts", "skip_visit", MAINTENANCE_WRITE,
          args=("visit_id", "body", "actor"), body=ReasonIn, versioned=True, etag=True,
          doc="Skip a planned or due visit, with its `reason`."),
    Route("POST", VISIT + "/cancel", "contracts", "cancel_visit", MAINTENANCE_WRITE,
          args=("visit_id", "body", "actor"), body=ReasonIn, versioned=True, etag=True,
          doc="Cancel a planned or due visit, with its `reason`."),
    Route("GET", VISIT + "/readings", "contracts", "meter_readings", MAINTENANCE_READ,
          args=("visit_id",), answer=items,
          doc="The counter readings of the visit's device (every meter, oldest first), each with "
              "the pages counted since the meter's previous reading."),
    Route("POST", VISIT + "/readings", "contracts", "record_meter_reading", READINGS_WRITE,
          args=("visit_id", "body", "actor"), body=ReadingIn, status=201, answer=items,
          doc="Record a counter reading of the visit's device: `meter` (default total), "
              "`value`, `read_on` (default today), `note`. A value lower than the meter's "
              "previous reading is a 422 naming `value` unless `replacement: true` (the meter "
              "was changed). Not versioned: a reading is a new record and changes no visit."),
    Route("GET", FORM + "/readings", "contracts", "device_meter_readings", MAINTENANCE_READ,
          args=(device_of,), answer=items, record="form",
          doc="The counter readings of the form's device (every meter, oldest first), each "
              "with the pages counted since the meter's previous reading and the form or visit "
              "it was recorded on."),
    Route("POST", FORM + "/readings", "contracts", "record_form_reading", READINGS_WRITE,
          args=(form_of, "body", "actor"), body=ReadingIn, status=201, answer=items,
          record="form",
          doc="Record a counter reading of the form's device (as on a visit: `meter`, `value`, "
              "`replacement`, `read_on`, `note`). A maintenance form's reading goes on its "
              "visit; a repair form's under the contract that covers the device that day (none: "
              "409). Lower than the meter's previous reading without `replacement`, or dated "
              "before it: 422 naming the field."),
    Route("GET", CONTRACT + "/page-terms", "contracts", "page_terms", READ,
          args=("contract_id",), etag=True,
          doc="The contract's page terms (sayfa aşımı): per device and meter the monthly "
              "allowance of pages and the price per page over it, in the contract's currency."),
    Route("PUT", CONTRACT + "/page-terms", "contracts", "set_page_terms", WRITE,
          args=("contract_id", "body", "actor"), body=PageTermsIn, versioned=True, etag=True,
          doc="Replace the contract's page terms with the contract's version read: `terms` "
              "[{`device_id` (under the contract), `meter` (default total), "
              "`monthly_allowance`, `page_price` (at most 4 decimals)}]; a draft or active "
              "contract. Bills made already keep the terms they used."),
    Route("GET", CONTRACT + "/page-bills", "contracts", "page_bills", READ,
          args=("contract_id",),
          doc="The contract's page bills by period: per device and meter the opening and "
              "closing readings, pages, allowance, pages over it, price and amount; the "
              "installment of the invoice schedule that bills them."),
    Route("POST", CONTRACT + "/page-bills", "contracts", "bill_pages", WRITE,
          args=("contract_id", "body", "actor"), body=PageBillIn, versioned=True, status=201,
          etag=True,
          doc="Bill the pages of months `from`–`to` (YYYY-MM, an ended period within the "
              "contract) with the contract's version read: each priced meter's pages from the "
              "last bill's closing reading (else the last before the period) to the last "
              "reading of the period, a replaced meter counted from zero; the pages over "
              "monthly allowance × months at the price per page become an installment of kind "
              "`pages` on the invoice schedule (none when nothing is owed). A period billed "
              "already is a 409, unless it is the same one and its installment is not "
              "invoiced yet: it is made again. `version` (and the ETag) is the contract's after "
              "the bill."),
    Route("GET", "/reports/maintenance/visits", "contracts", "list_maintenance_visits",
          MAINTENANCE_READ, args=("query",), query=VisitQuery, response=Page,
          csv=Csv(visit_columns, ("bakim-listesi.csv", "maintenance-list.csv")),
          doc="The maintenance list: " + VISITS_DOC),
])


class SummaryHttp(MaintenanceReportQuery):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "pdf")))


@blp.route("/reports/maintenance/summary", methods=["GET"])
@roles(*MAINTENANCE_READ)
@blp.arguments(SummaryHttp, location="query", arg_name="query")
def maintenance_summary(query):
    """Maintenance visits `state=` done (by the day done), due (window open), overdue (open past
    the window) or upcoming (planned within `days`, default 30), counted by `group_by=`
    customer, technician or month, months `from`–`to` (YYYY-MM); `format=csv`, or
    `format=pdf`: the report with its visits (the first 1,000) as `application/pdf` in the
    user's language (Turkish dates and numbers in Turkish)."""
    return maintenance_summary_of({}, query=query, loaded=True)


@expose("GET", "/api/v1/reports/maintenance/summary", MAINTENANCE_READ)
def maintenance_summary_of(view_args, body=None, query=None, version=None, loaded=False):
    """The report's work (the API's view and the console's maintenance page)."""
    query = dict(query) if loaded else load(SummaryHttp(), query or {})
    wanted = query.pop("format")
    if wanted == "pdf":
        return pdf(None, rpc("contracts", "maintenance_report_pdf",
                             to_wire(MaintenanceReportQuery, query), user_language(),
                             timeout=PDF_TIMEOUT))
    report = rpc("contracts", "maintenance_report", to_wire(MaintenanceReportQuery, query))
    if wanted == "csv":
        columns = [("Grup", "Group", lambda i: i["label"]),
                   ("Ziyaret", "Visits", lambda i: i["visits"])]
        page = {"items": report["items"], "next_cursor": None}
        return csv_response(lambda a: page, {}, columns, "bakim-ozeti.csv", user_language())
    return report


BLUEPRINTS = (blp,)

"""Service forms over HTTP: intake, lifecycle, assignment, work, parts, price approval (staff's
side; the customer's link: approvals_api.py), satisfaction call, final check, lists, revenue
and the forms' catalogues. Every write states the version it read
(gateway/versions.py). Pass-through routes are declared (gateway/routes.py); written by hand:
assignments (the assignees' snapshots), the revenue report (CSV and SVG) and a form's e-mails
(two services)."""
import base64

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway import versions
from gateway.auth import roles
from gateway.charts import bar_chart
from gateway.csv_export import csv_response
from gateway.helpers import Page, actor, invalid, rpc, to_wire, user_language
from gateway.routes import (AllQuery, Csv, Route, admin_wants_all, const, declare, expose,
                            guard, items)
from services.common.exceptions import Conflict
from services.common.roles import (ADMINS, DESK, FINAL_CHECKER, MANAGE, REPS, REP, STAFF,
                                   TECHNICIAN, WORK)
from services.common.schemas import load
from services.forms.api import (COVERAGE_NAMES, KIND_NAMES, STATUS_NAMES, TRANSITIONS,
                                AssignHttp, CallsQuery, CatalogueIn, CataloguePatch,
                                DamageReportIn, EstimateIn, FinalCheckIn, FormIn, FormQuery,
                                HistoryQuery, PartIn, PeriodicReportIn, PhoneDecisionIn,
                                PreviewIn, QuestionIn, QuestionPatch,
                                RevenueQuery, SatisfactionQuery, SubStatusIn, SurveyIn,
                                TemplateIn, TimerIn, TransitionIn, WorkIn, WorkLogIn)

NO_SUCH_STAFF = "No such staff account: {ids}."
NOT_A_WORKER = "Only technicians, managers and admins work on forms: {ids}."

blp = Blueprint("forms", __name__, url_prefix="/api/v1", description="Service forms")
reports_blp = Blueprint("form_reports", __name__, url_prefix="/api/v1/reports",
                        description="Revenue and satisfaction reports")
catalogue_blp = Blueprint("form_catalogues", __name__, url_prefix="/api/v1/catalogues",
                          description="Fault types, status codes and survey questions")
documents_blp = Blueprint("documents", __name__, url_prefix="/api/v1",
                          description="Documents (PDFs): a form's intake slip, delivery receipt "
                                      "and damage report, a customer's periodic service report, "
                                      "and their templates")
FORM = "/forms/<id:form_id>"
KIND = "/document-templates/<string(maxlength=40):kind>"


def form_columns(lang):
    """A form's CSV columns in the user's language: names, not codes; Türkiye's time."""
    faults = {f["code"]: f["name"][lang] for f in rpc("forms", "list_catalogue", "fault-types",
                                                      True)}
    types = {t["code"]: t["name"][lang] for t in rpc("devices", "list_device_types", True)}

    def name(table, code):
        return table.get(code, {}).get(lang, code) if code else None

    return [
        ("Kayıt no", "Record no", lambda f: f["number"]),
        ("Tür", "Kind", lambda f: name(KIND_NAMES, f["kind"])),
        ("Statü", "Status", lambda f: f["status_name"][lang]),
        ("Müşteri", "Customer", lambda f: f["customer_name"]),
        ("Marka", "Brand", lambda f: f["device"]["brand"]),
        ("Model", "Model", lambda f: f["device"]["model"]),
        ("Cihaz tipi", "Device type", lambda f: types.get(f["device"]["device_type"],
                                                          f["device"]["device_type"])),
        ("Seri no", "Serial", lambda f: f["device"]["serial"]),
        ("Arıza tipi", "Fault type", lambda f: faults.get(f["fault_type"], f["fault_type"])),
        ("Kapsam", "Coverage", lambda f: name(COVERAGE_NAMES, (f["coverage"] or {}).get("kind"))),
        ("Şikayet", "Complaint", lambda f: f["complaint"]),
        ("Toplam", "Total", lambda f: f["totals"]["total"], "money"),
        ("Açılış", "Opened", lambda f: f["created_at"], "moment"),
        ("Teslim", "Delivered", lambda f: f["delivered_at"], "moment"),
        ("Kapanış", "Closed", lambda f: f["closed_at"], "moment"),
    ]


def pdf(call, result):
    """A document as the PDF it is (`application/pdf`, the bytes the service keeps); a
    preview asked for as HTML stays JSON."""
    if "content_b64" not in result:
        return result
    data = base64.b64decode(result["content_b64"])
    headers = {"Content-Disposition": f'inline; filename="{result["filename"]}"'}
    if result.get("sha256"):
        headers["ETag"] = f'"{result["sha256"]}"'
    return Response(data, mimetype=result.get("content_type") or "application/pdf",
                    headers=headers)


def visible_forms(call):
    """A technician lists the forms assigned to them and the unassigned pool (forms applies
    TECHNICIANS_SEE_ALL_FORMS); `visible_to` is never the client's."""
    query = {k: v for k, v in call.query.items() if k != "visible_to"}
    if call.user["role"] == TECHNICIAN:
        query["visible_to"] = call.user["id"]
    call.query = query


def own_calls(call):
    """A representative sees their own satisfaction calls."""
    if call.user["role"] == REP:
        call.query = {**call.query, "rep_user_id": call.user["id"]}


def status_catalogue(call, result):
    """The status codes with the core statuses and the lifecycle table (TR/EN names)."""
    return {**items(call, result),
            "statuses": [{"code": s, "name": n} for s, n in STATUS_NAMES.items()],
            "transitions": [{"from": a, "to": b, "roles": list(r)} for a, b, r in TRANSITIONS]}


def _form_write(method, path, rpc_method, roles_, body, doc, status=200, args=None):
    """A write to a form: versioned, answered with the form and its ETag."""
    return Route(method, FORM + path, "forms", rpc_method, roles_,
                 args=args or ("form_id", "body", "actor"), body=body, status=status,
                 versioned=True, etag=True, doc=doc)


ROUTES = declare(blp, [
    Route("GET", "/forms", "forms", "list_forms", STAFF, args=("query",), query=FormQuery,
          response=Page, prepare=visible_forms,
          csv=Csv(form_columns, ("servis-formlari.csv", "service-forms.csv")),
          doc="Service forms: `state=open|closed`, `status`, `customer_id`, `device_type`, "
              "`fault_type`, `technician` (user id), `rep_user_id`, `kind`, `coverage`, "
              "`opened_from/_to`, `q` (words of the complaint, Turkish-aware); `sort=` number "
              "(default `-number`, newest first), customer, status, device_type, fault_type, "
              "opened, delivered, closed (`-` descending); cursor paging; `format=csv`."),
    # forms waits up to DEVICES_RPC_TIMEOUT for devices, then writes: give the whole chain
    # time, so a slow intake is not a 504 for a form that is then saved.
    Route("POST", "/forms", "forms", "create_form", DESK, args=("body", "actor"), body=FormIn,
          status=201, etag=True, timeout=lambda settings: 2 * settings.rpc_timeout,
          doc="Open a service form for a customer's device: `device_id` of a card in the "
              "archive, or `device` {brand, serial, model, device_type} (registered when new). "
              "The device's coverage today is stored on the form."),
    Route("GET", FORM, "forms", "get_form_detail", STAFF, args=("form_id", "actor"), etag=True,
          doc="One form with assignees, work logs, work time per person, parts, totals, what "
              "its coverage pays, and the moves your role may make."),
    _form_write("PATCH", "", "update_work", WORK, WorkIn,
                "Technician's record and fees: `diagnosis`, `fault_type`, `work_done`, "
                "`repair_warranty_months` (this form's; 0 = none), `service_fee`, "
                "`discount_amount` or `discount_percent`. Totals are recomputed."),
    Route("GET", FORM + "/history", "forms", "form_history", STAFF, args=("form_id", "query"),
          query=HistoryQuery, record="form",
          doc="Every change to the form, newest first: status moves and field changes, who and "
              "when; `limit` and `cursor` page it."),
    _form_write("POST", "/transitions", "transition", STAFF, TransitionIn,
                "Move the form: `to` (a status), `sub_status`, `note` (needed to cancel, reopen "
                "or send back). A move that does not exist from the current status is a 409 "
                "naming the allowed ones; one your role may not make is a 403. Closing goes "
                "through the final check."),
    _form_write("POST", "/work-logs", "add_work_log", WORK, WorkLogIn,
                "Record work time: `started_at` and `ended_at`, or `minutes`; `note`; a manager "
                "may give an assignee's `user_id`.", status=201),
    _form_write("POST", "/timer/start", "start_timer", WORK, TimerIn,
                "Start your running work timer on the form."),
    _form_write("POST", "/timer/stop", "stop_timer", WORK, TimerIn,
                "Stop your running work timer on the form (a manager: `user_id`'s)."),
    _form_write("POST", "/parts", "add_part", WORK, PartIn,
                "Add a part used: `code`, `name`, `quantity`, `unit_price`.", status=201),
    _form_write("DELETE", "/parts/<id:part_id>", "remove_part", WORK, None,
                "Remove a part line.", args=("form_id", "part_id", "body", "actor")),
    _form_write("POST", "/survey", "record_survey", REPS, SurveyIn,
                "The satisfaction call (Müşteri Memnuniyet Araması): `outcome` done (with "
                "`answers` [{question_id, value}]), unreachable or declined. A score below the "
                "threshold reopens the form and tells management."),
    Route("GET", "/satisfaction-calls", "forms", "satisfaction_calls", REPS, args=("query",),
          query=CallsQuery, prepare=own_calls,
          doc="Completed forms whose satisfaction call is due: a representative sees their own, "
              "managers everyone's (or `rep_user_id`'s)."),
    Route("GET", FORM + "/final-check", "forms", "final_check", (FINAL_CHECKER, *MANAGE),
          args=("form_id",),
          doc="The final check's checklist: diagnosis, work, parts, fees, delivery, "
              "satisfaction (done or waived)."),
    _form_write("POST", "/final-check", "decide_final_check", (FINAL_CHECKER,), FinalCheckIn,
                "`decision`: close (every checklist item ok) or send_back (with a `note`)."),
    Route("GET", FORM + "/documents", "forms", "list_documents", STAFF, args=("form_id",),
          answer=items, record="form",
          doc="The form's documents: its intake slip (issued at intake), a delivery receipt "
              "per delivery, damage reports — kind, number, status (pending, issued, failed), "
              "template version, SHA-256, size, pages, who asked and when."),
    Route("GET", FORM + "/documents/<id:document_id>", "forms", "get_form_document", STAFF,
          args=("form_id", "document_id"), answer=pdf, record="form",
          doc="One of the form's documents as `application/pdf`, byte for byte as issued (its "
              "SHA-256 is the ETag); 409 while it is still being rendered."),
    Route("POST", FORM + "/damage-report", "forms", "issue_damage_report", DESK,
          args=("form_id", "body", "actor"), body=DamageReportIn, status=201,
          doc="Issue the insurance damage report (hasar bildirim formu) of the form's insured "
              "device and e-mail it to `insurer_email`: `incident_date`, "
              "`incident_description`; `insurer`, `policy_no` default to the device card's, "
              "`estimate` to the form's gross total. Answers the document."),
    _form_write("POST", "/price-approval", "send_price_approval", MANAGE, EstimateIn,
                "Send the estimate for the customer's approval (fiyat onay formu): from the "
                "form's work, parts and fees, or from `lines` [{kind: labour|part|fee, name, "
                "code, quantity (hours for labour), unit_price}] with their own "
                "`discount_amount` or `discount_percent`; `note` to the customer; "
                "`valid_days` (default PRICE_APPROVAL_DAYS). The form moves to "
                "AWAITING_APPROVAL (from DIAGNOSIS or IN_REPAIR; one there gets a revised "
                "estimate and the earlier link stops working), the price-approval form (PDF) is "
                "issued in the customer's language and e-mailed to them with a one-time link "
                "to approve or reject. Answers the form, with `price_approval`.", status=201),
    Route("GET", FORM + "/price-approval", "forms", "price_approvals", STAFF,
          args=("form_id",), record="form",
          doc="The form's price approval: `state` (none, pending, expired, approved, "
              "rejected, voided), `waiting` (a decision is due) and every version of the "
              "estimate, newest first — its lines and totals, who sent it and when, until when "
              "its link works, the decision (by link: time, address, browser; by phone: who "
              "took the call, the customer's name) or why it was withdrawn."),
    _form_write("POST", "/price-approval/decision", "record_price_decision", MANAGE,
                PhoneDecisionIn,
                "Record a decision the customer gave by phone on the estimate waiting (also "
                "one whose link expired): `decision` approved or rejected, `customer_name` "
                "(who decided), `taken_by` (who took the call; default you), `decided_at` "
                "(default now), `note`. Approved: the form goes to IN_REPAIR; rejected: to "
                "REPAIRED, returned unrepaired (the diagnosis fee alone, no repair warranty)."),
    Route("POST", FORM + "/tracking", "forms", "revoke_tracking", MANAGE,
          args=("form_id", "actor"),
          doc="A new tracking link (and QR code on later documents) for the form; the old "
              "link stops working."),
])


@blp.route(FORM + "/assignments", methods=["POST"])
@roles(*MANAGE)
@blp.arguments(versions.versioned_schema(AssignHttp), arg_name="body")
def assign(form_id, body):
    """Assign staff by user id (`replace: true` to replace the current ones); each assignee is
    e-mailed. A NEW or REOPENED form moves to ASSIGNED. Versioned (If-Match or `version`)."""
    form = assign_staff({"form_id": form_id}, body, None, body.get("version"))
    return form, 200, versions.etag(form)


@expose("POST", "/api/v1" + FORM + "/assignments", MANAGE, body=AssignHttp)
def assign_staff(view_args, body, query=None, version=None):
    """The assignment's work (the API's view and the form's page): each user id's snapshot,
    then forms.assign with the version stated."""
    version = versions.stated(version)
    users = current_app.extensions["servis"].users
    assignees, unknown, not_workers = [], [], []
    for uid in body["user_ids"]:
        user = users.get(uid)
        if user is None or user.role == "customer":
            unknown.append(uid)
        elif user.role not in WORK:
            not_workers.append(uid)
        else:
            assignees.append({"user_id": user.id, "name": user.name, "email": user.email,
                              "language": user.language, "role": user.role})
    if unknown:
        raise invalid(user_ids=[(NO_SUCH_STAFF, {"ids": ", ".join(map(str, unknown))})])
    if not_workers:
        raise invalid(user_ids=[(NOT_A_WORKER, {"ids": ", ".join(map(str, not_workers))})])
    try:
        return rpc("forms", "assign", view_args["form_id"], {
            "assignees": assignees, "replace": body.get("replace", False), "version": version},
            actor())
    except Conflict as conflict:
        raise versions.stale(conflict, version) from None


@blp.route(FORM + "/emails", methods=["GET"])
@roles(*STAFF)
def form_emails(form_id):
    """The e-mails sent about a form (the delivery log)."""
    return emails_of({"form_id": form_id})


@expose("GET", "/api/v1" + FORM + "/emails", STAFF)
def emails_of(view_args, body=None, query=None, version=None):
    rpc("forms", "get_form", view_args["form_id"])  # 404 for an unknown form
    guard("form", view_args)
    return {"items": rpc("notify", "deliveries_for_form", view_args["form_id"]),
            "next_cursor": None}


# -- reports -----------------------------------------------------------------------------------
class RevenueHttp(RevenueQuery):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "svg")))


AMOUNTS = [("İşçilik", "Labour", "labour"), ("Parça", "Parts", "parts"),
           ("Hizmet bedeli", "Service fee", "service_fee"), ("Brüt", "Gross", "gross"),
           ("Kapsamın ödediği", "Covered", "covered"), ("Ara toplam", "Subtotal", "subtotal"),
           ("İndirim", "Discount", "discount"),
           ("KDV", "VAT", "vat"), ("Toplam", "Total", "total")]


def _group_label(item):
    for key in ("day", "month", "name", "device_type"):
        if item.get(key):
            return item[key]
    return "—"


@reports_blp.route("/revenue", methods=["GET"])
@roles(*MANAGE)
@reports_blp.arguments(RevenueHttp, location="query", arg_name="query")
def revenue(query):
    """Service revenue (servis gelirleri) of forms delivered `from`–`to`: labour, parts, fees,
    discount, VAT, totals and what coverage paid, `group_by=` day, month, customer,
    device_type, technician (split by work-time share). `format=csv` or `svg` (a bar chart)."""
    return revenue_of({}, query=query, loaded=True)


@expose("GET", "/api/v1/reports/revenue", MANAGE)
def revenue_of(view_args, body=None, query=None, version=None, loaded=False):
    """The revenue report's work (the API's view and the console's reports page): the
    query (`RevenueHttp`, loaded here for a page) -> JSON, CSV or the SVG chart."""
    query = dict(query) if loaded else load(RevenueHttp(), query or {})
    wanted = query.pop("format")
    report = rpc("forms", "revenue", to_wire(RevenueQuery, query))
    lang = user_language()
    if wanted == "svg":
        title = ("Servis gelirleri" if lang == "tr" else "Service revenue") + \
            f" {report['from']} – {report['to']} ({report['currency']})"
        svg = bar_chart(title, [_group_label(i) for i in report["items"]],
                        [i["total"] for i in report["items"]], report["currency"], language=lang)
        return Response(svg, mimetype="image/svg+xml")
    if wanted == "csv":
        rows = list(report["items"])
        if report.get("others"):
            o = report["others"]
            rows.append({**o, "name": (f"Diğer müşteriler ({o['customers']})" if lang == "tr"
                                       else f"Other customers ({o['customers']})")})
        page = {"items": rows, "next_cursor": None}
        columns = [("Grup", "Group", _group_label), ("Form sayısı", "Forms", lambda i: i["forms"])]
        columns += [(tr, en, (lambda k: lambda i: i[k])(key), "money") for tr, en, key in AMOUNTS]
        return csv_response(lambda a: page, {}, columns, "servis-gelirleri.csv", lang)
    return report


declare(reports_blp, [
    Route("GET", "/satisfaction", "forms", "satisfaction_report", MANAGE, args=("query",),
          query=SatisfactionQuery,
          doc="Average satisfaction score by `group_by=` technician, customer or month."),
])


# -- catalogues --------------------------------------------------------------------------------
def _catalogue(name, schema_in, answer=items):
    return [
        Route("GET", f"/{name}", "forms", "list_catalogue", STAFF,
              args=(const(name), admin_wants_all), query=AllQuery, answer=answer,
              doc=f"The {name} catalogue (TR/EN names); admins add `?all=true`."),
        Route("POST", f"/{name}", "forms", "create_catalogue_entry", ADMINS,
              args=(const(name), "body"), body=schema_in, status=201,
              doc=f"Add to the {name} catalogue (admin)."),
        Route("PATCH", f"/{name}/<string(maxlength=40):code>", "forms", "update_catalogue_entry",
              ADMINS, args=(const(name), "code", "body"), body=CataloguePatch,
              doc=f"Rename or (de)activate an entry of {name} (admin)."),
    ]


declare(catalogue_blp, [
    *_catalogue("fault-types", CatalogueIn),
    *_catalogue("status-codes", SubStatusIn, answer=status_catalogue),
    Route("GET", "/survey-questions", "forms", "list_questions", STAFF,
          args=(admin_wants_all,), query=AllQuery, answer=items,
          doc="The satisfaction survey's questions with weights and scales."),
    Route("POST", "/survey-questions", "forms", "create_question", ADMINS, args=("body",),
          body=QuestionIn, status=201,
          doc="Add a question: `text_tr`, `text_en`, `weight`, `scale_min`, `scale_max`."),
    Route("PATCH", "/survey-questions/<id:question_id>", "forms", "update_question", ADMINS,
          args=("question_id", "body"), body=QuestionPatch, doc="Change a question (admin)."),
])

# -- documents of customers and templates ------------------------------------------------------
REPORT_READERS = MANAGE + (REP,)

declare(documents_blp, [
    Route("GET", "/customers/<id:customer_id>/documents", "forms", "customer_documents",
          REPORT_READERS, args=("customer_id",), answer=items,
          doc="The customer's periodic service reports (scheduled and on demand)."),
    Route("GET", "/customers/<id:customer_id>/documents/<id:document_id>", "forms",
          "get_customer_document", REPORT_READERS, args=("customer_id", "document_id"),
          answer=pdf, doc="One of the customer's documents as `application/pdf`."),
    Route("POST", "/customers/<id:customer_id>/periodic-reports", "forms",
          "issue_periodic_report", REPORT_READERS, args=("customer_id", "body", "actor"),
          body=PeriodicReportIn, status=201,
          doc="A periodic service report (periyodik servis raporu) on demand: the forms "
              "opened, delivered or closed `from`–`to`; `send: true` e-mails it to the "
              "customer. Answers the document (rendered: download it at once)."),
    Route("GET", "/document-templates", "forms", "document_templates", ADMINS, answer=items,
          doc="The document templates: kind, name, the version in use (`builtin-…` for the "
              "file in the repository, `vN` for an admin's), overridden or not."),
    Route("GET", KIND, "forms", "document_template", ADMINS, args=("kind",),
          doc="A template's source in use and its versions."),
    Route("PUT", KIND, "forms", "save_template", ADMINS, args=("kind", "body", "actor"),
          body=TemplateIn,
          doc="A new version of the template, in use at once — after it rendered in Turkish "
              "and English to PDF; a template that fails is a 422 naming its line, and the "
              "one in use stays. `source: null` goes back to the built-in file."),
    Route("POST", KIND + "/preview", "forms", "preview_template", ADMINS,
          args=("kind", "body"), body=PreviewIn, answer=pdf,
          doc="Render a template before use (`source`, default the one in use) with a form's "
              "data (`form_id`) or sample data, in `language`: `application/pdf`, or "
              "`{html}` with `html: true`."),
])

BLUEPRINTS = (blp, reports_blp, catalogue_blp, documents_blp)

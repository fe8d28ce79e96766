"""Service forms over HTTP: intake, lifecycle, assignment, work, parts, satisfaction call,
final check, lists, revenue and the forms' catalogues. Every write states the version it read
(`If-Match: "<version>"` or `version` in the body): missing is a 428, stale a 409."""
import re
from datetime import datetime

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway.api import Page, actor, rpc, user_language
from gateway.auth import current_user, roles
from gateway.charts import bar_chart
from gateway.csv_export import csv_response, list_args, listing, wants_csv
from gateway.users import STAFF
from services.common.exceptions import ValidationFailed
from services.forms.domain import (COVERAGE_NAMES, KIND_NAMES, LOCAL_TZ, STATUS_NAMES,
                                   TRANSITIONS)
from services.forms.schemas import (AssignHttp, CallsQuery, CatalogueIn, CataloguePatch,
                                    FinalCheckIn, FormIn, FormQuery, HistoryQuery, PartIn,
                                    QuestionIn,
                                    QuestionPatch, RevenueQuery, SatisfactionQuery, SubStatusIn,
                                    SurveyIn, TimerIn, TransitionIn, WorkIn,
                                    WorkLogIn)

FORM_WRITERS = ("desk", "manager", "admin")
WORKERS = ("technician", "manager", "admin")
MANAGERS = ("manager", "admin")
FORM_ID = "<int(max=2147483647):form_id>"

blp = Blueprint("forms", __name__, url_prefix="/api/v1", description="Service forms")
reports_blp = Blueprint("form_reports", __name__, url_prefix="/api/v1/reports",
                        description="Revenue and satisfaction reports")
catalogue_blp = Blueprint("form_catalogues", __name__, url_prefix="/api/v1/catalogues",
                          description="Fault types, status codes and survey questions")


def body():
    """The JSON body with the version from If-Match when the body has none."""
    data = request.get_json(silent=True)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("The input is not valid.", {"_schema": ["A JSON object."]})
    header = request.headers.get("If-Match")
    if header:
        match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,10})"?\s*', header)
        if not match:
            raise ValidationFailed("The input is not valid.", {"If-Match": [
                'The version read, e.g. If-Match: "3".']})
        version = int(match.group(1))
        if "version" in data and data["version"] != version:
            raise ValidationFailed("The input is not valid.", {"version": [
                "The body's version and If-Match differ."]})
        data = {**data, "version": version}
    return data


def call(method, *args, status=200):
    """A forms RPC whose answer is the form: sent with its version as the ETag."""
    result = rpc("forms", method, *args)
    return result, status, {"ETag": f'"{result["version"]}"'}


def _local(moment):
    """A stored UTC time as Türkiye's wall clock, for people (CSV)."""
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


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
        ("Açılış", "Opened", lambda f: _local(f["created_at"])),
        ("Teslim", "Delivered", lambda f: _local(f["delivered_at"])),
        ("Kapanış", "Closed", lambda f: _local(f["closed_at"])),
    ]


# -- forms -------------------------------------------------------------------------------------
@blp.route("/forms")
class Forms(MethodView):
    @roles(*STAFF)
    @blp.arguments(listing(FormQuery), location="query")
    @blp.response(200, Page)
    def get(self, query):
        """Service forms: `state=open|closed`, `status`, `customer_id`, `device_type`,
        `fault_type`, `technician` (user id), `rep_user_id`, `kind`, `coverage`,
        `opened_from/_to`, `q` (words of the complaint, Turkish-aware); `sort=` number (default
        `-number`, newest first), customer, status, device_type, fault_type, opened, delivered,
        closed (`-` descending); cursor paging; `format=csv`."""
        args = list_args()
        if wants_csv():
            lang = user_language()
            return csv_response(lambda a: rpc("forms", "list_forms", a), args,
                                form_columns(lang),
                                "servis-formlari.csv" if lang == "tr" else "service-forms.csv",
                                lang)
        return rpc("forms", "list_forms", args)

    @roles(*FORM_WRITERS)
    @blp.arguments(FormIn)
    def post(self, body_):
        """Open a service form for a customer's device: `device_id` of a card in the archive,
        or `device` {brand, serial, model, device_type} (registered when new). The device's
        coverage today is stored on the form."""
        # forms waits up to DEVICES_RPC_TIMEOUT for devices, then writes: give the whole chain
        # time, so a slow intake is not a 504 for a form that is then saved.
        timeout = 2 * current_app.extensions["servis"].settings.rpc_timeout
        form = rpc("forms", "create_form", request.get_json(), actor(), timeout=timeout)
        return form, 201, {"ETag": f'"{form["version"]}"'}


@blp.route(f"/forms/{FORM_ID}")
class FormOne(MethodView):
    @roles(*STAFF)
    def get(self, form_id):
        """One form with assignees, work logs, work time per person, parts, totals, what its
        coverage pays, and the moves your role may make. ETag: its version."""
        return call("get_form_detail", form_id, actor())

    @roles(*WORKERS)
    @blp.arguments(WorkIn)
    def patch(self, body_, form_id):
        """Technician's record and fees: `diagnosis`, `fault_type`, `work_done`,
        `repair_warranty_months` (this form's; 0 = none), `service_fee`, `discount_amount` or
        `discount_percent`. Totals are recomputed."""
        return call("update_work", form_id, body(), actor())


@blp.route(f"/forms/{FORM_ID}/history", methods=["GET"])
@roles(*STAFF)
@blp.arguments(HistoryQuery, location="query")
def history(query, form_id):
    """Every change to the form, newest first: status moves and field changes, who and when;
    `limit` and `cursor` page it."""
    return rpc("forms", "form_history", form_id, request.args.to_dict())


@blp.route(f"/forms/{FORM_ID}/transitions", methods=["POST"])
@roles(*STAFF)
@blp.arguments(TransitionIn)
def transition(body_, form_id):
    """Move the form: `to` (a status), `sub_status`, `note` (needed to cancel, reopen or send
    back). A move that does not exist from the current status is a 409 naming the allowed
    ones; one your role may not make is a 403. Closing goes through the final check."""
    return call("transition", form_id, body(), actor())


@blp.route(f"/forms/{FORM_ID}/assignments", methods=["POST"])
@roles(*MANAGERS)
@blp.arguments(AssignHttp)
def assign(body_, form_id):
    """Assign staff by user id (`replace: true` to replace the current ones); each assignee is
    e-mailed. A NEW or REOPENED form moves to ASSIGNED."""
    data = body()
    users = current_app.extensions["servis"].users
    assignees, unknown = [], []
    for uid in data.get("user_ids") or []:
        user = users.get(uid)
        if user is None or user.role == "customer":
            unknown.append(uid)
        else:
            assignees.append({"user_id": user.id, "name": user.name, "email": user.email,
                              "language": user.language, "role": user.role})
    if unknown:
        raise ValidationFailed("The input is not valid.", {"user_ids": [
            f"No such staff account: {', '.join(map(str, unknown))}."]})
    return call("assign", form_id, {"assignees": assignees, "replace": data.get("replace", False),
                                    "version": data.get("version")}, actor())


@blp.route(f"/forms/{FORM_ID}/work-logs", methods=["POST"])
@roles(*WORKERS)
@blp.arguments(WorkLogIn)
def work_log(body_, form_id):
    """Record work time: `started_at` and `ended_at`, or `minutes`; `note`; a manager may give
    an assignee's `user_id`."""
    return call("add_work_log", form_id, body(), actor(), status=201)


@blp.route(f"/forms/{FORM_ID}/timer/<any(start, stop):action>", methods=["POST"])
@roles(*WORKERS)
@blp.arguments(TimerIn)
def timer(body_, form_id, action):
    """Start or stop your running work timer on the form."""
    return call(f"{action}_timer", form_id, body(), actor())


@blp.route(f"/forms/{FORM_ID}/parts", methods=["POST"])
@roles(*WORKERS)
@blp.arguments(PartIn)
def add_part(body_, form_id):
    """Add a part used: `code`, `name`, `quantity`, `unit_price`."""
    return call("add_part", form_id, body(), actor(), status=201)


@blp.route(f"/forms/{FORM_ID}/parts/<int(max=2147483647):part_id>", methods=["DELETE"])
@roles(*WORKERS)
def remove_part(form_id, part_id):
    """Remove a part line (If-Match: the form's version)."""
    return call("remove_part", form_id, part_id, body(), actor())


@blp.route(f"/forms/{FORM_ID}/survey", methods=["POST"])
@roles("rep", "manager", "admin")
@blp.arguments(SurveyIn)
def survey(body_, form_id):
    """The satisfaction call (Müşteri Memnuniyet Araması): `outcome` done (with `answers`
    [{question_id, value}]), unreachable or declined. A score below the threshold reopens the
    form and tells management."""
    return call("record_survey", form_id, body(), actor())


@blp.route("/satisfaction-calls", methods=["GET"])
@roles("rep", "manager", "admin")
@blp.arguments(CallsQuery, location="query")
def satisfaction_calls(query):
    """Completed forms whose satisfaction call is due: a representative sees their own,
    managers everyone's (or `rep_user_id`'s)."""
    args = request.args.to_dict()
    user = current_user()
    if user["role"] == "rep":
        args["rep_user_id"] = user["id"]
    return rpc("forms", "satisfaction_calls", args)


@blp.route(f"/forms/{FORM_ID}/final-check")
class FinalCheck(MethodView):
    @roles("final_checker", "manager", "admin")
    def get(self, form_id):
        """The final check's checklist: diagnosis, work, parts, fees, delivery, satisfaction
        (done or waived)."""
        return rpc("forms", "final_check", form_id)

    @roles("final_checker")
    @blp.arguments(FinalCheckIn)
    def post(self, body_, form_id):
        """`decision`: close (every checklist item ok) or send_back (with a `note`)."""
        return call("decide_final_check", form_id, body(), actor())


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
@roles(*MANAGERS)
@reports_blp.arguments(RevenueHttp, location="query")
def revenue(query):
    """Service revenue (servis gelirleri) of forms delivered `from`–`to`: labour, parts, fees,
    discount, VAT, totals and what coverage paid, `group_by=` day, month, customer,
    device_type, technician (split by work-time share). `format=csv` or `svg` (a bar chart)."""
    args = list_args()
    report = rpc("forms", "revenue", args)
    lang = user_language()
    if request.args.get("format") == "svg":
        title = ("Servis gelirleri" if lang == "tr" else "Service revenue") + \
            f" {report['from']} – {report['to']} ({report['currency']})"
        svg = bar_chart(title, [_group_label(i) for i in report["items"]],
                        [i["total"] for i in report["items"]], report["currency"])
        return Response(svg, mimetype="image/svg+xml")
    if wants_csv():
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


@reports_blp.route("/satisfaction", methods=["GET"])
@roles(*MANAGERS)
@reports_blp.arguments(SatisfactionQuery, location="query")
def satisfaction(query):
    """Average satisfaction score by `group_by=` technician, customer or month."""
    return rpc("forms", "satisfaction_report", request.args.to_dict())


# -- catalogues --------------------------------------------------------------------------------
def _catalogue_routes(name, schema_in):
    @catalogue_blp.route(f"/{name}", endpoint=f"{name}-list")
    class Catalogue(MethodView):
        @roles(*STAFF)
        def get(self):
            everything = request.args.get("all") == "true" and current_user()["role"] == "admin"
            out = {"items": rpc("forms", "list_catalogue", name, everything), "next_cursor": None}
            if name == "status-codes":
                out["statuses"] = [{"code": s, "name": n} for s, n in STATUS_NAMES.items()]
                out["transitions"] = [{"from": a, "to": b, "roles": list(r)}
                                      for a, b, r in TRANSITIONS]
            return out

        @roles("admin")
        @catalogue_blp.arguments(schema_in)
        def post(self, body_):
            return rpc("forms", "create_catalogue_entry", name, request.get_json()), 201

    Catalogue.get.__doc__ = f"The {name} catalogue (TR/EN names); admins add `?all=true`."
    Catalogue.post.__doc__ = f"Add to the {name} catalogue (admin)."

    @catalogue_blp.route(f"/{name}/<string(maxlength=40):code>", methods=["PATCH"],
                         endpoint=f"{name}-one")
    @roles("admin")
    @catalogue_blp.arguments(CataloguePatch)
    def patch(body_, code):
        return rpc("forms", "update_catalogue_entry", name, code, request.get_json())
    patch.__doc__ = f"Rename or (de)activate an entry of {name} (admin)."


_catalogue_routes("fault-types", CatalogueIn)
_catalogue_routes("status-codes", SubStatusIn)


@catalogue_blp.route("/survey-questions")
class Questions(MethodView):
    @roles(*STAFF)
    def get(self):
        """The satisfaction survey's questions with weights and scales."""
        everything = request.args.get("all") == "true" and current_user()["role"] == "admin"
        return {"items": rpc("forms", "list_questions", everything), "next_cursor": None}

    @roles("admin")
    @catalogue_blp.arguments(QuestionIn)
    def post(self, body_):
        """Add a question: `text_tr`, `text_en`, `weight`, `scale_min`, `scale_max`."""
        return rpc("forms", "create_question", request.get_json()), 201


@catalogue_blp.route("/survey-questions/<int(max=2147483647):question_id>", methods=["PATCH"])
@roles("admin")
@catalogue_blp.arguments(QuestionPatch)
def question(body_, question_id):
    """Change a question (admin)."""
    return rpc("forms", "update_question", question_id, request.get_json())


@blp.route(f"/forms/{FORM_ID}/emails", methods=["GET"])
@roles(*STAFF)
def form_emails(form_id):
    """The e-mails sent about a form (the delivery log)."""
    rpc("forms", "get_form", form_id)  # 404 for an unknown form
    return {"items": rpc("notify", "deliveries_for_form", form_id), "next_cursor": None}


BLUEPRINTS = (blp, reports_blp, catalogue_blp)

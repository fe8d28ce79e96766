"""Administration on the console (admin): the catalogues in Turkish and English (device types,
fault types, sub-statuses, survey questions), the e-mail delivery log with resend, and the
document templates — a new version, and a PDF preview before and after. Every call is the
API's route through gateway/web/api.py, so only the roles the access table names reach them
and the users: create, change role, name and language, deactivate and reactivate, set a
password (issue 20's account endpoints, exposed in gateway/accounts_api.py)."""
from flask import redirect, request, url_for

from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.pages import STALE, as_int, page
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, ServisError
from services.common.roles import ROLES
from services.common.schemas import LANGUAGES
from services.forms.api import STATUS_NAMES

CATALOGUES = {"device-types": N_("Device types"), "fault-types": N_("Fault types"),
              "status-codes": N_("Sub-statuses")}
QUESTIONS = "/catalogues/survey-questions"
TEMPLATES = "/document-templates"
TEMPLATE = TEMPLATES + "/<string(maxlength=40):kind>"
DELIVERY_STATUSES = ("failed", "pending", "sent")
SAVED = N_("Saved.")


@bp.get("/admin")
@page("GET", TEMPLATES)
def admin():
    return render("admin.html", catalogues=CATALOGUES)


# -- catalogues --------------------------------------------------------------------------------
def catalogue_page(name, status=200, error=None, errors=(), notice=None):
    rule = "/catalogues/" + name
    entries = api.call("GET", rule, query={"all": "true"})["items"]
    return render("admin_catalogue.html", status=status, name=name, catalogues=CATALOGUES,
                  entries=entries, error=error, errors=list(errors), notice=notice,
                  statuses=STATUS_NAMES if name == "status-codes" else None)


@bp.get("/admin/catalogues/<any('device-types', 'fault-types', 'status-codes'):name>")
@page("POST", "/catalogues/device-types")
def admin_catalogue(name):
    return catalogue_page(name)


def catalogue_write(name, method, rule, view_args, body):
    try:
        api.call(method, rule, view_args, body=body)
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return catalogue_page(name, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.admin_catalogue", name=name, saved=1), 303)


@bp.post("/admin/catalogues/<any('device-types', 'fault-types', 'status-codes'):name>")
@page("POST", "/catalogues/device-types")
def add_catalogue_entry(name):
    f = request.form
    body = {"code": (f.get("code") or "").strip(), "name_tr": f.get("name_tr") or "",
            "name_en": f.get("name_en") or ""}
    if name == "status-codes":
        body["status"] = f.get("status") or ""
    return catalogue_write(name, "POST", "/catalogues/" + name, {}, body)


@bp.post("/admin/catalogues/<any('device-types', 'fault-types', 'status-codes'):name>/"
         "<string(maxlength=40):code>")
@page("POST", "/catalogues/device-types")
def change_catalogue_entry(name, code):
    f = request.form
    body = {"name_tr": f.get("name_tr") or "", "name_en": f.get("name_en") or "",
            "active": f.get("active") == "1"}
    return catalogue_write(name, "PATCH", f"/catalogues/{name}/<string(maxlength=40):code>",
                           {"code": code}, body)


# -- survey questions --------------------------------------------------------------------------
def questions_page(status=200, error=None, errors=()):
    entries = api.call("GET", QUESTIONS, query={"all": "true"})["items"]
    return render("admin_questions.html", status=status, entries=entries, error=error,
                  errors=list(errors), catalogues=CATALOGUES)


@bp.get("/admin/questions")
@page("POST", QUESTIONS)
def admin_questions():
    return questions_page()


def question_body(form):
    body = {"text_tr": form.get("text_tr") or "", "text_en": form.get("text_en") or ""}
    for key in ("scale_min", "scale_max", "position"):
        if form.get(key):
            body[key] = as_int(form.get(key))
    if form.get("weight"):
        body["weight"] = (form.get("weight") or "").replace(",", ".")
    return body


@bp.post("/admin/questions")
@page("POST", QUESTIONS)
def add_question():
    try:
        api.call("POST", QUESTIONS, body=question_body(request.form))
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return questions_page(exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.admin_questions", saved=1), 303)


@bp.post("/admin/questions/<id:question_id>")
@page("PATCH", QUESTIONS + "/<id:question_id>")
def change_question(question_id):
    body = {**question_body(request.form), "active": request.form.get("active") == "1"}
    try:
        api.call("PATCH", QUESTIONS + "/<id:question_id>", {"question_id": question_id},
                 body=body)
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return questions_page(exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.admin_questions", saved=1), 303)


# -- the e-mail delivery log -------------------------------------------------------------------
@bp.get("/admin/emails")
@page("GET", "/emails")
def emails_log():
    query = {k: request.args[k] for k in ("status", "recipient", "cursor")
             if request.args.get(k)}
    if query.get("status") not in DELIVERY_STATUSES:
        query.pop("status", None)
    try:
        answer = api.call("GET", "/emails", query={"limit": 50, **query})
        items, following, error = answer["items"], answer["next_cursor"], None
    except ServisError as exc:
        items, following, error = [], None, error_text(exc)
    q = {k: v for k, v in query.items() if k != "cursor"}
    return render("admin_emails.html", items=items, error=error, query=q, catalogues=CATALOGUES,
                  statuses=DELIVERY_STATUSES,
                  may_resend=api.may("POST", "/emails/<id:delivery_id>/resend"),
                  following=url_for("web.emails_log", **q, cursor=following)
                  if following else None)


# -- document templates ------------------------------------------------------------------------
@bp.get("/admin/templates")
@page("GET", TEMPLATES)
def admin_templates():
    items = api.call("GET", TEMPLATES)["items"]
    return render("admin_templates.html", items=items, catalogues=CATALOGUES,
                  proposal_template=api.may("GET", "/proposal-template"))


def template_page(kind, status=200, error=None, errors=(), source=None):
    template = api.call("GET", TEMPLATE, {"kind": kind})
    return render("admin_template.html", status=status, doc=template, error=error,
                  errors=list(errors), source=template["source"] if source is None else source,
                  catalogues=CATALOGUES)


@bp.get("/admin/templates/<string(maxlength=40):kind>")
@page("GET", TEMPLATE)
def admin_template(kind):
    return template_page(kind)


def typed_source():
    """The template's source as typed: a browser sends a textarea's lines ending in CRLF;
    the templates' files end theirs in LF."""
    return (request.form.get("source") or "").replace("\r\n", "\n")


@bp.post("/admin/templates/<string(maxlength=40):kind>")
@page("PUT", TEMPLATE)
def save_template(kind):
    source = typed_source()
    body = {"source": None if request.form.get("builtin") == "1" else (source or ""),
            "note": (request.form.get("note") or "").strip() or None}
    try:
        api.call("PUT", TEMPLATE, {"kind": kind}, body=body)
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return template_page(kind, exc.http_status, error_text(exc), field_errors(exc), source)
    return redirect(url_for("web.admin_template", kind=kind, saved=1), 303)


@bp.route("/admin/templates/<string(maxlength=40):kind>/preview", methods=["GET", "POST"])
@page("POST", TEMPLATE + "/preview")
def preview_template(kind):
    """The template as a PDF in the chosen language: the one in use (GET), or the source typed
    on the page before it is saved (POST)."""
    language = request.values.get("language") if request.values.get("language") in (
        "tr", "en") else "tr"
    body = {"language": language}
    if request.method == "POST":
        body["source"] = typed_source()
    try:
        return api.call("POST", TEMPLATE + "/preview", {"kind": kind}, body=body)
    except ServisError as exc:
        if isinstance(exc, Forbidden) or request.method == "GET":
            raise
        return template_page(kind, exc.http_status, error_text(exc), field_errors(exc),
                             body["source"])




# -- users (issue 20's account endpoints) ------------------------------------------------------
USERS = "/users"
USER = USERS + "/<id:user_id>"


def users_page(status=200, error=None, errors=(), notice=None):
    users = api.call("GET", USERS)["items"]
    return render("admin_users.html", status=status, users=users, roles=ROLES,
                  languages=LANGUAGES, error=error, errors=list(errors), notice=notice,
                  catalogues=CATALOGUES)


def users_write(method, rule, view_args=None, body=None, version=None):
    try:
        api.call(method, rule, view_args, body=body, version=version)
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        if isinstance(exc, Conflict) and version is not None:  # changed since it was read
            return users_page(409, gettext(STALE))
        return users_page(exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.admin_users", saved=1), 303)


@bp.get("/admin/users")
@page("GET", USERS)
def admin_users():
    return users_page()


@bp.post("/admin/users")
@page("POST", USERS)
def add_user():
    f = request.form
    body = {"username": (f.get("username") or "").strip(), "name": f.get("name") or "",
            "role": f.get("role") or "", "language": f.get("language") or "tr",
            "password": f.get("password") or ""}
    if (f.get("email") or "").strip():
        body["email"] = f.get("email").strip()
    if f.get("customer_id"):
        body["customer_id"] = as_int(f.get("customer_id"))
    return users_write("POST", USERS, body=body)


@bp.post("/admin/users/<id:user_id>")
@page("PATCH", USER)
def change_user(user_id):
    """The row's role, name, language and active flag, with the version the page read: a
    deactivation or a new role ends the account's sessions and tokens within seconds."""
    f = request.form
    body = {"name": f.get("name") or "", "role": f.get("role") or "",
            "language": f.get("language") or "", "active": f.get("active") == "1"}
    return users_write("PATCH", USER, {"user_id": user_id}, body=body,
                       version=as_int(f.get("version")))


@bp.post("/admin/users/<id:user_id>/password")
@page("POST", USER + "/password")
def reset_user_password(user_id):
    return users_write("POST", USER + "/password", {"user_id": user_id},
                       body={"new_password": request.form.get("new_password") or ""})

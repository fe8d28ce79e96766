"""The staff console's screens (server-rendered, htmx for the parts that change as you type):
sign-in, the dashboard per role, intake, the forms list, a form's page, the satisfaction call
and the final check. Every read and write goes through gateway/web/api.py `call`: the API's
route, its roles, loading, version contract and RPC. A page a role may not see is a 403 page.

A write carries the version the page read (a hidden `version`); a stale one is the API's 409,
shown as "changed by someone else — reload", and nothing is written."""
import functools
import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, url_for

from gateway.accounts_api import WRONG_PASSWORD, limiter
from gateway.auth import ROLE_MAY_NOT, TooManyRequests, Unauthorized
from gateway.routes import target
from gateway.web import api, i18n
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.shell import (COOKIE, LANG_COOKIE, bp, error_page, login_required, render,
                               secure_cookies, sessions, signed_in)
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError
from services.common.roles import (ADMIN, CONTRACTS, CUSTOMER, DESK_ROLE, FINAL_CHECKER, MANAGE,
                                   MANAGER, REP, TECHNICIAN)
from services.common.text import tr_lower
from services.forms.api import (APPROVAL_STATE_NAMES, COVERAGE_NAMES, DOCUMENT_KINDS,
                                LOCAL_TZ, NEEDS_NOTE, STATUS_NAMES)

FORM = "/forms/<id:form_id>"
ASSIGNABLE = (TECHNICIAN, MANAGER)  # whom the assignment list offers
STALE = N_("This record was changed by someone else — reload the page.")
PORTAL_ACCOUNT = N_("This is a portal account; the staff console is for staff.")
LIST_SIZE = 10


def page(method=None, rule=None):
    """A screen for the signed-in staff whose role may call `method` `rule` of the API (the
    route the screen stands on); anyone else gets the 403 page. A portal account (customer)
    gets it on every console screen, even one standing on a route the customer role may call
    for its own records (the review queue stands on the portal's request routes): the console
    is staff's, and the portal's own pages are the customer's (gateway/web/portal_pages.py;
    the isolation matrix, gateway/tests/customer_matrix.py, holds every page to one or the
    other)."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if g.user["role"] == CUSTOMER:
                return error_page(403, gettext(PORTAL_ACCOUNT))
            if rule is not None and not api.may(method, rule):
                allowed = target(method, api.API + rule)
                raise Forbidden(ROLE_MAY_NOT, {"role": g.user["role"], "allowed_roles": list(
                    allowed.roles if allowed else ())})
            return view(*args, **kwargs)
        return wrapper
    return decorator


def as_int(text):
    """A number typed into a form as an int — with its thousands grouped the page language's
    way too (1.500 on a Turkish page, 1,500 on an English one, or spaces); anything else as
    typed (the schema says why)."""
    text = (text or "").strip()
    mark = "," if i18n.language() == "en" else "."
    grouped = re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:[{re.escape(mark)} \u00a0][0-9]{{3}})+", text)
    if grouped:
        text = re.sub(r"[^0-9]", "", text)
    return int(text) if re.fullmatch(r"[0-9]{1,12}", text) else (text or None)


GROUPED_EN = re.compile(r"[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]*)?")


def as_decimal(text):
    """An amount as typed by a Turkish or an English user (1.234,56 or 1,234.56; 1234.56 from
    either) as the API's text ("1234.56"); anything else as typed (the schema says why). With
    both marks the last one is the decimal; a lone comma is the decimal one, except on an
    English page where it groups thousands (1,234 and 1,234.5: not 1.234 and 1.2345)."""
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")):
        if i18n.language() == "en" and GROUPED_EN.fullmatch(text):
            return text.replace(",", "")
        return text.replace(".", "").replace(",", ".")
    return text.replace(",", "")


def text_or_none(name):
    value = (request.form.get(name) or "").strip()
    return value or None


def safe_next(url):
    """Only a path of ours to go back to after sign-in."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url


def listed(rule, query, view_args=None):
    """(items, error message) of a list the page shows; its error is shown in its place."""
    try:
        return api.call("GET", rule, view_args, query=query)["items"], None
    except ServisError as exc:
        return [], error_text(exc)


def audit_trail(entity, record_id):
    """(entries, error) of a record in the audit log for a role that may read the log (admins),
    else None: the record's page shows its trail (issue 21)."""
    if not api.may("GET", "/audit"):
        return None
    return listed("/audit", {"entity": entity, "id": str(record_id), "limit": "20"})


# -- sign-in, sign-out, language ---------------------------------------------------------------
@bp.get("/")
def home():
    if not signed_in():
        return render("signin.html", next=safe_next(request.args.get("next")))
    if g.user["role"] == CUSTOMER:  # a portal account's home is the portal
        return redirect(url_for("web.portal_home"))
    return dashboard()


@bp.post("/signin")
def signin():
    ext = current_app.extensions["servis"]
    username = (request.form.get("username") or "").strip()[:80]
    password = (request.form.get("password") or "")[:200]
    back = safe_next(request.form.get("next"))
    key = (tr_lower(username), request.remote_addr)
    try:
        limiter.check(key)
    except TooManyRequests as exc:
        return render("signin.html", status=429, error=error_text(exc), username=username,
                      next=back)
    user = ext.users.authenticate(username, password) if username and password else None
    if user is None:
        limiter.failed(key)
        return render("signin.html", status=401, error=error_text(Unauthorized(WRONG_PASSWORD)),
                      username=username, next=back)
    limiter.succeeded(key)
    if user.role == CUSTOMER:
        return render("signin.html", status=403, error=gettext(PORTAL_ACCOUNT), next=back)
    token, _ = sessions().open(user, ext.settings.token_ttl)
    response = redirect(back or url_for("web.home"), 303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=secure_cookies(),
                        max_age=ext.settings.token_ttl, path="/")
    return response


@bp.post("/signout")
def signout():
    portal = signed_in() and g.user["role"] == CUSTOMER
    if g.get("web_token"):
        sessions().close(g.web_token)
    response = redirect(url_for("web.portal_home" if portal else "web.home"), 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=secure_cookies())
    return response


@bp.post("/language")
def switch_language():
    lang = request.form.get("lang")
    if lang not in ("tr", "en"):
        lang = "tr"
    if g.get("web_token"):
        sessions().set_language(g.web_token, lang)
    response = redirect(safe_next(request.form.get("back")) or url_for("web.home"), 303)
    response.set_cookie(LANG_COOKIE, lang, samesite="Lax", secure=secure_cookies(),
                        max_age=365 * 24 * 3600, path="/")
    return response


# -- the dashboard -----------------------------------------------------------------------------
def dashboard():
    """Per role: my open forms (technician), open forms (desk, contracts), my customers' open
    forms and the satisfaction calls due (rep), forms waiting for assignment (manager), the
    final-check queue (officer, manager), failed e-mails (admin)."""
    role, me = g.user["role"], g.user["id"]
    sections = []
    # One status's newest forms are asked with sort=-status (its rank, then the id: the index
    # a list of one status pages by), the queue oldest first with sort=status.

    def add(title, rule, query, kind="forms", more=None):
        items, error = listed(rule, {"limit": LIST_SIZE, **query})
        sections.append({"title": gettext(title), "rows": items, "error": error,
                         "kind": kind, "more": more})

    if role == TECHNICIAN:
        add(N_("My open forms"), "/forms", {"state": "open", "technician": me},
            more=url_for("web.forms", state="open", technician=me))
    if role == REP:
        add(N_("Satisfaction calls due"), "/satisfaction-calls", {}, kind="calls",
            more=url_for("web.calls"))
        add(N_("My customers' open forms"), "/forms", {"state": "open", "rep_user_id": me},
            more=url_for("web.forms", state="open", rep_user_id=me))
    if role in MANAGE:
        add(N_("Unassigned forms"), "/forms", {"status": "NEW", "sort": "-status"},
            more=url_for("web.forms", status="NEW", sort="-status"))
        add(N_("Reopened forms"), "/forms", {"status": "REOPENED", "sort": "-status"},
            more=url_for("web.forms", status="REOPENED", sort="-status"))
    if role in (FINAL_CHECKER, *MANAGE):
        add(N_("Final-check queue"), "/forms", {"status": "FINAL_CHECK", "sort": "status"},
            more=url_for("web.final_checks"))
    if role in (DESK_ROLE, CONTRACTS):
        add(N_("Open forms"), "/forms", {"state": "open"}, more=url_for("web.forms", state="open"))
    if role == ADMIN:
        add(N_("Failed e-mails"), "/emails", {"status": "failed"}, kind="emails")
    return render("dashboard.html", sections=sections)


# -- the forms list: gateway/web/lists.py ---------------------------------------------------


# -- intake ------------------------------------------------------------------------------------
@bp.get("/forms/new")
@page("POST", "/forms")
def intake():
    return intake_page()


def intake_page(status=200, error=None, errors=(), values=None, customer=None):
    types, _ = listed("/catalogues/device-types", {})
    reps, _ = listed("/users/staff", {"role": REP})
    return render("intake.html", status=status, error=error, errors=list(errors),
                  values=values or {}, device_types=types, customer=customer, reps=reps)


@bp.post("/forms/new")
@page("POST", "/forms")
def open_form():
    f = request.form
    customer_id, customer = as_int(f.get("customer_id")), None
    try:
        if customer_id is None and text_or_none("new_customer_name"):
            body = {"name": text_or_none("new_customer_name")}
            for key in ("phone", "email", "tax_no"):
                if text_or_none("new_customer_" + key):
                    body[key] = text_or_none("new_customer_" + key)
            if text_or_none("new_customer_rep"):
                body["rep_user_id"] = as_int(request.form.get("new_customer_rep"))
            customer = api.call("POST", "/customers", body=body)
            customer_id = customer["id"]
        body = {"customer_id": customer_id, "complaint": f.get("complaint") or ""}
        device_id = as_int(f.get("device_id"))
        if device_id is not None:
            body["device_id"] = device_id
        else:
            body["device"] = {"brand": f.get("brand") or "", "serial": f.get("serial") or "",
                              "model": text_or_none("model"),
                              "device_type": text_or_none("device_type")}
        form = api.call("POST", "/forms", body=body)
    except ServisError as exc:
        if customer is None and isinstance(customer_id, int):
            try:
                customer = api.call("GET", "/customers/<id:customer_id>",
                                    {"customer_id": customer_id})
            except ServisError:
                customer = None
        return intake_page(exc.http_status, error_text(exc), field_errors(exc), f.to_dict(),
                           customer)
    return redirect(url_for("web.form_page", form_id=form["id"]), 303)


@bp.get("/intake/customers")
@page("GET", "/customers")
def intake_customers():
    q = (request.args.get("customer_q") or request.args.get("q") or "").strip()
    items, error = listed("/customers", {"q": q, "limit": 8}) if len(q) >= 2 else ([], None)
    return render("partials/customers.html", items=items, error=error, q=q)


@bp.get("/intake/customer")
@page("GET", "/customers")
def intake_customer():
    try:
        customer = api.call("GET", "/customers/<id:customer_id>",
                            {"customer_id": as_int(request.args.get("customer_id"))})
    except ServisError as exc:
        return render("partials/message.html", message=error_text(exc))
    devices, error = listed("/devices", {"customer_id": customer["id"], "limit": 20})
    return render("partials/customer.html", customer=customer, devices=devices, error=error)


@bp.get("/intake/device")
@page("GET", "/devices")
def intake_device():
    """The serial lookup (or a card picked from the customer's): each card found with its
    coverage today and why."""
    device_id, serial = as_int(request.args.get("device_id")), \
        (request.args.get("serial") or "").strip()
    try:
        if isinstance(device_id, int):
            cards = [api.call("GET", "/devices/<id:device_id>", {"device_id": device_id})]
        elif serial:
            cards = api.call("GET", "/devices", query={"serial": serial, "limit": 5})["items"]
        else:
            cards = []
        found = [(card, api.call("GET", "/devices/<id:device_id>/coverage",
                                 {"device_id": card["id"]})["coverage"]) for card in cards]
    except ServisError as exc:
        return render("partials/message.html", message=error_text(exc))
    return render("partials/device.html", found=found, serial=serial,
                  picked=isinstance(device_id, int), coverage_names=COVERAGE_NAMES)


@bp.get("/intake/suggestions")
@page("GET", "/knowledge/suggestions")
def intake_suggestions():
    complaint = (request.args.get("complaint") or "").strip()
    items, error = [], None
    if len(complaint) >= 3:
        items, error = listed("/knowledge/suggestions", {
            "complaint": complaint[:5000], "device_type": request.args.get("device_type") or None,
            "model": request.args.get("model") or None})
    return render("partials/suggestions.html", items=items, error=error)


# -- a form's page -----------------------------------------------------------------------------
def read_form(form_id):
    return api.call("GET", FORM, {"form_id": form_id})


@bp.get("/forms/<id:form_id>")
@page("GET", FORM)
def form_page(form_id):
    return show_form(form_id)


def show_form(form_id, status=200, error=None, errors=()):
    form = read_form(form_id)
    history, _ = listed(FORM + "/history", {"limit": 50}, {"form_id": form_id})
    faults = listed("/catalogues/fault-types", {})[0] if api.may("PATCH", FORM) else []
    staff = listed("/users/staff", {"role": ASSIGNABLE})[0] \
        if api.may("POST", FORM + "/assignments") else []
    me = g.user["id"]
    running = any(w["running"] and w["user_id"] == me for w in form["work_logs"])
    moves = [dict(m, note=(form["status"], m["to"]) in NEEDS_NOTE,
                  final_check=m["to"] == "CLOSED" or (form["status"] == "FINAL_CHECK"
                                                      and m["to"] == "DELIVERED"))
             for m in form["allowed_transitions"]]
    approval = form.get("price_approval") or {
        "state": "none", "state_name": APPROVAL_STATE_NAMES["none"], "versions": []}
    # fees are the manager's: forms' rule reads the same role set (services/common/roles.py)
    return render("form.html", status=status, form=form, history=history, faults=faults,
                  staff=staff, running=running, moves=moves, error=error, errors=list(errors),
                  coverage_names=COVERAGE_NAMES, status_names=STATUS_NAMES, may=api.may,
                  FORM=FORM, may_price=g.user["role"] in MANAGE, approval=approval,
                  may_send=api.may("POST", APPROVAL) and form["status"] in ESTIMABLE,
                  may_record=api.may("POST", APPROVAL + "/decision") and approval.get(
                      "waiting"), now_local=datetime.now(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
                  line_rows=range(ESTIMATE_ROWS), audit=audit_trail("forms", form_id))


def write(form_id, method, rule, body, view_args=None):
    """One write of the form's page with the version it read; back to the page, or the page
    with the error (a stale version: the "reload" page, nothing written)."""
    version = as_int(request.form.get("version"))
    try:
        api.call(method, rule, {"form_id": form_id, **(view_args or {})}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.form_page", form_id=form_id))
        return show_form(form_id, exc.http_status, error_text(exc))
    except (NotFound, Forbidden) as exc:
        raise exc
    except ServisError as exc:
        return show_form(form_id, exc.http_status, error_text(exc), field_errors(exc))
    anchor = request.form.get("anchor") or ""
    return redirect(url_for("web.form_page", form_id=form_id) + (
        "#" + anchor if re.fullmatch(r"[a-z-]{1,30}", anchor) else ""), 303)


@bp.post("/forms/<id:form_id>/move")
@page("POST", FORM + "/transitions")
def move(form_id):
    return write(form_id, "POST", FORM + "/transitions", {
        "to": request.form.get("to") or "", "note": text_or_none("note")})


@bp.post("/forms/<id:form_id>/assign")
@page("POST", FORM + "/assignments")
def assign(form_id):
    ids = [as_int(v) for v in request.form.getlist("user_ids")]
    return write(form_id, "POST", FORM + "/assignments", {
        "user_ids": ids, "replace": request.form.get("replace") == "1"})


@bp.post("/forms/<id:form_id>/work")
@page("PATCH", FORM)
def work(form_id):
    body = {k: text_or_none(k) for k in ("diagnosis", "work_done", "fault_type")
            if k in request.form}
    return write(form_id, "PATCH", FORM, body)


@bp.post("/forms/<id:form_id>/fees")
@page("PATCH", FORM)
def fees(form_id):
    body = {}
    if "service_fee" in request.form:
        body["service_fee"] = as_decimal(request.form.get("service_fee")) or "0"
    kind, amount = request.form.get("discount_kind"), as_decimal(request.form.get("discount"))
    if kind == "percent":
        body.update(discount_percent=amount, discount_amount=None)
    elif kind == "amount":
        body.update(discount_amount=amount, discount_percent=None)
    return write(form_id, "PATCH", FORM, body)


# -- the price approval: send the estimate, record a decision given by phone -------------------
APPROVAL = FORM + "/price-approval"
ESTIMABLE = ("DIAGNOSIS", "IN_REPAIR", "AWAITING_APPROVAL")  # where an estimate may be sent
ESTIMATE_ROWS = 5  # lines typed on the page (the API takes up to 100)


def estimate_lines():
    """The estimate's lines typed on the page: a row with a name or a price counts."""
    lines = []
    for i in range(ESTIMATE_ROWS):
        name, price = text_or_none(f"line_name_{i}"), as_decimal(
            request.form.get(f"line_price_{i}"))
        if name is None and price is None:
            continue
        lines.append({"kind": request.form.get(f"line_kind_{i}") or "", "name": name or "",
                      "quantity": as_decimal(request.form.get(f"line_qty_{i}")) or "1",
                      "unit_price": price or ""})
    return lines


@bp.post("/forms/<id:form_id>/price-approval")
@page("POST", APPROVAL)
def send_estimate(form_id):
    body = {"note": text_or_none("note")} if text_or_none("note") else {}
    days = as_int(request.form.get("valid_days"))
    if days is not None:
        body["valid_days"] = days
    if request.form.get("source") == "lines":
        body["lines"] = estimate_lines() or None
        kind, amount = request.form.get("discount_kind"), as_decimal(
            request.form.get("discount"))
        if kind in ("amount", "percent") and amount is not None:
            body["discount_" + kind] = amount
    return write(form_id, "POST", APPROVAL, body)


def local_moment(text):
    """A datetime-local typed on the page (Türkiye's clock) as an ISO moment; anything else
    as typed (the schema says why)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        return text


@bp.post("/forms/<id:form_id>/price-approval/decision")
@page("POST", APPROVAL + "/decision")
def record_decision(form_id):
    body = {"decision": request.form.get("decision") or "",
            "customer_name": request.form.get("customer_name") or "",
            "taken_by": text_or_none("taken_by"), "note": text_or_none("note"),
            "decided_at": local_moment(request.form.get("decided_at"))}
    body = {k: v for k, v in body.items() if v is not None}
    return write(form_id, "POST", APPROVAL + "/decision", body)


@bp.post("/forms/<id:form_id>/timer/<any(start, stop):action>")
@page("POST", FORM + "/timer/start")
def timer(form_id, action):
    return write(form_id, "POST", f"{FORM}/timer/{action}", {"note": text_or_none("note")})


@bp.post("/forms/<id:form_id>/work-logs")
@page("POST", FORM + "/work-logs")
def work_log(form_id):
    return write(form_id, "POST", FORM + "/work-logs", {
        "minutes": as_int(request.form.get("minutes")), "note": text_or_none("note")})


@bp.post("/forms/<id:form_id>/parts")
@page("POST", FORM + "/parts")
def add_part(form_id):
    return write(form_id, "POST", FORM + "/parts", {
        "code": text_or_none("code"), "name": request.form.get("name") or "",
        "quantity": as_decimal(request.form.get("quantity")) or "",
        "unit_price": as_decimal(request.form.get("unit_price")) or ""})


@bp.post("/forms/<id:form_id>/parts/<id:part_id>/remove")
@page("DELETE", FORM + "/parts/<id:part_id>")
def remove_part(form_id, part_id):
    return write(form_id, "DELETE", FORM + "/parts/<id:part_id>", {}, {"part_id": part_id})


@bp.post("/forms/<id:form_id>/solutions")
@page("POST", FORM + "/solutions")
def link_solution(form_id):
    try:
        api.call("POST", FORM + "/solutions", {"form_id": form_id},
                 body={"article_id": as_int(request.form.get("article_id"))})
    except ServisError as exc:
        return show_form(form_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.form_page", form_id=form_id) + "#knowledge", 303)


# the parts of a form's page loaded after it (htmx): e-mails, documents, knowledge
@bp.get("/forms/<id:form_id>/emails")
@page("GET", FORM + "/emails")
def form_emails(form_id):
    items, error = listed(FORM + "/emails", {}, {"form_id": form_id})
    return render("partials/emails.html", items=items, error=error, form_id=form_id,
                  may_resend=api.may("POST", "/emails/<id:delivery_id>/resend"))


@bp.post("/emails/<id:delivery_id>/resend")
@page("POST", "/emails/<id:delivery_id>/resend")
def resend(delivery_id):
    form_id = as_int(request.form.get("form_id"))
    try:
        api.call("POST", "/emails/<id:delivery_id>/resend", {"delivery_id": delivery_id})
    except ServisError as exc:
        if isinstance(form_id, int):
            return show_form(form_id, exc.http_status, error_text(exc))
        raise
    if isinstance(form_id, int):
        return redirect(url_for("web.form_page", form_id=form_id) + "#emails", 303)
    if request.form.get("back") == "emails":  # the delivery log (gateway/web/admin.py)
        return redirect(url_for("web.emails_log", resent=delivery_id), 303)
    return redirect(url_for("web.home"), 303)


DOCUMENTS = FORM + "/documents"


@bp.get("/forms/<id:form_id>/documents")
@page("GET", FORM)
def form_documents(form_id):
    """The form's documents (intake slip, delivery receipt, damage report): each by its name,
    number and state, an issued one as a link to its PDF."""
    items, error = [], None
    if api.exists("GET", DOCUMENTS):
        try:
            answer = api.call("GET", DOCUMENTS, {"form_id": form_id})
            items = answer.get("items", answer) if isinstance(answer, dict) else answer
        except NotFound:
            items = []
        except ServisError as exc:
            error = error_text(exc)
    return render("partials/documents.html", items=items or [], error=error, form_id=form_id,
                  kinds=DOCUMENT_KINDS)


@bp.get("/forms/<id:form_id>/documents/<id:document_id>")
@page("GET", DOCUMENTS + "/<id:document_id>")
def form_document(form_id, document_id):
    """One of the form's documents as its PDF, for the signed-in staff (the API's own route
    answers bearer tokens only): the same route, roles and bytes."""
    return api.call("GET", DOCUMENTS + "/<id:document_id>",
                    {"form_id": form_id, "document_id": document_id})


@bp.get("/forms/<id:form_id>/knowledge")
@page("GET", FORM + "/solutions")
def form_knowledge(form_id):
    solutions, error = listed(FORM + "/solutions", {}, {"form_id": form_id})
    suggestions, _ = listed(FORM + "/suggestions", {}, {"form_id": form_id})
    linked = {s.get("id") for s in solutions}
    return render("partials/knowledge.html", solutions=solutions, error=error, form_id=form_id,
                  suggestions=[s for s in suggestions if s.get("id") not in linked],
                  may_link=api.may("POST", FORM + "/solutions"))


# -- the satisfaction call ---------------------------------------------------------------------
@bp.get("/calls")
@page("GET", "/satisfaction-calls")
def calls():
    items, error = listed("/satisfaction-calls", {"limit": 100})
    return render("calls.html", items=items, error=error)


@bp.get("/forms/<id:form_id>/survey")
@page("POST", FORM + "/survey")
def survey(form_id):
    return survey_page(form_id)


def survey_page(form_id, status=200, error=None, errors=()):
    form = read_form(form_id)
    questions, _ = listed("/catalogues/survey-questions", {})
    return render("survey.html", status=status, form=form, questions=questions, error=error,
                  errors=list(errors), values=request.form)


@bp.post("/forms/<id:form_id>/survey")
@page("POST", FORM + "/survey")
def record_survey(form_id):
    outcome = request.form.get("outcome") or ""
    answers = []
    if outcome == "done":
        for key, value in request.form.items():
            match = re.fullmatch(r"q_([0-9]{1,9})", key)
            if match and as_int(value) is not None:
                answers.append({"question_id": int(match.group(1)), "value": as_int(value)})
    version = as_int(request.form.get("version"))
    try:
        api.call("POST", FORM + "/survey", {"form_id": form_id}, body={
            "outcome": outcome, "answers": answers, "note": text_or_none("note")},
            version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.survey", form_id=form_id))
        return survey_page(form_id, exc.http_status, error_text(exc))
    except ServisError as exc:
        if isinstance(exc, (NotFound, Forbidden)):
            raise
        return survey_page(form_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.form_page", form_id=form_id), 303)


# -- the final check ---------------------------------------------------------------------------
@bp.get("/final-check")
@page("GET", FORM + "/final-check")
def final_checks():
    items, error = listed("/forms", {"status": "FINAL_CHECK", "sort": "status", "limit": 100})
    return render("final_checks.html", items=items, error=error)


@bp.get("/forms/<id:form_id>/final-check")
@page("GET", FORM + "/final-check")
def final_check(form_id):
    return final_check_page(form_id)


def final_check_page(form_id, status=200, error=None, errors=()):
    check = api.call("GET", FORM + "/final-check", {"form_id": form_id})
    return render("final_check.html", status=status, check=check, form=check["form"],
                  error=error, errors=list(errors),
                  may_decide=api.may("POST", FORM + "/final-check"))


@bp.post("/forms/<id:form_id>/final-check")
@page("POST", FORM + "/final-check")
def decide_final_check(form_id):
    version = as_int(request.form.get("version"))
    try:
        api.call("POST", FORM + "/final-check", {"form_id": form_id}, body={
            "decision": request.form.get("decision") or "", "note": text_or_none("note")},
            version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.final_check", form_id=form_id))
        return final_check_page(form_id, exc.http_status, error_text(exc))
    except ServisError as exc:
        if isinstance(exc, (NotFound, Forbidden)):
            raise
        return final_check_page(form_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.form_page", form_id=form_id), 303)


@bp.app_errorhandler(404)
def _not_found(exc):
    """An unknown page (not under /api/) is an HTML 404; the API's stay JSON."""
    if request.path.startswith("/api/"):
        from gateway.errors import handle_http_exception
        return handle_http_exception(exc)
    g.lang = i18n.choose(None, request.cookies.get(LANG_COOKIE),
                         request.headers.get("Accept-Language"))
    return error_page(404, gettext("This page does not exist."))

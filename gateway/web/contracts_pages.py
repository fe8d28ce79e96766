"""The console's screens for maintenance contracts (issue 17): proposals (list, a new one
from the customer's cards, an open one changed as its next version, one with its figures,
accept/reject, e-mail it), contracts (list, one with its devices, terms, invoice schedule —
made, each installment invoiced and paid —, the insurance notification; cancel, renew), the
machine-park check of a customer site, the reports (renewals by end month, revenue) and the
admin's proposal template. Every read and write goes through gateway/web/api.py `call`, as the
other screens do: the API's route, roles, loading and version contract; a refused write shows
the form again as typed with each field's message."""
from flask import redirect, request, url_for
from markupsafe import Markup

from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.pages import STALE, as_decimal, as_int, listed, page, text_or_none
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError

PROPOSAL = "/proposals/<id:proposal_id>"
CONTRACT = "/contracts/<id:contract_id>"
# an installment's and a machine-park check's state, shown translated (`_(i.status)`)
VALUES = (N_("scheduled"), N_("invoiced"), N_("paid"), N_("open"))


@bp.get("/proposals")
@page("GET", "/proposals")
def proposals():
    status = request.args.get("status") or None
    items, error = listed("/proposals", {"limit": 50, **({"status": status} if status else {})})
    return render("proposals.html", items=items, error=error, status=status,
                  may_create=api.may("POST", "/proposals"))


@bp.get("/proposals/<id:proposal_id>")
@page("GET", PROPOSAL)
def proposal_page(proposal_id, status=200, error=None, errors=()):
    proposal = api.call("GET", PROPOSAL, {"proposal_id": proposal_id})
    return render("proposal.html", status=status, p=proposal, error=error, errors=list(errors),
                  may_decide=api.may("POST", PROPOSAL + "/decision"),
                  may_edit=api.may("PUT", PROPOSAL))


@bp.get("/contracts")
@page("GET", "/contracts")
def contracts():
    items, error = listed("/contracts", {"limit": 50})
    month = request.args.get("month") or None
    renewals, renewals_error = ([], None) if not month else listed(
        "/reports/contracts/renewals", {"end_from": month, "limit": 100})
    return render("contracts.html", items=items, error=error or renewals_error,
                  renewals=renewals, month=month,
                  may_report=api.may("GET", "/reports/contracts/revenue"))


@bp.get("/contracts/<id:contract_id>")
@page("GET", CONTRACT)
def contract_page(contract_id, status=200, error=None, errors=(), typed_terms=None):
    contract = api.call("GET", CONTRACT, {"contract_id": contract_id})
    invoices = api.call("GET", CONTRACT + "/invoices", {"contract_id": contract_id})
    from gateway.web.maintenance import contract_meters  # issue 18's screens, in their module
    return render("contract.html", status=status, c=contract, invoices=invoices["items"],
                  error=error, errors=list(errors),
                  meters=contract_meters(contract, typed_terms),
                  may_write=api.may("POST", CONTRACT + "/cancel"),
                  may_invoice=api.may("POST", CONTRACT + "/invoices/<id:invoice_id>/invoiced"))


def _write(rule, view_args, body, back):
    """One write with the version the page read; back to the page, or the page with the
    error (a stale version: the "reload" page, nothing written)."""
    version = as_int(request.form.get("version"))
    try:
        answer = api.call("POST", rule, view_args, body=body,
                          version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return None, render("stale.html", status=409, message=gettext(STALE),
                                reload=url_for(back[0], **back[1]))
        return None, _again(back, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return None, _again(back, exc.http_status, error_text(exc), field_errors(exc))
    return answer, None


def _again(back, status, error, errors=()):
    endpoint, args = back[0], back[1]
    if endpoint == "web.proposal_page":
        return proposal_page(args["proposal_id"], status, error, errors)
    return contract_page(args["contract_id"], status, error, errors)


@bp.post("/proposals/<id:proposal_id>/decision")
@page("POST", PROPOSAL + "/decision")
def decide_proposal(proposal_id):
    back = ("web.proposal_page", {"proposal_id": proposal_id})
    answer, shown = _write(PROPOSAL + "/decision", {"proposal_id": proposal_id}, {
        "decision": request.form.get("decision") or "", "note": text_or_none("note")}, back)
    if shown is not None:
        return shown
    if answer.get("contract_id"):
        return redirect(url_for("web.contract_page", contract_id=answer["contract_id"]), 303)
    return redirect(url_for("web.proposal_page", proposal_id=proposal_id), 303)


@bp.post("/proposals/<id:proposal_id>/send")
@page("POST", PROPOSAL + "/send")
def send_proposal(proposal_id):
    try:
        api.call("POST", PROPOSAL + "/send", {"proposal_id": proposal_id},
                 body={"email": text_or_none("email")})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return proposal_page(proposal_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.proposal_page", proposal_id=proposal_id) + "#sent", 303)


@bp.post("/contracts/<id:contract_id>/cancel")
@page("POST", CONTRACT + "/cancel")
def cancel_contract(contract_id):
    back = ("web.contract_page", {"contract_id": contract_id})
    _, shown = _write(CONTRACT + "/cancel", {"contract_id": contract_id}, {
        "reason": text_or_none("reason") or "", "end": text_or_none("end") or ""}, back)
    return shown or redirect(url_for(back[0], **back[1]), 303)


@bp.post("/contracts/<id:contract_id>/renew")
@page("POST", CONTRACT + "/renew")
def renew_contract(contract_id):
    back = ("web.contract_page", {"contract_id": contract_id})
    answer, shown = _write(CONTRACT + "/renew", {"contract_id": contract_id}, {
        "increase_percent": as_decimal(request.form.get("increase_percent")) or ""}, back)
    if shown is not None:
        return shown
    return redirect(url_for("web.proposal_page", proposal_id=answer["id"]), 303)


# -- a new proposal ------------------------------------------------------------------------------
CHECKS = ("pays_labour", "pays_parts", "pays_fee")


@bp.get("/proposals/new")
@page("POST", "/proposals")
def new_proposal():
    """Step 1: find the customer (name or tax number); step 2 (`customer_id`): the proposal's
    form with the customer's cards to choose from."""
    customer_id = as_int(request.args.get("customer_id"))
    if not isinstance(customer_id, int):
        q = (request.args.get("q") or "").strip()
        found, error = listed("/customers", {"q": q, "limit": 20}) if q else ([], None)
        return render("proposal_new.html", customer=None, found=found, q=q, error=error,
                      values={}, errors=[])
    return proposal_form(customer_id)


def proposal_form(customer_id, status=200, error=None, errors=(), values=None, proposal=None):
    customer = api.call("GET", "/customers/<id:customer_id>", {"customer_id": customer_id})
    cards, cards_error = listed("/devices", {"customer_id": customer_id, "limit": 200})
    if values is None:
        values = {"months": "12", "currency": "TRY", "basis": "year", "language":
                  customer.get("language") or "tr", "pays_labour": "on", "pays_fee": "on"}
    return render("proposal_new.html", status=status, customer=customer, cards=cards,
                  error=error or cards_error, errors=list(errors), values=values,
                  chosen={str(v) for v in (values.get("device_id") or [])}, proposal=proposal)


def proposal_body(form):
    """The proposal as the API takes it, from the form as typed: empty fields left out (the
    API's defaults), numbers and amounts the Turkish or the English way, each wrong one named
    by the API's 422."""
    devices = [{"device_id": as_int(v)} for v in form.getlist("device_id") if v]
    if (form.get("new_brand") or "").strip() or (form.get("new_serial") or "").strip():
        devices.append({k: (form.get("new_" + k) or "").strip() or None
                        for k in ("brand", "serial", "model")})
    body = {"devices": devices,
            "pays": {k[5:]: form.get(k) == "on" for k in CHECKS},
            "service_levels": {k: as_int(form.get(k)) for k in ("response_hours",
                                                                  "repair_hours")}}
    for key in ("start", "valid_until", "currency", "basis", "language", "note"):
        value = (form.get(key) or "").strip()
        if value:
            body[key] = value
    for key in ("months", "visits_per_year"):
        if (form.get(key) or "").strip():
            body[key] = as_int(form.get(key))
    for key in ("unit_price", "rate", "discount_amount", "discount_percent", "vat_rate",
                "stamp_duty_rate"):
        value = as_decimal(form.get(key))
        if value is not None:
            body[key] = value
    return body


def typed(form):
    values = form.to_dict()
    values["device_id"] = form.getlist("device_id")
    return values


@bp.post("/proposals/new")
@page("POST", "/proposals")
def create_proposal():
    customer_id = as_int(request.form.get("customer_id"))
    if not isinstance(customer_id, int):
        return redirect(url_for("web.new_proposal"), 303)
    body = {"customer_id": customer_id, **proposal_body(request.form)}
    try:
        made = api.call("POST", "/proposals", body=body)
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return proposal_form(customer_id, exc.http_status, error_text(exc), field_errors(exc),
                             typed(request.form))
    return redirect(url_for("web.proposal_page", proposal_id=made["id"]), 303)


@bp.get("/proposals/<id:proposal_id>/edit")
@page("PUT", PROPOSAL)
def edit_proposal(proposal_id):
    """An open proposal's form filled with what it offers now; saved as its next version."""
    p = api.call("GET", PROPOSAL, {"proposal_id": proposal_id})
    values = {k: p.get(k) or "" for k in (
        "start", "months", "valid_until", "basis", "visits_per_year", "unit_price",
        "currency", "rate", "discount_percent", "discount_amount", "vat_rate",
        "stamp_duty_rate", "language", "note")}
    values.update({"pays_" + k: "on" for k, v in p["pays"].items() if v})
    values.update({k: v or "" for k, v in p["service_levels"].items()})
    values["device_id"] = [d["device_id"] for d in p["devices"] if d["device_id"]]
    new = [d for d in p["devices"] if not d["device_id"]][:1]
    if new:
        values.update({"new_" + k: new[0].get(k) or "" for k in ("brand", "serial", "model")})
    return proposal_form(p["customer"]["id"], values=values, proposal=p)


@bp.post("/proposals/<id:proposal_id>/edit")
@page("PUT", PROPOSAL)
def save_proposal(proposal_id):
    customer_id = as_int(request.form.get("customer_id"))
    version = as_int(request.form.get("version"))
    body = {"customer_id": customer_id, **proposal_body(request.form)}
    try:
        api.call("PUT", PROPOSAL, {"proposal_id": proposal_id}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.edit_proposal", proposal_id=proposal_id))
        return _again_form(proposal_id, customer_id, exc)
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return _again_form(proposal_id, customer_id, exc)
    return redirect(url_for("web.proposal_page", proposal_id=proposal_id), 303)


def _again_form(proposal_id, customer_id, exc):
    p = api.call("GET", PROPOSAL, {"proposal_id": proposal_id})
    return proposal_form(p["customer"]["id"], exc.http_status, error_text(exc),
                         field_errors(exc), {**typed(request.form)}, proposal=p)


# -- the invoice schedule, the insurance notification ------------------------------------------
def _contract_write(contract_id, rule, view_args, body):
    back = ("web.contract_page", {"contract_id": contract_id})
    _, shown = _write(rule, {"contract_id": contract_id, **view_args}, body, back)
    return shown or redirect(url_for(back[0], **back[1]) + "#invoices", 303)


@bp.post("/contracts/<id:contract_id>/invoices")
@page("POST", CONTRACT + "/invoices")
def schedule_invoices(contract_id):
    return _contract_write(contract_id, CONTRACT + "/invoices", {}, {
        "frequency": request.form.get("frequency") or "",
        "first_due": text_or_none("first_due")})


INVOICE = CONTRACT + "/invoices/<id:invoice_id>"


@bp.post("/contracts/<id:contract_id>/invoices/<id:invoice_id>/invoiced")
@page("POST", INVOICE + "/invoiced")
def mark_invoiced(contract_id, invoice_id):
    return _contract_write(contract_id, INVOICE + "/invoiced", {"invoice_id": invoice_id}, {
        "invoice_no": text_or_none("invoice_no") or "",
        "invoiced_on": text_or_none("invoiced_on") or "",
        "rate": as_decimal(request.form.get("rate"))})


@bp.post("/contracts/<id:contract_id>/invoices/<id:invoice_id>/paid")
@page("POST", INVOICE + "/paid")
def mark_paid(contract_id, invoice_id):
    return _contract_write(contract_id, INVOICE + "/paid", {"invoice_id": invoice_id}, {
        "paid_on": text_or_none("paid_on") or ""})


@bp.post("/contracts/<id:contract_id>/insurance-notice")
@page("POST", CONTRACT + "/insurance-notice")
def insurance_notice(contract_id):
    try:
        api.call("POST", CONTRACT + "/insurance-notice", {"contract_id": contract_id}, body={
            "insurer_email": text_or_none("insurer_email") or "",
            "insurer_name": text_or_none("insurer_name"),
            **({"language": request.form["language"]} if request.form.get("language")
               else {})})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return contract_page(contract_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.contract_page", contract_id=contract_id) + "#insurance", 303)


# -- the machine-park check -----------------------------------------------------------------------
CHECK = "/machine-park-checks/<id:check_id>"


@bp.get("/machine-park-checks/new")
@page("POST", "/machine-park-checks")
def new_machine_park(status=200, error=None, errors=()):
    customer_id = as_int(request.values.get("customer_id"))
    if not isinstance(customer_id, int):
        raise NotFound("Customer {customer_id} not found.", {"customer_id": customer_id})
    customer = api.call("GET", "/customers/<id:customer_id>", {"customer_id": customer_id})
    return render("machine_park_new.html", status=status, customer=customer, error=error,
                  errors=list(errors))


@bp.post("/machine-park-checks/new")
@page("POST", "/machine-park-checks")
def open_machine_park():
    try:
        check = api.call("POST", "/machine-park-checks", body={
            "customer_id": as_int(request.form.get("customer_id")),
            "site_id": as_int(request.form.get("site_id")),
            **({"language": request.form["language"]} if request.form.get("language")
               else {})})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return new_machine_park(exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.machine_park_page", check_id=check["id"]), 303)


@bp.get("/machine-park-checks/<id:check_id>")
@page("GET", CHECK)
def machine_park_page(check_id, status=200, error=None, errors=()):
    check = api.call("GET", CHECK, {"check_id": check_id})
    return render("machine_park.html", status=status, check=check, error=error,
                  errors=list(errors), may_write=api.may("POST", CHECK + "/results"))


@bp.get("/machine-park-checks/<id:check_id>/form.pdf")
@page("GET", CHECK + "/form")
def machine_park_form(check_id):
    """The check's form (PDF) for the signed-in staff, through the API's own route."""
    return api.call("GET", CHECK + "/form", {"check_id": check_id})


@bp.post("/machine-park-checks/<id:check_id>/results")
@page("POST", CHECK + "/results")
def record_machine_park(check_id):
    """The results as checked on site: each device present or missing (with its condition
    and a note), and one device found there that the archive lacks."""
    form = request.form
    items = []
    for key in form:
        if key.startswith("result-") and form[key] in ("present", "missing"):
            device_id = as_int(key[len("result-"):])
            items.append({"device_id": device_id, "present": form[key] == "present",
                          "condition": form.get(f"condition-{device_id}") or None,
                          "note": (form.get(f"note-{device_id}") or "").strip() or None})
    new = []
    if (form.get("new_brand") or "").strip() or (form.get("new_serial") or "").strip():
        new.append({k: (form.get("new_" + k) or "").strip() or None
                    for k in ("brand", "serial", "model", "note")})
    version = as_int(form.get("version"))
    try:
        api.call("POST", CHECK + "/results", {"check_id": check_id},
                 body={"items": items, "new_devices": new},
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.machine_park_page", check_id=check_id))
        return machine_park_page(check_id, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return machine_park_page(check_id, exc.http_status, error_text(exc),
                                 field_errors(exc))
    return redirect(url_for("web.machine_park_page", check_id=check_id) + "#differences", 303)


# -- reports: renewals by end month, contract revenue --------------------------------------------
REVENUE = "/reports/contracts/revenue"
REVENUE_GROUPS = (("month", N_("Month")), ("customer", N_("Customer")),
                  ("contract", N_("Contract")))


@bp.get("/contracts/reports")
@page("GET", REVENUE)
def contract_reports():
    today = domain_today()
    typed_ = {"from": request.args.get("from") or f"{today.year}-01",
              "to": request.args.get("to") or f"{today.year}-12"}
    group = request.args.get("group_by")
    group = group if group in dict(REVENUE_GROUPS) else "month"
    query = {"from": typed_["from"], "to": typed_["to"], "group_by": group}
    report, chart, error, errors = None, None, None, []
    try:
        report = api.call("GET", REVENUE, query=query)
        chart = Markup(api.call("GET", REVENUE, query={**query, "format": "svg"})
                       .get_data(as_text=True))
    except ServisError as exc:
        error, errors = error_text(exc), field_errors(exc)
    month = request.args.get("month") or typed_["from"]
    renewals, renewals_error = listed("/reports/contracts/renewals",
                                      {"end_from": month, "limit": 100})
    return render("contract_reports.html", typed=typed_, group=group, groups=REVENUE_GROUPS,
                  report=report, chart=chart, error=error or renewals_error, errors=errors,
                  month=month, renewals=renewals,
                  csv=url_for("web.contract_revenue_csv", group_by=group, **typed_))


@bp.get("/contracts/reports/revenue.csv")
@page("GET", REVENUE)
def contract_revenue_csv():
    return api.call("GET", REVENUE, query={
        "from": request.args.get("from") or "", "to": request.args.get("to") or "",
        "group_by": request.args.get("group_by") or "month", "format": "csv"})


def domain_today():
    """Türkiye's today (a UTC date is tomorrow from 21:00)."""
    from datetime import datetime, timezone
    from services.common import formats
    return datetime.now(timezone.utc).astimezone(formats.LOCAL_TZ).date()


# -- the proposal's template (admin) ------------------------------------------------------------
@bp.get("/admin/proposal-template")
@page("GET", "/proposal-template")
def proposal_template(status=200, error=None, errors=(), source=None):
    """The proposal's template (quote and contract text, TR and EN) on the administration's
    template screen; saved through `PUT /proposal-template`, which renders it in both
    languages to PDF first."""
    from gateway.web.admin import CATALOGUES
    doc = api.call("GET", "/proposal-template")
    return render("admin_template.html", status=status, doc=doc, error=error,
                  errors=list(errors), source=doc["source"] if source is None else source,
                  catalogues=CATALOGUES, save_url=url_for("web.save_proposal_template"))


@bp.post("/admin/proposal-template")
@page("PUT", "/proposal-template")
def save_proposal_template():
    from gateway.web.admin import typed_source
    source = typed_source()
    body = {"source": None if request.form.get("builtin") == "1" else (source or ""),
            "note": (request.form.get("note") or "").strip() or None}
    try:
        api.call("PUT", "/proposal-template", body=body)
    except Forbidden:
        raise
    except ServisError as exc:
        return proposal_template(exc.http_status, error_text(exc), field_errors(exc), source)
    return redirect(url_for("web.proposal_template", saved=1), 303)

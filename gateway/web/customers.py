"""Customers and device cards on the console: the customer search (as you type), a
customer's page (sites, contacts, representative, devices, forms), create and edit with the
version contract (a stale edit is the "changed by someone else" page, nothing written); a
device card with its coverage periods and why, its history and forms; the warranty and
contract end lists by month and the device reports (by customer, by model, by coverage).
Every read and write is the API's route (gateway/devices_api.py) through gateway/web/api.py."""
import calendar
from datetime import date

from flask import redirect, request, url_for

from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.lists import csv_download
from gateway.web.pages import STALE, as_int, audit_trail, listed, page
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError
from services.common.roles import REP
from services.forms.api import COVERAGE_NAMES

CUSTOMER = "/customers/<id:customer_id>"
DEVICE = "/devices/<id:device_id>"
SITE_ROWS, CONTACT_ROWS = 1, 1  # empty rows offered beyond the ones the customer has
CUSTOMER_FIELDS = ("name", "tax_no", "address", "city", "district", "phone", "email",
                   "language", "report_frequency")
FREQUENCIES = (("none", N_("No periodic report")), ("monthly", N_("Monthly")),
               ("quarterly", N_("Quarterly")))


def _cursor_query(*names):
    return {k: request.args[k] for k in names if request.args.get(k)}


# -- customers ---------------------------------------------------------------------------------
@bp.get("/customers")
@page("GET", "/customers")
def customers():
    query = _cursor_query("q", "cursor")
    try:
        answer = api.call("GET", "/customers", query={"limit": 25, **query})
        items, following, error = answer["items"], answer["next_cursor"], None
    except ServisError as exc:
        items, following, error = [], None, error_text(exc)
    q = {k: v for k, v in query.items() if k != "cursor"}
    context = dict(items=items, error=error, q=query.get("q", ""),
                   following=url_for("web.customers", **q, cursor=following)
                   if following else None)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "customer-list":
        return render("partials/customer_list.html", **context)
    return render("customers.html", csv=url_for("web.customers_csv", **q),
                  may_create=api.may("POST", "/customers"), **context)


@bp.get("/customers.csv")
@page("GET", "/customers")
def customers_csv():
    return csv_download("/customers", _cursor_query("q"))


@bp.get("/customers/<id:customer_id>")
@page("GET", CUSTOMER)
def customer_page(customer_id, status=200, error=None, errors=()):
    customer = api.call("GET", CUSTOMER, {"customer_id": customer_id})
    devices, devices_error = listed("/devices", {"customer_id": customer_id, "limit": 100})
    forms, forms_error = listed("/forms", {"customer_id": customer_id, "limit": 10})
    sites = {s["id"]: s["name"] for s in customer["sites"]}
    return render("customer.html", status=status, customer=customer, devices=devices,
                  forms=forms, devices_error=devices_error, forms_error=forms_error, sites=sites,
                  may_edit=api.may("PATCH", CUSTOMER), frequencies=dict(FREQUENCIES),
                  may_park=api.may("POST", "/machine-park-checks"),
                  may_invite=api.may("POST", INVITATIONS),
                  invited=request.args.get("invited"), error=error, errors=list(errors),
                  audit=audit_trail("customers", customer_id))


INVITATIONS = "/portal/invitations"


@bp.post("/customers/<id:customer_id>/contacts/<id:contact_id>/invite")
@page("POST", INVITATIONS)
def invite_contact(customer_id, contact_id):
    """A contact person invited to the customer portal (issue 19: staff invite from the
    console): an account of the customer's and an e-mail with the link to set its password;
    back to the customer's page saying to whom, or the page with the API's refusal."""
    customer = api.call("GET", CUSTOMER, {"customer_id": customer_id})
    contact = next((c for c in customer["contacts"] if c.get("id") == contact_id), None)
    if contact is None or not contact.get("email"):
        raise NotFound("No such {record}.", {"record": "contact"})
    try:
        api.call("POST", INVITATIONS, body={
            "customer_id": customer_id, "name": contact["name"], "email": contact["email"],
            "language": customer.get("language") or "tr"})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return customer_page(customer_id, status=exc.http_status, error=error_text(exc),
                             errors=field_errors(exc))
    return redirect(url_for("web.customer_page", customer_id=customer_id,
                            invited=contact["email"]) + "#c-contacts", 303)


def customer_body(form, partial=False):
    """The customer's fields as typed: empty ones as null (an edit clears them)."""
    body = {}
    for key in CUSTOMER_FIELDS:
        if key in form:
            value = (form.get(key) or "").strip()
            body[key] = value or None
    for key in ("language", "report_frequency"):
        if body.get(key) is None:
            body.pop(key, None)
    if "rep_user_id" in form:
        body["rep_user_id"] = as_int(form.get("rep_user_id"))
    body["sites"] = rows(form, "site", ("name", "address", "city"))
    body["contacts"] = rows(form, "contact", ("name", "title", "phone", "email"))
    if not partial and body.get("name") is None:
        body["name"] = ""
    return body


def changed(body, customer):
    """Only the fields the edit changes (a PATCH changes only what it sends): a field sent
    unchanged would still need the right to change it — a customer's representative and
    e-mail addresses are the managers' (services/common/access.py)."""
    out = {}
    for key, value in body.items():
        if key in ("sites", "contacts"):
            keys = ("name", "address", "city") if key == "sites" else (
                "name", "title", "phone", "email")
            if [{k: r.get(k) for k in keys} for r in customer.get(key) or []] != value:
                out[key] = value
        elif customer.get(key) != value:
            out[key] = value
    return out


def rows(form, prefix, keys):
    """The rows of sites or contacts typed on the page (`<prefix>_rows` of them); an empty
    row is left out."""
    count = as_int(form.get(prefix + "_rows"))
    out = []
    for i in range(min(count, 100) if isinstance(count, int) else 0):
        row = {k: (form.get(f"{prefix}_{k}_{i}") or "").strip() or None for k in keys}
        if any(row.values()):
            out.append(row)
    return out


def edit_page(customer=None, status=200, error=None, errors=(), values=None):
    reps, _ = listed("/users/staff", {"role": REP})
    values = values or {}
    if customer is not None and not values:
        values = {**{k: customer.get(k) or "" for k in CUSTOMER_FIELDS},
                  "rep_user_id": customer.get("rep_user_id") or ""}
    sites = customer["sites"] if customer else []
    contacts = customer["contacts"] if customer else []
    if request.method == "POST":  # show what was typed
        sites = rows(request.form, "site", ("name", "address", "city"))
        contacts = rows(request.form, "contact", ("name", "title", "phone", "email"))
    sites = sites + [{}] * SITE_ROWS
    contacts = contacts + [{}] * CONTACT_ROWS
    return render("customer_edit.html", status=status, customer=customer, values=values,
                  reps=reps, sites=sites, contacts=contacts, error=error, errors=list(errors),
                  frequencies=FREQUENCIES)


@bp.get("/customers/new")
@page("POST", "/customers")
def new_customer():
    return edit_page()


@bp.post("/customers/new")
@page("POST", "/customers")
def create_customer():
    try:
        customer = api.call("POST", "/customers", body=customer_body(request.form))
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return edit_page(None, exc.http_status, error_text(exc), field_errors(exc),
                         request.form.to_dict())
    return redirect(url_for("web.customer_page", customer_id=customer["id"]), 303)


@bp.get("/customers/<id:customer_id>/edit")
@page("PATCH", CUSTOMER)
def edit_customer(customer_id):
    return edit_page(api.call("GET", CUSTOMER, {"customer_id": customer_id}))


@bp.post("/customers/<id:customer_id>/edit")
@page("PATCH", CUSTOMER)
def update_customer(customer_id):
    version = as_int(request.form.get("version"))
    try:
        current = api.call("GET", CUSTOMER, {"customer_id": customer_id})
        api.call("PATCH", CUSTOMER, {"customer_id": customer_id},
                 body=changed(customer_body(request.form, partial=True), current),
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.edit_customer", customer_id=customer_id))
        return edit_page(api.call("GET", CUSTOMER, {"customer_id": customer_id}),
                         exc.http_status, error_text(exc), values=request.form.to_dict())
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return edit_page(api.call("GET", CUSTOMER, {"customer_id": customer_id}),
                         exc.http_status, error_text(exc), field_errors(exc),
                         request.form.to_dict())
    return redirect(url_for("web.customer_page", customer_id=customer_id), 303)


# -- device cards ------------------------------------------------------------------------------
@bp.get("/devices/<id:device_id>")
@page("GET", DEVICE)
def device_page(device_id):
    card = api.call("GET", DEVICE, {"device_id": device_id})
    coverage = api.call("GET", DEVICE + "/coverage", {"device_id": device_id})
    history, history_error = listed(DEVICE + "/history", {"limit": 50},
                                    {"device_id": device_id})
    customer = api.call("GET", CUSTOMER, {"customer_id": card["customer_id"]})
    forms, forms_error = listed("/forms", {"customer_id": card["customer_id"], "limit": 100})
    forms = [f for f in forms if (f.get("device") or {}).get("id") == device_id
             or f.get("device_id") == device_id]
    types = {t["code"]: t["name"] for t in listed("/catalogues/device-types", {})[0]}
    return render("device.html", card=card, coverage=coverage, history=history,
                  history_error=history_error, customer=customer, forms=forms,
                  forms_error=forms_error, types=types, audit=audit_trail("devices", device_id))


# -- warranty and contract ends by month; the device reports -----------------------------------
ENDS = {"warranty_end": N_("Warranty ends"), "contract_end": N_("Contract ends"),
        "repair_warranty_end": N_("Repair warranty ends")}


def month_of(text):
    """'2027-03' as (first day, last day); this month when empty or not a month."""
    try:
        year, month = (int(p) for p in (text or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        today = date.today()
        first = date(today.year, today.month, 1)
    return first, date(first.year, first.month, calendar.monthrange(first.year,
                                                                      first.month)[1])


@bp.get("/devices/ends")
@page("GET", "/devices")
def device_ends():
    """The seed's "garanti bitiş ayına göre" lists: the cards whose warranty (contract,
    repair warranty) ends in a month, soonest first."""
    which = request.args.get("which") if request.args.get("which") in ENDS else "warranty_end"
    first, last = month_of(request.args.get("month"))
    query = {f"{which}_from": first.isoformat(), f"{which}_to": last.isoformat(),
             "sort": which}
    cursor = request.args.get("cursor")
    try:
        answer = api.call("GET", "/devices", query={"limit": 50, **query,
                                                    **({"cursor": cursor} if cursor else {})})
        items, following, error = answer["items"], answer["next_cursor"], None
    except ServisError as exc:
        items, following, error = [], None, error_text(exc)
    month = first.strftime("%Y-%m")
    prev_month = (date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
                  ).strftime("%Y-%m")
    next_month = (date(first.year + (first.month == 12), first.month % 12 + 1, 1)
                  ).strftime("%Y-%m")
    return render("device_ends.html", items=items, error=error, which=which, ends=ENDS,
                  month=month, first=first, prev_month=prev_month, next_month=next_month,
                  following=url_for("web.device_ends", which=which, month=month,
                                    cursor=following) if following else None,
                  csv=url_for("web.devices_csv", **query))


@bp.get("/devices.csv")
@page("GET", "/devices")
def devices_csv():
    allowed = ("customer_id", "brand", "model", "device_type", "sort", "serial_prefix",
               *(f"{e}_{s}" for e in ENDS for s in ("from", "to")))
    return csv_download("/devices", _cursor_query(*allowed))


REPORTS = {"by-customer": N_("Devices by customer"), "by-model": N_("Devices by model"),
           "by-coverage": N_("Devices by coverage")}
COVERAGE_STATUSES = ("manufacturer_warranty", "contract", "repair_warranty", "none")


@bp.get("/devices/reports/<any('by-customer', 'by-model', 'by-coverage'):report>")
@page("GET", "/reports/devices/by-customer")
def device_report(report):
    rule = "/reports/devices/" + report
    query = _cursor_query("brand", "model", "status", "on", "customer_id", "cursor")
    if report == "by-coverage":
        query.setdefault("status", "manufacturer_warranty")
    try:
        answer = api.call("GET", rule, query={"limit": 50, **query})
        items, following, error = answer["items"], answer["next_cursor"], None
    except ServisError as exc:
        items, following, error = [], None, error_text(exc)
    q = {k: v for k, v in query.items() if k != "cursor"}
    return render("device_report.html", report=report, reports=REPORTS, items=items,
                  error=error, query=q, statuses=COVERAGE_STATUSES, coverage_names=COVERAGE_NAMES,
                  following=url_for("web.device_report", report=report, **q, cursor=following)
                  if following else None,
                  csv=url_for("web.device_report_csv", report=report, **q))


@bp.get("/devices/reports/<any('by-customer', 'by-model', 'by-coverage'):report>.csv")
@page("GET", "/reports/devices/by-customer")
def device_report_csv(report):
    return csv_download("/reports/devices/" + report,
                        _cursor_query("brand", "model", "status", "on", "customer_id"))



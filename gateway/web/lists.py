"""The forms lists (open / closed / all) with every filter and sort the API has
(`GET /api/v1/forms`: gateway/forms_api.py), cursor paging and the CSV download; and the CSV
download of any declared list the console shows (the API's own columns and file names, asked
page by page through the page's session: the API answers bearer tokens only)."""
import re
import time
from datetime import date

from flask import request, url_for

from gateway.csv_export import csv_response
from gateway.routes import _DECLARED
from gateway.web import api, i18n
from gateway.web.i18n import N_, error_text
from gateway.web.pages import listed, page
from gateway.web.shell import bp, render
from services.common.exceptions import NotFound, ServisError
from services.common.roles import MANAGER, TECHNICIAN
from services.forms.api import COVERAGE_NAMES, KIND_NAMES, STATUS_NAMES

FORM_FILTERS = ("state", "status", "customer_id", "device_type", "fault_type", "technician",
                "rep_user_id", "kind", "coverage", "opened_from", "opened_to", "q", "sort",
                "limit")
PAGE_SIZES = ("25", "50", "100")  # rows per page offered (the API takes any up to 500)
# forms' sorts (services/forms/schemas.py SORTS): customer is Turkish alphabetical order,
# status the lifecycle's order
SORTS = (("-number", N_("Record no, newest first")), ("number", N_("Record no, oldest first")),
         ("customer", N_("Customer A–Z")), ("-customer", N_("Customer Z–A")),
         ("status", N_("Status, lifecycle order")), ("-status", N_("Status, reverse order")),
         ("device_type", N_("Device type")), ("fault_type", N_("Fault type")),
         ("-opened", N_("Opened, newest first")), ("opened", N_("Opened, oldest first")),
         ("-delivered", N_("Delivered, newest first")), ("-closed", N_("Closed, newest first")))


def declared(method, rule):
    """The declared Route of `method` `rule` (under /api/v1), or None."""
    for pairs in _DECLARED.values():
        for blp, route in pairs:
            if route.method == method and (blp.url_prefix or "") + route.path == api.API + rule:
                return route
    return None


def csv_download(rule, query, view_args=None):
    """A declared list as the API's CSV (`?format=csv`): its columns and file name in the
    page's language, every page asked through the access table."""
    route = declared("GET", rule)
    if route is None or route.csv is None:
        raise NotFound(api.NO_ROUTE, {"rule": f"GET {api.API}{rule}.csv"})
    lang = i18n.language()
    api.call("GET", rule, view_args, query={**query, "limit": 1})  # roles, 422 before we start
    return csv_response(lambda args: api.call("GET", rule, view_args, query=args), query,
                        route.csv.columns(lang), route.csv.filenames[0 if lang == "tr" else 1],
                        lang)


DATE_FIELDS = ("opened_from", "opened_to")


def iso_date(text):
    """A date typed the Turkish way (27.11.2026, 27/11/2026) or as ISO (2026-11-27) as ISO;
    anything else as typed (the API's schema says why)."""
    text = (text or "").strip()
    match = re.fullmatch(r"([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})", text)
    if match:
        d, m, y = (int(p) for p in match.groups())
        try:
            return date(y, m, d).isoformat()
        except ValueError:
            return text
    return text


OPTIONS_TTL = 10.0  # seconds the filters' options are kept (a new device type shows after it)
_options = {}


def options(rule, query):
    """A catalogue the filters offer (device types, fault types, staff), kept OPTIONS_TTL
    seconds in this process: the list page then costs its list call, not four calls. Asked
    through the access table like any call; an error is not kept."""
    key = (rule, tuple(sorted((k, str(v)) for k, v in query.items())))
    kept = _options.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    items, error = listed(rule, query)
    if error is None:
        _options[key] = (time.monotonic() + OPTIONS_TTL, items)
    return items


def form_query():
    """The list's filters as the page's address has them (dates as typed)."""
    return {k: request.args[k] for k in FORM_FILTERS if request.args.get(k)}


def api_query(query):
    """The filters as the API takes them: dates typed the Turkish way in ISO."""
    return {k: iso_date(v) if k in DATE_FIELDS else v for k, v in query.items()}


@bp.get("/forms")
@page("GET", "/forms")
def forms():
    query = form_query()
    cursor = request.args.get("cursor")

    try:
        answer = api.call("GET", "/forms", query={"limit": PAGE_SIZES[0], **api_query(query),
                                                  **({"cursor": cursor} if cursor else {})})
        items, following, error = answer["items"], answer["next_cursor"], None
    except ServisError as exc:
        items, following, error = [], None, error_text(exc)
    device_types = options("/catalogues/device-types", {})
    fault_types = options("/catalogues/fault-types", {})
    staff = options("/users/staff", {"role": (TECHNICIAN, MANAGER)})
    customer = None
    if query.get("customer_id", "").isdigit():
        try:
            customer = api.call("GET", "/customers/<id:customer_id>",
                                {"customer_id": int(query["customer_id"])})
        except ServisError:
            customer = None
    return render("forms.html", items=items, query=query, error=error,
                  following=url_for("web.forms", **query, cursor=following) if following
                  else None, first=url_for("web.forms", **query) if cursor else None,
                  csv=url_for("web.forms_csv", **query), statuses=STATUS_NAMES,
                  coverages=COVERAGE_NAMES, kinds=KIND_NAMES, sorts=SORTS,
                  device_types=device_types, page_sizes=PAGE_SIZES, fault_types=fault_types,
                  staff=staff, customer=customer)


@bp.get("/forms.csv")
@page("GET", "/forms")
def forms_csv():
    return csv_download("/forms", api_query(form_query()))

"""Reports on the console: service revenue (by day, month, customer, device type,
technician) and satisfaction (by technician, customer, month) — each as the chart the gateway
draws (gateway/charts.py, SVG inline: its text is the page's), the table and the CSV beside;
the date range typed the Turkish way (27.11.2026). Revenue is the API's own work
(forms_api.revenue_of), satisfaction its declared route."""
from datetime import date, datetime, timezone

from flask import request, url_for
from markupsafe import Markup

from gateway.charts import bar_chart
from gateway.csv_export import csv_response
from gateway.web import api, i18n
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.lists import iso_date
from gateway.web.pages import page
from gateway.web.shell import bp, render
from services.common import formats
from services.common.exceptions import ServisError

REVENUE, SATISFACTION = "/reports/revenue", "/reports/satisfaction"
GROUPS = {"revenue": (("month", N_("Month")), ("day", N_("Day")), ("customer", N_("Customer")),
                      ("device_type", N_("Device type")), ("technician", N_("Technician"))),
          "satisfaction": (("technician", N_("Technician")), ("customer", N_("Customer")),
                           ("month", N_("Month")))}
TITLES = {"revenue": N_("Service revenue"), "satisfaction": N_("Satisfaction")}
AMOUNTS = (("labour", N_("Labour")), ("parts", N_("Parts")), ("service_fee", N_("Service fee")),
           ("discount", N_("Discount")), ("vat", N_("VAT")), ("total", N_("Total")))


def label_of(item):
    for key in ("day", "month", "name", "device_type"):
        if item.get(key):
            return item[key]
    return "—"


def window():
    """The date range as typed (Turkish dates), and as the API takes it (ISO): this year so
    far unless given."""
    today = datetime.now(timezone.utc).astimezone(formats.LOCAL_TZ).date()  # Türkiye's day
    typed = {"from": request.args.get("from") or formats.day(date(today.year, 1, 1),
                                                              i18n.language()),
             "to": request.args.get("to") or formats.day(today, i18n.language())}
    return typed, {k: iso_date(v) for k, v in typed.items()}


def report_of(kind, group, dates):
    """(items, others, chart svg) of the report."""
    if kind == "revenue":
        query = {"group_by": group, **dates}
        report = api.call("GET", REVENUE, query=query)
        svg = api.call("GET", REVENUE, query={**query, "format": "svg"}).get_data(as_text=True)
        return report["items"], report.get("others"), report.get("currency", "TRY"), svg
    report = api.call("GET", SATISFACTION, query={"group_by": group, **dates})
    lang = i18n.language()
    svg = bar_chart(f"{gettext(TITLES[kind])} {dates['from']} – {dates['to']}",
                    [label_of(i) for i in report["items"]],
                    [i["average"] for i in report["items"]], language=lang,
                    value_text=lambda v: formats.number(v, lang, 1))
    return report["items"], None, None, svg


@bp.get("/reports")
@bp.get("/reports/<any(revenue, satisfaction):kind>")
@page("GET", SATISFACTION)
def reports(kind="revenue"):
    groups = dict(GROUPS[kind])
    group = request.args.get("group_by") if request.args.get("group_by") in groups else \
        GROUPS[kind][0][0]
    typed, dates = window()
    items, others, currency, svg, error, errors = [], None, "TRY", None, None, []
    try:
        items, others, currency, svg = report_of(kind, group, dates)
    except ServisError as exc:
        error, errors = error_text(exc), field_errors(exc)
    return render("reports.html", kind=kind, titles=TITLES, groups=GROUPS[kind],
                  group=group, typed=typed, items=items, others=others, currency=currency,
                  chart=Markup(svg) if svg else None, error=error, errors=errors,
                  amounts=AMOUNTS, label_of=label_of,
                  csv=url_for("web.report_csv", kind=kind, group_by=group, **typed))


@bp.get("/reports/<any(revenue, satisfaction):kind>.csv")
@page("GET", SATISFACTION)
def report_csv(kind):
    group = request.args.get("group_by") or GROUPS[kind][0][0]
    _, dates = window()
    if kind == "revenue":
        return api.call("GET", REVENUE, query={"group_by": group, **dates, "format": "csv"})
    report = api.call("GET", SATISFACTION, query={"group_by": group, **dates})
    lang = i18n.language()
    columns = [("Grup", "Group", label_of), ("Anket sayısı", "Surveys", lambda i: i["surveys"]),
               ("Ortalama puan", "Average score", lambda i: i["average"], "money")]
    return csv_response(lambda args: report, {}, columns,
                        "memnuniyet.csv" if lang == "tr" else "satisfaction.csv", lang)

"""The maintenance contracts' REST API (/api/v1/proposals, /api/v1/contracts,
/api/v1/reports/contracts/...): every route a declared pass-through to the contracts service
(gateway/routes.py).

Roles: contracts officers and managers (and admins) write — proposals, decisions, renewals,
cancels; the service desk reads (to see what a customer's contract covers)."""
import base64

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway.auth import roles
from gateway.charts import bar_chart
from gateway.csv_export import csv_response
from gateway.forms_api import pdf
from gateway import versions
from gateway.helpers import Page, actor, rpc, to_wire, user_language
from gateway.routes import Route, declare, expose, items
from services.common.exceptions import Conflict, invalid
from services.common.roles import ADMINS
from services.common.schemas import load
from services.contracts.api import (READ, WRITE, CancelIn, ContractQuery, DecisionIn,
                                    InsuranceNoticeIn, InvoicedIn, InvoiceQuery, MachineParkIn,
                                    ProposalEdit,
                                    ParkResultsIn, PaidIn, ProposalIn, ProposalQuery,
                                    RenewalQuery, RenewIn, RevenueQuery, ScheduleIn, SendIn,
                                    ProposalTemplateIn, MAX_SCAN_BYTES, scan_type)

blp = Blueprint("contracts", __name__, url_prefix="/api/v1",
                description="Maintenance contracts (bakım sözleşmeleri) and their proposals "
                            "(teklifler)")
PROPOSAL = "/proposals/<id:proposal_id>"
CONTRACT = "/contracts/<id:contract_id>"

ROUTES = declare(blp, [
    Route("GET", "/proposals", "contracts", "list_proposals", READ, args=("query",),
          query=ProposalQuery, response=Page,
          doc="Proposals, newest first; filters `customer_id`, `status` (open, expired — open "
              "past its validity date —, accepted, rejected); cursor pages."),
    Route("POST", "/proposals", "contracts", "create_proposal", WRITE, args=("body", "actor"),
          body=ProposalIn, status=201, etag=True,
          doc="Prepare a proposal (TK-YYYY-NNNNNN): `customer_id`; `devices` (each "
              "`device_id` of the customer's card, or `brand`, `serial`, `model`, "
              "`device_type` of a new device, registered when accepted); `start`, `months` "
              "(at most 120); `unit_price` per device per year (`basis: year`) or per visit "
              "(`basis: visit`, `visits_per_year`); `currency` TRY, USD or EUR with its `rate`; "
              "`discount_amount` or `discount_percent`; `vat_rate`, `stamp_duty_rate` (default "
              "the settings); `pays {labour, parts, fee}`; `service_levels {response_hours, "
              "repair_hours}` in working hours; `valid_until`; `language`. A card of another "
              "customer, or one under an overlapping contract, is a 409 naming it."),
    Route("GET", PROPOSAL, "contracts", "get_proposal", READ, args=("proposal_id",),
          etag=True, doc="One proposal with its devices, figures and decision."),
    Route("PUT", PROPOSAL, "contracts", "revise_proposal", WRITE,
          args=("proposal_id", "body", "actor"), body=ProposalEdit, versioned=True, etag=True,
          doc="A new version of an open proposal (not decided yet): the whole proposal again, "
              "as `POST /proposals` takes it, with the version read (`If-Match`); its figures "
              "again and a new PDF. The customer stays; a decided proposal is a 409."),
    Route("POST", PROPOSAL + "/decision", "contracts", "decide_proposal", WRITE,
          args=("proposal_id", "body", "actor"), body=DecisionIn, versioned=True, etag=True,
          doc="Accept or reject: `decision` (accepted, rejected), `note`. Accepting makes the "
              "contract (SZ-YYYY-NNNNNN) in draft; it is activated on its start date. An "
              "expired or decided proposal is a 409."),
    Route("POST", PROPOSAL + "/send", "contracts", "send_proposal", WRITE,
          args=("proposal_id", "body", "actor"), body=SendIn, status=201,
          doc="E-mail the proposal: its PDF (quote and contract text) rendered now with the "
              "template in use, attached, to the customer's address or `email`."),
    Route("GET", PROPOSAL + "/documents", "contracts", "proposal_documents", READ,
          args=("proposal_id",), answer=items,
          doc="The proposal's PDFs: one when it was made, one per sending."),
    Route("GET", PROPOSAL + "/documents/<id:document_id>", "contracts",
          "get_proposal_document", READ, args=("proposal_id", "document_id"), answer=pdf,
          doc="One of the proposal's documents as `application/pdf`, byte for byte as issued."),
    Route("GET", "/proposal-template", "contracts", "proposal_template", ADMINS,
          doc="The proposal's template (quote and contract text, TR and EN with "
              "placeholders such as `{{ customer.name }}`), its versions."),
    Route("PUT", "/proposal-template", "contracts", "save_proposal_template", ADMINS,
          args=("body", "actor"), body=ProposalTemplateIn,
          doc="A new version of the proposal's template (admin): checked in Turkish and "
              "English, to PDF, first — one that fails is a 422 with its line; `source: null` "
              "goes back to the built-in."),
    Route("GET", "/contracts", "contracts", "list_contracts", READ, args=("query",),
          query=ContractQuery, response=Page,
          doc="Contracts, newest first; filters `customer_id`, `device_id`, `status`."),
    Route("GET", CONTRACT, "contracts", "get_contract", READ, args=("contract_id",),
          etag=True, doc="One contract with its devices, terms and figures."),
    Route("GET", CONTRACT + "/history", "contracts", "contract_history", READ,
          args=("contract_id",), doc="Every move of the contract: who, when, a note."),
    Route("GET", CONTRACT + "/documents", "contracts", "contract_documents", READ,
          args=("contract_id",), answer=items,
          doc="The contract's documents: its proposal's PDFs (quote and contract text)."),
    Route("GET", CONTRACT + "/documents/<id:document_id>", "contracts",
          "get_contract_document", READ, args=("contract_id", "document_id"), answer=pdf,
          doc="One of the contract's documents as `application/pdf`."),
    Route("POST", CONTRACT + "/insurance-notice", "contracts", "issue_insurance_notice", WRITE,
          args=("contract_id", "body", "actor"), body=InsuranceNoticeIn, status=201,
          doc="Issue the insurance notification (sigorta bildirim formu) of the contract's "
              "insured devices — insurer, policy numbers, devices, serials, values — as a PDF "
              "e-mailed to `insurer_email`; `insurer_name` picks the cards insured with it. "
              "No insured device is a 409."),
    Route("POST", CONTRACT + "/cancel", "contracts", "cancel_contract", WRITE,
          args=("contract_id", "body", "actor"), body=CancelIn, versioned=True, etag=True,
          doc="Cancel: `reason` and `end` (within the contract): the devices' cover ends that "
              "day (contract_expired)."),
    Route("POST", CONTRACT + "/renew", "contracts", "renew_contract", WRITE,
          args=("contract_id", "body", "actor"), body=RenewIn, versioned=True, etag=True,
          status=201,
          doc="Renew in one call: a new proposal for the next period with the same devices "
              "and terms, the unit price raised by `increase_percent` (e.g. the TÜFE rate); "
              "`months`, `rate`, `valid_until` optional. A cancelled or renewed contract is a "
              "409."),
    Route("GET", CONTRACT + "/invoices", "contracts", "contract_invoices", READ,
          args=("contract_id",),
          doc="The contract's invoice schedule: each installment's due date, amount (the "
              "contract's currency), status (scheduled, invoiced, paid), invoice number, rate "
              "and TRY amount."),
    Route("POST", CONTRACT + "/invoices", "contracts", "schedule_invoices", WRITE,
          args=("contract_id", "body", "actor"), body=ScheduleIn, versioned=True, etag=True,
          doc="Make the invoice schedule: `frequency` monthly, quarterly, yearly or single, "
              "`first_due` (default the start); the contract's total split, adding up "
              "exactly. A schedule with an invoice already is a 409."),
    Route("POST", CONTRACT + "/invoices/<id:invoice_id>/invoiced", "contracts",
          "mark_invoiced", WRITE, args=("contract_id", "invoice_id", "body", "actor"),
          body=InvoicedIn, versioned=True, etag=True,
          doc="Mark an installment invoiced: `invoice_no` (the accounting system's), "
              "`invoiced_on`, `rate` of that day for a contract in USD or EUR."),
    Route("POST", CONTRACT + "/invoices/<id:invoice_id>/paid", "contracts", "mark_paid",
          WRITE, args=("contract_id", "invoice_id", "body", "actor"), body=PaidIn,
          versioned=True, etag=True, doc="Mark an invoiced installment paid: `paid_on`."),
    Route("GET", "/reports/contracts/invoices", "contracts", "invoice_list", READ,
          args=("query",), query=InvoiceQuery, response=Page,
          doc="Invoices `state=due` (not invoiced, due within `days`, default 30) or "
              "`state=overdue` (not paid past their due date), by due date; cursor pages."),
    Route("POST", "/machine-park-checks", "contracts", "open_machine_park", WRITE,
          args=("body", "actor"), body=MachineParkIn, status=201, etag=True,
          doc="A machine-park check (makine parkı) of a customer site: `customer_id`, "
              "`site_id`; every device the archive has there, whether it is under an active "
              "contract, and its form (PDF) for the on-site check."),
    Route("GET", "/machine-park-checks/<id:check_id>", "contracts", "get_machine_park", READ,
          args=("check_id",), etag=True,
          doc="The check: its devices, the results, the differences (missing, new, "
              "unchecked)."),
    Route("GET", "/machine-park-checks/<id:check_id>/form", "contracts", "machine_park_form",
          READ, args=("check_id",), answer=pdf,
          doc="The check's form as `application/pdf`: serial, model, location, contract, "
              "condition boxes, notes, signature lines."),
    Route("POST", "/machine-park-checks/<id:check_id>/results", "contracts",
          "record_machine_park", WRITE, args=("check_id", "body", "actor"),
          body=ParkResultsIn, versioned=True, etag=True,
          doc="The on-site results: `items` [{device_id, present, condition (good, worn, "
              "faulty), note}], `new_devices` [{brand, serial, model, device_type, note}] "
              "found there and registered at the site; answers with the differences."),
    Route("GET", "/reports/contracts/renewals", "contracts", "renewal_list", READ,
          args=("query",), query=RenewalQuery, response=Page,
          doc="The renewal list: contracts (active or expired, not renewed) ending from "
              "`end_from` to `end_to` (YYYY-MM), by end date; cursor pages. Each item is the "
              "list's line — id, number, version, status, customer {id, name}, start, months, "
              "end, currency, unit_price, total, total_try, renewal_due_on, renewal_notified "
              "—; `GET /contracts/{id}` has the whole contract."),
])



@blp.route(PROPOSAL + "/signed-scan", methods=["POST"])
@roles(*WRITE)
def attach_signed_scan(proposal_id):
    """Keep the signed scan of the proposal's decision: the file as the body (its own content
    type) or multipart field `file`; a PDF, JPEG or PNG by its content (whatever its name
    says), at most 10 MB. Versioned: `If-Match` with the proposal's version."""
    request.max_content_length = MAX_SCAN_BYTES + 1024 * 1024  # the multipart's envelope
    stated = versions.stated(None)
    upload = request.files.get("file")
    data = upload.read(MAX_SCAN_BYTES + 1) if upload else request.get_data()
    if len(data) > MAX_SCAN_BYTES:
        raise invalid(file=["At most 10 MB."])
    if scan_type(data) is None:
        raise invalid(file=["Not a PDF, JPEG or PNG file (by its content)."])
    try:
        result = rpc("contracts", "attach_signed_scan", proposal_id, {
            "content_b64": base64.b64encode(data).decode(), "version": stated,
            "filename": (upload.filename if upload else request.headers.get("X-Filename"))},
            actor())
    except Conflict as conflict:
        raise versions.stale(conflict, stated) from None
    return result, 200, versions.etag(result)


@blp.route(PROPOSAL + "/signed-scan", methods=["GET"])
@roles(*READ)
def signed_scan(proposal_id):
    """The signed scan as it was uploaded (its content type)."""
    result = rpc("contracts", "get_signed_scan", proposal_id)
    if "content_b64" not in result:  # not a file: answered as it came
        return result
    return Response(base64.b64decode(result["content_b64"]), mimetype=result["content_type"],
                    headers={"Content-Disposition":
                             f'inline; filename="{result["filename"]}"'})


class RevenueHttp(RevenueQuery):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "svg")))


AMOUNTS = (("Planlanan", "Scheduled", "scheduled"), ("Faturalanan", "Invoiced", "invoiced"),
           ("Tahsil edilen", "Paid", "paid"))


@blp.route("/reports/contracts/revenue", methods=["GET"])
@roles(*WRITE)
@blp.arguments(RevenueHttp, location="query", arg_name="query")
def contract_revenue(query):
    """Contract revenue (sözleşme gelirleri) in TRY of installments due `from`–`to` (YYYY-MM):
    scheduled, invoiced, paid; `group_by=` month, customer or contract. `format=csv` or `svg`
    (a bar chart of what is scheduled)."""
    return contract_revenue_of({}, query=query, loaded=True)


@expose("GET", "/api/v1/reports/contracts/revenue", WRITE)
def contract_revenue_of(view_args, body=None, query=None, version=None, loaded=False):
    """The report's work (the API's view and the console's contracts reports page)."""
    query = dict(query) if loaded else load(RevenueHttp(), query or {})
    wanted = query.pop("format")
    report = rpc("contracts", "revenue", to_wire(RevenueQuery, query))
    lang = user_language()
    if wanted == "svg":
        title = ("Sözleşme gelirleri" if lang == "tr" else "Contract revenue") + \
            f" {report['from']} – {report['to']} (TRY)"
        svg = bar_chart(title, [str(i["label"]) for i in report["items"]],
                        [i["scheduled"] for i in report["items"]], "TRY", language=lang)
        return Response(svg, mimetype="image/svg+xml")
    if wanted == "csv":
        columns = [("Grup", "Group", lambda i: i["label"]),
                   ("Taksit", "Installments", lambda i: i["installments"])]
        columns += [(tr, en, (lambda k: lambda i: i[k])(key), "money")
                    for tr, en, key in AMOUNTS]
        page = {"items": report["items"], "next_cursor": None}
        return csv_response(lambda a: page, {}, columns, "sozlesme-gelirleri.csv", lang)
    return report


BLUEPRINTS = (blp,)

"""The device archive over HTTP: customers, device cards, coverage, history, reports, CSV
import and the device-type catalogue. Pass-through routes are declared (gateway/routes.py);
the import is written by hand (it reads and stages a file)."""
import contextlib
from concurrent.futures import ThreadPoolExecutor

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.auth import roles
from gateway.helpers import Page, actor, invalid, rpc, user_language
from gateway.i18n import catalogue, request_language
from gateway.routes import AllQuery, Csv, Route, admin_wants_all, declare, expose, items
from services.common.roles import ADMINS, ARCHIVE_KEEPERS, ARCHIVE_WRITERS, MANAGE, STAFF
from services.devices.api import (ByCoverageQuery, ByCustomerQuery, ByModelQuery, CoverageIn,
                                  CoverageQuery, CustomerIn, CustomerPatch, CustomerQuery,
                                  DeviceIn, DevicePatch, DeviceQuery, DeviceTypeIn,
                                  DeviceTypePatch, Duplicates, HistoryQuery, IMPORT_KINDS,
                                  ImportStream, MoveIn, template_csv)

# Customers carry a version (devices' `customers.version`): PATCH /customers/{id} follows the
# version contract like every versioned record (428 without one, 409 when stale).
CUSTOMERS_VERSIONED = True

IMPORT_MAX_BYTES = 64 * 1024 * 1024
IMPORT_CHUNK = 250  # rows per RPC while staging an import: a short transaction in devices
NO_STAFF_ACCOUNT = "No such staff account."
TR_OR_EN = "tr or en."

blp = Blueprint("devices", __name__, url_prefix="/api/v1",
                description="Customers and the device archive (cihaz arşivi)")
reports_blp = Blueprint("device_reports", __name__, url_prefix="/api/v1/reports/devices",
                        description="Device reports; every one also as ?format=csv")
catalogue_blp = Blueprint("catalogues", __name__, url_prefix="/api/v1/catalogues",
                          description="Admin-editable catalogues (TR/EN names)")


def _yes_no(value, lang):
    if value is None:
        return None
    return ("evet" if value else "hayır") if lang == "tr" else ("yes" if value else "no")


def card_columns(lang):
    """A card's columns, with the device type's name (not its code) in the user's language."""
    names = {t["code"]: t["name"][lang] for t in rpc("devices", "list_device_types", True)}
    return [
        ("Kayıt", "Id", lambda d: d["id"]),
        ("Müşteri", "Customer", lambda d: d.get("customer_name")),
        ("Marka", "Brand", lambda d: d["brand"]),
        ("Model", "Model", lambda d: d["model"]),
        ("Cihaz tipi", "Device type", lambda d: names.get(d["device_type"], d["device_type"])),
        ("Seri no", "Serial", lambda d: d["serial"]),
        ("Fiyat", "Price", lambda d: d["price"], "money"),
        ("Para birimi", "Currency", lambda d: d["currency"]),
        ("Alış tarihi", "Purchase date", lambda d: d["purchase_date"], "date"),
        ("Alındığı firma", "Vendor", lambda d: d["vendor"]),
        ("Sigortalı", "Insured", lambda d: _yes_no(d["insured"], lang)),
        ("Sigorta şirketi", "Insurer", lambda d: d["insurer"]),
        ("Poliçe no", "Policy no", lambda d: d["policy_no"]),
        ("Garanti bitiş", "Warranty end", lambda d: d["warranty_end"], "date"),
        ("Sözleşme bitiş", "Contract end", lambda d: d["contract_end"], "date"),
        ("Tamir garantisi bitiş", "Repair warranty end", lambda d: d["repair_warranty_end"], "date"),
    ]


def customer_columns(lang):
    return [("Kayıt", "Id", lambda c: c["id"]), ("Müşteri", "Customer", lambda c: c["name"]),
            ("Vergi no", "Tax no", lambda c: c["tax_no"]),
            ("Telefon", "Phone", lambda c: c["phone"]),
            ("E-posta", "E-mail", lambda c: c["email"]),
            ("Temsilci", "Representative", lambda c: c["rep_name"])]


def model_columns(lang):
    return [("Marka", "Brand", lambda r: r["brand"]), ("Model", "Model", lambda r: r["model"]),
            ("Müşteri", "Customer", lambda r: r["customer_name"]),
            ("Cihaz sayısı", "Devices", lambda r: r["devices"])]


def coverage_columns(lang):
    return card_columns(lang) + [
        ("Kapsam", "Coverage", lambda d: d["coverage"]["name"][lang]),
        ("Kapsam bitiş", "Coverage end", lambda d: d["coverage"]["end"]),
        ("Açıklama", "Reason", lambda d: d["coverage"]["reason"][lang])]


def with_rep(call):
    """A representative given as `rep_user_id` (a staff account) is copied from that account:
    name, e-mail, language (DESIGN.md: snapshots)."""
    rep_id = call.body.get("rep_user_id")
    if rep_id is not None:
        rep = current_app.extensions["servis"].users.get(rep_id)
        if rep is None or rep.role == "customer":
            raise invalid(rep_user_id=[NO_STAFF_ACCOUNT])
        call.body = {**call.body, "rep_name": rep.name, "rep_email": rep.email,
                     "rep_language": rep.language}


ROUTES = declare(blp, [
    # -- customers
    Route("GET", "/customers", "devices", "find_customers", STAFF, args=("query",),
          query=CustomerQuery, response=Page,
          csv=Csv(customer_columns, ("musteriler.csv", "customers.csv")),
          doc="Find customers by a name fragment (Turkish-aware) or tax number; Turkish "
              "order."),
    Route("POST", "/customers", "devices", "create_customer", ARCHIVE_WRITERS, args=("body",),
          body=CustomerIn, status=201, prepare=with_rep, etag=True,
          doc="Create a customer, with its sites and contact persons. A representative given "
              "as `rep_user_id` (a staff account) is copied from that account: name, e-mail, "
              "language."),
    Route("GET", "/customers/<id:customer_id>", "devices", "get_customer", STAFF,
          args=("customer_id",), etag=True, doc="One customer, with sites and contacts."),
    Route("PATCH", "/customers/<id:customer_id>", "devices", "update_customer",
          ARCHIVE_WRITERS, args=("customer_id", "body", "actor"), body=CustomerPatch,
          prepare=with_rep,
          versioned=CUSTOMERS_VERSIONED, etag=True,
          doc="Change a customer: only the fields sent change; the representative and the "
              "e-mail addresses (the customer's, its contacts') only by a manager or an admin "
              "(403); `sites`/`contacts` replace the "
              "lists. Other services learn it from `customer_updated`."),
    # -- device cards
    Route("GET", "/devices", "devices", "find_devices", STAFF, args=("query",),
          query=DeviceQuery, response=Page,
          csv=Csv(card_columns, ("cihazlar.csv", "devices.csv")),
          doc="Device cards: `serial` (exact) or `serial_prefix`, customer, brand, model, type, "
              "insured; windows `warranty_end_from/_to`, `contract_end_from/_to`, "
              "`repair_warranty_end_from/_to`; `sort=` id, serial, warranty_end, contract_end, "
              "repair_warranty_end (`-` for descending); cursor paging; `format=csv`."),
    Route("POST", "/devices", "devices", "register_device", ARCHIVE_WRITERS,
          args=("body", "actor"), body=DeviceIn, status=201, etag=True,
              doc="Register a device card (with its manufacturer warranty: `warranty_start` or the "
              "purchase date, and `warranty_end`). (brand, serial) entered twice is a 409 "
              "naming the owner."),
    Route("GET", "/devices/<id:device_id>", "devices", "get_device", STAFF,
          args=("device_id",), etag=True,
              doc="One device card, with its derived warranty, contract and repair-warranty ends."),
    Route("PATCH", "/devices/<id:device_id>", "devices", "update_device", ARCHIVE_WRITERS,
          args=("device_id", "body", "actor"), body=DevicePatch, versioned=True, etag=True,
              doc="Change a card: only the fields sent change. Every change goes to the history."),
    Route("POST", "/devices/<id:device_id>/move", "devices", "move_device", MANAGE,
          args=("device_id", "body", "actor"), body=MoveIn, versioned=True, etag=True,
              doc="Move a card to another customer (and site); the history records it."),
    Route("GET", "/devices/<id:device_id>/history", "devices", "device_history", STAFF,
          args=("device_id", "query"), query=HistoryQuery,
          doc="Every change to the card: who, when, what (field: [old, new]); newest first."),
    Route("GET", "/devices/<id:device_id>/coverage", "devices", "coverage", STAFF,
          args=("device_id", "query"), query=CoverageQuery, etag=True,
          doc="What covers the device on `?on=YYYY-MM-DD` (default today, Türkiye): "
              "manufacturer warranty, contract, repair warranty or none, with the end and why; "
              "and every period."),
    Route("POST", "/devices/<id:device_id>/coverage", "devices", "add_coverage",
          ARCHIVE_KEEPERS, args=("device_id", "body", "actor"), body=CoverageIn, status=201,
          versioned=True, etag=True,
          doc="Record a coverage period by hand (e.g. an extended warranty): a manager or an "
              "admin any kind, the contracts role `contract` periods only (403)."),
])


# -- import (by hand: the gateway reads and stages the file) ------------------------------------
class ImportQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(load_default=None, allow_none=True)


@blp.route("/devices/import", methods=["POST"])
@roles(*ARCHIVE_KEEPERS)
def import_devices():
    """Import from a CSV file (body `text/csv`, or multipart field `file`): `?kind=devices`
    (default: customers and their device cards), `customers` or `contacts`; templates at
    /devices/import/template. Answers 202 with a job to poll at /devices/import/{id}: counts,
    and failed rows with their row number and reasons. Re-importing the same file changes
    nothing. The file is read as it arrives and staged in chunks: a file found broken
    part-way is a 422 and what was staged is dropped."""
    request.max_content_length = IMPORT_MAX_BYTES
    kind = _import_kind(request.args.get("kind"))
    upload = request.files.get("file")
    source, filename = (upload.stream, upload.filename) if upload else (request.stream, None)
    job = start_import({}, {"source": source, "kind": kind,
                            "filename": filename or request.headers.get("X-Filename")})
    return job, 202, {"Location": f"/api/v1/devices/import/{job['id']}"}


def _import_kind(kind):
    kind = kind or "devices"
    if kind not in IMPORT_KINDS:
        raise invalid(kind=[("One of: {kinds}.", {"kinds": ", ".join(IMPORT_KINDS)})])
    return kind


@expose("POST", "/api/v1/devices/import", ARCHIVE_KEEPERS)
def start_import(view_args, body, query=None, version=None):
    """The import's work (the API's view and the console's upload): `body` {source (a
    binary stream), filename, kind}; the job as started."""
    kind = _import_kind(body.get("kind"))
    parsed = ImportStream(_chunks(body["source"]), kind)
    job = rpc("devices", "create_import", {
        "filename": body.get("filename"), "kind": kind,
        "keys": [k for k in parsed.keys if k], "ignored_columns": parsed.ignored}, actor())
    try:
        _stage(parsed, job["id"], current_app.extensions["servis"].rpc)
    except BaseException:
        with contextlib.suppress(Exception):  # the original error is the answer
            rpc("devices", "discard_import", job["id"])
        raise
    return rpc("devices", "start_import", job["id"])


def _stage(parsed, job_id, client):
    """Stage the rows as they are read, IMPORT_CHUNK at a time, one chunk in flight while
    the next is read (devices stores one while the gateway cuts the next: the two processes
    work at once)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-stage") as sender:
        duplicates, chunk, sending = Duplicates(), [], None
        for row_no, cells in parsed.rows():
            chunk.append([row_no, duplicates.mark(row_no, cells)])
            if len(chunk) == IMPORT_CHUNK:
                if sending is not None:
                    sending.result()
                sending = sender.submit(client.call, "devices", "add_import_rows", job_id,
                                        chunk)
                chunk = []
        if sending is not None:
            sending.result()
        if chunk:
            client.call("devices", "add_import_rows", job_id, chunk)


def _chunks(stream, size=64 * 1024):
    """The request body as it arrives, a piece at a time."""
    while True:
        piece = stream.read(size)
        if not piece:
            return
        yield piece


@blp.route("/devices/import/template", methods=["GET"])
@roles(*STAFF)
def import_template():
    """The import template: `?lang=tr` (default; `;`-separated) or `en`, with example rows;
    `?kind=devices` (default), `customers` or `contacts`."""
    return import_template_file({}, query={"lang": request.args.get("lang"),
                                           "kind": request.args.get("kind")})


@expose("GET", "/api/v1/devices/import/template", STAFF)
def import_template_file(view_args, body=None, query=None, version=None):
    """The template's work (the API's view and the console's download): `query` {lang, kind}."""
    query = query or {}
    lang = query.get("lang") or user_language()
    if lang not in ("tr", "en"):
        raise invalid(lang=[TR_OR_EN])
    kind = _import_kind(query.get("kind"))
    name = {"devices": "cihaz", "customers": "musteri", "contacts": "yetkili"}[kind]
    return Response(template_csv(lang, kind), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="servis-{name}-import-{lang}.csv"'})


def row_errors_translated(call, job):
    """A failed row's reasons in the request's language: devices keeps them as the English
    messages its templates made (the catalogue recovers their values)."""
    language, texts = request_language(), catalogue()
    return {**job, "errors": [{**e, "errors": texts.translate_fields(e["errors"], language)}
                              for e in job.get("errors", [])]}


declare(blp, [
    Route("GET", "/devices/import/<id:job_id>", "devices", "get_import", ARCHIVE_KEEPERS,
          args=("job_id", "query", "actor"), query=ImportQuery, answer=row_errors_translated,
          doc="An import's progress (its owner, a manager or an admin; 403 for others): "
              "(total, processed, created, updated, unchanged, failed) "
              "and its failed rows, paged (`errors_next_cursor`), their reasons in the "
              "request's language (Accept-Language, else the account's)."),
])

# -- reports -------------------------------------------------------------------------------------
declare(reports_blp, [
    Route("GET", "/by-customer", "devices", "report_by_customer", STAFF, args=("query",),
          query=ByCustomerQuery, response=Page,
          csv=Csv(card_columns, ("cihazlar-musteri.csv", "devices-by-customer.csv")),
          doc="Every device, by customer in Turkish alphabetical order (müşteri sıralı cihaz "
              "raporu); `customer_id` for one customer."),
    Route("GET", "/by-model", "devices", "report_by_model", STAFF, args=("query",),
          query=ByModelQuery, response=Page,
          csv=Csv(model_columns, ("cihazlar-model.csv", "devices-by-model.csv")),
          doc="Which customers have which brand/model, with the number of devices (cihaz "
              "modeli sıralı rapor); `brand`, `model` to narrow."),
    Route("GET", "/by-coverage", "devices", "report_by_coverage", STAFF, args=("query",),
          query=ByCoverageQuery, response=Page,
          csv=Csv(coverage_columns, ("cihazlar-kapsam.csv", "devices-by-coverage.csv")),
          doc="Devices by what covers them on a date (`on`, default today) — the coverage a "
              "service form opened that day would get: `status=` manufacturer_warranty, "
              "repair_warranty, contract, or none. Each device is in one status; "
              "`coverage.also` lists other covers."),
])

# -- catalogue -----------------------------------------------------------------------------------
declare(catalogue_blp, [
    Route("GET", "/device-types", "devices", "list_device_types", STAFF,
          args=(admin_wants_all,), query=AllQuery, answer=items,
          doc="The device types (TR/EN names); admins see inactive ones with `?all=true`."),
    Route("POST", "/device-types", "devices", "create_device_type", ADMINS, args=("body",),
          body=DeviceTypeIn, status=201,
          doc="Add a device type: `code` (lowercase), `name_tr`, `name_en`."),
    Route("PATCH", "/device-types/<string(maxlength=40):code>", "devices",
          "update_device_type", ADMINS, args=("code", "body"), body=DeviceTypePatch,
          doc="Rename a device type or (de)activate it (`active: false` hides it from new "
              "cards)."),
])

BLUEPRINTS = (blp, reports_blp, catalogue_blp)

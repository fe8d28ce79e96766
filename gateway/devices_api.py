"""The device archive over HTTP: customers, device cards, coverage, history, reports, CSV
import and the device-type catalogue. Views check the role, validate with the devices
service's own schemas (for the OpenAPI document and an early 422), and call one RPC."""
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.api import Page, actor, rpc, user_language
from gateway.auth import current_user, roles
from gateway.csv_export import csv_response, list_args, listing, wants_csv
from gateway.users import STAFF
from services.common.exceptions import ValidationFailed
from services.common.text import fold
from services.devices import importer
from services.devices.schemas import (ByCoverageQuery, ByCustomerQuery, ByModelQuery,
                                      CoverageIn, CoverageQuery, CustomerIn, CustomerPatch,
                                      CustomerQuery, DeviceIn, DevicePatch, DeviceQuery,
                                      DeviceTypeIn, DeviceTypePatch, HistoryQuery, MoveIn)

CUSTOMER_WRITERS = ("desk", "manager", "admin", "rep", "contracts")
DEVICE_WRITERS = CUSTOMER_WRITERS
COVERAGE_WRITERS = ("manager", "admin", "contracts")
IMPORTERS = ("manager", "admin", "contracts")
IMPORT_MAX_BYTES = 64 * 1024 * 1024
IMPORT_CHUNK = 2000  # rows per RPC while staging an import

blp = Blueprint("archive", __name__, url_prefix="/api/v1",
                description="Customers and the device archive (cihaz arşivi)")
reports_blp = Blueprint("device_reports", __name__, url_prefix="/api/v1/reports/devices",
                        description="Device reports; every one also as ?format=csv")
catalogue_blp = Blueprint("catalogues", __name__, url_prefix="/api/v1/catalogues",
                          description="Admin-editable catalogues (TR/EN names)")


def _listed(method, columns, filenames):
    """The list as JSON, or every page of it as CSV (`columns` is a function of the user's
    language; `filenames` (tr, en))."""
    args = list_args()
    if wants_csv():
        lang = user_language()
        return csv_response(lambda a: rpc("devices", method, a), args, columns(lang),
                            filenames[0] if lang == "tr" else filenames[1], lang)
    return rpc("devices", method, args)


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
        ("Alış tarihi", "Purchase date", lambda d: d["purchase_date"]),
        ("Alındığı firma", "Vendor", lambda d: d["vendor"]),
        ("Sigortalı", "Insured", lambda d: _yes_no(d["insured"], lang)),
        ("Sigorta şirketi", "Insurer", lambda d: d["insurer"]),
        ("Poliçe no", "Policy no", lambda d: d["policy_no"]),
        ("Garanti bitiş", "Warranty end", lambda d: d["warranty_end"]),
        ("Sözleşme bitiş", "Contract end", lambda d: d["contract_end"]),
        ("Tamir garantisi bitiş", "Repair warranty end", lambda d: d["repair_warranty_end"]),
    ]


# -- customers -------------------------------------------------------------------------------
@blp.route("/customers")
class Customers(MethodView):
    @roles(*STAFF)
    @blp.arguments(listing(CustomerQuery), location="query")
    @blp.response(200, Page)
    def get(self, query):
        """Find customers by a name fragment (Turkish-aware) or tax number; Turkish order."""
        return _listed("find_customers", lambda lang: [
            ("Kayıt", "Id", lambda c: c["id"]), ("Müşteri", "Customer", lambda c: c["name"]),
            ("Vergi no", "Tax no", lambda c: c["tax_no"]),
            ("Telefon", "Phone", lambda c: c["phone"]),
            ("E-posta", "E-mail", lambda c: c["email"]),
            ("Temsilci", "Representative", lambda c: c["rep_name"])],
            ("musteriler.csv", "customers.csv"))

    @roles(*CUSTOMER_WRITERS)
    @blp.arguments(CustomerIn)
    def post(self, body):
        """Create a customer, with its sites and contact persons. A representative given as
        `rep_user_id` (a staff account) is copied from that account: name, e-mail, language."""
        return rpc("devices", "create_customer", _with_rep(request.get_json())), 201


def _with_rep(data):
    if data.get("rep_user_id") is not None:
        rep = current_app.extensions["servis"].users.get(data["rep_user_id"])
        if rep is None or rep.role == "customer":
            raise ValidationFailed("The input is not valid.",
                                   {"rep_user_id": ["No such staff account."]})
        data = {**data, "rep_name": rep.name, "rep_email": rep.email,
                "rep_language": rep.language}
    return data


@blp.route("/customers/<int(max=2147483647):customer_id>")
class CustomerOne(MethodView):
    @roles(*STAFF)
    def get(self, customer_id):
        """One customer, with sites and contacts."""
        return rpc("devices", "get_customer", customer_id)

    @roles(*CUSTOMER_WRITERS)
    @blp.arguments(CustomerPatch)
    def patch(self, body, customer_id):
        """Change a customer: only the fields sent change; `sites`/`contacts` replace the
        lists. Other services learn it from `customer_updated`."""
        return rpc("devices", "update_customer", customer_id, _with_rep(request.get_json()))


# -- device cards ----------------------------------------------------------------------------
@blp.route("/devices")
class Devices(MethodView):
    @roles(*STAFF)
    @blp.arguments(listing(DeviceQuery), location="query")
    @blp.response(200, Page)
    def get(self, query):
        """Device cards: `serial` (exact) or `serial_prefix`, customer, brand, model, type,
        insured; windows `warranty_end_from/_to`, `contract_end_from/_to`,
        `repair_warranty_end_from/_to`; `sort=` id, serial, warranty_end, contract_end,
        repair_warranty_end (`-` for descending); cursor paging; `format=csv`."""
        return _listed("find_devices", card_columns, ("cihazlar.csv", "devices.csv"))

    @roles(*DEVICE_WRITERS)
    @blp.arguments(DeviceIn)
    def post(self, body):
        """Register a device card (with its manufacturer warranty: `warranty_start` or the
        purchase date, and `warranty_end`). (brand, serial) entered twice is a 409 naming the
        owner."""
        return rpc("devices", "register_device", request.get_json(), actor()), 201


@blp.route("/devices/<int(max=2147483647):device_id>")
class DeviceOne(MethodView):
    @roles(*STAFF)
    def get(self, device_id):
        """One device card, with its derived warranty, contract and repair-warranty ends."""
        return rpc("devices", "get_device", device_id)

    @roles(*DEVICE_WRITERS)
    @blp.arguments(DevicePatch)
    def patch(self, body, device_id):
        """Change a card: only the fields sent change; send the `version` you read to get a
        409 instead of overwriting someone else's change. Every change goes to the history."""
        return rpc("devices", "update_device", device_id, request.get_json(), actor())


@blp.route("/devices/<int(max=2147483647):device_id>/move", methods=["POST"])
@roles("manager", "admin")
@blp.arguments(MoveIn)
def move_device(body, device_id):
    """Move a card to another customer (and site); the history records it."""
    return rpc("devices", "move_device", device_id, request.get_json(), actor())


@blp.route("/devices/<int(max=2147483647):device_id>/history", methods=["GET"])
@roles(*STAFF)
@blp.arguments(HistoryQuery, location="query")
def device_history(query, device_id):
    """Every change to the card: who, when, what (field: [old, new]); newest first."""
    return rpc("devices", "device_history", device_id, request.args.to_dict())


@blp.route("/devices/<int(max=2147483647):device_id>/coverage")
class DeviceCoverage(MethodView):
    @roles(*STAFF)
    @blp.arguments(CoverageQuery, location="query")
    def get(self, query, device_id):
        """What covers the device on `?on=YYYY-MM-DD` (default today, Türkiye): manufacturer
        warranty, contract, repair warranty or none, with the end and why; and every period."""
        return rpc("devices", "coverage", device_id, request.args.to_dict())

    @roles(*COVERAGE_WRITERS)
    @blp.arguments(CoverageIn)
    def post(self, body, device_id):
        """Record a coverage period by hand (e.g. an extended warranty)."""
        return rpc("devices", "add_coverage", device_id, request.get_json(), actor()), 201


# -- import ----------------------------------------------------------------------------------
@blp.route("/devices/import", methods=["POST"])
@roles(*IMPORTERS)
def import_devices():
    """Import customers and devices from a CSV file (body `text/csv`, or multipart field
    `file`; template at /devices/import/template). Answers 202 with a job to poll at
    /devices/import/{id}: counts, and failed rows with their row number and reasons.
    Re-importing the same file changes nothing."""
    request.max_content_length = IMPORT_MAX_BYTES
    upload = request.files.get("file")
    data, filename = (upload.read(), upload.filename) if upload else (request.get_data(), None)
    parsed = importer.read_csv(data)
    mark_duplicates(parsed.rows)
    job = rpc("devices", "create_import", {
        "filename": filename or request.headers.get("X-Filename"),
        "keys": [k for k in parsed.keys if k], "ignored_columns": parsed.ignored}, actor())
    for i in range(0, len(parsed.rows), IMPORT_CHUNK):
        rpc("devices", "add_import_rows", job["id"],
            [[n, cells] for n, cells in parsed.rows[i:i + IMPORT_CHUNK]])
    job = rpc("devices", "start_import", job["id"])
    return job, 202, {"Location": f"/api/v1/devices/import/{job['id']}"}


def mark_duplicates(rows):
    """A (brand, serial) met again further down the file is that later row's error (the
    import would otherwise apply both, and a re-import would flip the card between them)."""
    first = {}
    for row_no, cells in rows:
        brand, serial = (cells.get("brand") or "").strip(), (cells.get("serial") or "").strip()
        if brand and serial:
            key = (fold(brand), fold(serial))
            if key in first:
                cells["_duplicate_of"] = first[key]
            else:
                first[key] = row_no


@blp.route("/devices/import/template", methods=["GET"])
@roles(*STAFF)
def import_template():
    """The import template: `?lang=tr` (default; `;`-separated) or `en`, with example rows."""
    lang = request.args.get("lang") or user_language()
    if lang not in ("tr", "en"):
        raise ValidationFailed("The input is not valid.", {"lang": ["tr or en."]})
    return Response(importer.template_csv(lang), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="servis-cihaz-import-{lang}.csv"'})


class ImportQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(load_default=None, allow_none=True)


@blp.route("/devices/import/<int(max=2147483647):job_id>", methods=["GET"])
@roles(*IMPORTERS)
@blp.arguments(ImportQuery, location="query")
def import_job(query, job_id):
    """An import's progress (total, processed, created, updated, unchanged, failed) and its
    failed rows, paged (`errors_next_cursor`)."""
    return rpc("devices", "get_import", job_id, query)


# -- reports ---------------------------------------------------------------------------------
@reports_blp.route("/by-customer", methods=["GET"])
@roles(*STAFF)
@reports_blp.arguments(listing(ByCustomerQuery), location="query")
@reports_blp.response(200, Page)
def by_customer(query):
    """Every device, by customer in Turkish alphabetical order (müşteri sıralı cihaz
    raporu); `customer_id` for one customer."""
    return _listed("report_by_customer", card_columns,
                   ("cihazlar-musteri.csv", "devices-by-customer.csv"))


@reports_blp.route("/by-model", methods=["GET"])
@roles(*STAFF)
@reports_blp.arguments(listing(ByModelQuery), location="query")
@reports_blp.response(200, Page)
def by_model(query):
    """Which customers have which brand/model, with the number of devices (cihaz modeli
    sıralı rapor); `brand`, `model` to narrow."""
    return _listed("report_by_model", lambda lang: [
        ("Marka", "Brand", lambda r: r["brand"]), ("Model", "Model", lambda r: r["model"]),
        ("Müşteri", "Customer", lambda r: r["customer_name"]),
        ("Cihaz sayısı", "Devices", lambda r: r["devices"])],
        ("cihazlar-model.csv", "devices-by-model.csv"))


@reports_blp.route("/by-coverage", methods=["GET"])
@roles(*STAFF)
@reports_blp.arguments(listing(ByCoverageQuery), location="query")
@reports_blp.response(200, Page)
def by_coverage(query):
    """Devices by what covers them on a date (`on`, default today) — the coverage a service
    form opened that day would get: `status=` manufacturer_warranty, repair_warranty,
    contract, or none. Each device is in one status; `coverage.also` lists other covers."""
    return _listed("report_by_coverage", lambda lang: card_columns(lang) + [
        ("Kapsam", "Coverage", lambda d: d["coverage"]["name"][lang]),
        ("Kapsam bitiş", "Coverage end", lambda d: d["coverage"]["end"]),
        ("Açıklama", "Reason", lambda d: d["coverage"]["reason"][lang])],
        ("cihazlar-kapsam.csv", "devices-by-coverage.csv"))


# -- catalogue -------------------------------------------------------------------------------
@catalogue_blp.route("/device-types")
class DeviceTypes(MethodView):
    @roles(*STAFF)
    def get(self):
        """The device types (TR/EN names); admins see inactive ones with `?all=true`."""
        everything = request.args.get("all") == "true" and current_user()["role"] == "admin"
        return {"items": rpc("devices", "list_device_types", everything), "next_cursor": None}

    @roles("admin")
    @catalogue_blp.arguments(DeviceTypeIn)
    def post(self, body):
        """Add a device type: `code` (lowercase), `name_tr`, `name_en`."""
        return rpc("devices", "create_device_type", request.get_json()), 201


@catalogue_blp.route("/device-types/<string(maxlength=40):code>", methods=["PATCH"])
@roles("admin")
@catalogue_blp.arguments(DeviceTypePatch)
def device_type(body, code):
    """Rename a device type or (de)activate it (`active: false` hides it from new cards)."""
    return rpc("devices", "update_device_type", code, request.get_json())


BLUEPRINTS = (blp, reports_blp, catalogue_blp)

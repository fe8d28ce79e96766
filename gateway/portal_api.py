"""The customer portal's REST API (/api/v1/portal/...): declared pass-throughs to the portal
service (requests, the review queue, the customer's forms and timeline) and to devices (the
customer's own cards), plus the staff invitation of a customer's contact, written by hand
(it is the gateway's own accounts).

Roles: a `customer` account files requests and reads its own requests, forms, timeline and
devices; the service desk, managers and admins read the review queue and accept or decline.
Which customer's records a call reaches is not the client's to say: the gateway passes the
account's `customer_id` with the actor (`portal_actor`), and portal limits every read to it
through the customer scope (services/common/scope.py) — another customer's request, photo or
form is a 404, as if it did not exist. The customer's devices are asked of devices with the
account's customer id put in the query here, and answered through a customer-safe schema."""
import base64
import secrets

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway.auth import roles
from gateway.helpers import Page, actor, invalid, rpc
from gateway.approvals_api import client, limiter
from gateway.forms_api import pdf
from gateway.routes import Route, const, declare, expose, items
from services.common.exceptions import NotFound, ServisError
from services.common.roles import CUSTOMER
from services.common.schemas import LANGUAGES, PageQuery, Trimmed, email_field, id_field
from services.common.scope import CustomerSafe
from services.forms.api import CustomerSurveyIn, DecisionIn
from services.portal.api import (CUSTOMERS, NO_TRACKING, REVIEWERS, AcceptIn, DeclineIn,
                                 FormsQuery, RequestIn, RequestQuery)

blp = Blueprint("portal", __name__, url_prefix="/api/v1",
                description="The customer portal (İnternet): service requests, the customer's "
                            "forms and timeline, their devices; staff review and invitations")
REQUEST = "/portal/requests/<id:request_id>"
READERS = CUSTOMERS + REVIEWERS
INVITE_SECONDS_MAX = 7 * 24 * 3600
NOT_A_CUSTOMER = "No such customer."


def portal_actor(call):
    """The actor with the account's customer (a customer's scope; None for staff)."""
    return {**actor(), "customer_id": call.user.get("customer_id")
            if call.user["role"] == CUSTOMER else None}


class MyDevice(CustomerSafe):
    """A customer's device card as the customer reads it: no price, vendor, insurance or
    notes — what it is and until when it is covered."""
    id = fields.Integer()
    brand = fields.String()
    model = fields.String(allow_none=True)
    serial = fields.String()
    device_type = fields.String(allow_none=True)
    warranty_end = fields.String(allow_none=True)
    contract_end = fields.String(allow_none=True)
    repair_warranty_end = fields.String(allow_none=True)


_MY_DEVICE = MyDevice()


def my_devices_query(call):
    return {"customer_id": call.user.get("customer_id") or 0, "limit": call.query["limit"],
            **({"cursor": call.query["cursor"]} if call.query.get("cursor") else {})}


def my_devices(call, result):
    return {"items": _MY_DEVICE.dump(result.get("items") or [], many=True),
            "next_cursor": result.get("next_cursor")}


def photo(call, result):
    """The photo as it was uploaded (its content type), never executed as a page."""
    if "content_b64" not in result:
        return result
    return Response(base64.b64decode(result["content_b64"]),
                    mimetype=result.get("content_type") or "application/octet-stream",
                    headers={"Content-Disposition": f'inline; filename="{result["filename"]}"',
                             "X-Content-Type-Options": "nosniff"})


ROUTES = declare(blp, [
    Route("POST", "/portal/requests", "portal", "submit_request", CUSTOMERS,
          args=("body", portal_actor), body=RequestIn, status=201, etag=True,
          doc="File a service request (the signed-in customer's): `device_id` (one of your "
              "devices) or `device` {brand, serial, model, device_type, site} (a new one, taken "
              "as typed); `complaint`; up to 5 `photos` [{filename, content_b64}] — JPEG or PNG "
              "by content, at most 5 MB each. It waits for review."),
    Route("GET", "/portal/requests", "portal", "list_requests", READERS,
          args=("query", portal_actor), query=RequestQuery, response=Page,
          doc="Requests, newest first: a customer's own; staff every customer's — "
              "`status=submitted` is the review queue; `customer_id` filters; cursor pages."),
    Route("GET", REQUEST, "portal", "get_request", READERS,
          args=("request_id", portal_actor), etag=True,
          doc="One request with its photos, its state, the form's number once accepted or "
              "the reason it was declined. Another customer's: 404."),
    Route("GET", REQUEST + "/photos/<id:photo_id>", "portal", "get_photo", READERS,
          args=("request_id", "photo_id", portal_actor), answer=photo,
          doc="One photo of the request, as uploaded (image/jpeg or image/png)."),
    Route("POST", REQUEST + "/accept", "portal", "accept_request", REVIEWERS,
          args=("request_id", "body", portal_actor), body=AcceptIn, versioned=True, etag=True,
          doc="Accept (staff): forms opens the service form (source portal) and the request "
              "shows its number. forms' refusal (a serial of another customer's card: 409) "
              "leaves the request as it was."),
    Route("POST", REQUEST + "/decline", "portal", "decline_request", REVIEWERS,
          args=("request_id", "body", portal_actor), body=DeclineIn, versioned=True,
          etag=True, doc="Decline (staff) with a `reason` the customer reads."),
    Route("GET", "/portal/forms", "portal", "my_forms", CUSTOMERS,
          args=("query", portal_actor), query=FormsQuery, response=Page,
          doc="The customer's service forms, the latest change first, with the status in "
              "their words (answers with forms stopped: portal's own projection)."),
    Route("GET", "/portal/forms/<id:form_id>", "portal", "my_form", CUSTOMERS,
          args=("form_id", portal_actor),
          doc="One of the customer's forms with its timeline: the customer-visible steps in "
              "the customer's language, never internal notes or staff names. Another "
              "customer's: 404."),
    Route("POST", "/portal/forms/<id:form_id>/price-decision", "forms",
          "decide_price_as_customer", CUSTOMERS,
          args=("form_id", "body", portal_actor, lambda call: client()), body=DecisionIn,
          doc="The customer's decision on the estimate waiting for it: `decision` (approved, "
              "rejected), `note`. forms records it (via portal, with the address and browser) "
              "as it does the link's; an expired estimate is a 410, none waiting a 409."),
    Route("GET", "/portal/survey-questions", "forms", "list_questions", CUSTOMERS,
          args=(const(False),), answer=items,
          doc="The satisfaction survey's questions (the representative's call asks the same)."),
    Route("POST", "/portal/forms/<id:form_id>/survey", "forms", "record_customer_survey",
          CUSTOMERS, args=("form_id", "body", portal_actor), body=CustomerSurveyIn,
          doc="The customer's own satisfaction survey of a delivered form: `answers` "
              "[{question_id, value}], `note`. Scored as the call is; a low score reopens the "
              "form the same way."),
    Route("GET", "/portal/forms/<id:form_id>/documents", "forms", "customer_form_documents",
          CUSTOMERS, args=("form_id", portal_actor), answer=items,
          doc="The papers of one of the customer's forms to download: the intake slip and "
              "the delivery receipts (issued). Another customer's form: 404."),
    Route("GET", "/portal/forms/<id:form_id>/documents/<id:document_id>", "forms",
          "customer_form_document", CUSTOMERS, args=("form_id", "document_id", portal_actor),
          answer=pdf, doc="One of those papers as `application/pdf`, byte for byte as issued. "
                          "Another customer's form or any other document: 404."),
    Route("GET", "/portal/devices", "devices", "find_devices", CUSTOMERS,
          args=(my_devices_query,), query=PageQuery, response=Page, answer=my_devices,
          doc="The customer's devices with their warranty, contract and repair-warranty end "
              "dates."),
])


# -- invitations ---------------------------------------------------------------------------------
class InvitationIn(Schema):
    """A customer's contact invited to the portal: an account of role customer for
    `customer_id`, and an e-mail with a one-time link to set the password."""
    customer_id = id_field(required=True)
    name = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    email = email_field(required=True)
    username = Trimmed(load_default=None, allow_none=True,
                       validate=validate.Regexp(r"^[\w.@-]{3,80}$"))
    language = fields.String(load_default="tr", validate=validate.OneOf(LANGUAGES))


class InvitationOut(Schema):
    user = fields.Dict()
    valid_until_seconds = fields.Integer()
    sent = fields.Boolean()


@blp.route("/portal/invitations", methods=["POST"])
@roles(*REVIEWERS)
@blp.arguments(InvitationIn)
@blp.response(201, InvitationOut)
def invite(body):
    """Invite a customer's contact (staff): a portal account (role customer, of exactly this
    customer; username default the e-mail address) with no usable password, and an e-mail
    with a one-time link to set it (valid PORTAL_INVITE_SECONDS, default 7 days) — the
    password-reset machinery of the accounts, with the invitation's wording."""
    return invite_contact({}, body), 201


@expose("POST", "/api/v1/portal/invitations", REVIEWERS, body=InvitationIn)
def invite_contact(view_args, body, query=None, version=None):
    from gateway.users import public
    ext = current_app.extensions["servis"]
    try:
        rpc("devices", "get_customer", body["customer_id"])
    except NotFound:
        raise invalid(customer_id=[NOT_A_CUSTOMER])
    user = ext.users.create(username=body["username"] or body["email"],
                            password=secrets.token_urlsafe(48), role=CUSTOMER,
                            name=body["name"], email=body["email"],
                            language=body["language"], customer_id=body["customer_id"])
    ttl = min(ext.settings.portal_invite_seconds, INVITE_SECONDS_MAX)
    token = ext.users.open_reset(user, ttl)
    sent = True
    try:
        rpc("notify", "send_password_reset", {
            "recipient": {"name": user.name, "email": user.email, "language": user.language},
            "link": f"{ext.settings.public_base_url}/reset-password#{token}",
            "valid_minutes": ttl // 60, "kind": "invitation"})
    except ServisError:  # the account stands; staff may invite again (a new link)
        sent = False
    return {"user": public(user), "valid_until_seconds": ttl, "sent": sent}


# -- the tracking link (public) -------------------------------------------------------------------
TRACKING = "/tracking/<token>"
TOKEN_LONGEST = 64  # no tracking token of forms' is longer: not sent on


def tracked(token):
    """A tracking link's form as its customer sees it (portal's projection), or one 404 for
    a forged, revoked, expired or unknown link. Rate-limited per address with the price
    approval's links (APPROVAL_RATE_LIMIT a minute)."""
    limiter().hit(request.remote_addr)
    if not token or len(token) > TOKEN_LONGEST:
        raise NotFound(NO_TRACKING)
    return rpc("portal", "tracking", token)


@blp.route(TRACKING, methods=["GET"])
@blp.doc(security=[])
@blp.alt_response(200, success=True, description="The form's customer-visible timeline")
def tracking(token):
    """A form's customer-visible timeline behind its tracking link (public: the link on the
    intake slip and the e-mails is the key; staff make a new one with
    `POST /api/v1/forms/{id}/tracking`, and the old one stops working).

    The form's number, device, complaint, status in the customer's words and its timeline —
    what the portal shows its customer, nothing of the staff. A forged, revoked or expired
    link is a 404 that names no form. At most APPROVAL_RATE_LIMIT requests a minute per
    address (429)."""
    response = current_app.json.response(tracked(token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


BLUEPRINTS = (blp,)

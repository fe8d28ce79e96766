"""The price approval's page for the customer, `/approve/<token>` — the link in the e-mail:
the estimate, and approve or reject with a note. No sign-in, so the web shell's session and
its CSRF do not apply; this page has its own:

- it asks what the public API asks (gateway/approvals_api.py: the same rate limit per address,
  the same forms RPCs, the address and browser recorded with the decision);
- its post carries a CSRF token tied to the link's token (an HMAC with JWT_SECRET), compared
  in constant time, and a post from another origin is refused;
- its own Content-Security-Policy, narrower than the console's: no script at all (the page
  needs none: a plain form), styles and images from here only, posts only to here, never in
  a frame; `Referrer-Policy: no-referrer` and `Cache-Control: no-store` (the address is a
  secret), `X-Robots-Tag: noindex`;
- a link that does not work (used, expired, withdrawn, never ours) is one page, status 410,
  the same for all four but for the message that says which — no form, no customer, no
  amount;
- Turkish or English: `?lang=`, else the customer's language (the estimate's), else the
  `servis_lang` cookie, else Accept-Language, else Turkish; laid out for a phone (360 px).
"""
import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request
from marshmallow import ValidationError

from gateway import approvals_api
from gateway.web import i18n
from gateway.web.shell import FORM_EXPIRED, LANG_COOKIE
from services.common.exceptions import Forbidden, Gone, ServisError, validation_failed
from services.forms.api import DecisionIn

APPROVAL_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

bp = Blueprint("approve", __name__, template_folder="templates")


def csrf_for(token):
    """The decision form's CSRF token: an HMAC of the link's token (there is no session)."""
    return hmac.new(current_app.config["JWT_SECRET"].encode(),
                    b"price-approval:" + token.encode(), hashlib.sha256).hexdigest()


def check_csrf(token):
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise Forbidden(FORM_EXPIRED)
    given = request.form.get("csrf_token") or ""
    if not hmac.compare_digest(given.encode(), csrf_for(token).encode()):
        raise Forbidden(FORM_EXPIRED)


def choose_language(customer=None):
    wanted = request.values.get("lang")
    g.lang = wanted if wanted in i18n.LANGUAGES else i18n.choose(
        customer, request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language"))
    return g.lang


@bp.before_request
def _language():
    choose_language()


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = APPROVAL_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def page(template, status=200, **context):
    return render_template(template, **context), status


def gone_page(exc):
    """One page for every link that does not work: only the message differs."""
    return page("approval_gone.html", 410, message=i18n.error_text(exc))


@bp.errorhandler(ServisError)
def _error(exc):
    if isinstance(exc, Gone):
        return gone_page(exc)
    return page("approval_error.html", exc.http_status, message=i18n.error_text(exc))


@bp.get("/approve/<token>")
def approval(token):
    view = approvals_api.estimate_of(token)
    if request.args.get("lang") not in i18n.LANGUAGES:
        choose_language(view.get("language"))
    return page("approval.html", view=view, token=token, csrf=csrf_for(token))


@bp.post("/approve/<token>")
def decide(token):
    check_csrf(token)
    try:
        body = DecisionIn().load({"decision": request.form.get("decision") or "",
                                  "note": request.form.get("note") or None})
    except ValidationError as exc:
        view = approvals_api.estimate_of(token)
        problem = validation_failed(exc)
        return page("approval.html", 422, view=view, token=token, csrf=csrf_for(token),
                    error=i18n.error_text(problem), errors=i18n.field_errors(problem))
    decided = approvals_api.decide(token, body)
    return page("approval_done.html", decision=decided)

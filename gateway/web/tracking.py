"""A form's tracking page, `/track/<token>` — the link on the intake slip, in the e-mails and
behind the slip's QR code: with no sign-in, that form's customer-visible timeline (portal's
projection: the customer's words, nothing of the staff), Turkish or English. It asks what
the public API asks (gateway/portal_api.py `tracked`: the same rate limit per address, the
same portal RPC). A forged, revoked, expired or unknown link is one page, status 404, that
names no form. The headers are the approval page's (gateway/web/approval.py): no script at
all, `no-referrer`, `no-store` (the address is a secret), `noindex`; laid out for a phone."""
from flask import Blueprint, render_template, request

from gateway import portal_api
from gateway.web import i18n
from gateway.web.approval import APPROVAL_CSP, choose_language
from services.common.exceptions import NotFound, ServisError

bp = Blueprint("track", __name__, template_folder="templates")


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


@bp.errorhandler(ServisError)
def _error(exc):
    template = "tracking_gone.html" if isinstance(exc, NotFound) else "approval_error.html"
    return render_template(template, message=i18n.error_text(exc)), exc.http_status


@bp.get("/track/<token>")
def tracking(token):
    form = portal_api.tracked(token)
    if request.args.get("lang") not in i18n.LANGUAGES:
        choose_language(form.get("language"))
    return render_template("tracking.html", form=form)

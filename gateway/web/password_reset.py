"""The page a password-reset e-mail's and a portal invitation's link opens,
`/reset-password#<token>`: a new password set with the one-time token, through the same
machinery as `POST /api/v1/auth/password-reset/confirm` (gateway/accounts_api.py: the password
rules, one use, expiry, every earlier session ended). The token is in the address's fragment,
which no browser sends: a small script of ours (static/reset.js, allowed by the pages' CSP)
copies it into the form and takes it off the address bar. The rules' errors are shown on the
page; set, the account is signed in — a customer lands in the portal, staff in the console."""
from flask import current_app, redirect, request, url_for

from gateway.accounts_api import RESET_LINK_BAD, check_password
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.shell import COOKIE, bp, render, secure_cookies, sessions
from services.common.exceptions import ServisError, invalid
from services.common.roles import CUSTOMER

NOT_THE_SAME = N_("The two passwords are not the same.")


def _page(status=200, error=None, errors=(), token=""):
    response = current_app.make_response(render(
        "reset_password.html", status=status, error=error, errors=list(errors), token=token))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reset-password")
def reset_password_page():
    return _page()


@bp.post("/reset-password")
def reset_password_set():
    ext = current_app.extensions["servis"]
    token = (request.form.get("token") or "")[:200]
    password = (request.form.get("new_password") or "")[:200]
    if password != (request.form.get("new_password_again") or "")[:200]:
        return _page(422, gettext(NOT_THE_SAME), token=token)
    try:
        check_password(password)
    except ServisError as exc:
        return _page(422, error_text(exc), field_errors(exc), token=token)
    user = ext.users.use_reset(token, password)
    if user is None:
        problem = invalid(token=[RESET_LINK_BAD])
        return _page(422, error_text(problem), field_errors(problem))
    session, _ = sessions().open(user, ext.settings.token_ttl)
    target = "web.portal_home" if user.role == CUSTOMER else "web.home"
    response = redirect(url_for(target), 303)
    response.set_cookie(COOKIE, session, httponly=True, samesite="Lax",
                        secure=secure_cookies(), max_age=ext.settings.token_ttl, path="/")
    return response

"""The web shell every page uses: the blueprint, the sign-in session (a cookie: HttpOnly,
SameSite=Lax, Secure when PUBLIC_BASE_URL is https), CSRF on every post, the language, the
security headers, rendering and the error pages.

- Session: the cookie carries a random token; the accounts' database keeps its SHA-256 with
  the user's snapshot (gateway/users.py SessionStore). Only the pages read the cookie: the API
  stays bearer-only, so a browser's cookie never authorises an API call (no CSRF there).
- CSRF: every POST carries the session's token (a hidden `csrf_token`, or `X-CSRF-Token`);
  before sign-in the sign-in form carries an HMAC of a random pre-session cookie. A post from
  another origin (Origin header) is refused too.
- CSP without inline script for our pages (`frame-ancestors 'none'`); the Swagger UI page
  has its own (gateway/web/docs.py).
"""
import functools
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, g, redirect, render_template, request, url_for)

from gateway.auth import current_user
from gateway.users import SessionStore
from gateway.web import formatting, i18n
from gateway.web.i18n import N_, gettext
from services.common.exceptions import Forbidden, ServisError

COOKIE = "servis_session"
LANG_COOKIE = "servis_lang"
PRE_COOKIE = "servis_pre"  # the sign-in form's CSRF, before a session exists
FORM_EXPIRED = "The page has expired; reload it and try again."
SIGN_IN_FIRST = N_("Sign in first.")

# Our pages: no inline script or style, nothing from another origin, never in a frame. Pico's
# icons are data: SVGs in its CSS.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
            "object-src 'none'; frame-ancestors 'none'")

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


# page posts larger than the app's MAX_CONTENT_LENGTH (2 MB): path -> bytes (a portal
# request's photos: gateway/web/portal_pages.py)
LARGE_POSTS = {}


def sessions():
    ext = current_app.extensions["servis"]
    if not hasattr(ext, "sessions"):
        ext.sessions = SessionStore(ext.users)
    return ext.sessions


def secure_cookies():
    return current_app.extensions["servis"].settings.public_base_url.startswith("https://")


@bp.before_app_request
def _before():
    """For the pages only: the session's user (where the API's views look for the bearer
    token's user), the language, and the CSRF check of a post."""
    if request.blueprint not in ("web", "docs"):
        return None
    token = request.cookies.get(COOKIE)
    row = sessions().get(token) if token else None
    g.web_session, g.web_token = row, token if row else None
    if row is not None:
        g.user = {"id": row.user_id, "role": row.role, "name": row.name, "email": row.email,
                  "language": row.language, "customer_id": row.customer_id}
    g.lang = i18n.choose(row.language if row else None, request.cookies.get(LANG_COOKIE),
                         request.headers.get("Accept-Language"))
    if request.method == "POST" and request.blueprint == "web":
        if request.path in LARGE_POSTS:  # before the form is read (CSRF reads it)
            request.max_content_length = LARGE_POSTS[request.path]
        check_csrf()
    return None


def pre_token():
    """The sign-in form's CSRF token: an HMAC of the pre-session cookie."""
    pre = request.cookies.get(PRE_COOKIE) or g.get("new_pre")
    if not pre:
        pre = g.new_pre = secrets.token_urlsafe(24)
    return hmac.new(current_app.config["JWT_SECRET"].encode(), pre.encode(),
                    hashlib.sha256).hexdigest()


def csrf_token():
    row = g.get("web_session")
    return row.csrf if row is not None else pre_token()


def check_csrf():
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise Forbidden(FORM_EXPIRED)
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    row = g.get("web_session")
    if row is not None:
        expected = row.csrf
    elif request.cookies.get(PRE_COOKIE):
        expected = pre_token()
    else:
        raise Forbidden(FORM_EXPIRED)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden(FORM_EXPIRED)


@bp.after_app_request
def _headers(response):
    """Security headers on every answer of the gateway (pages, API, files)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.blueprint == "web" and request.endpoint != "web.static":
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
    pre = g.get("new_pre")
    if pre:
        response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="Lax",
                            secure=secure_cookies(), path="/")
    return response


# -- rendering ---------------------------------------------------------------------------------
def signed_in():
    return g.get("web_session") is not None


def render(template, status=200, **context):
    return render_template(template, **context), status


@bp.app_context_processor
def _context():
    if request.path.startswith("/api/") and request.blueprint != "docs":
        return {}
    from gateway.web.nav import nav  # the nav asks the access table
    return {"user": g.get("user") if signed_in() else None, "lang": i18n.language(),
            "csrf_token": csrf_token, "nav": nav() if signed_in() else [],
            "name_of": i18n.name_of, "language_back": language_back}


def language_back():
    """Where the language switch comes back to: this page; a page shown by a POST (a form sent
    back with its errors) by its address when that address has a page (GET), else home."""
    if request.method == "GET":
        return request.full_path
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
    except Exception:  # no page at that address (werkzeug's NotFound / MethodNotAllowed)
        return "/"
    return request.path


def setup_jinja(app):
    env = app.jinja_env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True)
    env.filters.update(formatting.FILTERS)
    env.filters["name"] = i18n.name_of
    env.policies["ext.i18n.trimmed"] = True


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signed_in():
            if request.headers.get("HX-Request"):
                return error_page(401, gettext(SIGN_IN_FIRST))
            return redirect(url_for("web.home", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def error_page(status, message, details=()):
    return render("error.html", status=status, status_code=status, message=message,
                  details=list(details))


def page_error(exc):
    """A service's or the gateway's error on a page: its message in the page's language."""
    return error_page(exc.http_status, i18n.error_text(exc), i18n.field_errors(exc))


bp.register_error_handler(ServisError, page_error)


def current():
    """The signed-in user (the session's), as the API's views see theirs."""
    return current_user()


@bp.errorhandler(500)
def _internal(exc):
    return error_page(500, gettext("Internal error; it has been logged."))

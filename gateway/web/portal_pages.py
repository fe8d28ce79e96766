"""The customer portal's pages (/portal/, issue 16) on the one web shell: sign-in for customer
accounts, my forms and requests, a form's page with its timeline, my devices, a new request
with photos. Each page calls the API route it stands on through the access table
(gateway/web/api.py), as the console's do: the portal's routes admit the customer role only
(the review queue aside), and portal's customer scope answers another customer's record with
a 404 — the pages hold no rule of their own."""
import base64
import functools

from flask import current_app, g, redirect, request, url_for

from gateway.accounts_api import WRONG_PASSWORD, limiter
from gateway.auth import TooManyRequests, Unauthorized
from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.shell import (COOKIE, LANG_COOKIE, LARGE_POSTS, bp, error_page, page_error, render,
                               secure_cookies, sessions, signed_in)
from services.common.exceptions import ServisError
from services.common.roles import CUSTOMER
from services.common.text import tr_lower
from services.forms.api import DOCUMENT_KINDS
from services.portal.api import MAX_PHOTO_BYTES, MAX_PHOTOS

STAFF_ACCOUNT = N_("This is the customer portal: staff sign in to the console.")
NOT_A_CUSTOMER = N_("The portal is for customer accounts.")
PHOTO_TOO_BIG = N_("At most 5 MB a photo.")
LARGE_POSTS["/portal/requests/new"] = (MAX_PHOTOS + 1) * MAX_PHOTO_BYTES  # the photos' files


def _customer_page(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signed_in():
            return redirect(url_for("web.portal_home"))
        if g.user["role"] != CUSTOMER:
            return error_page(403, gettext(NOT_A_CUSTOMER))
        return view(*args, **kwargs)
    return wrapper


@bp.get("/portal/")
def portal_home():
    if not signed_in():
        return render("portal_signin.html")
    if g.user["role"] != CUSTOMER:
        return error_page(403, gettext(NOT_A_CUSTOMER))
    forms, requests, error = [], [], None
    try:
        forms = api.call("GET", "/portal/forms", query={"limit": 50})["items"]
        requests = api.call("GET", "/portal/requests", query={"limit": 50})["items"]
    except ServisError as exc:
        error = error_text(exc)
    return render("portal_home.html", forms=forms, requests=requests, error=error)


@bp.post("/portal/signin")
def portal_signin():
    ext = current_app.extensions["servis"]
    username = (request.form.get("username") or "").strip()[:80]
    password = (request.form.get("password") or "")[:200]
    key = (tr_lower(username), request.remote_addr)
    try:
        limiter.check(key)
    except TooManyRequests as exc:
        return render("portal_signin.html", status=429, error=error_text(exc),
                      username=username)
    user = ext.users.authenticate(username, password) if username and password else None
    if user is None:
        limiter.failed(key)
        return render("portal_signin.html", status=401, username=username,
                      error=error_text(Unauthorized(WRONG_PASSWORD)))
    limiter.succeeded(key)
    if user.role != CUSTOMER:
        return render("portal_signin.html", status=403, error=gettext(STAFF_ACCOUNT))
    token, _ = sessions().open(user, ext.settings.token_ttl)
    response = redirect(url_for("web.portal_home"), 303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=secure_cookies(),
                        max_age=ext.settings.token_ttl, path="/")
    return response


@bp.get("/portal/devices")
@_customer_page
def portal_devices():
    devices = api.call("GET", "/portal/devices", query={"limit": 200})["items"]
    return render("portal_devices.html", devices=devices)


@bp.get("/portal/forms/<id:form_id>")
@_customer_page
def portal_form(form_id):
    try:
        form = api.call("GET", "/portal/forms/<id:form_id>", {"form_id": form_id})
    except ServisError as exc:
        return page_error(exc)
    return _form_page(form)


SURVEYED = ("DELIVERED", "FINAL_CHECK")  # delivered: the survey is asked


def _form_page(form, status=200, error=None, errors=(), values=None):
    """The form's page: its timeline (portal's projection), the estimate to decide, its papers
    (forms: the customer's own form only) and, once delivered, the survey. The papers and
    questions come from forms: with forms stopped the page still shows the timeline."""
    documents, questions = [], []
    try:
        documents = api.call("GET", "/portal/forms/<id:form_id>/documents",
                             {"form_id": form["id"]})["items"]
        if form["status"] in SURVEYED:
            questions = api.call("GET", "/portal/survey-questions")["items"]
    except ServisError as exc:
        if exc.http_status == 404:
            raise
    return render("portal_form.html", status=status, form=form, documents=documents,
                  kinds=DOCUMENT_KINDS, questions=questions, error=error, errors=list(errors),
                  values=values or {})


@bp.get("/portal/forms/<id:form_id>/documents/<id:document_id>")
@_customer_page
def portal_document(form_id, document_id):
    try:
        return api.call("GET", "/portal/forms/<id:form_id>/documents/<id:document_id>",
                        {"form_id": form_id, "document_id": document_id})
    except ServisError as exc:
        return page_error(exc)


@bp.post("/portal/forms/<id:form_id>/survey")
@_customer_page
def portal_survey(form_id):
    """The customer's satisfaction survey (forms records it as the representative's call)."""
    f = request.form
    answers = [{"question_id": int(k[2:]), "value": int(v)} for k, v in f.items()
               if k.startswith("q_") and k[2:].isdigit() and v.lstrip("-").isdigit()]
    body = {"answers": answers, "note": (f.get("note") or "").strip() or None}
    try:
        api.call("POST", "/portal/forms/<id:form_id>/survey", {"form_id": form_id}, body=body)
    except ServisError as exc:
        try:
            form = api.call("GET", "/portal/forms/<id:form_id>", {"form_id": form_id})
        except ServisError as missing:
            return page_error(missing)
        return _form_page(form, exc.http_status, error_text(exc), field_errors(exc), f)
    return redirect(url_for("web.portal_form", form_id=form_id, surveyed=1), 303)


@bp.get("/portal/requests/<id:request_id>")
@_customer_page
def portal_request(request_id):
    try:
        req = api.call("GET", "/portal/requests/<id:request_id>", {"request_id": request_id})
    except ServisError as exc:
        return page_error(exc)
    return render("portal_request.html", req=req)


@bp.get("/portal/requests/<id:request_id>/photos/<id:photo_id>")
@_customer_page
def portal_photo(request_id, photo_id):
    try:
        return api.call("GET", "/portal/requests/<id:request_id>/photos/<id:photo_id>",
                        {"request_id": request_id, "photo_id": photo_id})
    except ServisError as exc:
        return page_error(exc)


def _new_request_page(status=200, error=None, errors=(), values=None):
    devices = api.call("GET", "/portal/devices", query={"limit": 200})["items"]
    return render("portal_new.html", status=status, devices=devices, error=error,
                  errors=list(errors), values=values or {}, max_photos=MAX_PHOTOS)


@bp.get("/portal/requests/new")
@_customer_page
def portal_new_request():
    return _new_request_page()


@bp.post("/portal/requests/new")
@_customer_page
def portal_submit_request():
    f = request.form
    body = {"complaint": f.get("complaint") or ""}
    device = f.get("device_id") or ""
    if device.isdigit():
        body["device_id"] = int(device)
    else:
        body["device"] = {k: (f.get(k) or "").strip() or None
                          for k in ("brand", "serial", "model", "site")}
    photos = []
    for upload in request.files.getlist("photos")[:MAX_PHOTOS + 1]:
        if not upload or not upload.filename:
            continue
        data = upload.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            return _new_request_page(422, gettext(PHOTO_TOO_BIG), values=f)
        photos.append({"filename": upload.filename[:200],
                       "content_b64": base64.b64encode(data).decode()})
    body["photos"] = photos
    try:
        made = api.call("POST", "/portal/requests", body=body)
    except ServisError as exc:
        return _new_request_page(exc.http_status, error_text(exc), field_errors(exc), f)
    return redirect(url_for("web.portal_request", request_id=made["id"]), 303)


@bp.post("/portal/forms/<id:form_id>/price-decision")
@_customer_page
def portal_price_decision(form_id):
    """Approve or reject the estimate on the form's page: forms records it (via portal)."""
    decision = request.form.get("decision")
    try:
        api.call("POST", "/portal/forms/<id:form_id>/price-decision", {"form_id": form_id},
                 body={"decision": decision})
    except ServisError as exc:
        return page_error(exc)
    return redirect(url_for("web.portal_form", form_id=form_id, decided=decision), 303)


@bp.get("/portal/profile")
@_customer_page
def portal_profile():
    user = current_app.extensions["servis"].users.get(g.user["id"])
    return render("portal_profile.html", user=user, values={}, errors=[])


@bp.post("/portal/profile")
@_customer_page
def portal_profile_save():
    """Your name and language (PATCH /api/v1/me's work): the pages and e-mails take them."""
    from gateway.accounts_api import ProfileIn, update_profile
    from marshmallow import ValidationError
    from services.common.exceptions import validation_failed
    ext = current_app.extensions["servis"]
    f = request.form
    try:
        body = ProfileIn().load({"name": f.get("name") or "", "language": f.get("language"),
                                 "version": f.get("version")})
        update_profile(g.user["id"], body)
    except (ValidationError, ServisError) as exc:
        problem = validation_failed(exc) if isinstance(exc, ValidationError) else exc
        return render("portal_profile.html", status=problem.http_status,
                      user=ext.users.get(g.user["id"]), values=f, error=error_text(problem),
                      errors=field_errors(problem))
    response = redirect(url_for("web.portal_profile", saved=1), 303)
    response.set_cookie(LANG_COOKIE, body.get("language") or g.lang, samesite="Lax",
                        secure=secure_cookies(), max_age=365 * 24 * 3600, path="/")
    return response

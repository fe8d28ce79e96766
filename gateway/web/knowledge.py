"""The knowledge archive (teknik bilgi arşivi) on the console: search with the service's
highlighted snippets (`<mark>` around the matches in the original text, the rest escaped by
the service), the articles in Turkish title order, an article's page with its revisions,
create and edit with the version contract, publish / archive / back to draft. Every call is
the API's route (gateway/knowledge_api.py) through gateway/web/api.py."""
import re

from flask import redirect, request, url_for
from markupsafe import Markup

from gateway.web import api
from gateway.web.i18n import N_, error_text, field_errors, gettext
from gateway.web.pages import STALE, as_int, page
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError

ARTICLES = "/knowledge/articles"
ARTICLE = ARTICLES + "/<id:article_id>"
STATUSES = (("published", N_("Published")), ("draft", N_("Draft")),
            ("archived", N_("Archived")))
LISTS = ("device_types", "models", "fault_codes", "tags")  # typed comma-separated
TEXTS = ("family", "area", "title", "symptoms", "cause", "language")
MOVES = {"draft": (("published", N_("Publish")), ("archived", N_("Archive"))),
         "published": (("archived", N_("Archive")), ("draft", N_("Back to draft"))),
         "archived": (("published", N_("Publish again")), ("draft", N_("Back to draft")))}


def snippet(hit, field):
    """The service's snippet of a hit's field: HTML with <mark> (the rest escaped there)."""
    found = (hit.get("highlights") or {}).get(field)
    return Markup(found["snippet"]) if found and found.get("snippet") else None


@bp.get("/knowledge")
@page("GET", "/knowledge/search")
def knowledge():
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") if request.args.get("status") in dict(STATUSES) \
        else "published"
    hits, items, following, error = [], [], None, None
    try:
        if q:
            hits = api.call("GET", "/knowledge/search", query={"q": q, "status": status,
                                                               "limit": 30})["hits"]
        else:
            query = {"status": status, "sort": "title", "limit": 30}
            if request.args.get("cursor"):
                query["cursor"] = request.args["cursor"]
            answer = api.call("GET", ARTICLES, query=query)
            items, following = answer["items"], answer["next_cursor"]
    except ServisError as exc:
        error = error_text(exc)
    context = dict(q=q, chosen=status, statuses=STATUSES, hits=hits, items=items, error=error,
                   snippet=snippet, following=url_for("web.knowledge", status=status,
                                                      cursor=following) if following else None)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "kb-results":
        return render("partials/kb_results.html", **context)
    return render("knowledge.html", may_write=api.may("POST", ARTICLES), **context)


@bp.get("/knowledge/<id:article_id>")
@page("GET", ARTICLE)
def article_page(article_id, status=200, error=None):
    article = api.call("GET", ARTICLE, {"article_id": article_id})
    revisions = api.call("GET", ARTICLE + "/revisions", {"article_id": article_id})["items"]
    return render("article.html", status=status, article=article, revisions=revisions,
                  error=error, moves=MOVES.get(article["status"], ()),
                  statuses=dict(STATUSES), may_edit=api.may("PATCH", ARTICLE),
                  may_move=api.may("POST", ARTICLE + "/status"))


def article_body(form):
    body = {k: (form.get(k) or "").strip() or None for k in TEXTS if k in form}
    if body.get("language") is None:
        body.pop("language", None)
    if "solution_steps" in form:
        body["solution_steps"] = [s.strip() for s in form.get("solution_steps", "").splitlines()
                                  if s.strip()]
    for key in LISTS:
        if key in form:
            body[key] = [s.strip() for s in re.split(r"[,\n]", form.get(key, "")) if s.strip()]
    return body


def edit_page(article=None, status=200, error=None, errors=(), values=None):
    if values is None and article is not None:
        values = {**{k: article.get(k) or "" for k in TEXTS},
                  "solution_steps": "\n".join(article.get("solution_steps") or []),
                  **{k: ", ".join(article.get(k) or []) for k in LISTS}}
    return render("article_edit.html", status=status, article=article, values=values or {},
                  error=error, errors=list(errors))


@bp.get("/knowledge/new")
@page("POST", ARTICLES)
def new_article():
    return edit_page()


@bp.post("/knowledge/new")
@page("POST", ARTICLES)
def create_article():
    try:
        article = api.call("POST", ARTICLES, body=article_body(request.form))
    except ServisError as exc:
        if isinstance(exc, Forbidden):
            raise
        return edit_page(None, exc.http_status, error_text(exc), field_errors(exc),
                         request.form.to_dict())
    return redirect(url_for("web.article_page", article_id=article["id"]), 303)


@bp.get("/knowledge/<id:article_id>/edit")
@page("PATCH", ARTICLE)
def edit_article(article_id):
    return edit_page(api.call("GET", ARTICLE, {"article_id": article_id}))


def versioned_write(article_id, method, rule, body, back):
    version = as_int(request.form.get("version"))
    try:
        api.call(method, rule, {"article_id": article_id}, body=body,
                 version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE), reload=back)
        return article_page(article_id, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        if method == "PATCH":
            return edit_page(api.call("GET", ARTICLE, {"article_id": article_id}),
                             exc.http_status, error_text(exc), field_errors(exc),
                             request.form.to_dict())
        return article_page(article_id, exc.http_status, error_text(exc))
    return redirect(url_for("web.article_page", article_id=article_id), 303)


@bp.post("/knowledge/<id:article_id>/edit")
@page("PATCH", ARTICLE)
def update_article(article_id):
    return versioned_write(article_id, "PATCH", ARTICLE, article_body(request.form),
                           url_for("web.edit_article", article_id=article_id))


@bp.post("/knowledge/<id:article_id>/status")
@page("POST", ARTICLE + "/status")
def move_article(article_id):
    body = {"status": request.form.get("status") or ""}
    note = (request.form.get("note") or "").strip()
    if note:
        body["note"] = note
    return versioned_write(article_id, "POST", ARTICLE + "/status", body,
                           url_for("web.article_page", article_id=article_id))

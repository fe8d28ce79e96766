"""The knowledge archive's REST API (/api/v1/knowledge/..., /api/v1/forms/{id}/suggestions and
/solutions). Pass-through routes are declared (gateway/routes.py); the views on a form are
written by hand (they ask forms, then knowledge).

Roles: every staff role reads and searches (a portal customer gets 403); technicians, managers
and admins write drafts (a technician only edits and deletes a draft of their own: the service
checks that); managers and admins publish, archive and change a code's prefix; admin reindexes.
"""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway.auth import roles
from gateway.helpers import Page, actor, rpc
from gateway.routes import Route, declare, expose, guard, items
from services.common.roles import ADMINS, MANAGE, STAFF, WORK
from services.common.schemas import id_field
from services.knowledge.api import (ArticleIn, ArticleQuery, ArticleUpdate, SearchQuery,
                                    StatusIn, SuggestIn)

blp = Blueprint("knowledge", __name__, url_prefix="/api/v1",
                description="The technical knowledge archive (teknik bilgi arşivi)")
ARTICLE = "/knowledge/articles/<id:article_id>"


class LinkBody(Schema):
    article_id = id_field(required=True)


class SearchAnswer(Schema):
    hits = fields.List(fields.Dict())
    engine = fields.String()


ROUTES = declare(blp, [
    Route("GET", "/knowledge/articles", "knowledge", "list_articles", STAFF, args=("query",),
          query=ArticleQuery, response=Page,
          doc="Articles in Turkish title order (`sort=title`), or `sort=code` / "
              "`sort=-updated_at`; filters `status`, `family`, `area`; cursor pages."),
    Route("POST", "/knowledge/articles", "knowledge", "create_article", WORK,
          args=("body", "actor"), body=ArticleIn, status=201, etag=True,
          doc="Write a draft. `family` and `area` (2-6 uppercase letters) make the code's "
              "prefix; the number is assigned: KLM-ELK-0042."),
    Route("GET", ARTICLE, "knowledge", "get_article", STAFF, args=("article_id",), etag=True,
          doc="One article."),
    Route("PATCH", ARTICLE, "knowledge", "update_article", WORK,
          args=("article_id", "body", "actor"), body=ArticleUpdate(partial=True),
          versioned=True, etag=True,
          doc="Change an article: the fields given. Changing `family`/`area` gives a new code "
              "(managers)."),
    Route("DELETE", ARTICLE, "knowledge", "delete_article", WORK,
          args=("article_id", "actor", "body"), status=204, versioned=True,
          doc="Delete an article (managers and admins; a technician only a draft of their "
              "own)."),
    Route("POST", ARTICLE + "/status", "knowledge", "set_status", MANAGE,
          args=("article_id", "body", "actor"), body=StatusIn, versioned=True, etag=True,
          doc="Publish, archive or send back to draft: {status, note}."),
    Route("GET", ARTICLE + "/revisions", "knowledge", "revisions", STAFF, args=("article_id",),
          answer=items, doc="The article's revision history, newest first."),
    Route("GET", "/knowledge/search", "knowledge", "search", STAFF, args=("query",),
          query=SearchQuery, response=SearchAnswer,
          doc="Ranked hits with snippets of the original text (`<mark>` around matches). "
              "Turkish-aware (ışık finds IŞIK), typo-tolerant (one letter in words of 5+), "
              "prefix (termost), codes (KLM-ELK-0042, fault codes) exact and first. Filters: "
              "device_type, model, fault_code, status (default published)."),
    Route("GET", "/knowledge/suggestions", "knowledge", "suggest", STAFF, args=("query",),
          query=SuggestIn, answer=lambda call, result: {**result, "next_cursor": None},
          doc="Published articles for a complaint not yet on a form (the intake screen "
              "suggests them as the complaint is typed): `complaint`, `device_type`, `model`, "
              "`limit` — the same ranking as a form's suggestions."),
    Route("POST", "/knowledge/reindex", "knowledge", "reindex", ADMINS, timeout=600,
          doc="Rebuild the search index from the database (admin)."),
    Route("DELETE", "/forms/<id:form_id>/solutions/<id:article_id>", "knowledge",
          "unlink_solution", WORK, args=("article_id", "form_id", "actor"), status=204,
          record="form",
          doc="Remove an article from this form's solutions (its solved_count goes down)."),
])


# -- the knowledge archive on a service form (forms, then knowledge) ---------------------------
@blp.route("/forms/<id:form_id>/suggestions", methods=["GET"])
@roles(*STAFF)
def form_suggestions(form_id):
    """Published articles that match the form's complaint, device type and model (known fixes)."""
    return suggestions_for({"form_id": form_id})


@expose("GET", "/api/v1/forms/<id:form_id>/suggestions", STAFF)
def suggestions_for(view_args, body=None, query=None, version=None):
    form = rpc("forms", "get_form", view_args["form_id"])
    guard("form", view_args)
    device = form.get("device") or {}
    return rpc("knowledge", "suggest", {"complaint": form.get("complaint"),
                                        "device_type": device.get("device_type"),
                                        "model": device.get("model")})


@blp.route("/forms/<id:form_id>/solutions")
class FormSolutions(MethodView):
    @roles(*STAFF)
    def get(self, form_id):
        """The articles recorded as this form's solution."""
        return solutions_of({"form_id": form_id})

    @roles(*WORK)
    @blp.arguments(LinkBody)
    def post(self, body, form_id):
        """Record a published article as this form's solution: {article_id}. The article's
        `solved_count` goes up by one; the same pair twice is a 409."""
        return link_solution({"form_id": form_id}, body), 201


@expose("GET", "/api/v1/forms/<id:form_id>/solutions", STAFF)
def solutions_of(view_args, body=None, query=None, version=None):
    rpc("forms", "get_form", view_args["form_id"])  # 404 for an unknown form
    guard("form", view_args)
    return rpc("knowledge", "solutions_for_form", view_args["form_id"])


@expose("POST", "/api/v1/forms/<id:form_id>/solutions", WORK, body=LinkBody)
def link_solution(view_args, body, query=None, version=None):
    form = rpc("forms", "get_form", view_args["form_id"])
    guard("form", view_args, write=True)
    return rpc("knowledge", "link_solution", {
        "article_id": body["article_id"],
        "form": {"id": form["id"], "number": form["number"]}}, actor())


BLUEPRINTS = (blp,)

"""The knowledge archive's REST API (/api/v1/knowledge/..., /api/v1/forms/{id}/suggestions and
/solutions): thin views that check the role, validate with the knowledge service's own
schemas, call its RPCs and return the answer.

Roles: every staff role reads and searches (a portal customer gets 403); technicians, managers
and admins write drafts (a technician only edits and deletes a draft of their own: the service
checks that); managers and admins publish, archive and change a code's prefix; admin reindexes.
"""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway.api import Page, actor, rpc
from gateway.auth import roles
from gateway.users import STAFF
from services.common.exceptions import PreconditionRequired, ValidationFailed
from services.common.schemas import id_field
from services.knowledge.domain import EDITORS, WRITERS
from services.knowledge.schemas import (ArticleIn, ArticleQuery, ArticleUpdate, SearchQuery,
                                        StatusIn)

READERS = STAFF
ID = "int(max=2147483647)"

knowledge_blp = Blueprint("knowledge", __name__, url_prefix="/api/v1",
                          description="The technical knowledge archive (teknik bilgi arşivi)")


class LinkBody(Schema):
    article_id = id_field(required=True)


class SearchAnswer(Schema):
    hits = fields.List(fields.Dict())
    engine = fields.String()


def _version(body):
    """The version the client read: the body's `version` or the If-Match header (428 when
    neither is given, 422 when If-Match is not a number)."""
    if body.get("version") is not None:
        return body["version"]
    header = (request.headers.get("If-Match") or "").strip().strip('"').removeprefix("W/").strip('"')
    if not header:
        raise PreconditionRequired("State the version you read: `version` in the body or an "
                                   "If-Match header.", {"version": None})
    if not header.isdigit() or not 1 <= int(header) <= 2**31 - 1:
        raise ValidationFailed("The input is not valid.", {"If-Match": ["Not a version."]})
    return int(header)


@knowledge_blp.route("/knowledge/articles")
class Articles(MethodView):
    @roles(*READERS)
    @knowledge_blp.arguments(ArticleQuery, location="query")
    @knowledge_blp.response(200, Page)
    def get(self, query):
        """Articles in Turkish title order (`sort=title`), or `sort=code` / `sort=-updated_at`;
        filters `status`, `family`, `area`; cursor pages."""
        return rpc("knowledge", "list_articles", query)

    @roles(*WRITERS)
    @knowledge_blp.arguments(ArticleIn)
    def post(self, body):
        """Write a draft. `family` and `area` (2-6 uppercase letters) make the code's prefix; the
        number is assigned: KLM-ELK-0042."""
        return rpc("knowledge", "create_article", request.get_json(), actor()), 201


@knowledge_blp.route(f"/knowledge/articles/<{ID}:article_id>")
class ArticleView(MethodView):
    @roles(*READERS)
    def get(self, article_id):
        """One article."""
        return rpc("knowledge", "get_article", article_id)

    @roles(*WRITERS)
    @knowledge_blp.arguments(ArticleUpdate(partial=True))  # version may be If-Match
    def patch(self, body, article_id):
        """Change an article: the fields given, with the `version` you read (or If-Match);
        stale → 409, missing → 428. Changing `family`/`area` gives a new code (managers)."""
        data = {**request.get_json(), "version": _version(body)}
        return rpc("knowledge", "update_article", article_id, data, actor())

    @roles(*WRITERS)
    def delete(self, article_id):
        """Delete an article (managers and admins; a technician only a draft of their own)."""
        rpc("knowledge", "delete_article", article_id, actor())
        return "", 204


@knowledge_blp.route(f"/knowledge/articles/<{ID}:article_id>/status", methods=["POST"])
@roles(*EDITORS)
@knowledge_blp.arguments(StatusIn)
def article_status(body, article_id):
    """Publish, archive or send back to draft: {status, version, note}."""
    return rpc("knowledge", "set_status", article_id, request.get_json(), actor())


@knowledge_blp.route(f"/knowledge/articles/<{ID}:article_id>/revisions", methods=["GET"])
@roles(*READERS)
def article_revisions(article_id):
    """The article's revision history, newest first."""
    return {"items": rpc("knowledge", "revisions", article_id), "next_cursor": None}


@knowledge_blp.route("/knowledge/search", methods=["GET"])
@roles(*READERS)
@knowledge_blp.arguments(SearchQuery, location="query")
@knowledge_blp.response(200, SearchAnswer)
def search(query):
    """Ranked hits with snippets of the original text (`<mark>` around matches). Turkish-aware
    (ışık finds IŞIK), typo-tolerant (one letter in words of 5+), prefix (termost), codes
    (KLM-ELK-0042, fault codes) exact and first. Filters: device_type, model, fault_code,
    status (default published)."""
    return rpc("knowledge", "search", query)


@knowledge_blp.route("/knowledge/reindex", methods=["POST"])
@roles("admin")
def reindex():
    """Rebuild the search index from the database (admin)."""
    return rpc("knowledge", "reindex", timeout=600)


# -- the knowledge archive on a service form --------------------------------------------------
@knowledge_blp.route(f"/forms/<{ID}:form_id>/suggestions", methods=["GET"])
@roles(*READERS)
def form_suggestions(form_id):
    """Published articles that match the form's complaint, device type and model (known fixes)."""
    form = rpc("forms", "get_form", form_id)
    device = form.get("device") or {}
    return rpc("knowledge", "suggest", {"complaint": form.get("complaint"),
                                        "device_type": device.get("device_type"),
                                        "model": device.get("model")})


@knowledge_blp.route(f"/forms/<{ID}:form_id>/solutions")
class FormSolutions(MethodView):
    @roles(*READERS)
    def get(self, form_id):
        """The articles recorded as this form's solution."""
        rpc("forms", "get_form", form_id)  # 404 for an unknown form
        return rpc("knowledge", "solutions_for_form", form_id)

    @roles(*WRITERS)
    @knowledge_blp.arguments(LinkBody)
    def post(self, body, form_id):
        """Record a published article as this form's solution: {article_id}. The article's
        `solved_count` goes up by one; the same pair twice is a 409."""
        form = rpc("forms", "get_form", form_id)
        return rpc("knowledge", "link_solution", {
            "article_id": body["article_id"],
            "form": {"id": form["id"], "number": form["number"]}}, actor()), 201


@knowledge_blp.route(f"/forms/<{ID}:form_id>/solutions/<{ID}:article_id>", methods=["DELETE"])
@roles(*WRITERS)
def unlink_solution(form_id, article_id):
    """Remove an article from this form's solutions (its solved_count goes down)."""
    rpc("knowledge", "unlink_solution", article_id, form_id, actor())
    return "", 204


BLUEPRINTS = (knowledge_blp,)

from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuery, Trimmed, id_field, language_field, version_field
from services.knowledge.domain import CODE_PART, STATUSES


def _items(max_items=50, max_len=100):
    return fields.List(Trimmed(validate=validate.Length(max=max_len)),
                       validate=validate.Length(max=max_items), load_default=list)


def _code_part(**kw):
    return fields.String(validate=validate.Regexp(
        CODE_PART, error="2-6 uppercase ASCII letters (e.g. KLM, ELK)."), **kw)


class ArticleIn(Schema):
    family = _code_part(required=True)  # device family: KLM
    area = _code_part(required=True)  # fault area: ELK
    title = Trimmed(required=True, validate=validate.Length(max=300))
    symptoms = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    cause = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    solution_steps = _items(max_items=100, max_len=5000)
    device_types = _items()
    models = _items()
    fault_codes = _items(max_len=40)
    tags = _items(max_len=60)
    language = language_field()


class ArticleUpdate(ArticleIn):
    """A change: only the fields given; `version` is the one the client read (missing: 428)."""
    version = version_field(load_default=None, allow_none=True)


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = version_field(load_default=None, allow_none=True)  # missing: 428
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ArticleQuery(PageQuery):
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(STATUSES))
    family = _code_part(load_default=None, allow_none=True)
    area = _code_part(load_default=None, allow_none=True)
    sort = fields.String(load_default="title",
                         validate=validate.OneOf(("title", "code", "-updated_at")))


class SearchQuery(Schema):
    q = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    fault_code = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=40))
    status = fields.String(load_default="published", validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SuggestIn(Schema):
    complaint = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))


class FormRef(Schema):
    id = id_field(required=True)
    number = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=20))


class LinkIn(Schema):
    article_id = id_field(required=True)
    form = fields.Nested(FormRef, required=True)


class Actor(Schema):
    id = fields.Integer(required=True)
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr")
    role = fields.String(required=True)


class ArticleOut(Schema):
    id = fields.Integer()
    code = fields.String()
    family = fields.String()
    area = fields.String()
    number = fields.Integer()
    title = fields.String()
    symptoms = fields.String(allow_none=True)
    cause = fields.String(allow_none=True)
    solution_steps = fields.List(fields.String())
    device_types = fields.List(fields.String())
    models = fields.List(fields.String())
    fault_codes = fields.List(fields.String())
    tags = fields.List(fields.String())
    language = fields.String()
    status = fields.String()
    version = fields.Integer()
    author = fields.Method("_author")
    solved_count = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)

    def _author(self, article):
        return {"user_id": article.author_id, "name": article.author_name}


class RevisionOut(Schema):
    version = fields.Integer()
    action = fields.String()
    snapshot = fields.Dict()
    by = fields.Method("_by")
    note = fields.String(allow_none=True)
    at = fields.DateTime()

    def _by(self, rev):
        return {"user_id": rev.by_id, "name": rev.by_name}


class LinkOut(Schema):
    article_id = fields.Integer()
    form_id = fields.Integer()
    form_number = fields.String(allow_none=True)
    by = fields.Method("_by")
    at = fields.DateTime()

    def _by(self, link):
        return {"user_id": link.by_id, "name": link.by_name}


class Versioned(Schema):
    """A write that carries nothing but the version read (deleting an article)."""
    version = version_field(load_default=None, allow_none=True)

"""Rules of the knowledge archive (teknik bilgi arşivi). Plain Python: no framework imports.

* Codes: ``FAMILY-AREA-NNNN`` (``KLM-ELK-0042``): device family and fault area are 2-6
  uppercase ASCII letters; the number comes from one sequence per (family, area), never reused.
* Status: draft → published → archived (and back, see TRANSITIONS). Technicians write and edit
  their own drafts; managers and admins edit anything and publish/archive.
* The search document: what every engine indexes for an article (originals for snippets; each
  engine folds what it searches).
"""
import re

from services.common import roles
from services.common.exceptions import Conflict, Forbidden, PreconditionRequired

CODE_PART = re.compile(r"\A[A-Z]{2,6}\Z")  # \Z: "KLM\n" is not a code part
STATUSES = ("draft", "published", "archived")
TRANSITIONS = {  # from -> allowed targets
    "draft": ("published", "archived"),
    "published": ("draft", "archived"),
    "archived": ("published", "draft"),
}
WRITERS = roles.WORK  # may create drafts
EDITORS = roles.MANAGE  # may edit any article, publish, archive, change the code prefix
TEXT_FIELDS = ("title", "symptoms", "cause", "solution_steps")  # highlighted in hits
LIST_FIELDS = ("device_types", "models", "fault_codes", "tags")


def format_code(family, area, number):
    return f"{family}-{area}-{number:04d}"


def check_code_part(value):
    """Device family / fault area: 2-6 uppercase ASCII letters (``KLM``, ``ELK``)."""
    return bool(CODE_PART.match(value or ""))


def can_edit(actor, article):
    """Managers and admins edit any article; a technician only a draft of their own."""
    role = actor.get("role")
    if role in EDITORS:
        return
    if role == "technician" and article.status == "draft" and article.author_id == actor["id"]:
        return
    raise Forbidden("Only managers and admins edit published or archived articles, and a "
                    "technician only their own drafts.",
                    {"article_id": article.id, "status": article.status})


def can_change_prefix(actor):
    if actor.get("role") not in EDITORS:
        raise Forbidden("Only managers and admins change an article's code prefix.",
                        {"allowed_roles": list(EDITORS)})


def check_transition(actor, article, target):
    if actor.get("role") not in EDITORS:
        raise Forbidden("Only managers and admins publish or archive articles.",
                        {"allowed_roles": list(EDITORS)})
    if target not in TRANSITIONS[article.status]:
        raise Conflict("An article that is {from} cannot become {to}.",
                       {"from": article.status, "to": target,
                        "allowed": list(TRANSITIONS[article.status])})


def check_version(article, version):
    """A write states the version of the article it read: missing 428, stale 409."""
    if version is None:
        raise PreconditionRequired("State the version you read (If-Match header or `version`).",
                                   {"version": article.version})
    if version != article.version:
        raise Conflict("The article was changed by someone else; reload it.",
                       {"version": article.version, "given": version})


def clean_list(values):
    """Trimmed, without blanks and repeats (first spelling kept, compared folded)."""
    from services.common.text import fold
    out, seen = [], set()
    for v in values or []:
        v = (v or "").strip()
        if v and fold(v) not in seen:
            seen.add(fold(v))
            out.append(v)
    return out


def search_document(article):
    """What the engines index for an article (plain JSON)."""
    return {
        "id": article.id, "code": article.code, "title": article.title,
        "symptoms": article.symptoms or "", "cause": article.cause or "",
        "solution_steps": list(article.solution_steps or []),
        "device_types": list(article.device_types or []), "models": list(article.models or []),
        "fault_codes": list(article.fault_codes or []), "tags": list(article.tags or []),
        "language": article.language, "status": article.status,
        "solved_count": article.solved_count or 0,
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
    }


def revision_snapshot(article):
    doc = search_document(article)
    doc.pop("solved_count")
    doc["version"] = article.version
    return doc

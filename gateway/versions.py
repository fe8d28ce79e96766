"""The version contract, for every versioned record (service form, device card, article, and —
once devices gives them a version — customers; every later service's records too).

A write states the version it read: `If-Match: "<n>"` (the ETag it got) or `version` in the
body.
- neither                          -> 428 precondition_required
- both, and they differ            -> 422 validation_error on `version`
- a weak tag (`W/"3"`), `*`, a list, anything not one version -> 422 on `If-Match`
- stale (the service compares)     -> 409 conflict, details {"version": the current one,
                                      "given": the one stated}
Every read and write of a versioned record answers with `ETag: "<n>"` (its `version`).

The gateway decides 428 and 422 before it calls the service; the service keeps comparing the
stated version with the stored one (the only place that knows it) and answers 409 with the
current version in its details, which this module gives one message (the same in every
service, in the user's language). A bare `If-Match: 3` is taken as `"3"` (clients before this
contract sent it).
"""
import re

from flask import request
from marshmallow import Schema

from gateway.helpers import invalid
from services.common import schemas
from services.common.exceptions import Conflict, PreconditionRequired
from services.common.schemas import MAX_ID

MISSING = "State the version you read: an If-Match header or `version` in the body."
STALE = "The record was changed since version {given} (now {version}); read it again."
NOT_A_VERSION = 'One version as read from the ETag, e.g. If-Match: "3".'
WEAK = 'A weak ETag cannot state a version: send If-Match: "{version}".'
DIFFERENT = "The body's version and If-Match differ."

_TAG = re.compile(r'\s*(W/)?("?)([0-9]{1,10})\2\s*')


def version_field():
    """The body's `version` as every versioned request schema declares it: optional here,
    because If-Match may state it instead."""
    return schemas.version_field(load_default=None, allow_none=True)


class VersionBody(Schema):
    """The body of a versioned write that carries nothing else (removing a part)."""
    version = version_field()


_derived = {}


def versioned_schema(schema):
    """`schema` (a class or an instance) with `version` optional: the gateway decides 428,
    the service's own schema may require it."""
    cls = schema if isinstance(schema, type) else type(schema)
    key = (cls, None if isinstance(schema, type) else schema.partial)
    if key not in _derived:
        derived = type(cls.__name__ + "Versioned", (cls,), {"version": version_field()})
        instance = derived()
        if not isinstance(schema, type) and instance.partial != schema.partial:
            instance = derived(partial=schema.partial)
        _derived[key] = instance
    return _derived[key]


def if_match():
    """The version stated by If-Match, None without one; a 422 for anything else."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        return None
    match = _TAG.fullmatch(header)
    if match is None or not 1 <= int(match.group(3)) <= MAX_ID:
        raise invalid(**{"If-Match": [NOT_A_VERSION]})
    if match.group(1):
        raise invalid(**{"If-Match": [(WEAK, {"version": int(match.group(3))})]})
    return int(match.group(3))


def stated(body_version):
    """The version the client read, from If-Match or the body's `version` (already loaded as
    an int): 428 when neither, 422 when they differ or If-Match is not one strong version."""
    header = if_match()
    if header is not None and body_version is not None and header != body_version:
        raise invalid(version=[DIFFERENT])
    version = header if header is not None else body_version
    if version is None:
        raise PreconditionRequired(MISSING, {"version": None})
    return version


def etag(answer):
    """The ETag header for an answer that is a versioned record (else no header)."""
    version = answer.get("version") if isinstance(answer, dict) else None
    if isinstance(version, int) and not isinstance(version, bool):
        return {"ETag": f'"{version}"'}
    return {}


def stale(conflict, given):
    """A service's 409 for a stale version (its details name the current `version`) as the
    contract's one message; any other conflict unchanged."""
    details = conflict.details
    current = details.get("version")
    if isinstance(current, int) and current != given:
        return Conflict(STALE, {**details, "version": current, "given": given})
    return conflict

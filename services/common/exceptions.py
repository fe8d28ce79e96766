"""The errors of every service's rules: one vocabulary, plain Python (domain modules import
this and no framework). Each class carries its stable `code` and its HTTP status — the one
table from an error to HTTP, which the gateway reads.

They cross RPC and come back in the gateway as the same types: `register_remote_errors()`
(called by services/common/rpc.py and gateway/rpc.py, the two ends of an RPC) registers every
class with nameko's `deserialize_to_instance`, so a service raising `NotFound(...)` makes the
gateway's RPC client raise `NotFound(...)` again.
Arguments are (message, details as a JSON string): nameko turns every non-string scalar in
exception args into text, so details travel encoded to keep their ints and nulls.

The message is an English *template* whose placeholders name keys of the details:
`NotFound("Service form {form_id} not found.", {"form_id": 5})`. `message` formats it (English);
the gateway looks the template up in its catalogue and formats the user's language instead
(docs/architecture.md, "Errors in the user's language"). A message that is no template passes
through unchanged.
"""
import json
import string

_FORMATTER = string.Formatter()


def format_message(template, values):
    """`template` with each `{name}` (optionally `!r`, `:spec`) replaced by values[name].
    Safe for any text: a placeholder whose key is missing (or that is not a plain name, such
    as `{a.b}` or `{0}`: no attribute or index lookups) stays as written, and text that is no
    valid template (a lone brace) is returned unchanged."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError:
        return template
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name.isidentifier() and name in values:
            value = values[name]
            try:
                if conversion:
                    value = _FORMATTER.convert_field(value, conversion)
                out.append(_FORMATTER.format_field(value, spec or ""))
            except (ValueError, TypeError):
                out.append(str(value))
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    return "".join(out)


class ServisError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message, details=None):
        if not isinstance(details, str):  # a str is details already encoded (from the wire)
            details = json.dumps(details or {}, default=str)
        super().__init__(message, details)

    @property
    def template(self):
        """The message as raised: an English template (or, before its service is converted,
        an already formatted text)."""
        return self.args[0]

    @property
    def message(self):
        return format_message(self.args[0], self.details)

    @property
    def details(self):
        return json.loads(self.args[1])

    def __str__(self):
        return self.message


class NotFound(ServisError):
    code = "not_found"
    http_status = 404


class Conflict(ServisError):
    code = "conflict"
    http_status = 409


class ValidationFailed(ServisError):
    """Input that does not fit; details are {field: [messages]}."""
    code = "validation_error"
    http_status = 422


class Forbidden(ServisError):
    code = "forbidden"
    http_status = 403


class PreconditionRequired(ServisError):
    code = "precondition_required"
    http_status = 428


class Gone(ServisError):
    """A one-time link that can no longer be used (used, expired, withdrawn, or never ours):
    `details.reason` says which, and nothing about the record behind it."""
    code = "gone"
    http_status = 410


# The one message of every 422 (its fields say what is wrong): typed here only.
INVALID = "The input is not valid."


def validation_failed(err):
    """A marshmallow ValidationError as our ValidationFailed (422 with the fields)."""
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    return ValidationFailed(INVALID, messages)


def field_message(template, values=None):
    """A field-level message (a 422's details, an import row's errors): a constant English
    template formatted with its values. Field messages travel formatted; the gateway finds
    the catalogued template they were made from, recovers the values and formats its Turkish
    text with them (gateway/i18n.py), so the template must be a constant. A message built
    outside a raise (an import row's errors) goes through here even without values: the
    catalogue test (gateway/tests/test_i18n.py) finds the messages by this call."""
    return format_message(template, values or {})


def invalid(**fields):
    """A 422 ValidationFailed with {field: [messages]}: the one way to refuse input outside a
    schema. Each message is a constant English template, or (template, values) to be
    formatted (field_message); a dict nests (the items of a list: {"0": {...}}). A field
    name that is no identifier: invalid(**{"If-Match": [...]})."""
    return ValidationFailed(INVALID, _field_messages(fields))


def _field_messages(messages):
    if isinstance(messages, dict):
        return {k: _field_messages(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [_field_messages(m) for m in messages]
    if isinstance(messages, tuple):
        return field_message(*messages)
    return messages


class ServiceUnavailable(ServisError):
    """A service this one needs did not answer in time."""
    code = "service_unavailable"
    http_status = 503


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def register_remote_errors():
    """Register ServisError and every subclass defined so far (idempotent) with nameko, so
    they are rebuilt as themselves on the calling side of an RPC."""
    from nameko.exceptions import deserialize_to_instance
    for cls in (ServisError, *_subclasses(ServisError)):
        deserialize_to_instance(cls)

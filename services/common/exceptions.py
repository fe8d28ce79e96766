"""Domain exceptions that cross RPC and come back in the gateway as the same types.

Every class is registered with nameko's `deserialize_to_instance`, so a service raising
`NotFound(...)` makes the gateway's RPC client raise `NotFound(...)` again (same module path),
and the gateway maps it to HTTP with the class's `http_status` — one table, here.
Arguments are (message, details as a JSON string): nameko turns every non-string scalar in
exception args into text, so details travel encoded to keep their ints and nulls.
"""
import json

from nameko.exceptions import deserialize_to_instance


class ServisError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message, details=None):
        if not isinstance(details, str):  # a str is details already encoded (from the wire)
            details = json.dumps(details or {}, default=str)
        super().__init__(message, details)

    @property
    def message(self):
        return self.args[0]

    @property
    def details(self):
        return json.loads(self.args[1])

    def __str__(self):
        return self.message


@deserialize_to_instance
class NotFound(ServisError):
    code = "not_found"
    http_status = 404


@deserialize_to_instance
class Conflict(ServisError):
    code = "conflict"
    http_status = 409


@deserialize_to_instance
class ValidationFailed(ServisError):
    """Input that does not fit; details are {field: [messages]}."""
    code = "validation_error"
    http_status = 422


@deserialize_to_instance
class Forbidden(ServisError):
    code = "forbidden"
    http_status = 403


@deserialize_to_instance
class PreconditionRequired(ServisError):
    code = "precondition_required"
    http_status = 428


def validation_failed(err):
    """A marshmallow ValidationError as our ValidationFailed (422 with the fields)."""
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    return ValidationFailed("The input is not valid.", messages)


@deserialize_to_instance
class ServiceUnavailable(ServisError):
    """A service this one needs did not answer in time."""
    code = "service_unavailable"
    http_status = 503

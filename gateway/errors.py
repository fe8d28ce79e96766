"""One table from exceptions to HTTP: every error leaves as
{"error": {"code", "message", "details"}} with the status that fits, its message in the
request's language (gateway/i18n.py)."""
import logging

from flask import jsonify
from marshmallow import Schema, fields
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from gateway.i18n import GENERIC, catalogue, request_language
from services.common.exceptions import ServisError

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
              415: "unsupported_media_type", 422: "validation_error",
              428: "precondition_required", 429: "rate_limited", 500: "internal_error",
              503: "service_unavailable", 504: "gateway_timeout"}
NOT_JSON = "The body is not valid JSON."
TOO_DEEP = "The JSON body is nested too deeply."
NOT_UNICODE = "The body holds text that is not valid Unicode (e.g. a lone surrogate)."
NUMBER_TOO_LONG = "A number in the body is too long."


class ErrorBody(Schema):
    code = fields.String(metadata={"example": "validation_error"})
    message = fields.String(metadata={"description": "in the request's language (tr, en)"})
    details = fields.Dict(metadata={"description": "for 422: {field: [messages]}"})


class ErrorSchema(Schema):
    """Every error response: {"error": {"code", "message", "details"}}."""
    error = fields.Nested(ErrorBody)


def error_response(status, code, template, details=None):
    """The error body: `template` (English; its placeholders name keys of `details`) in the
    request's language; a validation error's field messages too."""
    details = details or {}
    language = request_language()
    texts = catalogue()
    message = texts.translate(template, details, language, code)
    if code == "validation_error":
        details = texts.translate_fields(details, language)
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def generic(status, code=None):
    code = code or HTTP_CODES.get(status, "error")
    return error_response(status, code, GENERIC.get(code, GENERIC["error"]))


def flatten_locations(messages):
    """webargs nests field errors under their location ({"json": {...}}); clients want the
    fields. Query and JSON errors of one request are merged."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    merged = {}
    for location, errors in messages.items():
        merged.update(errors if isinstance(errors, dict) else {location: errors})
    return merged


def handle_http_exception(error):
    response = _handle_http_exception(error)
    allow = error.get_response().headers.get("Allow")  # 405 says what is allowed
    if allow:
        response.headers["Allow"] = allow
    return response


def _handle_http_exception(error):
    data = getattr(error, "data", None) or {}
    if error.code == 422 and "messages" in data:
        return error_response(422, "validation_error", GENERIC["validation_error"],
                              flatten_locations(data["messages"]))
    if error.code == 400 and "messages" in data:  # webargs: the body is not JSON
        return error_response(400, "bad_request", NOT_JSON)
    return generic(error.code or 500)


def register(app):
    @app.errorhandler(ServisError)
    def _servis(exc):
        return error_response(exc.http_status, exc.code, exc.template, exc.details)

    @app.errorhandler(RemoteError)
    def _remote(exc):
        log.error("remote error: %s", exc)
        return generic(500)

    @app.errorhandler(RecursionError)
    def _too_deep(exc):
        return error_response(400, "bad_request", TOO_DEEP)

    @app.errorhandler(UnicodeError)
    def _bad_text(exc):
        return error_response(400, "bad_request", NOT_UNICODE)

    @app.errorhandler(ValueError)
    def _value(exc):
        # The JSON parser refuses an integer of thousands of digits (Python's int limit) with
        # a ValueError before any schema sees it: the client's input, so a 400. Any other
        # ValueError is ours: a 500, logged.
        if "integer string conversion" in str(exc) or "number too long" in str(exc):
            return error_response(400, "bad_request", NUMBER_TOO_LONG)
        log.exception("unexpected error")
        return generic(500)

    app.register_error_handler(HTTPException, handle_http_exception)

"""One table from exceptions to HTTP: every error leaves as
{"error": {"code", "message", "details"}} with the status that fits."""
import logging

from flask import jsonify
from marshmallow import Schema, fields
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from gateway import rpc
from services.common.exceptions import ServisError

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "validation_error",
              428: "precondition_required", 429: "rate_limited", 500: "internal_error",
              503: "service_unavailable", 504: "gateway_timeout"}


class ErrorBody(Schema):
    code = fields.String(metadata={"example": "validation_error"})
    message = fields.String()
    details = fields.Dict(metadata={"description": "for 422: {field: [messages]}"})


class ErrorSchema(Schema):
    """Every error response: {"error": {"code", "message", "details"}}."""
    error = fields.Nested(ErrorBody)


def error_response(status, code, message, details=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


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
        return error_response(422, "validation_error", "The input is not valid.",
                              flatten_locations(data["messages"]))
    if error.code == 500:
        return error_response(500, "internal_error", "Internal error; it has been logged.")
    return error_response(error.code or 500, HTTP_CODES.get(error.code, "error"),
                          data.get("message") or error.description)


def register(app):
    @app.errorhandler(ServisError)
    def _servis(exc):
        return error_response(exc.http_status, exc.code, exc.message, exc.details)

    @app.errorhandler(rpc.ServiceUnavailable)
    def _unavailable(exc):
        return error_response(503, "service_unavailable",
                              f"The {exc.service} service is not running; try again shortly.",
                              {"service": exc.service})

    @app.errorhandler(rpc.ServiceTimeout)
    def _timeout(exc):
        return error_response(504, "gateway_timeout",
                              f"The {exc.service} service did not answer within "
                              f"{exc.timeout:g} s.", {"service": exc.service})

    @app.errorhandler(RemoteError)
    def _remote(exc):
        log.error("remote error: %s", exc)
        return error_response(500, "internal_error", "Internal error; it has been logged.")

    @app.errorhandler(RecursionError)
    def _too_deep(exc):
        return error_response(400, "bad_request", "The JSON body is nested too deeply.")

    @app.errorhandler(UnicodeError)
    def _bad_text(exc):
        return error_response(400, "bad_request",
                              "The body holds text that is not valid Unicode (e.g. a lone "
                              "surrogate).")

    @app.errorhandler(ValueError)
    def _value(exc):
        # The JSON parser refuses an integer of thousands of digits (Python's int limit) with
        # a ValueError before any schema sees it: the client's input, so a 400. Any other
        # ValueError is ours: a 500, logged.
        if "integer string conversion" in str(exc) or "number too long" in str(exc):
            return error_response(400, "bad_request", "A number in the body is too long.")
        log.exception("unexpected error")
        return error_response(500, "internal_error", "Internal error; it has been logged.")

    app.register_error_handler(HTTPException, handle_http_exception)

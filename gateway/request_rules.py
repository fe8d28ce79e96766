"""What the API asks of every request before a view reads it (issue 20, point 9):
- a body that is not JSON on a route that reads JSON is a 415 (it read as "missing field" for
  every field); the import (CSV, multipart) and a proposal's signed scan (PDF, JPEG, PNG) are
  the routes that take other bodies (each view sets its own size limit);
- a body larger than its route allows is a 413: JSON bodies JSON_MAX_BYTES (256 KiB), a
  document template's source TEMPLATE_MAX_BYTES (1 MiB), the import its own 64 MiB;
- CORS is closed unless CORS_ORIGINS names the origins allowed (comma-separated): only then
  does an answer carry Access-Control-Allow-Origin, and a preflight is answered.
"""
import re

from flask import request

from services.common.exceptions import ServisError

NOT_JSON = "The request's body must be JSON (Content-Type: application/json)."
TOO_LARGE = "The request's body is too large (at most {limit} bytes here)."
# bodies the view reads itself (and limits): the import's CSV or multipart, a signed scan
OTHER_BODIES = re.compile(r"/api/v1/(devices/import|proposals/\d+/signed-scan)")
# path prefix -> bytes; a portal request carries up to 5 photos of 5 MB each, base64 (4/3)
LARGE_BODIES = {"/api/v1/document-templates/": 1024 * 1024,
                "/api/v1/portal/requests": 36 * 1024 * 1024}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class UnsupportedMediaType(ServisError):
    code = "unsupported_media_type"
    http_status = 415


class TooLarge(ServisError):
    code = "too_large"
    http_status = 413


def limit_for(path, settings):
    if OTHER_BODIES.fullmatch(path):
        return None  # the view sets its own
    for prefix, size in LARGE_BODIES.items():
        if path.startswith(prefix):
            return size
    return settings.json_max_bytes


def register(app, settings):
    origins = {o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()}

    @app.before_request
    def _body_rules():
        if not request.path.startswith("/api/") or request.method not in WRITES:
            return None
        limit = limit_for(request.path, settings)
        if limit is not None:
            request.max_content_length = limit
            if request.content_length is not None and request.content_length > limit:
                raise TooLarge(TOO_LARGE, {"limit": limit})
        if OTHER_BODIES.fullmatch(request.path):
            return None
        has_body = bool(request.content_length) or request.headers.get(
            "Transfer-Encoding", "").lower() == "chunked"
        if has_body and not request.is_json:
            raise UnsupportedMediaType(NOT_JSON, {"content_type": request.mimetype or None})
        return None

    @app.after_request
    def _cors(response):
        origin = request.headers.get("Origin")
        if origins and origin and origin.rstrip("/") in origins \
                and request.path.startswith("/api/"):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = \
                    "GET, POST, PUT, PATCH, DELETE"
                response.headers["Access-Control-Allow-Headers"] = \
                    "Authorization, Content-Type, If-Match, Accept-Language"
                response.headers["Access-Control-Max-Age"] = "600"
        return response

"""/api/docs: the real Swagger UI (its files from the pinned PyPI package `swagger-ui-py`,
served from its install folder: offline, no CDN) over /api/v1/openapi.json, with "try it out"
and the bearer token (Authorize). Its own Content-Security-Policy: Swagger UI sets inline
styles, so `style-src 'unsafe-inline'` here and only here; still no inline script (the
initialiser is our file, static/docs-init.js)."""
import importlib.util
from pathlib import Path

from flask import Blueprint, abort, render_template, send_from_directory

SWAGGER_DIR = Path(importlib.util.find_spec("swagger_ui").submodule_search_locations[0]) \
    / "static"
FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
         "favicon-32x32.png", "favicon-16x16.png", "LICENSE"}
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'")

bp = Blueprint("docs", __name__, template_folder="templates")


@bp.get("/api/docs")
def docs():
    return render_template("docs.html"), 200, {"Content-Security-Policy": DOCS_CSP}


@bp.get("/api/docs/swagger-ui/<name>")
def swagger_file(name):
    if name not in FILES:
        abort(404)
    response = send_from_directory(SWAGGER_DIR, name, max_age=3600)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response

"""The web pages of the gateway: the staff console at `/` (gateway/web/pages.py), its shell
(gateway/web/shell.py: session, CSRF, CSP, language, errors) and the API docs at /api/docs
(gateway/web/docs.py). One shell for every later page (portal, approval, tracking)."""


def register(app):
    from gateway.web import docs, pages, shell  # noqa: F401  (pages adds its views to shell.bp)
    shell.setup_jinja(app)
    app.register_blueprint(shell.bp)
    app.register_blueprint(docs.bp)

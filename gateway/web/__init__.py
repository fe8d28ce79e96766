"""The web pages of the gateway: the staff console at `/` (gateway/web/pages.py), its shell
(gateway/web/shell.py: session, CSRF, CSP, language, errors), the API docs at /api/docs
(gateway/web/docs.py) and the customer's price-approval page at /approve/<token>
(gateway/web/approval.py), a form's tracking page at /track/<token> (gateway/web/tracking.py).
One shell for every later page (portal, tracking)."""


def register(app):
    from gateway.web import approval, docs, pages, shell  # noqa: F401  (pages: views on shell.bp)
    from gateway.web import tracking
    from gateway.web import password_reset  # noqa: F401  (/reset-password, on shell.bp)
    from gateway.web import admin, customers, imports, knowledge, lists, reports  # noqa: F401  (the console's other screens, on shell.bp)
    from gateway.web import contracts_pages  # noqa: F401  (the contracts' screens, on shell.bp)
    from gateway.web import portal_pages  # noqa: F401  (the customer portal, /portal/, on shell.bp)
    from gateway.web import maintenance  # noqa: F401  (periodic maintenance's screens)
    from gateway.web import review_queue  # noqa: F401  (the portal's requests, for staff)
    shell.setup_jinja(app)
    app.register_blueprint(shell.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(approval.bp)
    app.register_blueprint(tracking.bp)

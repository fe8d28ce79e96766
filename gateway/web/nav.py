"""The console's navigation: each entry names the API route its page is built on, and shows
only to the roles the access table lets call it (gateway/web/api.py `may`)."""
from flask import request, url_for

from gateway.web.api import may
from gateway.web.i18n import N_, gettext

# (endpoint, label, the API route the page stands on: (method, rule) or None for everyone)
ENTRIES = (
    ("web.home", N_("Dashboard"), None),
    ("web.intake", N_("New form"), ("POST", "/forms")),
    ("web.forms", N_("Forms"), ("GET", "/forms")),
    ("web.customers", N_("Customers"), ("GET", "/customers")),
    ("web.device_ends", N_("Devices"), ("GET", "/devices")),
    ("web.import_form", N_("Import"), ("POST", "/devices/import")),
    ("web.reports", N_("Reports"), ("GET", "/reports/satisfaction")),
    ("web.knowledge", N_("Knowledge"), ("GET", "/knowledge/search")),
    ("web.calls", N_("Satisfaction calls"), ("GET", "/satisfaction-calls")),
    ("web.final_checks", N_("Final check"), ("GET", "/forms/<id:form_id>/final-check")),
    ("web.proposals", N_("Proposals"), ("GET", "/proposals")),
    ("web.contracts", N_("Contracts"), ("GET", "/contracts")),
    ("web.maintenance", N_("Maintenance"), ("GET", "/maintenance-visits")),
    ("web.review_queue", N_("Online requests"),
     ("POST", "/portal/requests/<id:request_id>/accept")),
    ("web.admin", N_("Administration"), ("GET", "/document-templates")),
    # the customer portal (its routes admit customers only)
    ("web.portal_home", N_("My service"), ("GET", "/portal/forms")),
    ("web.portal_new_request", N_("New request"), ("POST", "/portal/requests")),
    ("web.portal_devices", N_("My devices"), ("GET", "/portal/devices")),
    ("web.portal_profile", N_("Profile"), ("GET", "/portal/forms")),
)


def nav():
    return [{"href": url_for(endpoint), "label": gettext(label),
             "current": request.endpoint == endpoint}
            for endpoint, label, needs in ENTRIES
            if (may(*needs) if needs else not may("GET", "/portal/forms"))]

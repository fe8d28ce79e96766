"""Every declared route against the fake RPC client: who may call it (401, 403, allowed roles
reach the service with the expected method and arguments), its statuses (success, 404 for an
id out of range, 422 with field messages in TR and EN, the version contract's 428/409/422 and
the ETag), and its OpenAPI entry."""
import re

import pytest

from gateway.app import BLUEPRINTS
from gateway.routes import declared_routes
from gateway.tests.conftest import ANSWER
from services.common.exceptions import Conflict
from services.common.roles import ROLES, STAFF
from services.common.schemas import MAX_ID

ACTOR = object()  # stands for the acting user's snapshot
PORTAL_ACTOR = object()  # the snapshot with the account's customer (None for staff)
FIRST, SECOND = 7, 8  # the ids put into a route's URL, in order

# An example request per declared route: body / query, and the RPC arguments expected
# (dicts: the keys given must be there with these wire values).
EXAMPLES = {
    "GET /api/v1/knowledge/suggestions": dict(query={"complaint": "ışık yanmıyor"}, args=[
        {"complaint": "ışık yanmıyor", "limit": 5}]),
    "GET /api/v1/emails": dict(query={"status": "failed"}, args=[{"status": "failed"}]),
    "POST /api/v1/emails/<id:delivery_id>/resend": dict(args=[FIRST]),
    "GET /api/v1/customers": dict(query={"q": "ışık"}, args=[{"q": "ışık", "limit": 50}]),
    "POST /api/v1/customers": dict(body={"name": " Öztürk "}, args=[
        {"name": "Öztürk"}]),
    "GET /api/v1/customers/<id:customer_id>": dict(args=[FIRST]),
    "PATCH /api/v1/customers/<id:customer_id>": dict(body={"phone": "0212"}, args=[
        FIRST, {"phone": "0212", "version": 4}, ACTOR]),
    "GET /api/v1/devices": dict(query={"serial": "SN-1", "insured": "true"}, args=[
        {"serial": "SN-1", "insured": True, "sort": "id"}]),
    "POST /api/v1/devices": dict(
        body={"customer_id": 3, "brand": "Arçelik", "serial": "S1", "price": "1234.50",
              "purchase_date": "2024-02-29"},
        args=[{"price": "1234.50", "purchase_date": "2024-02-29", "brand": "Arçelik",
               "serial": "S1", "customer_id": 3}, ACTOR]),
    "GET /api/v1/devices/<id:device_id>": dict(args=[FIRST]),
    "PATCH /api/v1/devices/<id:device_id>": dict(body={"notes": "x"}, args=[
        FIRST, {"notes": "x", "version": 4}, ACTOR]),
    "POST /api/v1/devices/<id:device_id>/move": dict(body={"customer_id": 2}, args=[
        FIRST, {"customer_id": 2, "version": 4}, ACTOR]),
    "GET /api/v1/devices/<id:device_id>/history": dict(query={"limit": "5"}, args=[
        FIRST, {"limit": 5}]),
    "GET /api/v1/devices/<id:device_id>/coverage": dict(query={"on": "2026-01-31"}, args=[
        FIRST, {"on": "2026-01-31"}]),
    "POST /api/v1/devices/<id:device_id>/coverage": dict(
        body={"kind": "contract", "start": "2026-01-01", "end": "2026-12-31"},
        args=[FIRST, {"version": 4, "kind": "contract", "start": "2026-01-01",
                      "end": "2026-12-31"}, ACTOR]),
    "GET /api/v1/devices/import/<id:job_id>": dict(args=[FIRST, {"limit": 100}, ACTOR]),
    "GET /api/v1/reports/devices/by-customer": dict(query={"customer_id": "3"}, args=[
        {"customer_id": 3}]),
    "GET /api/v1/reports/devices/by-model": dict(query={"brand": "Bosch"}, args=[
        {"brand": "Bosch"}]),
    "GET /api/v1/reports/devices/by-coverage": dict(query={"status": "none"}, args=[
        {"status": "none"}]),
    "GET /api/v1/catalogues/device-types": dict(args=[False]),
    "POST /api/v1/catalogues/device-types": dict(
        body={"code": "kombi2", "name_tr": "Kombi", "name_en": "Boiler"},
        args=[{"code": "kombi2", "name_tr": "Kombi", "name_en": "Boiler"}]),
    "PATCH /api/v1/catalogues/device-types/<string(maxlength=40):code>": dict(
        body={"active": False}, args=["kombi", {"active": False}]),
    "GET /api/v1/forms": dict(query={"state": "open", "opened_from": "2026-01-01"}, args=[
        {"state": "open", "opened_from": "2026-01-01", "sort": "-number"}]),
    "POST /api/v1/forms": dict(
        body={"customer_id": 1, "device_id": 2, "complaint": "Çalışmıyor"},
        args=[{"customer_id": 1, "device_id": 2, "complaint": "Çalışmıyor"},
              ACTOR]),
    "GET /api/v1/forms/<id:form_id>": dict(args=[FIRST, ACTOR]),
    "PATCH /api/v1/forms/<id:form_id>": dict(body={"service_fee": "150.00"}, args=[
        FIRST, {"service_fee": "150.00", "version": 4}, ACTOR]),
    "GET /api/v1/forms/<id:form_id>/history": dict(args=[FIRST, {"limit": 50}]),
    "POST /api/v1/forms/<id:form_id>/transitions": dict(body={"to": "DIAGNOSIS"}, args=[
        FIRST, {"version": 4, "to": "DIAGNOSIS"}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/work-logs": dict(body={"minutes": 45}, args=[
        FIRST, {"version": 4, "minutes": 45}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/timer/start": dict(body={}, args=[
        FIRST, {"version": 4}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/timer/stop": dict(body={"note": "bitti"}, args=[
        FIRST, {"version": 4, "note": "bitti"}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/parts": dict(
        body={"name": "Röle", "quantity": 2, "unit_price": "80.5"},
        args=[FIRST, {"version": 4, "name": "Röle", "quantity": "2.000", "unit_price": "80.5"},
              ACTOR]),
    "DELETE /api/v1/forms/<id:form_id>/parts/<id:part_id>": dict(args=[
        FIRST, SECOND, {"version": 4}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/survey": dict(body={"outcome": "declined"}, args=[
        FIRST, {"version": 4, "outcome": "declined"}, ACTOR]),
    "GET /api/v1/satisfaction-calls": dict(args=[{"limit": 50}]),
    "GET /api/v1/forms/<id:form_id>/final-check": dict(args=[FIRST]),
    "POST /api/v1/forms/<id:form_id>/final-check": dict(body={"decision": "close"}, args=[
        FIRST, {"version": 4, "decision": "close"}, ACTOR]),
    "GET /api/v1/reports/satisfaction": dict(
        query={"group_by": "month", "from": "2026-01-01"},
        args=[{"group_by": "month", "from": "2026-01-01", "to": None}]),
    "GET /api/v1/catalogues/fault-types": dict(args=["fault-types", False]),
    "POST /api/v1/catalogues/fault-types": dict(
        body={"code": "elektrik", "name_tr": "Elektrik", "name_en": "Electrical"},
        args=["fault-types", {"code": "elektrik", "name_tr": "Elektrik",
                              "name_en": "Electrical"}]),
    "PATCH /api/v1/catalogues/fault-types/<string(maxlength=40):code>": dict(
        body={"name_en": "Power"}, args=["fault-types", "kombi", {"name_en": "Power"}]),
    "GET /api/v1/catalogues/status-codes": dict(args=["status-codes", False]),
    "POST /api/v1/catalogues/status-codes": dict(
        body={"code": "parca-yolda", "name_tr": "Parça yolda", "name_en": "Part on its way",
              "status": "AWAITING_PARTS"},
        args=["status-codes", {"code": "parca-yolda", "name_tr": "Parça yolda",
                               "name_en": "Part on its way", "status": "AWAITING_PARTS"}]),
    "PATCH /api/v1/catalogues/status-codes/<string(maxlength=40):code>": dict(
        body={"active": True}, args=["status-codes", "kombi", {"active": True}]),
    "GET /api/v1/catalogues/survey-questions": dict(args=[False]),
    "POST /api/v1/catalogues/survey-questions": dict(
        body={"text_tr": "Memnun musunuz?", "text_en": "Satisfied?", "weight": 2},
        args=[{"text_tr": "Memnun musunuz?", "text_en": "Satisfied?", "weight": "2.00"}]),
    "PATCH /api/v1/catalogues/survey-questions/<id:question_id>": dict(
        body={"position": 3}, args=[FIRST, {"position": 3}]),
    "GET /api/v1/knowledge/articles": dict(query={"sort": "code"}, args=[{"sort": "code"}]),
    "POST /api/v1/knowledge/articles": dict(
        body={"family": "KLM", "area": "ELK", "title": "Röle"},
        args=[{"family": "KLM", "area": "ELK", "title": "Röle"}, ACTOR]),
    "GET /api/v1/knowledge/articles/<id:article_id>": dict(args=[FIRST]),
    "PATCH /api/v1/knowledge/articles/<id:article_id>": dict(body={"tags": ["röle"]}, args=[
        FIRST, {"tags": ["röle"], "version": 4}, ACTOR]),
    "DELETE /api/v1/knowledge/articles/<id:article_id>": dict(args=[
        FIRST, ACTOR, {"version": 4}]),
    "POST /api/v1/knowledge/articles/<id:article_id>/status": dict(
        body={"status": "published"}, args=[FIRST, {"status": "published", "version": 4}, ACTOR]),
    "GET /api/v1/knowledge/articles/<id:article_id>/revisions": dict(args=[FIRST]),
    "GET /api/v1/knowledge/search": dict(query={"q": "ışık"}, args=[
        {"q": "ışık", "status": "published", "limit": 20}]),
    "POST /api/v1/knowledge/reindex": dict(args=[]),
    "GET /api/v1/forms/<id:form_id>/documents": dict(args=[FIRST]),
    "GET /api/v1/forms/<id:form_id>/documents/<id:document_id>": dict(args=[FIRST, SECOND]),
    "POST /api/v1/forms/<id:form_id>/damage-report": dict(
        body={"insurer_email": "hasar@example.com", "incident_date": "2027-01-02",
              "incident_description": " Su baskını "},
        args=[FIRST, {"insurer_email": "hasar@example.com", "incident_date": "2027-01-02",
                      "incident_description": "Su baskını"}, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/tracking": dict(args=[FIRST, ACTOR]),
    "POST /api/v1/forms/<id:form_id>/price-approval": dict(
        body={"note": " Parça stokta ", "lines": [
            {"kind": "labour", "name": "Röle değişimi", "quantity": "1.5", "unit_price": 750}]},
        args=[FIRST, {"version": 4, "note": "Parça stokta", "lines": [
            {"kind": "labour", "name": "Röle değişimi", "code": None, "quantity": "1.500",
             "unit_price": "750"}]}, ACTOR]),
    "GET /api/v1/forms/<id:form_id>/price-approval": dict(args=[FIRST]),
    "POST /api/v1/forms/<id:form_id>/price-approval/decision": dict(
        body={"decision": "rejected", "customer_name": " Ayşe Işık "},
        args=[FIRST, {"version": 4, "decision": "rejected", "customer_name": "Ayşe Işık"},
              ACTOR]),
    "GET /api/v1/customers/<id:customer_id>/documents": dict(args=[FIRST]),
    "GET /api/v1/customers/<id:customer_id>/documents/<id:document_id>": dict(
        args=[FIRST, SECOND]),
    "POST /api/v1/customers/<id:customer_id>/periodic-reports": dict(
        body={"from": "2027-01-01", "to": "2027-03-31", "send": True},
        args=[FIRST, {"from": "2027-01-01", "to": "2027-03-31", "send": True}, ACTOR]),
    "GET /api/v1/document-templates": dict(args=[]),
    "GET /api/v1/document-templates/<string(maxlength=40):kind>": dict(args=["kombi"]),
    "PUT /api/v1/document-templates/<string(maxlength=40):kind>": dict(
        body={"source": "{% extends '_base.html.j2' %}"},
        args=["kombi", {"source": "{% extends '_base.html.j2' %}"}, ACTOR]),
    "POST /api/v1/document-templates/<string(maxlength=40):kind>/preview": dict(
        body={"language": "en", "form_id": 3},
        args=["kombi", {"language": "en", "form_id": 3}]),
    "DELETE /api/v1/forms/<id:form_id>/solutions/<id:article_id>": dict(args=[
        SECOND, FIRST, ACTOR]),
    # contracts (issue 17)
    "GET /api/v1/proposals": dict(query={"status": "expired"}, args=[{"status": "expired"}]),
    "POST /api/v1/proposals": dict(
        body={"customer_id": 3, "devices": [{"device_id": 5}], "start": "2027-02-01",
              "months": 12, "unit_price": "1000.00", "currency": "EUR", "rate": "35.5"},
        args=[{"customer_id": 3, "devices": [{"device_id": 5, "brand": None, "serial": None,
                                              "model": None, "device_type": None}],
               "start": "2027-02-01",
               "months": 12, "unit_price": "1000.00", "currency": "EUR", "rate": "35.5"},
              ACTOR]),
    "GET /api/v1/proposals/<id:proposal_id>": dict(args=[FIRST]),
    "PUT /api/v1/proposals/<id:proposal_id>": dict(
        body={"customer_id": 3, "devices": [{"device_id": 5}], "start": "2027-02-01",
              "months": 24, "unit_price": "900.00"},
        args=[FIRST, {"customer_id": 3, "devices": [{"device_id": 5, "brand": None,
                                                     "serial": None, "model": None,
                                                     "device_type": None}],
                      "start": "2027-02-01", "months": 24, "unit_price": "900.00",
                      "version": 4}, ACTOR]),
    "POST /api/v1/proposals/<id:proposal_id>/decision": dict(
        body={"decision": "accepted", "note": " İmzalı "},
        args=[FIRST, {"version": 4, "decision": "accepted", "note": "İmzalı"}, ACTOR]),
    "POST /api/v1/proposals/<id:proposal_id>/send": dict(
        body={"email": "teklif@example.com"}, args=[FIRST, {"email": "teklif@example.com"},
                                                   ACTOR]),
    "GET /api/v1/proposals/<id:proposal_id>/documents": dict(args=[FIRST]),
    "GET /api/v1/proposals/<id:proposal_id>/documents/<id:document_id>": dict(
        args=[FIRST, SECOND]),
    "GET /api/v1/proposal-template": dict(args=[]),
    "PUT /api/v1/proposal-template": dict(
        body={"source": "{% extends '_base.html.j2' %}", "note": "yeni"},
        args=[{"source": "{% extends '_base.html.j2' %}", "note": "yeni"}, ACTOR]),
    "GET /api/v1/contracts/<id:contract_id>/documents": dict(args=[FIRST]),
    "GET /api/v1/contracts/<id:contract_id>/documents/<id:document_id>": dict(
        args=[FIRST, SECOND]),
    "GET /api/v1/contracts": dict(query={"customer_id": "3"}, args=[{"customer_id": 3}]),
    "GET /api/v1/contracts/<id:contract_id>": dict(args=[FIRST]),
    "GET /api/v1/contracts/<id:contract_id>/history": dict(args=[FIRST]),
    "POST /api/v1/contracts/<id:contract_id>/cancel": dict(
        body={"reason": "Müşteri talebi", "end": "2027-05-31"},
        args=[FIRST, {"version": 4, "reason": "Müşteri talebi", "end": "2027-05-31"}, ACTOR]),
    "POST /api/v1/contracts/<id:contract_id>/renew": dict(
        body={"increase_percent": "44.38"},
        args=[FIRST, {"version": 4, "increase_percent": "44.38"}, ACTOR]),
    "GET /api/v1/contracts/<id:contract_id>/invoices": dict(args=[FIRST]),
    "POST /api/v1/contracts/<id:contract_id>/insurance-notice": dict(
        body={"insurer_email": "bildirim@guven.example.com"},
        args=[FIRST, {"insurer_email": "bildirim@guven.example.com"}, ACTOR]),
    "POST /api/v1/contracts/<id:contract_id>/invoices": dict(
        body={"frequency": "quarterly"}, args=[FIRST, {"version": 4, "frequency": "quarterly"},
                                               ACTOR]),
    "POST /api/v1/contracts/<id:contract_id>/invoices/<id:invoice_id>/invoiced": dict(
        body={"invoice_no": " FTR-1 ", "invoiced_on": "2027-02-01", "rate": "36.1"},
        args=[FIRST, SECOND, {"version": 4, "invoice_no": "FTR-1", "invoiced_on": "2027-02-01",
                              "rate": "36.1"}, ACTOR]),
    "POST /api/v1/contracts/<id:contract_id>/invoices/<id:invoice_id>/paid": dict(
        body={"paid_on": "2027-02-10"},
        args=[FIRST, SECOND, {"version": 4, "paid_on": "2027-02-10"}, ACTOR]),
    "POST /api/v1/machine-park-checks": dict(
        body={"customer_id": 3, "site_id": 2}, args=[{"customer_id": 3, "site_id": 2}, ACTOR]),
    "GET /api/v1/machine-park-checks/<id:check_id>": dict(args=[FIRST]),
    "GET /api/v1/machine-park-checks/<id:check_id>/form": dict(args=[FIRST]),
    "POST /api/v1/machine-park-checks/<id:check_id>/results": dict(
        body={"items": [{"device_id": 5, "present": True}]},
        args=[FIRST, {"version": 4, "items": [{"device_id": 5, "present": True,
                                               "condition": None, "note": None}]}, ACTOR]),
    "GET /api/v1/reports/contracts/invoices": dict(query={"state": "overdue"},
                                                   args=[{"state": "overdue"}]),
    "GET /api/v1/reports/contracts/renewals": dict(
        query={"end_from": "2027-12"}, args=[{"end_from": "2027-12"}]),
    # the customer portal (issue 16)
    "POST /api/v1/portal/requests": dict(
        body={"device_id": 5, "complaint": " Su akıtıyor ",
              "photos": [{"filename": "a.png", "content_b64": "iVBORw0KGgo="}]},
        args=[{"device_id": 5, "complaint": "Su akıtıyor",
               "photos": [{"filename": "a.png", "content_b64": "iVBORw0KGgo="}]},
              PORTAL_ACTOR]),
    "GET /api/v1/portal/requests": dict(query={"status": "submitted"}, args=[
        {"status": "submitted", "limit": 50}, PORTAL_ACTOR]),
    "GET /api/v1/portal/requests/<id:request_id>": dict(args=[FIRST, PORTAL_ACTOR]),
    "GET /api/v1/portal/requests/<id:request_id>/photos/<id:photo_id>": dict(
        args=[FIRST, SECOND, PORTAL_ACTOR]),
    "POST /api/v1/portal/requests/<id:request_id>/accept": dict(
        body={}, args=[FIRST, {"version": 4}, PORTAL_ACTOR]),
    "POST /api/v1/portal/requests/<id:request_id>/decline": dict(
        body={"reason": " Garanti dışı değil "},
        args=[FIRST, {"version": 4, "reason": "Garanti dışı değil"}, PORTAL_ACTOR]),
    "GET /api/v1/portal/forms": dict(query={"limit": "5"}, args=[{"limit": 5},
                                                                 PORTAL_ACTOR]),
    "GET /api/v1/portal/forms/<id:form_id>": dict(args=[FIRST, PORTAL_ACTOR]),
    "GET /api/v1/portal/devices": dict(query={"limit": "5"}, args=[
        {"customer_id": 1, "limit": 5}]),
    "POST /api/v1/portal/forms/<id:form_id>/price-decision": dict(
        body={"decision": "approved"}, args=[FIRST, {"decision": "approved"}, PORTAL_ACTOR,
                                             {"ip": "127.0.0.1"}]),
    "GET /api/v1/portal/survey-questions": dict(args=[False]),
    "GET /api/v1/portal/forms/<id:form_id>/documents": dict(args=[FIRST, PORTAL_ACTOR]),
    "GET /api/v1/portal/forms/<id:form_id>/documents/<id:document_id>": dict(
        args=[FIRST, SECOND, PORTAL_ACTOR]),
    "POST /api/v1/portal/forms/<id:form_id>/survey": dict(
        body={"answers": [{"question_id": 2, "value": 5}]},
        args=[FIRST, {"answers": [{"question_id": 2, "value": 5}]}, PORTAL_ACTOR]),
    # periodic maintenance (issue 18): the team's ids become the accounts' snapshots
    "GET /api/v1/maintenance-plans": dict(query={"contract_id": "3"},
                                          args=[{"contract_id": 3}]),
    "POST /api/v1/maintenance-plans": dict(
        body={"contract_id": 3, "device_id": 5, "rrule": " FREQ=MONTHLY;INTERVAL=3 ",
              "team": [5]},
        args=[{"contract_id": 3, "device_id": 5, "rrule": "FREQ=MONTHLY;INTERVAL=3",
               "team": [{"user_id": 5, "name": "Technician Kişi",
                         "email": "technician@example.com", "language": "en"}]}, ACTOR]),
    "GET /api/v1/maintenance-plans/<id:plan_id>": dict(args=[FIRST]),
    "PATCH /api/v1/maintenance-plans/<id:plan_id>": dict(
        body={"team": [5], "lead_days": 3, "from": "2027-06-01"},
        args=[FIRST, {"version": 4, "lead_days": 3, "from": "2027-06-01",
                      "team": [{"user_id": 5, "name": "Technician Kişi",
                                "email": "technician@example.com", "language": "en"}]},
              ACTOR]),
    "POST /api/v1/maintenance-plans/<id:plan_id>/cancel": dict(
        body={"reason": " Cihaz satıldı "},
        args=[FIRST, {"version": 4, "reason": "Cihaz satıldı"}, ACTOR]),
    "GET /api/v1/maintenance-visits": dict(
        query={"technician_id": "4", "from": "2027-03-01", "state": "overdue",
               "technician_ids": "4,7", "team_of": "2"},
        args=[{"technician_id": 4, "from": "2027-03-01", "state": "overdue",
               "technician_ids": "4,7", "team_of": 2}]),
    "GET /api/v1/maintenance-visits/<id:visit_id>": dict(args=[FIRST]),
    "POST /api/v1/maintenance-visits/<id:visit_id>/reschedule": dict(
        body={"date": "2027-05-12", "reason": " Müşteri talebi "},
        args=[FIRST, {"version": 4, "date": "2027-05-12", "reason": "Müşteri talebi"}, ACTOR]),
    "POST /api/v1/maintenance-visits/<id:visit_id>/skip": dict(
        body={"reason": "Cihaz yok"}, args=[FIRST, {"version": 4, "reason": "Cihaz yok"},
                                            ACTOR]),
    "POST /api/v1/maintenance-visits/<id:visit_id>/cancel": dict(
        body={"reason": "İstemedi"}, args=[FIRST, {"version": 4, "reason": "İstemedi"},
                                           ACTOR]),
    "GET /api/v1/maintenance-visits/<id:visit_id>/readings": dict(args=[FIRST]),
    "POST /api/v1/maintenance-visits/<id:visit_id>/readings": dict(
        body={"value": 131000, "meter": "color"},
        args=[FIRST, {"value": 131000, "meter": "color"}, ACTOR]),
    "GET /api/v1/reports/maintenance/visits": dict(query={"state": "done", "customer_id": "3"},
                                                   args=[{"state": "done", "customer_id": 3}]),
    # meter readings from a form (the form as forms answered: the fake's ANSWER, no device),
    # page terms and page bills (issue 18)
    "GET /api/v1/forms/<id:form_id>/readings": dict(args=[None]),
    "POST /api/v1/forms/<id:form_id>/readings": dict(
        body={"value": 5200, "replacement": True},
        args=[{"id": 1, "number": "SF-2026-000001", "device_id": None, "maintenance": None},
              {"value": 5200, "replacement": True}, ACTOR]),
    "GET /api/v1/contracts/<id:contract_id>/page-terms": dict(args=[FIRST]),
    "PUT /api/v1/contracts/<id:contract_id>/page-terms": dict(
        body={"terms": [{"device_id": 5, "monthly_allowance": 1000, "page_price": "0.0125"}]},
        args=[FIRST, {"version": 4, "terms": [{"device_id": 5, "meter": "total",
                                               "monthly_allowance": 1000,
                                               "page_price": "0.0125"}]}, ACTOR]),
    "GET /api/v1/contracts/<id:contract_id>/page-bills": dict(args=[FIRST]),
    "POST /api/v1/contracts/<id:contract_id>/page-bills": dict(
        body={"from": "2027-02", "to": "2027-04"},
        args=[FIRST, {"version": 4, "from": "2027-02", "to": "2027-04"}, ACTOR]),
}

DECLARED = [(f"{r.method} {blp.url_prefix}{r.path}", r) for blp, r in declared_routes(BLUEPRINTS)]
VERSIONED = [(key, r) for key, r in DECLARED if r.versioned]
WITH_ID = [(key, r) for key, r in DECLARED if "<id:" in r.path]
WITH_BODY = [(key, r) for key, r in DECLARED if r.body is not None]
ids = [key for key, _ in DECLARED]


def url(key, first=FIRST, second=SECOND):
    path = key.split(" ", 1)[1]
    values = iter([first, second])
    path = re.sub(r"<id:\w+>", lambda m: str(next(values)), path)
    return re.sub(r"<string\(maxlength=40\):\w+>", "kombi", path)


# Who may call each declared route, written out here apart from the route table (as
# services/forms/tests/unit/test_lifecycle.py writes the lifecycle out apart from its table):
# a role added to or dropped from a route fails test_roles until this table agrees.
# "staff" is every role but customer.
ACCESS = {
    "GET /api/v1/emails": "admin manager",
    "POST /api/v1/emails/<id:delivery_id>/resend": "admin",
    "GET /api/v1/customers": "staff",
    "POST /api/v1/customers": "admin contracts desk manager rep",
    "GET /api/v1/customers/<id:customer_id>": "staff",
    "PATCH /api/v1/customers/<id:customer_id>": "admin contracts desk manager rep",
    "GET /api/v1/devices": "staff",
    "POST /api/v1/devices": "admin contracts desk manager rep",
    "GET /api/v1/devices/<id:device_id>": "staff",
    "PATCH /api/v1/devices/<id:device_id>": "admin contracts desk manager rep",
    "POST /api/v1/devices/<id:device_id>/move": "admin manager",
    "GET /api/v1/devices/<id:device_id>/history": "staff",
    "GET /api/v1/devices/<id:device_id>/coverage": "staff",
    "POST /api/v1/devices/<id:device_id>/coverage": "admin contracts manager",
    "GET /api/v1/devices/import/<id:job_id>": "admin contracts manager",
    "GET /api/v1/reports/devices/by-customer": "staff",
    "GET /api/v1/reports/devices/by-model": "staff",
    "GET /api/v1/reports/devices/by-coverage": "staff",
    "GET /api/v1/catalogues/device-types": "staff",
    "POST /api/v1/catalogues/device-types": "admin",
    "PATCH /api/v1/catalogues/device-types/<string(maxlength=40):code>": "admin",
    "GET /api/v1/forms": "staff",
    "POST /api/v1/forms": "admin desk manager",
    "GET /api/v1/forms/<id:form_id>": "staff",
    "PATCH /api/v1/forms/<id:form_id>": "admin manager technician",
    "GET /api/v1/forms/<id:form_id>/history": "staff",
    "POST /api/v1/forms/<id:form_id>/transitions": "staff",
    "POST /api/v1/forms/<id:form_id>/work-logs": "admin manager technician",
    "POST /api/v1/forms/<id:form_id>/timer/start": "admin manager technician",
    "POST /api/v1/forms/<id:form_id>/timer/stop": "admin manager technician",
    "POST /api/v1/forms/<id:form_id>/parts": "admin manager technician",
    "DELETE /api/v1/forms/<id:form_id>/parts/<id:part_id>": "admin manager technician",
    "POST /api/v1/forms/<id:form_id>/survey": "admin manager rep",
    "GET /api/v1/satisfaction-calls": "admin manager rep",
    "GET /api/v1/forms/<id:form_id>/final-check": "admin final_checker manager",
    "POST /api/v1/forms/<id:form_id>/final-check": "final_checker",
    "GET /api/v1/reports/satisfaction": "admin manager",
    "GET /api/v1/catalogues/fault-types": "staff",
    "POST /api/v1/catalogues/fault-types": "admin",
    "PATCH /api/v1/catalogues/fault-types/<string(maxlength=40):code>": "admin",
    "GET /api/v1/catalogues/status-codes": "staff",
    "POST /api/v1/catalogues/status-codes": "admin",
    "PATCH /api/v1/catalogues/status-codes/<string(maxlength=40):code>": "admin",
    "GET /api/v1/catalogues/survey-questions": "staff",
    "POST /api/v1/catalogues/survey-questions": "admin",
    "PATCH /api/v1/catalogues/survey-questions/<id:question_id>": "admin",
    "GET /api/v1/knowledge/articles": "staff",
    "POST /api/v1/knowledge/articles": "admin manager technician",
    "GET /api/v1/knowledge/articles/<id:article_id>": "staff",
    "PATCH /api/v1/knowledge/articles/<id:article_id>": "admin manager technician",
    "DELETE /api/v1/knowledge/articles/<id:article_id>": "admin manager technician",
    "POST /api/v1/knowledge/articles/<id:article_id>/status": "admin manager",
    "GET /api/v1/knowledge/articles/<id:article_id>/revisions": "staff",
    "GET /api/v1/knowledge/search": "staff",
    "GET /api/v1/knowledge/suggestions": "staff",
    "GET /api/v1/forms/<id:form_id>/documents": "staff",
    "GET /api/v1/forms/<id:form_id>/documents/<id:document_id>": "staff",
    "POST /api/v1/forms/<id:form_id>/damage-report": "admin desk manager",
    "POST /api/v1/forms/<id:form_id>/tracking": "admin manager",
    "POST /api/v1/forms/<id:form_id>/price-approval": "admin manager",
    "GET /api/v1/forms/<id:form_id>/price-approval": "staff",
    "POST /api/v1/forms/<id:form_id>/price-approval/decision": "admin manager",
    "GET /api/v1/customers/<id:customer_id>/documents": "admin manager rep",
    "GET /api/v1/customers/<id:customer_id>/documents/<id:document_id>": "admin manager rep",
    "POST /api/v1/customers/<id:customer_id>/periodic-reports": "admin manager rep",
    "GET /api/v1/document-templates": "admin",
    "GET /api/v1/document-templates/<string(maxlength=40):kind>": "admin",
    "PUT /api/v1/document-templates/<string(maxlength=40):kind>": "admin",
    "POST /api/v1/document-templates/<string(maxlength=40):kind>/preview": "admin",
    "POST /api/v1/knowledge/reindex": "admin",
    "DELETE /api/v1/forms/<id:form_id>/solutions/<id:article_id>": "admin manager technician",
    "GET /api/v1/proposals": "admin contracts desk manager",
    "POST /api/v1/proposals": "admin contracts manager",
    "GET /api/v1/proposals/<id:proposal_id>": "admin contracts desk manager",
    "PUT /api/v1/proposals/<id:proposal_id>": "admin contracts manager",
    "POST /api/v1/proposals/<id:proposal_id>/decision": "admin contracts manager",
    "POST /api/v1/proposals/<id:proposal_id>/send": "admin contracts manager",
    "GET /api/v1/proposals/<id:proposal_id>/documents": "admin contracts desk manager",
    "GET /api/v1/proposals/<id:proposal_id>/documents/<id:document_id>":
        "admin contracts desk manager",
    "GET /api/v1/proposal-template": "admin",
    "PUT /api/v1/proposal-template": "admin",
    "GET /api/v1/contracts/<id:contract_id>/documents": "admin contracts desk manager",
    "GET /api/v1/contracts/<id:contract_id>/documents/<id:document_id>":
        "admin contracts desk manager",
    "GET /api/v1/contracts": "admin contracts desk manager",
    "GET /api/v1/contracts/<id:contract_id>": "admin contracts desk manager",
    "GET /api/v1/contracts/<id:contract_id>/history": "admin contracts desk manager",
    "POST /api/v1/contracts/<id:contract_id>/cancel": "admin contracts manager",
    "POST /api/v1/contracts/<id:contract_id>/renew": "admin contracts manager",
    "GET /api/v1/reports/contracts/renewals": "admin contracts desk manager",
    "GET /api/v1/contracts/<id:contract_id>/invoices": "admin contracts desk manager",
    "POST /api/v1/contracts/<id:contract_id>/insurance-notice": "admin contracts manager",
    "POST /api/v1/contracts/<id:contract_id>/invoices": "admin contracts manager",
    "POST /api/v1/contracts/<id:contract_id>/invoices/<id:invoice_id>/invoiced":
        "admin contracts manager",
    "POST /api/v1/contracts/<id:contract_id>/invoices/<id:invoice_id>/paid":
        "admin contracts manager",
    "GET /api/v1/reports/contracts/invoices": "admin contracts desk manager",
    "POST /api/v1/machine-park-checks": "admin contracts manager",
    "GET /api/v1/machine-park-checks/<id:check_id>": "admin contracts desk manager",
    "GET /api/v1/machine-park-checks/<id:check_id>/form": "admin contracts desk manager",
    "POST /api/v1/machine-park-checks/<id:check_id>/results": "admin contracts manager",
    # written by hand (gateway/contracts_api.py)
    "POST /api/v1/proposals/<id:proposal_id>/signed-scan": "admin contracts manager",
    "GET /api/v1/proposals/<id:proposal_id>/signed-scan": "admin contracts desk manager",
    "GET /api/v1/reports/contracts/revenue": "admin contracts manager",
    # the customer portal (issue 16): a customer's own records (portal's customer scope) and
    # the staff's review queue; written by hand: the invitation (gateway/portal_api.py)
    "POST /api/v1/portal/requests": "customer",
    "GET /api/v1/portal/requests": "admin customer desk manager",
    "GET /api/v1/portal/requests/<id:request_id>": "admin customer desk manager",
    "GET /api/v1/portal/requests/<id:request_id>/photos/<id:photo_id>":
        "admin customer desk manager",
    "POST /api/v1/portal/requests/<id:request_id>/accept": "admin desk manager",
    "POST /api/v1/portal/requests/<id:request_id>/decline": "admin desk manager",
    "GET /api/v1/portal/forms": "customer",
    "GET /api/v1/portal/forms/<id:form_id>": "customer",
    "GET /api/v1/portal/devices": "customer",
    "POST /api/v1/portal/forms/<id:form_id>/price-decision": "customer",
    "GET /api/v1/portal/survey-questions": "customer",
    "GET /api/v1/portal/forms/<id:form_id>/documents": "customer",
    "GET /api/v1/portal/forms/<id:form_id>/documents/<id:document_id>": "customer",
    "POST /api/v1/portal/forms/<id:form_id>/survey": "customer",
    "POST /api/v1/portal/invitations": "admin desk manager",
    # periodic maintenance (issue 18)
    "GET /api/v1/maintenance-plans": "admin contracts desk manager technician",
    "POST /api/v1/maintenance-plans": "admin contracts manager",
    "GET /api/v1/maintenance-plans/<id:plan_id>": "admin contracts desk manager technician",
    "PATCH /api/v1/maintenance-plans/<id:plan_id>": "admin contracts manager",
    "POST /api/v1/maintenance-plans/<id:plan_id>/cancel": "admin contracts manager",
    "GET /api/v1/maintenance-visits": "admin contracts desk manager technician",
    "GET /api/v1/maintenance-visits/<id:visit_id>": "admin contracts desk manager technician",
    "POST /api/v1/maintenance-visits/<id:visit_id>/reschedule": "admin contracts manager",
    "POST /api/v1/maintenance-visits/<id:visit_id>/skip": "admin contracts manager",
    "POST /api/v1/maintenance-visits/<id:visit_id>/cancel": "admin contracts manager",
    "GET /api/v1/reports/maintenance/visits": "admin contracts desk manager technician",
    "GET /api/v1/maintenance-visits/<id:visit_id>/readings":
        "admin contracts desk manager technician",
    "POST /api/v1/maintenance-visits/<id:visit_id>/readings":
        "admin contracts manager technician",
    "GET /api/v1/reports/maintenance/summary": "admin contracts desk manager technician",
    "GET /api/v1/forms/<id:form_id>/readings": "admin contracts desk manager technician",
    "POST /api/v1/forms/<id:form_id>/readings": "admin contracts manager technician",
    "GET /api/v1/contracts/<id:contract_id>/page-terms": "admin contracts desk manager",
    "PUT /api/v1/contracts/<id:contract_id>/page-terms": "admin contracts manager",
    "GET /api/v1/contracts/<id:contract_id>/page-bills": "admin contracts desk manager",
    "POST /api/v1/contracts/<id:contract_id>/page-bills": "admin contracts manager",
    # written by hand (gateway/accounts_api.py, devices_api.py, forms_api.py, knowledge_api.py,
    # approvals_api.py, health_api.py); "public": no token; "any": every role, customers too
    "POST /api/v1/auth/token": "public",
    "GET /api/v1/health": "public",
    "GET /api/v1/health/live": "public",
    "GET /api/v1/price-approvals/<token>": "public",
    "POST /api/v1/price-approvals/<token>/decision": "public",
    "GET /api/v1/tracking/<token>": "public",
    "GET /api/v1/me": "any",
    "PATCH /api/v1/me": "any",
    "GET /api/v1/users": "admin",
    "POST /api/v1/users": "admin",
    "PATCH /api/v1/users/<id:user_id>": "admin",
    "POST /api/v1/users/<id:user_id>/password": "admin",
    "POST /api/v1/me/password": "any",
    "POST /api/v1/auth/password-reset": "public",
    "POST /api/v1/auth/password-reset/confirm": "public",
    "GET /api/v1/users/staff": "staff",
    "GET /api/v1/audit": "admin",
    "GET /api/v1/customers/<id:customer_id>/personal-data": "admin",
    "POST /api/v1/customers/<id:customer_id>/erasure": "admin",
    "GET /api/v1/customers/<id:customer_id>/contacts/<id:contact_id>/personal-data": "admin",
    "POST /api/v1/customers/<id:customer_id>/contacts/<id:contact_id>/erasure": "admin",
    "POST /api/v1/devices/import": "admin contracts manager",
    "GET /api/v1/devices/import/template": "staff",
    "POST /api/v1/forms/<id:form_id>/assignments": "admin manager",
    "GET /api/v1/forms/<id:form_id>/emails": "staff",
    "GET /api/v1/reports/revenue": "admin manager",
    "GET /api/v1/forms/<id:form_id>/suggestions": "staff",
    "GET /api/v1/forms/<id:form_id>/solutions": "staff",
    "POST /api/v1/forms/<id:form_id>/solutions": "admin manager technician",
}

# The routes on a record whose rule the owning service applies (services/common/access.py):
# record -> routes. A technician is asked about, as the owner answers, the record's own and
# another's (gateway/tests/test_access_matrix.py); the rule's own/other/pool table is in
# services/forms/tests/application/test_access.py.
OWNED = {
    "form": [
        "GET /api/v1/forms/<id:form_id>/history",
        "GET /api/v1/forms/<id:form_id>/documents",
        "GET /api/v1/forms/<id:form_id>/documents/<id:document_id>",
        "GET /api/v1/forms/<id:form_id>/price-approval",
        "GET /api/v1/forms/<id:form_id>/emails",
        "GET /api/v1/forms/<id:form_id>/suggestions",
        "GET /api/v1/forms/<id:form_id>/solutions",
        "POST /api/v1/forms/<id:form_id>/solutions",
        "DELETE /api/v1/forms/<id:form_id>/solutions/<id:article_id>",
        "GET /api/v1/forms/<id:form_id>/readings",
        "POST /api/v1/forms/<id:form_id>/readings",
    ],
}


def request(gw, key, role, headers=None, body=None, query=None, **kw):
    example = EXAMPLES[key]
    method = key.split(" ", 1)[0]
    return gw.client.open(url(key, **kw), method=method, headers={
        **(gw.headers[role] if role else {}), **(headers or {})},
        json=example.get("body") if body is None else body,
        query_string=example.get("query") if query is None else query)


def versioned_headers(route):
    return {"If-Match": '"4"'} if route.versioned else {}


def matches(expected, actual, role_user, whole=False):
    """`actual` holds what `expected` says; a body (`whole`) holds nothing more: no default of
    a field the client left out reaches the service."""
    if expected is ACTOR:
        return actual == {"id": role_user.id, "name": role_user.name, "email": role_user.email,
                          "language": role_user.language, "role": role_user.role}
    if expected is PORTAL_ACTOR:
        return actual == {"id": role_user.id, "name": role_user.name, "email": role_user.email,
                          "language": role_user.language, "role": role_user.role,
                          "customer_id": role_user.customer_id}
    if isinstance(expected, dict):
        return isinstance(actual, dict) and (not whole or set(expected) == set(actual)) and all(
            k in actual and matches(v, actual[k], role_user) for k, v in expected.items())
    return expected == actual


def test_every_declared_route_has_an_example():
    assert sorted(EXAMPLES) == sorted(ids)
    assert len(set(ids)) == len(ids)


def allowed(key):
    words = ACCESS[key].split()
    if words == ["public"] or words == ["any"]:
        return set(ROLES)
    return set(STAFF) if words == ["staff"] else set(words)


def test_every_declared_route_has_its_access_written_out():
    assert set(ids) <= set(ACCESS)
    owned = {key: record for record, keys in OWNED.items() for key in keys}
    for key, route in DECLARED:
        assert route.record == owned.get(key), key


@pytest.mark.parametrize("key,route", DECLARED, ids=ids)
def test_roles(gw, key, route):
    assert set(route.roles) == allowed(key)
    r = request(gw, key, None)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    for role in ROLES:
        gw.rpc.reset()
        r = request(gw, key, role, headers=versioned_headers(route))
        if role not in allowed(key):
            assert r.status_code == 403, (role, r.json)
            assert r.json["error"]["details"]["allowed_roles"] == list(route.roles)
            assert gw.rpc.calls == []
            continue
        assert r.status_code == route.status, (role, r.get_data(as_text=True))
        calls = [c for c in gw.rpc.calls if c.method == route.rpc]
        assert len(calls) == 1 and calls[0].service == route.service, gw.rpc.calls
        expected = EXAMPLES[key]["args"]
        assert len(calls[0].args) == len(expected), calls[0].args
        for want, got, source in zip(expected, calls[0].args, route.args):
            assert matches(want, got, gw.users[role], whole=source == "body"), (role, want, got)


@pytest.mark.parametrize("key,route", WITH_ID, ids=[k for k, _ in WITH_ID])
def test_an_id_out_of_range_is_404(gw, key, route):
    role = route.roles[0]
    for bad in (0, MAX_ID + 1, -1):
        r = request(gw, key, role, headers=versioned_headers(route), first=bad)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", bad
    assert gw.rpc.calls == []


@pytest.mark.parametrize("key,route", WITH_BODY, ids=[k for k, _ in WITH_BODY])
def test_a_bad_body_is_422_in_turkish_and_english(gw, key, route):
    role = route.roles[0]
    messages = {}
    for language in ("tr", "en"):
        r = request(gw, key, role, headers={**versioned_headers(route),
                                            "Accept-Language": language}, body=[1])
        assert r.status_code == 422, r.json
        assert r.headers["Content-Language"] == language
        messages[language] = r.json["error"]
    assert messages["en"]["details"] == {"_schema": ["Invalid input type."]}
    assert messages["tr"]["details"] == {"_schema": ["Geçersiz girdi türü."]}
    assert messages["tr"]["message"] != messages["en"]["message"]
    assert gw.rpc.calls == []


@pytest.mark.parametrize("key,route", VERSIONED, ids=[k for k, _ in VERSIONED])
def test_the_version_contract(gw, key, route):
    role = route.roles[0]
    body = dict(EXAMPLES[key].get("body") or {})
    r = request(gw, key, role, body=body)
    assert r.status_code == 428 and r.json["error"]["code"] == "precondition_required"
    r = request(gw, key, role, headers={"If-Match": '"3"'}, body={**body, "version": 4})
    assert r.status_code == 422 and set(r.json["error"]["details"]) == {"version"}
    r = request(gw, key, role, headers={"If-Match": 'W/"4"'}, body=body)
    assert r.status_code == 422 and set(r.json["error"]["details"]) == {"If-Match"}
    for bad in ("*", '"1", "2"', '"x"', '"0"'):
        r = request(gw, key, role, headers={"If-Match": bad}, body=body)
        assert r.status_code == 422, bad
    assert gw.rpc.calls == []
    gw.rpc.raises = Conflict("changed", {"version": 9})
    r = request(gw, key, role, headers={"If-Match": '"4"', "Accept-Language": "en"},
                body=body)
    assert r.status_code == 409
    assert r.json["error"]["details"] == {"version": 9, "given": 4}
    assert r.json["error"]["message"] == \
        "The record was changed since version 4 (now 9); read it again."
    gw.rpc.raises = None
    for stated in ({"headers": {"If-Match": '"4"'}, "body": body},  # the ETag as sent
                   {"headers": {"If-Match": "4"}, "body": body},  # bare, as before
                   {"body": {**body, "version": 4}},  # in the body
                   {"headers": {"If-Match": '"4"'}, "body": {**body, "version": 4}}):
        gw.rpc.reset()
        r = request(gw, key, role, **stated)
        assert r.status_code == route.status, (stated, r.json)
        if route.status != 204:  # a deleted record has no version left to send
            assert r.headers["ETag"] == f'"{ANSWER["version"]}"'
        sent = [a for a in gw.rpc.calls[-1].args if isinstance(a, dict) and "version" in a]
        assert sent and sent[0]["version"] == 4


@pytest.mark.parametrize("key,route", [(k, r) for k, r in DECLARED if r.etag],
                         ids=[k for k, r in DECLARED if r.etag])
def test_a_versioned_record_carries_its_etag(gw, key, route):
    r = request(gw, key, route.roles[0], headers=versioned_headers(route))
    assert r.status_code == route.status and r.headers["ETag"] == '"4"'


def test_a_stale_conflict_without_a_version_passes_unchanged(gw):
    gw.rpc.raises = Conflict("The form is CLOSED: it cannot change.", {"status": "CLOSED"})
    r = gw.client.post("/api/v1/forms/7/transitions", json={"to": "NEW", "version": 4},
                       headers={**gw.headers["manager"], "Accept-Language": "en"})
    assert r.status_code == 409 and r.json["error"]["details"] == {"status": "CLOSED"}
    assert r.json["error"]["message"] == "The form is CLOSED: it cannot change."


def test_each_route_has_its_openapi_entry(gw):
    doc = gw.client.get("/api/v1/openapi.json").json
    for key, route in DECLARED:
        method, path = key.split(" ", 1)
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", path)
        operation = doc["paths"][path][method.lower()]
        assert str(route.status) in operation["responses"], key
        assert operation.get("summary") or operation.get("description"), key
        assert "Roles:" in operation.get("description", "") + operation.get("summary", "")
        if route.versioned:
            assert any(p.get("name") == "If-Match" for p in operation.get("parameters", [])), key
            assert {"409", "428"} <= set(operation["responses"]), key
        if "<id:" in key:
            params = doc["paths"][path].get("parameters", []) + operation.get("parameters", [])
            ids_ = [p for p in params if p["in"] == "path"
                    and p["schema"].get("maximum") == MAX_ID]
            assert ids_, key


def test_a_list_answers_as_csv(gw):
    gw.rpc.answer = lambda service, method, args: (
        [{"code": "klima", "name": {"tr": "Klima", "en": "Air conditioner"}}]
        if method == "list_device_types" else {"items": [
            {"id": 1, "customer_name": "Öztürk", "brand": "Daikin", "model": None,
             "device_type": "klima", "serial": "S1", "price": "1234.50", "currency": "TRY",
             "purchase_date": None, "vendor": None, "insured": True, "insurer": None,
             "policy_no": None, "warranty_end": None, "contract_end": None,
             "repair_warranty_end": None}], "next_cursor": None})
    r = gw.client.get("/api/v1/devices?format=csv&brand=Daikin", headers=gw.headers["desk"])
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeffKayıt;Müşteri") and "Klima" in text and "1234,50" in text
    listed = [c for c in gw.rpc.calls if c.method == "find_devices"][0]
    assert listed.args[0]["limit"] == 500 and "format" not in listed.args[0]
    assert listed.args[0]["brand"] == "Daikin"


def test_a_representative_sees_their_own_calls(gw):
    request(gw, "GET /api/v1/satisfaction-calls", "rep", query={"rep_user_id": "99"})
    assert gw.rpc.calls[-1].args[0]["rep_user_id"] == gw.users["rep"].id
    request(gw, "GET /api/v1/satisfaction-calls", "manager", query={"rep_user_id": "99"})
    assert gw.rpc.calls[-1].args[0]["rep_user_id"] == 99


def test_catalogues_show_inactive_entries_to_admins_only(gw):
    for role, wanted in (("admin", True), ("manager", False)):
        r = gw.client.get("/api/v1/catalogues/status-codes?all=true", headers=gw.headers[role])
        assert gw.rpc.calls[-1].args == ("status-codes", wanted)
        assert {"items", "statuses", "transitions"} <= set(r.json)


def test_a_customer_representative_is_copied_from_the_account(gw):
    rep = gw.users["rep"]
    request(gw, "POST /api/v1/customers", "desk", body={"name": "Öz", "rep_user_id": rep.id})
    sent = gw.rpc.calls[-1].args[0]
    assert (sent["rep_name"], sent["rep_email"], sent["rep_language"]) == (
        rep.name, rep.email, rep.language)
    r = request(gw, "POST /api/v1/customers", "desk",
                body={"name": "Öz", "rep_user_id": gw.users["customer"].id})
    assert r.status_code == 422 and r.json["error"]["details"] == {
        "rep_user_id": ["Böyle bir personel hesabı yok."]}


def test_form_creation_gets_twice_the_rpc_timeout(gw):
    request(gw, "POST /api/v1/forms", "desk")
    assert gw.rpc.calls[-1].timeout == 8

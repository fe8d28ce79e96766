"""A real payload for every event notify sends, with Turkish and English recipients."""
from datetime import date, datetime, timezone
from decimal import Decimal

AYSE = {"user_id": 3, "name": "Ayşe Yılmaz", "email": "ayse@servis.local", "language": "tr"}
JOHN = {"user_id": 4, "name": "John Smith", "email": "john@servis.local", "language": "en"}
CUSTOMER = {"id": 7, "name": "IŞIK Soğutma A.Ş.", "email": "info@isik.com.tr", "language": "tr"}
FORM = {"id": 11, "number": "SF-2026-000011"}
DUE = {"contract_id": 5, "plan_id": None, "due_date": date(2026, 12, 1),
       "recipients": [{k: AYSE[k] for k in ("name", "email", "language")},
                      {k: JOHN[k] for k in ("name", "email", "language")}]}


def payloads():
    """event type -> (source service, payload, [(recipient e-mail, language)], must appear)."""
    return {
        "form_created": ("forms", {"form": {
            **FORM, "kind": "repair", "customer": CUSTOMER, "rep": AYSE,
            "device": {"id": 5, "brand": "Arçelik", "model": None, "device_type": "Klima",
                       "serial": "KLM-1"},
            "coverage": {"kind": "manufacturer_warranty", "end": date(2027, 3, 31)},
            "complaint": "Kompresör çalışmıyor",
            "opened_at": datetime(2026, 11, 26, 22, 0, tzinfo=timezone.utc)}},
            [("ayse@servis.local", "tr")], ["SF-2026-000011", "Kompresör çalışmıyor",
                                            "Arçelik (Klima)", "31.03.2027"]),
        "form_assigned": ("forms", {"form": FORM, "assignees": [AYSE, JOHN],
                                    "by": {"user_id": 2, "name": "Mehmet Öztürk"}},
                          [("ayse@servis.local", "tr"), ("john@servis.local", "en")],
                          ["SF-2026-000011", "Mehmet Öztürk"]),
        "price_approval_requested": ("forms", {
            "form": FORM, "customer": {"name": CUSTOMER["name"], "email": CUSTOMER["email"],
                                       "language": "tr"},
            "total": Decimal("12345.60"), "currency": "TRY",
            "approval_url": "https://servis.example.com/onay/abc",
            "expires_at": datetime(2026, 12, 3, 21, 0, tzinfo=timezone.utc),
            "document": {"service": "forms", "id": 9}},
            [("info@isik.com.tr", "tr")], ["12.345,60\u00a0₺", "https://servis.example.com/onay/abc",
                                           "04.12.2026 00:00"]),
        "price_approval_decided": ("forms", {
            "form": FORM, "decision": "rejected", "by": {"customer_id": 7,
                                                        "name": CUSTOMER["name"]},
            "at": datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc), "estimate_version": 2,
            "via": "link", "note": "Çok pahalı",
            "recipients": [{k: JOHN[k] for k in ("name", "email", "language")}]},
            [("john@servis.local", "en")], ["SF-2026-000011", "Çok pahalı", "12:30"]),
        "satisfaction_low": ("forms", {
            "form": FORM, "customer": {"id": 7, "name": CUSTOMER["name"]}, "score": 40,
            "threshold": 60, "answers": [{"question": "Teknisyen zamanında geldi mi?",
                                          "answer": "Hayır"}],
            "management": [{k: JOHN[k] for k in ("name", "email", "language")}]},
            [("john@servis.local", "en")], ["40/100", "Teknisyen zamanında geldi mi?"]),
        "form_completed": ("forms", {
            "form": {**FORM, "customer_id": 7, "customer": CUSTOMER,
                     "work_summary": "Kompresör değiştirildi",
                     "parts": [{"code": "K-1", "name": "Kompresör", "quantity": Decimal("1"),
                                "unit_price": Decimal("1000.00"), "amount": Decimal("1000.00")}]},
            "device_id": 5, "repair_warranty": {"start": date(2026, 11, 26),
                                                "end": date(2027, 2, 26)},
            "totals": {"subtotal": Decimal("1000.00"), "discount": Decimal("100.00"),
                       "vat": Decimal("180.00"), "total": Decimal("1080.00"), "currency": "TRY"}},
            [("info@isik.com.tr", "tr")], ["1.080,00\u00a0₺", "26.02.2027", "Kompresör değiştirildi"]),
        "form_closed": ("forms", {"form": {**FORM, "customer": CUSTOMER, "rep": JOHN},
                                  "by": {"user_id": 9, "name": "Son Kontrol"},
                                  "summary": "Her şey yolunda"},
                        [("john@servis.local", "en")], ["SF-2026-000011", "Her şey yolunda"]),
        "form_reopened": ("forms", {"form": {**FORM, "customer": CUSTOMER, "rep": AYSE},
                                    "by": None, "reason": "Düşük memnuniyet (40)"},
                          [("ayse@servis.local", "tr")], ["Düşük memnuniyet (40)"]),
        "damage_report_issued": ("forms", {
            "form": FORM, "customer": {"id": 7, "name": CUSTOMER["name"]},
            "insurer": {"name": "Güven Sigorta", "email": "hasar@guven.example.com",
                        "language": "tr"}, "policy_no": "POL-77",
            "document": {"service": "forms", "id": 12}},
            [("hasar@guven.example.com", "tr")], ["SF-2026-000011", "POL-77"]),
        "insurance_notice_issued": ("contracts", {
            "contract": {"id": 5, "number": "SZ-2027-000005"},
            "insurer": {"name": "Güven Sigorta", "email": "bildirim@guven.example.com",
                        "language": "tr"},
            "document": {"service": "contracts", "id": 15}},
            [("bildirim@guven.example.com", "tr")], ["SZ-2027-000005"]),
        "proposal_sent": ("contracts", {
            "proposal": {"id": 4, "number": "TK-2027-000004"},
            "customer": {"name": CUSTOMER["name"], "email": "teklif@isik.example.com",
                         "language": "tr"},
            "document": {"service": "contracts", "id": 14}},
            [("teklif@isik.example.com", "tr")], ["TK-2027-000004"]),
        "periodic_report_issued": ("forms", {
            "customer": CUSTOMER, "period": {"start": date(2026, 10, 1), "end": date(2026, 12, 31)},
            "number": "PSR-7-20261001-20261231", "document": {"service": "forms", "id": 13}},
            [("info@isik.com.tr", "tr")], ["01.10.2026 – 31.12.2026", "PSR-7-20261001-20261231"]),
        "contract_renewal_due": ("contracts", DUE, [("ayse@servis.local", "tr"),
                                                    ("john@servis.local", "en")], ["5"]),
        "contract_invoice_due": ("contracts", DUE, [("ayse@servis.local", "tr"),
                                                    ("john@servis.local", "en")], ["5"]),
        "maintenance_due": ("contracts", {**DUE, "contract_id": None, "plan_id": 3},
                            [("ayse@servis.local", "tr"), ("john@servis.local", "en")], ["3"]),
    }

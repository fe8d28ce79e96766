"""Rules of service forms. Plain Python: no framework imports."""
import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Istanbul")
KINDS = ("repair", "maintenance")

# Status names users read (TR default, EN second). The full lifecycle table is the forms
# lifecycle issue's; a new form starts at NEW.
STATUS_NAMES = {
    "NEW": {"tr": "Kayıt açıldı", "en": "Opened"},
}


def numbering_year(now=None):
    """Record numbers run per calendar year in Europe/Istanbul (a form opened at 23:30 UTC on
    31 December is already next year's in Türkiye)."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(LOCAL_TZ).year


def format_number(year, seq):
    return f"SF-{year}-{seq:06d}"


def coverage_columns(answer):
    """What the form keeps of devices' coverage answer at intake."""
    return {"coverage_kind": answer["kind"],
            "coverage_end": date.fromisoformat(answer["end"]) if answer["end"] else None,
            "coverage_source_id": answer["source_id"],
            "coverage_reason": json.dumps(answer["reason"], ensure_ascii=False)}


def form_created_payload(form):
    return {"form": {
        "id": form.id, "number": form.number, "kind": form.kind,
        "customer": {"id": form.customer_id, "name": form.customer_name,
                     "email": form.customer_email, "language": form.customer_language},
        "rep": ({"name": form.rep_name, "email": form.rep_email, "language": form.rep_language}
                if (form.rep_name or form.rep_email) else None),
        "device": {"id": form.device_id, "brand": form.device_brand, "model": form.device_model,
                   "device_type": form.device_type, "serial": form.device_serial},
        "coverage": ({"kind": form.coverage_kind, "end": form.coverage_end}
                     if form.coverage_kind else None),
        "complaint": form.complaint,
        "opened_at": form.created_at,
    }}

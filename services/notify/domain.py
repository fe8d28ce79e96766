"""What notify sends: message ids, the rendering of templates and the building of messages.
No framework imports (Jinja2 and the e-mail package are libraries, not frameworks)."""
import hashlib
import os
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")
LANGUAGES = ("tr", "en")


def message_id(event_id, recipient, domain="servis.local"):
    """Stable per (event, recipient): the same event delivered twice makes the same id."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"<{event_id}.{digest}@{domain}>"


class Templates:
    """Jinja2 templates, one file per event and language (templates/<lang>/<event>.j2) with
    blocks `subject`, `text` and `html`. All are compiled at start-up, so a broken template
    fails then, naming its file and line."""

    def __init__(self, directory=TEMPLATE_DIR):
        self.env = Environment(loader=FileSystemLoader(directory), undefined=StrictUndefined,
                               autoescape=select_autoescape(default=True))
        self.compiled = {name: self.env.get_template(name) for name in self.env.list_templates()
                         if name.endswith(".j2")}

    def render(self, event_type, language, context):
        lang = language if language in LANGUAGES else "tr"
        template = self.compiled[f"{lang}/{event_type}.j2"]
        ctx = template.new_context(context)
        parts = {}
        for block in ("subject", "text", "html"):
            parts[block] = "".join(template.blocks[block](ctx)).strip()
        parts["subject"] = " ".join(parts["subject"].split())
        return parts


def build_message(parts, *, sender, recipient, recipient_name, msg_id):
    msg = EmailMessage()
    msg["Subject"] = parts["subject"]
    msg["From"] = sender
    msg["To"] = formataddr((recipient_name or "", recipient))
    msg["Message-ID"] = msg_id
    msg["Date"] = formatdate(localtime=False)
    msg.set_content(parts["text"])
    msg.add_alternative(parts["html"], subtype="html")
    return msg


COVERAGE_NAMES = {
    "manufacturer_warranty": {"tr": "Üretici garantisi", "en": "Manufacturer warranty"},
    "contract": {"tr": "Bakım sözleşmesi", "en": "Maintenance contract"},
    "repair_warranty": {"tr": "Tamir garantisi", "en": "Repair warranty"},
    None: {"tr": "Kapsam dışı (ücretli)", "en": "Not covered (chargeable)"},
}
UNTIL = {"tr": "bitiş", "en": "until"}


def coverage_text(coverage, language):
    kind = coverage["kind"] if coverage else None
    text = COVERAGE_NAMES.get(kind, {"tr": kind, "en": kind})[language]
    if coverage and coverage.get("end"):
        end = coverage["end"]
        shown = end.strftime("%d.%m.%Y") if language == "tr" else end.isoformat()
        text += f" ({UNTIL[language]} {shown})"
    return text


def local_time(moment, language):
    from zoneinfo import ZoneInfo
    local = moment.astimezone(ZoneInfo("Europe/Istanbul"))
    return local.strftime("%d.%m.%Y %H:%M" if language == "tr" else "%Y-%m-%d %H:%M") + " (TRT)"

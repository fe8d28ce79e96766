"""What notify sends, to whom, in which language: message ids, the plan of each event's
messages, templates and the building of MIME messages. No framework imports (Jinja2 and the
e-mail package are libraries)."""
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.common import formats

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")
LANGUAGES = ("tr", "en")
LOCAL_TZ = ZoneInfo("Europe/Istanbul")


def message_id(event_id, recipient, domain="servis.local"):
    """Stable per (event, recipient): the same event delivered twice makes the same id."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
    return f"<{event_id}.{digest}@{domain}>"


def backoff(attempts, first, maximum):
    """Seconds to wait after the `attempts`-th failure: first, 2×first, 4×first … ≤ maximum."""
    return min(first * (2 ** (attempts - 1)), maximum)


# -- formatting for people: services/common/formats.py (Babel), one place for every output -----
COVERAGE_NAMES = {
    "manufacturer_warranty": {"tr": "Üretici garantisi", "en": "Manufacturer warranty"},
    "contract": {"tr": "Bakım sözleşmesi", "en": "Maintenance contract"},
    "repair_warranty": {"tr": "Tamir garantisi", "en": "Repair warranty"},
    None: {"tr": "Kapsam dışı (ücretli)", "en": "Not covered (chargeable)"},
}
COVERAGE_NAMES["none"] = COVERAGE_NAMES[None]  # devices' answer when nothing covers
UNTIL = {"tr": "bitiş", "en": "until"}
LOW_SCORE = {"tr": "Memnuniyet puanı {score}, eşiğin ({threshold}) altında.",
             "en": "Satisfaction score {score}, below the threshold of {threshold}."}
TOTAL_LINES = ("labour", "parts", "service_fee", "gross", "covered", "subtotal", "discount",
               "vat", "total")


def date_text(value, language):
    return formats.day(value, language)


def coverage_text(coverage, language):
    kind = coverage["kind"] if coverage else None
    text = COVERAGE_NAMES.get(kind, {"tr": kind, "en": kind})[language]
    if coverage and coverage.get("end"):
        text += f" ({UNTIL[language]} {date_text(coverage['end'], language)})"
    return text


def local_time(moment, language):
    return formats.moment(moment, language) + " (TRT)"


def money(amount, currency, language):
    """1.234,50 ₺ in Turkish, TRY 1,234.50 in English (half-up to kuruş)."""
    return formats.money(amount, currency, language)


def name_of(names, code, language):
    """A catalogue entry's name in the reader's language (its code only when no name came)."""
    return (names or {}).get(language) or code


# -- the plan: which messages an event makes ----------------------------------------------------
@dataclass
class Planned:
    recipient: str
    name: str | None
    language: str
    context: dict
    form_id: int | None = None
    contract_id: int | None = None
    document: dict | None = None  # {service, id}: a PDF its owner attaches at send time
    extra: dict = field(default_factory=dict)


def _lang(person):
    return person.get("language") if person.get("language") in LANGUAGES else "tr"


def _to(people):
    """The people of a payload that have an address (a snapshot may lack one)."""
    return [p for p in people if p and p.get("email")]


def plan(event, management=()):
    """The messages `event` makes: one per recipient with an address, each in that
    recipient's language (Turkish default). `management` is the config's fallback list of
    {name, email, language} for satisfaction_low."""
    t, out = event["event_type"], []

    def add(person, form_id=None, contract_id=None, **context):
        lang = _lang(person)
        out.append(Planned(person["email"], person.get("name"), lang,
                           {"event": event, "person": person, **context}, form_id, contract_id))
        return out[-1]

    if t == "form_created":
        form = event["form"]
        device = form["device"]
        for rep in _to([form["rep"]]):
            lang = _lang(rep)
            add(rep, form["id"], form=form, coverage_text=coverage_text(form["coverage"], lang),
                opened_at_local=local_time(form["opened_at"], lang),
                device_type_text=name_of(device.get("device_type_name"),
                                         device["device_type"], lang))
    elif t == "form_assigned":
        for person in _to(event["assignees"]):
            add(person, event["form"]["id"], form=event["form"], by=event["by"],
                others=[a["name"] for a in event["assignees"] if a is not person])
    elif t == "price_approval_requested":
        for customer in _to([event["customer"]]):
            lang = _lang(customer)
            p = add(customer, event["form"]["id"], form=event["form"],
                    total_text=money(event["total"], event["currency"], lang),
                    expires_local=local_time(event["expires_at"], lang))
            p.document = event["document"]
    elif t == "price_approval_decided":
        for person in _to(event["recipients"]):
            add(person, event["form"]["id"], form=event["form"], by=event["by"],
                at_local=local_time(event["at"], _lang(person)))
    elif t == "satisfaction_low":
        for person in _to(event["management"] or list(management)):
            add(person, event["form"]["id"], form=event["form"], customer=event["customer"])
    elif t == "form_completed":
        form = event["form"]
        for customer in _to([form["customer"]]):
            lang = _lang(customer)
            totals, currency = event["totals"], event["totals"]["currency"]
            coverage = form.get("coverage") or {}
            p = add(customer, form["id"], form=form,
                    parts=[{**line, "quantity_text": formats.quantity(line["quantity"], lang),
                            "amount_text": money(line["amount"], currency, lang)}
                           for line in form["parts"]],
                    # every line of the totals; an older producer's missing ones are left out
                    totals_text={k: money(totals[k], currency, lang)
                                 if totals.get(k) is not None else None
                                 for k in TOTAL_LINES},
                    work_time=(formats.minutes(form["work_minutes"], lang)
                               if form.get("work_minutes") else None),
                    coverage_name=(COVERAGE_NAMES.get(coverage.get("kind"), {}).get(lang)
                                   if coverage else None),
                    coverage_reason=(coverage.get("reason") or {}).get(lang),
                    warranty_until=(date_text(event["repair_warranty"]["end"], lang)
                                    if event["repair_warranty"] else None))
            p.document = event.get("document")  # the delivery receipt
    elif t == "form_closed":
        form = event["form"]
        for rep in _to([form["rep"]]):
            add(rep, form["id"], form=form, by=event["by"])
    elif t == "form_reopened":
        form, low = event["form"], event.get("low_score")
        for rep in _to([form["rep"]]):
            lang = _lang(rep)
            add(rep, form["id"], form=form, by=event["by"],
                reason_text=LOW_SCORE[lang].format(**low) if low else event["reason"])
    elif t == "damage_report_issued":
        insurer = event["insurer"]
        p = add(insurer, event["form"]["id"], form=event["form"], customer=event["customer"])
        p.document = event["document"]
    elif t == "periodic_report_issued":
        for customer in _to([event["customer"]]):
            lang = _lang(customer)
            p = add(customer, form_id=None, customer=customer,
                    period_text=f"{date_text(event['period']['start'], lang)} – "
                                f"{date_text(event['period']['end'], lang)}")
            p.document = event["document"]
    elif t == "insurance_notice_issued":
        for insurer in _to([event["insurer"]]):
            p = add(insurer, contract_id=event["contract"]["id"], contract=event["contract"])
            p.document = event["document"]
    elif t == "proposal_sent":
        for customer in _to([event["customer"]]):
            p = add(customer, proposal=event["proposal"])
            p.document = event["document"]
    elif t in ("contract_renewal_due", "contract_invoice_due", "maintenance_due"):
        for person in _to(event["recipients"]):
            add(person, contract_id=event["contract_id"],
                due_text=date_text(event["due_date"], _lang(person)))
    elif t in ("password_reset_requested", "portal_invitation_requested"):  # gateway's RPC
        for person in _to([event["recipient"]]):
            add(person)
    else:
        raise ValueError(f"notify has no plan for {t}")
    return out


# -- templates and messages -------------------------------------------------------------------
def validity(minutes, language="tr"):
    """How long a link works, in the largest whole unit: 10080 → "7 gün" / "7 days" (an
    invitation's e-mail said "10080 dakika")."""
    for size, tr, en in ((1440, "gün", "day"), (60, "saat", "hour"), (1, "dakika", "minute")):
        if minutes % size == 0:
            n = minutes // size
            return f"{n} {tr}" if language == "tr" else f"{n} {en}{'' if n == 1 else 's'}"
    return str(minutes)


class Templates:
    """Jinja2 templates an administrator may edit: templates/<lang>/<event>.j2 with blocks
    `subject`, `text` and `html`, and templates/<lang>/_layout.html.j2 around every HTML part.
    All are compiled at start-up, so a broken template fails then, naming its file and line."""

    def __init__(self, directory=TEMPLATE_DIR):
        # The subject and the plain text are not HTML: compiled a second time without
        # autoescape, so `13 < 60` stays `13 < 60` there (it read `13 &lt; 60`).
        self.env = Environment(loader=FileSystemLoader(directory), undefined=StrictUndefined,
                               autoescape=select_autoescape(default=True))
        self.plain_env = Environment(loader=FileSystemLoader(directory),
                                     undefined=StrictUndefined, autoescape=False)
        for env in (self.env, self.plain_env):
            env.filters["validity"] = validity
        names = [n for n in self.env.list_templates() if n.endswith(".j2")]
        self.compiled = {name: self.env.get_template(name) for name in names}
        self.plain = {name: self.plain_env.get_template(name) for name in names
                      if not name.split("/")[-1].startswith("_")}

    def events(self, language):
        return {n.split("/")[1][:-3] for n in self.compiled
                if n.startswith(language + "/") and not n.split("/")[1].startswith("_")}

    def render(self, event_type, language, context):
        lang = language if language in LANGUAGES else "tr"
        name = f"{lang}/{event_type}.j2"
        template, plain = self.compiled[name], self.plain[name]
        ctx, plain_ctx = template.new_context(context), plain.new_context(context)
        parts = {block: "".join(plain.blocks[block](plain_ctx)).strip()
                 for block in ("subject", "text")}
        parts["html"] = "".join(template.blocks["html"](ctx)).strip()
        parts["subject"] = " ".join(parts["subject"].split())
        layout = self.compiled.get(f"{lang}/_layout.html.j2")
        if layout is not None:
            parts["html"] = layout.render({**context, "content": parts["html"],
                                           "subject": parts["subject"]})
        return parts


SMTP_BYTES = compat32.clone(linesep="\r\n")


def build_message(parts, *, sender, recipient, recipient_name, msg_id):
    """A multipart/alternative (text + HTML, UTF-8) message as SMTP-ready bytes (CRLF).
    Built with the compat32 MIME classes: several times faster than EmailMessage's header
    registry, which was most of notify's CPU per message (docs/benchmarks.md)."""
    msg = MIMEMultipart("alternative")
    msg["Subject"] = Header(parts["subject"], "utf-8")
    msg["From"] = sender if sender.isascii() else Header(sender, "utf-8")
    msg["To"] = formataddr((recipient_name or "", recipient), charset="utf-8")
    msg["Message-ID"] = msg_id
    msg["Date"] = format_datetime(datetime.now(timezone.utc))  # "+0000", not "-0000"
    msg.attach(MIMEText(parts["text"], "plain", "utf-8"))
    msg.attach(MIMEText(parts["html"], "html", "utf-8"))
    return msg.as_bytes(policy=SMTP_BYTES)

"""Rules of the device archive. Plain Python: no framework imports."""
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.common.text import fold

LOCAL_TZ = ZoneInfo("Europe/Istanbul")

MANUFACTURER_WARRANTY, CONTRACT, REPAIR_WARRANTY, NONE = (
    "manufacturer_warranty", "contract", "repair_warranty", "none")
KINDS = (MANUFACTURER_WARRANTY, CONTRACT, REPAIR_WARRANTY)

# Which cover answers when several hold on the same day. The rule: the one that pays the most
# for the customer, and among those the one whose cost lies outside this service department.
#   1. manufacturer warranty: parts and labour, paid by the manufacturer;
#   2. repair warranty: parts and labour of a repeated fault, paid by this department;
#   3. maintenance contract: labour, parts only as the contract says, and it uses up the
#      customer's contract.
PRECEDENCE = (MANUFACTURER_WARRANTY, REPAIR_WARRANTY, CONTRACT)

KIND_NAMES = {
    MANUFACTURER_WARRANTY: {"tr": "Üretici garantisi", "en": "Manufacturer warranty"},
    CONTRACT: {"tr": "Bakım sözleşmesi", "en": "Maintenance contract"},
    REPAIR_WARRANTY: {"tr": "Tamir garantisi", "en": "Repair warranty"},
    NONE: {"tr": "Kapsam dışı", "en": "Not covered"},
}

# The card's derived end date of each kind.
END_COLUMN = {MANUFACTURER_WARRANTY: "warranty_end", CONTRACT: "contract_end",
              REPAIR_WARRANTY: "repair_warranty_end"}

DEFAULT_DEVICE_TYPES = (
    ("klima", "Klima", "Air conditioner"),
    ("kombi", "Kombi", "Combi boiler"),
    ("fotokopi", "Fotokopi makinesi", "Copier"),
    ("yazici", "Yazıcı", "Printer"),
    ("buzdolabi", "Buzdolabı", "Refrigerator"),
    ("sogutucu", "Soğutucu", "Refrigeration unit"),
    ("jenerator", "Jeneratör", "Generator"),
    ("medikal", "Medikal cihaz", "Medical device"),
    ("endustriyel", "Endüstriyel makine", "Industrial machine"),
)


def local_today(now=None):
    """Today in Türkiye: coverage is asked for the local calendar day."""
    return (now or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).date()


def device_key(brand, serial):
    """(brand, serial) identify a device; compared folded and trimmed, so 'Bosch'/'BOSCH' and
    ' sn-1 '/'SN-1' are the same card."""
    return fold(brand.strip()), fold(serial.strip())


def model_key(model):
    return fold(model.strip()) if model else None


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date
    source_id: int | None = None
    source_ref: str | None = None
    terms: dict | None = None  # a contract's {pays, service_levels}


def _fmt(day, language):
    return day.strftime("%d.%m.%Y") if language == "tr" else day.isoformat()


def _source(period, language):
    if period.kind == CONTRACT and period.source_id:
        ref = period.source_ref or f"#{period.source_id}"
        return f" ({'sözleşme' if language == 'tr' else 'contract'} {ref})"
    if period.kind == REPAIR_WARRANTY and period.source_id:
        ref = period.source_ref or f"#{period.source_id}"
        return f" ({'servis formu' if language == 'tr' else 'service form'} {ref})"
    return ""


def coverage_on(periods, day):
    """What covers a device on `day` (both ends of a period included): the kind, its end and
    source, and why — in Turkish and English. Several at once: PRECEDENCE decides and the others
    are listed in `also`. None: the reason names the cover that ended last or starts next."""
    active = [p for p in periods if p.start <= day <= p.end]
    if active:
        rank = {kind: i for i, kind in enumerate(PRECEDENCE)}
        active.sort(key=lambda p: (rank[p.kind], -p.end.toordinal()))
        win, others = active[0], active[1:]
        reason = {lang: f"{KIND_NAMES[win.kind][lang]}{_source(win, lang)} "
                        + (f"{_fmt(win.end, lang)} tarihine kadar geçerli." if lang == "tr"
                           else f"valid until {_fmt(win.end, lang)}.") for lang in ("tr", "en")}
        if other_kinds := sorted({p.kind for p in others if p.kind != win.kind}, key=rank.get):
            reason["tr"] += (" Aynı gün " + ", ".join(KIND_NAMES[k]["tr"].lower()
                                                      for k in other_kinds)
                             + " de geçerli; önce gelen: üretici garantisi, sonra tamir "
                               "garantisi, sonra sözleşme.")
            reason["en"] += (" Also valid that day: " + ", ".join(
                KIND_NAMES[k]["en"].lower() for k in other_kinds)
                + "; precedence: manufacturer warranty, then repair warranty, then contract.")
        return {"kind": win.kind, "start": win.start, "end": win.end,
                "source_id": win.source_id, "reason": reason, "terms": win.terms,
                "also": [{"kind": p.kind, "end": p.end, "source_id": p.source_id}
                         for p in others]}
    upcoming = sorted((p for p in periods if p.start > day), key=lambda p: p.start)
    ended = sorted((p for p in periods if p.end < day), key=lambda p: p.end)
    if upcoming:
        p = upcoming[0]
        reason = {lang: f"{KIND_NAMES[NONE][lang]}: {KIND_NAMES[p.kind][lang].lower()}"
                        f"{_source(p, lang)} "
                        + (f"{_fmt(p.start, lang)} tarihinde başlıyor." if lang == "tr"
                           else f"starts on {_fmt(p.start, lang)}.") for lang in ("tr", "en")}
    elif ended:
        p = ended[-1]
        reason = {lang: f"{KIND_NAMES[NONE][lang]}: {KIND_NAMES[p.kind][lang].lower()}"
                        f"{_source(p, lang)} "
                        + (f"{_fmt(p.end, lang)} tarihinde bitti." if lang == "tr"
                           else f"ended on {_fmt(p.end, lang)}.") for lang in ("tr", "en")}
    else:
        reason = {"tr": "Kapsam dışı: cihazın garanti, sözleşme veya tamir garantisi kaydı yok.",
                  "en": "Not covered: the device has no warranty, contract or repair warranty."}
    return {"kind": NONE, "start": None, "end": None, "source_id": None, "reason": reason,
            "terms": None, "also": []}


def derived_ends(periods):
    """The card's current end of each kind: the latest end among that kind's periods."""
    ends = {column: None for column in END_COLUMN.values()}
    for p in periods:
        column = END_COLUMN[p.kind]
        if ends[column] is None or p.end > ends[column]:
            ends[column] = p.end
    return ends


def jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(obj, values):
    """{field: [old, new]} for the fields of `values` that differ on `obj` (JSON-ready)."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if isinstance(old, Decimal) and new is not None:
            new = Decimal(str(new))
        if old != new:
            changes[field] = [jsonable(old), jsonable(new)]
    return changes


def history_json(changes):
    return json.dumps(changes, ensure_ascii=False, sort_keys=True)


# how often forms e-mails a customer the periodic service report (periyodik servis raporu)
REPORT_FREQUENCIES = ("none", "monthly", "quarterly")


def customer_snapshot(c):
    """What other services keep of a customer (DESIGN.md: snapshots, not call-backs)."""
    return {"id": c.id, "name": c.name, "email": c.email, "language": c.language,
            "version": c.version, "rep": ({"user_id": c.rep_user_id, "name": c.rep_name, "email": c.rep_email,
                     "language": c.rep_language}
                    if (c.rep_name or c.rep_email or c.rep_user_id) else None)}


def customer_event(c):
    snap = customer_snapshot(c)
    return {"customer": {**{k: snap[k] for k in ("id", "name", "email", "language")},
                         "tax_no": c.tax_no, "rep": snap["rep"], "version": c.version,
                         "report_frequency": c.report_frequency or "none"}}


def device_snapshot(d):
    return {"id": d.id, "customer_id": d.customer_id, "brand": d.brand, "model": d.model,
            "device_type": d.device_type, "serial": d.serial}


def owner_details(owner):
    """The customer a 409 names: `owner` {id, name}, and flat beside it the values its
    message is a template over (owner_id, owner_name)."""
    return {"owner": {"id": owner.id, "name": owner.name}, "owner_id": owner.id,
            "owner_name": owner.name}


def owner_conflict_details(device, owner):
    return {"device_id": device.id, "brand": device.brand, "serial": device.serial,
            **owner_details(owner)}


def contract_terms(event):
    """The terms a contract event carries ({pays, service_levels}), or None (an event of
    before issue 17: the global default applies)."""
    c = event.get("contract") or {}
    if c.get("pays") is None and c.get("service_levels") is None:
        return None
    return {"pays": c.get("pays"), "service_levels": c.get("service_levels")}


def coverage_from_event(event):
    """The coverage periods an event of contracts or forms means, as
    (device_id, kind, source_id, source_ref, start, end): a contract activated covers its
    devices from start to end; an expired one ends on its end date (earlier than planned when
    it was ended early); a completed form's repair warranty covers its device."""
    if event["event_type"] in ("contract_activated", "contract_expired"):
        c = event["contract"]
        return [(d, CONTRACT, c["id"], c["number"], c["start"], c["end"])
                for d in event["devices"]]
    if event["event_type"] == "form_completed" and event.get("repair_warranty"):
        f, w = event["form"], event["repair_warranty"]
        return [(event["device_id"], REPAIR_WARRANTY, f["id"], f["number"], w["start"],
                 w["end"])]
    return []


# -- Turkish identifiers (the import checks them; docs/architecture.md says why only there) --

def vkn_valid(number: str) -> bool:
    """A 10-digit tax number (vergi kimlik numarası) whose last digit is its check digit (the
    Revenue Administration's algorithm: each of the first nine digits shifted by its place,
    doubled place-many times modulo 9, summed)."""
    if len(number) != 10 or not number.isdigit():
        return False
    total = 0
    for i, c in enumerate(number[:9]):
        shifted = (int(c) + 9 - i) % 10
        value = (shifted * 2 ** (9 - i)) % 9
        total += 9 if shifted and not value else value
    return (10 - total % 10) % 10 == int(number[9])


def tckn_valid(number: str) -> bool:
    """An 11-digit national id (T.C. kimlik numarası): no leading 0; the 10th digit is
    (7 × the odd places' sum − the even places' sum) mod 10, the 11th the first ten's sum mod 10."""
    if len(number) != 11 or not number.isdigit() or number[0] == "0":
        return False
    d = [int(c) for c in number]
    return (((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10 == d[9]
            and sum(d[:10]) % 10 == d[10])


PROVINCES = (  # Türkiye's 81 provinces (il), by plate number
    "Adana", "Adıyaman", "Afyonkarahisar", "Ağrı", "Amasya", "Ankara", "Antalya", "Artvin",
    "Aydın", "Balıkesir", "Bilecik", "Bingöl", "Bitlis", "Bolu", "Burdur", "Bursa", "Çanakkale",
    "Çankırı", "Çorum", "Denizli", "Diyarbakır", "Edirne", "Elazığ", "Erzincan", "Erzurum",
    "Eskişehir", "Gaziantep", "Giresun", "Gümüşhane", "Hakkari", "Hatay", "Isparta", "Mersin",
    "İstanbul", "İzmir", "Kars", "Kastamonu", "Kayseri", "Kırklareli", "Kırşehir", "Kocaeli",
    "Konya", "Kütahya", "Malatya", "Manisa", "Kahramanmaraş", "Mardin", "Muğla", "Muş",
    "Nevşehir", "Niğde", "Ordu", "Rize", "Sakarya", "Samsun", "Siirt", "Sinop", "Sivas",
    "Tekirdağ", "Tokat", "Trabzon", "Tunceli", "Şanlıurfa", "Uşak", "Van", "Yozgat",
    "Zonguldak", "Aksaray", "Bayburt", "Karaman", "Kırıkkale", "Batman", "Şırnak", "Bartın",
    "Ardahan", "Iğdır", "Yalova", "Karabük", "Kilis", "Osmaniye", "Düzce")
# folded name (and a few spellings people write) -> the province as written above
PROVINCE_BY_KEY = {fold(p): p for p in PROVINCES}
PROVINCE_BY_KEY.update({"icel": "Mersin", "maras": "Kahramanmaraş", "urfa": "Şanlıurfa",
                        "antep": "Gaziantep", "afyon": "Afyonkarahisar", "hakkâri": "Hakkari",
                        "k.maras": "Kahramanmaraş"})


def province(text):
    """The province a cell names (any case, Turkish letters or not: `ISTANBUL`, `istanbul`,
    `İstanbul`; or its plate number `34`), or None."""
    key = fold(text.strip())
    if key.isdigit() and 1 <= int(key) <= len(PROVINCES):
        return PROVINCES[int(key) - 1]
    return PROVINCE_BY_KEY.get(key)

"""portal's rules as plain Python: a service request's lifecycle (one table), the photos' checks
by content, and what a customer reads of their form's timeline (names in TR and EN, chosen
here: the customer's words, not the workshop's)."""
from services.common.exceptions import Conflict, Forbidden, invalid
from services.common.roles import ADMIN, DESK_ROLE, MANAGER

# submitted → accepted (forms opened the form) | declined (with a reason the customer reads)
REVIEWERS = (DESK_ROLE, MANAGER, ADMIN)
TRANSITIONS = {("submitted", "accepted"): REVIEWERS, ("submitted", "declined"): REVIEWERS}
REQUEST_STATUSES = ("submitted", "accepted", "declined")
REQUEST_STATUS_NAMES = {
    "submitted": {"tr": "İnceleniyor", "en": "Under review"},
    "accepted": {"tr": "Kabul edildi", "en": "Accepted"},
    "declined": {"tr": "Reddedildi", "en": "Declined"},
}

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ((b"\xff\xd8\xff", "image/jpeg", "jpg"),
               (b"\x89PNG\r\n\x1a\n", "image/png", "png"))
NOT_A_PHOTO = "Not a JPEG or PNG picture (by its content)."
PHOTO_TOO_BIG = "At most 5 MB a photo."
TOO_MANY_PHOTOS = "At most 5 photos."
NOT_IN_STATE = "The request is {status}; only a submitted request is accepted or declined."
NOT_REVIEWER = "The role '{role}' may not review service requests."


def photo_type(data):
    """(content type, extension) of a photo by its first bytes, whatever its name says."""
    for magic, content_type, ext in PHOTO_TYPES:
        if data.startswith(magic):
            return content_type, ext
    return None


def check_photo(data, index):
    if len(data) > MAX_PHOTO_BYTES:
        raise invalid(**{"photos": {index: [PHOTO_TOO_BIG]}})
    kind = photo_type(data)
    if kind is None:
        raise invalid(**{"photos": {index: [NOT_A_PHOTO]}})
    return kind


def check_move(status, to, role):
    """Who may make the move first (403), then whether the request's state allows it (409)."""
    if role not in {r for (_, b), roles in TRANSITIONS.items() if b == to for r in roles}:
        raise Forbidden(NOT_REVIEWER, {"role": role, "allowed_roles": list(REVIEWERS)})
    if (status, to) not in TRANSITIONS:
        raise Conflict(NOT_IN_STATE, {"status": status})


# -- the customer's timeline -------------------------------------------------------------------
# The statuses a customer reads, in their words (forms' own names are the workshop's).
STATUS_NAMES = {
    "NEW": {"tr": "Kaydınız alındı", "en": "Received"},
    "ASSIGNED": {"tr": "Teknisyene verildi", "en": "With a technician"},
    "DIAGNOSIS": {"tr": "Arıza inceleniyor", "en": "Being examined"},
    "AWAITING_APPROVAL": {"tr": "Fiyat onayınız bekleniyor", "en": "Awaiting your approval"},
    "AWAITING_PARTS": {"tr": "Parça bekleniyor", "en": "Awaiting parts"},
    "IN_REPAIR": {"tr": "Tamir ediliyor", "en": "Being repaired"},
    "REPAIRED": {"tr": "Tamir edildi", "en": "Repaired"},
    "DELIVERED": {"tr": "Teslim edildi", "en": "Delivered"},
    "FINAL_CHECK": {"tr": "Teslim edildi", "en": "Delivered"},
    "CLOSED": {"tr": "Kapandı", "en": "Closed"},
    "CANCELLED": {"tr": "İptal edildi", "en": "Cancelled"},
    "REOPENED": {"tr": "Yeniden açıldı", "en": "Reopened"},
}
ENTRY_NAMES = {
    "created": {"tr": "Servis kaydı açıldı", "en": "Service form opened"},
    "status": {"tr": "Durum değişti", "en": "Status changed"},
    "price_requested": {"tr": "Fiyat onayınız istendi", "en": "Your price approval was asked"},
    "price_approved": {"tr": "Fiyat onaylandı", "en": "Price approved"},
    "price_rejected": {"tr": "Fiyat reddedildi", "en": "Price rejected"},
    "completed": {"tr": "Cihazınız teslime hazır / teslim edildi",
                  "en": "Your device is ready / delivered"},
    "closed": {"tr": "Servis kaydı kapandı", "en": "Service form closed"},
    "reopened": {"tr": "Servis kaydı yeniden açıldı", "en": "Service form reopened"},
}
ENTRY_KINDS = tuple(ENTRY_NAMES)
# The moves forms marks `customer_visible` on form_status_changed (forms' CUSTOMER_VISIBLE;
# a unit test holds the two equal): what a rebuild from forms' history keeps.
CUSTOMER_VISIBLE = frozenset({"NEW", "AWAITING_APPROVAL", "IN_REPAIR", "REPAIRED",
                              "DELIVERED", "CLOSED", "CANCELLED", "REOPENED"})


def language_of(value):
    return value if value in ("tr", "en") else "tr"


def status_name(status, language):
    names = STATUS_NAMES.get(status)
    return names[language_of(language)] if names else status


def entry_title(kind, language):
    return ENTRY_NAMES[kind][language_of(language)]


NO_TRACKING = "No such tracking link."  # forged, revoked, expired, or not (yet) in the timeline
TOKEN_LONGEST = 64  # forms' tracking tokens' column: a longer one is never a token

"""devices' admin-editable catalogue: device types (cihaz tipi), read and written over one
session (the caller commits). A card stores a type's code and accepts the code or either name
on input."""
from sqlalchemy import select

from services.common.exceptions import Conflict, NotFound, invalid
from services.common.text import fold
from services.devices import domain
from services.devices.models import DeviceType


def seed_catalogue(session):
    """The default device-type catalogue in a new database (admins edit it after)."""
    if session.scalars(select(DeviceType.code).limit(1)).first() is None:
        session.add_all(DeviceType(code=c, name_tr=tr, name_en=en)
                        for c, tr, en in domain.DEFAULT_DEVICE_TYPES)


def device_type_out(t):
    return {"code": t.code, "name": {"tr": t.name_tr, "en": t.name_en}, "active": t.active}


class DeviceTypes:
    def __init__(self, session):
        self.db = session
        self._types = None  # the catalogue, read once per unit of work (an import's batch)

    def entries(self, include_inactive=False):
        stmt = select(DeviceType).order_by(DeviceType.code)
        if not include_inactive:
            stmt = stmt.where(DeviceType.active.is_(True))
        return [device_type_out(t) for t in self.db.scalars(stmt)]

    def create(self, data):
        if self.db.get(DeviceType, data["code"]) is not None:
            raise Conflict("Device type '{code}' exists.", {"code": data["code"]})
        self._unique_names(data)
        t = DeviceType(**data)
        self.db.add(t)
        return t

    def update(self, code, data):
        t = self.db.get(DeviceType, code) if isinstance(code, str) else None
        if t is None:
            raise NotFound("Device type '{code}' not found.", {"code": code})
        self._unique_names(data, t.code)
        for k, v in data.items():
            setattr(t, k, v)
        return t

    def _unique_names(self, data, code=None):
        """A name (TR or EN, folded) names one type: cards and imports resolve names."""
        names = {fold(data[k]) for k in ("name_tr", "name_en") if data.get(k)}
        for other in self.db.scalars(select(DeviceType).where(DeviceType.code != (code or ""))):
            clash = names & {fold(other.name_tr), fold(other.name_en), other.code}
            if clash:
                raise Conflict("The name '{name}' is already device type '{code}'.",
                               {"code": other.code, "name": sorted(clash)[0]})

    def code(self, value, current=None, allow_inactive=False):
        """A catalogue code for `value`: the code itself or a TR/EN name (folded). A type
        made inactive is refused for new values but kept where a card already has it."""
        if value is None:
            return None
        if self._types is None:
            self._types = self.db.scalars(select(DeviceType)).all()
            self._by_name = {}
            for t in self._types:
                for name in (t.code, fold(t.name_tr), fold(t.name_en)):
                    self._by_name.setdefault(name, t)
        t = self._by_name.get(fold(value))
        if t is not None:
            if not t.active and t.code != current and not allow_inactive:
                raise invalid(device_type=[(
                    "Device type '{code}' is no longer in use (inactive).", {"code": t.code})])
            return t.code
        raise invalid(device_type=[(
            "Unknown device type '{value}'; the catalogue has: {codes}.",
            {"value": value, "codes": ", ".join(sorted(t.code for t in self._types if t.active))})])

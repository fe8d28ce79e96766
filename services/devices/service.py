"""devices: the installed base — customers and device cards (cihaz kartı)."""
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.common.exceptions import Conflict, NotFound
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, encode_cursor, is_id, like_pattern, load
from services.common.text import fold, sort_key
from services.devices import domain
from services.devices.models import Base, Customer, Device
from services.devices.schemas import (CustomerIn, CustomerOut, CustomerQuery, DeviceIn,
                                      DeviceOut, DeviceQuery, IntakeIn)


class DevicesService:
    name = "devices"

    db = Database(Base.metadata)
    outbox = Outbox("db")

    @rpc
    def ping(self):
        return "devices"

    # -- customers -------------------------------------------------------------------------
    @rpc
    def create_customer(self, data):
        data = load(CustomerIn(), data)
        customer = Customer(**data, name_folded=fold(data["name"]), name_sort=sort_key(data["name"]))
        self.db.add(customer)
        self.db.flush()
        snap = domain.customer_snapshot(customer)
        self.outbox.add(self.db, "customer_created", {"customer": {
            **{k: snap[k] for k in ("id", "name", "email", "language")},
            "tax_no": customer.tax_no, "rep": snap["rep"]}})
        self.db.commit()
        return CustomerOut().dump(customer)

    @rpc
    def get_customer(self, customer_id):
        return CustomerOut().dump(self._customer(customer_id))

    @rpc
    def find_customers(self, query=None):
        query = load(CustomerQuery(), query or {})
        stmt = select(Customer)
        if query["q"]:
            pattern = like_pattern(fold(query["q"]))
            stmt = stmt.where(or_(Customer.name_folded.like(pattern, escape="\\"),
                                  Customer.tax_no.like(pattern, escape="\\")))
        if query["cursor"]:
            last_sort, last_id = decode_cursor(query["cursor"], str, int)
            stmt = stmt.where(or_(Customer.name_sort > last_sort,
                                  and_(Customer.name_sort == last_sort, Customer.id > last_id)))
        rows = self.db.scalars(stmt.order_by(Customer.name_sort, Customer.id)
                               .limit(query["limit"] + 1)).all()
        page = rows[:query["limit"]]
        next_cursor = (encode_cursor([page[-1].name_sort, page[-1].id])
                       if len(rows) > query["limit"] else None)
        return {"items": CustomerOut(many=True).dump(page), "next_cursor": next_cursor}

    # -- devices ---------------------------------------------------------------------------
    @rpc
    def register_device(self, data):
        data = load(DeviceIn(), data)
        customer = self._customer(data.pop("customer_id"))
        existing = self._device_by_key(data["brand"], data["serial"])
        if existing is not None:
            raise self._already_registered(existing)
        device, registered = self._register(customer, data)
        if not registered:
            raise self._already_registered(device)
        return DeviceOut().dump(device)

    @rpc
    def get_device(self, device_id):
        return DeviceOut().dump(self._device(device_id))

    @rpc
    def find_devices(self, query=None):
        query = load(DeviceQuery(), query or {})
        stmt = select(Device)
        if query["serial"]:
            stmt = stmt.where(Device.serial_key == fold(query["serial"]))
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(Device.id > last_id)
        rows = self.db.scalars(stmt.order_by(Device.id).limit(query["limit"] + 1)).all()
        page = rows[:query["limit"]]
        next_cursor = encode_cursor([page[-1].id]) if len(rows) > query["limit"] else None
        return {"items": DeviceOut(many=True).dump(page), "next_cursor": next_cursor}

    @rpc
    def resolve_intake(self, data):
        """The customer and device for a new service form: a card picked by id, or found by
        (brand, serial), or registered now. A device of another customer is a 409 naming the
        owner; an existing card is never overwritten."""
        data = load(IntakeIn(), data)
        customer = self._customer(data["customer_id"])
        registered = False
        if data["device_id"] is not None:
            device = self._device(data["device_id"])
        else:
            device = self._device_by_key(data["device"]["brand"], data["device"]["serial"])
            if device is None:
                device, registered = self._register(customer, data["device"])
        if device.customer_id != customer.id:
            raise self._already_registered(device)
        return {"customer": domain.customer_snapshot(customer),
                "device": domain.device_snapshot(device), "registered": registered}

    # -- helpers ---------------------------------------------------------------------------
    def _customer(self, customer_id):
        customer = self.db.get(Customer, customer_id) if is_id(customer_id) else None
        if customer is None:
            raise NotFound(f"Customer {customer_id} not found.", {"customer_id": customer_id})
        return customer

    def _device(self, device_id):
        device = self.db.get(Device, device_id) if is_id(device_id) else None
        if device is None:
            raise NotFound(f"Device {device_id} not found.", {"device_id": device_id})
        return device

    def _device_by_key(self, brand, serial):
        brand_key, serial_key = domain.device_key(brand, serial)
        return self.db.scalars(select(Device).where(Device.brand_key == brand_key,
                                                    Device.serial_key == serial_key)).first()

    def _already_registered(self, device):
        owner = self.db.get(Customer, device.customer_id)
        return Conflict(f"Device {device.brand} {device.serial} is already registered to "
                        f"customer {owner.name} (#{owner.id}).",
                        domain.owner_conflict_details(device, owner))

    def _register(self, customer, spec):
        """Register a card; returns (device, True), or (the card a concurrent worker
        registered first, False)."""
        brand_key, serial_key = domain.device_key(spec["brand"], spec["serial"])
        device = Device(customer_id=customer.id, brand=spec["brand"], serial=spec["serial"],
                        model=spec.get("model"), device_type=spec.get("device_type"),
                        brand_key=brand_key, serial_key=serial_key)
        self.db.add(device)
        try:
            self.db.flush()
        except IntegrityError:  # registered concurrently by another worker?
            self.db.rollback()
            existing = self._device_by_key(spec["brand"], spec["serial"])
            if existing is None:  # another constraint: not a duplicate card
                raise
            return existing, False
        snap = domain.device_snapshot(device)
        self.outbox.add(self.db, "device_registered", {"device": snap})
        self.db.commit()
        return device, True

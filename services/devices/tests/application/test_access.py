"""Issue 20, findings 1, 2, 5 and 6 in devices: the record rules of services/common/access.py
that need the record, applied by devices with the actor the gateway passes — a customer's
representative and e-mail addresses change only by a manager or an admin; the contracts role
adds `contract` coverage periods only; an import job is read by its owner, a manager or an
admin. Each refused write changes nothing and sends no event."""
import pytest

from services.common.exceptions import Forbidden, NotFound
from services.common.testing import application
from services.devices.catalogues import seed_catalogue
from services.devices.models import Base
from services.devices.service import DevicesService

ADMIN = {"id": 1, "name": "Admin", "role": "admin", "email": None, "language": "tr"}
MANAGER = {"id": 2, "name": "Müdür", "role": "manager", "email": None, "language": "tr"}
DESK = {"id": 3, "name": "Masa", "role": "desk", "email": None, "language": "tr"}
REP1 = {"id": 4, "name": "Temsilci Bir", "role": "rep", "email": "r1@s.local", "language": "tr"}
REP2 = {"id": 5, "name": "Temsilci İki", "role": "rep", "email": "r2@s.local", "language": "tr"}
CONTRACTS = {"id": 6, "name": "Sözleşme", "role": "contracts", "email": None, "language": "tr"}
CONTRACTS2 = {"id": 7, "name": "Sözleşme İki", "role": "contracts", "email": None,
              "language": "tr"}
CUSTOMER = {"id": 8, "name": "Müşteri", "role": "customer", "email": None, "language": "tr"}


@pytest.fixture
def devices(database_url):
    service, engine = application(DevicesService, database_url("devices"), None, Base.metadata,
                                  seed=seed_catalogue)
    yield service
    service.db.close()
    engine.dispose()


def _customer(devices):
    return devices.create_customer({
        "name": "Işık Soğutma", "email": "info@isik.example", "rep_user_id": REP2["id"],
        "rep_name": REP2["name"], "rep_email": REP2["email"],
        "contacts": [{"name": "Ayşe", "email": "ayse@isik.example"}]})


def _events(devices):
    return len(devices.outbox.events) if hasattr(devices.outbox, "events") else None


@pytest.mark.parametrize("actor", [REP1, DESK, CONTRACTS])
@pytest.mark.parametrize("change", [
    {"rep_user_id": REP1["id"], "rep_name": REP1["name"], "rep_email": REP1["email"]},  # 1.
    {"rep_user_id": None, "rep_email": "x@outside.example"},  # 2.
    {"email": "x@outside.example"},
    {"contacts": [{"name": "Ayşe", "email": "x@outside.example"}]},
])
def test_only_managers_change_a_customers_representative_and_addresses(devices, actor, change):
    customer = _customer(devices)
    before = devices.get_customer(customer["id"])
    with pytest.raises(Forbidden):
        devices.update_customer(customer["id"], {**change, "version": before["version"]},
                                actor)
    devices.db.rollback()
    assert devices.get_customer(customer["id"]) == before
    for allowed in (MANAGER, ADMIN):
        now = devices.get_customer(customer["id"])
        changed = devices.update_customer(customer["id"], {**change, "version": now["version"]},
                                          allowed)
        assert changed["version"] == now["version"] + 1 or changed == now


def test_other_fields_stay_open_to_the_archive_writers(devices):
    customer = _customer(devices)
    for n, actor in enumerate((REP1, DESK, CONTRACTS)):
        now = devices.get_customer(customer["id"])
        changed = devices.update_customer(customer["id"], {
            "phone": f"0212 555 01 2{n}", "version": now["version"],
            # the same representative and addresses sent back unchanged: no refusal
            "rep_user_id": now["rep"]["user_id"] if now.get("rep") else REP2["id"],
            "email": now["email"],
            "contacts": [{"name": "Ayşe", "email": "ayse@isik.example"}]}, actor)
        assert changed["phone"] == f"0212 555 01 2{n}"


def _device(devices):
    customer = _customer(devices)
    return devices.register_device({"customer_id": customer["id"], "brand": "Daikin",
                                    "serial": "SN-1"}, DESK)


@pytest.mark.parametrize("kind", ["manufacturer_warranty", "repair_warranty"])
def test_the_contracts_role_adds_contract_periods_only(devices, kind):  # 6.
    device = _device(devices)
    period = {"start": "2027-01-01", "end": "2027-12-31", "version": device["version"]}
    with pytest.raises(Forbidden):
        devices.add_coverage(device["id"], {**period, "kind": kind}, CONTRACTS)
    devices.db.rollback()
    assert devices.get_device(device["id"])["version"] == device["version"]
    added = devices.add_coverage(device["id"], {**period, "kind": "contract"}, CONTRACTS)
    assert any(p["kind"] == "contract" for p in added["periods"])
    again = devices.get_device(device["id"])
    devices.add_coverage(device["id"], {**period, "kind": kind, "version": again["version"]},
                         MANAGER)


def test_an_import_job_is_read_by_its_owner_managers_and_admins(devices):  # 5.
    job = devices.create_import({"kind": "devices", "keys": ["customer_name"]}, CONTRACTS)
    for reader in (CONTRACTS, MANAGER, ADMIN):
        assert devices.get_import(job["id"], {}, reader)["id"] == job["id"]
    with pytest.raises(Forbidden):
        devices.get_import(job["id"], {}, CONTRACTS2)
    with pytest.raises(NotFound):  # a customer learns nothing
        devices.get_import(job["id"], {}, CUSTOMER)

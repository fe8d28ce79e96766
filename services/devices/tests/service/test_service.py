"""devices against a real database (SQLite and PostgreSQL) and a real broker."""
import pytest
from sqlalchemy import create_engine, func, select

from services.common.events import load_event
from services.common.exceptions import Conflict, NotFound, ValidationFailed
from services.devices.models import Customer, Device
from services.devices.service import DevicesService


@pytest.fixture
def devices(run_services):
    (container,) = run_services(DevicesService)
    return container


def count(container, model):
    engine = create_engine(container.config["DATABASE_URL"])
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def test_create_customer_publishes_customer_created(devices, rpc, tap):
    events = tap("devices", "customer_created")
    c = rpc.devices.create_customer({"name": "IŞIK Soğutma", "email": "info@isik.com.tr",
                                     "rep_name": "Ayşe Yılmaz", "rep_email": "ayse@servis.local",
                                     "tax_no": "1234567890"})
    (message,) = events.wait(1)
    event = load_event("customer_created", message)
    assert event["customer"]["id"] == c["id"]
    assert event["customer"]["rep"]["email"] == "ayse@servis.local"
    assert event["producer"] == "devices"


def test_find_customers_is_turkish_aware_and_sorted(devices, rpc):
    for name in ["Zeytin Ltd", "IŞIK Soğutma", "Demir A.Ş.", "Çelik Makine", "Diyarbakır Işık"]:
        rpc.devices.create_customer({"name": name})
    found = [c["name"] for c in rpc.devices.find_customers({"q": "ışık"})["items"]]
    assert found == ["Diyarbakır Işık", "IŞIK Soğutma"]
    assert [c["name"] for c in rpc.devices.find_customers({"q": "DİYARBAKIR"})["items"]] == [
        "Diyarbakır Işık"]
    page1 = rpc.devices.find_customers({"limit": 2})
    page2 = rpc.devices.find_customers({"limit": 2, "cursor": page1["next_cursor"]})
    page3 = rpc.devices.find_customers({"limit": 2, "cursor": page2["next_cursor"]})
    names = [c["name"] for p in (page1, page2, page3) for c in p["items"]]
    assert names == ["Çelik Makine", "Demir A.Ş.", "Diyarbakır Işık", "IŞIK Soğutma", "Zeytin Ltd"]
    assert page3["next_cursor"] is None


def test_wildcards_in_a_search_are_literal(devices, rpc):
    rpc.devices.create_customer({"name": "Ak Ltd"})
    assert rpc.devices.find_customers({"q": "%"})["items"] == []
    with pytest.raises(ValidationFailed) as exc:
        rpc.devices.find_customers({"cursor": "not-a-cursor"})
    assert "cursor" in exc.value.details


def test_register_device_once_then_409_naming_the_owner(devices, rpc, tap):
    events = tap("devices", "device_registered")
    owner = rpc.devices.create_customer({"name": "Çelik Makine"})
    d = rpc.devices.register_device({"customer_id": owner["id"], "brand": "Bosch",
                                     "serial": "SN-1", "model": "X", "device_type": "Klima"})
    assert load_event("device_registered", events.wait(1)[0])["device"]["id"] == d["id"]
    with pytest.raises(Conflict) as exc:
        rpc.devices.register_device({"customer_id": owner["id"], "brand": "BOSCH",
                                     "serial": " sn-1 "})
    assert exc.value.details["owner"] == {"id": owner["id"], "name": "Çelik Makine"}
    assert [x["id"] for x in rpc.devices.find_devices({"serial": "sn-1"})["items"]] == [d["id"]]
    assert count(devices, Device) == 1


def test_resolve_intake_finds_registers_or_refuses(devices, rpc):
    a = rpc.devices.create_customer({"name": "Ak Ltd", "rep_email": "rep@x.com"})
    b = rpc.devices.create_customer({"name": "Bey Ltd"})
    spec = {"brand": "Arçelik", "serial": "A-1", "model": "M", "device_type": "Buzdolabı"}
    first = rpc.devices.resolve_intake({"customer_id": a["id"], "device": spec})
    assert first["registered"] is True and first["customer"]["rep"]["email"] == "rep@x.com"
    again = rpc.devices.resolve_intake({"customer_id": a["id"],
                                        "device": {**spec, "model": "changed"}})
    assert again["registered"] is False and again["device"]["model"] == "M"  # never overwritten
    by_id = rpc.devices.resolve_intake({"customer_id": a["id"], "device_id": first["device"]["id"]})
    assert by_id["device"] == first["device"]
    with pytest.raises(Conflict) as exc:
        rpc.devices.resolve_intake({"customer_id": b["id"], "device": spec})
    assert exc.value.details["owner"]["name"] == "Ak Ltd"
    with pytest.raises(NotFound):
        rpc.devices.resolve_intake({"customer_id": 999, "device": spec})
    with pytest.raises(ValidationFailed) as exc:
        rpc.devices.resolve_intake({"customer_id": a["id"]})
    assert "device" in exc.value.details


def test_bad_input_is_422_with_fields_and_writes_nothing(devices, rpc):
    with pytest.raises(ValidationFailed) as exc:
        rpc.devices.create_customer({"name": "  ", "email": "nope", "tax_no": "12"})
    assert set(exc.value.details) == {"name", "email", "tax_no"}
    assert count(devices, Customer) == 0

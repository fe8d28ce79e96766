"""devices' `personal_data` (KVKK export) on a real database: the customer's card, contacts,
sites, device cards, their coverage and history; nothing of another customer; an unknown
customer is a 404."""
import json

import pytest

from services.common.exceptions import NotFound
from services.devices.tests.application.test_access import ADMIN, devices  # noqa: F401


def test_the_customer_and_everything_under_it(devices):  # noqa: F811
    mine = devices.create_customer({
        "name": "Ayşe Yılmaz", "email": "ayse@example.com", "phone": "0532 111 22 33",
        "address": "Bağdat Cd. 1", "contacts": [{"name": "Can Öz", "phone": "0533"}],
        "sites": [{"name": "Merkez", "address": "Kadıköy"}]})
    other = devices.create_customer({"name": "Başka Ltd", "email": "b@example.com"})
    card = devices.register_device({"customer_id": mine["id"], "brand": "Bosch",
                                    "serial": "KV-1", "price": "100.50"}, ADMIN)
    devices.register_device({"customer_id": other["id"], "brand": "Bosch", "serial": "KV-2"},
                            ADMIN)
    devices.update_device(card["id"], {"notes": "Sağ kapak çatlak",
                                       "version": card["version"]}, ADMIN)
    held = devices.personal_data(mine["id"])
    assert held["customer"]["name"] == "Ayşe Yılmaz"
    assert held["customer"]["phone"] == "0532 111 22 33"
    assert "name_folded" not in held["customer"]
    assert [c["name"] for c in held["contacts"]] == ["Can Öz"]
    assert [s["name"] for s in held["sites"]] == ["Merkez"]
    assert [d["serial"] for d in held["devices"]] == ["KV-1"]
    assert held["devices"][0]["price"] == "100.50"
    assert {h["device_id"] for h in held["device_history"]} == {card["id"]}
    text = json.dumps(held, ensure_ascii=False)
    assert "Başka Ltd" not in text and "KV-2" not in text


def test_an_unknown_customer_is_404(devices):  # noqa: F811
    with pytest.raises(NotFound):
        devices.personal_data(999)

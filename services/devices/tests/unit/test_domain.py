from types import SimpleNamespace

from services.devices import domain


def test_device_key_folds_brand_and_serial_the_turkish_way():
    assert domain.device_key(" Bosch ", "sn-1 ") == domain.device_key("BOSCH", "SN-1")
    assert domain.device_key("ARÇELİK", "ıI-1") == ("arcelik", "ii-1")


def test_customer_snapshot_has_no_rep_when_none_is_set():
    c = SimpleNamespace(id=3, name="Işık A.Ş.", email=None, language="tr", version=1,
                        rep_user_id=None, rep_name=None, rep_email=None, rep_language="tr")
    assert domain.customer_snapshot(c)["rep"] is None
    c.rep_name, c.rep_email = "Ayşe", "ayse@example.com"
    assert domain.customer_snapshot(c)["rep"] == {
        "user_id": None, "name": "Ayşe", "email": "ayse@example.com", "language": "tr"}

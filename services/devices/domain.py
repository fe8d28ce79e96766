"""Rules of the device archive. Plain Python: no framework imports."""
from services.common.text import fold


def device_key(brand, serial):
    """(brand, serial) identify a device; compared folded and trimmed, so 'Bosch'/'BOSCH' and
    ' sn-1 '/'SN-1' are the same card."""
    return fold(brand.strip()), fold(serial.strip())


def customer_snapshot(c):
    """What other services keep of a customer (DESIGN.md: snapshots, not call-backs)."""
    return {"id": c.id, "name": c.name, "email": c.email, "language": c.language,
            "rep": ({"user_id": c.rep_user_id, "name": c.rep_name, "email": c.rep_email,
                     "language": c.rep_language}
                    if (c.rep_name or c.rep_email or c.rep_user_id) else None)}


def device_snapshot(d):
    return {"id": d.id, "customer_id": d.customer_id, "brand": d.brand, "model": d.model,
            "device_type": d.device_type, "serial": d.serial}


def owner_conflict_details(device, owner):
    return {"device_id": device.id, "brand": device.brand, "serial": device.serial,
            "owner": {"id": owner.id, "name": owner.name}}

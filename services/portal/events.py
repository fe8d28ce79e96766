"""The payloads of the events portal publishes, built from a request: pure functions (their
schemas, shared with the consumers, are in services/common/events.py). A request's photos
travel as references ({service: portal, id}); the bytes stay with portal."""


def request_of(row, photo_ids=()):
    device = {"id": row.device_id, "brand": row.brand, "model": row.model,
              "device_type": row.device_type, "serial": row.serial}
    return {"id": row.id, "customer_id": row.customer_id, "device": device,
            "complaint": row.complaint,
            "photos": [{"service": "portal", "id": i} for i in photo_ids]}


def submitted(row, photo_ids):
    return {"request": request_of(row, photo_ids)}


def accepted(row):
    return {"request": request_of(row), "form": {"id": row.form_id, "number": row.form_number}}


def declined(row):
    return {"request": request_of(row), "reason": row.decline_reason}

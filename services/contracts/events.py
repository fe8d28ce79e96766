"""The payloads of the events contracts publishes, built from a contract: pure functions
(their schemas, shared with the consumers, are in services/common/events.py)."""


def pays_of(terms):
    return {"labour": bool(terms.pays_labour), "parts": bool(terms.pays_parts),
            "fee": bool(terms.pays_fee)}


def service_levels_of(terms):
    return {"response_hours": terms.response_hours, "repair_hours": terms.repair_hours}


def contract_snapshot(contract, end=None):
    return {"id": contract.id, "number": contract.number, "customer_id": contract.customer_id,
            "start": contract.start.isoformat(), "end": (end or contract.end).isoformat(),
            "pays": pays_of(contract), "service_levels": service_levels_of(contract)}


def contract_activated(contract, device_ids):
    return {"contract": contract_snapshot(contract), "devices": device_ids}


def contract_expired(contract, device_ids, end=None):
    """An expiry at the end date, or a cancel ending on `end` (the cancel date)."""
    return {"contract": contract_snapshot(contract, end), "devices": device_ids}


def renewal_due(contract, recipients):
    return {"contract_id": contract.id, "plan_id": None,
            "due_date": contract.end.isoformat(), "recipients": recipients}

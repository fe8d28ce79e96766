"""notify's `personal_data` (KVKK export) on a real database: the delivery log's messages about
the customer's forms and contracts, or sent to their addresses; nobody else's."""
import json

import pytest

from services.common.exceptions import ValidationFailed
from services.common.models import utcnow
from services.notify.models import Delivery
from services.notify.tests.application.test_password_reset import notify  # noqa: F401


def _delivery(n, **kw):
    return Delivery(message_id=f"<m{n}@servis>", event_id=f"e{n}", event_type="form_created",
                    recipient=kw.pop("recipient", "rep@s.local"), subject=f"Konu {n}",
                    mime=f"Subject: Konu {n}\r\n\r\nMerhaba Ayşe {n}".encode(),
                    created_at=utcnow(), **kw)


def test_the_messages_about_the_customer(notify):  # noqa: F811
    notify.db.add_all([_delivery(1, form_id=11), _delivery(2, contract_id=5),
                       _delivery(3, recipient="ayse@example.com"),
                       _delivery(4, form_id=99, recipient="other@example.com")])
    notify.db.commit()
    held = notify.personal_data({"customer_id": 7, "form_ids": [11, 12], "contract_ids": [5],
                                 "emails": ["ayse@example.com"]})
    assert [d["subject"] for d in held["deliveries"]] == ["Konu 1", "Konu 2", "Konu 3"]
    assert "Merhaba Ayşe 1" in held["deliveries"][0]["mime"]
    assert "claimed_by" not in held["deliveries"][0]
    json.dumps(held)


def test_a_bad_subject_is_a_422(notify):  # noqa: F811
    with pytest.raises(ValidationFailed) as err:
        notify.personal_data({"customer_id": "x", "form_ids": ["a"]})
    assert {"customer_id", "form_ids"} <= set(err.value.details)

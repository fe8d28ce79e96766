"""portal's rules without I/O: the request's lifecycle against a table written out apart
from domain.TRANSITIONS, the photos' checks by content, the customer scope and the
customer-safe schemas (services/common/scope.py)."""
import pytest
from marshmallow import fields
from sqlalchemy import select

from services.common.exceptions import Conflict, Forbidden, ValidationFailed
from services.common.scope import CustomerSafe, scope_of
from services.portal import domain
from services.portal.models import ServiceRequest

ROLES = ("admin", "desk", "manager", "technician", "final_checker", "rep", "contracts",
         "customer", "system")
EXPECTED = {("submitted", "accepted"): {"desk", "manager", "admin"},
            ("submitted", "declined"): {"desk", "manager", "admin"}}


@pytest.mark.parametrize("status", domain.REQUEST_STATUSES)
@pytest.mark.parametrize("to", ("accepted", "declined"))
def test_every_move_for_every_role(status, to):
    for role in ROLES:
        allowed = EXPECTED.get((status, to), set())
        if role in allowed:
            domain.check_move(status, to, role)
        elif role in {"desk", "manager", "admin"}:
            with pytest.raises(Conflict):
                domain.check_move(status, to, role)
        else:
            with pytest.raises(Forbidden):
                domain.check_move(status, to, role)


def test_photos_by_content_not_name():
    assert domain.photo_type(b"\xff\xd8\xff\xe0rest") == ("image/jpeg", "jpg")
    assert domain.photo_type(b"\x89PNG\r\n\x1a\nrest") == ("image/png", "png")
    for bad in (b"GIF89a", b"%PDF-1.7", b"", b"<svg"):
        with pytest.raises(ValidationFailed) as err:
            domain.check_photo(bad, 2)
        assert err.value.details == {"photos": {"2": [domain.NOT_A_PHOTO]}} or \
            err.value.details == {"photos": {2: [domain.NOT_A_PHOTO]}}
    with pytest.raises(ValidationFailed):
        domain.check_photo(b"\x89PNG\r\n\x1a\n" + b"0" * domain.MAX_PHOTO_BYTES, 0)


def test_the_scope_limits_a_customer_to_their_rows_and_staff_see_all():
    mine = scope_of({"role": "customer", "customer_id": 7})
    sql = str(mine.limit(select(ServiceRequest), ServiceRequest).compile(
        compile_kwargs={"literal_binds": True}))
    assert "service_requests.customer_id = 7" in sql
    staff = scope_of({"role": "desk", "id": 1})
    assert "WHERE" not in str(staff.limit(select(ServiceRequest), ServiceRequest))
    for broken in ({"role": "customer"}, {"role": "customer", "customer_id": "7"},
                   {"role": "customer", "customer_id": 0}):
        with pytest.raises(ValidationFailed):
            scope_of(broken)


def test_a_customer_safe_schema_refuses_an_internal_field():
    for name in ("note", "rep_email", "staff_name", "storage_key", "by_name"):
        with pytest.raises(TypeError, match=name):
            type("Leaky", (CustomerSafe,), {name: fields.String()})
    type("Fine", (CustomerSafe,), {"number": fields.String(), "status": fields.String()})


def test_the_rebuild_keeps_the_moves_forms_marks_customer_visible():
    from services.forms.domain import CUSTOMER_VISIBLE
    assert domain.CUSTOMER_VISIBLE == frozenset(CUSTOMER_VISIBLE)

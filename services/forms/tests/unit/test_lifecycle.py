"""The forms domain: every transition per role, fee arithmetic, repair warranty, the
satisfaction score (plain Python, no database)."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.forms import domain
from services.common.exceptions import Conflict, Forbidden
from services.forms.domain import Fees, check_transition, totals

ROLES = ("admin", "desk", "manager", "technician", "final_checker", "rep", "contracts",
         "customer", "system")

# The lifecycle of DESIGN.md and the issue, written out independently of domain.TRANSITIONS:
# "from -> to: roles".
EXPECTED = """
NEW -> ASSIGNED: manager admin
ASSIGNED -> DIAGNOSIS: technician manager admin
DIAGNOSIS -> AWAITING_APPROVAL: manager admin
DIAGNOSIS -> AWAITING_PARTS: technician manager admin
DIAGNOSIS -> IN_REPAIR: technician manager admin
AWAITING_APPROVAL -> AWAITING_PARTS: manager admin
AWAITING_APPROVAL -> IN_REPAIR: manager admin system
AWAITING_APPROVAL -> DIAGNOSIS: manager admin
AWAITING_APPROVAL -> REPAIRED: manager admin system
AWAITING_PARTS -> IN_REPAIR: technician manager admin
IN_REPAIR -> AWAITING_PARTS: technician manager admin
IN_REPAIR -> AWAITING_APPROVAL: manager admin
IN_REPAIR -> REPAIRED: technician manager admin
REPAIRED -> IN_REPAIR: technician manager admin
REPAIRED -> DELIVERED: desk manager admin
DELIVERED -> FINAL_CHECK: desk manager admin rep final_checker
FINAL_CHECK -> CLOSED: final_checker
FINAL_CHECK -> DELIVERED: final_checker
REOPENED -> ASSIGNED: manager admin
NEW -> CANCELLED: manager admin desk
ASSIGNED -> CANCELLED: manager admin
DIAGNOSIS -> CANCELLED: manager admin
AWAITING_APPROVAL -> CANCELLED: manager admin
AWAITING_PARTS -> CANCELLED: manager admin
IN_REPAIR -> CANCELLED: manager admin
REPAIRED -> CANCELLED: manager admin
DELIVERED -> REOPENED: manager admin system
FINAL_CHECK -> REOPENED: manager admin system
CLOSED -> REOPENED: manager admin system
"""
TABLE = {}
for line in EXPECTED.strip().splitlines():
    move, roles = line.split(":")
    a, b = (s.strip() for s in move.split("->"))
    TABLE[(a, b)] = set(roles.split())


@pytest.mark.parametrize("source", domain.STATUSES)
@pytest.mark.parametrize("target", domain.STATUSES)
def test_every_transition_for_every_role(source, target):
    for role in ROLES:
        allowed_roles = TABLE.get((source, target))
        if allowed_roles is None:
            with pytest.raises(Conflict) as exc:  # 409, naming the allowed moves
                check_transition(source, target, role)
            assert sorted(exc.value.details["allowed"]) == sorted(
                b for a, b in TABLE if a == source)
        elif role in allowed_roles:
            check_transition(source, target, role)
        else:
            with pytest.raises(Forbidden) as exc:  # 403
                check_transition(source, target, role)
            assert set(exc.value.details["allowed_roles"]) == allowed_roles


def test_every_status_has_turkish_and_english_names():
    assert domain.STATUS_NAMES["AWAITING_APPROVAL"] == {"tr": "Fiyat onayı bekleniyor",
                                                       "en": "Awaiting price approval"}
    assert all(set(n) == {"tr", "en"} for n in domain.STATUS_NAMES.values())
    assert domain.STATUS_NAMES["CANCELLED"]["tr"] == "İptal"


def test_fees_round_each_line_half_up_and_vat_after_discount():
    result = totals(Fees(work_minutes=[(50, Decimal("750"))],  # 625.00
                         parts=[(Decimal("3"), Decimal("0.335")),  # 1.005 -> 1.01
                                (Decimal("1.5"), Decimal("99.99"))],  # 149.985 -> 149.99
                         service_fee=Decimal("100"), discount_amount=Decimal("50")))
    assert result["labour"] == Decimal("625.00")
    assert result["parts"] == Decimal("151.00")
    assert result["subtotal"] == Decimal("876.00") and result["discount"] == Decimal("50.00")
    assert result["vat"] == Decimal("165.20")  # 20% of 826.00
    assert result["total"] == Decimal("991.20")


def test_percent_discount_and_a_discount_never_beyond_the_subtotal():
    pct = totals(Fees(parts=[(1, Decimal("333.33"))], discount_percent=Decimal("12.5")))
    assert pct["discount"] == Decimal("41.67")  # 41.66625 -> 41.67
    assert pct["vat"] == Decimal("58.33") and pct["total"] == Decimal("349.99")
    big = totals(Fees(parts=[(1, Decimal("10"))], discount_amount=Decimal("25")))
    assert big["discount"] == Decimal("10.00") and big["total"] == Decimal("0.00")


@pytest.mark.parametrize("kind,covered,customer_total", [
    ("manufacturer_warranty", "1100.00", "0.00"),
    ("repair_warranty", "1100.00", "0.00"),
    ("contract", "850.00", "300.00"),  # labour and fee; the 250.00 of parts + 20% VAT
    ("none", "0.00", "1320.00"),
])
def test_coverage_decides_what_the_customer_pays(kind, covered, customer_total):
    result = totals(Fees(work_minutes=[(60, Decimal("750"))], parts=[(2, Decimal("125"))],
                         service_fee=Decimal("100"), coverage_pays=domain.coverage_pays(kind)))
    assert result["gross"] == Decimal("1100.00")
    assert result["covered"] == Decimal(covered) and result["total"] == Decimal(customer_total)


def test_coverage_table_comes_from_config():
    table = {"contract": {"labour": True, "parts": True}}
    assert domain.coverage_pays("contract", table) == {"labour": True, "parts": True}
    assert domain.coverage_pays("manufacturer_warranty", table) == {}
    assert "parçalar" in domain.coverage_explanation("contract", table["contract"])["tr"]


def test_a_device_returned_unrepaired_is_billed_the_diagnosis_fee_alone():
    fees = Fees(work_minutes=[(60, Decimal("750"))], parts=[(2, Decimal("125"))],
                service_fee=Decimal("100"), coverage_pays=domain.coverage_pays("contract"))
    result = totals(domain.unrepaired_fees(fees, Decimal("150")))
    assert (result["labour"], result["parts"], result["service_fee"]) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("150.00"))
    assert result["covered"] == Decimal("0.00") and result["total"] == Decimal("180.00")
    assert totals(domain.unrepaired_fees(fees, 0))["total"] == Decimal("0.00")
    pct = Fees(discount_percent=Decimal("10"))  # the form's discount still applies
    assert totals(domain.unrepaired_fees(pct, Decimal("150")))["total"] == Decimal("162.00")
    assert domain.SUB_STATUS_OF_MOVE[("AWAITING_APPROVAL", "REPAIRED")] == "unrepaired"


def test_estimate_lines_go_through_the_one_fee_formula():
    lines = [{"kind": "labour", "quantity": Decimal("0.75"), "unit_price": Decimal("750")},
             {"kind": "part", "quantity": Decimal("3"), "unit_price": Decimal("0.335")},
             {"kind": "fee", "quantity": Decimal("1"), "unit_price": Decimal("100")}]
    result = totals(domain.estimate_fees(lines, discount_amount=Decimal("50")))
    # 0.75 h × 750 = 562.50 (as 45 minutes); 3 × 0.335 = 1.005 -> 1.01; fee 100
    assert (result["labour"], result["parts"], result["service_fee"]) == (
        Decimal("562.50"), Decimal("1.01"), Decimal("100.00"))
    assert result["total"] == Decimal("736.21")  # (663.51 - 50) × 1.2 = 736.212
    covered = totals(domain.estimate_fees(lines, coverage_pays=domain.coverage_pays(
        "contract")))
    assert covered["covered"] == Decimal("662.50") and covered["subtotal"] == Decimal("1.01")


def test_a_price_approval_link_expires_when_read():
    sent = datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc)
    expires = domain.approval_expiry(sent, 7)
    assert expires == datetime(2027, 1, 12, 9, 0, tzinfo=timezone.utc)
    assert domain.approval_state("pending", expires, expires - timedelta(seconds=1)) == \
        "pending"
    assert domain.approval_state("pending", expires, expires) == "expired"
    assert domain.approval_state("approved", expires, expires + timedelta(days=1)) == \
        "approved"
    assert set(domain.APPROVAL_STATE_NAMES) == {"none", *domain.APPROVAL_STATES}


def test_repair_warranty_months_from_delivery():
    assert domain.repair_warranty(date(2026, 1, 15), 3) == {
        "start": date(2026, 1, 15), "end": date(2026, 4, 14)}
    assert domain.repair_warranty(date(2026, 11, 30), 3)["end"] == date(2027, 2, 27)
    assert domain.repair_warranty(date(2024, 2, 29), 12)["end"] == date(2025, 2, 27)
    assert domain.repair_warranty(date(2026, 1, 1), 0) is None


def test_satisfaction_score_is_weighted_and_scaled():
    questions = {1: (Decimal("2"), 1, 5), 2: (Decimal("1"), 0, 10)}
    assert domain.satisfaction_score(questions, {1: 5, 2: 10}) == 100
    assert domain.satisfaction_score(questions, {1: 1, 2: 0}) == 0
    # (2 * 0.5 + 1 * 0.3) / 3 = 0.4333 -> 43
    assert domain.satisfaction_score(questions, {1: 3, 2: 3}) == 43
    assert domain.satisfaction_score(questions, {2: 5}) == 50  # only what was answered


def test_survey_expires_after_n_days():
    delivered = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert not domain.survey_expired(delivered, 14, now=delivered + timedelta(days=14))
    assert domain.survey_expired(delivered, 14, now=delivered + timedelta(days=14, seconds=1))


@pytest.mark.parametrize("schema", ["WorkIn", "EstimateIn"])
@pytest.mark.parametrize("value", [1e+26, "1E+30", "123456789012345678901234567890.5"])
def test_a_percent_too_long_to_quantize_is_a_field_error_not_a_crash(schema, value):
    # found by the long fuzz pass: 1e+26 made quantize raise InvalidOperation (a 500)
    from marshmallow import ValidationError

    from services.forms import schemas
    with pytest.raises(ValidationError) as refused:
        getattr(schemas, schema)().load({"version": 1, "discount_percent": value})
    assert set(refused.value.messages) == {"discount_percent"}

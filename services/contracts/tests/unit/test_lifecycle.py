"""The contract's lifecycle, every move for every role, against a table written out
separately from domain.TRANSITIONS; the price arithmetic; numbering and periods."""
from datetime import date
from decimal import Decimal

import pytest

from services.common.exceptions import Conflict, Forbidden
from services.contracts import domain

ROLES = ("admin", "desk", "manager", "technician", "final_checker", "rep", "contracts",
         "customer", "system")

# DESIGN.md and issue 17: draft → active → expired | renewed | cancelled; the scanner
# (system) activates and expires; a renewal's acceptance renews; people cancel.
EXPECTED = """
draft -> active: system
draft -> cancelled: contracts manager admin
active -> expired: system
active -> renewed: system
active -> cancelled: contracts manager admin
expired -> renewed: system
"""
TABLE = {}
for line in EXPECTED.strip().splitlines():
    move, roles = line.split(":")
    a, b = (s.strip() for s in move.split("->"))
    TABLE[(a, b)] = set(roles.split())


@pytest.mark.parametrize("source", domain.STATUSES)
@pytest.mark.parametrize("target", domain.STATUSES)
def test_every_move_for_every_role(source, target):
    for role in ROLES:
        allowed = TABLE.get((source, target))
        if allowed is None:
            with pytest.raises(Conflict):
                domain.check_transition(source, target, role)
        elif role in allowed:
            domain.check_transition(source, target, role)
        else:
            with pytest.raises(Forbidden):
                domain.check_transition(source, target, role)


def test_the_table_names_every_status():
    assert set(domain.STATUSES) == {"draft", "active", "expired", "renewed", "cancelled"}
    assert {(a, b) for a, b, _ in domain.TRANSITIONS} == set(TABLE)


def test_price_per_device_per_year():
    t = domain.price_totals(Decimal("1000.00"), 3, 12, discount_percent=Decimal("10"),
                            vat_rate=Decimal("20"), stamp_duty_rate=Decimal("0.948"),
                            rate=Decimal("1"))
    assert t == {"subtotal": Decimal("3000.00"), "discount": Decimal("300.00"),
                 "net": Decimal("2700.00"), "vat": Decimal("540.00"),
                 "total": Decimal("3240.00"), "stamp_duty": Decimal("25.60"),
                 "total_try": Decimal("3240.00")}


def test_price_per_visit_in_euro_at_its_rate():
    t = domain.price_totals(Decimal("150"), 2, 24, basis="visit", visits_per_year=4,
                            discount_amount=Decimal("100"), vat_rate=Decimal("20"),
                            stamp_duty_rate=Decimal("0.948"), rate=Decimal("35.1234"))
    assert t["subtotal"] == Decimal("2400.00")  # 150 × 4 visits × 2 years × 2 devices
    assert t["net"] == Decimal("2300.00") and t["total"] == Decimal("2760.00")
    assert t["total_try"] == Decimal("96940.58")
    assert t["stamp_duty"] == Decimal("21.80")


def test_a_discount_never_exceeds_the_subtotal():
    t = domain.price_totals(Decimal("10"), 1, 12, discount_amount=Decimal("50"))
    assert t["net"] == Decimal("0.00") and t["total"] == Decimal("0.00")


def test_periods_numbers_and_proposal_state():
    assert domain.period_end(date(2027, 1, 1), 12) == date(2027, 12, 31)
    assert domain.period_end(date(2027, 1, 31), 1) == date(2027, 2, 27)
    assert domain.format_number("TK", 2027, 12) == "TK-2027-000012"
    assert domain.format_number("SZ", 2027, 1) == "SZ-2027-000001"
    assert domain.proposal_state("open", date(2027, 1, 10), date(2027, 1, 10)) == "open"
    assert domain.proposal_state("open", date(2027, 1, 10), date(2027, 1, 11)) == "expired"
    assert domain.proposal_state("accepted", date(2027, 1, 10), date(2027, 2, 1)) == "accepted"
    assert domain.raised(Decimal("1000.00"), Decimal("44.38")) == Decimal("1443.80")


def test_installments_add_up_to_the_total():
    monthly = domain.installments(Decimal("1000.00"), date(2027, 1, 31), 12, "monthly")
    assert len(monthly) == 12 and sum(a for _, a in monthly) == Decimal("1000.00")
    assert monthly[0] == (date(2027, 1, 31), Decimal("83.33"))
    assert monthly[1][0] == date(2027, 2, 28) and monthly[-1] == (date(2027, 12, 31),
                                                                  Decimal("83.37"))
    quarterly = domain.installments(Decimal("100.00"), date(2027, 1, 1), 12, "quarterly")
    assert [d.month for d, _ in quarterly] == [1, 4, 7, 10]
    assert domain.installments(Decimal("5.00"), date(2027, 1, 1), 24, "single") == [
        (date(2027, 1, 1), Decimal("5.00"))]
    assert len(domain.installments(Decimal("5.00"), date(2027, 1, 1), 18, "yearly")) == 2

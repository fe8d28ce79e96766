"""services/common/access.py, the record rules (issue 20): the table as written out here, and
the README showing the table the code holds."""
import os

import pytest

from services.common import access
from services.common.exceptions import Forbidden, NotFound

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
TECH = {"id": 3, "role": "technician"}


def test_the_readme_shows_the_table_in_code():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert access.table_markdown() in f.read()


@pytest.mark.parametrize("assignees,see_all,may", [
    ([3], False, True), ([3, 4], False, True), ([], False, True),  # theirs, the pool
    ([4], False, False), ([4], True, True)])
def test_a_technicians_forms(assignees, see_all, may):
    assert access.may_touch_form(TECH, assignees, see_all) is may


def test_staff_get_403_and_customers_404():
    with pytest.raises(Forbidden):
        access.check_form(TECH, [4])
    with pytest.raises(NotFound):
        access.check_form({"id": 9, "role": "customer"}, [])


@pytest.mark.parametrize("role,kind,ok", [
    ("manager", "manufacturer_warranty", True), ("admin", "repair_warranty", True),
    ("contracts", "contract", True), ("contracts", "manufacturer_warranty", False),
    ("contracts", "repair_warranty", False), ("desk", "contract", False)])
def test_coverage_periods_by_role(role, kind, ok):
    if ok:
        access.check_coverage_kind({"id": 1, "role": role}, kind)
    else:
        with pytest.raises(Forbidden):
            access.check_coverage_kind({"id": 1, "role": role}, kind)


@pytest.mark.parametrize("changed", [["rep_user_id"], ["rep_email"], ["email"],
                                     ["contacts.email"]])
def test_a_customers_rep_and_addresses_are_the_managers(changed):
    for role in ("rep", "desk", "contracts"):
        with pytest.raises(Forbidden):
            access.check_customer_fields({"id": 1, "role": role}, changed)
    for role in ("manager", "admin"):
        access.check_customer_fields({"id": 1, "role": role}, changed)
    access.check_customer_fields({"id": 1, "role": "rep"}, ["phone"])


def test_import_jobs():
    access.check_import_job({"id": 1, "role": "contracts"}, 1)
    access.check_import_job({"id": 2, "role": "manager"}, 1)
    with pytest.raises(Forbidden):
        access.check_import_job({"id": 2, "role": "contracts"}, 1)

"""The archive's rules, without broker or database."""
from types import SimpleNamespace

import pytest

from services.common.exceptions import Conflict, Forbidden
from services.knowledge import domain

TECH = {"id": 1, "role": "technician"}
MANAGER = {"id": 2, "role": "manager"}


def article(**kw):
    return SimpleNamespace(**{"id": 9, "status": "draft", "author_id": 1, "version": 3, **kw})


def test_codes():
    assert domain.format_code("KLM", "ELK", 42) == "KLM-ELK-0042"
    assert domain.format_code("KLM", "ELK", 12345) == "KLM-ELK-12345"
    assert domain.check_code_part("KLM") and domain.check_code_part("ABCDEF")
    for bad in ("klm", "K", "KLMNOPQ", "KL1", "ÇLK", "", None):
        assert not domain.check_code_part(bad), bad


def test_who_edits_what():
    domain.can_edit(TECH, article())  # own draft
    domain.can_edit(MANAGER, article(status="published", author_id=5))
    with pytest.raises(Forbidden):
        domain.can_edit(TECH, article(author_id=5))  # someone else's draft
    with pytest.raises(Forbidden):
        domain.can_edit(TECH, article(status="published"))  # own, but published
    with pytest.raises(Forbidden):
        domain.can_edit({"id": 3, "role": "desk"}, article())
    with pytest.raises(Forbidden):
        domain.can_change_prefix(TECH)
    domain.can_change_prefix({"id": 4, "role": "admin"})


def test_status_machine():
    domain.check_transition(MANAGER, article(), "published")
    domain.check_transition(MANAGER, article(status="published"), "archived")
    domain.check_transition(MANAGER, article(status="archived"), "published")
    with pytest.raises(Conflict) as exc:
        domain.check_transition(MANAGER, article(status="published"), "published")
    assert exc.value.details["allowed"] == ["draft", "archived"]
    with pytest.raises(Forbidden):
        domain.check_transition(TECH, article(), "published")


def test_versions_and_lists():
    domain.check_version(article(), 3)
    with pytest.raises(Conflict):
        domain.check_version(article(), 2)
    assert domain.clean_list([" Klima ", "KLİMA", "klima", "", None, "Kombi"]) == ["Klima", "Kombi"]

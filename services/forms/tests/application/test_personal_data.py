"""forms' `personal_data` (KVKK export) on a real database: a customer with two forms, a
survey and the intake slips gets all of them, and nothing of another customer."""
import json

import pytest

from services.common.exceptions import ValidationFailed
from services.forms.tests.application.test_forms_app import REP, deliver, open_form  # noqa: F401
from services.forms.tests.application.test_forms_app import rpc  # noqa: F401  (fixture)
from services.forms.tests.application.test_forms_app import forms  # noqa: F401  (fixture)


def test_a_customer_with_two_forms_and_a_survey_gets_all_of_them(rpc):  # noqa: F811
    first = open_form(rpc, "Ayşe Yılmaz", "P-1", complaint="Ekran yanmıyor")
    second = deliver(rpc, open_form(rpc, "Ayşe Yılmaz", "P-2"), [])
    questions = rpc.forms.list_questions()
    rpc.forms.record_survey(second["id"], {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": 4} for q in questions], "version": second["version"]},
        REP)
    other = open_form(rpc, "Başka Müşteri", "P-3")
    customer_id = first["customer_id"]
    held = rpc.forms.personal_data(customer_id)
    assert [f["number"] for f in held["forms"]] == [first["number"], second["number"]]
    assert held["forms"][0]["complaint"] == "Ekran yanmıyor"
    assert other["number"] not in str(held)
    assert {a["form_id"] for a in held["survey_answers"]} == {second["id"]}
    assert len(held["survey_answers"]) == len(questions)
    assert {h["form_id"] for h in held["form_history"]} == {first["id"], second["id"]}
    assert {d["subject_id"] for d in held["documents"]} >= {first["id"], second["id"]}
    assert all(d["subject"] == "form" and "storage_key" not in d for d in held["documents"])
    assert held["forms"][1]["total"] is not None  # money as text, JSON-able
    json.dumps(held)


def test_a_bad_id_is_a_422_and_an_unknown_customer_holds_nothing(rpc):  # noqa: F811
    with pytest.raises(ValidationFailed):
        rpc.forms.personal_data("7")
    assert all(v == [] for v in rpc.forms.personal_data(424242).values())

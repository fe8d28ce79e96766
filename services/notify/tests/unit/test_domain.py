from datetime import date

import pytest
from jinja2 import TemplateSyntaxError

from services.notify import domain


def test_message_id_is_stable_per_event_and_recipient():
    a = domain.message_id("e1", "Ayse@X.com")
    assert a == domain.message_id("e1", " ayse@x.com ")
    assert a != domain.message_id("e2", "ayse@x.com")
    assert a != domain.message_id("e1", "b@x.com")


def test_coverage_text_in_both_languages():
    cov = {"kind": "manufacturer_warranty", "end": date(2027, 3, 31)}
    assert domain.coverage_text(cov, "tr") == "Üretici garantisi (bitiş 31.03.2027)"
    assert domain.coverage_text(cov, "en") == "Manufacturer warranty (until 31 Mar 2027)"
    assert domain.coverage_text(None, "tr") == "Kapsam dışı (ücretli)"
    assert domain.coverage_text({"kind": "none", "end": None}, "en") == "Not covered (chargeable)"


def test_a_broken_template_fails_at_start_up_naming_file_and_line(tmp_path):
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "form_created.j2").write_text(
        "{% block subject %}ok{% endblock %}\n{% block text %}{{ form.number }\n{% endblock %}")
    with pytest.raises(TemplateSyntaxError) as exc:
        domain.Templates(str(tmp_path))
    assert exc.value.filename.endswith("form_created.j2") and exc.value.lineno == 2


def test_every_template_exists_in_both_languages():
    templates = domain.Templates()
    assert {n.split("/")[1] for n in templates.compiled if n.startswith("tr/")} == \
        {n.split("/")[1] for n in templates.compiled if n.startswith("en/")}

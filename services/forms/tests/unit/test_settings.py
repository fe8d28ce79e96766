"""forms' settings, checked at start with a message naming the variable."""
import logging

import pytest

from services.common.settings import SettingError


def test_forms_warns_when_management_emails_is_unset(caplog):
    from services.forms.settings import FormsSettings
    with caplog.at_level(logging.WARNING):
        FormsSettings.from_config({})
    assert "MANAGEMENT_EMAILS is not set" in caplog.text
    with pytest.raises(SettingError, match="MANAGEMENT_EMAILS"):
        FormsSettings.from_config({"MANAGEMENT_EMAILS": "Genel Müdür <genel@"})
    s = FormsSettings.from_config({"MANAGEMENT_EMAILS": "Genel Müdür <genel@example.com>"})
    assert s.management_emails == (("Genel Müdür", "genel@example.com"),)


@pytest.mark.parametrize("name, value", [("COMPANY_MERSIS", "123"), ("COMPANY_TAX_NO", "12a"),
                                         ("PUBLIC_BASE_URL", "servis.example.com"),
                                         ("COMPANY_LOGO_PATH", "/nope/logo.png"),
                                         ("COMPANY_LOGO_PATH", "/etc/hostname")])
def test_company_settings_are_checked_at_start(name, value):
    from services.forms.settings import FormsSettings
    with pytest.raises(SettingError, match=name):
        FormsSettings.from_config({name: value})

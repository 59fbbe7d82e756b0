"""Settings of the automatic reminders: on by default from the environment, each switchable."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import ConfigError, Settings, load_settings

TOKEN = {"TELEGRAM_BOT_TOKEN": "123456:ABC-def"}


def test_defaults_from_the_environment_switch_everything_on():
    settings = load_settings(TOKEN)
    assert settings.reminder_training is True
    assert settings.reminder_monthly_report == (25, time(8, 0))
    assert settings.reminder_review_digest == (0, time(8, 0))


def test_settings_built_in_code_send_nothing_unasked():
    settings = Settings(token="1:a")
    assert settings.reminder_training is False
    assert settings.reminder_monthly_report is None
    assert settings.reminder_review_digest is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REMINDER_TRAINING": "off"}, ("reminder_training", False)),
        ({"REMINDER_TRAINING": "ON"}, ("reminder_training", True)),
        ({"REMINDER_MONTHLY_REPORT_DAY": "off"}, ("reminder_monthly_report", None)),
        ({"REMINDER_MONTHLY_REPORT_DAY": "31"}, ("reminder_monthly_report", (31, time(8, 0)))),
        ({"REMINDER_MONTHLY_REPORT_DAY": "5 09.30"}, ("reminder_monthly_report", (5, time(9, 30)))),
        ({"REMINDER_REVIEW_DIGEST": "off"}, ("reminder_review_digest", None)),
        ({"REMINDER_REVIEW_DIGEST": "fri 16:00"}, ("reminder_review_digest", (4, time(16, 0)))),
        ({"REMINDER_REVIEW_DIGEST": "Senin 07:30"}, ("reminder_review_digest", (0, time(7, 30)))),
        ({"REMINDER_REVIEW_DIGEST": "minggu 20:00"}, ("reminder_review_digest", (6, time(20, 0)))),
    ],
)
def test_each_automatic_reminder_is_configurable(env, expected):
    name, value = expected
    assert getattr(load_settings({**TOKEN, **env}), name) == value


@pytest.mark.parametrize(
    ("env", "mentions"),
    [
        ({"REMINDER_TRAINING": "maybe"}, "REMINDER_TRAINING"),
        ({"REMINDER_MONTHLY_REPORT_DAY": "32"}, "REMINDER_MONTHLY_REPORT_DAY"),
        ({"REMINDER_MONTHLY_REPORT_DAY": "25 25:00"}, "REMINDER_MONTHLY_REPORT_DAY"),
        ({"REMINDER_REVIEW_DIGEST": "mon"}, "REMINDER_REVIEW_DIGEST"),
        ({"REMINDER_REVIEW_DIGEST": "someday 08:00"}, "REMINDER_REVIEW_DIGEST"),
    ],
)
def test_malformed_values_are_reported_by_name(env, mentions):
    with pytest.raises(ConfigError, match=mentions):
        load_settings({**TOKEN, **env})

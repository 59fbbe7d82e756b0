"""Settings are validated at start with one clear line per problem."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.config import ConfigError, Settings, load_settings

TOKEN = "123456:ABC-def_ghi"


def test_minimal_settings_have_safe_defaults():
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.database_url == "sqlite:///forkom.db"
    assert settings.forum_area == "64"
    assert settings.admin_ids == frozenset()
    assert str(settings.timezone) == "Asia/Makassar"
    assert settings.base_url is None and settings.base_file_url is None
    assert settings.quiet_hours == (time(21, 0), time(6, 0))
    assert settings.conversation_timeout == timedelta(minutes=30)


def test_local_bot_api_server_urls():
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}
    )
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"


def test_postgres_url_spellings_are_routed_to_psycopg():
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "postgres://u@h/db"})
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "12, abc"}, "ADMIN_IDS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "::::"}, "DATABASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FORUM_AREA": "Bontang"}, "FORUM_AREA"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "QUIET_HOURS": "9pm"}, "QUIET_HOURS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "BROADCAST_RATE": "-1"}, "BROADCAST_RATE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "PAID_BROADCAST": "maybe"}, "PAID_BROADCAST"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "QUIET_HOURS": "21:00-25:00"}, "QUIET_HOURS"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "localhost:8081"},
            "TELEGRAM_API_BASE_URL",
        ),
    ],
)
def test_bad_settings_name_the_variable(env, needle):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_admin_ids_and_quiet_hours_parse():
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": " 1, 22 ,333", "QUIET_HOURS": "off"}
    )
    assert settings.admin_ids == frozenset({1, 22, 333})
    assert settings.quiet_hours is None


def test_secrets_stay_out_of_repr_and_messages():
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": "postgresql://forkom:s3cret@db:5432/forkom",
        }
    )
    assert TOKEN not in repr(settings)
    assert "s3cret" not in repr(settings)
    assert settings.printable_database_url == "postgresql+psycopg://forkom:***@db:5432/forkom"


def test_unset_variables_mean_the_settings_defaults():
    loaded = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    built = Settings(token=TOKEN)
    for name in ("forum_area", "timezone", "conversation_timeout", "invite_ttl", "media_dir"):
        assert getattr(loaded, name) == getattr(built, name)
    for name in ("broadcast_rate", "paid_broadcast", "quiet_hours", "reminder_grace"):
        assert getattr(loaded, name) == getattr(built, name)


def test_operations_settings():
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "LOG_LEVEL": "debug",
            "LOG_FORMAT": "JSON",
            "WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "WEBHOOK_SECRET": "s3cret-value_1",
            "WEBHOOK_PORT": "8443",
            "METRICS_PORT": "9100",
        },
        require_webhook=True,
    )
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings.webhook_path == "/telegram/hook"
    assert (settings.webhook_listen, settings.webhook_port, settings.metrics_port) == (
        "127.0.0.1",
        8443,
        9100,
    )
    assert "s3cret" not in repr(settings)
    defaults = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://b.org"})
    assert defaults.webhook_path == "/" and defaults.webhook_port == 8080
    assert defaults.metrics_port is None and defaults.log_level == "INFO"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"WEBHOOK_PORT": "80000"}, "WEBHOOK_PORT"),
        ({"METRICS_PORT": "x"}, "METRICS_PORT"),
        ({"WEBHOOK_URL": "bot.example.org"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://b.org", "WEBHOOK_SECRET": "no spaces"}, "WEBHOOK_SECRET"),
    ],
)
def test_bad_operations_settings_name_the_variable(env, needle):
    with pytest.raises(ConfigError) as info:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **env})
    assert needle in str(info.value)


def test_webhook_mode_needs_url_and_secret_and_suggests_one():
    with pytest.raises(ConfigError, match="WEBHOOK_URL is not set"):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, require_webhook=True)
    with pytest.raises(ConfigError, match=r"WEBHOOK_SECRET=[A-Za-z0-9_-]{40,}") as info:
        load_settings(
            {"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://b.org"}, require_webhook=True
        )
    assert "random" in str(info.value)


def test_send_share_is_a_fraction_of_telegrams_limits():
    from bot.delivery.budget import SendBudget

    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}).send_share == 1.0
    three = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SEND_SHARE": "1/3"})
    assert three.send_share == pytest.approx(1 / 3)
    budget = SendBudget.for_settings(three)
    assert budget.free.limit == pytest.approx(10.0)  # a third of Telegram's 30/s
    assert budget.mass.limit == pytest.approx(10.0)  # BROADCAST_RATE 25 within that share
    for bad in ("0", "1.5", "x", "1/0", "-1"):
        with pytest.raises(ConfigError, match="SEND_SHARE"):
            load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SEND_SHARE": bad})

"""No personal data in logs or alerts (issue 10 item 4, security review F3 and F12).

A cadre registers through the fake server while every logger records at DEBUG (SQLAlchemy,
httpx, PTB, aiohttp), and two database errors happen on the way: a real failing statement
that carries the cadre's name and phone as parameters, and an `OperationalError` built with
its parameters visible. Neither the captured log nor the error-chat alert may hold the phone
number (in any spelling), the name or the bot token.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot import profile, registration
from bot.config import ConfigError, load_settings
from bot.errors import AlertThrottle, ErrorReporter, handler_name
from bot.ops.logs import PrivacyFilter, configure_logging, mask_personal_data
from storage import people
from tests.auxil.flows import register_via_chat
from tests.auxil.runner import BotRunner
from tests.fakebot import FakeTelegramServer

# A token shaped like BotFather's (the suite's usual one is too short to look like a token).
TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw5"
SECRET = TOKEN.split(":", 1)[1]
FIRST, LAST = "Rahmawati", "Sulistyowati"
NAME = f"{FIRST} {LAST}"
PHONE_TYPED = "0812-3456-7890"
NATIONAL = "81234567890"  # what is left of the phone once prefix and separators go
PHONE_FORMS = (
    "+6281234567890",
    "6281234567890",
    "081234567890",
    "0812-3456-7890",
    "0812 3456 7890",
    "0812.3456.7890",
    "+62 812-3456-7890",
    "+62 812 3456 7890",
    "62 812 3456 7890",
    "(0812) 3456-7890",
)
_SEPARATORS = re.compile(r"[\s\-./()]")
_LOGGERS = ("sqlalchemy", "sqlalchemy.engine", "httpx", "httpcore", "telegram", "aiohttp", "bot")


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def full_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything every logger says, through the privacy filter the bot's handler has."""
    caplog.set_level(logging.DEBUG)
    for name in _LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    privacy = PrivacyFilter()
    caplog.handler.addFilter(privacy)
    yield caplog
    caplog.handler.removeFilter(privacy)


def leaks(text_: str) -> list[str]:
    """What of the cadre's data or the token `text_` holds."""
    found = [form for form in PHONE_FORMS if form in text_]
    if NATIONAL in _SEPARATORS.sub("", text_):
        found.append("phone digits")
    found += [word for word in (FIRST, LAST) if word.lower() in text_.lower()]
    if SECRET in text_:
        found.append("token")
    return found


async def test_registration_and_database_errors_leak_nothing(
    bot: BotRunner, server: FakeTelegramServer, full_log, monkeypatch
) -> None:
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    real_save = people.save_cadre

    def save_with_failing_statement(session, telegram_id, **fields):  # type: ignore[no-untyped-def]
        # A real statement through the engine, carrying the cadre's data as parameters.
        session.execute(
            text("INSERT INTO no_such_table (full_name, phone) VALUES (:name, :phone)"),
            {"name": fields["full_name"], "phone": fields["phone"]},
        )
        return real_save(session, telegram_id, **fields)

    monkeypatch.setattr(registration.people, "save_cadre", save_with_failing_statement)
    user = server.new_user(first_name=FIRST, last_name=LAST)
    await register_via_chat(user, name=NAME, phone=PHONE_TYPED)
    assert user.last_message.text.startswith("Maaf, terjadi gangguan")
    # The form kept the draft: saving again, with the database back, registers the cadre.
    monkeypatch.setattr(registration.people, "save_cadre", real_save)
    await user.press("Simpan")
    with bot.session() as session:
        assert people.get_cadre(session, user.id) is not None

    def locked(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError(
            "SELECT * FROM cadre WHERE phone = ? AND full_name = ?",
            ("+6281234567890", NAME),
            Exception("database is locked"),
        )

    monkeypatch.setattr(profile.people, "get_cadre", locked)
    await user.send_text("/profil")
    assert user.last_message.text.startswith("Maaf, terjadi gangguan")

    log = full_log.text
    # The capture is complete: the SQL, the API calls, PTB and both errors are in it…
    assert "INSERT INTO cadre" in log and "Calling Bot API endpoint" in log
    assert "Processing update" in log
    assert "no_such_table" in log and "database is locked" in log
    assert "[parameters: hidden]" in log
    # …and none of the cadre's data.
    assert leaks(log) == []
    for record in full_log.records:
        assert leaks(record.getMessage()) == []

    alerts = [m.text or "" for m in operators.messages]
    assert len(alerts) == 2
    assert "registration." in alerts[0] and "update" in alerts[0]
    assert "OperationalError" in alerts[1] and "profile." in alerts[1]
    assert all(leaks(alert) == [] for alert in alerts)
    assert not any("no_such_table" in a or "Traceback" in a or "locked" in a for a in alerts)


async def test_one_alert_per_kind_in_ten_minutes(bot: BotRunner, server, monkeypatch) -> None:
    operators = server.new_group("Operator Forkom")
    app = await bot.restart(error_chat_id=operators.id)
    now = [1000.0]
    reporter = next(cb for cb in app.error_handlers if isinstance(cb, ErrorReporter))
    reporter.throttle = AlertThrottle(clock=lambda: now[0])
    user = server.new_user()
    await register_via_chat(user)

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(profile.people, "get_cadre", broken)
    await user.send_text("/profil")
    await user.send_text("/profil")
    assert len(operators.messages) == 1
    # Every user still gets the apology, alert or not.
    assert sum(t.startswith("Maaf, terjadi gangguan") for t in user.texts) == 2
    now[0] += 9 * 60
    await user.send_text("/profil")
    assert len(operators.messages) == 1
    now[0] += 61
    await user.send_text("/profil")
    assert len(operators.messages) == 2


def test_throttle_by_kind_and_window() -> None:
    now = [0.0]
    throttle = AlertThrottle(timedelta(minutes=10), clock=lambda: now[0])
    a, b = ("OperationalError", "profile.show"), ("OperationalError", "reports.submit")
    assert throttle.allow(a)
    assert not throttle.allow(a)
    assert throttle.allow(b)  # another handler is another kind
    assert throttle.allow(("ValueError", "profile.show"))  # and so is another type
    now[0] = 599.0
    assert not throttle.allow(a)
    now[0] = 600.0
    assert throttle.allow(a)
    assert not throttle.allow(a)


def test_handler_name_outside_a_handler_is_the_innermost_bot_frame() -> None:
    try:
        mask_personal_data(None)  # type: ignore[arg-type]
    except TypeError as exc:
        assert handler_name(exc) == "ops.logs.mask_personal_data"
    try:
        raise KeyError("x")
    except KeyError as exc:
        assert handler_name(exc) == "?"


@pytest.mark.parametrize("form", PHONE_FORMS)
def test_every_phone_form_is_masked(form: str) -> None:
    masked = mask_personal_data(f"cadre phone={form}; next")
    assert "<phone>" in masked and masked.endswith("; next")
    assert NATIONAL not in _SEPARATORS.sub("", masked)


def test_masking_keeps_ordinary_numbers() -> None:
    line = "update 123456 at 2026-12-01 08:12:34, 5000 sent in 12.5 s, report 0812"
    assert mask_personal_data(line) == line


def test_secrets_are_masked() -> None:
    url = "postgresql+psycopg://forkom:s3cr%40t@db.internal:5432/forkom"
    masked = mask_personal_data(f"POST https://api.telegram.org/bot{TOKEN}/getMe via {url}")
    assert SECRET not in masked and "s3cr" not in masked
    assert "/bot<token>/getMe" in masked and "forkom:***@db.internal" in masked


def test_configure_logging_installs_the_filter_on_the_root_handler() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        configure_logging("INFO", "json")
        (handler,) = root.handlers
        assert any(isinstance(f, PrivacyFilter) for f in handler.filters)
        stream = io.StringIO()
        handler.setStream(stream)  # type: ignore[attr-defined]
        try:
            raise ValueError(f"bad phone {PHONE_TYPED} for {TOKEN}")
        except ValueError:
            logging.getLogger("bot.test").exception("saving %s failed", "+62 812 3456 7890")
        output = stream.getvalue()
        assert "saving <phone> failed" in output and "ValueError" in output
        assert leaks(output) == []
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://forkom:top@secret@db:port/forkom",  # the port is not a number
        "postgres//forkom:topsecret@db/forkom",  # no scheme SQLAlchemy knows
    ],
)
def test_a_malformed_database_url_is_shown_without_its_password(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env={"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=False)
    message = str(refused.value)
    assert "DATABASE_URL is malformed" in message and "forkom:***@" in message
    assert "secret" not in message

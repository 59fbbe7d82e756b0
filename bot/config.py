"""Typed settings, read once from the environment (and `.env`) and validated at start.

Everything else receives a `Settings` object; nothing reads `os.environ` on its own, so a
misconfiguration is reported once, in one clear line, before the bot touches Telegram.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import time, timedelta
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.vocabulary import parse_region_code

__all__ = ["ConfigError", "Settings", "load_settings", "normalise_database_url"]

DEFAULT_DATABASE_URL = "sqlite:///forkom.db"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_HHMM_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")
# What Telegram accepts as `secret_token` (setWebhook): 1-256 of A-Z, a-z, 0-9, _ and -.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """All runtime settings of the bot."""

    token: str = field(repr=False)  # a secret: never in logs or tracebacks
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    api_base_url: str | None = None
    forum_area: str = "64"
    admin_ids: frozenset[int] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Makassar"))
    error_chat_id: int | None = None
    conversation_timeout: timedelta = timedelta(minutes=30)
    invite_ttl: timedelta = timedelta(hours=72)
    media_dir: Path = Path("media")
    feature_channel_id: int | str | None = None
    broadcast_rate: float = 25.0
    paid_broadcast: bool = False
    # This worker's share of Telegram's per-bot limits (1/N with N webhook workers).
    send_share: float = 1.0
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(6, 0))
    reminder_grace: timedelta = timedelta(hours=6)
    # Automatic reminders. `load_settings` switches them on by default (see .env.example); a
    # Settings built in code (tests, tools) leaves them off, so it sends nothing unasked.
    reminder_training: bool = False
    reminder_monthly_report: tuple[int, time] | None = None  # (day of month, time)
    reminder_review_digest: tuple[int, time] | None = None  # (weekday, 0 = Monday; time)
    # Trainings (issue 13): attendees are asked how it went this many days after each training.
    followup_days: tuple[int, ...] = (30, 90)
    # Operations: logs, the webhook mode and the health/metrics endpoints (bot.ops).
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line, for log collectors
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)  # a secret
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    metrics_port: int | None = None  # polling mode: serve /healthz and /metrics here
    media_max_gb: float = 5.0  # report files under MEDIA_DIR stop being accepted beyond this
    # UU PDP: who is responsible for the data (named in the consent text), how to reach them,
    # and how long delivery records are kept.
    data_controller: str = "DPMPD Provinsi Kalimantan Timur"
    data_contact: str = ""
    retention: timedelta = timedelta(days=365)
    # Linked groups (issue 14): remove people from groups of areas they no longer belong to.
    group_removal: bool = True

    @property
    def base_url(self) -> str | None:
        """PTB `base_url` (the token is appended by PTB)."""
        return self.api_base_url

    @property
    def base_file_url(self) -> str | None:
        """PTB `base_file_url`, derived from the API base URL as `…/file/bot`."""
        if not self.api_base_url:
            return None
        root = self.api_base_url.rstrip("/")
        if root.endswith("/bot"):
            root = root[: -len("/bot")]
        return f"{root}/file/bot"

    @property
    def printable_database_url(self) -> str:
        """`database_url` with its password masked, for messages and logs."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to (that of `WEBHOOK_URL`, `/` when it has none)."""
        return urlsplit(self.webhook_url or "").path or "/"

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids


#: The defaults, written once (on `Settings`): what an unset variable means.
_DEFAULTS = Settings(token="")


def normalise_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _without_password(url: str) -> str:
    """`url` with what lies between `user:` and the last `@` masked, however malformed it is
    (the password may itself hold `@`, `:` or `/`)."""
    head, at, host = url.rpartition("@")
    if not at:
        return url
    scheme, slashes, userinfo = head.rpartition("//")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}{slashes}{user}{colon and ':***'}@{host}"


def _database_url(raw: str | None) -> str:
    url = normalise_database_url((raw or "").strip() or DEFAULT_DATABASE_URL)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"DATABASE_URL is malformed ({_without_password(url)!r}); use e.g. sqlite:///forkom.db or "
            "postgresql+psycopg://user:password@host:5432/dbname"
        ) from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"DATABASE_URL uses an unsupported database ({parsed.get_backend_name()!r}); "
            "use sqlite:///… or postgresql+psycopg://…"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ConfigError(
            "DATABASE_URL for PostgreSQL must use the psycopg driver: postgresql+psycopg://…"
        )
    return url


def _admin_ids(raw: str | None) -> frozenset[int]:
    ids: set[int] = set()
    for part in (raw or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"ADMIN_IDS must be comma-separated numeric Telegram user ids; {part!r} is not a number"
            )
        ids.add(int(part))
    return frozenset(ids)


def _positive_number(name: str, raw: str | None, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, got {raw!r}")
    return value


def _share(name: str, raw: str | None, default: float) -> float:
    """A fraction in (0, 1], as `0.5` or `1/3`."""
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    try:
        if "/" in text:
            top, bottom = text.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{name} must be a fraction such as 0.5 or 1/3, got {raw!r}") from None
    if not 0 < value <= 1:
        raise ConfigError(f"{name} must be above 0 and at most 1, got {raw!r}")
    return value


def _clock(name: str, raw: str) -> time:
    """A time of day, `08:00` or `08.00`."""
    match = _HHMM_RE.match(raw.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"{name}: {raw.strip()!r} is not a time like 08:00")
    return time(int(match[1]), int(match[2]))


def _quiet_hours(raw: str | None) -> tuple[time, time] | None:
    if raw is None:
        return _DEFAULTS.quiet_hours
    raw = raw.strip()
    if raw.lower() in {"", "off", "none", "0"}:
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ConfigError(f"QUIET_HOURS must look like 21:00-06:00 (or 'off'), got {raw!r}")
    return (_clock("QUIET_HOURS", start), _clock("QUIET_HOURS", end))


_OFF = {"off", "none", "no", "false", "0"}
_MINUTE, _HOUR = timedelta(minutes=1), timedelta(hours=1)
_WEEKDAY_NAMES = {
    **{n: i for i, n in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{n: i for i, n in enumerate(("sen", "sel", "rab", "kam", "jum", "sab", "min"))},
}


def _switch(name: str, raw: str | None, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in {"on", "off", "true", "false", "yes", "no", "1", "0"}:
        raise ConfigError(f"{name} must be on or off, got {raw!r}")
    return value in {"on", "true", "yes", "1"}


def _monthly_at(raw: str | None) -> tuple[int, time] | None:
    """`25` or `25 09:00` (08:00 when no time is given), or `off`."""
    if raw is None or not raw.strip():
        return (25, time(8, 0))
    if raw.strip().lower() in _OFF:
        return None
    day, _, at = raw.strip().partition(" ")
    if not day.isdigit() or not 1 <= int(day) <= 31:
        raise ConfigError(
            f"REMINDER_MONTHLY_REPORT_DAY must be a day of the month 1-31, optionally with a "
            f"time (e.g. 25 or 25 09:00), or off; got {raw!r}"
        )
    return (int(day), _clock("REMINDER_MONTHLY_REPORT_DAY", at) if at.strip() else time(8, 0))


def _weekly_at(raw: str | None) -> tuple[int, time] | None:
    """`mon 08:00` (English or Indonesian day, first three letters), or `off`."""
    if raw is None or not raw.strip():
        return (0, time(8, 0))
    if raw.strip().lower() in _OFF:
        return None
    day, _, at = raw.strip().lower().partition(" ")
    if day[:3] not in _WEEKDAY_NAMES or not at.strip():
        raise ConfigError(
            f"REMINDER_REVIEW_DIGEST must look like 'mon 08:00' (or 'senin 08:00'), or off; "
            f"got {raw!r}"
        )
    return (_WEEKDAY_NAMES[day[:3]], _clock("REMINDER_REVIEW_DIGEST", at))


def _days(name: str, raw: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """ "30,90": distinct whole days, ascending; empty switches the follow-ups off."""
    if raw is None:
        return default
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isascii() and p.isdigit() and 0 < int(p) <= 3650 for p in parts):
        raise ConfigError(
            f"{name} must be whole days from 1 to 3650 separated by commas, got {raw!r}"
        )
    return tuple(sorted({int(p) for p in parts}))


def _chat_id(name: str, raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a numeric chat id, got {raw!r}") from None


def _port(name: str, raw: str | None, default: int | None) -> int | None:
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"{name} must be a TCP port number 1-65535, got {raw!r}")
    return int(value)


def _choice(name: str, raw: str | None, allowed: tuple[str, ...], default: str) -> str:
    if raw is None or not raw.strip():
        return default
    by_lower = {value.lower(): value for value in allowed}
    value = by_lower.get(raw.strip().lower())
    if value is None:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {raw!r}")
    return value


def _webhook(env: dict[str, str], required: bool) -> tuple[str | None, str | None]:
    """`WEBHOOK_URL` and `WEBHOOK_SECRET`; both must be there for `forkom-bot webhook`."""
    url = (env.get("WEBHOOK_URL") or "").strip() or None
    secret = (env.get("WEBHOOK_SECRET") or "").strip() or None
    if url and not url.startswith(("https://", "http://")):
        raise ConfigError(
            f"WEBHOOK_URL must be the public https:// address Telegram posts to, got {url!r}"
        )
    if secret and not _SECRET_RE.match(secret):
        raise ConfigError(
            "WEBHOOK_SECRET may hold only letters, digits, _ and - (1 to 256 of them)"
        )
    if required and not url:
        raise ConfigError(
            "WEBHOOK_URL is not set: the public https:// address of this bot behind the "
            "reverse proxy, e.g. https://bot.example.org/telegram"
        )
    if required and not secret:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: Telegram sends it with every update so forged requests "
            f"are refused; set a random value, e.g. WEBHOOK_SECRET={secrets.token_urlsafe(32)}"
        )
    return url, secret


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(
    env: dict[str, str] | None = None,
    *,
    require_token: bool = True,
    require_webhook: bool = False,
    dotenv: bool = True,
) -> Settings:
    """Build `Settings` from `env` (default: the process environment plus `.env`)."""
    if env is None:
        if dotenv:
            load_dotenv(override=False)
        env = dict(os.environ)

    token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip()
    if require_token and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in .env "
            "or the environment"
        )
    if token and not _TOKEN_RE.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: it should look like 123456789:AAE… as given by @BotFather"
        )

    area = (env.get("FORUM_AREA") or _DEFAULTS.forum_area).strip()
    if parse_region_code(area) != area:
        raise ConfigError(
            f"FORUM_AREA must be a Kemendagri region code like 64 or 64.74, got {area!r}"
        )

    tz_name = (env.get("TIMEZONE") or _DEFAULTS.timezone.key).strip()
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TIMEZONE {tz_name!r} is not a known IANA time zone (e.g. Asia/Makassar)"
        ) from None

    base_url = (env.get("TELEGRAM_API_BASE_URL") or "").strip() or None
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must start with http:// or https://, got {base_url!r}"
        )
    # The token is part of every request URL: in clear text only to this machine.
    if base_url and base_url.startswith("http://") and not _is_loopback(base_url):
        raise ConfigError(
            "TELEGRAM_API_BASE_URL may use http:// only for this machine (localhost, 127.0.0.1, "
            f"::1); use https:// for {base_url!r}"
        )

    feature_channel = (env.get("FEATURE_CHANNEL_ID") or "").strip() or None
    channel: int | str | None = feature_channel
    if feature_channel and feature_channel.lstrip("-").isdigit():
        channel = int(feature_channel)

    webhook_url, webhook_secret = _webhook(env, require_webhook)

    return Settings(
        token=token,
        database_url=_database_url(env.get("DATABASE_URL")),
        api_base_url=base_url,
        forum_area=area,
        admin_ids=_admin_ids(env.get("ADMIN_IDS")),
        timezone=tz,
        error_chat_id=_chat_id("ERROR_CHAT_ID", env.get("ERROR_CHAT_ID")),
        conversation_timeout=timedelta(
            minutes=_positive_number(
                "CONVERSATION_TIMEOUT_MINUTES",
                env.get("CONVERSATION_TIMEOUT_MINUTES"),
                _DEFAULTS.conversation_timeout / _MINUTE,
            )
        ),
        invite_ttl=timedelta(
            hours=_positive_number(
                "INVITE_TTL_HOURS", env.get("INVITE_TTL_HOURS"), _DEFAULTS.invite_ttl / _HOUR
            )
        ),
        media_dir=Path((env.get("MEDIA_DIR") or "").strip() or _DEFAULTS.media_dir),
        feature_channel_id=channel,
        broadcast_rate=_positive_number(
            "BROADCAST_RATE", env.get("BROADCAST_RATE"), _DEFAULTS.broadcast_rate
        ),
        paid_broadcast=_switch(
            "PAID_BROADCAST", env.get("PAID_BROADCAST"), _DEFAULTS.paid_broadcast
        ),
        send_share=_share("SEND_SHARE", env.get("SEND_SHARE"), _DEFAULTS.send_share),
        quiet_hours=_quiet_hours(env.get("QUIET_HOURS")),
        reminder_grace=timedelta(
            hours=_positive_number(
                "REMINDER_GRACE_HOURS",
                env.get("REMINDER_GRACE_HOURS"),
                _DEFAULTS.reminder_grace / _HOUR,
            )
        ),
        reminder_training=_switch("REMINDER_TRAINING", env.get("REMINDER_TRAINING"), True),
        reminder_monthly_report=_monthly_at(env.get("REMINDER_MONTHLY_REPORT_DAY")),
        reminder_review_digest=_weekly_at(env.get("REMINDER_REVIEW_DIGEST")),
        followup_days=_days("FOLLOWUP_DAYS", env.get("FOLLOWUP_DAYS"), _DEFAULTS.followup_days),
        log_level=_choice("LOG_LEVEL", env.get("LOG_LEVEL"), _LOG_LEVELS, _DEFAULTS.log_level),
        log_format=_choice("LOG_FORMAT", env.get("LOG_FORMAT"), _LOG_FORMATS, _DEFAULTS.log_format),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=(env.get("WEBHOOK_LISTEN") or "").strip() or _DEFAULTS.webhook_listen,
        webhook_port=_port("WEBHOOK_PORT", env.get("WEBHOOK_PORT"), _DEFAULTS.webhook_port)
        or _DEFAULTS.webhook_port,
        metrics_port=_port("METRICS_PORT", env.get("METRICS_PORT"), None),
        media_max_gb=_positive_number(
            "MEDIA_MAX_GB", env.get("MEDIA_MAX_GB"), _DEFAULTS.media_max_gb
        ),
        data_controller=(env.get("DATA_CONTROLLER") or "").strip() or _DEFAULTS.data_controller,
        data_contact=(env.get("DATA_CONTACT") or "").strip(),
        retention=timedelta(
            days=_positive_number(
                "RETENTION_DAYS", env.get("RETENTION_DAYS"), _DEFAULTS.retention.days
            )
        ),
        group_removal=_switch("GROUP_REMOVAL", env.get("GROUP_REMOVAL"), _DEFAULTS.group_removal),
    )

"""The sender's status message: figures while a broadcast runs, a summary when it ends."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

from bot.callbacks import BroadcastButton
from bot.config import Settings
from bot.delivery.payload import markup
from bot.i18n import t
from bot.moments import format_count, format_moment
from storage.outbox import BroadcastInfo, DeliveryCounts

__all__ = ["REASONS", "cancel_markup", "progress_text", "show_status", "summary_text"]

log = logging.getLogger(__name__)

#: Failure reasons with a catalog text (`delivery.reason.<code>`); others are shown verbatim.
REASONS = frozenset(
    {
        "blocked",
        "deactivated",
        "kicked",
        "forbidden",
        "chat_not_found",
        "rejected",
        "timeout",
        "network",
        "error",
    }
)


def _title(info: BroadcastInfo, lang: str) -> str:
    title = str(info.meta.get("title") or "")
    return (
        t("delivery.title", lang, id=info.id, title=title)
        if title
        else t("delivery.title_plain", lang, id=info.id)
    )


def progress_text(
    info: BroadcastInfo,
    counts: DeliveryCounts,
    lang: str,
    settings: Settings,
    *,
    now: datetime,
    resumes_at: datetime | None,
    eta: datetime | None,
) -> str:
    """Figures so far, when a held broadcast resumes, or when a running one should finish."""
    lines = [_title(info, lang), ""]
    if resumes_at is not None:
        key = (
            "delivery.waiting_quiet"
            if info.not_before is None or info.not_before <= now
            else "delivery.waiting_time"
        )
        lines.append(t(key, lang, when=format_moment(resumes_at, settings.timezone, lang)))
        lines.append("")
    lines.append(
        t(
            "delivery.figures",
            lang,
            sent=format_count(counts.sent, lang),
            failed=format_count(counts.failed, lang),
            remaining=format_count(counts.remaining, lang),
        )
    )
    if eta is not None:
        eta_text = format_moment(eta, settings.timezone, lang, with_date=False)
        lines.append(t("delivery.eta", lang, when=eta_text))
    return "\n".join(lines)


def summary_text(
    info: BroadcastInfo,
    counts: DeliveryCounts,
    reasons: dict[str, int],
    lang: str,
    settings: Settings,
) -> str:
    """The final figures, the failure reasons (most frequent first) and how long it took."""
    key = "delivery.summary_cancelled" if info.status == "cancelled" else "delivery.summary_done"
    lines = [_title(info, lang), "", t(key, lang)]
    lines.append(
        t(
            "delivery.figures_final",
            lang,
            sent=format_count(counts.sent, lang),
            failed=format_count(counts.failed, lang),
            cancelled=format_count(counts.cancelled, lang),
        )
    )
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        code = reason.split(":", 1)[0]
        label = t(f"delivery.reason.{code}", lang) if code in REASONS else reason
        lines.append(t("delivery.reason_line", lang, reason=label, count=format_count(count, lang)))
    if info.started_at and info.finished_at:
        minutes = max(0, int((info.finished_at - info.started_at).total_seconds() // 60))
        lines.append(
            t(
                "delivery.finished_at",
                lang,
                when=format_moment(info.finished_at, settings.timezone, lang, with_date=False),
                minutes=format_count(minutes, lang),
            )
        )
    return "\n".join(lines)


def cancel_markup(info: BroadcastInfo, lang: str) -> InlineKeyboardMarkup | None:
    """The stop button under a running broadcast's status message."""
    return markup(
        [[(t("delivery.cancel_button", lang), BroadcastButton("x", broadcast_id=info.id).pack())]]
    )


async def show_status(
    bot: Bot, info: BroadcastInfo, text: str, reply_markup: InlineKeyboardMarkup | None
) -> int | None:
    """Edit the status message, or send it the first time; the id of a newly sent one.

    Best effort: a status message that cannot be shown must not stop the broadcast.
    """
    assert info.progress_chat_id is not None
    try:
        if info.progress_message_id:
            await bot.edit_message_text(
                text,
                chat_id=info.progress_chat_id,
                message_id=info.progress_message_id,
                reply_markup=reply_markup,
            )
            return None
        message = await bot.send_message(info.progress_chat_id, text, reply_markup=reply_markup)
        return message.message_id
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.info("delivery: status message of broadcast %s: %s", info.id, exc)
    except TelegramError as exc:
        log.info("delivery: status message of broadcast %s: %s", info.id, exc)
    return None

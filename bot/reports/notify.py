"""Telling people about a report: its reviewers when it arrives, its cadre when it is decided.

Each message is written in the recipient's language (not the sender's), and a recipient who
blocked the bot is recorded as unreachable, never an error.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.auth import Identity, identify, official_ids
from bot.callbacks import ReportButton, ReviewButton
from bot.context import BotContext
from bot.i18n import language_of, t
from bot.menu import refresh_commands
from bot.moments import format_count
from bot.reports.card import reviewer_role
from bot.ui import keyboard
from storage import people
from storage import reports as store
from storage.regions import region_path_name
from storage.reports import Decision, ReportInfo

__all__ = ["notify_cadre", "notify_reviewers", "refresh_reviewer_menus"]

log = logging.getLogger(__name__)


async def _send_private(
    context: BotContext, user_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """A direct message to one person; a blocked bot is recorded, never raised."""
    try:
        await context.bot.send_message(user_id, text, reply_markup=markup)
        return True
    except Forbidden:
        with context.db.session() as session:
            people.mark_unreachable(session, user_id)
    except TelegramError as exc:
        log.warning("could not notify a reviewer or reporter: %s", exc)  # no id: UU PDP
    return False


async def refresh_reviewer_menus(context: BotContext, report: ReportInfo) -> None:
    """The count of waiting reports in the command menus of everyone who reviews this area."""
    with context.db.session() as session:
        reviewer_ids = [tid for tid, _ in store.reviewers_for(session, report.village_code)]
    for reviewer_id in reviewer_ids:
        identity = identify(context.db, context.settings, reviewer_id)
        lang = language_of(context.db, reviewer_id)
        await refresh_commands(context.bot, identity, lang, context.app.menu_counts(identity))


async def notify_reviewers(context: BotContext, report: ReportInfo, *, resubmitted: bool) -> int:
    """Tell the coordinators covering the report (or, if there are none, the officials)."""
    with context.db.session() as session:
        reviewer_ids = [tid for tid, _ in store.reviewers_for(session, report.village_code)]
    reviewer_ids = [r for r in reviewer_ids if r != report.reporter_id]
    if not reviewer_ids:
        officials = official_ids(context.db, context.settings)
        reviewer_ids = sorted(a for a in officials if a != report.reporter_id)
    sent = 0
    for reviewer_id in reviewer_ids:
        identity = identify(context.db, context.settings, reviewer_id)
        lang = language_of(context.db, reviewer_id)
        with context.db.session() as session:
            waiting = store.count_pending(session, identity.scopes, reviewer_id)
            region = region_path_name(
                session, report.village_code, below=context.settings.forum_area
            )
        text = t(
            f"reports.review.notify.{'resubmitted' if resubmitted else 'new'}",
            lang,
            id=report.id,
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            region=region,
            waiting=format_count(waiting, lang),
        )
        markup = keyboard([[(t("reports.review.open", lang), ReviewButton("s", report.id).pack())]])
        if await _send_private(context, reviewer_id, text, markup):
            sent += 1
        await refresh_commands(context.bot, identity, lang, context.app.menu_counts(identity))
    return sent


async def notify_cadre(
    context: BotContext, identity: Identity, report: ReportInfo, decision: Decision
) -> None:
    """The reviewer's decision, in the role they acted in; a revision comes with "Perbaiki"."""
    if report.reporter_id is None:  # the cadre erased their data: nobody to tell
        return
    lang = language_of(context.db, report.reporter_id)
    with context.db.session() as session:
        role = reviewer_role(session, report.village_code, lang, identity)
    markup = None
    if decision is Decision.APPROVE:
        key = "reports.review.cadre_approved"
    elif decision is Decision.REVISE:
        key = "reports.review.cadre_revision"
        fix = ReportButton("fix", report_id=report.id).pack()
        markup = keyboard([[(t("reports.review.cadre_fix_button", lang), fix)]])
    else:
        key = "reports.review.cadre_rejected"
    text = t(
        key, lang, id=report.id, title=report.title, reviewer=role, comment=report.last_comment
    )
    await _send_private(context, report.reporter_id, text, markup)

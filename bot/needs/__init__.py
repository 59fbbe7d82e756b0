"""Village needs and cadres' resources (issue 12).

- `survey` — /kebutuhan: a cadre's answer for their kelurahan/desa (needs ranked, problem,
  potential, photo);
- `rounds` — /survei_kebutuhan: a survey round with a deadline, its invitations, progress and
  the reminder to non-responders;
- `needs_map` — /peta_kebutuhan: the needs of an area with drill-down, a chart and the XLSX
  "usulan pelatihan";
- `skills` — /keahlian and /cari_kader: who can teach what, with their consent;
- `sections` — the needs section for /statistik (called by the statistics feature).

Queries are in `storage.needs`, `storage.need_rounds`, `storage.skills` and
`storage.needs_sheet`; the list of needs in `storage/data/needs.csv`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler

from bot.context import BotContext
from bot.needs import needs_map, rounds, skills, survey

__all__ = ["conversations", "handlers", "minute_job"]


def conversations(timeout: timedelta) -> list[ConversationHandler[BotContext]]:
    """The feature's forms."""
    return [
        survey.conversation(timeout),
        rounds.conversation(timeout),
        skills.conversation(timeout),
    ]


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The feature's commands and buttons outside forms."""
    return [*rounds.handlers(), *needs_map.handlers(), *skills.handlers()]


async def minute_job(context: BotContext) -> None:
    """Every minute: forms that expired while the bot was down, and the reminders of survey
    rounds that are due."""
    for form in (survey.FORM, rounds.FORM, skills.FORM):
        await form.sweep_expired(context)
    await rounds.remind_due(context)

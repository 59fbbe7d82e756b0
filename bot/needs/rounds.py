"""/survei_kebutuhan: survey rounds — open one with a deadline, follow it, close it early.

The opener (a coordinator inside their scope, or an official) chooses the cadres as for an
announcement (`bot.forms.audience`), types the deadline (any form `bot.moments` reads), and
opens the round: the invited cadres are recorded and invited through the delivery engine. A
day before the deadline (half-way for short rounds) `remind_due` reminds only those who have
not answered: the outbox reference `needs_round:<id>:reminder` is unique, so the reminder is
stored once however often the job runs or the bot restarts, and the round is marked reminded
only after it is stored. Every round id pressed is re-checked against the presser's scopes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, time, timedelta
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import NeedsRoundButton
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, submit
from bot.forms import END, AnyHandler, Conversation, Form, chat_of
from bot.forms.audience import AudienceDraft, AudienceSteps, audience_counts, audience_label
from bot.i18n import LANGUAGES, t
from bot.moments import Problem, format_count, format_moment, parse_moment, to_local, to_utc
from bot.needs.common import asker, pressed
from bot.ui import Button, keyboard, show
from storage import need_rounds
from storage.audit import audit
from storage.models import BroadcastKind, utcnow
from storage.need_rounds import RoundInfo
from storage.regions import children, display_name, get_region, region_path_name

__all__ = ["RoundDraft", "Step", "conversation", "handlers", "remind_due"]

END_OF_DAY = time(23, 59)


class Step(IntEnum):
    AUDIENCE = 1
    PICK_AREA = 2
    INSTITUTION = 3
    DEADLINE = 4
    CONFIRM = 5


@dataclasses.dataclass
class RoundDraft(AudienceDraft):
    """The round's cadres (area, institutions) and its deadline (naive UTC, ISO)."""

    deadline: str | None = None


FORM = Form("needs_round", RoundDraft, keys="needs.round", requires="privileged")


def _button(action: str, **fields: Any) -> str:
    return NeedsRoundButton(action, **fields).pack()


async def _ask_deadline(
    update: Update, context: BotContext, draft: RoundDraft, identity: Identity
) -> int:
    await show(update, t("needs.round.ask_deadline", context.lang))
    return Step.DEADLINE


AUDIENCE = AudienceSteps(
    FORM,
    prefix=NeedsRoundButton.PREFIX,
    states=(Step.AUDIENCE, Step.PICK_AREA, Step.INSTITUTION),
    on_done=_ask_deadline,
    refused_action="needs.round_refused",
    buttons=NeedsRoundButton.pattern().pattern,
)


async def new_round(update: Update, context: BotContext) -> int:
    """ "Buka survei baru": the audience of the round first."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await query.answer(t("needs.round.not_allowed", context.lang), show_alert=True)
        return END
    await query.answer()
    draft = RoundDraft()
    FORM.save(context, user.id, draft)
    return await AUDIENCE.ask(update, context, draft, identity)


@FORM.step
async def on_deadline(
    update: Update, context: BotContext, draft: RoundDraft, identity: Identity
) -> int:
    """The deadline as typed: a date (until 23.59 that day), or a date and a time."""
    assert update.message is not None and update.message.text is not None
    lang, tz = context.lang, context.settings.timezone
    now = utcnow()
    typed = parse_moment(update.message.text, to_local(now, tz).date(), tz)
    if typed.problem is not None or typed.day is None:
        problem = typed.problem or Problem.UNRECOGNISED
        await update.message.reply_text(t(f"needs.round.deadline_{problem.value}", lang))
        return Step.DEADLINE
    deadline = to_utc(typed.day, typed.at or END_OF_DAY, tz)
    if deadline <= now + timedelta(hours=1):
        await update.message.reply_text(t("needs.round.deadline_past", lang))
        return Step.DEADLINE
    draft.deadline = deadline.isoformat()
    await _show_confirm(update, context, draft)
    return Step.CONFIRM


async def _show_confirm(update: Update, context: BotContext, draft: RoundDraft) -> None:
    lang, tz = context.lang, context.settings.timezone
    assert draft.deadline is not None
    deadline = datetime.fromisoformat(draft.deadline)
    counts = audience_counts(context, draft)
    text = t(
        "needs.round.confirm",
        lang,
        audience=audience_label(context, draft, lang),
        deadline=format_moment(deadline, tz, lang),
        reminder=format_moment(need_rounds.remind_time(utcnow(), deadline), tz, lang),
        count=format_count(counts.eligible, lang),
    )
    rows: list[list[Button]] = [
        [(t("needs.round.open", lang), _button("go")), (t("common.cancel", lang), _button("no"))]
    ]
    await chat_of(update).send_message(text, reply_markup=keyboard(rows))


@FORM.step
async def on_confirm(
    update: Update, context: BotContext, draft: RoundDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if NeedsRoundButton.unpack(query.data).action == "no":
        await query.answer()
        FORM.drop(context, identity.user_id)
        await show(update, t("needs.round.cancelled", lang))
        return END
    if draft.area is None or draft.deadline is None or not identity.may_act_on(draft.area):
        return await AUDIENCE.refuse(update, context, Step.CONFIRM)
    await query.answer()
    with context.db.session() as session:
        info, invited = need_rounds.open_round(
            session,
            scope=draft.area,
            institutions=draft.institutions,
            opened_by=identity.user_id,
            deadline=datetime.fromisoformat(draft.deadline),
        )
        audit(session, identity.user_id, "needs.round_open", draft.area, invited=len(invited))
    FORM.drop(context, identity.user_id)
    await _send(context.app, info, invited, "invite", identity.user_id)
    await show(
        update,
        t("needs.round.opened", lang, id=info.id, count=format_count(len(invited), lang)),
        keyboard([[(t("needs.round.progress_button", lang), _button("v", round_id=info.id))]]),
    )
    return END


async def _send(
    app: ForkomApplication, info: RoundInfo, recipients: list[int], which: str, sender: int
) -> None:
    """The invitation or the reminder of a round, in each cadre's language, through the
    delivery engine (off the event loop: a province round invites thousands)."""
    if not recipients:
        return
    tz = app.settings.timezone
    with app.database.session() as session:
        area = region_path_name(session, info.scope_code)
    texts = {
        lang: t(
            f"needs.round.{which}_text",
            lang,
            area=area,
            deadline=format_moment(info.deadline, tz, lang),
        )
        for lang in LANGUAGES
    }
    await asyncio.to_thread(
        submit,
        app,
        kind=BroadcastKind.NOTIFICATION,
        recipient_ids=recipients,
        payload=Payload(texts),
        sender_id=sender,
        ref=f"needs_round:{info.id}:{which}",
        meta={"title": t(f"needs.round.{which}_title", "id", id=info.id), "area": area},
    )


# ---------------------------------------------------------------- outside the form


async def list_rounds(update: Update, context: BotContext) -> None:
    """`/survei_kebutuhan`: the latest rounds of the sender's areas and "open a new one"."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    lang, tz = context.lang, context.settings.timezone
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await chat.send_message(t("needs.round.not_allowed", lang))
        return
    now = utcnow()
    with context.db.session() as session:
        rounds = need_rounds.rounds_within(session, identity.scopes)
        names = {r.id: region_path_name(session, r.scope_code) for r in rounds}
    lines = [t("needs.round.list_title", lang)]
    rows: list[list[Button]] = []
    for info in rounds:
        status = "open" if info.is_open(now) else "closed"
        lines.append(
            t(
                f"needs.round.list_{status}",
                lang,
                id=info.id,
                area=names[info.id],
                deadline=format_moment(info.deadline, tz, lang),
            )
        )
        label = t("needs.round.progress_of", lang, id=info.id)
        rows.append([(label, _button("v", round_id=info.id))])
    if not rounds:
        lines.append(t("needs.round.list_empty", lang))
    rows.append([(t("needs.round.new", lang), _button("new"))])
    await chat.send_message("\n\n".join(lines), reply_markup=keyboard(rows))


async def _round_in_scope(
    update: Update, context: BotContext, identity: Identity
) -> tuple[NeedsRoundButton, RoundInfo] | None:
    """The round behind a button, if the presser may see it; refused politely otherwise."""
    query = update.callback_query
    assert query is not None
    button = await pressed(update, context, NeedsRoundButton)
    if button is None:
        return None
    with context.db.session() as session:
        info = need_rounds.get_round(session, button.round_id)
    if info is None or not identity.may_act_on(info.scope_code):
        with context.db.session() as session:
            audit(session, identity.user_id, "needs.round_refused", str(button.round_id))
        await query.answer(t("needs.round.refused", context.lang), show_alert=True)
        return None
    return button, info


async def round_button(update: Update, context: BotContext) -> None:
    """`v` progress, `x` close early (asks first), `xy` close."""
    identity = asker(update, context)
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    found = await _round_in_scope(update, context, identity)
    if found is None:
        return
    button, info = found
    await query.answer()
    if button.action == "x":
        rows: list[list[Button]] = [
            [
                (t("needs.round.close_yes", lang), _button("xy", round_id=info.id)),
                (t("needs.round.close_no", lang), _button("v", round_id=info.id)),
            ]
        ]
        await show(update, t("needs.round.close_ask", lang, id=info.id), keyboard(rows))
        return
    if button.action == "xy":
        with context.db.session() as session:
            if need_rounds.close_round(session, info.id, user.id):
                audit(session, user.id, "needs.round_close", info.scope_code, round_id=info.id)
            info = need_rounds.get_round(session, info.id) or info
    text, markup = _progress(context, info)
    await show(update, text, markup)


def _progress(context: BotContext, info: RoundInfo) -> tuple[str, Any]:
    """Answered / invited per sub-area of the round, the totals, the buttons."""
    lang, tz = context.lang, context.settings.timezone
    now = utcnow()
    with context.db.session() as session:
        subareas = children(session, info.scope_code)
        width = len(subareas[0].code) if subareas else len(info.scope_code)
        progress = need_rounds.round_progress(session, info.id, width)
        region = get_region(session, info.scope_code)
        names = {r.code: display_name(r) for r in subareas}
        if region is not None:
            names.setdefault(region.code, display_name(region))
    answered = sum(p.answered for p in progress)
    invited = sum(p.invited for p in progress)
    status = "open" if info.is_open(now) else "closed"
    lines = [
        t(
            f"needs.round.progress_{status}",
            lang,
            id=info.id,
            area=names.get(info.scope_code, info.scope_code),
            deadline=format_moment(info.deadline, tz, lang),
        ),
        t(
            "needs.round.progress_total",
            lang,
            answered=format_count(answered, lang),
            invited=format_count(invited, lang),
        ),
    ]
    for row in progress:
        lines.append(
            t(
                "needs.round.progress_row",
                lang,
                area=names.get(row.code, row.code),
                answered=format_count(row.answered, lang),
                invited=format_count(row.invited, lang),
            )
        )
    buttons: list[list[Button]] = [
        [(t("needs.round.refresh", lang), _button("v", round_id=info.id))]
    ]
    if status == "open":
        buttons.append([(t("needs.round.close", lang), _button("x", round_id=info.id))])
    return "\n".join(lines), keyboard(buttons)


async def remind_due(context: BotContext) -> None:
    """Remind the non-responders of every round whose reminder is due (a minute job)."""
    app = context.app
    with app.database.session() as session:
        due = need_rounds.due_reminders(session)
    for info in due:
        with app.database.session() as session:
            waiting = need_rounds.non_responders(session, info.id)
        await _send(app, info, waiting, "reminder", info.opened_by)
        with app.database.session() as session:
            need_rounds.mark_reminded(session, info.id)


# ---------------------------------------------------------------- the states


def conversation(timeout: timedelta) -> Conversation:
    ours = NeedsRoundButton.pattern()
    deadline_again = FORM.reprompt(Step.DEADLINE, "needs.round.ask_deadline")
    confirm_again = FORM.reprompt(Step.CONFIRM, "form.use_buttons")
    return FORM.conversation(
        entry_points=[CallbackQueryHandler(new_round, pattern=NeedsRoundButton.pattern("new"))],
        states={
            **AUDIENCE.handlers(),
            Step.DEADLINE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_deadline),
                MessageHandler(~filters.COMMAND, deadline_again),
                CallbackQueryHandler(deadline_again, pattern=ours),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(on_confirm, pattern=NeedsRoundButton.pattern("go", "no")),
                MessageHandler(~filters.COMMAND, confirm_again),
                CallbackQueryHandler(confirm_again, pattern=ours),
            ],
        },
        timeout=timeout,
    )


def handlers() -> list[AnyHandler]:
    return [
        CommandHandler("survei_kebutuhan", list_rounds),
        CallbackQueryHandler(round_button, pattern=NeedsRoundButton.pattern("v", "x", "xy")),
    ]

"""/kebutuhan: a cadre tells what their kelurahan/desa needs.

needs (up to three, tapped in order of importance; "Lainnya" asks for its name) → the main
problem → the main potential or product → an optional photo → summary → "Kirim".

One answer per cadre per period (the open round covering their kelurahan/desa, else the
calendar year); answering again updates it, and the last answer counts. A cadre who answered
before starts from the summary of that answer. A `bot.forms.Form`: resume after a restart,
`/batal`, idle expiry and polite re-prompts come from it.
"""

from __future__ import annotations

import dataclasses
import html
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext import filters as f

from bot.auth import Identity, identify
from bot.callbacks import NeedsSurveyButton, refuse_forged
from bot.context import BotContext
from bot.forms import END, Draft, Form, chat_of
from bot.i18n import t
from bot.moments import format_day, to_local
from bot.needs.common import NAME_LIMIT, pressed, typed_name
from bot.needs.labels import RANK_MARKS, need_buttons, ranked_lines
from bot.ui import Button, keyboard, show
from storage import need_rounds, needs
from storage.models import utcnow
from storage.needs import OTHER

__all__ = ["Step", "SurveyDraft", "conversation"]

TEXT_LIMIT = 300


class Step(IntEnum):
    NEEDS = 1
    OTHER = 2
    PROBLEM = 3
    POTENTIAL = 4
    PHOTO = 5
    CONFIRM = 6


# The answers the summary's "Ubah" offers, and the step that asks each.
FIELDS = {
    "needs": Step.NEEDS,
    "problem": Step.PROBLEM,
    "potential": Step.POTENTIAL,
    "photo": Step.PHOTO,
}


@dataclasses.dataclass
class SurveyDraft(Draft):
    """The needs by rank, the name of "Lainnya", the problem, the potential, the photo."""

    needs: list[str] = dataclasses.field(default_factory=list)
    other_name: str | None = None
    problem: str = ""
    potential: str = ""
    photo: str | None = None


FORM = Form("needs_survey", SurveyDraft, keys="needs.survey", summary=Step.CONFIRM)


def _button(action: str, code: str = "") -> str:
    return NeedsSurveyButton(action, code).pack()


@FORM.asks
async def prompt(
    update: Update, context: BotContext, draft: SurveyDraft, state: int, note: str = ""
) -> int:
    """Ask the question of `state` (again), `note` first."""
    state = Step(state)
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    if state is Step.NEEDS:
        marks = {code: RANK_MARKS[i] for i, code in enumerate(draft.needs)}
        rows = need_buttons(marks, lang, {c: _button("t", c) for c in needs.need_codes()})
        if draft.needs:
            rows.append([(t("needs.survey.needs_done", lang), _button("ok"))])
        chosen = ranked_lines(draft.needs, lang, None) or t("needs.survey.none_yet", lang)
        text = t("needs.survey.ask_needs", lang, chosen=chosen, escape=False)
        await show(update, prefix + text, keyboard(rows))
    elif state is Step.PHOTO:
        skip: list[list[Button]] = [[(t("needs.survey.no_photo", lang), _button("skip"))]]
        await show(update, prefix + t("needs.survey.ask_photo", lang), keyboard(skip), edit=False)
    elif state is Step.CONFIRM:
        await show(update, prefix + summary(draft, lang), _confirm_keyboard(lang), edit=False)
    else:
        key = {
            Step.OTHER: "needs.survey.ask_other",
            Step.PROBLEM: "needs.survey.ask_problem",
            Step.POTENTIAL: "needs.survey.ask_potential",
        }[state]
        await chat_of(update).send_message(prefix + t(key, lang))
    return state


def summary(draft: SurveyDraft, lang: str) -> str:
    """The answer as it will be stored (HTML: the cadre's texts are escaped)."""
    return t(
        "needs.survey.summary",
        lang,
        needs=ranked_lines(draft.needs, lang, draft.other_name),
        problem=html.escape(draft.problem),
        potential=html.escape(draft.potential),
        photo=t("needs.survey.photo_yes" if draft.photo else "needs.survey.photo_no", lang),
        escape=False,
    )


def _confirm_keyboard(lang: str) -> InlineKeyboardMarkup:
    rows: list[list[Button]] = [[(t("needs.survey.send", lang), _button("send"))]]
    rows += [[(t(f"needs.survey.change.{field}", lang), _button("e", field))] for field in FIELDS]
    rows.append([(t("common.cancel", lang), _button("no"))])
    return keyboard(rows)


# ---------------------------------------------------------------- entry


async def start(update: Update, context: BotContext) -> int:
    """`/kebutuhan`: a new answer, or the last one to check and update."""
    user = update.effective_user
    assert user is not None and update.message is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None:
        await update.message.reply_text(t("needs.survey.cadres_only", lang))
        return END
    with context.db.session() as session:
        last = needs.current_answer(session, user.id)
    if last is None:
        draft = SurveyDraft()
        FORM.save(context, user.id, draft)
        return await prompt(update, context, draft, Step.NEEDS, t("needs.survey.intro", lang))
    draft = SurveyDraft(
        needs=list(last.needs),
        other_name=last.other_name,
        problem=last.problem,
        potential=last.potential,
        photo=last.photo_file_id,
        back_to_summary=True,
    )
    FORM.save(context, user.id, draft)
    when = to_local(last.updated_at, context.settings.timezone).date()
    note = t("needs.survey.previous", lang, day=format_day(when, lang))
    return await prompt(update, context, draft, Step.CONFIRM, note)


# ---------------------------------------------------------------- the steps


@FORM.step
async def on_need(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    """A need tapped: ranked next, or unranked when tapped again (at most three)."""
    query = update.callback_query
    assert query is not None
    button = await pressed(update, context, NeedsSurveyButton)
    if button is None:
        return Step.NEEDS
    if not needs.is_need(button.code):
        await refuse_forged(update, context.lang)
        return Step.NEEDS
    if button.code in draft.needs:
        draft.needs.remove(button.code)
    elif len(draft.needs) >= needs.RANKED:
        await query.answer(t("needs.survey.three_only", context.lang), show_alert=True)
        return Step.NEEDS
    else:
        draft.needs.append(button.code)
    if OTHER not in draft.needs:
        draft.other_name = None
    await query.answer()
    return await prompt(update, context, draft, Step.NEEDS)


@FORM.step
async def on_needs_done(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    if not draft.needs:
        await query.answer(t("needs.survey.choose_one", context.lang), show_alert=True)
        return Step.NEEDS
    await query.answer()
    await show(update, ranked_lines(draft.needs, context.lang, None))  # the list, done
    if OTHER in draft.needs and not draft.other_name:
        return await prompt(update, context, draft, Step.OTHER)
    return await FORM.proceed(update, context, draft, Step.PROBLEM)


@FORM.step
async def on_other(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    name = typed_name(update)
    if name is None:
        note = t("needs.survey.other_invalid", context.lang, limit=NAME_LIMIT)
        return await prompt(update, context, draft, Step.OTHER, note)
    draft.other_name = name
    return await FORM.proceed(update, context, draft, Step.PROBLEM)


def _text_answer(update: Update) -> str | None:
    assert update.message is not None and update.message.text is not None
    text = " ".join(update.message.text.split())
    return text if 3 <= len(text) <= TEXT_LIMIT else None


@FORM.step
async def on_problem(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    text = _text_answer(update)
    if text is None:
        note = t("needs.survey.text_invalid", context.lang, limit=TEXT_LIMIT)
        return await prompt(update, context, draft, Step.PROBLEM, note)
    draft.problem = text
    return await FORM.proceed(update, context, draft, Step.POTENTIAL)


@FORM.step
async def on_potential(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    text = _text_answer(update)
    if text is None:
        note = t("needs.survey.text_invalid", context.lang, limit=TEXT_LIMIT)
        return await prompt(update, context, draft, Step.POTENTIAL, note)
    draft.potential = text
    return await FORM.proceed(update, context, draft, Step.PHOTO)


@FORM.step
async def on_photo(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    assert update.message is not None and update.message.photo
    draft.photo = update.message.photo[-1].file_id
    return await prompt(update, context, draft, Step.CONFIRM)


@FORM.step
async def on_no_photo(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    assert update.callback_query is not None
    await update.callback_query.answer()
    draft.photo = None
    await show(update, t("needs.survey.photo_skipped", context.lang))
    return await prompt(update, context, draft, Step.CONFIRM)


@FORM.step
async def on_confirm(
    update: Update, context: BotContext, draft: SurveyDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    button = await pressed(update, context, NeedsSurveyButton)
    if button is None:
        return Step.CONFIRM
    if button.action == "e":
        if button.code not in FIELDS:
            await refuse_forged(update, lang)
            return Step.CONFIRM
        await query.answer()
        return await FORM.change(update, context, draft, FIELDS[button.code])
    await query.answer()
    FORM.drop(context, identity.user_id)
    if button.action == "no":
        await show(update, t("needs.survey.cancelled", lang))
        return END
    if identity.cadre is None:  # erased their data meanwhile
        await show(update, t("needs.survey.cadres_only", lang))
        return END
    village = identity.cadre.village_code
    now = utcnow()
    with context.db.session() as session:
        round_id = needs.open_round_for(session, village, now)
        year = to_local(now, context.settings.timezone).year
        created = needs.save_answer(
            session,
            identity.user_id,
            village_code=village,
            period=need_rounds.period_of(round_id, year),
            round_id=round_id,
            needs=tuple(draft.needs),
            other_name=draft.other_name,
            problem=draft.problem,
            potential=draft.potential,
            photo_file_id=draft.photo,
            now=now,
        )
    await show(update, t("needs.survey.saved" if created else "needs.survey.updated", lang))
    return END


# ---------------------------------------------------------------- the states


def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    text = f.TEXT & ~f.COMMAND
    anything = ~f.COMMAND
    ours = NeedsSurveyButton.pattern()

    def wrong_input(state: Step, note_key: str) -> list[BaseHandler[Update, BotContext, Any]]:
        again = FORM.reprompt(state, note_key)
        return [MessageHandler(anything, again), CallbackQueryHandler(again, pattern=ours)]

    return FORM.conversation(
        entry_points=[CommandHandler("kebutuhan", start)],
        states={
            Step.NEEDS: [
                CallbackQueryHandler(on_need, pattern=NeedsSurveyButton.pattern("t")),
                CallbackQueryHandler(on_needs_done, pattern=NeedsSurveyButton.pattern("ok")),
                *wrong_input(Step.NEEDS, "form.use_buttons"),
            ],
            Step.OTHER: [
                MessageHandler(text, on_other),
                *wrong_input(Step.OTHER, "needs.survey.use_text"),
            ],
            Step.PROBLEM: [
                MessageHandler(text, on_problem),
                *wrong_input(Step.PROBLEM, "needs.survey.use_text"),
            ],
            Step.POTENTIAL: [
                MessageHandler(text, on_potential),
                *wrong_input(Step.POTENTIAL, "needs.survey.use_text"),
            ],
            Step.PHOTO: [
                MessageHandler(f.PHOTO, on_photo),
                CallbackQueryHandler(on_no_photo, pattern=NeedsSurveyButton.pattern("skip")),
                *wrong_input(Step.PHOTO, "needs.survey.photo_or_skip"),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(
                    on_confirm, pattern=NeedsSurveyButton.pattern("send", "no", "e")
                ),
                *wrong_input(Step.CONFIRM, "form.use_buttons"),
            ],
        },
        timeout=timeout,
    )

"""/keahlian (cadres: what I can do, whether I teach, may coordinators contact me) and
/cari_kader (coordinators, officials: who can teach this in my area).

Skills use the needs list (`storage/data/needs.csv`), "Lainnya" with the cadre's own words.
`/cari_kader` lists only cadres who teach *and* consented to be contacted, and only inside the
searcher's scopes as the server knows them: the pressed button names a skill, never an area.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from enum import IntEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import FindCadreButton, SkillsButton, refuse_forged
from bot.context import BotContext
from bot.forms import END, AnyHandler, Conversation, Draft, Form, chat_of
from bot.i18n import t
from bot.needs.common import NAME_LIMIT, asker, pressed, typed_name
from bot.needs.labels import need_buttons, need_label
from bot.ui import keyboard, show
from bot.vocabulary import institution_label
from storage import needs, skills
from storage.needs import OTHER
from storage.regions import region_path_name

__all__ = ["SkillsDraft", "Step", "conversation", "handlers"]

YES, NO = "y", "n"


class Step(IntEnum):
    SKILLS = 1
    OTHER = 2
    TEACH = 3
    CONTACT = 4


@dataclasses.dataclass
class SkillsDraft(Draft):
    skills: list[str] = dataclasses.field(default_factory=list)
    other_skill: str | None = None
    teaches: bool = False


FORM = Form("skills", SkillsDraft, keys="needs.skills")


def _button(action: str, **fields: str) -> str:
    return SkillsButton(action, **fields).pack()


def _yes_no(action: str, lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (t("needs.skills.yes", lang), _button(action, answer=YES)),
                (t("needs.skills.no", lang), _button(action, answer=NO)),
            ]
        ]
    )


@FORM.asks
async def prompt(
    update: Update, context: BotContext, draft: SkillsDraft, state: int, note: str = ""
) -> int:
    state = Step(state)
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    if state is Step.SKILLS:
        marks = {code: "✅" for code in draft.skills}
        rows = need_buttons(marks, lang, {c: _button("t", code=c) for c in needs.need_codes()})
        rows.append([(t("needs.skills.done", lang), _button("ok"))])
        await show(update, prefix + t("needs.skills.ask_skills", lang), keyboard(rows))
    elif state is Step.OTHER:
        await chat_of(update).send_message(prefix + t("needs.skills.ask_other", lang))
    elif state is Step.TEACH:
        await show(update, prefix + t("needs.skills.ask_teach", lang), _yes_no("teach", lang))
    else:
        await show(update, prefix + t("needs.skills.ask_contact", lang), _yes_no("contact", lang))
    return state


async def start(update: Update, context: BotContext) -> int:
    """`/keahlian`: start from what the cadre said before, if anything."""
    user = update.effective_user
    assert user is not None and update.message is not None
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None:
        await update.message.reply_text(t("needs.skills.cadres_only", context.lang))
        return END
    with context.db.session() as session:
        known = skills.get_skills(session, user.id)
    draft = SkillsDraft()
    if known is not None:
        draft = SkillsDraft(
            skills=list(known.skills), other_skill=known.other_skill, teaches=known.teaches
        )
    FORM.save(context, user.id, draft)
    return await prompt(update, context, draft, Step.SKILLS)


@FORM.step
async def on_skill(
    update: Update, context: BotContext, draft: SkillsDraft, identity: Identity
) -> int:
    button = await pressed(update, context, SkillsButton)
    if button is None:
        return Step.SKILLS
    if not needs.is_need(button.code):
        await refuse_forged(update, context.lang)
        return Step.SKILLS
    assert update.callback_query is not None
    await update.callback_query.answer()
    chosen = set(draft.skills) ^ {button.code}
    draft.skills = [code for code in needs.need_codes() if code in chosen]
    return await prompt(update, context, draft, Step.SKILLS)


@FORM.step
async def on_skills_done(
    update: Update, context: BotContext, draft: SkillsDraft, identity: Identity
) -> int:
    assert update.callback_query is not None
    if not draft.skills:
        await update.callback_query.answer(t("needs.skills.choose_one", context.lang), True)
        return Step.SKILLS
    await update.callback_query.answer()
    if OTHER in draft.skills:
        return await prompt(update, context, draft, Step.OTHER)
    return await prompt(update, context, draft, Step.TEACH)


@FORM.step
async def on_other(
    update: Update, context: BotContext, draft: SkillsDraft, identity: Identity
) -> int:
    name = typed_name(update)
    if name is None:
        note = t("needs.survey.other_invalid", context.lang, limit=NAME_LIMIT)
        return await prompt(update, context, draft, Step.OTHER, note)
    draft.other_skill = name
    return await prompt(update, context, draft, Step.TEACH)


@FORM.step
async def on_teach(
    update: Update, context: BotContext, draft: SkillsDraft, identity: Identity
) -> int:
    button = await pressed(update, context, SkillsButton)
    if button is None:
        return Step.TEACH
    if button.answer not in (YES, NO):
        await refuse_forged(update, context.lang)
        return Step.TEACH
    assert update.callback_query is not None
    await update.callback_query.answer()
    draft.teaches = button.answer == YES
    return await prompt(update, context, draft, Step.CONTACT)


@FORM.step
async def on_contact(
    update: Update, context: BotContext, draft: SkillsDraft, identity: Identity
) -> int:
    button = await pressed(update, context, SkillsButton)
    if button is None:
        return Step.CONTACT
    if button.answer not in (YES, NO):
        await refuse_forged(update, context.lang)
        return Step.CONTACT
    assert update.callback_query is not None
    await update.callback_query.answer()
    lang = context.lang
    with context.db.session() as session:
        skills.save_skills(
            session,
            identity.user_id,
            skills=draft.skills,
            other_skill=draft.other_skill,
            teaches=draft.teaches,
            contact_ok=button.answer == YES,
        )
    FORM.drop(context, identity.user_id)
    names = ", ".join(need_label(code, lang, draft.other_skill) for code in draft.skills)
    key = (
        "needs.skills.saved_listed"
        if draft.teaches and button.answer == YES
        else "needs.skills.saved"
    )
    await show(update, t(key, lang, skills=names, escape=False))
    return END


def conversation(timeout: timedelta) -> Conversation:
    ours = SkillsButton.pattern()

    def wrong_input(state: Step, note: str) -> list[AnyHandler]:
        again = FORM.reprompt(state, note)
        return [MessageHandler(~filters.COMMAND, again), CallbackQueryHandler(again, ours)]

    return FORM.conversation(
        entry_points=[CommandHandler("keahlian", start)],
        states={
            Step.SKILLS: [
                CallbackQueryHandler(on_skill, pattern=SkillsButton.pattern("t")),
                CallbackQueryHandler(on_skills_done, pattern=SkillsButton.pattern("ok")),
                *wrong_input(Step.SKILLS, "form.use_buttons"),
            ],
            Step.OTHER: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_other),
                *wrong_input(Step.OTHER, "needs.survey.use_text"),
            ],
            Step.TEACH: [
                CallbackQueryHandler(on_teach, pattern=SkillsButton.pattern("teach")),
                *wrong_input(Step.TEACH, "form.use_buttons"),
            ],
            Step.CONTACT: [
                CallbackQueryHandler(on_contact, pattern=SkillsButton.pattern("contact")),
                *wrong_input(Step.CONTACT, "form.use_buttons"),
            ],
        },
        timeout=timeout,
    )


# ---------------------------------------------------------------- /cari_kader


async def find_command(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    identity = asker(update, context)
    if not identity.is_privileged:
        await chat.send_message(t("needs.find.not_allowed", lang))
        return
    pack = {code: FindCadreButton("s", code).pack() for code in needs.need_codes()}
    await chat.send_message(
        t("needs.find.ask", lang), reply_markup=keyboard(need_buttons({}, lang, pack))
    )


async def find_button(update: Update, context: BotContext) -> None:
    """`s:<skill>`: consenting teachers of it inside the presser's scopes."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    button = await pressed(update, context, FindCadreButton)
    if button is None:
        return
    identity = asker(update, context)
    if not identity.is_privileged or not needs.is_need(button.code):
        await refuse_forged(update, lang)
        return
    await query.answer()
    with context.db.session() as session:
        found = skills.find_teachers(session, button.code, identity.scopes)
        places = {f.village_code: region_path_name(session, f.village_code) for f in found}
    lines = [t("needs.find.title", lang, skill=need_label(button.code, lang), escape=False)]
    key = "needs.find.row_other" if button.code == OTHER else "needs.find.row"
    for teacher in found:
        institution = institution_label(teacher.institution, teacher.institution_other, lang)
        lines.append(
            t(
                key,
                lang,
                name=teacher.full_name,
                place=places[teacher.village_code],
                institution=institution,
                phone=teacher.phone,
                skill=teacher.other_skill or "",
            )
        )
    if not found:
        lines.append(t("needs.find.nobody", lang))
    await show(update, "\n\n".join(lines), edit=False)


def handlers() -> list[AnyHandler]:
    return [
        CommandHandler("cari_kader", find_command),
        CallbackQueryHandler(find_button, pattern=FindCadreButton.pattern()),
    ]

"""A cadre's own data: /profil (view, edit), /berhenti and /mulai, /data_saya and /hapus_data
(UU PDP: the rights of access and of erasure)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import groups, training
from bot.auth import identify
from bot.callbacks import DeleteButton, ForgedCallback, ProfileButton, refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.menu import refresh_commands
from bot.ui import keyboard, show
from bot.vocabulary import institution_label
from storage import botstate, people, privacy
from storage.regions import region_path_name

__all__ = ["handlers"]


async def _not_registered(update: Update, context: BotContext) -> None:
    await show(update, t("profile.not_registered", context.lang), edit=False)


async def show_profile(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    lang = context.lang
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
        region = region_path_name(session, cadre.village_code) if cadre else ""
    if cadre is None:
        await _not_registered(update, context)
        return
    text = t(
        "profile.view",
        lang,
        name=cadre.full_name,
        phone=cadre.phone,
        region=region,
        institution=institution_label(cadre.institution, cadre.institution_other, lang),
        broadcasts=t(
            "profile.broadcasts_on" if cadre.receive_broadcasts else "profile.broadcasts_off", lang
        ),
    )
    attended = training.attended_lines(context.db, user.id, context.settings.timezone, lang)
    if attended:
        text += "\n\n" + attended
    await show(
        update,
        text,
        keyboard([[(t("profile.edit", lang), ProfileButton("edit").pack())]]),
        edit=False,
    )


async def _set_broadcasts(update: Update, context: BotContext, receive: bool) -> None:
    user = update.effective_user
    assert user is not None
    with context.db.session() as session:
        ok = people.set_receive_broadcasts(session, user.id, receive)
    if not ok:
        await _not_registered(update, context)
        return
    await show(
        update, t("profile.resumed" if receive else "profile.stopped", context.lang), edit=False
    )


async def stop_broadcasts(update: Update, context: BotContext) -> None:
    await _set_broadcasts(update, context, False)


async def resume_broadcasts(update: Update, context: BotContext) -> None:
    await _set_broadcasts(update, context, True)


async def ask_delete(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    lang = context.lang
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
    if cadre is None:
        await _not_registered(update, context)
        return
    yes, no = DeleteButton("yes").pack(), DeleteButton("no").pack()
    markup = keyboard([[(t("delete.yes", lang), yes)], [(t("delete.no", lang), no)]])
    await show(update, t("delete.confirm", lang), markup, edit=False)


async def on_delete_answer(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    try:
        answer = DeleteButton.unpack(query.data).action
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    await query.answer()
    if answer != "yes":
        await show(update, t("delete.kept", context.lang))
        return
    leaving = groups.candidates(context.db, user.id)  # before: erasure forgets memberships
    with context.db.session() as session:
        erasure = privacy.delete_personal_data(session, user.id)
        botstate.delete_state(session, "user", str(user.id))
        botstate.delete_conversations_of(session, user.id)
    privacy.remove_media_files(context.settings.media_dir, erasure.media_paths)
    await groups.remove_where_not_belonging(context, user.id, leaving)
    context.user_data.clear() if context.user_data is not None else None
    await show(
        update, t("delete.done" if erasure.existed else "profile.not_registered", context.lang)
    )
    identity = identify(context.db, context.settings, user.id)
    await refresh_commands(context.bot, identity, context.lang, context.app.menu_counts(identity))


async def send_my_data(update: Update, context: BotContext) -> None:
    """/data_saya: every field the bot holds about the user, as a small JSON file."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    with context.db.session() as session:
        data = privacy.personal_data(session, user.id)
    await message.reply_document(
        InputFile(privacy.personal_data_json(data), filename=f"data_saya_{user.id}.json"),
        caption=t("profile.my_data", context.lang),
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler(["profil", "profile"], show_profile),
        CommandHandler("berhenti", stop_broadcasts),
        CommandHandler("mulai", resume_broadcasts),
        CommandHandler(["data_saya", "my_data"], send_my_data),
        CommandHandler("hapus_data", ask_delete),
        CallbackQueryHandler(on_delete_answer, pattern=DeleteButton.pattern()),
    ]

"""/lapor: a cadre reports an innovation from the field, step by step, with photos.

title → category → description → photos (0–5; an album counts as one step) → location
(optional) → document (optional) → summary with "Kirim" / "Ubah" / "Batal".

A `bot.forms.Form` (`bot.reports.draft`): the answers live in a `draft` row, the step in PTB's
persisted conversation state, so a restart resumes at the same step; a form left idle is
paused (the draft is kept) and `/lapor` resumes it. Photos and documents are checked against
size limits as they arrive; on submission the report is tied to the cadre's kelurahan, every
file is copied to `MEDIA_DIR`, and the reviewers are notified. A report returned for revision
is reopened here ("Perbaiki laporan") and resubmitted to review.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TypedDict

from telegram import ReplyKeyboardRemove, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.auth import Identity, identify
from bot.callbacks import ForgedCallback, ReportButton, refuse_forged
from bot.context import BotContext
from bot.forms import END, chat_of
from bot.i18n import t
from bot.reports.card import reviewer_role
from bot.reports.draft import (
    DESCRIPTION_LIMITS,
    FIELDS,
    FORM,
    TITLE_LIMITS,
    ReportDraft,
    Step,
    clean_description,
    clean_title,
    draft_from_report,
)
from bot.reports.media import LIMITS, store_media
from bot.reports.notify import notify_reviewers
from bot.reports.prompts import (
    CLEAR_PHOTOS,
    PHOTOS_DONE,
    SKIP_DOCUMENT,
    SKIP_LOCATION,
    megabytes,
    photo_buttons,
    prompt,
    show_fields,
    show_summary,
)
from bot.ui import keyboard, show
from storage import people
from storage import reports as store
from storage.reports import CATEGORIES, MediaInfo, MediaItem, ReportStatus

__all__ = ["conversation"]


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


# ---------------------------------------------------------------- entry points


async def lapor(update: Update, context: BotContext) -> int:
    """/lapor: a new report, or the paused one where the cadre left it."""
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None:
        await chat_of(update).send_message(t("reports.not_cadre", lang))
        return END
    loaded = FORM.load(context, user.id)
    if loaded is not None:
        draft = loaded[0]
        state = await prompt(
            update, context, draft, draft.first_open_step(), t("reports.resume", lang)
        )
        FORM.save(context, user.id, draft)  # resuming makes the form fresh again
        return state
    draft = ReportDraft()
    FORM.save(context, user.id, draft)
    await chat_of(update).send_message(t("reports.intro", lang, max=LIMITS.max_photos))
    return await prompt(update, context, draft, Step.TITLE)


async def fix_report(update: Update, context: BotContext) -> int:
    """ "Perbaiki laporan": reopen a report that a reviewer returned for revision."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    try:
        button = ReportButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return END
    with context.db.session() as session:
        report = store.get_report(session, button.report_id)
    if report is None or report.reporter_id != user.id:
        await refuse_forged(update, lang)
        return END
    if report.status is not ReportStatus.REVISION:
        await query.answer(t("reports.fix_unavailable", lang), show_alert=True)
        return END
    loaded = FORM.load(context, user.id)
    if loaded is not None and loaded[0].report_id != report.id:
        await query.answer()
        await chat_of(update).send_message(t("reports.finish_draft_first", lang))
        return END
    await query.answer()
    draft = loaded[0] if loaded is not None else draft_from_report(report)
    state = await prompt(update, context, draft, draft.first_open_step())
    FORM.save(context, user.id, draft)
    return state


# ---------------------------------------------------------------- steps


@FORM.step
async def on_title(update: Update, context: BotContext, draft: ReportDraft, _: Identity) -> int:
    assert update.message is not None
    title = clean_title(update.message.text or "")
    if title is None:
        low, high = TITLE_LIMITS
        note = t("reports.bad_title", context.lang, min=low, max=high)
        return await prompt(update, context, draft, Step.TITLE, note)
    draft.title = title
    return await FORM.proceed(update, context, draft, Step.CATEGORY)


@FORM.step
async def on_category(update: Update, context: BotContext, draft: ReportDraft, _: Identity) -> int:
    query = update.callback_query
    assert query is not None
    try:
        code = ReportButton.unpack(query.data).category
    except ForgedCallback:
        code = ""
    if code not in CATEGORIES:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.CATEGORY)
    await _answer(update)
    draft.category = code
    label = t(f"reports.category.{code}", context.lang)
    await show(update, t("reports.category_chosen", context.lang, category=label))
    return await FORM.proceed(update, context, draft, Step.DESCRIPTION)


@FORM.step
async def on_description(
    update: Update, context: BotContext, draft: ReportDraft, _: Identity
) -> int:
    assert update.message is not None
    text = clean_description(update.message.text or "")
    if text is None:
        low, high = DESCRIPTION_LIMITS
        note = t("reports.bad_description", context.lang, min=low, max=high)
        return await prompt(update, context, draft, Step.DESCRIPTION, note)
    draft.description = text
    return await FORM.proceed(update, context, draft, Step.PHOTOS)


@FORM.step
async def on_photo(update: Update, context: BotContext, draft: ReportDraft, _: Identity) -> int:
    """One photo, possibly one of an album: an album gets a single, updated acknowledgement.

    Telegram delivers an album as separate messages sharing a `media_group_id`; they reach
    us in order (one user's updates are serialised), so the first photo sends the answer
    and the others edit it.
    """
    message = update.message
    assert message is not None and message.photo
    lang = context.lang
    group = message.media_group_id
    if group is None or draft.album_group != group:
        draft.forget_album()
    if draft.photos_prompt is not None:  # "No photos, continue" would now be misleading
        try:
            await context.bot.edit_message_reply_markup(chat_of(update).id, draft.photos_prompt)
        except TelegramError:
            pass
        draft.photos_prompt = None
    largest = message.photo[-1]
    photos = draft.photos
    if largest.file_size and largest.file_size > LIMITS.photo_bytes:
        draft.album_too_big += 1
    elif len(photos) >= LIMITS.max_photos:
        draft.album_full += 1
    elif all(p["file_unique_id"] != largest.file_unique_id for p in photos):
        photos.append(
            MediaItem("photo", largest.file_id, largest.file_unique_id, largest.file_size).to_dict()
        )
    text = _photos_received(draft, lang)
    markup = keyboard(photo_buttons(draft, lang))
    sent_id = draft.album_message_id
    if sent_id is not None:
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat_of(update).id, message_id=sent_id, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                sent_id = None
    if sent_id is None:
        sent_id = (await chat_of(update).send_message(text, reply_markup=markup)).message_id
    if group is None:
        draft.forget_album()
    else:
        draft.album_group, draft.album_message_id = group, sent_id
    return Step.PHOTOS


def _photos_received(draft: ReportDraft, lang: str) -> str:
    """How many photos are in, and what of the last photo or album was not kept."""
    count, most = len(draft.photos), LIMITS.max_photos
    lines = [t("reports.photos_received", lang, count=count, max=most)]
    if draft.album_too_big:
        limit = megabytes(LIMITS.photo_bytes, lang)
        lines.append(t("reports.photo_too_big", lang, count=draft.album_too_big, max=limit))
    if draft.album_full:
        lines.append(t("reports.photos_full", lang, count=draft.album_full, max=most))
    if count < most:
        lines.append(t("reports.photos_more", lang))
    return "\n".join(lines)


@FORM.step
async def on_photos_button(
    update: Update, context: BotContext, draft: ReportDraft, _: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    await _answer(update)
    draft.forget_album()
    if query.data == CLEAR_PHOTOS.pack():
        draft.photos = []
        await show(update, t("reports.photos_cleared", context.lang))
        return await prompt(update, context, draft, Step.PHOTOS)
    draft.photos_done = True
    count = len(draft.photos)
    if count:
        await show(update, t("reports.photos_saved", context.lang, count=count))
    else:
        await show(update, t("reports.photos_skipped", context.lang))
    return await FORM.proceed(update, context, draft, Step.LOCATION)


@FORM.step
async def on_location(update: Update, context: BotContext, draft: ReportDraft, _: Identity) -> int:
    message = update.message
    assert message is not None and message.location is not None
    draft.location = [message.location.latitude, message.location.longitude]
    draft.location_done = True
    await chat_of(update).send_message(
        t("reports.location_saved", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return await FORM.proceed(update, context, draft, Step.DOCUMENT)


@FORM.step
async def on_location_skip(
    update: Update, context: BotContext, draft: ReportDraft, _: Identity
) -> int:
    await _answer(update)
    draft.location = None
    draft.location_done = True
    await chat_of(update).send_message(
        t("reports.location_skipped", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return await FORM.proceed(update, context, draft, Step.DOCUMENT)


@FORM.step
async def on_document(update: Update, context: BotContext, draft: ReportDraft, _: Identity) -> int:
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    lang = context.lang
    if document.file_size and document.file_size > LIMITS.document_bytes:
        note = t("reports.document_too_big", lang, max=megabytes(LIMITS.document_bytes, lang))
        return await prompt(update, context, draft, Step.DOCUMENT, note)
    draft.document = MediaItem(
        "document",
        document.file_id,
        document.file_unique_id,
        document.file_size,
        document.mime_type,
        (document.file_name or "")[:255] or None,
    ).to_dict()
    draft.document_done = True
    await chat_of(update).send_message(
        t("reports.document_saved", lang, name=document.file_name or "—")
    )
    return await prompt(update, context, draft, Step.CONFIRM)


@FORM.step
async def on_document_skip(
    update: Update, context: BotContext, draft: ReportDraft, _: Identity
) -> int:
    await _answer(update)
    draft.document = None
    draft.document_done = True
    await show(update, t("reports.document_skipped", context.lang))
    return await prompt(update, context, draft, Step.CONFIRM)


@FORM.step
async def on_confirm(
    update: Update, context: BotContext, draft: ReportDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    try:
        button = ReportButton.unpack(query.data)
    except ForgedCallback:
        await _answer(update, t("common.stale_button", lang))
        return await prompt(update, context, draft, Step.CONFIRM)
    await _answer(update)
    if button.action == "edit":
        await show_fields(update, context)
        return Step.CONFIRM
    if button.action == "f":
        if button.field == "done":
            await show_summary(update, context, draft)
            return Step.CONFIRM
        if button.field not in FIELDS:
            return await prompt(update, context, draft, Step.CONFIRM)
        field = t(f"reports.field.{button.field}", lang)
        await show(update, t("reports.changing", lang, field=field))
        return await FORM.change(update, context, draft, FIELDS[button.field])
    if button.action == "cancel":
        return await FORM.cancel(update, context)
    required = (
        (draft.title, Step.TITLE),
        (draft.category, Step.CATEGORY),
        (draft.description, Step.DESCRIPTION),
    )
    for answer, state in required:
        if not answer:  # only a hand-edited draft gets here; ask for what is missing
            return await prompt(update, context, draft, state)
    return await _submit(update, context, draft, identity)


class ReportFields(TypedDict):
    """What the cadre wrote, as `store.create_report` and `store.resubmit_report` take it."""

    title: str
    category: str
    description: str
    latitude: float | None
    longitude: float | None
    media: list[MediaItem]


async def _submit(
    update: Update, context: BotContext, draft: ReportDraft, identity: Identity
) -> int:
    user_id = identity.user_id
    lang = context.lang
    cadre = identity.cadre
    if cadre is None:
        FORM.drop(context, user_id)
        await show(update, t("reports.not_cadre", lang))
        return END
    assert draft.title and draft.category and draft.description
    latitude, longitude = draft.location or (None, None)
    fields = ReportFields(
        title=draft.title,
        category=draft.category,
        description=draft.description,
        latitude=latitude,
        longitude=longitude,
        media=draft.media(),
    )
    dropped: list[MediaInfo] = []
    with context.db.session() as session:
        if draft.report_id:
            report, dropped = store.resubmit_report(session, draft.report_id, user_id, **fields)
        else:
            report = store.create_report(
                session,
                user_id,
                village_code=cadre.village_code,
                institution=cadre.institution,
                **fields,
            )
        people.delete_draft(session, user_id, FORM.kind)  # with the report, atomically
        if report is not None:
            reviewer = reviewer_role(session, report.village_code, lang)
    if report is None:
        await show(update, t("reports.fix_unavailable", lang))
        return END
    resubmitted = bool(draft.report_id)
    kind = "fix" if resubmitted else "new"
    text = t(f"reports.submitted.{kind}", lang, id=report.id, title=report.title, reviewer=reviewer)
    await show(update, text)
    await store_media(context.bot, context.db, context.settings.media_dir, report, dropped)
    await notify_reviewers(context, report, resubmitted=resubmitted)
    return END


# ---------------------------------------------------------------- the conversation


def _exactly(button: ReportButton) -> re.Pattern[str]:
    """Route only this button; a forged variant falls to the step's polite re-prompt."""
    return re.compile(rf"^{re.escape(button.pack())}$")


def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    # Only new messages in the private chat count: an edited earlier answer is not the next one.
    new = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    text = new & filters.TEXT & ~filters.COMMAND
    anything = new & ~filters.COMMAND
    # This form's buttons (not "Perbaiki laporan", which opens the form).
    ours = ReportButton.pattern("c", "ph", "loc", "doc", "send", "edit", "cancel", "f")
    fix = CallbackQueryHandler(fix_report, pattern=ReportButton.pattern("fix"))

    def wrong(
        state: Step, why: str
    ) -> list[MessageHandler[BotContext, int] | CallbackQueryHandler[BotContext, int]]:
        """Anything else at this step (and stale buttons of this form) asks again."""
        again = FORM.reprompt(state, f"reports.wrong.{why}")
        return [MessageHandler(anything, again), CallbackQueryHandler(again, pattern=ours)]

    return FORM.conversation(
        entry_points=[CommandHandler("lapor", lapor, filters.ChatType.PRIVATE), fix],
        states={
            Step.TITLE: [MessageHandler(text, on_title), *wrong(Step.TITLE, "need_text_title")],
            Step.CATEGORY: [
                CallbackQueryHandler(on_category, pattern=ReportButton.pattern("c")),
                *wrong(Step.CATEGORY, "use_buttons"),
            ],
            Step.DESCRIPTION: [
                MessageHandler(text, on_description),
                *wrong(Step.DESCRIPTION, "need_text_description"),
            ],
            Step.PHOTOS: [
                MessageHandler(new & filters.PHOTO, on_photo),
                CallbackQueryHandler(on_photos_button, pattern=_exactly(PHOTOS_DONE)),
                CallbackQueryHandler(on_photos_button, pattern=_exactly(CLEAR_PHOTOS)),
                *wrong(Step.PHOTOS, "need_photo"),
            ],
            Step.LOCATION: [
                MessageHandler(new & filters.LOCATION, on_location),
                CallbackQueryHandler(on_location_skip, pattern=_exactly(SKIP_LOCATION)),
                *wrong(Step.LOCATION, "need_location"),
            ],
            Step.DOCUMENT: [
                MessageHandler(new & filters.Document.ALL, on_document),
                CallbackQueryHandler(on_document_skip, pattern=_exactly(SKIP_DOCUMENT)),
                *wrong(Step.DOCUMENT, "need_document"),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(
                    on_confirm, pattern=ReportButton.pattern("send", "edit", "cancel", "f")
                ),
                *wrong(Step.CONFIRM, "use_buttons"),
            ],
        },
        timeout=timeout,
        resume="lapor",
        allow_reentry=False,
        fallbacks=[fix],
    )

"""/lapor: a cadre reports an innovation from the field, step by step, with photos.

title → category → description → photos (0–5; an album counts as one step) → location
(optional) → document (optional) → summary with "Kirim" / "Ubah" / "Batal".

The form lives in a `draft` row and the conversation state in our persistence, so a restart
resumes at the same step; a form left idle is paused (the draft is kept) and `/lapor` resumes
it. Photos and documents are checked against size limits as they arrive; on submission the
report is tied to the cadre's kelurahan, every file is copied to `MEDIA_DIR` under a name made
of the report id and a sequence number, and the reviewers are notified. A report returned for
revision is reopened here ("Perbaiki laporan") and resubmitted to review.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.auth import identify
from bot.context import BotContext
from bot.forms.legacy import DictDraft as Draft
from bot.forms.legacy import DraftStore
from bot.i18n import t
from bot.report_media import LIMITS, MB, store_media
from bot.review import notify_reviewers, reviewer_role
from bot.ui import Button, keyboard, show
from storage import people
from storage import reports as store
from storage.regions import region_path_name
from storage.reports import CATEGORIES, MediaInfo, MediaItem, ReportInfo, ReportStatus

__all__ = ["Step", "clean_description", "clean_title", "conversation"]

DRAFT = "report"
END = ConversationHandler.END
FIELDS = ("title", "category", "description", "photos", "location", "document")
TITLE_LIMITS = (5, 120)
DESCRIPTION_LIMITS = (20, 2000)


class Step(IntEnum):
    TITLE = 1
    CATEGORY = 2
    DESCRIPTION = 3
    PHOTOS = 4
    LOCATION = 5
    DOCUMENT = 6
    CONFIRM = 7


StepHandler = Callable[[Update, BotContext, Draft], Awaitable[int]]


# ---------------------------------------------------------------- input rules


def clean_title(raw: str) -> str | None:
    """A one-line title of 5–120 characters (spaces tidied), or None."""
    title = " ".join(raw.split())
    low, high = TITLE_LIMITS
    if not low <= len(title) <= high or title.startswith("/"):
        return None
    return title


def clean_description(raw: str) -> str | None:
    """A description of 20–2000 characters; line breaks kept, blank runs collapsed."""
    lines = [" ".join(line.split()) for line in raw.strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    low, high = DESCRIPTION_LIMITS
    if not low <= len(text) <= high:
        return None
    return text


def _megabytes(size: int) -> str:
    return f"{size / MB:.0f}"


# ---------------------------------------------------------------- draft plumbing


_drafts = DraftStore(DRAFT)
_load = _drafts.load
_save = _drafts.save
_drop = _drafts.drop


def _chat(update: Update):  # type: ignore[no-untyped-def]
    assert update.effective_chat is not None
    return update.effective_chat


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


def step(fn: StepHandler) -> Callable[[Update, BotContext], Awaitable[int]]:
    """Load the draft; pause idle forms (keeping the draft); save the draft after the step."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: BotContext) -> int:
        user = update.effective_user
        assert user is not None
        loaded = _load(context, user.id)
        if loaded is None:
            await _answer(update)
            await _chat(update).send_message(
                t("reports.no_draft", context.lang), reply_markup=ReplyKeyboardRemove()
            )
            return END
        draft, idle = loaded
        if idle:
            await _answer(update)
            await _chat(update).send_message(
                t("reports.paused", context.lang), reply_markup=ReplyKeyboardRemove()
            )
            return END
        state = await fn(update, context, draft)
        if state != END:
            draft["step"] = int(state)
            _save(context, user.id, draft)
        return state

    return wrapper


# ---------------------------------------------------------------- prompts


def _photo_buttons(draft: Draft, lang: str) -> list[list[Button]]:
    count = len(draft.get("photos") or [])
    if not count:
        return [[(t("reports.photos_none", lang), "rp:ph:done")]]
    return [
        [(t("reports.photos_done", lang, count=count), "rp:ph:done")],
        [(t("reports.photos_clear", lang), "rp:ph:clear")],
    ]


async def prompt(
    update: Update, context: BotContext, draft: Draft, state: Step, note: str = ""
) -> int:
    """Ask for the given step (again). `note` is a short line shown first (why we ask again)."""
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    chat = _chat(update)
    if state is Step.TITLE:
        await chat.send_message(prefix + t("reports.ask_title", lang))
    elif state is Step.CATEGORY:
        labels = [(t(f"reports.category.{c}", lang), f"rp:c:{c}") for c in CATEGORIES]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        await chat.send_message(
            prefix + t("reports.ask_category", lang), reply_markup=keyboard(rows)
        )
    elif state is Step.DESCRIPTION:
        await chat.send_message(prefix + t("reports.ask_description", lang))
    elif state is Step.PHOTOS:
        count = len(draft.get("photos") or [])
        text = t("reports.ask_photos", lang, max=LIMITS.max_photos)
        if count:
            text += "\n" + t("reports.photos_so_far", lang, count=count, max=LIMITS.max_photos)
        sent = await chat.send_message(
            prefix + text, reply_markup=keyboard(_photo_buttons(draft, lang))
        )
        draft["photos_prompt"] = sent.message_id  # its buttons go once photos arrive
    elif state is Step.LOCATION:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(t("reports.send_location_button", lang), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await chat.send_message(prefix + t("reports.ask_location", lang), reply_markup=markup)
        await chat.send_message(
            t("reports.skip_location_hint", lang),
            reply_markup=keyboard([[(t("reports.skip_location", lang), "rp:loc:skip")]]),
        )
    elif state is Step.DOCUMENT:
        await chat.send_message(
            prefix + t("reports.ask_document", lang, max=_megabytes(LIMITS.document_bytes)),
            reply_markup=keyboard([[(t("reports.skip_document", lang), "rp:doc:skip")]]),
        )
    elif state is Step.CONFIRM:
        await _show_summary(update, context, draft, note=note, edit=False)
    return state


def _summary_text(context: BotContext, draft: Draft, village_code: str | None) -> str:
    lang = context.lang
    region = ""
    if village_code:
        with context.db.session() as session:
            region = region_path_name(session, village_code, below=context.settings.forum_area)
    location = draft.get("location")
    document = draft.get("document")
    body = t(
        "reports.summary",
        lang,
        title=draft.get("title", ""),
        category=t(f"reports.category.{draft.get('category', 'lainnya')}", lang),
        description=draft.get("description", ""),
        photos=len(draft.get("photos") or []),
        location=t("reports.summary_location_yes", lang) if location else "—",
        document=(document or {}).get("file_name") or ("✅" if document else "—"),
        region=region,
    )
    if draft.get("report_id"):
        title = t("reports.summary_title_fix", lang, id=draft["report_id"])
        if draft.get("comment"):
            title += "\n" + t("reports.card_comment", lang, comment=draft["comment"])
    else:
        title = t("reports.summary_title", lang)
    return f"{title}\n\n{body}\n\n{t('reports.summary_hint', lang)}"


async def _show_summary(
    update: Update, context: BotContext, draft: Draft, *, note: str = "", edit: bool = True
) -> None:
    lang = context.lang
    assert update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    village = draft.get("village") or (identity.cadre.village_code if identity.cadre else None)
    text = _summary_text(context, draft, village)
    if note:
        text = f"{note}\n\n{text}"
    markup = keyboard(
        [
            [(t("reports.send", lang), "rp:send")],
            [(t("reports.change", lang), "rp:edit"), (t("reports.cancel", lang), "rp:cancel")],
        ]
    )
    await show(update, text, markup, edit=edit)


async def _next(update: Update, context: BotContext, draft: Draft, default: Step) -> int:
    """After a step: back to the summary when changing one field, else on to `default`."""
    if draft.get("back_to_confirm"):
        return await prompt(update, context, draft, Step.CONFIRM)
    return await prompt(update, context, draft, default)


# ---------------------------------------------------------------- entry points


async def lapor(update: Update, context: BotContext) -> int:
    """/lapor: a new report, or the one in progress where the cadre left it."""
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None:
        await _chat(update).send_message(t("reports.not_cadre", lang))
        return END
    loaded = _load(context, user.id)
    if loaded is not None:
        draft = loaded[0]
        state = Step(draft.get("step", Step.TITLE))
        state = await prompt(update, context, draft, state, note=t("reports.resume", lang))
        _save(context, user.id, draft)  # resuming makes the form fresh again
        return state
    draft: Draft = {"step": int(Step.TITLE), "photos": []}
    _save(context, user.id, draft)
    await _chat(update).send_message(t("reports.intro", lang, max=LIMITS.max_photos))
    return await prompt(update, context, draft, Step.TITLE)


async def resume(update: Update, context: BotContext) -> int:
    """/lapor while the form is open: ask the current step again."""
    return await lapor(update, context)


def draft_from_report(report: ReportInfo) -> Draft:
    """The form pre-filled with a report returned for revision."""
    return {
        "report_id": report.id,
        "village": report.village_code,
        "comment": report.last_comment,
        "title": report.title,
        "category": report.category,
        "description": report.description,
        "photos": [_media_item(m).to_dict() for m in report.photos],
        "location": ([report.latitude, report.longitude] if report.latitude is not None else None),
        "document": _media_item(report.document).to_dict() if report.document else None,
        "back_to_confirm": True,
        "step": int(Step.CONFIRM),
    }


def _media_item(media: MediaInfo) -> MediaItem:
    return MediaItem(
        media.kind,
        media.file_id,
        media.file_unique_id,
        media.file_size,
        media.mime_type,
        media.file_name,
    )


async def fix_report(update: Update, context: BotContext) -> int:
    """ "Perbaiki laporan": reopen a report that a reviewer returned for revision."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    arg = query.data.removeprefix("rp:fix:")
    report = None
    if arg.isdigit():
        with context.db.session() as session:
            report = store.get_report(session, int(arg))
    if report is None or report.reporter_id != user.id:
        await query.answer(t("common.stale_button", lang))
        return END
    if report.status is not ReportStatus.REVISION:
        await query.answer(t("reports.fix_unavailable", lang), show_alert=True)
        return END
    loaded = _load(context, user.id)
    if loaded is not None and loaded[0].get("report_id") != report.id:
        await query.answer()
        await _chat(update).send_message(t("reports.finish_draft_first", lang))
        return END
    await query.answer()
    draft = loaded[0] if loaded is not None else draft_from_report(report)
    state = await prompt(update, context, draft, Step(draft.get("step", Step.CONFIRM)))
    _save(context, user.id, draft)
    return state


# ---------------------------------------------------------------- steps


@step
async def on_title(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    title = clean_title(update.message.text or "")
    if title is None:
        low, high = TITLE_LIMITS
        note = t("reports.bad_title", context.lang, min=low, max=high)
        return await prompt(update, context, draft, Step.TITLE, note=note)
    draft["title"] = title
    return await _next(update, context, draft, Step.CATEGORY)


@step
async def on_category(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("rp:c:")
    if code not in CATEGORIES:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.CATEGORY)
    await _answer(update)
    draft["category"] = code
    label = t(f"reports.category.{code}", context.lang)
    await show(update, t("reports.category_chosen", context.lang, category=label))
    return await _next(update, context, draft, Step.DESCRIPTION)


@step
async def on_description(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    text = clean_description(update.message.text or "")
    if text is None:
        low, high = DESCRIPTION_LIMITS
        note = t("reports.bad_description", context.lang, min=low, max=high)
        return await prompt(update, context, draft, Step.DESCRIPTION, note=note)
    draft["description"] = text
    return await _next(update, context, draft, Step.PHOTOS)


@step
async def on_photo(update: Update, context: BotContext, draft: Draft) -> int:
    """One photo, possibly one of an album: an album gets a single, updated acknowledgement.

    Telegram delivers an album as separate messages sharing a `media_group_id`; they reach
    us in order (one user's updates are serialised), so the first photo sends the answer
    and the others edit it.
    """
    message = update.message
    assert message is not None and message.photo
    lang = context.lang
    photos: list[dict[str, Any]] = draft.setdefault("photos", [])
    group = message.media_group_id
    album = draft.get("album") if group else None
    if not album or album.get("group") != group:
        album = {"group": group, "message_id": None, "full": 0, "too_big": 0}
    prompt_id = draft.pop("photos_prompt", None)
    if isinstance(prompt_id, int):  # "No photos, continue" would now be misleading
        try:
            await context.bot.edit_message_reply_markup(_chat(update).id, prompt_id)
        except TelegramError:
            pass
    largest = message.photo[-1]
    if largest.file_size and largest.file_size > LIMITS.photo_bytes:
        album["too_big"] += 1
    elif len(photos) >= LIMITS.max_photos:
        album["full"] += 1
    elif all(p["file_unique_id"] != largest.file_unique_id for p in photos):
        photos.append(
            MediaItem("photo", largest.file_id, largest.file_unique_id, largest.file_size).to_dict()
        )
    lines = [t("reports.photos_received", lang, count=len(photos), max=LIMITS.max_photos)]
    if album["too_big"]:
        lines.append(
            t(
                "reports.photo_too_big",
                lang,
                count=album["too_big"],
                max=_megabytes(LIMITS.photo_bytes),
            )
        )
    if album["full"]:
        lines.append(t("reports.photos_full", lang, count=album["full"], max=LIMITS.max_photos))
    if len(photos) < LIMITS.max_photos:
        lines.append(t("reports.photos_more", lang))
    text = "\n".join(lines)
    markup = keyboard(_photo_buttons(draft, lang))
    sent_id = album.get("message_id")
    if sent_id is not None:
        try:
            await context.bot.edit_message_text(
                text, chat_id=_chat(update).id, message_id=sent_id, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                sent_id = None
    if sent_id is None:
        sent = await _chat(update).send_message(text, reply_markup=markup)
        sent_id = sent.message_id
    album["message_id"] = sent_id
    draft["album"] = album if group else None
    return Step.PHOTOS


@step
async def on_photos_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None
    await _answer(update)
    draft.pop("album", None)
    if query.data == "rp:ph:clear":
        draft["photos"] = []
        await show(update, t("reports.photos_cleared", context.lang))
        return await prompt(update, context, draft, Step.PHOTOS)
    count = len(draft.get("photos") or [])
    if count:
        await show(update, t("reports.photos_saved", context.lang, count=count))
    else:
        await show(update, t("reports.photos_skipped", context.lang))
    return await _next(update, context, draft, Step.LOCATION)


@step
async def on_location(update: Update, context: BotContext, draft: Draft) -> int:
    message = update.message
    assert message is not None and message.location is not None
    draft["location"] = [message.location.latitude, message.location.longitude]
    await _chat(update).send_message(
        t("reports.location_saved", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return await _next(update, context, draft, Step.DOCUMENT)


@step
async def on_location_skip(update: Update, context: BotContext, draft: Draft) -> int:
    await _answer(update)
    draft["location"] = None
    await _chat(update).send_message(
        t("reports.location_skipped", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return await _next(update, context, draft, Step.DOCUMENT)


@step
async def on_document(update: Update, context: BotContext, draft: Draft) -> int:
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    lang = context.lang
    if document.file_size and document.file_size > LIMITS.document_bytes:
        note = t("reports.document_too_big", lang, max=_megabytes(LIMITS.document_bytes))
        return await prompt(update, context, draft, Step.DOCUMENT, note=note)
    draft["document"] = MediaItem(
        "document",
        document.file_id,
        document.file_unique_id,
        document.file_size,
        document.mime_type,
        (document.file_name or "")[:255] or None,
    ).to_dict()
    await _chat(update).send_message(
        t("reports.document_saved", lang, name=document.file_name or "—")
    )
    return await prompt(update, context, draft, Step.CONFIRM)


@step
async def on_document_skip(update: Update, context: BotContext, draft: Draft) -> int:
    await _answer(update)
    draft["document"] = None
    await show(update, t("reports.document_skipped", context.lang))
    return await prompt(update, context, draft, Step.CONFIRM)


async def _show_fields(update: Update, context: BotContext) -> None:
    lang = context.lang
    rows = [[(t(f"reports.field.{f}", lang), f"rp:f:{f}")] for f in FIELDS]
    rows.append([(t("reports.field.done", lang), "rp:f:done")])
    await show(update, t("reports.which_field", lang), keyboard(rows))


@step
async def on_confirm(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = context.lang
    data = query.data
    if data == "rp:edit":
        await _answer(update)
        await _show_fields(update, context)
        return Step.CONFIRM
    if data.startswith("rp:f:"):
        field = data.removeprefix("rp:f:")
        await _answer(update)
        if field == "done":
            await _show_summary(update, context, draft)
            return Step.CONFIRM
        if field not in FIELDS:
            return await prompt(update, context, draft, Step.CONFIRM)
        draft["back_to_confirm"] = True
        await show(update, t("reports.changing", lang, field=t(f"reports.field.{field}", lang)))
        target = {
            "title": Step.TITLE,
            "category": Step.CATEGORY,
            "description": Step.DESCRIPTION,
            "photos": Step.PHOTOS,
            "location": Step.LOCATION,
            "document": Step.DOCUMENT,
        }[field]
        return await prompt(update, context, draft, target)
    if data == "rp:cancel":
        await _answer(update)
        return await _cancel(update, context, draft)
    if data != "rp:send":
        await _answer(update, t("common.stale_button", lang))
        return await prompt(update, context, draft, Step.CONFIRM)
    missing = [k for k in ("title", "category", "description") if not draft.get(k)]
    if missing:  # only a hand-edited draft gets here; ask for what is missing
        await _answer(update)
        first = {"title": Step.TITLE, "category": Step.CATEGORY, "description": Step.DESCRIPTION}
        return await prompt(update, context, draft, first[missing[0]])
    await _answer(update)
    return await _submit(update, context, draft)


async def _submit(update: Update, context: BotContext, draft: Draft) -> int:
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    cadre = identity.cadre
    if cadre is None:
        _drop(context, user.id)
        await show(update, t("reports.not_cadre", lang))
        return END
    media = [MediaItem.from_dict(p) for p in draft.get("photos") or []]
    if draft.get("document"):
        media.append(MediaItem.from_dict(draft["document"]))
    location = draft.get("location") or [None, None]
    fields = {
        "title": draft["title"],
        "category": draft["category"],
        "description": draft["description"],
        "latitude": location[0],
        "longitude": location[1],
        "media": media,
    }
    resubmitted = bool(draft.get("report_id"))
    dropped: list[MediaInfo] = []
    with context.db.session() as session:
        if resubmitted:
            report, dropped = store.resubmit_report(
                session, int(draft["report_id"]), user.id, **fields
            )
        else:
            report = store.create_report(
                session,
                user.id,
                village_code=cadre.village_code,
                institution=cadre.institution,
                **fields,
            )
        people.delete_draft(session, user.id, DRAFT)
        if report is not None:
            reviewer = reviewer_role(session, report.village_code, lang)
    if report is None:
        await show(update, t("reports.fix_unavailable", lang))
        return END
    await show(
        update,
        t(
            f"reports.submitted.{'fix' if resubmitted else 'new'}",
            lang,
            id=report.id,
            title=report.title,
            reviewer=reviewer,
        ),
    )
    await store_media(context.bot, context.db, context.settings.media_dir, report, dropped)
    await notify_reviewers(context, report, resubmitted=resubmitted)
    return END


# ---------------------------------------------------------------- wrong input, cancel, timeout


def _reprompt(state: Step, why: str) -> Callable[[Update, BotContext], Awaitable[int]]:
    @step
    async def again(update: Update, context: BotContext, draft: Draft) -> int:
        note = t(f"reports.wrong.{why}", context.lang, max=LIMITS.max_photos)
        if update.callback_query:
            await _answer(update, t("common.stale_button", context.lang))
            note = ""
        return await prompt(update, context, draft, state, note=note)

    again.__name__ = f"reprompt_{state.name.lower()}"
    return again


async def _cancel(update: Update, context: BotContext, draft: Draft) -> int:
    user = update.effective_user
    assert user is not None
    _drop(context, user.id)
    kind = "fix" if draft.get("report_id") else "new"
    await _chat(update).send_message(
        t(f"reports.cancelled.{kind}", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return END


async def cancel(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None
    loaded = _load(context, user.id)
    return await _cancel(update, context, loaded[0] if loaded else {})


async def on_timeout(update: object, context: BotContext) -> None:
    """Idle while the bot runs: the form is paused, the draft kept for /lapor."""
    if isinstance(update, Update) and update.effective_chat is not None:
        await update.effective_chat.send_message(
            t("reports.paused", context.lang), reply_markup=ReplyKeyboardRemove()
        )


def conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    # Only new messages in the private chat count: an edited earlier answer is not the next one.
    new = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    text = new & filters.TEXT & ~filters.COMMAND
    anything = new & ~filters.COMMAND

    def wrong(state: Step, why: str) -> list:  # type: ignore[type-arg]
        """Anything else at this step (and stale buttons of this form) asks again."""
        return [
            MessageHandler(anything, _reprompt(state, why)),
            CallbackQueryHandler(_reprompt(state, why), pattern=r"^rp:(?!fix:)"),
        ]

    with warnings.catch_warnings():
        # Our CallbackQueryHandlers are per chat on purpose: a form is one per user.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="report",
            persistent=True,
            allow_reentry=False,
            conversation_timeout=conversation_timeout,
            entry_points=[
                CommandHandler("lapor", lapor, filters.ChatType.PRIVATE),
                CallbackQueryHandler(fix_report, pattern=r"^rp:fix:"),
            ],
            states={
                Step.TITLE: [
                    MessageHandler(text, on_title),
                    *wrong(Step.TITLE, "need_text_title"),
                ],
                Step.CATEGORY: [
                    CallbackQueryHandler(on_category, pattern=r"^rp:c:"),
                    *wrong(Step.CATEGORY, "use_buttons"),
                ],
                Step.DESCRIPTION: [
                    MessageHandler(text, on_description),
                    *wrong(Step.DESCRIPTION, "need_text_description"),
                ],
                Step.PHOTOS: [
                    MessageHandler(new & filters.PHOTO, on_photo),
                    CallbackQueryHandler(on_photos_button, pattern=r"^rp:ph:(done|clear)$"),
                    *wrong(Step.PHOTOS, "need_photo"),
                ],
                Step.LOCATION: [
                    MessageHandler(new & filters.LOCATION, on_location),
                    CallbackQueryHandler(on_location_skip, pattern=r"^rp:loc:skip$"),
                    *wrong(Step.LOCATION, "need_location"),
                ],
                Step.DOCUMENT: [
                    MessageHandler(new & filters.Document.ALL, on_document),
                    CallbackQueryHandler(on_document_skip, pattern=r"^rp:doc:skip$"),
                    *wrong(Step.DOCUMENT, "need_document"),
                ],
                Step.CONFIRM: [
                    CallbackQueryHandler(on_confirm, pattern=r"^rp:(send|edit|cancel|f:\w+)$"),
                    *wrong(Step.CONFIRM, "use_buttons"),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[
                CommandHandler(["batal", "cancel"], cancel),
                CommandHandler("lapor", resume),
                CallbackQueryHandler(fix_report, pattern=r"^rp:fix:"),
            ],
        )

"""The questions of /lapor and its summary: what the cadre sees at each step.

The buttons are module constants so the conversation routes on exactly what was sent.
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update

from bot.auth import identify
from bot.callbacks import ReportButton
from bot.context import BotContext
from bot.forms import chat_of
from bot.i18n import t
from bot.moments import format_count
from bot.reports.draft import FIELDS, FORM, ReportDraft, Step
from bot.reports.media import LIMITS, MB
from bot.ui import Button, keyboard, show
from storage.regions import region_path_name
from storage.reports import CATEGORIES

__all__ = [
    "CANCEL",
    "CLEAR_PHOTOS",
    "EDIT",
    "FIELDS_DONE",
    "PHOTOS_DONE",
    "SEND",
    "SKIP_DOCUMENT",
    "SKIP_LOCATION",
    "megabytes",
    "photo_buttons",
    "prompt",
    "show_fields",
    "show_summary",
]

PHOTOS_DONE = ReportButton("ph", choice="done")
CLEAR_PHOTOS = ReportButton("ph", choice="clear")
SKIP_LOCATION = ReportButton("loc", choice="skip")
SKIP_DOCUMENT = ReportButton("doc", choice="skip")
SEND = ReportButton("send")
EDIT = ReportButton("edit")
CANCEL = ReportButton("cancel")
FIELDS_DONE = ReportButton("f", field="done")


def megabytes(size: int, lang: str) -> str:
    return format_count(round(size / MB), lang)


def photo_buttons(draft: ReportDraft, lang: str) -> list[list[Button]]:
    count = len(draft.photos)
    if not count:
        return [[(t("reports.photos_none", lang), PHOTOS_DONE.pack())]]
    return [
        [(t("reports.photos_done", lang, count=count), PHOTOS_DONE.pack())],
        [(t("reports.photos_clear", lang), CLEAR_PHOTOS.pack())],
    ]


@FORM.asks
async def prompt(
    update: Update, context: BotContext, draft: ReportDraft, state: int, note: str = ""
) -> int:
    """Ask for the given step (again). `note` is a short line shown first (why we ask again)."""
    state = Step(state)
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    chat = chat_of(update)
    if state is Step.TITLE:
        await chat.send_message(prefix + t("reports.ask_title", lang))
    elif state is Step.CATEGORY:
        labels = [
            (t(f"reports.category.{c}", lang), ReportButton("c", category=c).pack())
            for c in CATEGORIES
        ]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        await chat.send_message(
            prefix + t("reports.ask_category", lang), reply_markup=keyboard(rows)
        )
    elif state is Step.DESCRIPTION:
        await chat.send_message(prefix + t("reports.ask_description", lang))
    elif state is Step.PHOTOS:
        count = len(draft.photos)
        text = t("reports.ask_photos", lang, max=LIMITS.max_photos)
        if count:
            text += "\n" + t("reports.photos_so_far", lang, count=count, max=LIMITS.max_photos)
        sent = await chat.send_message(
            prefix + text, reply_markup=keyboard(photo_buttons(draft, lang))
        )
        draft.photos_prompt = sent.message_id  # its buttons go once photos arrive
    elif state is Step.LOCATION:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(t("reports.send_location_button", lang), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await chat.send_message(prefix + t("reports.ask_location", lang), reply_markup=markup)
        await chat.send_message(
            t("reports.skip_location_hint", lang),
            reply_markup=keyboard([[(t("reports.skip_location", lang), SKIP_LOCATION.pack())]]),
        )
    elif state is Step.DOCUMENT:
        await chat.send_message(
            prefix + t("reports.ask_document", lang, max=megabytes(LIMITS.document_bytes, lang)),
            reply_markup=keyboard([[(t("reports.skip_document", lang), SKIP_DOCUMENT.pack())]]),
        )
    else:
        await show_summary(update, context, draft, note=note, edit=False)
    return state


def _summary_text(context: BotContext, draft: ReportDraft, village_code: str | None) -> str:
    lang = context.lang
    region = ""
    if village_code:
        with context.db.session() as session:
            region = region_path_name(session, village_code, below=context.settings.forum_area)
    document = draft.document
    body = t(
        "reports.summary",
        lang,
        title=draft.title or "",
        category=t(f"reports.category.{draft.category or 'lainnya'}", lang),
        description=draft.description or "",
        photos=len(draft.photos),
        location=t("reports.summary_location_yes", lang) if draft.location else "—",
        document=(document or {}).get("file_name") or ("✅" if document else "—"),
        region=region,
    )
    if draft.report_id:
        title = t("reports.summary_title_fix", lang, id=draft.report_id)
        if draft.comment:
            title += "\n" + t("reports.card_comment", lang, comment=draft.comment)
    else:
        title = t("reports.summary_title", lang)
    return f"{title}\n\n{body}\n\n{t('reports.summary_hint', lang)}"


async def show_summary(
    update: Update,
    context: BotContext,
    draft: ReportDraft,
    *,
    note: str = "",
    edit: bool = True,
) -> None:
    lang = context.lang
    assert update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    village = draft.village or (identity.cadre.village_code if identity.cadre else None)
    text = _summary_text(context, draft, village)
    if note:
        text = f"{note}\n\n{text}"
    markup = keyboard(
        [
            [(t("reports.send", lang), SEND.pack())],
            [
                (t("reports.change", lang), EDIT.pack()),
                (t("reports.cancel", lang), CANCEL.pack()),
            ],
        ]
    )
    await show(update, text, markup, edit=edit)


async def show_fields(update: Update, context: BotContext) -> None:
    """ "Ubah": which field to change."""
    lang = context.lang
    rows = [[(t(f"reports.field.{f}", lang), ReportButton("f", field=f).pack())] for f in FIELDS]
    rows.append([(t("reports.field.done", lang), FIELDS_DONE.pack())])
    await show(update, t("reports.which_field", lang), keyboard(rows))

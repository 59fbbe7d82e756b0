"""/umumkan (compose and send an announcement) and /siaran (recent broadcasts and figures).

content (text with Telegram formatting, or one photo/document with caption) → audience (the
sender's whole scope, or a kecamatan/kelurahan inside it) → institutions (optional filter) →
preview exactly as cadres will see it, with the recipient count → "Kirim" / "Batal".

Coordinators and officials only; every button and command argument is re-checked against the
sender's scopes on the server, so a forged region code is refused, never obeyed. Sending hands
the announcement to the delivery engine (`bot.delivery`), which reports progress in a status
message of its own. The form runs on `bot.forms.Form`; its audience steps are
`bot.forms.audience`'s, shared with training announcements.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import secrets
from datetime import timedelta
from enum import IntEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import groups
from bot.auth import Identity, identify
from bot.callbacks import BroadcastButton, ForgedCallback, refuse_forged
from bot.context import BotContext
from bot.delivery import (
    Payload,
    PayloadError,
    quiet_until,
    render_parts,
    send_part,
    submit,
    validate_payload,
)
from bot.forms import END, AnyHandler, Conversation, Form, chat_of
from bot.forms.audience import (
    AudienceDraft,
    AudienceSteps,
    audience_counts,
    audience_label,
    open_for_sender,
)
from bot.i18n import t
from bot.moments import format_count, format_moment
from bot.telegram_text import plain_text
from bot.ui import Button, keyboard, show, with_flood_retry
from storage import outbox
from storage.audit import audit
from storage.models import BroadcastKind, utcnow

__all__ = ["BroadcastDraft", "Step", "conversation", "handlers"]

TITLE_CHARS = 60
USE_BUTTONS = "form.use_buttons"
# The form's buttons only (bc:x: is the stop button of a running broadcast, handled outside).
OURS = BroadcastButton.pattern(*(action for action in BroadcastButton.LAYOUT if action != "x"))
PREVIEW_ACTIONS = ("go", "no", "u", "aud", "txt")


class Step(IntEnum):
    CONTENT = 1
    AUDIENCE = 2
    PICK_AREA = 3
    INSTITUTION = 4
    PREVIEW = 5


@dataclasses.dataclass
class BroadcastDraft(AudienceDraft):
    """An announcement being composed: its content, its audience, its urgency."""

    token: str = ""  # makes the outbox reference unique, so a double "Kirim" sends once
    urgent: bool = False
    text: str = ""
    photo: str | None = None
    document: str | None = None
    album: str | None = None  # the media group whose first photo was taken

    def payload(self) -> Payload:
        return Payload(self.text, photo=self.photo, document=self.document)

    def is_rest_of_album(self, update: Update) -> bool:
        message = update.message
        return bool(message and message.media_group_id and message.media_group_id == self.album)


FORM = Form("broadcast", BroadcastDraft, keys="broadcast", requires="privileged")


async def _to_preview(
    update: Update, context: BotContext, draft: BroadcastDraft, identity: Identity
) -> int:
    await _send_preview(update, context, draft)
    return Step.PREVIEW


AUDIENCE = AudienceSteps(
    FORM,
    prefix=BroadcastButton.PREFIX,
    states=(Step.AUDIENCE, Step.PICK_AREA, Step.INSTITUTION),
    on_done=_to_preview,
    refused_action="broadcast.refused",
    buttons=OURS,
    ignore=lambda update, draft: draft.is_rest_of_album(update),
)


# ---------------------------------------------------------------- entry and content


async def start(update: Update, context: BotContext) -> int:
    """`/umumkan [kode wilayah]`: start a new announcement (optionally for one area)."""
    opened = await open_for_sender(
        update, context, not_allowed="broadcast.not_allowed", refused_action="broadcast.refused"
    )
    if opened is None:
        return END
    identity, area = opened
    FORM.save(context, identity.user_id, BroadcastDraft(area=area, token=secrets.token_hex(6)))
    assert update.message is not None
    await update.message.reply_text(t("broadcast.ask_content", context.lang))
    return Step.CONTENT


@FORM.step
async def on_content(
    update: Update, context: BotContext, draft: BroadcastDraft, identity: Identity
) -> int:
    """Text, or one photo/document with its caption; Telegram formatting is kept as HTML."""
    message = update.message
    assert message is not None
    lang = context.lang
    if draft.is_rest_of_album(update):
        return Step.CONTENT  # the first photo was taken already
    note = ""
    draft.photo = draft.document = None
    if message.photo:
        draft.photo = message.photo[-1].file_id
        draft.text = message.caption_html or ""
        if message.media_group_id:
            draft.album = message.media_group_id
            note = t("broadcast.album_first_only", lang)
    elif message.document:
        draft.document = message.document.file_id
        draft.text = message.caption_html or ""
    else:
        draft.text = message.text_html or ""
    try:
        validate_payload(draft.payload())
    except PayloadError as exc:
        await message.reply_text(_rejection(exc, lang))
        return Step.CONTENT
    if note:
        await message.reply_text(note)
    return await AUDIENCE.ask(update, context, draft, identity)


@FORM.step
async def content_unsupported(
    update: Update, context: BotContext, draft: BroadcastDraft, identity: Identity
) -> int:
    if draft.is_rest_of_album(update):
        return Step.CONTENT
    await chat_of(update).send_message(t("broadcast.content_unsupported", context.lang))
    return Step.CONTENT


def _rejection(exc: PayloadError, lang: str) -> str:
    reason = exc.reason if exc.reason in _REJECTIONS else "other"
    return t(f"broadcast.rejected.{reason}", lang)


_REJECTIONS = frozenset({"empty_text", "html", "photo_and_document", "other"})


# ---------------------------------------------------------------- preview and sending


async def _send_preview(update: Update, context: BotContext, draft: BroadcastDraft) -> None:
    """The content exactly as cadres get it, then the count and the buttons."""
    chat = chat_of(update)
    for part in render_parts(draft.payload(), context.lang):
        await with_flood_retry(functools.partial(send_part, context.bot, chat.id, part))
    text, markup = _preview(context, draft)
    await with_flood_retry(lambda: chat.send_message(text, reply_markup=markup))


def _preview(context: BotContext, draft: BroadcastDraft) -> tuple[str, InlineKeyboardMarkup]:
    """The control message under the preview: who gets it, who is skipped, the buttons."""
    lang = context.lang
    counts = audience_counts(context, draft)
    lines = [
        t("broadcast.preview_title", lang),
        t(
            "broadcast.preview_count",
            lang,
            count=format_count(counts.eligible, lang),
            audience=audience_label(context, draft, lang),
        ),
    ]
    if counts.opted_out or counts.unreachable:
        lines.append(
            t(
                "broadcast.preview_skipped",
                lang,
                opted_out=format_count(counts.opted_out, lang),
                unreachable=format_count(counts.unreachable, lang),
            )
        )
    with context.db.session() as session:
        linked = groups.audience_groups(session, draft.area, draft.institutions)
    if linked:
        lines.append(t("groups.preview_groups", lang, count=format_count(len(linked), lang)))
    if not counts.eligible:
        lines.append(t("broadcast.preview_nobody", lang))
    quiet_end = quiet_until(context.settings, utcnow())
    if quiet_end is not None:
        key = "broadcast.preview_urgent" if draft.urgent else "broadcast.preview_quiet"
        when = format_moment(quiet_end, context.settings.timezone, lang, with_date=False)
        lines.append(t(key, lang, when=when))
    elif draft.urgent:
        lines.append(t("broadcast.preview_urgent_marked", lang))
    urgent_key = "broadcast.urgent_on" if draft.urgent else "broadcast.urgent_off"

    def button(key: str, action: str) -> Button:
        return t(key, lang), BroadcastButton(action).pack()

    rows: list[list[Button]] = []
    if counts.eligible:
        rows.append([button("broadcast.send", "go"), button("common.cancel", "no")])
    else:
        rows.append([button("common.cancel", "no")])
    rows.append([button(urgent_key, "u")])
    rows.append(
        [button("broadcast.change_audience", "aud"), button("broadcast.change_content", "txt")]
    )
    return "\n\n".join(lines), keyboard(rows)


@FORM.step
async def on_preview(
    update: Update, context: BotContext, draft: BroadcastDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    lang = context.lang
    try:
        action = BroadcastButton.unpack(query.data).action
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return Step.PREVIEW
    if action == "u":
        draft.urgent = not draft.urgent
        await query.answer()
        await show(update, *_preview(context, draft))
        return Step.PREVIEW
    if action == "aud":
        await query.answer()
        return await AUDIENCE.again(update, context, draft, identity)
    if action == "txt":
        await query.answer()
        await show(update, t("broadcast.ask_content", lang))
        return Step.CONTENT
    if action == "no":
        await query.answer()
        FORM.drop(context, update.effective_user.id)
        await show(update, t("broadcast.cancelled", lang))
        return END
    if action != "go":
        await refuse_forged(update, lang)
        return Step.PREVIEW
    area = draft.area
    if area is None or not identity.may_act_on(area):  # scopes may have changed since
        return await AUDIENCE.refuse(update, context, Step.PREVIEW)
    await query.answer()
    broadcast_id, count = await _submit(context, draft, update.effective_user.id)
    FORM.drop(context, update.effective_user.id)
    await show(
        update, t("broadcast.queued", lang, id=broadcast_id, count=format_count(count, lang))
    )
    return END


async def _submit(context: BotContext, draft: BroadcastDraft, sender_id: int) -> tuple[int, int]:
    """Store the announcement in the outbox (off the event loop: it may be 20,000 rows)."""
    assert draft.area is not None
    with context.db.session() as session:
        recipients = outbox.audience_ids(session, [draft.area], draft.institutions or None)
        linked = groups.audience_groups(session, draft.area, draft.institutions)
    title = _title_of(draft)
    meta = {"title": title, "audience": audience_label(context, draft, "id"), "area": draft.area}
    broadcast_id = await asyncio.to_thread(
        submit,
        context.app,
        kind=BroadcastKind.ANNOUNCEMENT,
        recipient_ids=[*recipients, *linked],
        payload=draft.payload(),
        sender_id=sender_id,
        urgent=draft.urgent,
        ref=f"announcement:{sender_id}:{draft.token}",
        progress_chat_id=sender_id,
        meta=meta,
    )
    with context.db.session() as session:
        audit(
            session,
            sender_id,
            "broadcast.send",
            draft.area,
            broadcast_id=broadcast_id,
            recipients=len(recipients),
            groups=len(linked),
            institutions=draft.institutions,
            urgent=draft.urgent,
        )
    return broadcast_id, len(recipients)


def _title_of(draft: BroadcastDraft) -> str:
    """The first line of the text, shortened: how the sender recognises it in /siaran."""
    first = plain_text(draft.text).strip().split("\n", 1)[0]
    if not first:
        first = "📷" if draft.photo else "📄"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


# ---------------------------------------------------------------- wrong input and the states


def conversation(conversation_timeout: timedelta) -> Conversation:
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND

    # The rest of an album whose first photo was taken is ignored silently.
    content_again = FORM.reprompt(Step.CONTENT, "broadcast.ask_content", ignore=_rest_of_album)
    preview_again = FORM.reprompt(Step.PREVIEW, USE_BUTTONS, ignore=_rest_of_album)
    return FORM.conversation(
        entry_points=[CommandHandler("umumkan", start)],
        states={
            Step.CONTENT: [
                MessageHandler(text | filters.PHOTO | filters.Document.ALL, on_content),
                MessageHandler(anything, content_unsupported),
                CallbackQueryHandler(content_again, pattern=OURS),
            ],
            **AUDIENCE.handlers(),
            Step.PREVIEW: [
                CallbackQueryHandler(on_preview, pattern=BroadcastButton.pattern(*PREVIEW_ACTIONS)),
                MessageHandler(anything, preview_again),
                CallbackQueryHandler(preview_again, pattern=OURS),
            ],
        },
        timeout=conversation_timeout,
    )


def _rest_of_album(update: Update, draft: BroadcastDraft) -> bool:
    return draft.is_rest_of_album(update)


# ---------------------------------------------------------------- /siaran and the stop button


async def list_broadcasts(update: Update, context: BotContext) -> None:
    """Recent broadcasts with their figures: an official sees all, a coordinator their own."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await update.effective_chat.send_message(t("broadcast.not_allowed", lang))
        return
    with context.db.session() as session:
        items = outbox.recent_broadcasts(
            session, sender_id=None if identity.is_official else user.id, limit=10
        )
    if not items:
        await update.effective_chat.send_message(t("broadcast.list_empty", lang))
        return
    lines = [t("broadcast.list_title", lang)]
    rows: list[list[Button]] = []
    for info, counts in items:
        title = str(info.meta.get("title") or t(f"broadcast.kind.{_kind(info.kind)}", lang))
        lines.append(
            t(
                "broadcast.list_item",
                lang,
                id=info.id,
                when=format_moment(info.created_at, context.settings.timezone, lang),
                title=title,
                audience=str(info.meta.get("audience") or "—"),
                status=t(f"broadcast.status.{info.status}", lang),
                sent=format_count(counts.sent, lang),
                failed=format_count(counts.failed, lang),
                remaining=format_count(counts.remaining, lang),
            )
        )
        if info.status in outbox.ACTIVE_STATES:
            stop = BroadcastButton("x", broadcast_id=info.id).pack()
            rows.append([(t("broadcast.stop_button", lang, id=info.id), stop)])
    markup = keyboard(rows) if rows else None  # no running broadcast: no buttons at all
    await update.effective_chat.send_message("\n\n".join(lines), reply_markup=markup)


def _kind(kind: str) -> str:
    return kind if kind in set(BroadcastKind) else "other"


async def stop_button(update: Update, context: BotContext) -> None:
    """`bc:x:<id>`: stop a running broadcast — its sender or an official only."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    try:
        broadcast_id = BroadcastButton.unpack(query.data).broadcast_id
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return
    identity = identify(context.db, context.settings, user.id)
    with context.db.session() as session:
        info = outbox.get_broadcast(session, broadcast_id)
    if info is None or not (
        identity.is_official or (identity.is_privileged and info.sender_id == user.id)
    ):
        with context.db.session() as session:
            audit(session, user.id, "broadcast.stop_refused", str(broadcast_id))
        await query.answer(t("broadcast.stop_refused", lang), show_alert=True)
        return
    stopped = await context.app.delivery.cancel(broadcast_id, by=user.id)
    if stopped:
        with context.db.session() as session:
            audit(session, user.id, "broadcast.cancel", str(broadcast_id))
    await query.answer(t("broadcast.stopped" if stopped else "broadcast.already_over", lang))


def handlers() -> list[AnyHandler]:
    return [
        CommandHandler("siaran", list_broadcasts),
        CallbackQueryHandler(stop_button, pattern=BroadcastButton.pattern("x")),
    ]

"""/umumkan (compose and send an announcement) and /siaran (recent broadcasts and figures).

content (text with Telegram formatting, or one photo/document with caption) → audience (the
sender's whole scope, or a kecamatan/kelurahan inside it) → institutions (optional filter) →
preview exactly as cadres will see it, with the recipient count → "Kirim" / "Batal".

Coordinators and officials only; every button and command argument is re-checked against the
sender's scopes on the server, so a forged region code is refused, never obeyed. Sending hands
the announcement to the delivery engine (`bot.delivery`), which reports progress in a status
message of its own. The audience steps are shared with training announcements.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import region_picker
from bot.auth import Identity, identify
from bot.context import BotContext
from bot.delivery import (
    Payload,
    PayloadError,
    local_time,
    quiet_until,
    render_parts,
    send_part,
    submit,
    validate_payload,
)
from bot.i18n import t
from bot.region_picker import PickerState, StaleButton
from bot.registration import INSTITUTIONS, parse_area_payload
from bot.telegram_text import plain_text
from bot.ui import Button, keyboard, show, with_flood_retry
from storage import outbox, people, roles
from storage.models import utcnow
from storage.outbox import AudienceCounts
from storage.regions import LEVELS, get_region, region_path_name

__all__ = [
    "AudienceChoice",
    "Step",
    "ask_audience",
    "ask_institutions",
    "audience_counts_for",
    "audience_label",
    "conversation",
    "drop_draft",
    "form_step",
    "handlers",
    "load_draft",
    "on_audience_button",
    "on_institution_button",
    "on_picker_text",
    "save_draft",
    "start_audience",
]

DRAFT = "broadcast"
END = ConversationHandler.END
TITLE_CHARS = 60


class Step(IntEnum):
    CONTENT = 1
    AUDIENCE = 2
    PICK_AREA = 3
    INSTITUTION = 4
    PREVIEW = 5


Draft = dict[str, Any]
StepHandler = Callable[[Update, BotContext, Draft, Identity], Awaitable[int]]


# ---------------------------------------------------------------- audience (shared with trainings)


@dataclass(frozen=True)
class AudienceChoice:
    """What an audience button did: `area` chosen, the picker `shown`, `exited`, or `refused`."""

    area: str | None = None
    shown: bool = False
    exited: bool = False
    refused: bool = False


def start_audience(draft: Draft, area: str | None = None) -> None:
    """Reset the audience part of a draft (optionally with an area already chosen)."""
    draft["area"] = area
    draft.pop("picker", None)
    draft.setdefault("institutions", [])


async def ask_audience(
    update: Update, context: BotContext, identity: Identity, prefix: str, note: str = ""
) -> None:
    """Whole scope(s) or "choose inside": one row per scope the sender may address."""
    lang = context.lang
    rows: list[list[Button]] = []
    with context.db.session() as session:
        for scope in identity.scopes:
            region = get_region(session, scope)
            if region is None:
                continue
            name = region_path_name(session, scope)
            rows.append([(t("broadcast.audience_all", lang, name=name), f"{prefix}:s:{scope}")])
            if region.level != LEVELS[-1]:
                rows.append(
                    [(t("broadcast.audience_pick", lang, name=name), f"{prefix}:c:{scope}")]
                )
    text = t("broadcast.ask_audience", lang)
    await show(update, f"{note}\n\n{text}" if note else text, keyboard(rows))


async def on_audience_button(
    update: Update, context: BotContext, draft: Draft, identity: Identity, prefix: str
) -> AudienceChoice:
    """`s` whole scope, `c` choose inside a scope, or a picker button (`r`, `p`, `b`, `a`)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    if action in ("s", "c"):
        if not identity.may_act_on(arg):  # never trust the keyboard
            return AudienceChoice(refused=True)
        if action == "s":
            return AudienceChoice(area=arg)
        with context.db.session() as session:
            state = region_picker.start(session, arg, "village")
        draft["picker"] = state.to_dict()
        await _show_audience_picker(update, context, state, prefix)
        return AudienceChoice(shown=True)
    if not draft.get("picker"):
        raise StaleButton(query.data)
    state = PickerState.from_dict(draft["picker"])
    with context.db.session() as session:
        outcome = region_picker.apply_callback(session, state, action, arg, "village")
    if outcome.exited:
        draft.pop("picker", None)
        return AudienceChoice(exited=True)
    if outcome.picked is not None:
        if not identity.may_act_on(outcome.picked):
            return AudienceChoice(refused=True)
        draft.pop("picker", None)
        return AudienceChoice(area=outcome.picked)
    draft["picker"] = outcome.state.to_dict()
    await _show_audience_picker(update, context, outcome.state, prefix)
    return AudienceChoice(shown=True)


async def on_picker_text(update: Update, context: BotContext, draft: Draft, prefix: str) -> None:
    """Typing while the picker is open filters the list."""
    assert update.message is not None and update.message.text is not None
    state = region_picker.apply_filter(PickerState.from_dict(draft["picker"]), update.message.text)
    draft["picker"] = state.to_dict()
    await _show_audience_picker(update, context, state, prefix, edit=False)


async def _show_audience_picker(
    update: Update, context: BotContext, state: PickerState, prefix: str, *, edit: bool = True
) -> None:
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            state,
            prefix=prefix,
            lang=context.lang,
            title=t("broadcast.pick_area", context.lang),
            allow_pick_node=True,
            back_exits=True,
        )
    await show(update, text, markup, edit=edit)  # type: ignore[arg-type]


async def ask_institutions(update: Update, context: BotContext, draft: Draft, prefix: str) -> None:
    """Optional filter: tap institutions to toggle them; none chosen = every institution."""
    lang = context.lang
    chosen = set(draft.get("institutions") or [])
    rows: list[list[Button]] = []
    for pair in (INSTITUTIONS[i : i + 2] for i in range(0, len(INSTITUTIONS), 2)):
        rows.append(
            [
                (
                    ("✅ " if code in chosen else "") + t(f"institution.{code}", lang),
                    f"{prefix}:i:{code}",
                )
                for code in pair
            ]
        )
    rows.append([(t("broadcast.institutions_all", lang), f"{prefix}:i:*")])
    rows.append([(t("broadcast.institutions_done", lang), f"{prefix}:i:ok")])
    with context.db.session() as session:
        area = region_path_name(session, draft["area"])
    text = t(
        "broadcast.ask_institutions",
        lang,
        area=area,
        chosen=_institution_names(chosen, lang) or t("broadcast.institutions_any", lang),
    )
    await show(update, text, keyboard(rows))


def on_institution_button(draft: Draft, code: str) -> bool | None:
    """Toggle an institution; True when the sender is done, None for a forged code."""
    if code == "ok":
        return True
    chosen = set(draft.get("institutions") or [])
    if code == "*":
        chosen.clear()
    elif code in INSTITUTIONS:
        chosen ^= {code}
    else:
        return None
    draft["institutions"] = sorted(chosen)
    return False


def _institution_names(codes: set[str] | list[str], lang: str) -> str:
    return ", ".join(t(f"institution.{code}", lang) for code in INSTITUTIONS if code in codes)


def audience_label(context: BotContext, draft: Draft, lang: str) -> str:
    """ "Kec. Bontang Barat, Kota Bontang · PKK, Posyandu" (plain text, not escaped)."""
    with context.db.session() as session:
        area = region_path_name(session, draft["area"])
    names = _institution_names(draft.get("institutions") or [], lang)
    return f"{area} · {names}" if names else area


def audience_counts_for(context: BotContext, draft: Draft) -> AudienceCounts:
    with context.db.session() as session:
        return outbox.audience_counts(session, [draft["area"]], draft.get("institutions") or None)


# ---------------------------------------------------------------- draft plumbing


def load_draft(context: BotContext, user_id: int, kind: str) -> tuple[Draft, bool] | None:
    """The user's form of this kind and whether it has been idle too long."""
    with context.db.session() as session:
        found = people.get_draft(session, user_id, kind)
    if found is None:
        return None
    data, updated_at = found
    return data, utcnow() - updated_at > context.settings.conversation_timeout


def save_draft(context: BotContext, user_id: int, kind: str, draft: Draft) -> None:
    with context.db.session() as session:
        people.save_draft(session, user_id, kind, draft)


def drop_draft(context: BotContext, user_id: int, kind: str) -> None:
    with context.db.session() as session:
        people.delete_draft(session, user_id, kind)


def form_step(
    kind: str, expired_key: str
) -> Callable[[StepHandler], Callable[[Update, BotContext], Awaitable[int]]]:
    """A step of a coordinators' form: re-check the sender's role, load the draft (ending
    expired forms with `expired_key`), save it after the step. Used by trainings too."""

    def decorate(fn: StepHandler) -> Callable[[Update, BotContext], Awaitable[int]]:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: BotContext) -> int:
            user = update.effective_user
            assert user is not None
            identity = identify(context.db, context.settings, user.id)
            loaded = load_draft(context, user.id, kind)
            if not identity.is_privileged or loaded is None or loaded[1]:
                if update.callback_query:
                    await update.callback_query.answer()
                drop_draft(context, user.id, kind)
                key = "broadcast.not_allowed" if not identity.is_privileged else expired_key
                await _chat(update).send_message(t(key, context.lang))
                return END
            draft = loaded[0]
            state = await fn(update, context, draft, identity)
            if state != END:
                draft["step"] = int(state)
                save_draft(context, user.id, kind, draft)
            return state

        return wrapper

    return decorate


step = form_step(DRAFT, "broadcast.expired")


def _drop(context: BotContext, user_id: int) -> None:
    drop_draft(context, user_id, DRAFT)


def _chat(update: Update):  # type: ignore[no-untyped-def]
    assert update.effective_chat is not None
    return update.effective_chat


def _payload(draft: Draft) -> Payload:
    return Payload(
        draft.get("text") or "", photo=draft.get("photo"), document=draft.get("document")
    )


# ---------------------------------------------------------------- entry and content


async def area_argument(
    update: Update, context: BotContext, identity: Identity, refused_action: str
) -> tuple[bool, str | None]:
    """The optional region-code argument of a command that addresses cadres.

    (True, None) without an argument, (True, code) for a known region in the sender's scope;
    anything else is refused with a message, audited as `refused_action`, and gives (False, None).
    """
    if not context.args:
        return True, None
    assert update.message is not None and update.effective_user is not None
    area = parse_area_payload(context.args[0])
    with context.db.session() as session:
        known = area is not None and get_region(session, area) is not None
    if known and identity.may_act_on(area):  # type: ignore[arg-type]
        return True, area
    with context.db.session() as session:
        roles.audit(session, update.effective_user.id, refused_action, context.args[0][:40])
    await update.message.reply_text(t("broadcast.area_refused", context.lang))
    return False, None


async def start(update: Update, context: BotContext) -> int:
    """`/umumkan [kode wilayah]`: start a new announcement (optionally for one area)."""
    user = update.effective_user
    assert user is not None and update.message is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await update.message.reply_text(t("broadcast.not_allowed", lang))
        return END
    accepted, area = await area_argument(update, context, identity, "broadcast.refused")
    if not accepted:
        return END
    draft: Draft = {"token": secrets.token_hex(6), "urgent": False, "step": int(Step.CONTENT)}
    start_audience(draft, area)
    save_draft(context, user.id, DRAFT, draft)
    await update.message.reply_text(t("broadcast.ask_content", lang))
    return Step.CONTENT


@step
async def on_content(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    """Text, or one photo/document with its caption; Telegram formatting is kept as HTML."""
    message = update.message
    assert message is not None
    lang = context.lang
    if message.media_group_id and message.media_group_id == draft.get("album"):
        return Step.CONTENT  # the rest of an album we already took the first photo of
    note = ""
    draft["photo"] = draft["document"] = None
    if message.photo:
        draft["photo"] = message.photo[-1].file_id
        draft["text"] = message.caption_html or ""
        if message.media_group_id:
            draft["album"] = message.media_group_id
            note = t("broadcast.album_first_only", lang)
    elif message.document:
        draft["document"] = message.document.file_id
        draft["text"] = message.caption_html or ""
    else:
        draft["text"] = message.text_html or ""
    try:
        validate_payload(_payload(draft))
    except PayloadError as exc:
        await message.reply_text(_rejection(exc, lang))
        return Step.CONTENT
    if note:
        await message.reply_text(note)
    if draft.get("area"):
        await ask_institutions(update, context, draft, "bc")
        return Step.INSTITUTION
    await ask_audience(update, context, identity, "bc")
    return Step.AUDIENCE


@step
async def content_unsupported(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    message = update.message
    if (
        message is not None
        and message.media_group_id
        and message.media_group_id == draft.get("album")
    ):
        return Step(draft["step"])
    await _chat(update).send_message(t("broadcast.content_unsupported", context.lang))
    return Step.CONTENT


def _rejection(exc: PayloadError, lang: str) -> str:
    reason = exc.reason if exc.reason in _REJECTIONS else "other"
    return t(f"broadcast.rejected.{reason}", lang)


_REJECTIONS = frozenset({"empty_text", "html", "photo_and_document", "other"})


# ---------------------------------------------------------------- audience and institutions


@step
async def on_audience(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    try:
        choice = await on_audience_button(update, context, draft, identity, "bc")
    except StaleButton:
        await query.answer(t("common.stale_button", context.lang))
        return Step(draft["step"])
    if choice.refused:
        return await _refuse(update, context, draft)
    await query.answer()
    if choice.exited:
        await ask_audience(update, context, identity, "bc")
        return Step.AUDIENCE
    if choice.area is None:
        return Step.PICK_AREA
    draft["area"] = choice.area
    await ask_institutions(update, context, draft, "bc")
    return Step.INSTITUTION


async def refuse_area(update: Update, context: BotContext, draft: Draft, action: str) -> int:
    """A forged or stale region outside the sender's scopes: refuse, audit as `action`, keep
    the form at its step (shared by every form with an audience step)."""
    query = update.callback_query
    user = update.effective_user
    assert user is not None
    with context.db.session() as session:
        roles.audit(session, user.id, action, (query.data if query else "")[:120] or None)
    if query is not None:
        await query.answer(t("broadcast.area_refused", context.lang), show_alert=True)
    return int(draft["step"])


async def _refuse(update: Update, context: BotContext, draft: Draft) -> int:
    return await refuse_area(update, context, draft, "broadcast.refused")


@step
async def on_area_text(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    if not draft.get("picker"):
        await _chat(update).send_message(t("broadcast.use_buttons", context.lang))
        return Step(draft["step"])
    await on_picker_text(update, context, draft, "bc")
    return Step.PICK_AREA


@step
async def on_institution(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    done = on_institution_button(draft, query.data.split(":", 2)[2])
    if done is None:
        await query.answer(t("common.stale_button", context.lang))
        return Step.INSTITUTION
    await query.answer()
    if not done:
        await ask_institutions(update, context, draft, "bc")
        return Step.INSTITUTION
    await _send_preview(update, context, draft)
    return Step.PREVIEW


# ---------------------------------------------------------------- preview and sending


async def _send_preview(update: Update, context: BotContext, draft: Draft) -> None:
    """The content exactly as cadres get it, then the count and the buttons."""
    chat = _chat(update)
    for part in render_parts(_payload(draft), context.lang):
        await with_flood_retry(lambda part=part: send_part(context.bot, chat.id, part))
    text, markup = _preview(context, draft)
    await with_flood_retry(lambda: chat.send_message(text, reply_markup=markup))


def _preview(context: BotContext, draft: Draft) -> tuple[str, Any]:
    """The control message under the preview: who gets it, who is skipped, the buttons."""
    lang = context.lang
    counts = audience_counts_for(context, draft)
    lines = [
        t("broadcast.preview_title", lang),
        t(
            "broadcast.preview_count",
            lang,
            count=counts.eligible,
            audience=audience_label(context, draft, lang),
        ),
    ]
    if counts.opted_out or counts.unreachable:
        lines.append(
            t(
                "broadcast.preview_skipped",
                lang,
                opted_out=counts.opted_out,
                unreachable=counts.unreachable,
            )
        )
    if not counts.eligible:
        lines.append(t("broadcast.preview_nobody", lang))
    quiet_end = quiet_until(context.settings, utcnow())
    if quiet_end is not None:
        key = "broadcast.preview_urgent" if draft.get("urgent") else "broadcast.preview_quiet"
        lines.append(t(key, lang, when=local_time(quiet_end, context.settings)))
    elif draft.get("urgent"):
        lines.append(t("broadcast.preview_urgent_marked", lang))
    urgent_key = "broadcast.urgent_on" if draft.get("urgent") else "broadcast.urgent_off"
    rows: list[list[Button]] = []
    if counts.eligible:
        rows.append([(t("broadcast.send", lang), "bc:go"), (t("common.cancel", lang), "bc:no")])
    else:
        rows.append([(t("common.cancel", lang), "bc:no")])
    rows.append([(t(urgent_key, lang), "bc:u")])
    rows.append(
        [
            (t("broadcast.change_audience", lang), "bc:aud"),
            (t("broadcast.change_content", lang), "bc:txt"),
        ]
    )
    return "\n\n".join(lines), keyboard(rows)


@step
async def on_preview(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = context.lang
    action = query.data.split(":", 1)[1]
    if action == "u":
        draft["urgent"] = not draft.get("urgent")
        await query.answer()
        await show(update, *_preview(context, draft))
        return Step.PREVIEW
    if action == "aud":
        await query.answer()
        start_audience(draft)
        draft["institutions"] = []
        await ask_audience(update, context, identity, "bc")
        return Step.AUDIENCE
    if action == "txt":
        await query.answer()
        await show(update, t("broadcast.ask_content", lang))
        return Step.CONTENT
    if action == "no":
        await query.answer()
        _drop(context, update.effective_user.id)
        await show(update, t("broadcast.cancelled", lang))
        return END
    if action != "go":
        await query.answer(t("common.stale_button", lang))
        return Step.PREVIEW
    if not identity.may_act_on(draft["area"]):  # scopes may have changed since the preview
        return await _refuse(update, context, draft)
    await query.answer()
    broadcast_id, count = await _submit(context, draft, update.effective_user.id)
    _drop(context, update.effective_user.id)
    await show(update, t("broadcast.queued", lang, id=broadcast_id, count=count))
    return END


async def _submit(context: BotContext, draft: Draft, sender_id: int) -> tuple[int, int]:
    """Store the announcement in the outbox (off the event loop: it may be 20,000 rows)."""
    with context.db.session() as session:
        recipients = outbox.audience_ids(
            session, [draft["area"]], draft.get("institutions") or None
        )
    title = _title_of(draft)
    meta = {"title": title, "audience": audience_label(context, draft, "id"), "area": draft["area"]}
    broadcast_id = await asyncio.to_thread(
        submit,
        context.app,
        kind="announcement",
        recipient_ids=recipients,
        payload=_payload(draft),
        sender_id=sender_id,
        urgent=bool(draft.get("urgent")),
        ref=f"announcement:{sender_id}:{draft['token']}",
        progress_chat_id=sender_id,
        meta=meta,
    )
    with context.db.session() as session:
        roles.audit(
            session,
            sender_id,
            "broadcast.send",
            draft["area"],
            broadcast_id=broadcast_id,
            recipients=len(recipients),
            institutions=draft.get("institutions") or [],
            urgent=bool(draft.get("urgent")),
        )
    return broadcast_id, len(recipients)


def _title_of(draft: Draft) -> str:
    """The first line of the text, shortened: how the sender recognises it in /siaran."""
    first = plain_text(draft.get("text") or "").strip().split("\n", 1)[0]
    if not first:
        first = "📷" if draft.get("photo") else "📄"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


# ---------------------------------------------------------------- wrong input, cancel, timeout


def _reprompt(note_key: str) -> Callable[[Update, BotContext], Awaitable[int]]:
    @step
    async def again(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
        message = update.message
        if update.callback_query:
            await update.callback_query.answer(t("common.stale_button", context.lang))
        elif not (
            message and message.media_group_id and message.media_group_id == draft.get("album")
        ):
            await _chat(update).send_message(t(note_key, context.lang))
        # (the rest of an album whose first photo was taken is ignored silently)
        return Step(draft["step"])

    return again


async def cancel(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None
    _drop(context, user.id)
    await _chat(update).send_message(t("broadcast.cancelled", context.lang))
    return END


async def on_timeout(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and update.effective_user and update.effective_chat:
        _drop(context, update.effective_user.id)
        await update.effective_chat.send_message(t("broadcast.expired", context.lang))


def conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND
    # Our buttons only (bc:x: is the stop button of a running broadcast, handled outside).
    ours = r"^bc:(?!x:)"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="broadcast",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=conversation_timeout,
            entry_points=[CommandHandler("umumkan", start)],
            states={
                Step.CONTENT: [
                    MessageHandler(text | filters.PHOTO | filters.Document.ALL, on_content),
                    MessageHandler(anything, content_unsupported),
                    CallbackQueryHandler(_reprompt("broadcast.ask_content"), pattern=ours),
                ],
                Step.AUDIENCE: [
                    CallbackQueryHandler(on_audience, pattern=r"^bc:[sc]:"),
                    MessageHandler(anything, _reprompt("broadcast.use_buttons")),
                    CallbackQueryHandler(_reprompt("broadcast.use_buttons"), pattern=ours),
                ],
                Step.PICK_AREA: [
                    CallbackQueryHandler(on_audience, pattern=r"^bc:[rpba]:"),
                    MessageHandler(text, on_area_text),
                    MessageHandler(anything, _reprompt("broadcast.use_buttons")),
                    CallbackQueryHandler(_reprompt("broadcast.use_buttons"), pattern=ours),
                ],
                Step.INSTITUTION: [
                    CallbackQueryHandler(on_institution, pattern=r"^bc:i:"),
                    MessageHandler(anything, _reprompt("broadcast.use_buttons")),
                    CallbackQueryHandler(_reprompt("broadcast.use_buttons"), pattern=ours),
                ],
                Step.PREVIEW: [
                    CallbackQueryHandler(on_preview, pattern=r"^bc:(go|no|u|aud|txt)$"),
                    MessageHandler(anything, _reprompt("broadcast.use_buttons")),
                    CallbackQueryHandler(_reprompt("broadcast.use_buttons"), pattern=ours),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        )


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
                when=local_time(info.created_at, context.settings, with_date=True),
                title=title,
                audience=str(info.meta.get("audience") or "—"),
                status=t(f"broadcast.status.{info.status}", lang),
                sent=counts.sent,
                failed=counts.failed,
                remaining=counts.remaining,
            )
        )
        if info.status in outbox.ACTIVE_STATES:
            rows.append([(t("broadcast.stop_button", lang, id=info.id), f"bc:x:{info.id}")])
    markup = keyboard(rows) if rows else None  # no running broadcast: no buttons at all
    await update.effective_chat.send_message("\n\n".join(lines), reply_markup=markup)


_KINDS = frozenset({"announcement", "training", "reminder", "notification", "report_feature"})


def _kind(kind: str) -> str:
    return kind if kind in _KINDS else "other"


async def stop_button(update: Update, context: BotContext) -> None:
    """`bc:x:<id>`: stop a running broadcast — its sender or an official only."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    arg = query.data.split(":", 2)[2]
    if not arg.isdigit():
        await query.answer(t("common.stale_button", lang))
        return
    broadcast_id = int(arg)
    identity = identify(context.db, context.settings, user.id)
    with context.db.session() as session:
        info = outbox.get_broadcast(session, broadcast_id)
    if info is None or not (
        identity.is_official or (identity.is_privileged and info.sender_id == user.id)
    ):
        with context.db.session() as session:
            roles.audit(session, user.id, "broadcast.stop_refused", str(broadcast_id))
        await query.answer(t("broadcast.stop_refused", lang), show_alert=True)
        return
    stopped = await context.app.delivery.cancel(broadcast_id, by=user.id)
    if stopped:
        with context.db.session() as session:
            roles.audit(session, user.id, "broadcast.cancel", str(broadcast_id))
    await query.answer(t("broadcast.stopped" if stopped else "broadcast.already_over", lang))


def handlers() -> list:  # type: ignore[type-arg]
    return [
        CommandHandler("siaran", list_broadcasts),
        CallbackQueryHandler(stop_button, pattern=r"^bc:x:"),
    ]

"""Who a coordinator's message goes to: the whole scope or a kecamatan/kelurahan inside it, then
(optionally) a filter by institution. Shared by `/umumkan` and `/pelatihan_baru`.

Every pressed code is re-checked against the sender's scopes on the server: a forged or stale
region is refused with an alert and audited, never obeyed. A form with an audience puts the
three fields of `AudienceDraft` in its draft (by inheriting it) and lets `AudienceSteps` build
the three conversation states; it declares only what happens once the audience is chosen. A form
may offer one more way to choose under the scopes (an `ExtraAudience`, e.g. /pelatihan_baru's
"kelurahan/desa that asked for this training"); the others do not see it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import (
    PICKER_LAYOUT,
    BroadcastButton,
    ForgedCallback,
    NeedsRoundButton,
    TrainingFormButton,
    refuse_forged,
)
from bot.context import BotContext
from bot.forms import region_picker
from bot.forms.base import Draft, Form, Handler, chat_of
from bot.forms.region_picker import PickerState, StaleButton
from bot.i18n import t
from bot.ui import Button, keyboard, show
from bot.vocabulary import INSTITUTIONS, institution_label, parse_region_code
from storage import outbox
from storage.audit import audit
from storage.db import Database
from storage.outbox import AudienceCounts
from storage.regions import LEVELS, get_region, region_path_name

__all__ = [
    "AudienceChoice",
    "AudienceDraft",
    "AudienceSteps",
    "ExtraAudience",
    "area_argument",
    "ask_audience",
    "ask_institutions",
    "audience_counts",
    "audience_label",
    "audit_refusal",
    "institution_names",
    "on_audience_button",
    "on_picker_text",
    "open_for_sender",
    "scope_rows",
    "toggle_institution",
]

USE_BUTTONS = "form.use_buttons"

AudienceFamily = type[BroadcastButton] | type[TrainingFormButton] | type[NeedsRoundButton]
# The button families that carry an audience step, by the prefix their forms name them with.
_FAMILIES: dict[str, AudienceFamily] = {
    BroadcastButton.PREFIX: BroadcastButton,
    TrainingFormButton.PREFIX: TrainingFormButton,
    NeedsRoundButton.PREFIX: NeedsRoundButton,
}


def _family(prefix: str) -> AudienceFamily:
    return _FAMILIES[prefix]


@dataclasses.dataclass
class AudienceDraft(Draft):
    """The audience part of a draft: the chosen area, the institution filter, the open picker."""

    area: str | None = None
    institutions: list[str] = dataclasses.field(default_factory=list)
    picker: dict[str, Any] | None = None

    def reset_audience(self, area: str | None = None) -> None:
        self.area = area
        self.picker = None
        self.institutions = []


@dataclasses.dataclass(frozen=True)
class AudienceChoice:
    """What an audience button did: `area` chosen, the picker `shown`, `exited`, or `refused`."""

    area: str | None = None
    shown: bool = False
    exited: bool = False
    refused: bool = False


# ---------------------------------------------------------------- the pieces


async def open_for_sender(
    update: Update, context: BotContext, *, not_allowed: str, refused_action: str
) -> tuple[Identity, str | None] | None:
    """The start of a command that addresses cadres (`/umumkan [kode wilayah]`): the sender's
    identity and the optional area, or None once a non-privileged sender or an area outside
    their scopes has been answered (`not_allowed` / `area_argument`)."""
    user = update.effective_user
    assert user is not None and update.message is not None
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await update.message.reply_text(t(not_allowed, context.lang))
        return None
    accepted, area = await area_argument(update, context, identity, refused_action)
    return (identity, area) if accepted else None


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
    area = parse_region_code(context.args[0])
    with context.db.session() as session:
        known = area is not None and get_region(session, area) is not None
    if known and area is not None and identity.may_act_on(area):
        return True, area
    with context.db.session() as session:
        audit(session, update.effective_user.id, refused_action, context.args[0][:40])
    await update.message.reply_text(t("audience.area_refused", context.lang))
    return False, None


def scope_rows(
    database: Database,
    scopes: Sequence[str],
    lang: str,
    keys: tuple[str, str],
    pack: Callable[[str, str], str],
) -> list[list[Button]]:
    """One row per scope: its whole area (`pack("s", scope)`), then, above a kelurahan/desa,
    "choose inside" (`pack("c", scope)`); `keys` name the two texts, which get `name`."""
    whole_key, inside_key = keys
    rows: list[list[Button]] = []
    with database.session() as session:
        for scope in scopes:
            region = get_region(session, scope)
            if region is None:
                continue
            name = region_path_name(session, scope)
            rows.append([(t(whole_key, lang, name=name), pack("s", scope))])
            if region.level != LEVELS[-1]:
                rows.append([(t(inside_key, lang, name=name), pack("c", scope))])
    return rows


async def ask_audience(
    update: Update,
    context: BotContext,
    identity: Identity,
    prefix: str,
    note: str = "",
    extra: Sequence[list[Button]] = (),
) -> None:
    """Whole scope(s) or "choose inside": one row per scope the sender may address, then the
    `extra` rows of a form's further way to choose."""
    lang = context.lang
    family = _family(prefix)
    rows = scope_rows(
        context.db,
        identity.scopes,
        lang,
        ("audience.all", "audience.pick"),
        lambda action, area: family(action=action, area=area).pack(),
    )
    rows.extend(extra)
    text = t("audience.ask", lang)
    await show(update, f"{note}\n\n{text}" if note else text, keyboard(rows))


async def on_audience_button(
    update: Update, context: BotContext, draft: AudienceDraft, identity: Identity, prefix: str
) -> AudienceChoice:
    """`s` whole scope, `c` choose inside a scope, or a picker button (`r`, `p`, `b`, `a`).

    Raises `StaleButton` for data no keyboard of this form made."""
    query = update.callback_query
    assert query is not None
    try:
        button = _family(prefix).unpack(query.data)
    except ForgedCallback as error:
        raise StaleButton(query.data) from error
    action = button.action
    if action in ("s", "c"):
        scope = parse_region_code(button.area)
        if scope is None or not identity.may_act_on(scope):  # never trust the keyboard
            return AudienceChoice(refused=True)
        if action == "s":
            return AudienceChoice(area=scope)
        with context.db.session() as session:
            state = region_picker.start(session, scope, "village")
        draft.picker = state.to_dict()
        await _show_picker(update, context, state, prefix)
        return AudienceChoice(shown=True)
    if not draft.picker:
        raise StaleButton(query.data)
    if action not in PICKER_LAYOUT:
        raise StaleButton(query.data)
    state = PickerState.from_dict(draft.picker)
    arg = str(button.page) if action == "p" else button.code
    with context.db.session() as session:
        outcome = region_picker.apply_callback(session, state, action, arg, "village")
    if outcome.exited:
        draft.picker = None
        return AudienceChoice(exited=True)
    if outcome.picked is not None:
        if not identity.may_act_on(outcome.picked):
            return AudienceChoice(refused=True)
        draft.picker = None
        return AudienceChoice(area=outcome.picked)
    draft.picker = outcome.state.to_dict()
    await _show_picker(update, context, outcome.state, prefix)
    return AudienceChoice(shown=True)


async def on_picker_text(
    update: Update, context: BotContext, draft: AudienceDraft, prefix: str
) -> None:
    """Typing while the picker is open filters the list."""
    assert update.message is not None and update.message.text is not None
    assert draft.picker is not None
    state = region_picker.apply_filter(PickerState.from_dict(draft.picker), update.message.text)
    draft.picker = state.to_dict()
    await _show_picker(update, context, state, prefix, edit=False)


async def _show_picker(
    update: Update, context: BotContext, state: PickerState, prefix: str, *, edit: bool = True
) -> None:
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            state,
            prefix=prefix,
            lang=context.lang,
            title=t("audience.pick_area", context.lang),
            allow_pick_node=True,
            back_exits=True,
        )
    await show(update, text, markup, edit=edit)


async def ask_institutions(
    update: Update, context: BotContext, draft: AudienceDraft, prefix: str
) -> None:
    """Optional filter: tap institutions to toggle them; none chosen = every institution."""
    lang = context.lang
    chosen = set(draft.institutions)
    rows: list[list[Button]] = []
    for pair in (INSTITUTIONS[i : i + 2] for i in range(0, len(INSTITUTIONS), 2)):
        rows.append(
            [
                (
                    ("✅ " if code in chosen else "") + institution_label(code, None, lang),
                    _family(prefix)(action="i", code=code).pack(),
                )
                for code in pair
            ]
        )
    every = _family(prefix)(action="i", code="*").pack()
    done = _family(prefix)(action="i", code="ok").pack()
    rows.append([(t("audience.institutions_all", lang), every)])
    rows.append([(t("audience.institutions_done", lang), done)])
    assert draft.area is not None
    with context.db.session() as session:
        area = region_path_name(session, draft.area)
    text = t(
        "audience.ask_institutions",
        lang,
        area=area,
        chosen=institution_names(chosen, lang) or t("audience.institutions_any", lang),
    )
    await show(update, text, keyboard(rows))


def toggle_institution(draft: AudienceDraft, code: str) -> bool | None:
    """Toggle an institution; True when the sender is done, None for a forged code."""
    if code == "ok":
        return True
    chosen = set(draft.institutions)
    if code == "*":
        chosen.clear()
    elif code in INSTITUTIONS:
        chosen ^= {code}
    else:
        return None
    draft.institutions = sorted(chosen)
    return False


def institution_names(codes: set[str] | list[str], lang: str) -> str:
    return ", ".join(institution_label(code, None, lang) for code in INSTITUTIONS if code in codes)


def audience_label(context: BotContext, draft: AudienceDraft, lang: str) -> str:
    """ "Kec. Bontang Barat, Kota Bontang · PKK, Posyandu" (plain text, not escaped)."""
    assert draft.area is not None
    with context.db.session() as session:
        area = region_path_name(session, draft.area)
    names = institution_names(draft.institutions, lang)
    return f"{area} · {names}" if names else area


def audience_counts(context: BotContext, draft: AudienceDraft) -> AudienceCounts:
    assert draft.area is not None
    with context.db.session() as session:
        return outbox.audience_counts(session, [draft.area], draft.institutions or None)


async def audit_refusal(update: Update, context: BotContext, action: str) -> None:
    """A forged or stale region outside the sender's scopes: audit it as `action` and say so
    in an alert; the caller keeps the form at its step."""
    query = update.callback_query
    user = update.effective_user
    assert user is not None
    with context.db.session() as session:
        audit(session, user.id, action, (query.data or "" if query else "")[:120] or None)
    if query is not None:
        await query.answer(t("audience.area_refused", context.lang), show_alert=True)


# ---------------------------------------------------------------- the three states of a form

A = TypeVar("A", bound=AudienceDraft)
A_contra = TypeVar("A_contra", bound=AudienceDraft, contravariant=True)
OnDone = Callable[[Update, BotContext, A, Identity], Awaitable[int]]
Chooser = Callable[[Update, BotContext, A, Identity], Awaitable[AudienceChoice]]


class ExtraAudience(Protocol[A_contra]):
    """A further way to choose the audience, offered under the scopes in the scope state.

    `pattern` routes its buttons; `rows` are its buttons on the scope keyboard; `on_button`
    answers a press: `shown` (its own keyboard is on screen, stay), `area` (the audience is
    chosen, the institutions come next), `exited` (back to the scopes) or `refused` (audited);
    it raises `StaleButton` for data it did not make.
    """

    pattern: re.Pattern[str]

    def rows(self, context: BotContext, identity: Identity) -> list[list[Button]]: ...

    async def on_button(
        self, update: Update, context: BotContext, draft: A_contra, identity: Identity
    ) -> AudienceChoice: ...


class AudienceSteps(Generic[A]):
    """The scope → picker → institutions states of `form`, under the button prefix `prefix`.

    `states` are the form's own state numbers for (scope, picker, institutions); `on_done` runs
    once the audience is complete and returns the next state; `refused_action` is the audit
    action of a forged button; `buttons` matches every button of the form (for re-prompts);
    `ignore` as in `Form.reprompt`; `extra` a further way to choose (`ExtraAudience`).
    """

    def __init__(
        self,
        form: Form[A],
        *,
        prefix: str,
        states: tuple[int, int, int],
        on_done: OnDone[A],
        refused_action: str,
        buttons: str | re.Pattern[str],
        ignore: Callable[[Update, A], bool] | None = None,
        extra: ExtraAudience[A] | None = None,
    ) -> None:
        self.form = form
        self.prefix = prefix
        self.scope, self.pick_area, self.institution = states
        self.on_done = on_done
        self.refused_action = refused_action
        self.buttons = buttons
        self.ignore = ignore
        self.extra = extra

    async def _ask_scope(
        self, update: Update, context: BotContext, identity: Identity, note: str = ""
    ) -> None:
        extra = self.extra.rows(context, identity) if self.extra else []
        await ask_audience(update, context, identity, self.prefix, note, extra)

    async def ask(self, update: Update, context: BotContext, draft: A, identity: Identity) -> int:
        """Enter the audience: the institutions when the area is known already, else the scope."""
        if draft.area:
            await ask_institutions(update, context, draft, self.prefix)
            return self.institution
        await self._ask_scope(update, context, identity)
        return self.scope

    async def again(self, update: Update, context: BotContext, draft: A, identity: Identity) -> int:
        """Choose the audience anew (the preview's "change audience" button)."""
        draft.reset_audience()
        await self._ask_scope(update, context, identity)
        return self.scope

    async def refuse(self, update: Update, context: BotContext, state: int) -> int:
        """Refuse and audit a region outside the sender's scopes; stay in `state`."""
        await audit_refusal(update, context, self.refused_action)
        return state

    async def _scope_or_picker(
        self, update: Update, context: BotContext, draft: A, identity: Identity
    ) -> AudienceChoice:
        return await on_audience_button(update, context, draft, identity, self.prefix)

    def _on_audience(self, state: int, choose: Chooser[A], shown: int) -> Handler:
        """A press in `state` answered by `choose`; `shown` is the state its keyboard is for."""

        async def on_audience(
            update: Update, context: BotContext, draft: A, identity: Identity
        ) -> int:
            query = update.callback_query
            assert query is not None
            try:
                choice = await choose(update, context, draft, identity)
            except StaleButton:
                await refuse_forged(update, context.lang)
                return state
            if choice.refused:
                return await self.refuse(update, context, state)
            await query.answer()
            if choice.exited:
                await self._ask_scope(update, context, identity)
                return self.scope
            if choice.area is None:
                return shown
            draft.area = choice.area
            await ask_institutions(update, context, draft, self.prefix)
            return self.institution

        return self.form.step(on_audience)

    async def _on_area_text(
        self, update: Update, context: BotContext, draft: A, identity: Identity
    ) -> int:
        if not draft.picker:
            await chat_of(update).send_message(t(USE_BUTTONS, context.lang))
            return self.pick_area
        await on_picker_text(update, context, draft, self.prefix)
        return self.pick_area

    async def _on_institution(
        self, update: Update, context: BotContext, draft: A, identity: Identity
    ) -> int:
        query = update.callback_query
        assert query is not None
        try:
            button = _family(self.prefix).unpack(query.data)
        except ForgedCallback as error:
            await refuse_forged(update, context.lang, error)
            return self.institution
        done = toggle_institution(draft, button.code) if button.action == "i" else None
        if done is None:
            await refuse_forged(update, context.lang)
            return self.institution
        await query.answer()
        if not done:
            await ask_institutions(update, context, draft, self.prefix)
            return self.institution
        return await self.on_done(update, context, draft, identity)

    def handlers(self) -> Mapping[int, list[BaseHandler[Update, BotContext, Any]]]:
        """The three states' handler lists, to merge into the form's `states`."""
        family = _family(self.prefix)
        anything = ~filters.COMMAND

        def wrong_input(state: int) -> list[BaseHandler[Update, BotContext, Any]]:
            again = self.form.reprompt(state, USE_BUTTONS, ignore=self.ignore)
            return [MessageHandler(anything, again), CallbackQueryHandler(again, self.buttons)]

        choose = self._scope_or_picker
        extra: list[BaseHandler[Update, BotContext, Any]] = []
        if self.extra is not None:
            on_extra = self._on_audience(self.scope, self.extra.on_button, self.scope)
            extra.append(CallbackQueryHandler(on_extra, pattern=self.extra.pattern))
        return {
            self.scope: [
                CallbackQueryHandler(
                    self._on_audience(self.scope, choose, self.pick_area),
                    pattern=family.pattern("s", "c"),
                ),
                *extra,
                *wrong_input(self.scope),
            ],
            self.pick_area: [
                CallbackQueryHandler(
                    self._on_audience(self.pick_area, choose, self.pick_area),
                    pattern=family.pattern(*PICKER_LAYOUT),
                ),
                MessageHandler(filters.TEXT & ~filters.COMMAND, self.form.step(self._on_area_text)),
                *wrong_input(self.pick_area),
            ],
            self.institution: [
                CallbackQueryHandler(
                    self.form.step(self._on_institution), pattern=family.pattern("i")
                ),
                *wrong_input(self.institution),
            ],
        }

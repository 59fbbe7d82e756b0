"""The step machine every multi-step form shares: typed draft, step decorator, re-prompts,
`/batal`, idle expiry, resume, and the ConversationHandler around them (see `bot.forms`).

The current step has one source of truth: PTB's conversation state, persisted by
`bot.persistence` after every update. The `draft` row holds only what the user has entered, so
a handler that must answer "where are we?" is bound to its state when the conversation is
built (`Form.reprompt(state, …)`, `Form.conversation(resume=…)`), never reads it from the draft.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

from telegram import Chat, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.auth import Identity, identify
from bot.context import BotContext
from bot.i18n import language_for, t
from storage import people
from storage.models import utcnow

__all__ = [
    "END",
    "AnyHandler",
    "Ask",
    "Conversation",
    "Draft",
    "Form",
    "Handler",
    "Requirement",
    "StepHandler",
    "chat_of",
    "conversation",
]

END = ConversationHandler.END

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, int]]
"""A PTB callback of a conversation state: returns the next state (or END)."""

AnyHandler = BaseHandler[Update, BotContext, Any]
"""Any registered handler of this bot, as the `handlers()` of every feature return them."""

Conversation = ConversationHandler[BotContext]
"""A form's conversation, as `Form.conversation` builds it."""

Requirement = Literal["privileged", "official"]

CANCEL_COMMANDS = ("batal", "cancel")


@dataclasses.dataclass
class Draft:
    """What a user has entered so far in one form; a dataclass per form, stored as JSON.

    Unknown keys are ignored on load, so an old row (or one from before a field was renamed)
    still loads; a missing key takes the field's default. `back_to_summary` is the "Ubah"
    mark: the user is changing one field and goes back to the summary after it.
    """

    back_to_summary: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


D = TypeVar("D", bound=Draft)
D_contra = TypeVar("D_contra", bound=Draft, contravariant=True)


class StepHandler(Protocol[D_contra]):
    """A form step: the update, the context, the loaded draft and the sender's identity."""

    def __call__(
        self, update: Update, context: BotContext, draft: D_contra, identity: Identity, /
    ) -> Awaitable[int]: ...


class Ask(Protocol[D_contra]):
    """Ask for `state` (again), with `note` shown first when not empty."""

    def __call__(
        self, update: Update, context: BotContext, draft: D_contra, state: int, note: str, /
    ) -> Awaitable[int]: ...


AskT = TypeVar("AskT", bound=Ask[Any])


def chat_of(update: Update) -> Chat:
    """The chat the update came from (forms only run in private chats, so there is one)."""
    assert update.effective_chat is not None
    return update.effective_chat


class Form(Generic[D]):
    """One kind of form: its draft type, its idle policy, who may fill it in, its messages.

    `summary` is the state of the form's summary (where "Ubah" returns to, see `proceed`).

    `keys` is the catalog prefix of the form's own messages: `<keys>.expired` (idle too long),
    `<keys>.cancelled` (`/batal`), `<keys>.not_allowed` (when `requires` fails), `<keys>.resume`
    (with `resume=`). A form with `on_idle="pause"` keeps an idle draft and says
    `<keys>.paused` instead of `<keys>.expired`, and `<keys>.no_draft` when the draft is gone.
    """

    STALE_KEY: ClassVar[str] = "common.stale_button"

    def __init__(
        self,
        kind: str,
        draft_type: type[D],
        *,
        keys: str,
        on_idle: Literal["drop", "pause"] = "drop",
        requires: Requirement | None = None,
        summary: int | None = None,
        remove_keyboard: bool = False,
    ) -> None:
        self.kind = kind
        self.draft_type = draft_type
        self.keys = keys
        self.on_idle = on_idle
        self.requires = requires
        self.summary = summary
        self.ask: Ask[D] | None = None
        # Forms that show a reply keyboard (a "share contact" button) take it away when they end.
        self._markup = ReplyKeyboardRemove() if remove_keyboard else None

    def asks(self, fn: AskT) -> AskT:
        """Register the function that asks a step's question (used by re-prompts, `/start`
        resume and `proceed`)."""
        self.ask = fn
        return fn

    async def proceed(self, update: Update, context: BotContext, draft: D, default: int) -> int:
        """After a step: back to the summary when the user is changing one field ("Ubah"),
        else on to `default`."""
        assert self.ask is not None, "proceed needs the form's `ask`"
        state = default
        if draft.back_to_summary and self.summary is not None:
            state = self.summary
        return await self.ask(update, context, draft, state, "")

    async def change(self, update: Update, context: BotContext, draft: D, state: int) -> int:
        """ "Ubah" on the summary: ask `state` again; `proceed` then comes back to the summary."""
        assert self.ask is not None, "change needs the form's `ask`"
        draft.back_to_summary = True
        return await self.ask(update, context, draft, state, "")

    # ------------------------------------------------------------ the draft row

    def load(self, context: BotContext, user_id: int) -> tuple[D, bool] | None:
        """The user's draft and whether it sat idle longer than the conversation timeout."""
        with context.db.session() as session:
            found = people.get_draft(session, user_id, self.kind)
        if found is None:
            return None
        data, updated_at = found
        idle = utcnow() - updated_at > context.settings.conversation_timeout
        return self.draft_type.from_dict(data), idle

    def save(self, context: BotContext, user_id: int, draft: D) -> None:
        with context.db.session() as session:
            people.save_draft(session, user_id, self.kind, draft.to_dict())

    def drop(self, context: BotContext, user_id: int) -> None:
        with context.db.session() as session:
            people.delete_draft(session, user_id, self.kind)

    def allows(self, identity: Identity) -> bool:
        if self.requires == "official":
            return identity.is_official
        if self.requires == "privileged":
            return identity.is_privileged
        return True

    async def say(self, update: Update, context: BotContext, key: str) -> None:
        """Send one of the form's messages (`<keys>.<key>`) as a new message."""
        await chat_of(update).send_message(
            t(f"{self.keys}.{key}", context.lang), reply_markup=self._markup
        )

    # ------------------------------------------------------------ steps

    def step(self, fn: StepHandler[D]) -> Handler:
        """Wrap a step: re-check `requires`, load the draft, end a vanished or idle form with
        its message, run the step, save the draft unless the step ended the form."""

        @functools.wraps(fn)
        async def wrapper(update: Update, context: BotContext) -> int:
            user = update.effective_user
            assert user is not None
            identity = identify(context.db, context.settings, user.id)
            loaded = self.load(context, user.id)
            refusal = self._refusal(identity, loaded)
            if refusal is not None:
                if update.callback_query:
                    await update.callback_query.answer()
                if refusal != "paused":
                    self.drop(context, user.id)
                await self.say(update, context, refusal)
                return END
            assert loaded is not None
            draft = loaded[0]
            state = await fn(update, context, draft, identity)
            if state != END:
                self.save(context, user.id, draft)
            return state

        return wrapper

    def _refusal(self, identity: Identity, loaded: tuple[D, bool] | None) -> str | None:
        """Which message ends the form instead of running the step, if any."""
        if not self.allows(identity):
            return "not_allowed"
        if loaded is None:  # dropped meanwhile (/batal elsewhere, the sweep)
            return "expired" if self.on_idle == "drop" else "no_draft"
        if loaded[1]:
            return "paused" if self.on_idle == "pause" else "expired"
        return None

    def reprompt(
        self,
        state: int,
        note_key: str,
        *,
        ignore: Callable[[Update, D], bool] | None = None,
    ) -> Handler:
        """The polite answer to the wrong kind of input in `state` (a sticker, a photo, a stale
        button): a stale button gets a short toast; a message gets `note_key`. With `ask`,
        the question of the step is asked again under the note. `ignore` silences updates
        that need no answer (the rest of an album already taken)."""

        async def again(update: Update, context: BotContext, draft: D, identity: Identity) -> int:
            if ignore is not None and ignore(update, draft):
                return state
            note = t(note_key, context.lang)
            if update.callback_query:
                await update.callback_query.answer(t(self.STALE_KEY, context.lang))
                note = ""
            if self.ask is not None:
                return await self.ask(update, context, draft, state, note)
            if note:
                await chat_of(update).send_message(note)
            return state

        again.__name__ = f"reprompt_{state}"
        return self.step(again)

    def resume_at(self, state: int) -> Handler:
        """`/start` (or the form's own command) while the form is open: ask the step again."""

        async def resume(update: Update, context: BotContext, draft: D, identity: Identity) -> int:
            assert self.ask is not None, "resume needs the form's `ask`"
            return await self.ask(
                update, context, draft, state, t(f"{self.keys}.resume", context.lang)
            )

        resume.__name__ = f"resume_{state}"
        return self.step(resume)

    # ------------------------------------------------------------ ending

    async def sweep_expired(self, context: BotContext) -> None:
        """Tell users whose form expired while the bot was down, and drop their drafts.

        PTB's timeout jobs do not survive a restart. Run this every minute; it waits two
        extra minutes so PTB's own timeout answers first when it can.
        """
        cutoff = utcnow() - context.settings.conversation_timeout - timedelta(minutes=2)
        with context.db.session() as session:
            expired = people.expired_drafts(session, self.kind, cutoff)
        for user_id in expired:
            with context.db.session() as session:
                chosen, telegram = people.user_language(session, user_id)
            self.drop(context, user_id)
            text = t(f"{self.keys}.expired", language_for(chosen, telegram))
            try:
                await context.bot.send_message(user_id, text, reply_markup=self._markup)
            except TelegramError:
                continue  # blocked the bot, deleted the chat: nothing to tell

    async def cancel(self, update: Update, context: BotContext) -> int:
        """`/batal` at any step: drop the draft, say so."""
        assert update.effective_user is not None
        self.drop(context, update.effective_user.id)
        await self.say(update, context, "cancelled")
        return END

    async def on_timeout(self, update: object, context: BotContext) -> None:
        """PTB's idle timeout while the bot runs (after a restart, `step` notices instead)."""
        if not isinstance(update, Update) or update.effective_user is None:
            return
        if update.effective_chat is None:
            return
        if self.on_idle == "drop":
            self.drop(context, update.effective_user.id)
        await self.say(update, context, "expired" if self.on_idle == "drop" else "paused")

    def conversation(
        self,
        *,
        entry_points: Sequence[BaseHandler[Update, BotContext, Any]],
        states: Mapping[int, Sequence[BaseHandler[Update, BotContext, Any]]],
        timeout: timedelta,
        resume: str | None = None,
        allow_reentry: bool = True,
        fallbacks: Sequence[BaseHandler[Update, BotContext, Any]] = (),
    ) -> ConversationHandler[BotContext]:
        """This form's ConversationHandler, named after its kind, with `/batal`, the idle
        timeout, and (with `resume="start"`) `/start` re-asking the current step."""
        full: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {}
        for state, handlers in states.items():
            full[state] = list(handlers)
            if resume is not None:
                full[state].append(CommandHandler(resume, self.resume_at(state)))
        full[ConversationHandler.TIMEOUT] = [TypeHandler(Update, self.on_timeout)]
        return conversation(
            self.kind,
            entry_points=entry_points,
            states=full,
            timeout=timeout,
            allow_reentry=allow_reentry,
            fallbacks=[CommandHandler(list(CANCEL_COMMANDS), self.cancel), *fallbacks],
        )


def conversation(
    name: str,
    *,
    entry_points: Sequence[BaseHandler[Update, BotContext, Any]],
    states: Mapping[object, Sequence[BaseHandler[Update, BotContext, Any]]],
    timeout: timedelta | None,
    fallbacks: Sequence[BaseHandler[Update, BotContext, Any]] = (),
    allow_reentry: bool = True,
) -> ConversationHandler[BotContext]:
    """A persistent, named ConversationHandler with the idle timeout.

    Our CallbackQueryHandlers are per chat on purpose (a form is one per user), so PTB's
    `per_message` advice does not apply; its warning is silenced here, once.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name=name,
            persistent=True,
            allow_reentry=allow_reentry,
            conversation_timeout=timeout,
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=list(fallbacks),
        )

"""Multi-step forms: one step machine (`base`), the shared audience steps (`audience`) and the
region picker (`region_picker`).

A form declares its draft, its `Form`, the function that asks each step's question, its steps,
and its states; everything else (loading and saving the draft, idle expiry, the privilege
re-check, polite re-prompts, `/batal`, `/start` resume, persistence) comes from `Form`::

    @dataclasses.dataclass
    class FeedbackDraft(Draft):  # every field has a default; stored as JSON in `draft`
        topic: str | None = None
        text: str | None = None

    class Step(IntEnum):
        TOPIC = 1
        TEXT = 2
        CONFIRM = 3

    FORM = Form("feedback", FeedbackDraft, keys="feedback", on_idle="drop",
                requires="privileged", summary=Step.CONFIRM)
    # Its messages: feedback.expired, feedback.cancelled, feedback.not_allowed (with requires),
    # feedback.resume (with resume=); feedback.paused and .no_draft with on_idle="pause".

    @FORM.asks  # optional: lets reprompt, resume, proceed and change ask a step again
    async def prompt(update, context, draft: FeedbackDraft, state: int, note: str = "") -> int:
        ...  # send the question of `state` (with `note` first); return state

    @FORM.step  # loads the draft, ends idle/vanished forms, re-checks `requires`, saves after
    async def on_topic(update, context, draft: FeedbackDraft, identity: Identity) -> int:
        draft.topic = ...
        return await FORM.proceed(update, context, draft, Step.TEXT)  # the summary after "Ubah"

    @FORM.step
    async def on_confirm(update, context, draft: FeedbackDraft, identity: Identity) -> int:
        pressed = FeedbackButton.unpack(update.callback_query.data)  # a family in bot.callbacks
        if pressed.action == "e":  # "Ubah" one field
            return await FORM.change(update, context, draft, Step.TEXT)
        ...
        FORM.drop(context, identity.user_id)
        return END

    async def start(update, context) -> int:  # an entry point, not a step: no draft yet
        draft = FeedbackDraft()
        FORM.save(context, update.effective_user.id, draft)
        return await prompt(update, context, draft, Step.TOPIC)

    def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
        again = FORM.reprompt(Step.TOPIC, "form.use_buttons")  # bound to its state
        return FORM.conversation(  # persistent, named "feedback", /batal, timeout, warning filter
            entry_points=[CommandHandler("saran", start)],
            states={
                Step.TOPIC: [
                    CallbackQueryHandler(on_topic, pattern=FeedbackButton.pattern("t")),
                    MessageHandler(~filters.COMMAND, again),
                    CallbackQueryHandler(again, pattern=FeedbackButton.pattern()),  # this form's only
                ],
                ...,
            },
            timeout=timeout,
            resume="start",  # optional: /start mid-form asks the current step again
        )

Run `FORM.sweep_expired` every minute (as `bot.app` does for registration) when users must be
told that a form expired while the bot was down.

The current step is PTB's persisted conversation state only; never store it in the draft.
A handler that needs to know its state is bound to it when the states are built (as
`FORM.reprompt(state, …)` is).

A form that addresses cadres (scope → kecamatan/kelurahan → institutions, as `/umumkan`)
inherits `audience.AudienceDraft` in its draft and lets `AudienceSteps` build those states::

    AUDIENCE = AudienceSteps(FORM, prefix="bc", states=(Step.AUDIENCE, Step.PICK_AREA,
                             Step.INSTITUTION), on_done=show_preview,
                             refused_action="broadcast.refused", buttons=r"^bc:(?!x:)")
    return await AUDIENCE.ask(update, context, draft, identity)  # from the step before it
    states={..., **AUDIENCE.handlers(), Step.PREVIEW: [...]}

"""

from bot.forms.base import (
    END,
    AnyHandler,
    Conversation,
    Draft,
    Form,
    Handler,
    StepHandler,
    chat_of,
    conversation,
)

__all__ = [
    "END",
    "AnyHandler",
    "Conversation",
    "Draft",
    "Form",
    "Handler",
    "StepHandler",
    "chat_of",
    "conversation",
]

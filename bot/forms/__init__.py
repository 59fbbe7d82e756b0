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
    # messages: feedback.expired, feedback.cancelled, feedback.not_allowed (with requires),
    # feedback.paused (with on_idle="pause"), feedback.resume (with resume=…)

    @FORM.asks  # optional: lets re-prompts, resume and `proceed` ask a step's question again
    async def prompt(update, context, draft: FeedbackDraft, state: int, note: str = "") -> int:
        ...  # send the question of `state`, `note` first; return state

    @FORM.step  # loads the draft, checks idleness and `requires`, saves after the step
    async def on_topic(update, context, draft: FeedbackDraft, identity: Identity) -> int:
        draft.topic = ...
        return await FORM.proceed(update, context, draft, Step.TEXT)  # or the summary on "Ubah"

    async def start(update, context) -> int:  # an entry point: not a step (no draft yet)
        FORM.save(context, user_id, FeedbackDraft())
        return await prompt(update, context, FeedbackDraft(), Step.TOPIC)

    def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
        return FORM.conversation(
            entry_points=[CommandHandler("saran", start)],
            states={
                Step.TOPIC: [
                    CallbackQueryHandler(on_topic, pattern=r"^fb:t:"),
                    MessageHandler(~filters.COMMAND, FORM.reprompt(Step.TOPIC, "form.use_buttons")),
                    CallbackQueryHandler(FORM.reprompt(Step.TOPIC, "form.use_buttons"), "^fb:"),
                ],
                ...,
            },
            timeout=timeout,
        )

The current step is PTB's persisted conversation state only; never store it in the draft.
A handler that needs to know its state is bound to it when the states are built (as
`FORM.reprompt(state, …)` is). For an audience (scope → kecamatan/kelurahan → institutions),
inherit `audience.AudienceDraft` and merge `audience.AudienceSteps(...).handlers()` into the
states. `legacy` holds the untyped store and step of forms not yet moved onto `Form`.
"""

from bot.forms.base import END, Draft, Form, Handler, StepHandler, chat_of, conversation

__all__ = ["END", "Draft", "Form", "Handler", "StepHandler", "chat_of", "conversation"]

"""Every inline button's callback data: one typed class per family, one codec, one refusal.

A button's data is ``<prefix>:<action>[:<field>…]`` (or ``<prefix>:<field>`` for the two
families without actions, ``lang`` and ``ex``). Each family (`families`) is a small frozen dataclass:
`pack()` writes the wire string, `unpack(data)` reads it back or raises `ForgedCallback`, and
`pattern(*actions)` is the regex its `CallbackQueryHandler` routes on. The wire strings are
exactly what the keyboards have always sent, so buttons in old messages keep working.

Anything a client sends is untrusted: integers are ASCII digits only (no ``²``, ``١٢``, sign
or 20-digit numbers), words are short ASCII tokens, the whole is at most
`InlineKeyboardButtonLimit.MAX_CALLBACK_DATA` bytes. Whether the *value* is allowed (a region
inside the sender's scope, a report they may review) stays the handler's job.
"""

from bot.callbacks.codec import (
    FAMILIES,
    MAX_INT,
    PICKER_LAYOUT,
    Callback,
    ForgedCallback,
    family_of,
    parse_number,
    refuse_forged,
    registered,
    unpack_or_refuse,
)
from bot.callbacks.families import (
    AttendanceButton,
    AudienceButton,
    BroadcastButton,
    CoordinatorButton,
    DeleteButton,
    ExportButton,
    FeedbackButton,
    FindCadreButton,
    GroupButton,
    InviteButton,
    InviteRevokeButton,
    LanguageButton,
    ManageReminderButton,
    NeedsMapButton,
    NeedsRoundButton,
    NeedsSurveyButton,
    ProfileButton,
    RegistrationButton,
    ReminderFormButton,
    ReportButton,
    ReportListButton,
    ReviewButton,
    SkillsButton,
    StatisticsButton,
    TrainingButton,
    TrainingFormButton,
)

__all__ = [
    "FAMILIES",
    "MAX_INT",
    "PICKER_LAYOUT",
    "AttendanceButton",
    "AudienceButton",
    "BroadcastButton",
    "Callback",
    "CoordinatorButton",
    "DeleteButton",
    "ExportButton",
    "FeedbackButton",
    "FindCadreButton",
    "ForgedCallback",
    "GroupButton",
    "InviteButton",
    "InviteRevokeButton",
    "LanguageButton",
    "ManageReminderButton",
    "NeedsMapButton",
    "NeedsRoundButton",
    "NeedsSurveyButton",
    "ProfileButton",
    "RegistrationButton",
    "ReminderFormButton",
    "ReportButton",
    "ReportListButton",
    "ReviewButton",
    "SkillsButton",
    "StatisticsButton",
    "TrainingButton",
    "TrainingFormButton",
    "family_of",
    "parse_number",
    "refuse_forged",
    "registered",
    "unpack_or_refuse",
]

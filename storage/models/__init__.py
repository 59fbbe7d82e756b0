"""Every table of the bot, importable from one place (the migrations' `env.py` imports this).

One module per aggregate; the query functions live in `storage.<feature>` and import their
tables from here. Closed sets of stored strings are `StrEnum`s next to their tables.
"""

from __future__ import annotations

from storage.models.admins import Official
from storage.models.attendance import (
    Attendance,
    FollowUp,
    Recommend,
    Situation,
    TrainingCheckin,
    UsedSkill,
)
from storage.models.botstate import BotStateRow, ConversationRow
from storage.models.common import one_of, utcnow
from storage.models.groups import GroupMember, LinkedGroup
from storage.models.needs import CadreResource, CadreSkill, NeedAnswer, NeedInvite, NeedRound
from storage.models.outbox import (
    Broadcast,
    BroadcastKind,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientState,
)
from storage.models.people import (
    AppUser,
    AuditLog,
    Cadre,
    Coordinator,
    CoordinatorInvite,
    Draft,
    Region,
)
from storage.models.reminders import (
    OccurrenceStatus,
    PauseReason,
    Reminder,
    ReminderKind,
    ReminderOccurrence,
    ReminderStatus,
)
from storage.models.reports import Report, ReportEvent, ReportMedia, ReportStatus
from storage.models.stats import (
    CadreActivity,
    DeliverySummary,
    StatsVersion,
    SummarisedBroadcast,
)
from storage.models.training import RsvpStatus, Training, TrainingRsvp

__all__ = [
    "AppUser",
    "Attendance",
    "AuditLog",
    "BotStateRow",
    "Broadcast",
    "BroadcastKind",
    "BroadcastRecipient",
    "BroadcastStatus",
    "Cadre",
    "CadreActivity",
    "CadreResource",
    "CadreSkill",
    "ConversationRow",
    "Coordinator",
    "CoordinatorInvite",
    "DeliverySummary",
    "Draft",
    "FollowUp",
    "GroupMember",
    "LinkedGroup",
    "NeedAnswer",
    "NeedInvite",
    "NeedRound",
    "OccurrenceStatus",
    "Official",
    "PauseReason",
    "RecipientState",
    "Recommend",
    "Region",
    "Reminder",
    "ReminderKind",
    "ReminderOccurrence",
    "ReminderStatus",
    "Report",
    "ReportEvent",
    "ReportMedia",
    "ReportStatus",
    "RsvpStatus",
    "Situation",
    "StatsVersion",
    "SummarisedBroadcast",
    "Training",
    "TrainingCheckin",
    "TrainingRsvp",
    "UsedSkill",
    "one_of",
    "utcnow",
]

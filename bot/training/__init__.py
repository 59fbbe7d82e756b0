"""Trainings: announcing one (/pelatihan_baru), the cadres' answers ("Ikut" / "Tidak bisa",
/pelatihan), and managing it (/peserta: participants, closing registration, moving it to
another date, calling it off — both told to everyone who signed up).

- `announce` — the /pelatihan_baru form (on `bot.forms.Form`, audience via `AudienceSteps`)
  and `publish`, which hands an announcement to the delivery engine;
- `need_audience` — the audience "cadres of the kelurahan/desa that asked for this training"
  (the needs survey's answers), offered under the scopes of the audience step;
- `rsvp` — the answer buttons and /pelatihan;
- `manage` — /peserta, closing registration, calling off;
- `reschedule` — the "new date" form;
- `attendance` — /absensi: the check-in QR code and link, the check-in itself, manual ticks;
- `location` — the optional location check: the venue's pin, the cadre's, the distance;
- `certificate` — the certificate PDF and /verifikasi;
- `feedback` — the end-of-day rating (a one-step comment form), the follow-ups and their
  reminder, sent by `send_due` every minute;
- `texts` — the typed date (`parse_when`), the announcement and its buttons.

`bot.app` registers `conversation()`, `move_conversation()` and `feedback_conversation()` with
the other conversations, `handlers()` with the plain commands and buttons, and runs
`send_due` every minute.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import AttendanceButton, FeedbackButton, TrainingButton, TrainingFormButton
from bot.context import BotContext
from bot.training.announce import Step, TrainingDraft, conversation, preview_button, publish
from bot.training.attendance import (
    CHECKIN_PAYLOAD,
    attendance_button,
    attendance_command,
    attended_lines,
    checkin_link,
)
from bot.training.certificate import certificate_button, verify_command
from bot.training.feedback import conversation as feedback_conversation
from bot.training.feedback import followup_button, send_due
from bot.training.location import handlers as location_handlers
from bot.training.manage import participants_button, participants_command
from bot.training.reschedule import MoveDraft, MoveStep, move_conversation
from bot.training.rsvp import my_trainings, rsvp_button
from bot.training.texts import announcement_text, parse_when, rsvp_buttons

__all__ = [
    "CHECKIN_PAYLOAD",
    "MoveDraft",
    "MoveStep",
    "Step",
    "TrainingDraft",
    "announcement_text",
    "attended_lines",
    "checkin_link",
    "conversation",
    "feedback_conversation",
    "handlers",
    "move_conversation",
    "parse_when",
    "publish",
    "rsvp_buttons",
    "send_due",
]


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The commands and buttons outside the two forms."""
    return [
        CommandHandler("pelatihan", my_trainings),
        CommandHandler("peserta", participants_command),
        CallbackQueryHandler(rsvp_button, pattern=TrainingButton.pattern("y", "n")),
        CallbackQueryHandler(
            participants_button, pattern=TrainingButton.pattern("p", "close", "x", "xy")
        ),
        CallbackQueryHandler(preview_button, pattern=TrainingFormButton.pattern("pv")),
        CommandHandler("absensi", attendance_command),
        CommandHandler("verifikasi", verify_command),
        CallbackQueryHandler(
            attendance_button, pattern=AttendanceButton.pattern("o", "l", "t", "c", "v")
        ),
        CallbackQueryHandler(certificate_button, pattern=AttendanceButton.pattern("pdf")),
        CallbackQueryHandler(followup_button, pattern=FeedbackButton.pattern("a")),
        *location_handlers(),
    ]

"""`/pengingat` and the reminder scheduler: coordinators' and officials' scheduled reminders,
and the automatic ones (monthly report, review digest, trainings).

* `form` — writing a reminder (text, audience, preview, save) on `bot.forms.Form`;
  `schedule` — its schedule steps; `draft` — the draft, steps and `Form` they share;
* `manage` — the list and its buttons: view, pause, resume, delete;
* `scheduler` — `ReminderScheduler`, which fires what the form stores, once, in forum time;
* `texts` — how rules and the sent messages read.

`bot.app` registers `conversation(...)` and `handlers()` and starts the `ReminderScheduler`.
"""

from bot.reminders.form import conversation
from bot.reminders.manage import handlers
from bot.reminders.scheduler import ReminderScheduler

__all__ = ["ReminderScheduler", "conversation", "handlers"]

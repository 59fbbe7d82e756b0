"""Several bot processes on one PostgreSQL database; SQLite stays single-process.

* `Cluster` (`bot.cluster.node`): leader election for the sender and scheduler, per-user
  locks, hints between workers.
* `bot.cluster.conversations`: conversation states re-read from the database per update.
* `claim_sqlite_file` (`bot.cluster.single`): one bot per SQLite file.
* `RepeatingJob`: a JobQueue job run by the leader only.

What workers must agree on, and where it lives: conversation states, user data and form
drafts in the database (re-read under the user's lock); review counts are counted from the
database each time; the outbox and reminder claims are rows. What may differ: the chart cache
(file ids are the bot's, valid in every worker; a worker that has not seen a chart uploads it
once more) and the send budget — each worker keeps `SEND_SHARE` of Telegram's limits (1/N
for N workers) for its replies and, on the leader, the mass messages (`bot.delivery.budget`);
each honours its own 429s.
"""

from bot.cluster.jobs import RepeatingJob
from bot.cluster.node import Cluster
from bot.cluster.single import claim_sqlite_file

__all__ = ["Cluster", "RepeatingJob", "claim_sqlite_file"]

"""`build_application`: the whole bot at a glance — settings, persistence, every handler, jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    TypeHandler,
    filters,
)

from bot import (
    activity,
    broadcast,
    chat_guard,
    export,
    groups,
    home,
    language,
    needs,
    profile,
    registration,
    reminders,
    retention,
    roles,
    statistics,
    training,
)
from bot.cluster import Cluster, RepeatingJob, claim_sqlite_file
from bot.config import Settings
from bot.context import BotContext, ForkomApplication, PerUserUpdateProcessor
from bot.delivery import DeliveryEngine
from bot.delivery.budget import BudgetLimiter, SendBudget
from bot.delivery.http import AiohttpRequest
from bot.errors import ErrorReporter
from bot.menu import refresh_commands, set_default_commands
from bot.ops.metrics import MeteredUpdates, Metrics
from bot.ops.profile import set_profile
from bot.persistence import DatabasePersistence
from bot.reports import comment as report_comment
from bot.reports import counter as report_counter
from bot.reports import listing as report_list
from bot.reports import review as report_review
from bot.reports import submit as report_submit
from bot.training.answers import RsvpAnswers
from storage import db as storage_db
from storage import regions
from storage.db import Database

__all__ = ["ALLOWED_UPDATES", "build_application", "prepare_database"]

log = logging.getLogger(__name__)

#: The update kinds the bot asks Telegram for (polling and webhook alike).
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "my_chat_member",
    "chat_join_request",
    "chat_member",
]


def prepare_database(settings: Settings, database: Database | None = None) -> Database:
    """Migrate and load the region data (idempotent): a fresh machine needs nothing else.

    On SQLite it first claims the file: a second bot on it stops here (`bot.cluster.single`).
    """
    claim_sqlite_file(settings.database_url)
    storage_db.upgrade(settings.database_url)
    database = database or Database(settings.database_url)
    with database.session() as session:
        regions.load_regions(session)
        if regions.get_region(session, settings.forum_area) is None:
            raise SystemExit(
                f"FORUM_AREA {settings.forum_area!r} is not a known region code "
                "(see storage/data/regions.csv, e.g. 64 or 64.74)"
            )
    return database


async def _post_init(application: Application) -> None:
    app: ForkomApplication = application  # type: ignore[assignment]
    await set_default_commands(app.bot)
    await set_profile(app.bot)
    from bot.auth import identify, official_ids

    for admin_id in sorted(official_ids(app.database, app.settings)):
        identity = identify(app.database, app.settings, admin_id)
        await refresh_commands(app.bot, identity, "id", app.menu_counts(identity))
    await app.cluster.start()  # this worker runs the services when it leads (at once on SQLite)
    # UU PDP: every night, delivery records, stale drafts and state older than RETENTION_DAYS go.
    retention.schedule(app)


async def _post_stop(application: Application) -> None:
    app: ForkomApplication = application  # type: ignore[assignment]
    await app.cluster.stop()


def build_application(settings: Settings, database: Database | None = None) -> ForkomApplication:
    """Build the bot: one readable place with every handler, in order, and its group."""
    database = database or Database(settings.database_url)
    metrics = Metrics()
    processor = PerUserUpdateProcessor()
    # aiohttp, not PTB's httpx: httpx took a third of the bot's CPU in a burst of taps
    # (issue 15). PTB's read timeout (5 s): a stop waits no longer for a Telegram that does not
    # answer. Two connections for getUpdates: the long poll, and PTB's last call at a stop.
    http = (
        AiohttpRequest(pool_size=128, read_timeout=5.0),
        AiohttpRequest(pool_size=2, read_timeout=5.0),
    )
    builder = (
        ApplicationBuilder()
        .application_class(ForkomApplication, kwargs={"settings": settings, "database": database})
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        .context_types(ContextTypes(context=BotContext))
        .persistence(DatabasePersistence(database))
        .concurrent_updates(MeteredUpdates(processor, metrics))
        # One send budget for replies and mass sends, replies first (bot.delivery.budget).
        .rate_limiter(BudgetLimiter(SendBudget.for_settings(settings)))
        .request(http[0])
        .get_updates_request(http[1])
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url).base_file_url(settings.base_file_url or "")
    app: ForkomApplication = builder.build()  # type: ignore[assignment]
    app.metrics = metrics
    app.http = http
    # The services every handler may use (see ForkomApplication for what each is).
    app.delivery = DeliveryEngine(app)
    app.reminders = reminders.ReminderScheduler(app)
    app.review_counter = report_counter.ReviewCounter(app)
    app.charts = statistics.ChartCache()
    app.export_slots = asyncio.Semaphore(1)
    app.export_gate = export.ExportGate()
    app.seen_log = activity.SeenLog(app, database)
    app.rsvp_answers = RsvpAnswers(database)
    minute_jobs = (
        RepeatingJob(
            app,
            registration.sweep_expired,
            interval=timedelta(minutes=1),
            first=timedelta(seconds=5),
            name="registration-sweep",
        ),
        # Village needs: expired forms, and the reminders of survey rounds that are due.
        RepeatingJob(
            app,
            needs.minute_job,
            interval=timedelta(minutes=1),
            first=timedelta(seconds=7),
            name="needs-minute",
        ),
        # Trainings: end-of-day feedback, the follow-ups and their reminder, when due.
        RepeatingJob(
            app,
            training.send_due,
            interval=timedelta(minutes=1),
            first=timedelta(seconds=10),
            name="training-feedback",
        ),
    )
    # The sender, the scheduler and the minute jobs run in one worker: the cluster's leader.
    app.cluster = processor.cluster = Cluster(app, (*app.services, *minute_jobs))
    processor.database = database  # the language of a "terlalu cepat" notice (bot.fairness)

    # Before anything else: who is this, which language, are they reachable again.
    app.add_handler(TypeHandler(Update, activity.track_user), group=-100)
    # Linked groups (bot.groups): their commands, join requests, membership, RSVP presses.
    app.add_handlers(groups.group_handlers(), group=groups.GROUP_CHATS)
    # Then: groups and channels get a hint to open the private chat, and nothing else.
    app.add_handler(TypeHandler(Update, chat_guard.keep_private), group=-1)

    # Deep links before the conversations: an invitation is redeemed whatever form is open.
    invite_link = filters.Regex(rf"^/start {roles.INVITE_PAYLOAD}")
    app.add_handler(CommandHandler("start", roles.redeem_invite, invite_link))
    checkin_link = filters.Regex(rf"^/start {training.CHECKIN_PAYLOAD}")
    app.add_handler(CommandHandler("start", training.checkin_link, checkin_link))

    # Conversations first, so their states see the user's input before plain commands do.
    app.add_handler(registration.conversation(settings.conversation_timeout))
    app.add_handler(broadcast.conversation(settings.conversation_timeout))
    app.add_handler(training.conversation(settings.conversation_timeout))
    app.add_handler(training.move_conversation(settings.conversation_timeout))
    app.add_handler(training.feedback_conversation(settings.conversation_timeout))
    app.add_handler(report_comment.comment_conversation(settings.conversation_timeout))
    app.add_handler(report_submit.conversation(settings.conversation_timeout))
    app.add_handler(reminders.conversation(settings.conversation_timeout))
    # Village needs: /kebutuhan, /survei_kebutuhan, /keahlian (forms), then the rest.
    app.add_handlers(needs.conversations(settings.conversation_timeout))
    app.add_handlers(roles.handlers())
    app.add_handlers(profile.handlers())
    app.add_handlers(language.handlers())
    app.add_handlers(home.handlers())
    app.add_handlers(broadcast.handlers())
    app.add_handlers(training.handlers())
    app.add_handlers(report_review.handlers())
    app.add_handlers(report_list.handlers())
    app.add_handlers(statistics.handlers())
    app.add_handlers(export.handlers())
    app.add_handlers(reminders.handlers())
    app.add_handlers(needs.handlers())
    app.add_handlers(groups.handlers())

    # Feature handlers go above this line. Last in group 0: buttons nobody claimed.
    app.add_handlers(home.fallback_handlers())

    # After everything: persist conversation state now, not at the next interval.
    app.add_handler(TypeHandler(Update, activity.flush_persistence), group=100)
    app.add_error_handler(ErrorReporter())
    return app

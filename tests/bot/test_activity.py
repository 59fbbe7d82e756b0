"""Activity tracking (`bot.activity`): a user seen again after a while is written a moment
later, with the others (and at stop, so a restart loses nothing); what changes how the bot
treats a user — blocked, reachable again — is written at once and is never undone by an
activity time noted before it."""

from __future__ import annotations

from datetime import timedelta

from storage.models import AppUser, utcnow
from tests.auxil.flows import seed_cadre, set_cadre_history

KANAAN = "64.74.03.1001"


def app_user(bot, telegram_id: int) -> AppUser:
    with bot.session() as session:
        row = session.get(AppUser, telegram_id)
        assert row is not None
        session.expunge(row)
        return row


async def test_seen_again_is_written_by_the_next_start(bot, server):
    cadres = [server.new_user() for _ in range(3)]
    long_ago = utcnow() - timedelta(days=40)
    for cadre in cadres:
        seed_cadre(bot, cadre.id, KANAAN)
        set_cadre_history(bot, cadre.id, last_seen_at=long_ago)
    before = utcnow()
    for cadre in cadres:
        await cadre.send_text("/menu")
        assert "Menu utama" in cadre.last_message.text
    await bot.restart()
    for cadre in cadres:
        assert app_user(bot, cadre.id).last_seen_at >= before


async def test_blocking_after_being_seen_stays_blocked(bot, server):
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, KANAAN)
    set_cadre_history(bot, cadre.id, last_seen_at=utcnow() - timedelta(days=2))
    await cadre.send_text("/menu")  # seen again: noted, written a moment later
    await server.after_update(cadre.block_bot()["update_id"])
    assert app_user(bot, cadre.id).unreachable_since is not None  # at once
    await bot.restart()
    row = app_user(bot, cadre.id)
    assert row.unreachable_since is not None
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)


async def test_an_unreachable_cadre_writing_again_is_reachable_at_once(bot, server):
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, KANAAN)
    set_cadre_history(
        bot, cadre.id, last_seen_at=utcnow() - timedelta(days=2), unreachable_since=utcnow()
    )
    await cadre.send_text("/menu")
    row = app_user(bot, cadre.id)
    assert row.unreachable_since is None
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)

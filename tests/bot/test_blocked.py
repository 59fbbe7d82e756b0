"""A cadre who blocks the bot: Telegram's `my_chat_member` (kicked) marks them unreachable, the
broadcast preview does not count them, and unblocking makes them reachable again."""

from __future__ import annotations

import logging

from storage.models import AppUser
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator

KANAAN = "64.74.03.1001"


def app_user(bot, user) -> AppUser:
    with bot.session() as session:
        row = session.get(AppUser, user.id)
        assert row is not None
        session.expunge(row)
        return row


async def handled(server, update: dict) -> None:
    await server.after_update(update["update_id"])


async def preview_control(coordinator) -> str:
    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Rapat kader besok pukul 08.00.")
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    text = coordinator.last_message.text
    await coordinator.send_text("/batal")
    return text


async def test_blocking_and_unblocking_the_bot(bot, server):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    cadres = [server.new_user() for _ in range(3)]
    for cadre in cadres:
        seed_cadre(bot, cadre.id, KANAAN)
    leaver = cadres[0]
    seen = app_user(bot, leaver).last_seen_at
    assert "Penerima: 3 kader" in await preview_control(coordinator)

    await handled(server, leaver.block_bot())
    blocked = app_user(bot, leaver)
    assert blocked.unreachable_since is not None
    assert blocked.last_seen_at == seen  # blocking is not activity
    control = await preview_control(coordinator)
    assert "Penerima: 2 kader" in control and "1 kader yang tidak dapat dihubungi" in control
    assert leaver.messages == []  # nothing was sent to them in reply

    await handled(server, leaver.unblock_bot())
    unblocked = app_user(bot, leaver)
    assert unblocked.unreachable_since is None and unblocked.last_seen_at == seen
    assert "Penerima: 3 kader" in await preview_control(coordinator)


async def test_words_in_a_group_do_not_make_a_blocked_cadre_reachable(bot, server):
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, KANAAN)
    await handled(server, cadre.block_bot())
    await cadre.send_text("Halo semua", chat=operators)
    await cadre.send_text("/profil", chat=operators)
    assert app_user(bot, cadre).unreachable_since is not None
    # Writing in the private chat again is what makes them reachable.
    await handled(server, cadre.unblock_bot())
    await handled(server, cadre.block_bot())
    cadre.chat.blocked = False  # e.g. the unblock update was lost; a message proves it
    await cadre.send_text("/menu")
    assert app_user(bot, cadre).unreachable_since is None
    assert "Menu utama" in cadre.last_message.text


async def test_a_stranger_blocking_the_bot_is_no_error(bot, server, caplog):
    stranger = server.new_user()
    await handled(server, stranger.block_bot())
    await handled(server, stranger.unblock_bot())
    assert stranger.messages == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

"""The delivery engine end to end: outbox → Telegram (the fake server) → outcomes."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.delivery import Payload, PayloadError, submit
from storage import outbox
from storage.db import Database
from storage.models import AppUser, BroadcastRecipient
from tests.auxil.broadcast import delivered, engine, known_users, speed_up, status, wait_finished
from tests.conftest import TOKEN
from tests.fakebot import RateLimiter, RateLimits

PAID = {"paid_broadcast": True, "broadcast_rate": 1000.0}
REPO_ROOT = str(Path(__file__).resolve().parents[2])


async def test_delivers_once_in_each_language_with_buttons_and_a_summary(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    indonesians = [server.new_user() for _ in range(6)]
    english = [server.new_user(language_code="en") for _ in range(4)]
    sender = server.new_user(first_name="Koordinator")
    ids = known_users(bot, indonesians) + known_users(bot, english, "en") + [sender.id]
    payload = Payload(
        text={"id": "<b>Rapat</b> kader besok", "en": "<b>Meeting</b> tomorrow"},
        buttons={"id": [[("Hadir", "x:1")]], "en": [[("Attend", "x:1")]]},
    )
    broadcast_id = submit(
        bot.app,
        kind="announcement",
        recipient_ids=ids[:-1],
        payload=payload,
        sender_id=sender.id,
        progress_chat_id=sender.id,
        meta={"title": "Rapat <kader>"},
    )
    info, counts = await wait_finished(bot, broadcast_id)
    assert (info.status, counts.sent, counts.failed, counts.remaining) == ("done", 10, 0, 0)
    assert delivered(server, ids[:-1]) == dict.fromkeys(ids[:-1], 1)
    assert indonesians[0].last_message.text == "Rapat kader besok"
    assert indonesians[0].last_message.buttons == [["Hadir"]]
    assert english[0].last_message.text == "Meeting tomorrow"
    assert english[0].last_message.buttons == [["Attend"]]
    summary = sender.last_message
    assert "Siaran #" in summary.text and "Rapat <kader>" in summary.text
    assert "Selesai dikirim" in summary.text and "Terkirim: 10" in summary.text
    assert summary.buttons == []  # the stop button is gone once it is over


async def test_same_ref_is_stored_and_sent_once(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    users = [server.new_user() for _ in range(3)]
    ids = known_users(bot, users)
    first = submit(bot.app, kind="reminder", recipient_ids=ids, payload=Payload("Hai"), ref="r:1")
    again = submit(bot.app, kind="reminder", recipient_ids=ids, payload=Payload("Hai"), ref="r:1")
    other = submit(bot.app, kind="training", recipient_ids=ids, payload=Payload("Hai"), ref="r:1")
    assert first == again != other
    await wait_finished(bot, first)
    await wait_finished(bot, other)
    assert delivered(server, ids) == dict.fromkeys(ids, 2)


def test_payloads_telegram_would_refuse_are_refused_before_storing(bot):
    for payload, reason in [
        (Payload("<b>tebal"), "html"),
        (Payload("a <br> b"), "html"),
        (Payload("   "), "empty_text"),
        (Payload("x", photo="p", document="d"), "photo_and_document"),
        (Payload("x", buttons=[[("Ok", "x" * 65)]]), "callback_data"),
        (Payload("x", buttons=[[("", "ok")]]), "buttons"),
    ]:
        with pytest.raises(PayloadError) as raised:
            submit(bot.app, kind="announcement", recipient_ids=[1], payload=payload)
        assert raised.value.reason == reason
    with bot.session() as session:
        assert outbox.recent_broadcasts(session) == []


async def test_blocked_deactivated_and_unknown_chats_fail_with_reasons(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    fine, blocked, gone = server.new_user(), server.new_user(), server.new_user()
    blocked.block_bot()
    server.deactivate(gone)
    ids = [*known_users(bot, [fine, blocked, gone]), 777_000_111]  # never talked to us
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    _, counts = await wait_finished(bot, broadcast_id)
    assert (counts.sent, counts.failed) == (1, 3)
    with bot.session() as session:
        reasons = outbox.failure_reasons(session, broadcast_id)
        unreachable = {
            u.telegram_id for u in session.exec(select(AppUser)).all() if u.unreachable_since
        }
    assert reasons == {"blocked": 1, "deactivated": 1, "chat_not_found": 1}
    assert unreachable == {blocked.id, gone.id}
    # Writing to the bot again makes the cadre reachable again.
    blocked.unblock_bot()
    await blocked.send_text("/menu")
    with bot.session() as session:
        assert session.get(AppUser, blocked.id).unreachable_since is None


async def test_refused_sends_give_their_slot_back_and_delivered_ones_count(bot, server):
    """A 403, a 400 or a 5xx delivered nothing: the pace forgets the send (its slot is free
    again, the arrival guard does not count it); a delivered message stays counted."""
    await bot.restart(**PAID)
    speed_up(bot)
    fine, blocked, flaky = server.new_user(), server.new_user(), server.new_user()
    blocked.block_bot()
    server.fail_next("sendMessage", 502, "Bad Gateway", count=1, chat_id=flaky.id)
    ids = [*known_users(bot, [fine, blocked, flaky]), 777_000_111]  # never talked to us
    pace = engine(bot).budget.mass
    marks: dict[bool, int] = {True: 0, False: 0}
    landed = pace.landed

    def counting(sent_at: float, *, delivered: bool = True) -> None:
        marks[delivered] += 1
        landed(sent_at, delivered=delivered)

    pace.landed = counting  # type: ignore[method-assign]
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    _, counts = await wait_finished(bot, broadcast_id)
    assert (counts.sent, counts.failed) == (2, 2)
    # blocked, chat not found and the 502 gave their slots back; fine and flaky's resend count.
    assert marks == {True: 2, False: 3}


async def test_a_429_storm_pauses_everything_and_loses_nothing(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    users = [server.new_user() for _ in range(40)]
    ids = known_users(bot, users)
    server.limiter = RateLimiter(RateLimits(paid_per_second=15))
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    _, counts = await wait_finished(bot, broadcast_id, timeout=20)
    assert (counts.sent, counts.failed) == (40, 0)
    assert delivered(server, ids) == dict.fromkeys(ids, 1)
    rejected = [c for c in server.calls_for("sendMessage") if c.status == 429]
    assert rejected and engine(bot).retry_after_total >= 1
    # After a 429 nothing new is sent until retry_after (1 s) has passed: what still arrives in
    # the pause are the requests that were already in flight (at most the engine's concurrency;
    # on a loaded machine they can arrive late), and the server refuses them all.
    first_429 = rejected[0].timestamp
    during_pause = [
        c
        for c in server.calls_for("sendMessage")
        if first_429 + 0.1 < c.timestamp < first_429 + 0.9
    ]
    assert len(during_pause) <= engine(bot).concurrency
    assert all(c.status == 429 for c in during_pause)


async def test_transient_errors_are_retried_then_given_up(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    flaky, dead = server.new_user(), server.new_user()
    ids = known_users(bot, [flaky, dead])
    server.fail_next("sendMessage", 502, "Bad Gateway", count=2, chat_id=flaky.id)
    server.fail_next("sendMessage", 500, "Internal Server Error", count=99, chat_id=dead.id)
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    _, counts = await wait_finished(bot, broadcast_id)
    assert (counts.sent, counts.failed) == (1, 1)
    with bot.session() as session:
        rows = {
            r.chat_id: r
            for r in session.exec(
                select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
            )
        }
    assert rows[flaky.id].state == "sent" and rows[flaky.id].attempts == 2
    assert rows[dead.id].state == "failed" and rows[dead.id].error == "network"
    assert rows[dead.id].attempts == engine(bot).max_attempts


async def test_long_text_and_long_caption_are_split_at_paragraphs(bot, server):
    await bot.restart(**PAID)
    speed_up(bot).spacing.private_interval = 0.2
    cadre = server.new_user()
    ids = known_users(bot, [cadre])
    # A photo Telegram knows (sent to the bot it would get a reply: no form is open).
    file_id = server.files.photo_sizes(1280, 960)[-1]["file_id"]
    paragraphs = [f"<b>Bagian {n}</b>\n" + "kata " * 180 for n in range(10)]
    text = "\n\n".join(paragraphs)  # ~9,000 characters
    first = submit(
        bot.app,
        kind="announcement",
        recipient_ids=ids,
        payload=Payload(text, buttons=[[("Ok", "ok:1")]]),
    )
    await wait_finished(bot, first)
    texts = [m for m in cadre.messages if m.kind == "text"]
    assert len(texts) == 3 and all(len(m.text) <= 4096 for m in texts)
    assert texts[0].text.startswith("Bagian 0") and texts[1].text.startswith("Bagian ")
    assert [m.buttons for m in texts] == [[], [], [["Ok"]]]
    sends = [c.timestamp for c in server.calls_for("sendMessage") if c.status == 200]
    assert all(b - a >= 0.15 for a, b in itertools.pairwise(sends))
    second = submit(
        bot.app,
        kind="announcement",
        recipient_ids=ids,
        payload=Payload("\n\n".join(paragraphs[:3]), photo=file_id),
    )
    await wait_finished(bot, second)
    photo_message = next(m for m in cadre.messages if m.kind == "photo")
    assert len(photo_message.text) <= 1024 and photo_message.text.startswith("Bagian 0")
    assert cadre.last_message.kind == "text" and cadre.last_message.text.startswith("Bagian ")


async def test_quiet_hours_hold_ordinary_broadcasts_until_morning(bot, server):
    await bot.restart(quiet_hours=(time(21, 0), time(6, 0)), **PAID)
    night = datetime(2026, 12, 1, 14, 0)  # 22.00 WITA
    clock = {"now": night}
    speed_up(bot, clock=lambda: clock["now"])
    cadre, sender = server.new_user(), server.new_user()
    ids = known_users(bot, [cadre, sender])
    ordinary = submit(
        bot.app,
        kind="announcement",
        recipient_ids=[cadre.id],
        payload=Payload("Besok pagi"),
        progress_chat_id=sender.id,
    )
    urgent = submit(
        bot.app,
        kind="announcement",
        recipient_ids=[cadre.id],
        payload=Payload("Banjir! Segera"),
        urgent=True,
    )
    await wait_finished(bot, urgent)
    await asyncio.sleep(0.4)
    assert cadre.texts == ["Banjir! Segera"]
    assert status(bot, ordinary).pending == 1
    assert "06.00" in sender.last_message.text and "jam istirahat malam" in sender.last_message.text
    clock["now"] = night + timedelta(hours=8, minutes=5)  # 06.05 WITA
    engine(bot).wake()
    await wait_finished(bot, ordinary)
    assert cadre.texts == ["Banjir! Segera", "Besok pagi"]
    assert ids


async def test_cancel_stops_a_running_broadcast(bot, server):
    await bot.restart(broadcast_rate=10.0)
    speed_up(bot)
    users = [server.new_user() for _ in range(40)]
    ids = known_users(bot, users)
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    await server.wait_for(lambda: len(server.calls_for("sendMessage")) >= 5)
    assert await engine(bot).cancel(broadcast_id, by=9001)
    info, counts = await wait_finished(bot, broadcast_id)
    sent_at_cancel = len(server.calls_for("sendMessage"))
    await asyncio.sleep(0.3)
    assert len(server.calls_for("sendMessage")) == sent_at_cancel
    assert info.status == "cancelled"
    assert counts.cancelled > 20 and counts.sent + counts.cancelled == 40
    assert sum(delivered(server, ids).values()) == counts.sent
    assert not await engine(bot).cancel(broadcast_id, by=9001)


async def test_a_clean_restart_mid_broadcast_resumes_without_duplicates(bot, server):
    await bot.restart(broadcast_rate=20.0)
    speed_up(bot)
    users = [server.new_user() for _ in range(30)]
    ids = known_users(bot, users)
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    await server.wait_for(lambda: len(server.calls_for("sendMessage")) >= 8)
    await bot.restart(**PAID)
    speed_up(bot)
    _, counts = await wait_finished(bot, broadcast_id)
    assert counts.sent == 30
    assert delivered(server, ids) == dict.fromkeys(ids, 1)


async def test_groups_and_renamed_supergroups_are_recipients_too(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    group = server.new_group("Kader Bontang Barat")
    kicked = server.new_group("Grup lama")
    server.kick_bot(kicked)
    broadcast_id = submit(
        bot.app, kind="announcement", recipient_ids=[group.id, kicked.id], payload=Payload("Hai")
    )
    _, counts = await wait_finished(bot, broadcast_id)
    assert (counts.sent, counts.failed) == (1, 1)
    assert group.last_message.text == "Hai"
    with bot.session() as session:
        assert outbox.failure_reasons(session, broadcast_id) == {"kicked": 1}


async def test_sigkill_mid_broadcast_then_restart_delivers_everyone(server, database_url, tmp_path):
    """The real bot process is killed with SIGKILL while sending; a fresh one finishes the job.

    Every recipient gets the message; a duplicate is possible only for the few messages that
    were in flight (sent, not yet recorded) at the moment of the kill.
    """
    # The fixture's database is migrated; prepare_database would claim the SQLite file for
    # this process, and the bot below is another process.
    database = Database(database_url)
    users = [server.new_user() for _ in range(80)]
    ids = [user.id for user in users]
    with database.session() as session:
        broadcast_id, _ = outbox.create_broadcast(
            session,
            kind="announcement",
            payload=Payload("Rapat akbar kader").to_json(),
            recipients=ids,
        )
    database.dispose()
    env = {
        **os.environ,
        "PYTHONPATH": REPO_ROOT,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": database_url,
        "FORUM_AREA": "64.74",
        "QUIET_HOURS": "off",
        "BROADCAST_RATE": "25",
        "PTB_TIMEDELTA": "1",
    }

    async def spawn() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

    def received() -> int:
        return sum(server.delivered_count(chat_id) for chat_id in ids)

    first = await spawn()
    try:
        await server.wait_for(lambda: received() >= 25, timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    at_kill = received()
    assert at_kill < len(ids)

    second = await spawn()
    try:
        await server.wait_for(lambda: all(server.delivered_count(i) for i in ids), timeout=30)
        verify = Database(database_url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline:
            with verify.session() as session:
                info = outbox.get_broadcast(session, broadcast_id)
                counts = outbox.broadcast_status(session, broadcast_id)
            if info is not None and info.status == "done":
                break
            await asyncio.sleep(0.1)
        verify.dispose()
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    assert info is not None and info.status == "done"
    assert (counts.sent, counts.failed, counts.remaining) == (80, 0, 0)
    per_chat = [server.delivered_count(chat_id) for chat_id in ids]
    assert min(per_chat) == 1  # nobody lost
    duplicates = sum(per_chat) - len(ids)
    assert duplicates <= 4  # at most the sends in flight at the kill (concurrency 4 at 25/s)


async def test_a_count_that_sees_no_recipient_never_finishes_a_broadcast(bot, server, monkeypatch):
    """A read of the recipients that saw none of them (all zeros) once marked a broadcast of
    20,000 done with nobody sent; such a tally is read again instead, and everyone is sent to."""
    from bot.delivery import engine as engine_module

    await bot.restart(**PAID)
    speed_up(bot)
    users = [server.new_user() for _ in range(3)]
    ids = known_users(bot, users)
    real = outbox.delivery_counts
    blind = {"left": 3}

    def sees_nothing_at_first(session, broadcast_ids):
        if blind["left"]:
            blind["left"] -= 1
            return {b: outbox.DeliveryCounts() for b in broadcast_ids}
        return real(session, broadcast_ids)

    monkeypatch.setattr(engine_module.outbox, "delivery_counts", sees_nothing_at_first)
    broadcast_id = submit(bot.app, kind="announcement", recipient_ids=ids, payload=Payload("Hai"))
    info, counts = await wait_finished(bot, broadcast_id)
    assert blind["left"] == 0
    assert (info.status, counts.sent) == ("done", 3)
    assert delivered(server, ids) == dict.fromkeys(ids, 1)

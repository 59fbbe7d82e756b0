"""One user flooding the bot does not stall the others (security review F1): their updates wait
in their own lane before they take a global slot, the lane is capped and rate-limited, the
excess is dropped with one "terlalu cepat" notice a minute, and every dropped button tap is
still answered so its spinner stops."""

from __future__ import annotations

import asyncio

from bot import fairness
from bot.context import PerUserUpdateProcessor
from bot.i18n import t


class Clock:
    """A monotonic clock the test moves by hand (time stands still unless told)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def processor(bot) -> PerUserUpdateProcessor:
    inner = bot.app.update_processor.inner
    assert isinstance(inner, PerUserUpdateProcessor)
    return inner


def stopped_clock(bot) -> Clock:
    clock = Clock()
    processor(bot).clock = clock
    return clock


async def settle(bot, server, timeout: float = 20.0) -> None:
    """Until the bot has fetched every queued update and finished (or dropped) each."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while server.pending_update_count:
        assert loop.time() < deadline, "the bot did not fetch the flood"
        await asyncio.sleep(0.02)
    await asyncio.wait_for(bot.app.update_queue.join(), deadline - loop.time())


def dropped(bot, kind: str) -> float:
    value = bot.app.metrics.registry.get_sample_value(
        "forkom_updates_dropped_total", {"kind": kind}
    )
    return value or 0.0


def sent_to(server, chat_id: int) -> list[str]:
    """Texts the bot sent to one chat, in the order it sent them."""
    return [
        c.params.get("text", "")
        for c in server.calls_for("sendMessage")
        if c.status == 200 and int(c.params["chat_id"]) == chat_id
    ]


async def test_a_flood_does_not_hold_up_another_users_command(bot, server):
    stopped_clock(bot)
    flooder = server.new_user(first_name="Banjir")
    other = server.new_user(first_name="Sabar")
    flooder.flood_texts(f"pesan {n}" for n in range(300))
    await other.send_text("/batal")  # waits until handled
    assert other.last_message.text.startswith(t("menu.nothing_to_cancel", "id"))
    # Ordering, not timing: the other user was answered while the flooder's lane had barely
    # begun (before the fix, after every update ahead of it in the 64 slots' queue: ~236).
    order = [int(c.params["chat_id"]) for c in server.calls_for("sendMessage")]
    assert order.index(other.id) <= 10, order[:20]
    await settle(bot, server)
    texts = sent_to(server, flooder.id)
    answered = [x for x in texts if x.startswith(t("menu.not_understood", "id"))]
    assert len(answered) == fairness.BURST  # the clock stood still: the burst, then nothing
    assert texts.count(t("fairness.too_fast", "id")) == 1
    assert dropped(bot, "message") == 300 - fairness.BURST
    assert processor(bot).queued == 0


async def test_backlog_cap_and_one_notice_a_minute(bot, server):
    clock = stopped_clock(bot)
    lanes = processor(bot)
    lanes.burst = 1_000  # no rate limit here: only the backlog bounds the lane
    flooder = server.new_user(first_name="Flood", language_code="en")
    flooder.flood_texts(f"message {n}" for n in range(60))
    await settle(bot, server)
    texts = sent_to(server, flooder.id)
    notice = t("fairness.too_fast", "en")
    # One running and MAX_BACKLOG waiting behind it; the other 39 were dropped.
    assert len([x for x in texts if x != notice]) == 1 + fairness.MAX_BACKLOG
    assert texts.count(notice) == 1
    assert dropped(bot, "message") == 60 - 1 - fairness.MAX_BACKLOG

    clock.now += 30  # half a minute later: dropped again, and not told again
    flooder.flood_texts(f"again {n}" for n in range(60))
    await settle(bot, server)
    assert sent_to(server, flooder.id).count(notice) == 1
    clock.now += 31  # past the minute: told once more
    flooder.flood_texts(f"more {n}" for n in range(60))
    await settle(bot, server)
    assert sent_to(server, flooder.id).count(notice) == 2
    assert dropped(bot, "message") == 3 * (60 - 1 - fairness.MAX_BACKLOG)


async def test_rate_limit_refills_and_dropped_taps_are_answered(bot, server):
    clock = stopped_clock(bot)
    tapper = server.new_user(first_name="Ketuk")
    await tapper.send_text("/start")
    tapper.flood_presses("tr:y:999999", 50)  # a script tapping a (forged) button in a loop
    await settle(bot, server)
    answers = [a["text"] for a in tapper.callback_answers]
    assert len(answers) == 50  # every spinner stopped
    counted = fairness.BURST - 1  # /start took a token
    assert answers.count(t("fairness.too_fast_short", "id")) == 50 - counted
    assert answers.count(t("training.rsvp.unknown", "id")) == counted
    assert dropped(bot, "callback_query") == 50 - counted
    # Taps answer with their toast only: no "terlalu cepat" message in the chat.
    assert t("fairness.too_fast", "id") not in tapper.texts

    clock.now += 2  # 2 s at RATE a second: that many more taps count
    tapper.flood_presses("tr:y:999999", 20)
    await settle(bot, server)
    answers = [a["text"] for a in tapper.callback_answers[50:]]
    assert answers.count(t("training.rsvp.unknown", "id")) == int(2 * fairness.RATE)
    assert len(answers) == 20


async def test_a_quiet_lane_is_forgotten(bot, server):
    """Memory stays bounded: a user's lane goes once they are idle and their bucket is full."""
    clock = stopped_clock(bot)
    lanes = processor(bot)
    users = [server.new_user(first_name=f"U{n}") for n in range(5)]
    for user in users:
        user.flood_texts(["halo"] * 3)
    await settle(bot, server)
    assert lanes.lanes == 5  # their buckets are not full yet
    clock.now += fairness.NOTICE_INTERVAL + 1
    await users[0].send_text("halo")  # the next update sweeps the quiet lanes
    assert lanes.lanes == 1  # only this user's, whose bucket is one token short again

"""A seeded random run of many updates through the fake server (issue 10, "Done when").

Guests, cadres, a coordinator and an official send random commands with hostile arguments,
random text (4,000+ characters, emoji, Arabic, HTML-like, replies to the bot's messages),
media where text is expected, taps of their own buttons, of *other* users' buttons and of
forged or oversized callback data, bursts, messages in group chats, and they block and
unblock the bot. Two trainings and three reports exist from the start, so RSVP, review
and list buttons are there to tap and to steal. Afterwards:

- nothing was logged at ERROR (no unhandled exception, no missing translation);
- no delivered text holds a traceback;
- every message in a private chat (text, command, media; a burst may be cut short) and
  every command in a served group got a reply there, every button tap an answer; Telegram refused no reply as malformed (a 400 is a bug: bad HTML, too long, …);
- nobody gained a right: the coordinator and official tables hold what the test set up.

`ROBUSTNESS_UPDATES` sets the number of updates (default 600, what CI runs in well under a
minute); the full run is 5,000 or more:
`ROBUSTNESS_UPDATES=5000 pytest tests/bot/test_robustness.py`. `ROBUSTNESS_SEED` replays a
run (the seed is printed in every failure).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import string
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

from bot.reports.draft import SPLIT_LENGTH
from storage.models import Coordinator, Official
from storage.reports import Decision
from tests.auxil.broadcast import announce_training
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator
from tests.auxil.reports import seed_report
from tests.auxil.runner import BotRunner
from tests.conftest import ADMIN_ID
from tests.fakebot import FakeTelegramServer
from tests.fakebot.models import FakeChat
from tests.fakebot.users import FakeUser

UPDATES = int(os.environ.get("ROBUSTNESS_UPDATES", "600"))
SEED = int(os.environ.get("ROBUSTNESS_SEED", "20261201"))

#: Every command of `bot.menu`, the English spellings, and a few that do not exist.
COMMANDS = (
    "start menu profil berhenti mulai undang koordinator umumkan siaran pelatihan_baru peserta "
    "absensi pelatihan bahasa lapor laporanku tinjau daftar_laporan statistik ekspor pengingat "
    "kebutuhan keahlian survei_kebutuhan peta_kebutuhan cari_kader data_saya hapus_data bantuan "
    "batal cancel help language perintah_aneh start@forkom_test_bot menu@other_bot"
).split()
ARGUMENTS = (
    "",
    "99999999999999999999",
    "-99999999999999999999",
    "²",
    "٣",
    "-1",
    "0",
    "1",
    "abc",
    "🙂",
    "<b>&amp;</b>",
    "'; DROP TABLE cadre;--",
    "64.74.03.1001",
    "99.99",
    "2026-13-45",
    "1 2 3",
    "\u202eabc",
    "inv_" + "A" * 40,
    "ci_99999999999999999999",
    "x" * 300,
)
TEXTS = (
    "halo",
    "Ya",
    "Siti Aminah",
    "Ma'arif Mu'ut Long La'ai",
    "0812-3456-7890",
    "+62 812 3456 7890",
    "12345",
    "مرحبا بالعالم، هذا نص تجريبي",
    "שלום עולם",
    "👩‍👩‍👧‍👦🇮🇩🔥" * 5,
    "<b>bold</b> &amp; <i>",
    "<a href='x'>",
    "&#x27; &lt; &gt;",
    "\u200b\u200d\ufeff",
    "line\nbreaks\n\n\nhere",
    "   ",
    "/",
    "@forkom_test_bot",
    "Pelatihan BUMDes & Koperasi",
    "21:00",
    "31/12/2026 08:00",
    "99999999999999999999",
    "²",
)
#: Bot API methods that put something the user sees into a chat.
REPLIES = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)
_KINDS = ("text", "photo", "document", "location", "contact", "sticker", "voice")
#: 400s that are Telegram's normal answers to racing taps, not malformed requests.
BENIGN_400 = ("message is not modified", "query is too old", "message to edit not found")


@dataclass
class Actor:
    role: str
    user: FakeUser


@dataclass
class Findings:
    unanswered: list[str] = field(default_factory=list)
    updates: int = 0
    messages: int = 0
    commands: int = 0
    presses: int = 0


class RandomRun:
    """Drives the run: picks an actor and an action, sends it, checks it was answered."""

    def __init__(
        self,
        server: FakeTelegramServer,
        actors: list[Actor],
        served: FakeChat,
        foreign: FakeChat,
        rng: random.Random,
    ) -> None:
        self.server = server
        self.actors = actors
        self.served = served  # the operators' group: the bot stays and answers there
        self.foreign = foreign  # a group the bot leaves as soon as it sees it
        self.rng = rng
        self.found = Findings()
        self._harvest: list[str] = []
        self._harvested_upto: dict[int, int] = {}
        self._after_long: set[int] = set()

    # ------------------------------------------------------------------ inputs
    def text(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.08:
            alphabet = string.ascii_letters + " ßàéíöü—🙂مرحبا\n<>&'\""
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(4000, 4096)))
        if pick < 0.2:
            return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 60)))
        return rng.choice(TEXTS)

    def command(self) -> str:
        command = "/" + self.rng.choice(COMMANDS)
        argument = self.rng.choice(ARGUMENTS) if self.rng.random() < 0.6 else ""
        return f"{command} {argument}".rstrip()

    def harvested(self) -> list[str]:
        """Every callback_data the bot has put on a button, in any chat, so far."""
        for chat in self.server.chats:
            start = self._harvested_upto.get(chat.id, 0)
            for message in chat.messages[start:]:
                for row in (message.reply_markup or {}).get("inline_keyboard", []):
                    for button in row:
                        if "callback_data" in button:
                            self._harvest.append(button["callback_data"])
            self._harvested_upto[chat.id] = len(chat.messages)
        return self._harvest

    def forged(self) -> str:
        rng = self.rng
        known = self.harvested()
        pick = rng.random()
        if pick < 0.3 or not known:
            return "".join(rng.choice(string.printable) for _ in range(rng.randint(65, 200)))
        data = rng.choice(known)
        if pick < 0.6:
            digits = "".join(c if not c.isdigit() else "" for c in data)
            return (digits or data) + rng.choice(("99999999999999999999", "²", "-1", ":x:"))
        if pick < 0.8:
            return data.split(":")[0] + ":" + rng.choice(ARGUMENTS)
        return data + "x" * rng.randint(1, 80)

    # ------------------------------------------------------------------ actions
    async def step(self) -> None:
        rng = self.rng
        actor = rng.choice(self.actors)
        user = actor.user
        pick = rng.random()
        if pick < 0.30:
            await self.send_command(user, self.command())
        elif pick < 0.48:
            await self.count(user.send_text(self.text()))
        elif pick < 0.58:
            await self.media(user)
        elif pick < 0.76:
            await self.press_own(user)
        elif pick < 0.84:
            known = self.harvested()
            if known and user.messages:
                await self.press(user, rng.choice(known))
        elif pick < 0.89:
            if user.messages:
                await self.press(user, self.forged())
        elif pick < 0.915:
            await self.flood(user)
        elif pick < 0.93:
            await self.block_and_unblock(user)
        elif pick < 0.95 and user.messages:
            replied = rng.choice(user.messages[-10:])
            await self.count(user.send_text(self.text(), reply_to=replied))
        else:
            await self.in_group(user)

    async def count(self, sending: Any, n: int = 1) -> Any:
        """Send; a message (or album) in a private chat must get a reply there."""
        start = len(self.server.calls)
        self.found.updates += n
        sent = await sending
        first = sent[0] if isinstance(sent, list) else sent
        message = first.get("message")
        if message and message["chat"]["type"] == "private":
            self.found.messages += 1
            chat_id = message["chat"]["id"]
            # A text right after one of 4,000+ characters is taken for the tail Telegram cut
            # off it; the first part's answer covers both (`bot.reports.draft.split_part`).
            tail = chat_id in self._after_long and "text" in message
            self._after_long.discard(chat_id)
            if len(message.get("text", "")) >= SPLIT_LENGTH:
                self._after_long.add(chat_id)
            if not tail and not self._replied(chat_id, start):
                kind = next((k for k in _KINDS if k in message), "message")
                content = str(message.get("text", ""))[:60]
                self.found.unanswered.append(f"{kind} {content!r} from {chat_id}")
        return sent

    async def send_command(self, user: FakeUser, text: str, chat: FakeChat | None = None) -> None:
        target = chat or user.chat
        start = len(self.server.calls)
        await self.count(user.send_text(text, chat=chat))  # checks the reply in private
        self.found.commands += 1
        # `/cmd@other_bot` in a group is another bot's; everything else needs a reply.
        theirs = "@other_bot" in text.split(maxsplit=1)[0]
        if not target.is_private and not theirs and not self._replied(target.id, start):
            self.found.unanswered.append(f"{text[:60]!r} from {user.id} in the group")

    async def press(self, user: FakeUser, data: str, chat: FakeChat | None = None) -> None:
        update = await self.count(user.press_data(data, chat=chat))
        self.found.presses += 1
        query_id = update["callback_query"]["id"]
        if not any(a.get("callback_query_id") == query_id for a in user.callback_answers):
            self.found.unanswered.append(f"tap {data[:70]!r} by {user.id} not answered")

    async def press_own(self, user: FakeUser) -> None:
        rng = self.rng
        markup = user.chat.reply_keyboard_markup
        if markup and rng.random() < 0.3:
            labels = [
                button if isinstance(button, str) else button.get("text", "")
                for row in markup.get("keyboard", [])
                for button in row
            ]
            if labels:
                await self.count(user.tap_reply_button(rng.choice(labels)))
                return
        keyboards = [m for m in user.messages if not m.deleted and m.buttons][-5:]
        buttons = [
            (message, button["callback_data"])
            for message in keyboards
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]
        if not buttons:
            await self.send_command(user, self.command())
            return
        # Mostly the newest keyboard (progress through forms), sometimes a stale one.
        newest = [b for b in buttons if b[0] is keyboards[-1]]
        message, data = rng.choice(newest if newest and rng.random() < 0.75 else buttons)
        update = await self.count(user.press_data(data, message))
        self.found.presses += 1
        query_id = update["callback_query"]["id"]
        if not any(a.get("callback_query_id") == query_id for a in user.callback_answers):
            self.found.unanswered.append(f"own tap {data[:70]!r} by {user.id} not answered")

    async def media(self, user: FakeUser) -> None:
        rng = self.rng
        kind = rng.randrange(8)
        if kind == 0:
            await self.count(user.send_photo(caption=rng.choice((None, self.text()[:1024]))))
        elif kind == 1:
            await self.count(user.send_album(rng.randint(2, 4), caption="album"), 3)
        elif kind == 2:
            name, mime = rng.choice(
                (("x.pdf", "application/pdf"), ("run.exe", "application/x-msdownload"))
            )
            await self.count(user.send_document(name, mime_type=mime))
        elif kind == 3:
            await self.count(user.send_location(rng.uniform(-90, 90), rng.uniform(-180, 180)))
        elif kind == 4:
            await self.count(user.share_contact(own=True))
        elif kind == 5:
            await self.count(user.share_contact("+6281299998888", own=False))
        elif kind == 6:
            await self.count(user.send_sticker())
        else:
            await self.count(user.send_voice())

    async def flood(self, user: FakeUser) -> None:
        texts = [
            self.text() if self.rng.random() < 0.7 else self.command()
            for _ in range(self.rng.randint(10, 30))
        ]
        self.found.updates += len(texts)
        await asyncio.gather(*(user.send_text(text) for text in texts))
        self._after_long.discard(user.id)
        if len(texts[-1]) >= SPLIT_LENGTH:
            self._after_long.add(user.id)

    async def block_and_unblock(self, user: FakeUser) -> None:
        """The user blocks the bot and unblocks it again (a `my_chat_member` update each)."""
        hook = self.server.after_update
        for change in (user.block_bot, user.unblock_bot):
            update = change()
            self.found.updates += 1
            if hook is not None:
                await hook(update["update_id"])

    async def in_group(self, user: FakeUser) -> None:
        rng = self.rng
        if rng.random() < 0.25:
            group = self.foreign
            if group.blocked and rng.random() < 0.5:
                await self.count(user.add_bot_to(group))
            await self.count(user.send_text(self.command(), chat=group))
            return
        group = self.served
        pick = rng.random()
        if pick < 0.5:
            await self.send_command(user, self.command(), chat=group)
        elif pick < 0.8 or not group.messages:
            await self.count(user.send_text(self.text(), chat=group))
        else:
            known = self.harvested() or ["x"]
            await self.press(user, rng.choice(known), chat=group)

    def _replied(self, chat_id: int, start: int) -> bool:
        return any(
            call.method in REPLIES
            and call.status == 200
            and str(call.params.get("chat_id")) == str(chat_id)
            for call in self.server.calls[start:]
        )


def cast(bot: BotRunner, server: FakeTelegramServer) -> tuple[list[Actor], set[tuple[int, str]]]:
    """Three guests, four cadres, a coordinator of Bontang Barat and an official."""
    actors = [Actor("guest", server.new_user(first_name=f"Tamu{i}")) for i in range(3)]
    actors.append(Actor("guest", server.new_user(first_name="Guest", language_code="en")))
    for i, village in enumerate(
        ("64.74.03.1001", "64.74.03.1002", "64.74.01.1001", "64.74.03.1001")
    ):
        cadre = server.new_user(first_name=f"Kader{i}", language_code="en" if i == 3 else "id")
        seed_cadre(bot, cadre.id, village, name=f"Kader {i}")
        actors.append(Actor("cadre", cadre))
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    actors.append(Actor("coordinator", coordinator))
    actors.append(Actor("official", server.new_user(first_name="Dinas", user_id=ADMIN_ID)))
    return actors, {(coordinator.id, BONTANG_BARAT)}


async def seed_content(bot: BotRunner, actors: list[Actor]) -> None:
    """Trainings announced to the cadres (RSVP buttons to tap and to steal) and reports to
    review, list and fix, so buttons of every kind exist from the first step."""
    coordinator = next(a.user for a in actors if a.role == "coordinator")
    cadres = [a.user for a in actors if a.role == "cadre"]
    await announce_training(bot, area="64.74", quota=2, title="Pelatihan BUMDes & Koperasi Ma'arif")
    await announce_training(
        bot, area=BONTANG_BARAT, title="Posyandu <Kanaan>", creator=coordinator.id
    )
    seed_report(bot, cadres[0].id, "64.74.03.1001", title="Bank sampah & daur ulang")
    seed_report(bot, cadres[1].id, "64.74.03.1002", title="Kebun gizi")
    seed_report(bot, cadres[0].id, "64.74.03.1001", title="Diterima", decision=Decision.APPROVE)


class HumanPace:
    """The fairness limiter's clock: one second a step, however fast the test sends."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


# The suite's 300 s timeout fits the default run; the full one gets time in proportion.
@pytest.mark.timeout(max(300, UPDATES // 5))
async def test_random_run(bot: BotRunner, server: FakeTelegramServer, caplog) -> None:
    caplog.set_level(logging.WARNING)
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    foreign = server.new_group("Arisan RT 05")
    actors, roles_set_up = cast(bot, server)
    await seed_content(bot, actors)
    run = RandomRun(server, actors, operators, foreign, random.Random(SEED))
    refusals: list[tuple[str, str, str]] = []
    finish = server._finish

    def recording_finish(method: str, params: dict[str, Any], status: int, body: bytes) -> Any:
        if status == 400:
            refusals.append((method, body.decode()[:200], str(params.get("text", ""))[:80]))
        return finish(method, params, status, body)

    server._finish = recording_finish  # type: ignore[method-assign]
    # The fairness limiter sees people's pace, not the test's: a second passes per step (a
    # flood is one step, so it still overruns the burst and is cut as it should be).
    pace = HumanPace()
    bot.app.update_processor.inner.clock = pace
    while run.found.updates < UPDATES:
        await run.step()
        pace.now += 1.0
    await asyncio.sleep(0.2)  # sends a handler left running (delivery, menus) finish

    where = f"(seed {SEED}, {run.found.updates} updates)"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, f"{len(errors)} errors logged {where}; first:\n" + "\n".join(
        f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in errors[:3]
    )
    delivered = [m.text or "" for chat in server.chats for m in chat.messages]
    assert not [t for t in delivered if "Traceback" in t], f"a traceback was delivered {where}"
    assert not [t for t in (m.text or "" for m in operators.messages) if t.startswith("⚠️")], (
        f"error alerts {where}"
    )
    malformed = [
        (method, reason, snippet)
        for method, reason, snippet in refusals
        if method in REPLIES | {"answerCallbackQuery"} and not any(b in reason for b in BENIGN_400)
    ]
    assert not malformed, f"Telegram refused {len(malformed)} replies {where}: {malformed[:5]}"
    assert not run.found.unanswered, (
        f"{len(run.found.unanswered)} of {run.found.messages} messages, {run.found.commands} "
        f"commands, {run.found.presses} taps unanswered {where}: {run.found.unanswered[:10]}"
    )

    with bot.session() as session:
        coordinators = {
            (row.telegram_id, row.scope_code)
            for row in session.exec(select(Coordinator)).all()
            if row.revoked_at is None
        }
        officials = set(session.exec(select(Official.telegram_id)).all())
    assert coordinators <= roles_set_up, f"a right was gained {where}: {coordinators}"
    assert not officials, f"an official was added {where}: {officials}"
    assert run.found.commands > UPDATES // 10 and run.found.presses > UPDATES // 20


@pytest.fixture(autouse=True)
def _quiet_libraries() -> None:
    """The run sends thousands of requests: keep httpx's INFO lines out of the capture."""
    logging.getLogger("httpx").setLevel(logging.WARNING)

"""Tests for the fake Telegram Bot API server (``tests.fakebot``).

They drive it with the real PTB client (``telegram.Bot``) and a real polling
``Application`` so that what is proven is compatibility with PTB's actual request encoding
and error mapping, not with our assumptions about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import io
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebot import FakeTelegramServer, FakeUser, RateLimits, parse_html
from tests.fakebot.ptb_request import AiohttpRequest
from tests.fakebot.tghtml import HtmlParseError

TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "forkom_test_bot"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegramServer]:
    # RetryAfter's constructor already reads ``retry_after``; without PTB_TIMEDELTA that emits
    # a PTBDeprecationWarning, which this project turns into an error.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeTelegramServer(token=TOKEN, bot_username=BOT_USERNAME) as server:
        yield server


@pytest.fixture
async def tg(fake: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


async def _raw_call(
    fake: FakeTelegramServer, method: str, **payload: object
) -> tuple[int, dict[str, Any]]:
    """POST a JSON body directly (no PTB), returning the HTTP status and the decoded body."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{fake.token}/{method}", json=payload) as response,
    ):
        return response.status, await response.json()


def _make_limited(**limits: int) -> FakeTelegramServer:
    return FakeTelegramServer(token=TOKEN, rate_limits=RateLimits(**limits))


# --------------------------------------------------------------------------- the PTB app
def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Daftar", callback_data="reg"),
                InlineKeyboardButton("Bantuan", callback_data="help"),
            ],
            [InlineKeyboardButton("Situs", url="https://example.org")],
        ]
    )


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "<b>Halo</b>, pilih:", parse_mode="HTML", reply_markup=_keyboard()
    )


async def _share(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Bagikan nomor", request_contact=True)], ["Batal"]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    await update.message.reply_text("Bagikan nomor Anda", reply_markup=markup)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("ok")
    await query.edit_message_text(f"Dipilih: {query.data}")


async def _contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    own = contact.user_id == update.effective_user.id  # type: ignore[union-attr]
    await update.message.reply_text(
        f"Nomor: {contact.phone_number} own={own}", reply_markup=ReplyKeyboardRemove()
    )


async def _photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    with Image.open(io.BytesIO(bytes(data))) as img:
        width, height = img.size
    await update.message.reply_text(
        f"Foto {width}x{height} {len(data)} bytes caption={update.message.caption}"
    )


async def _text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(f"Echo: {update.message.text}")


@pytest.fixture
async def app(fake: FakeTelegramServer) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CommandHandler("share", _share))
    application.add_handler(CallbackQueryHandler(_button))
    application.add_handler(MessageHandler(filters.CONTACT, _contact))
    application.add_handler(MessageHandler(filters.PHOTO, _photo))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _text))

    # Same pattern as the project's harness: after_update waits until PTB has handled it.
    done: set[int] = set()
    changed = asyncio.Event()
    original = application.process_update

    async def tracked(update: object) -> None:
        try:
            await original(update)
        finally:
            if isinstance(update, Update):
                done.add(update.update_id)
                changed.set()

    application.process_update = tracked  # type: ignore[method-assign]

    async def after_update(update_id: int) -> None:
        async with asyncio.timeout(5):
            while update_id not in done:
                changed.clear()
                await changed.wait()

    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    fake.after_update = after_update
    try:
        yield application
    finally:
        fake.after_update = None
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_polling_delivers_command_and_press_edits(
    fake: FakeTelegramServer,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = fake.new_user(first_name="Siti")
    await user.send_command("start")
    msg = user.last_message
    assert msg is not None
    assert msg.text == "Halo, pilih:"
    assert msg.html == "<b>Halo</b>, pilih:"
    assert msg.parse_mode == "HTML"
    assert msg.buttons == [["Daftar", "Bantuan"], ["Situs"]]
    assert msg.button_data == [["reg", "help"], [None]]
    assert msg.raw["entities"] == [{"type": "bold", "offset": 0, "length": 4}]

    await user.press("Daftar")
    assert msg.text == "Dipilih: reg"
    assert msg.edits == 1
    assert msg.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert user.callback_answers[0]["text"] == "ok"
    assert len(user.messages) == 1


async def test_press_matching_rules_and_forged_data(
    fake: FakeTelegramServer,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = fake.new_user()
    await user.send_command("start")
    with pytest.raises(AssertionError, match="Bantuan"):
        await user.press("Tidak ada")
    with pytest.raises(AssertionError, match="no callback_data"):
        await user.press("Situs")
    await user.press("Bant")  # substring of a label
    assert user.last_message is not None and user.last_message.text == "Dipilih: help"

    await user.send_command("start")
    await user.press("reg")  # falls back to callback_data
    assert user.last_message is not None and user.last_message.text == "Dipilih: reg"

    await user.send_command("start")
    await user.press_data("forged:999")
    assert user.last_message is not None and user.last_message.text == "Dipilih: forged:999"


async def test_reply_keyboard_contact_and_text(
    fake: FakeTelegramServer,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = fake.new_user()
    await user.send_text("/share@forkom_test_bot")
    assert user.reply_keyboard == [["Bagikan nomor"], ["Batal"]]
    with pytest.raises(AssertionError, match="Bagikan nomor"):
        await user.tap_reply_button("Nope")
    await user.tap_reply_button("Bagikan nomor")
    assert user.last_message is not None
    assert user.last_message.text == f"Nomor: {user.phone} own=True"
    assert user.reply_keyboard is None

    await user.share_contact("+628111", own=False)
    assert user.last_message is not None and user.last_message.text == "Nomor: +628111 own=False"
    await user.send_text("halo <b>")
    assert user.texts[-1] == "Echo: halo <b>"


async def test_photo_download_through_get_file(
    fake: FakeTelegramServer,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = fake.new_user()
    update = await user.send_photo(caption="ktp", width=640, height=480)
    sizes = update["message"]["photo"]
    assert len(sizes) == 3
    assert len({s["file_id"] for s in sizes}) == 3
    largest = fake.files.get(sizes[-1]["file_id"])
    assert largest is not None
    reply = user.last_message
    assert reply is not None
    assert reply.text == f"Foto 640x480 {len(largest.content)} bytes caption=ktp"
    assert fake.downloads == [largest.file_path]


async def test_album_updates_share_media_group(
    fake: FakeTelegramServer,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = fake.new_user()
    updates = await user.send_album(3, caption="album")
    groups = {u["message"]["media_group_id"] for u in updates}
    assert len(groups) == 1
    assert [u["message"].get("caption") for u in updates] == ["album", None, None]
    assert len(user.messages) == 3  # the bot answered each photo


async def test_wait_for_message_and_timeout_dump(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()

    async def later() -> None:
        await asyncio.sleep(0.05)
        await tg.send_message(user.id, "satu")
        await tg.send_message(user.id, "dua")

    task = asyncio.create_task(later())
    msg = await user.wait_for_message(lambda m: m.text == "dua", timeout=2)
    await task
    assert msg.text == "dua"
    assert await user.wait_for(lambda: len(user.messages) == 2, timeout=1)
    with pytest.raises(AssertionError, match="'dua'"):
        await user.wait_for_message(timeout=0.05)


# --------------------------------------------------------------------------- plain Bot API
async def test_get_me_unknown_method_and_wrong_token(fake: FakeTelegramServer, tg: Bot) -> None:
    me = await tg.get_me()
    assert me.username == BOT_USERNAME
    assert me.id == 123456
    assert me.is_bot
    with pytest.raises(EndPointNotFound):
        await tg.do_api_request("fooBar")
    assert fake.calls[-1].status == 404
    assert await tg.do_api_request("GETME")  # method names are case-insensitive
    wrong = Bot("123456:WRONG", base_url=fake.base_url, base_file_url=fake.base_file_url)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await wrong.initialize()  # get_me → 401 Unauthorized
    await wrong.shutdown()
    assert fake.calls[-1].status == 401


async def test_send_message_state_and_decoded_calls(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    sent = await tg.send_message(
        user.id,
        "<i>Selamat</i> datang 😀 &lt;3 <a href='https://forkom.id'>situs</a>",
        parse_mode="HTML",
        reply_markup=_keyboard(),
    )
    assert sent.text == "Selamat datang 😀 <3 situs"
    assert sent.text_html == (
        '<i>Selamat</i> datang 😀 &lt;3 <a href="https://forkom.id">situs</a>'
    )
    assert sent.from_user is not None and sent.from_user.username == BOT_USERNAME
    assert sent.reply_markup == _keyboard()
    msg = user.last_message
    assert msg is not None and msg.message_id == sent.message_id
    call = fake.calls_for("sendMessage")[0]
    assert call.params["chat_id"] == user.id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "reg"
    assert call.status == 200

    second = await tg.send_message(str(user.id), "123")  # numeric text stays text
    assert second.text == "123"
    assert second.message_id == sent.message_id + 1
    assert fake.stats.sent == 2
    assert fake.delivered_count(user.id) == 2


@pytest.mark.parametrize(
    ("html", "tail"),
    [
        ("hello <foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("baris<br>baris", 'Unsupported start tag "br" at byte offset 5'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("é<b", "Unclosed start tag at byte offset 2"),
    ],
)
async def test_html_errors_are_telegrams(
    fake: FakeTelegramServer, tg: Bot, html: str, tail: str
) -> None:
    user = fake.new_user()
    with pytest.raises(BadRequest) as info:
        await tg.send_message(user.id, html, parse_mode="HTML")
    # PTB strips "Bad Request: " and then str.capitalize()s the rest of the description.
    assert str(info.value) == f"can't parse entities: {tail}".capitalize()
    assert fake.calls[-1].status == 400
    assert user.messages == []


def test_html_parser_entities() -> None:
    parsed = parse_html(
        '<b>a<i>b</i></b> 😀<tg-spoiler>s</tg-spoiler> <pre><code class="language-py">x</code>'
        "</pre><blockquote expandable>q</blockquote> &#128512;&amp;&nbsp;"
    )
    assert parsed.text == "ab 😀s xq 😀&&nbsp;"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "spoiler", "offset": 5, "length": 1},
        {"type": "pre", "language": "py", "offset": 7, "length": 1},
        {"type": "expandable_blockquote", "offset": 8, "length": 1},
    ]
    with pytest.raises(HtmlParseError):
        parse_html("<a href=x y>")


async def test_text_validation_errors(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    with pytest.raises(BadRequest, match="Message text is empty"):
        await tg.send_message(user.id, "   \n ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await tg.send_message(user.id, "<b> </b>", parse_mode="HTML")
    await tg.send_message(user.id, "a" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await tg.send_message(user.id, "a" * 4097)
    # Telegram counts UTF-16 code units after parsing: 2049 emoji = 4098 units.
    with pytest.raises(BadRequest, match="Message is too long"):
        await tg.send_message(user.id, "😀" * 2049)
    await tg.send_message(user.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await tg.send_photo(user.id, photo=_jpeg(), caption="x" * 1025)
    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.send_message(424242, "hi")
    assert fake.stats.rejected_400 == 6
    assert fake.stats.sent == 2


async def test_keyboard_validation(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    ok_data = "x" * 64
    await tg.send_message(
        user.id,
        "ok",
        reply_markup=InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("a", callback_data=ok_data)
        ),
    )
    for bad in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await tg.send_message(
                user.id,
                "bad",
                reply_markup=InlineKeyboardMarkup.from_button(
                    InlineKeyboardButton("a", callback_data=bad)
                ),
            )
    # Raw JSON requests (what other clients send) to check the exact Telegram descriptions.
    empty = {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}
    status, body = await _raw_call(
        fake, "sendMessage", chat_id=user.id, text="e", reply_markup=empty
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    plain = {"inline_keyboard": [[{"text": "a"}]]}
    status, body = await _raw_call(
        fake, "sendMessage", chat_id=user.id, text="p", reply_markup=plain
    )
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse inline keyboard button: Text buttons are "
        "unallowed in the inline keyboard",
    }
    assert len(user.messages) == 1


async def test_edit_delete_and_callback_errors(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    sent = await tg.send_message(user.id, "satu", reply_markup=_keyboard())
    with pytest.raises(BadRequest, match="Message is not modified: specified new message"):
        await tg.edit_message_text("satu", user.id, sent.message_id, reply_markup=_keyboard())
    edited = await tg.edit_message_text("dua", user.id, sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "dua"
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await tg.edit_message_reply_markup(user.id, sent.message_id)
    await tg.edit_message_reply_markup(user.id, sent.message_id, reply_markup=_keyboard())
    assert user.messages[0].buttons[0] == ["Daftar", "Bantuan"]
    assert user.messages[0].edits == 2
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await tg.edit_message_text("x", user.id, 999)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await tg.edit_message_caption(user.id, sent.message_id, caption="c")

    assert await tg.delete_message(user.id, sent.message_id)
    assert user.messages[0].deleted and user.last_message is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await tg.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await tg.answer_callback_query("12345")


async def test_answer_callback_query_once(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    await tg.send_message(user.id, "pilih", reply_markup=_keyboard())
    update = await user.press("Daftar")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["message"]["text"] == "pilih"
    assert await tg.answer_callback_query(query_id, text="oke", show_alert=True)
    assert user.callback_answers == [
        {"callback_query_id": query_id, "text": "oke", "show_alert": True}
    ]
    with pytest.raises(BadRequest, match="Query is too old"):
        await tg.answer_callback_query(query_id)


async def test_blocked_deactivated_and_not_started(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    user.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_message(user.id, "hi")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_chat_action(user.id, "typing")
    user.unblock_bot()
    await tg.send_message(user.id, "hi")
    fake.deactivate(user)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await tg.send_message(user.id, "hi")

    shy = fake.new_user(first_name="Budi", started=False)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await tg.send_message(shy.id, "hi")
    await shy.send_text("halo")
    await tg.send_message(shy.id, "hi")
    assert fake.stats.rejected_403 == 4
    assert fake.delivered_count(user.id) == 1


async def test_get_updates_long_polling_semantics(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    first = await user.send_text("a")
    await user.send_text("b")
    updates = await tg.get_updates()
    assert [u.message.text for u in updates] == ["a", "b"]  # type: ignore[union-attr]
    assert await tg.get_updates(offset=updates[-1].update_id + 1) == ()
    assert fake.pending_update_count == 0
    assert first["update_id"] == updates[0].update_id

    # A long poll returns as soon as an update arrives.
    started = time.monotonic()
    poll = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await user.send_text("c")
    got = await poll
    assert [u.message.text for u in got] == ["c"]  # type: ignore[union-attr]
    assert time.monotonic() - started < 4.5  # well before the 5 s poll timeout

    # allowed_updates filters; limit caps.
    await tg.send_message(user.id, "pilih", reply_markup=_keyboard())
    await user.send_text("d")
    await user.press("Daftar")
    only = await tg.get_updates(offset=got[-1].update_id + 1, allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in only] == [True]
    await user.send_text("e")
    await user.send_text("f")
    limited = await tg.get_updates(limit=1, allowed_updates=[])
    assert len(limited) == 1

    # Empty long poll times out with []; a newer poll terminates an older one (409).
    assert await tg.get_updates(offset=-1, timeout=0) != ()
    assert await tg.get_updates(offset=limited[0].update_id + 100, timeout=0.2) == ()
    async with Bot(TOKEN, base_url=fake.base_url) as other:
        old = asyncio.create_task(tg.get_updates(offset=10_000, timeout=5))
        await asyncio.sleep(0.05)
        new = asyncio.create_task(other.get_updates(offset=10_000, timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await old
        await asyncio.sleep(0.05)
        await fake.stop()  # a stopping server answers pending polls with []
        assert await new == ()


async def test_wait_until_polling_since_ignores_a_gone_bots_poll(
    fake: FakeTelegramServer, tg: Bot
) -> None:
    """A bot that went away mid-poll leaves its poll waiting at the server until its timeout
    (aiohttp does not cancel a handler whose client left): it must not pass for the next
    bot's (bench/rsvp.py timed a bot that was still starting)."""
    gone = asyncio.create_task(tg.get_updates(offset=10_000, timeout=3))
    await fake.wait_until_polling(timeout=5)
    since = time.monotonic()
    gone.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await gone
    with pytest.raises(AssertionError, match="no bot is polling"):
        await fake.wait_until_polling(timeout=0.3, since=since)
    async with Bot(TOKEN, base_url=fake.base_url) as nxt:
        poll = asyncio.create_task(nxt.get_updates(offset=10_000, timeout=1))
        await fake.wait_until_polling(timeout=5, since=since)
        assert await poll == ()


async def test_drop_pending_updates(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    await user.send_text("lama")
    assert fake.pending_update_count == 1
    await tg.delete_webhook(drop_pending_updates=True)
    assert await tg.get_updates() == ()


async def test_rate_limit_per_chat_and_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with _make_limited(per_chat_per_second=1, per_chat_burst=0) as fake:
        user = fake.new_user()
        async with Bot(TOKEN, base_url=fake.base_url) as tg:
            sent = await tg.send_message(user.id, "satu")
            with pytest.raises(RetryAfter) as info:
                await tg.send_message(user.id, "dua")
            assert info.value.retry_after == dtm.timedelta(seconds=1)
            assert fake.calls[-1].status == 429
            # Edits and callback answers are not flood-counted.
            await tg.edit_message_text("satu!", user.id, sent.message_id)
            assert [m.text for m in user.messages] == ["satu!"]  # "dua" was not delivered
            assert fake.stats.rejected_429 == 1
            assert fake.delivered_count(user.id) == 1


async def test_rate_limit_global_group_and_paid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with _make_limited(global_per_second=30, per_group_per_minute=20) as fake:
        # A frozen clock: the 31 sends fall in one second however slow this machine is.
        assert fake.limiter is not None
        fake.limiter.clock = lambda: 1000.0
        users = [fake.new_user() for _ in range(31)]
        async with Bot(TOKEN, base_url=fake.base_url) as tg:
            for user in users[:30]:  # at the limit: all fine
                await tg.send_message(user.id, "broadcast")
            with pytest.raises(RetryAfter):
                await tg.send_message(users[30].id, "broadcast")
            # Paid broadcasts have their own, higher global budget.
            await tg.send_message(users[30].id, "paid", allow_paid_broadcast=True)
            assert fake.stats.sent == 31 and fake.stats.rejected_429 == 1

    async with _make_limited(global_per_second=1000, per_group_per_minute=20) as fake:
        assert fake.limiter is not None
        fake.limiter.clock = lambda: 1000.0
        group = fake.new_group("Forkom Kecamatan")
        async with Bot(TOKEN, base_url=fake.base_url) as tg:
            for i in range(20):
                await tg.send_message(group.id, f"pesan {i}")
            with pytest.raises(RetryAfter) as info:
                await tg.send_message(group.id, "terlalu banyak")
            assert dtm.timedelta(seconds=1) <= info.value.retry_after <= dtm.timedelta(seconds=60)
            assert len(group.messages) == 20


async def test_fault_injection_and_delay(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    other = fake.new_user()
    fake.fail_next("sendMessage", count=1)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await tg.send_message(user.id, "x")
    await tg.send_message(user.id, "y")

    fake.fail_next("sendMessage", status=500, description="Internal Server Error", chat_id=other.id)
    await tg.send_message(user.id, "not affected")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await tg.send_message(other.id, "x")

    # deliver=True: Telegram processed it but the bot sees an error (retry → duplicate).
    fake.fail_next("sendMessage", status=502, deliver=True)
    with pytest.raises(NetworkError):
        await tg.send_message(other.id, "delivered anyway")
    assert other.messages[-1].text == "delivered anyway"

    fake.error_hook = lambda method, params: (
        (429, "Too Many Requests: retry after 3", 3) if params.get("chat_id") == user.id else None
    )
    with pytest.raises(RetryAfter) as info:
        await tg.send_message(user.id, "hooked")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    await tg.send_message(other.id, "fine")
    fake.error_hook = None

    fake.delay = {"sendMessage": 0.2}
    started = time.monotonic()
    await tg.send_message(user.id, "slow")
    assert time.monotonic() - started >= 0.2
    assert [m.text for m in user.messages] == ["y", "not affected", "slow"]
    assert fake.stats.injected_faults == 4


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, format="JPEG")
    return buf.getvalue()


async def test_uploads_are_stored_and_downloadable(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    doc = await tg.send_document(
        user.id,
        document=b"laporan bulanan",
        filename="laporan.pdf",
        caption="<b>Laporan</b>",
        parse_mode="HTML",
    )
    assert doc.document is not None and doc.document.file_name == "laporan.pdf"
    assert doc.document.mime_type == "application/pdf"
    assert doc.caption == "Laporan"
    stored = user.last_message
    assert stored is not None and stored.kind == "document"
    assert stored.file_bytes == b"laporan bulanan" and stored.file_name == "laporan.pdf"
    upload = fake.calls_for("sendDocument")[0].params["document"]
    assert upload.filename == "laporan.pdf" and upload.data == b"laporan bulanan"
    file = await tg.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"laporan bulanan"

    photo = await tg.send_photo(user.id, photo=_jpeg(), caption="foto")
    assert photo.photo[-1].width == 64 and photo.photo[-1].height == 48
    assert user.last_message is not None and user.last_message.file_bytes == _jpeg()
    again = await tg.send_photo(user.id, photo=photo.photo[-1].file_id)  # resend by file_id
    assert again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id

    album = await tg.send_media_group(
        user.id,
        [InputMediaPhoto(_jpeg(), caption="<i>1</i>", parse_mode="HTML"), InputMediaPhoto(_jpeg())],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "1"
    assert [m.kind for m in user.messages[-2:]] == ["media_group_item", "media_group_item"]

    loc = await tg.send_location(user.id, latitude=-6.2, longitude=106.8)
    assert loc.location is not None and loc.location.latitude == -6.2
    assert user.last_message is not None and user.last_message.kind == "location"


async def test_user_files_and_big_file(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    update = await user.send_document("ktp.pdf", b"%PDF-ktp", file_size=None)
    file = await tg.get_file(update["message"]["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"%PDF-ktp"
    big = await user.send_photo(file_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match="File is too big"):
        await tg.get_file(big["message"]["photo"][-1]["file_id"])
    voice = await user.send_voice()
    sticker = await user.send_sticker()
    updates = await tg.get_updates()
    assert updates[-2].message.voice.file_id == voice["message"]["voice"]["file_id"]  # type: ignore[union-attr]
    assert updates[-1].message.sticker.file_id == sticker["message"]["sticker"]["file_id"]  # type: ignore[union-attr]
    assert (await user.send_location(-6.9, 107.6))["message"]["location"]["latitude"] == -6.9


async def test_commands_per_scope(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user()
    default = [BotCommand("start", "Mulai"), BotCommand("help", "Bantuan")]
    admin = [BotCommand("broadcast", "Kirim pengumuman")]
    await tg.set_my_commands(default)
    await tg.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await tg.set_my_commands(admin, scope=BotCommandScopeChat(user.id))
    assert await tg.get_my_commands() == tuple(default)
    assert await tg.get_my_commands(language_code="en") == (BotCommand("start", "Start"),)
    assert await tg.get_my_commands(scope=BotCommandScopeChat(user.id)) == tuple(admin)
    assert await tg.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    await tg.delete_my_commands(scope=BotCommandScopeChat(user.id))
    assert await tg.get_my_commands(scope=BotCommandScopeChat(user.id)) == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await tg.set_my_commands([BotCommand("Bad-Command", "x")])
    assert await tg.set_my_description("Bot Forkom KPM", language_code="id")
    assert (await tg.get_my_description("id")).description == "Bot Forkom KPM"
    assert await tg.set_my_short_description("Forkom")
    assert await tg.set_chat_menu_button()
    webhook = await tg.get_webhook_info()
    assert webhook.url == ""


async def test_groups_channels_copy_forward_and_get_chat(fake: FakeTelegramServer, tg: Bot) -> None:
    user = fake.new_user(username="siti")
    group = fake.new_group("Forkom Desa", supergroup=True)
    channel = fake.new_channel("Pengumuman", username="forkom_info")
    post = await tg.send_message("@forkom_info", "Rapat besok")
    assert post.sender_chat is not None and post.sender_chat.id == channel.id
    assert channel.messages[0].text == "Rapat besok"
    assert fake.chat(channel.id) is channel

    forwarded = await tg.forward_message(group.id, channel.id, post.message_id)
    assert forwarded.forward_origin is not None
    assert forwarded.text == "Rapat besok"
    user_msg = await user.send_photo(caption="bukti", chat=group)
    copy_id = await tg.copy_message(user.id, group.id, user_msg["message"]["message_id"])
    copied = user.last_message
    assert copied is not None and copied.message_id == copy_id.message_id
    assert copied.kind == "photo" and copied.text == "bukti"
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await tg.copy_message(user.id, group.id, 999)

    info = await tg.get_chat(group.id)
    assert info.title == "Forkom Desa" and info.type == "supergroup"
    assert (await tg.get_chat(user.id)).username == "siti"
    assert await tg.send_chat_action(user.id, "typing")
    assert user.chat.chat_actions == ["typing"]

    fake.kick_bot(group)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await tg.send_message(group.id, "x")


async def test_reply_parameters(fake: FakeTelegramServer, tg: Bot) -> None:
    user: FakeUser = fake.new_user()
    update = await user.send_text("pertanyaan")
    answer = await tg.send_message(
        user.id, "jawaban", reply_to_message_id=update["message"]["message_id"]
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "pertanyaan"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await tg.send_message(user.id, "x", reply_to_message_id=999)


async def test_many_sends_are_all_delivered(fake: FakeTelegramServer, tg: Bot) -> None:
    """Thousands of sends, direct and over HTTP, are each delivered once (speed is printed;
    it is measured for real in bench/)."""
    user = fake.new_user()
    params = {
        "chat_id": user.id,
        "text": "<b>Pengumuman</b> rapat anggota Forkom KPM besok pukul 09.00 WIB.",
        "parse_mode": "HTML",
        "reply_markup": _keyboard().to_dict(),
    }
    n = 2000
    started = time.process_time()
    for _ in range(n):
        response = await fake.dispatch("sendMessage", dict(params))
        assert response.status == 200
    per_call = (time.process_time() - started) / n
    print(f"server side: {per_call * 1e6:.0f} µs CPU per sendMessage")  # speed: see bench/

    # End to end through PTB + HTTP in this one process.  PTB's default httpx client costs
    # ~1 ms CPU per call by itself, so benchmarks use the aiohttp request backend.
    async with Bot(TOKEN, base_url=fake.base_url, request=AiohttpRequest(pool_size=8)) as fast:

        async def worker(k: int) -> None:
            for i in range(k, 600, 8):
                await fast.send_message(user.id, f"<b>m</b>{i}", parse_mode="HTML")

        started = time.monotonic()
        await asyncio.gather(*(worker(k) for k in range(8)))
        rate = 600 / (time.monotonic() - started)
    print(f"end to end: {rate:.0f} sendMessage/s")
    assert fake.delivered_count(user.id) == n + 600


async def test_aiohttp_request_backend_uploads_and_errors(fake: FakeTelegramServer) -> None:
    user = fake.new_user()
    async with Bot(
        TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(pool_size=1),
    ) as bot:
        doc = await bot.send_document(user.id, document=b"isi", filename="a.txt")
        assert user.last_message is not None and user.last_message.file_bytes == b"isi"
        assert doc.document is not None
        file = await bot.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"isi"
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(1, "x")
        await user.send_text("halo")
        assert [u.message.text for u in await bot.get_updates(timeout=1)] == ["halo"]  # type: ignore[union-attr]


async def test_bot_in_a_subprocess(fake: FakeTelegramServer) -> None:
    user = fake.new_user()
    script = (
        "import asyncio, sys\n"
        "from telegram import Bot\n"
        "async def main():\n"
        "    async with Bot(sys.argv[1], base_url=sys.argv[2]) as bot:\n"
        "        updates = await bot.get_updates(timeout=10)\n"
        "        for u in updates:\n"
        "            await u.message.reply_text('pong: ' + u.message.text)\n"
        "asyncio.run(main())\n"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, TOKEN, fake.base_url)
    try:
        await fake.wait_until_polling(timeout=20)
        await user.send_text("ping")
        reply = await user.wait_for_message(timeout=10)
        assert reply.text == "pong: ping"
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

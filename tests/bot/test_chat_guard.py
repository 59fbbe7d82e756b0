"""Private by default: in a group the bot answers a command with a hint to open the private
chat and hands out nothing else; it leaves groups it does not serve; groups get no menu."""

from __future__ import annotations

from sqlmodel import select

from bot.i18n import t
from storage.models import Draft
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator
from tests.conftest import ADMIN_ID

KANAAN = "64.74.03.1001"
HINT = t("guard.private_only", "id")
SENSITIVE = [
    "/ekspor",
    "/undang",
    "/peserta",
    "/koordinator",
    "/statistik",
    "/profil",
    "/start",
    "/hapus_data",
    "/lapor",
    "/tinjau",
    "/umumkan",
    "/pelatihan_baru",
    "/pengingat",
    "/daftar_laporan",
    "/menu",
    "/batal",
]


def left_chats(server) -> list[int]:
    return [int(c.params["chat_id"]) for c in server.calls_for("leaveChat")]


async def test_every_command_in_the_operators_group_gets_only_the_hint(bot, server):
    operators = server.new_group("Operator Forkom", supergroup=True)
    await bot.restart(error_chat_id=operators.id)
    official = server.new_user(first_name="Dinas", user_id=ADMIN_ID)
    cadre = server.new_user(first_name="Siti", phone="+6281234567890")
    seed_cadre(bot, cadre.id, KANAAN, name="Siti Aminah", phone="+6281234567890")
    for command in SENSITIVE:
        await official.send_text(command, chat=operators)
        await cadre.send_text(f"{command}@forkom_test_bot", chat=operators)
    hints = operators.messages
    assert len(hints) == 2 * len(SENSITIVE)
    assert {m.text for m in hints} == {HINT}
    assert {m.kind for m in hints} == {"text"}
    link = hints[0].reply_markup["inline_keyboard"][0][0]
    assert link == {"text": "💬 Buka chat pribadi", "url": "https://t.me/forkom_test_bot"}
    # Nothing was started or sent anywhere else, and the bot stays in the operators' group.
    assert official.messages == [] and cadre.messages == []
    assert server.calls_for("sendDocument") == []
    assert left_chats(server) == []
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []


async def test_english_hint_other_bots_commands_and_chatter_in_a_group(bot, server):
    operators = server.new_group("Operators")
    await bot.restart(error_chat_id=operators.id)
    user = server.new_user(language_code="en")
    await user.send_text("/ekspor@some_other_bot", chat=operators)
    await user.send_text("Selamat pagi semua, rapat jam 9", chat=operators)
    await user.send_photo(caption="foto kegiatan", chat=operators)
    assert operators.messages == []
    await user.send_text("/profil", chat=operators)
    assert operators.last_message.text == t("guard.private_only", "en")
    assert operators.last_message.buttons == [["💬 Open private chat"]]


async def test_a_button_pressed_in_a_group_gets_an_alert_and_nothing_else(bot, server):
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik", chat=operators)
    hint = operators.last_message
    await official.press_data("ex:64", message=hint, chat=operators)
    await official.press_data("st:64.74", message=hint, chat=operators)
    assert [a["text"] for a in official.callback_answers] == [
        t("guard.private_only_button", "id")
    ] * 2
    assert all(a["show_alert"] for a in official.callback_answers)
    assert operators.messages == [hint]
    assert server.calls_for("sendDocument") == []


async def test_the_bot_leaves_groups_it_does_not_serve(bot, server):
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    user = server.new_user()
    stranger_group = server.new_group("Grup jual beli")
    await user.add_bot_to(stranger_group)
    assert left_chats(server) == [stranger_group.id]
    assert stranger_group.messages == []
    await user.add_bot_to(operators)
    assert left_chats(server) == [stranger_group.id]
    # A group the bot was already in before: it answers once, then leaves it too.
    old_group = server.new_group("Grup lama", supergroup=True)
    await user.send_text("/undang", chat=old_group)
    assert old_group.last_message.text == HINT
    assert left_chats(server) == [stranger_group.id, old_group.id]


async def test_group_chats_get_no_command_menu(bot, server):
    def scope_types(method: str) -> set[str]:
        return {c.params.get("scope", {}).get("type") for c in server.calls_for(method)}

    private = [
        c
        for c in server.calls_for("setMyCommands")
        if c.params["scope"]["type"] == "all_private_chats"
    ]
    assert {c.params.get("language_code") for c in private} == {None, "en"}
    assert {"start", "bahasa", "bantuan"} <= {
        cmd["command"] for cmd in private[0].params["commands"]
    }
    # Groups fall back to the group scope, then to the default one: neither has commands.
    assert scope_types("setMyCommands") <= {"all_private_chats", "chat"}
    assert {"all_group_chats", "default"} <= scope_types("deleteMyCommands")


async def test_a_coordinator_in_a_group_then_in_private(bot, server):
    group = server.new_group("Forkom Bontang Barat")
    await bot.restart(error_chat_id=group.id)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    await coordinator.send_text("/peserta", chat=group)
    assert group.last_message.text == HINT
    await coordinator.send_text("/menu")
    assert "Menu utama" in coordinator.last_message.text


def test_the_groups_the_bot_stays_in():
    from telegram import Chat

    from bot.chat_guard import stays_in
    from bot.config import Settings

    operators = Chat(-1001, "supergroup", title="Operator Forkom")
    showcase = Chat(-1002, "supergroup", title="Etalase", username="Etalase_KPM")
    other = Chat(-1003, "group", title="Grup lain")
    by_id = Settings(token="1:x", error_chat_id=-1001, feature_channel_id=-1002)
    by_name = Settings(token="1:x", feature_channel_id="@etalase_kpm")
    nothing = Settings(token="1:x")
    assert stays_in(operators, by_id) and stays_in(showcase, by_id)
    assert stays_in(showcase, by_name) and not stays_in(operators, by_name)
    assert not any(stays_in(chat, nothing) for chat in (operators, showcase, other))

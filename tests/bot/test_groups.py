"""Linked Telegram groups (issue 14) end to end: linking with and without rights, join requests
approved and declined, a moved cadre, removal after erasure and after losing a role,
announcements posted to the linked groups at the group limit, an RSVP pressed in a group,
scope rules against forged buttons, the figures — and nothing personal ever posted to a group."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import select

from bot.app import ALLOWED_UPDATES
from bot.callbacks import GroupButton, TrainingButton
from bot.i18n import t
from storage import groups as store
from storage import outbox
from storage.models import AuditLog, GroupMember, LinkedGroup
from tests.auxil.broadcast import wait_finished
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    register_via_chat,
    seed_cadre,
    seed_coordinator,
    village_code,
)
from tests.conftest import ADMIN_ID

ADMIN_NAME = "Dinas"
COORDINATOR_NAME = "Rina Koordinator"


def listen_to_members(server: Any) -> None:
    """The bot asks for `chat_member` in production (`ALLOWED_UPDATES`); the test runner polls
    with the server's defaults, so ask for them here."""
    server.allowed_updates = frozenset(ALLOWED_UPDATES)


def group_texts(group: Any) -> list[str]:
    return [m.text or "" for m in group.messages if not m.deleted]


def assert_nothing_personal(group: Any, *people: Any) -> None:
    """No name, phone or Telegram id of anyone ever appears in what the bot posted there."""
    for text in group_texts(group):
        for person in people:
            for needle in (person.first_name, person.last_name, person.phone, str(person.id)):
                if needle:
                    assert needle not in text, f"{needle!r} posted in the group: {text!r}"


def latest_broadcast(bot: Any) -> int:
    with bot.session() as session:
        [(info, _)] = outbox.recent_broadcasts(session, limit=1)
    return info.id


def linked_group(bot: Any, chat_id: int) -> store.GroupInfo | None:
    with bot.session() as session:
        return store.get_group(session, chat_id)


async def link(coordinator: Any, group: Any, area: str, *, inside: tuple[str, ...] = ()) -> None:
    """/hubungkan_grup in the group, then the area in private: the whole `area`, or the
    kecamatan/kelurahan names of `inside` chosen through the picker."""
    await coordinator.send_command("hubungkan_grup", chat=group)
    if not inside:
        await coordinator.press(GroupButton("s", area=area).pack())
        return
    await coordinator.press(GroupButton("c", area=area).pack())
    for name in inside:
        await coordinator.press(name)


async def linked_kecamatan_group(bot: Any, server: Any, title: str = "Forkom Bontang Barat"):
    """A supergroup linked to Kec. Bontang Barat by its coordinator; returns (group, coordinator)."""
    coordinator = server.new_user(first_name="Rina", last_name="Koordinator")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, COORDINATOR_NAME)
    group = server.new_group(title, supergroup=True)
    await coordinator.add_bot_to(group, admin=True)
    await link(coordinator, group, BONTANG_BARAT)
    info = linked_group(bot, group.id)
    assert info is not None and info.area_code == BONTANG_BARAT and info.invite_link
    return group, coordinator


# ---------------------------------------------------------------- (1) linking


async def test_linking_needs_a_coordinator_and_the_bots_rights(bot, server):
    coordinator = server.new_user(first_name="Rina", last_name="Koordinator")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, COORDINATOR_NAME)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = server.new_user(first_name="Siti", last_name="Aminah")
    seed_cadre(bot, cadre.id, kanaan, name="Siti Aminah", phone=cadre.phone)
    group = server.new_group("Kader Bontang Barat", supergroup=True)

    # Added as a plain member by the coordinator: the bot stays, waiting to be linked.
    await coordinator.add_bot_to(group)
    assert server.calls_for("leaveChat") == []
    await cadre.send_command("hubungkan_grup", chat=group)
    assert group.last_message.text == t("groups.link_not_allowed", "id")
    await coordinator.send_command("hubungkan_grup@forkom_test_bot", chat=group)
    assert "Jadikan bot ini admin" in group.last_message.text
    server.promote_bot(group, can_invite_users=False)
    await coordinator.send_command("hubungkan_grup", chat=group)
    assert "belum punya izin Undang pengguna" in group.last_message.text
    assert linked_group(bot, group.id).area_code is None  # still only waiting
    assert [m.text for m in coordinator.messages] == []  # nothing asked in private yet

    server.promote_bot(group)
    await coordinator.send_command("hubungkan_grup", chat=group)
    assert group.last_message.text == t("groups.link_continue_private", "id")
    ask = coordinator.last_message
    assert "Menghubungkan grup «Kader Bontang Barat»" in ask.text
    assert ask.buttons == [
        ["Seluruh Kec. Bontang Barat, Kota Bontang"],
        ["Pilih kecamatan atau kelurahan/desa di Kec. Bontang Barat, Kota Bontang"],
        ["Batal"],
    ]
    await coordinator.press("Seluruh Kec. Bontang Barat")
    assert "sekarang grup Forkom KPM Kec. Bontang Barat" in coordinator.last_message.text
    link_calls = server.calls_for("createChatInviteLink")
    assert [c.params.get("creates_join_request") for c in link_calls] == [True]
    info = linked_group(bot, group.id)
    assert info.area_code == BONTANG_BARAT and info.invite_link in coordinator.last_message.text
    assert "Grup ini sekarang grup Forkom KPM Kec. Bontang Barat" in group.last_message.text
    # Linked: a second /hubungkan_grup says so; chatter is ignored; the bot never leaves.
    await coordinator.send_command("hubungkan_grup", chat=group)
    assert "sudah terhubung" in group.last_message.text
    await cadre.send_text("Selamat pagi semua", chat=group)
    assert server.calls_for("leaveChat") == []
    assert_nothing_personal(group, coordinator, cadre)


async def test_the_bot_still_leaves_groups_nobody_entitled_added_it_to(bot, server):
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    group = server.new_group("Grup kader", supergroup=True)
    await cadre.add_bot_to(group, admin=True)
    assert [int(c.params["chat_id"]) for c in server.calls_for("leaveChat")] == [group.id]


async def test_one_group_per_area_and_the_picker(bot, server):
    first, coordinator = await linked_kecamatan_group(bot, server)
    second = server.new_group("Kader Kanaan", supergroup=True)
    await coordinator.add_bot_to(second, admin=True)
    await link(coordinator, second, BONTANG_BARAT)
    assert "sudah punya grup Forkom KPM" in coordinator.last_message.text
    assert linked_group(bot, second.id).area_code is None
    # The same pending link, another area: a kelurahan inside the kecamatan.
    await coordinator.press(GroupButton("c", area=BONTANG_BARAT).pack())
    await coordinator.press("Kanaan")
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    assert linked_group(bot, second.id).area_code == kanaan
    assert linked_group(bot, first.id).area_code == BONTANG_BARAT
    # /grup lists both for the coordinator, with their links.
    await coordinator.send_text("/grup")
    listing = coordinator.last_message
    assert "Forkom Bontang Barat" in listing.text and "Kader Kanaan" in listing.text
    assert listing.flat_buttons == ["Lepaskan grup 1", "Lepaskan grup 2"]


async def test_scope_rules_hold_against_forged_buttons(bot, server):
    group, coordinator = await linked_kecamatan_group(bot, server)
    other = server.new_group("Kader Guntung", supergroup=True)
    await coordinator.add_bot_to(other, admin=True)
    await coordinator.send_command("hubungkan_grup", chat=other)
    ask = coordinator.last_message
    # Another kecamatan, the whole forum, a picker node outside the scope, garbage.
    await coordinator.press_data(GroupButton("s", area=BONTANG_UTARA).pack(), message=ask)
    await coordinator.press_data(GroupButton("s", area="64.74").pack(), message=ask)
    await coordinator.press_data(GroupButton("c", area=BONTANG_UTARA).pack(), message=ask)
    await coordinator.press_data(GroupButton("a", code=BONTANG_UTARA).pack(), message=ask)
    await coordinator.press_data("grp:s:64.74.01:x", message=ask)
    answers = [a.get("text") for a in coordinator.callback_answers[-5:]]
    refused = t("groups.area_refused", "id")
    assert answers[:3] == [refused] * 3
    assert answers[3:] == [t("common.stale_button", "id")] * 2
    assert linked_group(bot, other.id).area_code is None
    with bot.session() as session:
        refusals = session.exec(select(AuditLog).where(AuditLog.action == "group.refused")).all()
    assert len(refusals) == 3
    # A newer question (another group) makes the older one's buttons stale.
    third = server.new_group("Kader Api-Api", supergroup=True)
    await coordinator.add_bot_to(third, admin=True)
    await coordinator.send_command("hubungkan_grup", chat=third)
    await coordinator.press(GroupButton("s", area=BONTANG_BARAT).pack(), message=ask)
    assert coordinator.callback_answers[-1]["text"] == t("common.stale_button", "id")
    assert linked_group(bot, other.id).area_code is None
    # A cadre pressing the unlink button of the coordinator's list: refused, still linked.
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.send_text("/start")
    info = linked_group(bot, group.id)
    await cadre.press_data(GroupButton("uy", group_id=info.id).pack())
    assert cadre.callback_answers[-1]["text"] == refused
    # An official unlinks from the list; the bot leaves the group.
    official = server.new_user(first_name=ADMIN_NAME, user_id=ADMIN_ID)
    await official.send_text("/grup")
    await official.press("Lepaskan grup 1")
    await official.press("Ya, lepaskan")
    assert linked_group(bot, group.id) is None
    assert group.id in [int(c.params["chat_id"]) for c in server.calls_for("leaveChat")]
    assert_nothing_personal(group, coordinator, cadre, official)


async def test_lepas_grup_in_the_group(bot, server):
    group, coordinator = await linked_kecamatan_group(bot, server)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.send_command("lepas_grup", chat=group)
    assert group.last_message.text == t("groups.unlink_not_allowed", "id")
    assert linked_group(bot, group.id) is not None
    await coordinator.send_command("lepas_grup", chat=group)
    assert group.last_message.text == t("groups.unlinked_post", "id")
    assert linked_group(bot, group.id) is None
    assert group.id in [int(c.params["chat_id"]) for c in server.calls_for("leaveChat")]


# ---------------------------------------------------------------- (2) joining


async def test_join_requests_approved_for_the_area_declined_otherwise(bot, server):
    listen_to_members(server)
    group, coordinator = await linked_kecamatan_group(bot, server)
    link_url = linked_group(bot, group.id).invite_link
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    guntung = village_code(bot, BONTANG_UTARA, "Guntung")
    cadre = server.new_user(first_name="Siti", last_name="Aminah")
    seed_cadre(bot, cadre.id, kanaan, name="Siti Aminah", phone=cadre.phone)
    elsewhere = server.new_user(first_name="Budi", last_name="Santoso")
    seed_cadre(bot, elsewhere.id, guntung, name="Budi Santoso", phone=elsewhere.phone)
    stranger = server.new_user(first_name="Joko", last_name="Asing", started=False)
    official = server.new_user(first_name=ADMIN_NAME, user_id=ADMIN_ID)

    # /grup hands the cadre the link of their kecamatan's group (no kelurahan group).
    await cadre.send_text("/grup")
    button = cadre.last_message.reply_markup["inline_keyboard"][0][0]
    assert button == {"text": "👥 Gabung ke grup", "url": link_url}
    await cadre.request_to_join(group, link_url)
    assert server.member_status(group, cadre) == "member"
    await coordinator.request_to_join(group, link_url)
    await official.request_to_join(group, link_url)
    assert server.member_status(group, coordinator) == "member"
    assert server.member_status(group, official) == "member"

    await elsewhere.request_to_join(group, link_url)
    assert server.member_status(group, elsewhere) == "left"
    assert "Anda terdaftar di wilayah lain" in elsewhere.last_message.text
    await stranger.request_to_join(group, link_url)
    assert server.member_status(group, stranger) == "left"
    told = stranger.last_message  # written through user_chat_id although never started
    assert "khusus kader yang terdaftar" in told.text
    assert told.reply_markup["inline_keyboard"][0][0]["url"] == "https://t.me/forkom_test_bot"
    approved = {int(c.params["user_id"]) for c in server.calls_for("approveChatJoinRequest")}
    declined = {int(c.params["user_id"]) for c in server.calls_for("declineChatJoinRequest")}
    assert approved == {cadre.id, coordinator.id, official.id}
    assert declined == {elsewhere.id, stranger.id}
    with bot.session() as session:
        members = set(session.exec(select(GroupMember.telegram_id)).all())
    assert members == {cadre.id, coordinator.id, official.id}
    # Nobody was greeted by name in the group: the only posts are those of the linking.
    assert len(group_texts(group)) == 2
    assert group_texts(group)[0] == t("groups.link_continue_private", "id")
    assert_nothing_personal(group, cadre, elsewhere, stranger, coordinator, official)


async def test_a_cadre_of_another_kecamatan_is_pointed_to_their_group(bot, server):
    group, _ = await linked_kecamatan_group(bot, server)
    utara_coordinator = server.new_user(first_name="Ani")
    seed_coordinator(bot, utara_coordinator.id, BONTANG_UTARA, "Ani")
    utara = server.new_group("Forkom Bontang Utara", supergroup=True)
    await utara_coordinator.add_bot_to(utara, admin=True)
    await link(utara_coordinator, utara, BONTANG_UTARA)
    guntung = village_code(bot, BONTANG_UTARA, "Guntung")
    cadre = server.new_user(first_name="Budi", last_name="Santoso")
    seed_cadre(bot, cadre.id, guntung, name="Budi Santoso")
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    declined = cadre.last_message
    assert "Kec. Bontang Barat" in declined.text
    own_link = linked_group(bot, utara.id).invite_link
    assert declined.reply_markup["inline_keyboard"][0][0]["url"] == own_link
    await cadre.request_to_join(utara, own_link)
    assert server.member_status(utara, cadre) == "member"


# ---------------------------------------------------------------- (3) keeping it true


async def test_a_registered_cadre_is_offered_the_link_and_a_moved_one_the_new_one(bot, server):
    listen_to_members(server)
    barat, _ = await linked_kecamatan_group(bot, server)
    utara_coordinator = server.new_user(first_name="Ani")
    seed_coordinator(bot, utara_coordinator.id, BONTANG_UTARA, "Ani")
    utara = server.new_group("Forkom Bontang Utara", supergroup=True)
    await utara_coordinator.add_bot_to(utara, admin=True)
    await link(utara_coordinator, utara, BONTANG_UTARA)

    cadre = server.new_user(first_name="Siti", last_name="Aminah")
    await register_via_chat(cadre, name="Siti Aminah")
    offer = cadre.last_message
    assert "Wilayah Anda punya grup Forkom KPM: Kec. Bontang Barat" in offer.text
    barat_link = linked_group(bot, barat.id).invite_link
    assert offer.reply_markup["inline_keyboard"][0][0]["url"] == barat_link
    await cadre.request_to_join(barat, barat_link)
    assert server.member_status(barat, cadre) == "member"

    await cadre.send_text("/profil")
    await cadre.press("Ubah profil")
    await cadre.press("Wilayah")
    await cadre.press("Bontang Utara")
    await cadre.press("Guntung")
    await cadre.press("Simpan")
    offer = cadre.last_message
    assert "Wilayah baru Anda punya grup Forkom KPM: Kec. Bontang Utara" in offer.text
    utara_link = linked_group(bot, utara.id).invite_link
    assert offer.reply_markup["inline_keyboard"][0][0]["url"] == utara_link
    # Out of the old kecamatan's group, not banned: ban then unban.
    assert server.member_status(barat, cadre) == "left"
    assert [int(c.params["user_id"]) for c in server.calls_for("banChatMember")] == [cadre.id]
    unban = server.calls_for("unbanChatMember")
    assert [(int(c.params["user_id"]), c.params.get("only_if_banned")) for c in unban] == [
        (cadre.id, True)
    ]
    await cadre.request_to_join(utara, utara_link)
    assert server.member_status(utara, cadre) == "member"
    # Back to the old link: declined now, pointed to the new group.
    await cadre.request_to_join(barat, barat_link)
    assert server.member_status(barat, cadre) == "left"
    assert_nothing_personal(barat, cadre)
    assert_nothing_personal(utara, cadre)


async def test_erasure_removes_the_person_from_linked_groups(bot, server):
    listen_to_members(server)
    group, _ = await linked_kecamatan_group(bot, server)
    cadre = server.new_user(first_name="Siti", last_name="Maesaroh")
    await register_via_chat(cadre, name="Siti Maesaroh")
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    assert server.member_status(group, cadre) == "member"
    await cadre.send_text("/hapus_data")
    await cadre.press("Ya, hapus data saya")
    assert server.member_status(group, cadre) == "left"
    assert [int(c.params["user_id"]) for c in server.calls_for("banChatMember")] == [cadre.id]
    with bot.session() as session:
        assert session.exec(select(GroupMember)).all() == []
        rows = session.exec(select(LinkedGroup)).all()
    assert all(str(cadre.id) not in repr(row.model_dump()) for row in rows)
    # Asking again: a stranger now.
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    assert server.member_status(group, cadre) == "left"


async def test_removal_after_a_coordinator_loses_the_role_and_in_basic_groups(bot, server):
    listen_to_members(server)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, COORDINATOR_NAME)
    group = server.new_group("Forkom Bontang Barat")  # a basic group: no ban list to lift
    await coordinator.add_bot_to(group, admin=True)
    await link(coordinator, group, BONTANG_BARAT)
    await coordinator.request_to_join(group, linked_group(bot, group.id).invite_link)
    assert server.member_status(group, coordinator) == "member"
    admin = server.new_user(first_name="Lurah")  # an administrator the bot cannot remove
    server.set_member(group, admin, "administrator")
    official = server.new_user(first_name=ADMIN_NAME, user_id=ADMIN_ID)
    await official.send_text("/koordinator")
    await official.press("Cabut 1")
    await official.press("Ya, cabut")
    assert server.member_status(group, coordinator) == "kicked"
    assert server.member_status(group, admin) == "administrator"


async def test_removal_can_be_switched_off(bot, server):
    await bot.restart(group_removal=False)
    listen_to_members(server)
    group, _ = await linked_kecamatan_group(bot, server)
    cadre = server.new_user()
    await register_via_chat(cadre)
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    await cadre.send_text("/hapus_data")
    await cadre.press("Ya, hapus data saya")
    assert server.member_status(group, cadre) == "member"
    assert server.calls_for("banChatMember") == []


async def test_a_member_leaving_is_no_longer_counted(bot, server):
    listen_to_members(server)
    group, _ = await linked_kecamatan_group(bot, server)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    with bot.session() as session:
        assert store.is_member(session, group.id, cadre.id)
    await cadre.leave(group)
    with bot.session() as session:
        assert not store.is_member(session, group.id, cadre.id)


# ---------------------------------------------------------------- (4) announcements


async def test_an_announcement_is_posted_to_the_linked_groups_of_its_area(bot, server):
    barat, coordinator = await linked_kecamatan_group(bot, server)
    kanaan_group = server.new_group("Kader Kanaan", supergroup=True)
    await coordinator.add_bot_to(kanaan_group, admin=True)
    await link(coordinator, kanaan_group, BONTANG_BARAT, inside=("Kanaan",))
    utara_coordinator = server.new_user(first_name="Ani")
    seed_coordinator(bot, utara_coordinator.id, BONTANG_UTARA, "Ani")
    utara = server.new_group("Forkom Bontang Utara", supergroup=True)
    await utara_coordinator.add_bot_to(utara, admin=True)
    await link(utara_coordinator, utara, BONTANG_UTARA)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))

    # Two parts (over 4096 characters): the second waits the group interval (20 a minute).
    text = "Rapat kader kecamatan.\n\n" + "\n\n".join(["Agenda rapat kader. " * 20] * 14)
    assert len(text) > 4096
    await coordinator.send_text("/umumkan")
    await coordinator.send_text(text)
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    assert "Juga dikirim ke 2 grup Forkom KPM" in coordinator.last_message.text
    await coordinator.press("Kirim")
    await wait_finished(bot, latest_broadcast(bot), timeout=30)
    for group in (barat, kanaan_group):
        posted = [m for m in group.messages if m.text and "Agenda rapat" in m.text]
        assert len(posted) == 2, group.dump()
        sends = [
            c.timestamp
            for c in server.calls_for("sendMessage")
            if int(c.params["chat_id"]) == group.id
            and c.status == 200
            and "Agenda" in c.params["text"]
        ]
        assert sends[1] - sends[0] >= 3.0
    assert not any("Agenda" in text for text in group_texts(utara))
    assert len([m for m in cadre.messages if "Agenda" in (m.text or "")]) == 2


async def test_an_institution_filtered_announcement_stays_out_of_groups(bot, server):
    group, coordinator = await linked_kecamatan_group(bot, server)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"), institution="pkk")
    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Untuk PKK saja")
    await coordinator.press("Semua kader")
    await coordinator.press("PKK")
    await coordinator.press("Lanjut")
    assert "Juga dikirim" not in coordinator.last_message.text
    before = list(group.messages)
    await coordinator.press("Kirim")
    await wait_finished(bot, latest_broadcast(bot))
    assert group.messages == before
    assert cadre.texts == ["Untuk PKK saja"]


async def test_an_rsvp_pressed_in_a_group_is_answered_privately(bot, server):
    group, coordinator = await linked_kecamatan_group(bot, server)
    cadre = server.new_user(first_name="Siti", last_name="Aminah")
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.send_text("/start")
    stranger = server.new_user(first_name="Joko", started=False)

    await coordinator.send_text("/pelatihan_baru")
    await coordinator.send_text("Gizi Balita")
    await coordinator.send_text("Materi penimbangan dan pencatatan KMS.")
    await coordinator.send_text(f"25/12/{datetime.now().year + 1} 08.00")
    await coordinator.send_text("15.00")  # the end time
    await coordinator.send_text("Aula Kantor Lurah Kanaan")
    await coordinator.send_text("25")
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    assert "Juga dikirim ke 1 grup Forkom KPM" in coordinator.last_message.text
    await coordinator.press("📣 Umumkan")
    await wait_finished(bot, latest_broadcast(bot))
    announcement = next(m for m in group.messages if "Gizi Balita" in (m.text or ""))
    assert announcement.buttons == [["✅ Ikut", "Tidak bisa"]]
    before = list(group.messages)
    private_before = len(cadre.messages)

    await cadre.press("Ikut", message=announcement, chat=group)
    assert cadre.callback_answers[-1]["text"] == t("training.rsvp.joined", "id", position=0)
    confirmation = cadre.messages[private_before:]
    assert len(confirmation) == 1 and "Gizi Balita" in confirmation[0].text
    await stranger.press("Ikut", message=announcement, chat=group)
    assert stranger.callback_answers[-1]["show_alert"] is True
    assert stranger.messages == []
    assert group.messages == before  # nothing posted in the group
    data = TrainingButton("y", training_id=1).pack()
    assert announcement.button_data[0][0] == data
    assert_nothing_personal(group, cadre, stranger, coordinator)


# ---------------------------------------------------------------- (5) figures


async def test_statistik_shows_the_groups_their_cadres_and_who_is_missing(bot, server):
    group, coordinator = await linked_kecamatan_group(bot, server)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    inside = [server.new_user() for _ in range(3)]
    for cadre in inside:
        seed_cadre(bot, cadre.id, kanaan)
    for cadre in inside[:2]:
        await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    await coordinator.request_to_join(group, linked_group(bot, group.id).invite_link)
    await coordinator.send_text("/statistik")
    figures = next(m.text for m in reversed(coordinator.messages) if "Statistik" in (m.text or ""))
    assert "👥 Grup Telegram: 1 terhubung" in figures
    assert "• Kec. Bontang Barat: 2 kader di grup, 1 belum bergabung" in figures


async def test_a_group_that_removed_the_bot_is_forgotten(bot, server):
    listen_to_members(server)
    group, coordinator = await linked_kecamatan_group(bot, server)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.request_to_join(group, linked_group(bot, group.id).invite_link)
    await cadre.send_text("/data_saya")
    data = json.loads(server.calls_for("sendDocument")[-1].params["document"].data)
    assert [m["chat_id"] for m in data["group_memberships"]] == [group.id]
    await coordinator.remove_bot_from(group)
    assert linked_group(bot, group.id) is None
    await cadre.send_text("/grup")
    assert cadre.last_message.text == t("groups.none_for_you", "id")


async def test_a_linked_group_that_becomes_a_supergroup_stays_linked(bot, server):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, COORDINATOR_NAME)
    old = server.new_group("Forkom Bontang Barat")
    await coordinator.add_bot_to(old, admin=True)
    await link(coordinator, old, BONTANG_BARAT)
    await coordinator.request_to_join(old, linked_group(bot, old.id).invite_link)
    new = server.new_group("Forkom Bontang Barat", supergroup=True)
    server.promote_bot(new)

    def service(chat: Any, **field: int) -> dict[str, Any]:
        return {
            "message": {
                "message_id": chat.next_message_id(),
                "from": coordinator.to_dict(),
                "chat": chat.to_dict(),
                "date": int(datetime.now().timestamp()),
                **field,
            }
        }

    await server.enqueue_updates([service(new, migrate_from_chat_id=old.id)])
    await server.enqueue_updates([service(old, migrate_to_chat_id=new.id)])
    await coordinator.send_text("Selamat pagi", chat=new)
    assert server.calls_for("leaveChat") == []
    assert linked_group(bot, old.id) is None
    assert linked_group(bot, new.id).area_code == BONTANG_BARAT
    with bot.session() as session:
        assert store.is_member(session, new.id, coordinator.id)

"""End-to-end: officials invite coordinators by one-time deep links, list and revoke them."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import time, timedelta

from sqlmodel import select

from bot.auth import Identity, may_override
from storage import roles
from storage import training as training_store
from storage.models import AuditLog, CoordinatorInvite, ReminderStatus
from storage.recurrence import Rule
from tests.auxil.broadcast import announce_training, speed_up
from tests.auxil.flows import seed_coordinator
from tests.auxil.reminders import reminder_row, seed_reminder, wita
from tests.auxil.reports import KANAAN
from tests.conftest import ADMIN_ID


def _invite_code(text: str) -> str:
    match = re.search(r"start=inv_([A-Za-z0-9]+)", text)
    assert match, text
    return match[1]


async def _message_containing(user, needle: str):
    """A message already received or arriving soon (notifications go through the outbox)."""
    for _ in range(100):
        found = [m for m in user.messages if m.from_bot and needle in (m.text or "")]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {needle!r}")


async def _create_invite(official, kecamatan: str = "Bontang Barat") -> str:
    await official.send_text("/undang")
    assert "Seluruh Kota Bontang" in str(official.last_message.buttons)
    await official.press(kecamatan)
    await official.press(f"Seluruh Kec. {kecamatan}")
    text = official.last_message.text
    assert f"Kec. {kecamatan}" in text and "WITA" in text
    return _invite_code(text)


async def test_invite_makes_a_coordinator_once(bot, server):
    official = server.new_user(user_id=ADMIN_ID, first_name="Pak Dinas")
    code = await _create_invite(official)
    assert "https://t.me/forkom_test_bot?start=inv_" in official.last_message.text

    coordinator = server.new_user(first_name="Bu Koordinator")
    await coordinator.send_text(f"/start inv_{code}")
    assert "koordinator Kec. Bontang Barat" in coordinator.texts[-2]
    with bot.session() as session:
        assert roles.coordinator_scopes(session, coordinator.id) == ["64.74.03"]
    scoped = [
        c
        for c in server.calls_for("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == coordinator.id
    ]
    assert scoped and any(cmd["command"] == "menu" for cmd in scoped[-1].params["commands"])

    latecomer = server.new_user()
    await latecomer.send_text(f"/start inv_{code}")
    assert "sudah dipakai" in latecomer.last_message.text
    with bot.session() as session:
        assert roles.coordinator_scopes(session, latecomer.id) == []
        actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions == ["invite.create", "coordinator.add"]


async def test_expired_and_unknown_invites(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official, "Bontang Utara")
    with bot.session() as session:
        invite = session.exec(
            select(CoordinatorInvite).where(CoordinatorInvite.code_hash == roles.hash_code(code))
        ).one()
        invite.expires_at = invite.created_at - timedelta(seconds=1)
        session.add(invite)
    user = server.new_user()
    await user.send_text(f"/start inv_{code}")
    assert "kedaluwarsa" in user.last_message.text
    await user.send_text("/start inv_doesnotexist")
    assert "tidak dikenal" in user.last_message.text
    with bot.session() as session:
        assert roles.coordinator_scopes(session, user.id) == []


async def test_only_officials_can_invite_even_with_forged_buttons(bot, server):
    cadre = server.new_user()
    await cadre.send_text("/undang")
    assert "hanya untuk petugas" in cadre.last_message.text
    await cadre.press_data("inv:a:64.74")
    assert "hanya untuk petugas" in cadre.callback_answers[-1]["text"]
    await cadre.send_text("/koordinator")
    assert "hanya untuk petugas" in cadre.last_message.text
    await cadre.press_data("crd:ry:1")
    with bot.session() as session:
        assert session.exec(select(CoordinatorInvite)).all() == []
        assert session.exec(select(AuditLog)).all() == []


async def test_official_cannot_pick_a_scope_outside_the_forum(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/undang")
    await official.press_data("inv:r:64.71.01")  # Balikpapan is not in this forum
    assert official.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    await official.press_data("inv:a:64")
    with bot.session() as session:
        assert session.exec(select(CoordinatorInvite)).all() == []


async def test_list_and_revoke_coordinators(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official)
    coordinator = server.new_user(first_name="Rahmat", last_name=None)
    await coordinator.send_text(f"/start inv_{code}")
    await _message_containing(official, "sudah dipakai oleh")  # the issuer is told first

    await official.send_text("/koordinator")
    listing = official.last_message
    assert "Rahmat — Kec. Bontang Barat" in listing.text
    await official.press("Cabut 1. Rahmat")
    assert "Cabut hak koordinator" in official.last_message.text
    await official.press("Batal")
    assert "Tidak jadi dicabut" in official.last_message.text
    with bot.session() as session:
        assert roles.coordinator_scopes(session, coordinator.id) == ["64.74.03"]

    await official.send_text("/koordinator")
    await official.press("Cabut 1. Rahmat")
    await official.press("Ya, cabut")
    assert "sudah dicabut" in official.last_message.text
    with bot.session() as session:
        assert roles.coordinator_scopes(session, coordinator.id) == []
        actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions[-1] == "coordinator.revoke"
    await official.send_text("/koordinator")
    assert "Belum ada koordinator" in official.last_message.text


async def test_codes_are_stored_hashed_and_never_in_the_audit_log(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official)
    await server.new_user(first_name="Rahmat", last_name=None).send_text(f"/start inv_{code}")
    with bot.session() as session:
        (invite,) = session.exec(select(CoordinatorInvite)).all()
        assert invite.code_hash == hashlib.sha256(code.encode()).hexdigest()
        stored = [invite.model_dump_json()] + [
            a.model_dump_json() for a in session.exec(select(AuditLog)).all()
        ]
    assert not any(code in row for row in stored)


async def test_the_issuer_is_told_who_redeemed_and_can_revoke(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official)
    coordinator = server.new_user(first_name="Rahmat", last_name="Hidayat")
    await coordinator.send_text(f"/start inv_{code}")
    told = await _message_containing(official, "sudah dipakai oleh")
    assert "Rahmat Hidayat" in told.text and "Kec. Bontang Barat" in told.text
    await official.press("Cabut hak Rahmat Hidayat", message=told)
    await official.press("Ya, cabut")
    with bot.session() as session:
        assert roles.coordinator_scopes(session, coordinator.id) == []


async def test_an_unused_invite_can_be_withdrawn(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official)
    await official.press("🚫 Batalkan undangan ini")
    assert "sudah dibatalkan" in official.last_message.text
    user = server.new_user()
    await user.send_text(f"/start inv_{code}")
    assert "tidak dikenal" in user.last_message.text

    second = await _create_invite(official, "Bontang Utara")
    await official.send_text("/koordinator")
    assert "Undangan belum dipakai" in official.last_message.text
    assert "Kec. Bontang Utara" in official.last_message.text
    await official.press("Batalkan undangan #2")
    await official.press_data("ivx:x:2")  # twice: nothing left to withdraw
    assert "sudah dipakai, kedaluwarsa, atau dibatalkan" in official.last_message.text
    await user.send_text(f"/start inv_{second}")
    assert "tidak dikenal" in user.last_message.text
    with bot.session() as session:
        assert roles.pending_invites(session) == []


async def test_strangers_cannot_withdraw_invites(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    code = await _create_invite(official)
    stranger = server.new_user()
    await stranger.send_text("/koordinator")
    await stranger.press_data("ivx:x:1")
    assert "hanya untuk petugas" in stranger.callback_answers[-1]["text"]
    await stranger.press_data("ivx:x:99999999999999999999")
    user = server.new_user()
    await user.send_text(f"/start inv_{code}")
    assert "Anda sekarang" in user.texts[-2]


async def test_a_coordinator_opening_their_own_scope_again_leaves_the_invite(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    first, second = await _create_invite(official), await _create_invite(official)
    coordinator = server.new_user(first_name="X" * 130, last_name=None)  # longer than the column
    await coordinator.send_text(f"/start inv_{first}")
    await coordinator.send_text(f"/start inv_{second}")
    assert "sudah menjadi koordinator" in coordinator.last_message.text
    with bot.session() as session:
        assert [i.scope_code for i in roles.pending_invites(session)] == ["64.74.03"]
        assert [c.display_name for c in roles.list_coordinators(session)] == ["X" * 100]


# ---------------------------------------------------------------- who may undo whose work (F9)


def _identity(user_id: int, *scopes: str, official: bool = False) -> Identity:
    return Identity(
        user_id=user_id, is_official=official, forum_area="64", coordinator_scopes=scopes
    )


def test_only_officials_or_wider_coordinators_override_others_work():
    official = _identity(1, official=True)
    kota = _identity(2, "64.74")
    kecamatan = _identity(3, "64.74.03")
    kelurahan = _identity(4, "64.74.03.1003")
    gone = _identity(5)  # a coordinator since revoked
    assert may_override(official, kota) and may_override(kota, kecamatan)
    assert may_override(kecamatan, kelurahan) and may_override(kelurahan, kelurahan)
    assert may_override(kelurahan, gone)
    assert not may_override(kelurahan, official)
    assert not may_override(kelurahan, kecamatan)
    assert not may_override(kecamatan, kota)
    assert not may_override(kota, official)


async def test_a_kelurahan_coordinator_cannot_undo_an_officials_training(bot, server):
    speed_up(bot)
    local = server.new_user(first_name="Lurah")
    seed_coordinator(bot, local.id, KANAAN)
    training = await announce_training(bot, area=KANAAN, creator=ADMIN_ID)
    await local.send_text(f"/peserta {training.id}")
    for data in (f"tr:x:{training.id}", f"tr:xy:{training.id}", f"tr:mv:{training.id}"):
        await local.press_data(data, message=local.last_message)
        assert local.callback_answers[-1]["show_alert"]
    await local.send_text("01/01/2030 08.00")  # no rescheduling was opened
    with bot.session() as session:
        after = training_store.get_training(session, training.id)
    assert not after.cancelled and after.starts_at == training.starts_at

    own = await announce_training(bot, area=KANAAN, creator=local.id, title="Pelatihan Lurah")
    await local.send_text(f"/peserta {own.id}")
    await local.press_data(f"tr:xy:{own.id}", message=local.last_message)
    with bot.session() as session:
        assert training_store.get_training(session, own.id).cancelled


async def test_a_kelurahan_coordinator_cannot_pause_or_delete_an_officials_reminder(bot, server):
    local = server.new_user(first_name="Lurah")
    seed_coordinator(bot, local.id, KANAAN)
    reminder = seed_reminder(bot, ADMIN_ID, KANAAN, Rule.daily(time(8)), wita(2026, 11, 23))
    await local.send_text("/pengingat")
    for data in (f"rm:p:{reminder.id}", f"rm:x:{reminder.id}", f"rm:xy:{reminder.id}"):
        await local.press_data(data, message=local.last_message)
    assert reminder_row(bot, reminder.id).status is ReminderStatus.ACTIVE
    await local.press_data(f"rm:v:{reminder.id}", message=local.last_message)  # looking is fine
    assert "hanya untuk" not in (local.callback_answers[-1].get("text") or "")

"""End-to-end: officials invite coordinators by one-time deep links, list and revoke them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from storage import roles
from storage.models import AuditLog, CoordinatorInvite
from tests.conftest import ADMIN_ID


def _invite_code(text: str) -> str:
    match = re.search(r"start=inv_([A-Za-z0-9]+)", text)
    assert match, text
    return match[1]


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
        invite = session.get(CoordinatorInvite, code)
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

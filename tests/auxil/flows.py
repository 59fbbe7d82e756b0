"""Reusable user journeys and data seeding for end-to-end tests of every feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from storage import people, roles
from tests.auxil.runner import BotRunner

BONTANG_BARAT = "64.74.03"
BONTANG_UTARA = "64.74.01"
BONTANG_SELATAN = "64.74.02"


async def register_via_chat(
    user: Any,
    *,
    name: str = "Siti Aminah",
    kecamatan: str = "Bontang Barat",
    kelurahan: str = "Kanaan",
    institution: str = "PKK",
    phone: str | None = None,
) -> None:
    """Register `user` the way a cadre does: /start, consent, name, contact, picker, save."""
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text(name)
    if phone:
        await user.send_text(phone)
    else:
        await user.tap_reply_button("📱 Bagikan nomor HP")
    await user.press(kecamatan)
    await user.press(kelurahan)
    await user.press(institution)
    await user.press("Simpan")


def village_code(runner: BotRunner, kecamatan_code: str, kelurahan: str) -> str:
    from storage.regions import children

    with runner.session() as session:
        for region in children(session, kecamatan_code):
            if region.name == kelurahan:
                return region.code
    raise AssertionError(f"no kelurahan {kelurahan!r} in {kecamatan_code}")


def seed_cadre(
    runner: BotRunner,
    telegram_id: int,
    village: str,
    *,
    name: str = "Kader Uji",
    institution: str = "pkk",
    phone: str = "+6281200000000",
    **extra: Any,
) -> None:
    """Insert a registered cadre directly (fast set-up for tests of later features)."""
    with runner.session() as session:
        people.touch_user(session, telegram_id, "id")
        people.save_cadre(
            session,
            telegram_id,
            full_name=name,
            phone=phone,
            village_code=village,
            institution=institution,
            institution_other=extra.get("institution_other"),
        )


def seed_coordinator(
    runner: BotRunner, telegram_id: int, scope: str, name: str = "Koordinator"
) -> None:
    """Make `telegram_id` coordinator of `scope` through a real invite."""
    from datetime import timedelta

    with runner.session() as session:
        invite = roles.create_invite(session, scope, 9001, timedelta(hours=1))
    with runner.session() as session:
        roles.redeem_invite(session, invite.code, telegram_id, name)


def set_cadre_history(
    runner: BotRunner,
    telegram_id: int,
    *,
    registered_at: datetime | None = None,
    last_seen_at: datetime | None = None,
    unreachable_since: datetime | None = None,
) -> None:
    """Backdate a seeded cadre's registration and activity (naive UTC), for period figures."""
    from storage.models import AppUser, Cadre

    with runner.session() as session:
        cadre = session.exec(select(Cadre).where(Cadre.telegram_id == telegram_id)).one()
        user = session.get(AppUser, telegram_id)
        assert user is not None
        if registered_at is not None:
            cadre.registered_at = cadre.consent_at = registered_at
        if last_seen_at is not None:
            user.last_seen_at = last_seen_at
        user.unreachable_since = unreachable_since
        session.add(cadre)
        session.add(user)

"""Helpers for the innovation-report tests: people, a report through the chat, seeded reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage import reports as store
from storage.reports import Decision, MediaItem, ReportInfo
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator, village_code
from tests.auxil.runner import BotRunner

KANAAN = "64.74.03.1003"
BELIMBING = "64.74.03.1001"
API_API = "64.74.01.1006"
STORY = "Kelompok ibu-ibu PKK mengolah sampah plastik menjadi tas dan dompet untuk dijual."


def cadre(bot: BotRunner, server: Any, village: str = KANAAN, name: str = "Siti Aminah") -> Any:
    user = server.new_user(first_name=name.split()[0], last_name=name.split()[-1])
    seed_cadre(bot, user.id, village, name=name)
    return user


def coordinator(bot: BotRunner, server: Any, scope: str = BONTANG_BARAT, name: str = "Budi") -> Any:
    user = server.new_user(first_name=name, last_name=None)
    seed_coordinator(bot, user.id, scope, name=name)
    return user


async def report_via_chat(
    user: Any,
    *,
    title: str = "Tas daur ulang PKK Kanaan",
    category: str = "Lingkungan",
    description: str = STORY,
    album: int = 0,
    location: tuple[float, float] | None = None,
    document: bool = False,
    send: bool = True,
) -> None:
    """Fill in /lapor the way a cadre does (an album of `album` photos) and press Kirim."""
    await user.send_text("/lapor")
    await user.send_text(title)
    await user.press(category)
    await user.send_text(description)
    if album:
        await user.send_album(album)
        await user.press("Selesai")
    else:
        await user.press("Tanpa foto")
    if location:
        await user.send_location(*location)
    else:
        await user.press("Tanpa lokasi")
    if document:
        await user.send_document("proposal.pdf")
    else:
        await user.press("Tanpa dokumen")
    if send:
        await user.press("Kirim")


def seed_report(
    bot: BotRunner,
    reporter_id: int,
    village: str = KANAAN,
    *,
    title: str = "Inovasi uji",
    category: str = "umkm",
    institution: str = "pkk",
    decision: Decision | None = None,
    decided_by: int = 9001,
    comment: str | None = None,
    photos: int = 0,
    submitted_at: datetime | None = None,
) -> ReportInfo:
    """A report written straight to the database (optionally already decided)."""
    media = [MediaItem("photo", f"seed-{title}-{i}", f"u-{title}-{i}") for i in range(photos)]
    with bot.session() as session:
        report = store.create_report(
            session,
            reporter_id,
            village_code=village,
            institution=institution,
            title=title,
            category=category,
            description=STORY,
            latitude=None,
            longitude=None,
            media=media,
            now=submitted_at,
        )
    if decision is not None:
        with bot.session() as session:
            outcome = store.decide(session, report.id, decided_by, decision, comment)
        assert outcome.report is not None
        return outcome.report
    return report


def get(bot: BotRunner, report_id: int) -> ReportInfo:
    with bot.session() as session:
        report = store.get_report(session, report_id, with_events=True)
    assert report is not None
    return report


__all__ = [
    "API_API",
    "BELIMBING",
    "KANAAN",
    "STORY",
    "cadre",
    "coordinator",
    "get",
    "report_via_chat",
    "seed_report",
    "village_code",
]

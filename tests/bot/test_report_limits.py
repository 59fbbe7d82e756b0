"""Abuse bounds of /lapor (review finding F5): a daily cap per cadre, and a disk guard."""

from __future__ import annotations

from collections import namedtuple
from datetime import timedelta

from sqlmodel import func, select

from bot.reports import media as report_media
from bot.reports.limits import QUOTA
from bot.reports.media import MB
from storage import people
from storage import reports as store
from storage.models import Report, utcnow
from storage.reports import MediaItem
from tests.auxil.reports import KANAAN, STORY, cadre, report_via_chat, seed_report


def _reports(bot) -> int:
    with bot.session() as session:
        return session.exec(select(func.count()).select_from(Report)).one()


def _seed_with_media(bot, reporter_id: int, size: int, hours_ago: float = 1) -> None:
    with bot.session() as session:
        store.create_report(
            session,
            reporter_id,
            village_code=KANAAN,
            institution="pkk",
            title="Dokumentasi besar",
            category="umkm",
            description=STORY,
            latitude=None,
            longitude=None,
            media=[MediaItem("document", "big", "u-big", size, "application/pdf", "a.pdf")],
            now=utcnow() - timedelta(hours=hours_ago),
        )


async def test_a_cadre_gets_five_new_reports_a_day(bot, server):
    user = cadre(bot, server)
    yesterday = utcnow() - timedelta(hours=25)
    seed_report(bot, user.id, title="Kemarin", submitted_at=yesterday)
    for n in range(QUOTA.reports_per_day - 1):
        seed_report(bot, user.id, title=f"Hari ini {n}", submitted_at=utcnow() - timedelta(hours=2))
    await report_via_chat(user)  # the fifth of the last 24 hours still goes in
    assert "menunggu tinjauan" in user.last_message.text
    assert _reports(bot) == QUOTA.reports_per_day + 1

    await user.send_text("/lapor")
    assert "sudah mengirim 5 laporan dalam 24 jam terakhir" in user.last_message.text
    assert "besok" in user.last_message.text
    with bot.session() as session:
        assert people.get_draft(session, user.id, "report") is None  # no form was opened


async def test_a_draft_finished_past_the_cap_is_kept_for_tomorrow(bot, server):
    user = cadre(bot, server)
    await report_via_chat(user, send=False)
    for n in range(QUOTA.reports_per_day):  # meanwhile five went in (another device)
        seed_report(bot, user.id, title=f"Laporan {n}")
    await user.press("Kirim")
    assert "sudah mengirim 5 laporan" in user.last_message.text
    assert "Kirim" in user.last_message.flat_buttons[0]  # the summary again
    assert _reports(bot) == QUOTA.reports_per_day
    with bot.session() as session:
        assert people.get_draft(session, user.id, "report") is not None


async def test_media_over_the_daily_bytes_is_refused_with_the_limit(bot, server):
    user = cadre(bot, server)
    _seed_with_media(bot, user.id, QUOTA.media_bytes_per_day)
    await report_via_chat(user, document=True)
    text = user.last_message.text
    assert "melewati batas 100 MB per kader dalam 24 jam" in text and "Ubah" in text
    assert _reports(bot) == 1
    # Without the document it goes in.
    await user.press("Ubah")
    await user.press("Dokumen")
    await user.press("Tanpa dokumen")
    await user.press("Kirim")
    assert "menunggu tinjauan" in user.last_message.text
    # Bytes sent more than 24 hours ago no longer count.
    other = cadre(bot, server, name="Dewi Lestari")
    _seed_with_media(bot, other.id, QUOTA.media_bytes_per_day, hours_ago=25)
    await report_via_chat(other, document=True)
    assert "menunggu tinjauan" in other.last_message.text


async def test_a_full_media_dir_refuses_files_not_text(bot, server, settings, caplog):
    await bot.restart(media_max_gb=1e-9)  # about one byte
    user = cadre(bot, server)
    await report_via_chat(user, album=2)
    assert "ruang penyimpanan bot sedang penuh" in user.last_message.text
    assert "MEDIA_DIR is full" in caplog.text
    assert _reports(bot) == 0
    await user.press("Ubah")
    await user.press("Foto")
    await user.press("Hapus semua foto")
    await user.press("Tanpa foto")
    await user.press("Kirim")
    assert "menunggu tinjauan" in user.last_message.text
    assert not (settings.media_dir / "reports").exists()


async def test_files_are_not_downloaded_onto_a_full_disk(bot, server, settings, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        report_media.shutil, "disk_usage", lambda _: usage(10**12, 10**12, 100 * MB)
    )
    user = cadre(bot, server)
    await report_via_chat(user, album=1)
    assert "ruang penyimpanan bot sedang penuh" in user.last_message.text
    monkeypatch.undo()
    await user.press("Kirim")
    assert "menunggu tinjauan" in user.last_message.text
    assert (settings.media_dir / "reports" / "1" / "1-01.jpg").exists()

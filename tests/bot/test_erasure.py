"""Right to erasure (UU PDP Pasal 43–44): after /hapus_data no row and no file identifies the person.

The scan reads every column of every table known to `storage.models`, so a table added later
is covered without touching this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage import reports as store
from storage.audit import audit
from storage.models import Broadcast, BroadcastRecipient
from storage.reports import Decision
from tests.auxil.flows import register_via_chat
from tests.auxil.reports import STORY, coordinator, get, report_via_chat

USER_ID = 7_770_001_234
NAME = "Siti Maesaroh"
PHONE_FORMS = ("+6281234567890", "081234567890", "6281234567890", "81234567890")
LOCATION = (0.1333, 117.4999)


def _leaks(bot: Any) -> list[str]:
    """Every cell of every table that holds the name, a phone form, the id or the location."""
    needles = ("Maesaroh", *PHONE_FORMS, str(USER_ID))
    found = []
    with bot.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, float) and value in LOCATION:
                        found.append(f"{table.name}.{column}={value!r}")
                        continue
                    text = (
                        json.dumps(value, default=str)
                        if isinstance(value, dict | list)
                        else str(value)
                    )
                    if any(needle in text for needle in needles):
                        found.append(f"{table.name}.{column}={text[:80]!r}")
    return found


def _stored_files(bot: Any, media_dir: Path, report_id: int) -> list[Path]:
    """The report's copies under MEDIA_DIR (made at submission); a file missing is made here."""
    paths = []
    for media in get(bot, report_id).media:
        relative = Path(media.local_path or f"reports/{report_id}/{report_id}-{media.seq:02d}.jpg")
        if not (media_dir / relative).exists():
            (media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (media_dir / relative).write_bytes(f"photo of {NAME}".encode())
            with bot.session() as session:
                store.set_media_path(session, media.id, relative.as_posix())
        paths.append(media_dir / relative)
    return paths


async def test_nothing_identifies_the_person_after_hapus_data(bot, server, settings):
    user = server.new_user(first_name="Siti", last_name="Maesaroh", user_id=USER_ID)
    reviewer = coordinator(bot, server)
    await register_via_chat(user, name=NAME, phone="0812-3456-7890")
    await report_via_chat(
        user,
        title=f"Posyandu Bu {NAME}",
        description=f"{STORY} Hubungi {NAME} di 081234567890 atau 6281234567890.",
        album=2,
        location=LOCATION,
        document=True,
    )
    assert "Laporan #1" in user.last_message.text
    with bot.session() as session:
        store.decide(session, 1, reviewer.id, Decision.REVISE, f"Bu {NAME}, tambah satu foto")
        # Traces other features leave: a personal notice (its ref names the id), a delivery,
        # an action of the person's own in the audit log.
        notice = Broadcast(
            kind="notification", ref=f"training:1:promoted:{USER_ID}:20261201", payload={}
        )
        session.add(notice)
        session.flush()
        session.add(BroadcastRecipient(broadcast_id=notice.id, chat_id=USER_ID, state="sent"))
        audit(session, USER_ID, "broadcast.stop_refused", "1", name=NAME)
    files = _stored_files(bot, settings.media_dir, 1)
    assert len(files) == 3 and _leaks(bot)  # the scan does see the data before

    await user.send_text("/hapus_data")
    await user.press("Ya, hapus data saya")
    assert "sudah dihapus" in user.last_message.text

    assert _leaks(bot) == []
    leftover = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert leftover == []
    assert not (settings.media_dir / "reports" / "1").exists()
    # The report stays as an anonymous record for the totals.
    report = get(bot, 1)
    assert report.reporter_id is None and report.village_code and report.category
    assert not report.media and report.latitude is None and report.longitude is None

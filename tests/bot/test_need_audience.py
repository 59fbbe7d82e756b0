"""/pelatihan_baru to "cadres of the kelurahan/desa that asked for this training": the list of
needs with their reach, exactly the right cadres reached (in and out of scope, opted out,
cannot be reached, never answered), the institution filter, a restart, and forged buttons."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from storage import people
from storage import training as store
from storage.models import AuditLog, BroadcastRecipient
from tests.auxil.broadcast import speed_up, wait_finished
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    set_cadre_history,
    village_code,
)
from tests.auxil.needs import answer_needs

PAID = {"paid_broadcast": True, "broadcast_rate": 1000.0}
AREA = "Kec. Bontang Barat, Kota Bontang"
BY_NEED = "🎯 Kader kelurahan/desa yang meminta pelatihan tertentu"


@pytest.fixture
async def fast(bot):
    await bot.restart(**PAID)
    speed_up(bot)
    return bot


@pytest.fixture
def forum(fast, server):
    """Cadres by name in three kelurahan/desa of Bontang Barat and one of Bontang Utara.

    Kanaan asks for Las and Menjahit, Belimbing for Las, Gunung Telihan for Perbaikan HP,
    Api-Api (outside the coordinator's scope) for Las too."""
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    belimbing = village_code(bot, BONTANG_BARAT, "Belimbing")
    telihan = village_code(bot, BONTANG_BARAT, "Gunung Telihan")
    api_api = village_code(bot, BONTANG_UTARA, "Api-Api")
    plan = {  # name: (kelurahan/desa, institution, needs by rank)
        "ani": (kanaan, "pkk", ("las", "menjahit")),
        "budi": (kanaan, "lpm", ("menjahit",)),
        "citra": (kanaan, "pkk", ()),  # never answered: still a cadre of Kanaan
        "dodi": (kanaan, "pkk", ()),  # chose to stop receiving announcements
        "eka": (kanaan, "pkk", ()),  # blocked the bot
        "fajar": (belimbing, "posyandu", ("perbaikan_hp", "menjahit", "las")),
        "gita": (belimbing, "pkk", ()),
        "hadi": (telihan, "pkk", ("perbaikan_hp",)),
        "iwan": (api_api, "pkk", ("las",)),
        "joko": (api_api, "pkk", ()),
    }
    users = {}
    for name, (village, institution, ranked) in plan.items():
        user = server.new_user(first_name=name.title())
        seed_cadre(bot, user.id, village, name=name.title(), institution=institution)
        if ranked:
            answer_needs(bot, user.id, village, ranked)
        users[name] = user
    with bot.session() as session:
        people.set_receive_broadcasts(session, users["dodi"].id, False)
    set_cadre_history(bot, users["eka"].id, unreachable_since=datetime(2026, 1, 2))
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    return bot, coordinator, users


async def until_audience(coordinator) -> None:
    year = datetime.now().year + 1
    await coordinator.send_text("/pelatihan_baru")
    await coordinator.send_text("Las listrik dasar")
    await coordinator.send_text("Praktik las listrik untuk pemula.")
    await coordinator.send_text(f"14/12/{year} 08.00")
    await coordinator.press("Tanpa jam selesai")
    await coordinator.send_text("BLK Bontang")
    await coordinator.send_text("20")


def recipients_of(bot, training_id: int) -> set[int]:
    with bot.session() as session:
        training = store.get_training(session, training_id)
        assert training is not None and training.broadcast_id is not None
        rows = session.exec(
            select(BroadcastRecipient.chat_id).where(
                BroadcastRecipient.broadcast_id == training.broadcast_id
            )
        ).all()
    return set(rows)


def announced_id(coordinator) -> int:
    text = next(m.text for m in reversed(coordinator.messages) if "diumumkan kepada" in m.text)
    return int(text.split("#")[1].split()[0])


async def test_the_kelurahan_desa_asking_for_a_training_get_it(forum, server):
    bot, coordinator, users = forum
    await until_audience(coordinator)
    assert coordinator.last_message.buttons[-1] == [f"{BY_NEED} di {AREA}"]
    await coordinator.press(BY_NEED)
    # Las: Kanaan (3) and Belimbing (1); Perbaikan HP: Belimbing and Gunung Telihan (3 + 3);
    # Menjahit: Kanaan (2 + 3) and Belimbing (2). Cadres: every reachable one of those places.
    assert coordinator.last_message.text == (
        "🎯 Untuk kebutuhan pelatihan apa?\n"
        f"Pengumuman akan dikirim ke kader kelurahan/desa di {AREA} yang meminta pelatihan itu "
        "dalam survei kebutuhan. Berikut jumlah kelurahan/desa yang meminta dan kader "
        "penerimanya:\n\n"
        "• Menjahit: 2 kelurahan/desa, 5 kader\n"
        "• Perbaikan HP: 2 kelurahan/desa, 3 kader\n"
        "• Las: 2 kelurahan/desa, 5 kader"
    )
    assert coordinator.last_message.buttons == [
        ["Menjahit"],
        ["Perbaikan HP"],
        ["Las"],
        ["⬅️ Kembali"],
    ]
    await coordinator.press("Las")
    await coordinator.press("Lanjut")
    assert "Penerima: 5 kader" in coordinator.last_message.text
    assert f"Wilayah: {AREA} · 2 kelurahan/desa yang meminta pelatihan Las" in (
        coordinator.last_message.text
    )
    await coordinator.press("Umumkan")
    training_id = announced_id(coordinator)
    expected = {users[n].id for n in ("ani", "budi", "citra", "fajar", "gita")}
    assert recipients_of(bot, training_id) == expected
    with bot.session() as session:
        training = store.get_training(session, training_id)
        assert training is not None and training.area_code == BONTANG_BARAT
        broadcast_id = training.broadcast_id
        (entry,) = session.exec(select(AuditLog).where(AuditLog.action == "training.create"))
    assert broadcast_id is not None
    assert entry.details["need"] == "las" and entry.details["recipients"] == 5
    await wait_finished(bot, broadcast_id)
    for name, user in users.items():
        got = any(m.text.startswith("🎓 Pelatihan: Las listrik dasar") for m in user.messages)
        assert got == (user.id in expected), name


async def test_institution_filter_and_a_restart_keep_the_need(forum, server):
    bot, coordinator, users = forum
    await until_audience(coordinator)
    await coordinator.press(BY_NEED)
    await coordinator.press("Perbaikan HP")
    await coordinator.press("PKK")
    await bot.restart(**PAID)
    speed_up(bot)
    await coordinator.press("Lanjut")
    text = coordinator.last_message.text
    assert "Penerima: 2 kader" in text
    assert f"{AREA} · 2 kelurahan/desa yang meminta pelatihan Perbaikan HP · PKK" in text
    await coordinator.press("Umumkan")
    assert recipients_of(bot, announced_id(coordinator)) == {users["gita"].id, users["hadi"].id}


async def test_back_and_an_area_without_answers(forum, server):
    bot, coordinator, _ = forum
    await until_audience(coordinator)
    await coordinator.press(BY_NEED)
    await coordinator.press("⬅️ Kembali")
    assert coordinator.last_message.text == "👥 Kepada siapa pengumuman ini dikirim?"
    await coordinator.press(f"Semua kader di {AREA}")
    await coordinator.press("Lanjut")
    assert "Penerima: 8 kader" not in coordinator.last_message.text  # opted out, blocked
    assert "Penerima: 6 kader" in coordinator.last_message.text
    assert f"Wilayah: {AREA}\n" in coordinator.last_message.text + "\n"
    # "Ubah penerima" clears the need too; a kelurahan/desa coordinator with no answers.
    other = server.new_user()
    seed_coordinator(bot, other.id, village_code(bot, BONTANG_UTARA, "Lok Tuan"))
    await until_audience(other)
    await other.press(BY_NEED)
    assert other.last_message.text.startswith(
        "Belum ada kelurahan/desa di Kel. Lok Tuan, Kec. Bontang Utara, Kota Bontang yang "
        "mengisi survei kebutuhan pelatihan (/kebutuhan)."
    )
    assert other.last_message.buttons == [["⬅️ Kembali"]]


async def test_forged_needs_and_areas_are_refused(forum, server):
    bot, coordinator, users = forum
    await until_audience(coordinator)
    message = coordinator.last_message
    await coordinator.press_data(f"tn:n:{BONTANG_UTARA}", message)
    answer = coordinator.callback_answers[-1]
    assert "di luar wilayah tugas" in answer["text"] and answer.get("show_alert")
    with bot.session() as session:
        refused = session.exec(select(AuditLog).where(AuditLog.action == "training.refused"))
        assert [r.target for r in refused] == [f"tn:n:{BONTANG_UTARA}"]
    await coordinator.press(BY_NEED)
    needs_list = coordinator.last_message
    for forged in ("tn:nd:lainnya", "tn:nd:kesehatan", "tn:nd:tidak_ada", "tn:nd:las:1"):
        await coordinator.press_data(forged, needs_list)
        assert coordinator.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    await coordinator.press("Las")
    await coordinator.press("Lanjut")
    assert "Penerima: 5 kader" in coordinator.last_message.text
    # Choosing the recipients again forgets the need: the whole scope this time.
    await coordinator.press("Ubah penerima")
    await coordinator.press(f"Semua kader di {AREA}")
    await coordinator.press("Lanjut")
    assert "Penerima: 6 kader" in coordinator.last_message.text
    assert "meminta pelatihan" not in coordinator.last_message.text
    assert users  # every cadre stayed untouched by the refused presses

"""/kebutuhan end to end: answering, ranking, "Lainnya", updating, wrong input, restarts."""

from __future__ import annotations

from sqlmodel import select

from storage.models import NeedAnswer
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, village_code


def answers(bot) -> list[NeedAnswer]:
    with bot.session() as session:
        return list(session.exec(select(NeedAnswer).order_by(NeedAnswer.id)).all())


def last_alert(server) -> str:
    return server.calls_for("answerCallbackQuery")[-1].params.get("text") or ""


async def test_answer_rank_other_and_update(bot, server):
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = server.new_user(first_name="Siti")
    seed_cadre(bot, cadre.id, kanaan)

    await cadre.send_text("/kebutuhan")
    assert "Pilih paling banyak tiga" in cadre.last_message.text
    await cadre.press("Las")
    await cadre.press("Menjahit")
    await cadre.press("Lainnya")
    assert "1️⃣ Las\n2️⃣ Menjahit\n3️⃣ Lainnya" in cadre.last_message.text
    await cadre.press("Perbaikan HP")
    assert "Paling banyak tiga" in last_alert(server)
    assert "Perbaikan HP" not in cadre.last_message.text.split("Pilihan Anda:")[1]
    await cadre.press("Lanjut")
    assert "tulis nama pelatihannya" in cadre.last_message.text
    await cadre.send_text("Sablon kaos")
    assert "masalah utama" in cadre.last_message.text
    await cadre.send_sticker()
    assert "Mohon jawab dengan tulisan" in cadre.last_message.text
    await cadre.send_text("Banyak pemuda belum bekerja")
    assert "potensi atau produk unggulan" in cadre.last_message.text
    await cadre.send_text("Kerajinan   rotan dan madu kelulut")
    assert "foto" in cadre.last_message.text
    await cadre.press("Tanpa foto")
    summary = cadre.last_message.text
    assert "1️⃣ Las\n2️⃣ Menjahit\n3️⃣ Lainnya: Sablon kaos" in summary
    assert "Kerajinan rotan dan madu kelulut" in summary
    await cadre.press("Kirim")
    assert "jawaban Anda sudah tersimpan" in cadre.last_message.text
    (row,) = answers(bot)
    assert (row.need_1, row.need_2, row.need_3, row.other_name) == (
        "las",
        "menjahit",
        "lainnya",
        "Sablon kaos",
    )
    assert row.village_code == kanaan and row.period.startswith("year:") and row.is_current
    assert row.problem == "Banyak pemuda belum bekerja" and row.photo_file_id is None

    # Updating starts from the last answer; "Ubah" comes back to the summary.
    await cadre.send_text("/kebutuhan")
    assert "Ini jawaban terakhir Anda" in cadre.last_message.text
    await cadre.press("Ubah pelatihan")
    await cadre.press("1️⃣ Las")  # unranked: the others move up
    assert "1️⃣ Menjahit\n2️⃣ Lainnya" in cadre.last_message.text
    await cadre.press("Lanjut")
    assert "Periksa kembali" in cadre.last_message.text
    await cadre.press("Ubah foto")
    await cadre.send_photo()
    assert "<b>Foto</b>: ada" in cadre.last_message.html
    await cadre.press("Kirim")
    assert "sudah diperbarui" in cadre.last_message.text
    (row,) = answers(bot)
    assert (row.need_1, row.need_2, row.need_3) == ("menjahit", "lainnya", None)
    assert row.other_name == "Sablon kaos" and row.photo_file_id


async def test_only_cadres_forged_buttons_and_a_restart(bot, server):
    stranger = server.new_user()
    await stranger.send_text("/kebutuhan")
    assert "hanya untuk kader" in stranger.last_message.text

    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, kanaan)
    await cadre.send_text("/kebutuhan")
    await cadre.press_data("nd:ok")  # nothing chosen yet
    assert "setidaknya satu" in last_alert(server)
    await cadre.press_data("nd:t:bukan_kebutuhan")
    await cadre.press_data("nd:t:las:x")
    assert "Pilih paling banyak tiga" in cadre.last_message.text
    await cadre.press("Kesehatan")
    await cadre.press("Lanjut")

    await bot.restart()
    await cadre.send_text("Gizi buruk pada balita")
    assert "potensi atau produk unggulan" in cadre.last_message.text
    await cadre.send_text("Ikan asin")
    await cadre.press("Tanpa foto")
    await cadre.send_text("halo")
    assert "Silakan gunakan tombol" in cadre.last_message.text
    await cadre.send_text("/batal")
    assert "dibatalkan" in cadre.last_message.text
    assert answers(bot) == []

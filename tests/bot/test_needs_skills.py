"""/keahlian and /cari_kader: only consenting teachers, only inside the searcher's scope."""

from __future__ import annotations

from storage import skills
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)


async def offer(cadre, picks: list[str], teach: str, contact: str, other: str | None = None):
    await cadre.send_text("/keahlian")
    for pick in picks:
        await cadre.press(pick)
    await cadre.press("Lanjut")
    if other is not None:
        await cadre.send_text(other)
    await cadre.press(teach, cadre.last_message)
    await cadre.press(contact, cadre.last_message)


async def test_skills_and_find_cadre(bot, server):
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    api_api = village_code(bot, BONTANG_UTARA, "Api-Api")
    teacher = server.new_user(first_name="Ani")
    shy = server.new_user()
    busy = server.new_user()
    far = server.new_user()
    seed_cadre(bot, teacher.id, kanaan, name="Ani Lestari", phone="+6281200000011")
    seed_cadre(bot, shy.id, kanaan, name="Dewi Malu")
    seed_cadre(bot, busy.id, kanaan, name="Sri Sibuk")
    seed_cadre(bot, far.id, api_api, name="Budi Jauh")

    await offer(teacher, ["Las", "Lainnya"], "Ya", "Ya", other="Sablon kaos")
    assert "dapat menemukan Anda sebagai pelatih" in teacher.last_message.text
    await offer(shy, ["Las"], "Ya", "Tidak")  # teaches, but no consent to be contacted
    assert "tidak akan muncul" in shy.last_message.text
    await offer(busy, ["Las"], "Tidak", "Ya")  # may be contacted, but does not teach
    await offer(far, ["Las"], "Ya", "Ya")  # another kecamatan
    with bot.session() as session:
        saved = skills.get_skills(session, teacher.id)
    assert saved == skills.SkillsInfo(("lainnya", "las"), "Sablon kaos", True, True)

    # Updating starts from the saved skills.
    await teacher.send_text("/keahlian")
    assert ["Perbengkelan/otomotif", "✅ Las"] in teacher.last_message.buttons
    await teacher.send_text("/batal")

    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    await coordinator.send_text("/cari_kader")
    await coordinator.press("Las")
    found = coordinator.last_message.text
    assert "Ani Lestari" in found and "+6281200000011" in found and "Kel. Kanaan" in found
    assert not any(name in found for name in ("Dewi Malu", "Sri Sibuk", "Budi Jauh"))
    await coordinator.press("Lainnya")
    assert "Sablon kaos" in coordinator.last_message.text
    before = len(coordinator.messages)
    await coordinator.press_data("ck:s:64.74.01")  # an area is no skill
    await coordinator.press_data("ck:s:las:64.74.01")
    assert len(coordinator.messages) == before

    cadre_search = server.new_user()
    seed_cadre(bot, cadre_search.id, kanaan)
    await cadre_search.send_text("/cari_kader")
    assert "hanya untuk koordinator" in cadre_search.last_message.text
    await cadre_search.press_data("ck:s:las", coordinator.messages[0])
    assert "Ani Lestari" not in (cadre_search.last_message.text or "")


async def test_erasure_forgets_skills_and_needs_answers(bot, server):
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, kanaan, name="Ani Lestari")
    await offer(cadre, ["Las"], "Ya", "Ya")
    with bot.session() as session:
        assert skills.get_skills(session, cadre.id) is not None
    await cadre.send_text("/hapus_data")
    await cadre.press("Ya, hapus data saya")
    assert "sudah dihapus" in cadre.last_message.text
    with bot.session() as session:
        assert skills.get_skills(session, cadre.id) is None

"""A tap on "Ikut" that cannot count is refused before anything is written (security review F1):
a stranger, an erased cadre, a cadre of another area or institution, a cancelled or a past
training — every training table, the version row included, stays exactly as it was."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, text

from storage import privacy
from storage import training as store
from tests.auxil.broadcast import announce_training, speed_up
from tests.auxil.flows import BONTANG_BARAT, BONTANG_UTARA, seed_cadre, village_code


def training_tables(bot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every training table, in a stable order."""
    assert bot.database is not None
    engine = bot.database.engine
    names = sorted(n for n in inspect(engine).get_table_names() if n.startswith("training"))
    assert {"training", "training_rsvp"} <= set(names)
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(text(f"SELECT * FROM {name}"))), key=repr
            )
            for name in names
        }


async def test_taps_that_cannot_count_write_nothing(bot, server):
    await bot.restart(paid_broadcast=True, broadcast_rate=1000.0)
    speed_up(bot)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    elsewhere = village_code(bot, BONTANG_UTARA, "Api-Api")
    member = server.new_user(first_name="Anggota")
    seed_cadre(bot, member.id, kanaan, institution="pkk")
    other_area = server.new_user(first_name="Jauh")
    seed_cadre(bot, other_area.id, elsewhere)
    other_body = server.new_user(first_name="Lain")
    seed_cadre(bot, other_body.id, kanaan, institution="karang_taruna")
    erased = server.new_user(first_name="Dihapus")
    seed_cadre(bot, erased.id, kanaan)
    stranger = server.new_user(first_name="Asing")

    open_one = await announce_training(bot, area=kanaan, quota=5, institutions=("pkk",))
    called_off = await announce_training(bot, area=kanaan, title="Dibatalkan")
    past = await announce_training(bot, area=kanaan, title="Lewat", starts_in=timedelta(seconds=1))
    with bot.session() as session:
        assert store.cancel_training(session, called_off.id, by=9001) is not None
    with bot.session() as session:
        privacy.delete_personal_data(session, erased.id)
    await asyncio.sleep(1.1)  # `past` has begun
    for user in (stranger, erased, other_area, other_body):
        await user.send_text("/start")  # a chat with a message to press from
    before = training_tables(bot)

    refused = [
        (stranger, open_one.id, "wilayah atau lembaga lain"),
        (erased, open_one.id, "wilayah atau lembaga lain"),
        (other_area, open_one.id, "wilayah atau lembaga lain"),
        (other_body, open_one.id, "wilayah atau lembaga lain"),
        (member, called_off.id, "dibatalkan oleh penyelenggara"),
        (member, past.id, "sudah berlangsung"),
    ]
    for user, training_id, why in refused:
        for action in ("y", "n"):
            await user.press_data(f"tr:{action}:{training_id}", message=user.last_message)
            answer = user.callback_answers[-1]
            assert why in answer["text"], (user.first_name, action, answer)
            assert answer["show_alert"]
    assert training_tables(bot) == before

    # The same buttons still work for whom they are meant: the check is no blanket refusal.
    await member.press_data(f"tr:y:{open_one.id}", message=member.last_message)
    assert member.callback_answers[-1]["text"] == "✅ Anda terdaftar!"
    after = training_tables(bot)
    assert len(after["training_rsvp"]) == len(before["training_rsvp"]) + 1
    assert after["training"] != before["training"]  # the version row moved, for this tap only

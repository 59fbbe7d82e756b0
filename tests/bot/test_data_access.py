"""Right of access (/data_saya) and the consent notice (UU PDP)."""

from __future__ import annotations

import dataclasses
import json

from tests.auxil.flows import register_via_chat
from tests.auxil.reports import report_via_chat


async def test_data_saya_gives_every_field_the_bot_holds(bot, server):
    user = server.new_user(first_name="Siti", last_name="Maesaroh")
    await register_via_chat(user, name="Siti Maesaroh", phone="081234567890")
    await report_via_chat(user, title="Tas daur ulang Maesaroh", location=(0.1333, 117.4999))

    await user.send_text("/data_saya")
    sent = user.last_message
    assert sent.file_name == f"data_saya_{user.id}.json"
    assert "semua data" in sent.text
    data = json.loads(sent.file_bytes)
    cadre = data["cadre"][0]
    assert cadre["full_name"] == "Siti Maesaroh" and cadre["phone"] == "+6281234567890"
    assert cadre["telegram_id"] == user.id and cadre["consent_at"]
    assert data["user"][0]["telegram_id"] == user.id
    report = data["reports"][0]
    assert report["title"] == "Tas daur ulang Maesaroh"
    assert (report["latitude"], report["longitude"]) == (0.1333, 117.4999)
    assert set(data) >= {"drafts", "coordinator", "training_answers", "audit_log"}


async def test_a_guest_gets_the_little_the_bot_knows(bot, server):
    user = server.new_user()
    await user.send_text("/data_saya")
    data = json.loads(user.last_message.file_bytes)
    assert data["cadre"] == [] and data["reports"] == []
    assert data["user"][0]["telegram_id"] == user.id


async def test_consent_names_the_controller_purposes_viewers_rights_and_contact(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    consent = user.last_message.text
    for expected in (
        "DPMPD Provinsi Kalimantan Timur",  # DATA_CONTROLLER's default
        "Untuk apa",
        "koordinator wilayah",
        "Excel",
        "kanal publik",
        "365 hari",
        "/data_saya",
        "/profil",
        "/hapus_data",
        "menarik persetujuan",
        "Pertanyaan atau keluhan",
    ):
        assert expected in consent, expected


async def test_consent_shows_the_configured_controller_and_contact(bot, server):
    bot.app.settings = dataclasses.replace(
        bot.settings, data_controller="Dinas PMD Kota Bontang", data_contact="pdp@bontang.go.id"
    )
    user = server.new_user(language_code="en")
    await user.send_text("/start")
    consent = user.last_message.text
    assert "Data controller: Dinas PMD Kota Bontang" in consent
    assert "pdp@bontang.go.id" in consent

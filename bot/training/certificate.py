"""Certificates of attendance: a PDF with the cadre's name, the training, its date, place and
organiser and a verification code; `/verifikasi <code>` confirms one.

The PDF is drawn with fpdf2 in DejaVu Sans (shipped with matplotlib, already a dependency), so
names in any script print as typed. Only attendees get one, and not when a coordinator switched
the training's certificates off.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import matplotlib
from fpdf import FPDF
from telegram import Update

from bot.callbacks import AttendanceButton
from bot.context import BotContext
from bot.forms import chat_of
from bot.i18n import t
from bot.moments import format_day, format_moment, to_local
from bot.training.texts import pressed
from storage import attendance as attendance_store
from storage.attendance import Certificate
from storage.audit import audit
from storage.regions import region_path_name

__all__ = ["certificate_button", "certificate_pdf", "verify_command"]

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def certificate_pdf(certificate: Certificate, organiser: str, tz: tzinfo, lang: str) -> bytes:
    """One A4 landscape page: title, name, training, date and place, organiser, code."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(t("attendance.certificate_title", lang, escape=False))
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    day = format_day(to_local(certificate.starts_at, tz).date(), lang)

    def line(text: str, size: int, style: str = "", gap: float = 6) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(35)
    line(t("attendance.certificate_title", lang, escape=False), 30, "B", 10)
    line(t("attendance.certificate_given_to", lang, escape=False), 14)
    line(certificate.full_name, 26, "B", 8)
    line(t("attendance.certificate_for", lang, escape=False), 14)
    line(certificate.title, 20, "B", 6)
    line(t("attendance.certificate_when", lang, escape=False, day=day, place=certificate.place), 14)
    line(t("attendance.certificate_organiser", lang, escape=False, organiser=organiser), 14, gap=16)
    line(t("attendance.certificate_code", lang, escape=False, code=certificate.code), 12, "B", 2)
    line(t("attendance.certificate_verify", lang, escape=False, code=certificate.code), 10)
    return bytes(pdf.output())


async def certificate_button(update: Update, context: BotContext) -> None:
    """`att:pdf:<id>`: the pressing cadre's certificate of that training, if they attended."""
    lang = context.lang
    press = await pressed(AttendanceButton, update, lang)
    if press is None:
        return
    with context.db.session() as session:
        certificate = attendance_store.certificate_for(
            session, press.button.training_id, press.user_id
        )
        organiser = region_path_name(session, certificate.area_code) if certificate else ""
        audit(
            session,
            press.user_id,
            "attendance.certificate" if certificate else "attendance.certificate_refused",
            str(press.button.training_id),
        )
    if certificate is None:
        await press.query.answer(t("attendance.no_certificate", lang), show_alert=True)
        return
    await press.query.answer()
    organiser = t("attendance.certificate_forum", lang, escape=False, area=organiser)
    pdf = certificate_pdf(certificate, organiser, context.settings.timezone, lang)
    await chat_of(update).send_document(
        pdf,
        filename=f"sertifikat-{certificate.code}.pdf",
        caption=t("attendance.certificate_caption", lang, title=certificate.title),
    )


async def verify_command(update: Update, context: BotContext) -> None:
    """`/verifikasi <code>`: whether a certificate with this code was issued, and to whom."""
    lang = context.lang
    chat = chat_of(update)
    if not context.args:
        await chat.send_message(t("attendance.verify_usage", lang))
        return
    with context.db.session() as session:
        certificate = attendance_store.verify_certificate(session, "".join(context.args))
    if certificate is None:
        await chat.send_message(t("attendance.verify_unknown", lang))
        return
    tz = context.settings.timezone
    await chat.send_message(
        t(
            "attendance.verify_ok",
            lang,
            code=certificate.code,
            name=certificate.full_name,
            title=certificate.title,
            when=format_moment(certificate.starts_at, tz, lang),
            place=certificate.place,
        )
    )

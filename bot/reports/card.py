"""A report as reviewers see it: the card, its media, its buttons, and who may act on it.

Shared by the review queue (`review`), featuring (`feature`) and the list (`listing`), so a
report reads the same wherever a coordinator meets it.
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, Update

from bot.auth import Identity
from bot.callbacks import ReviewButton
from bot.config import Settings
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_moment
from bot.ui import Button, keyboard, show
from bot.vocabulary import OTHER_INSTITUTION, institution_label
from storage import reports as store
from storage.regions import display_name, get_region, in_scope, region_path_name
from storage.reports import ReportInfo, ReportStatus

__all__ = [
    "buttons",
    "decision_buttons",
    "feature_buttons",
    "institution_of",
    "load_report",
    "may_review",
    "refuse",
    "report_card",
    "reviewer_role",
    "send_photos",
    "send_report_media",
]


def institution_of(report: ReportInfo, lang: str) -> str:
    """The reporter's institution as people read it ("Lainnya" shows the cadre's own words)."""
    return institution_label(
        report.institution or OTHER_INSTITUTION, report.institution_other, lang
    )


def reviewer_role(
    session: Session, village_code: str, lang: str, identity: Identity | None = None
) -> str:
    """Who reviews (or reviewed) a report, as a role: "koordinator Kec. Bontang Barat".

    Without `identity`: the most local coordinator role covering the kelurahan, else the
    forum's officials. With it: the role in which that person acted.
    """
    if identity is not None:
        scopes = [s for s in identity.coordinator_scopes if in_scope(village_code, s)]
    else:
        scopes = [scope for _, scope in store.reviewers_for(session, village_code)]
    if scopes:
        region = get_region(session, max(scopes, key=len))
        if region is not None:
            return t("reports.role.coordinator", lang, area=display_name(region))
    return t("reports.role.officials", lang)


def report_card(session: Session, report: ReportInfo, lang: str, settings: Settings) -> str:
    """The report as reviewers see it, in /tinjau and the list (HTML, values escaped)."""
    lines = [
        t(
            "reports.card",
            lang,
            id=report.id,
            status=t(f"reports.status.{report.status.value}", lang),
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            region=region_path_name(session, report.village_code, below=settings.forum_area),
            submitted=format_moment(report.submitted_at, settings.timezone, lang),
        )
    ]
    if report.reporter_id is None:
        lines.append(t("reports.card_reporter_deleted", lang))
    else:
        lines.append(
            t(
                "reports.card_reporter",
                lang,
                name=report.reporter_name or "",
                institution=institution_of(report, lang),
            )
        )
    if report.photos:
        lines.append(t("reports.card_photos", lang, count=len(report.photos)))
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            t(
                "reports.card_location",
                lang,
                lat=f"{report.latitude:.6f}",
                lon=f"{report.longitude:.6f}",
            )
        )
    if report.document is not None:
        lines.append(t("reports.card_document", lang, name=report.document.file_name or "—"))
    text = "\n".join(lines) + "\n\n" + t("reports.card_description", lang, text=report.description)
    if report.last_comment and report.status is not ReportStatus.APPROVED:
        text += "\n\n" + t("reports.card_comment", lang, comment=report.last_comment)
    if report.featured_at is not None:
        text += "\n" + t("reports.card_featured", lang)
    if report.channel_posted_at is not None:
        text += "\n" + t("reports.card_posted", lang)
    return text


async def send_photos(bot: Bot, chat_id: int | str, report: ReportInfo, caption: str) -> bool:
    """The report's photos as one album (or one photo), `caption` on the first; False if none."""
    photos = report.photos
    if len(photos) == 1:
        await bot.send_photo(chat_id, photos[0].file_id, caption=caption)
    elif photos:
        await bot.send_media_group(
            chat_id,
            [
                InputMediaPhoto(p.file_id, caption=caption if i == 0 else None)
                for i, p in enumerate(photos)
            ],
        )
    return bool(photos)


async def send_report_media(bot: Bot, chat_id: int, report: ReportInfo, lang: str) -> None:
    """Photos as one album (or a photo), then the document, by their Telegram file ids."""
    await send_photos(bot, chat_id, report, t("reports.review.photos_caption", lang, id=report.id))
    if report.document is not None:
        await bot.send_document(chat_id, report.document.file_id)


def decision_buttons(report_id: int, lang: str) -> list[list[Button]]:
    return [
        [
            (t("reports.review.approve", lang), ReviewButton("ok", report_id).pack()),
            (t("reports.review.revise", lang), ReviewButton("fix", report_id).pack()),
        ],
        [(t("reports.review.reject", lang), ReviewButton("no", report_id).pack())],
    ]


def feature_buttons(report: ReportInfo, lang: str, settings: Settings) -> list[list[Button]]:
    """What can still be done with an approved report (each channel once)."""
    if report.status is not ReportStatus.APPROVED:
        return []
    rows: list[list[Button]] = []
    if report.featured_at is None:
        rows.append(
            [(t("reports.review.feature_broadcast", lang), ReviewButton("fb", report.id).pack())]
        )
    if settings.feature_channel_id and report.channel_posted_at is None:
        rows.append(
            [(t("reports.review.feature_channel", lang), ReviewButton("fc", report.id).pack())]
        )
    return rows


def buttons(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """The keyboard of `rows`, or none at all when no row has a button (Telegram refuses an
    empty one)."""
    return keyboard(rows) if any(rows) else None


def may_review(identity: Identity, report: ReportInfo | None) -> bool:
    """Server-side check behind every button: the report lies in one of the user's scopes."""
    return (
        report is not None and identity.is_privileged and identity.may_act_on(report.village_code)
    )


def load_report(context: BotContext, report_id: int) -> ReportInfo | None:
    with context.db.session() as session:
        return store.get_report(session, report_id)


async def refuse(update: Update, context: BotContext) -> None:
    """Not this user's report to review (or list): an alert on a button, else a message."""
    text = t("reports.review.not_allowed", context.lang)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await show(update, text, edit=False)

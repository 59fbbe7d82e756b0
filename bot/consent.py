"""The UU PDP notice a person accepts before registering (UU No. 27/2022, Pelindungan Data
Pribadi): who controls the data, why it is kept, who sees it, for how long, the rights and a
contact. Its own module because the controller, contact and retention come from the settings
and the text must stay the same wherever it is shown."""

from __future__ import annotations

import html

from bot.config import Settings
from bot.i18n import t

__all__ = ["consent_text"]


def consent_text(settings: Settings, lang: str) -> str:
    """The notice as HTML, with the configured controller, retention and contact."""
    controller = html.escape(settings.data_controller)
    contact = html.escape(settings.data_contact) or t(
        "reg.consent_contact", lang, escape=False, controller=controller
    )
    return t(
        "reg.consent",
        lang,
        escape=False,
        controller=controller,
        days=settings.retention.days,
        contact=contact,
    )

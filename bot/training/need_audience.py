"""The audience "cadres of the kelurahan/desa that asked for this training" of /pelatihan_baru.

Offered under the scopes of the shared audience step (`bot.forms.audience.ExtraAudience`): the
coordinator picks a scope's training need from the needs survey's list, sees how many
kelurahan/desa ask for it and how many cadres that reaches, and the announcement goes to exactly
those cadres (`storage.needs.need_audience_ids`: every reachable cadre of the asking
kelurahan/desa inside the scope, the institution filter applied). The need and scope are re-checked
on every press: a forged need or a scope outside the sender's is refused, never obeyed.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session
from telegram import Update

from bot.auth import Identity
from bot.callbacks import ForgedCallback, TrainingFormButton
from bot.context import BotContext
from bot.forms.audience import (
    AudienceChoice,
    AudienceDraft,
    audience_counts,
    audience_label,
    institution_names,
)
from bot.forms.region_picker import StaleButton
from bot.i18n import t
from bot.moments import format_count
from bot.needs.labels import need_label
from bot.ui import Button, keyboard, show
from bot.vocabulary import parse_region_code
from storage import needs, outbox
from storage.regions import get_region, region_path_name

__all__ = [
    "NEED_AUDIENCE",
    "NeedAudience",
    "NeedDraft",
    "NeedReach",
    "audience_text",
    "need_audience_label",
    "need_reach",
    "reach_count",
    "recipients_of",
]


@dataclasses.dataclass
class NeedDraft(AudienceDraft):
    """An audience draft that may be chosen by training need: `need` is a code of the needs
    list ("Lainnya" excluded: its typed names are no one training)."""

    need: str | None = None

    def reset_audience(self, area: str | None = None) -> None:
        super().reset_audience(area)
        self.need = None


@dataclasses.dataclass(frozen=True)
class NeedReach:
    """Who a need-based audience reaches: the kelurahan/desa asking, the cadres it reaches."""

    villages: int
    recipients: list[int]


def need_reach(
    session: Session, need: str, scope: str, institutions: list[str] | None = None
) -> NeedReach:
    """The kelurahan/desa inside `scope` asking for `need`, and exactly the cadres the
    announcement goes to (the same list the preview counts and the delivery engine gets)."""
    return NeedReach(
        villages=len(needs.villages_asking(session, need, scope)),
        recipients=needs.need_audience_ids(session, need, scope, institutions),
    )


def need_audience_label(session: Session, draft: NeedDraft, lang: str) -> str:
    """ "Kota Bontang · 2 kelurahan/desa yang meminta pelatihan Las · PKK" (plain text)."""
    assert draft.area is not None and draft.need is not None
    reach = need_reach(session, draft.need, draft.area)
    label = t(
        "training.need.audience",
        lang,
        escape=False,
        area=region_path_name(session, draft.area),
        villages=format_count(reach.villages, lang),
        need=need_label(draft.need, lang),
    )
    names = institution_names(draft.institutions, lang)
    return f"{label} · {names}" if names else label


def recipients_of(session: Session, draft: NeedDraft) -> list[int]:
    """Exactly who the announcement goes to: the need's audience, or the area's cadres."""
    assert draft.area is not None
    institutions = draft.institutions or None
    if draft.need is None:
        return outbox.audience_ids(session, [draft.area], institutions)
    return need_reach(session, draft.need, draft.area, institutions).recipients


def reach_count(context: BotContext, draft: NeedDraft) -> int:
    """How many cadres the announcement reaches (who want it and can be reached)."""
    if draft.need is None:
        return audience_counts(context, draft).eligible
    with context.db.session() as session:
        return len(recipients_of(session, draft))


def audience_text(context: BotContext, draft: NeedDraft, lang: str) -> str:
    """Who receives it, as the preview and /siaran name them (plain text)."""
    if draft.need is None:
        return audience_label(context, draft, lang)
    with context.db.session() as session:
        return need_audience_label(session, draft, lang)


def _offered(code: str) -> bool:
    return code != needs.OTHER and needs.is_need(code)


class NeedAudience:
    """The `ExtraAudience` of /pelatihan_baru: n:<scope> lists the scope's needs with their
    reach, nd:<need> chooses one, nb goes back to the scopes."""

    pattern = TrainingFormButton.pattern("n", "nd", "nb")

    def rows(self, context: BotContext, identity: Identity) -> list[list[Button]]:
        """One "by training need" button per scope the sender may address."""
        lang = context.lang
        rows: list[list[Button]] = []
        with context.db.session() as session:
            for scope in identity.scopes:
                if get_region(session, scope) is None:
                    continue
                name = region_path_name(session, scope)
                data = TrainingFormButton("n", area=scope).pack()
                rows.append([(t("training.need.button", lang, name=name), data)])
        return rows

    async def on_button(
        self, update: Update, context: BotContext, draft: NeedDraft, identity: Identity
    ) -> AudienceChoice:
        query = update.callback_query
        assert query is not None
        try:
            button = TrainingFormButton.unpack(query.data)
        except ForgedCallback as error:
            raise StaleButton(query.data) from error
        if button.action == "nb":
            draft.reset_audience()
            return AudienceChoice(exited=True)
        if button.action == "n":
            scope = parse_region_code(button.area)
            if scope is None or not identity.may_act_on(scope):  # never trust the keyboard
                return AudienceChoice(refused=True)
            draft.reset_audience(scope)
            await self._show_needs(update, context, scope)
            return AudienceChoice(shown=True)
        if draft.area is None or not _offered(button.code):
            raise StaleButton(query.data)
        if not identity.may_act_on(draft.area):  # scopes may have changed since the list
            return AudienceChoice(refused=True)
        with context.db.session() as session:
            if not needs.villages_asking(session, button.code, draft.area):
                raise StaleButton(query.data)  # the list only offers needs someone asks for
        draft.need = button.code
        return AudienceChoice(area=draft.area)

    async def _show_needs(self, update: Update, context: BotContext, scope: str) -> None:
        """The needs asked for inside `scope`, most asked first, each with its reach."""
        lang = context.lang
        with context.db.session() as session:
            area = region_path_name(session, scope)
            asked = [f.need for f in needs.needs_table(session, scope) if _offered(f.need)]
            reach = {code: need_reach(session, code, scope) for code in asked}
        back = (t("picker.back", lang), TrainingFormButton("nb").pack())
        if not asked:
            await show(update, t("training.need.none", lang, area=area), keyboard([[back]]))
            return
        lines = [t("training.need.ask", lang, area=area)]
        rows: list[list[Button]] = []
        for code in asked:
            label = need_label(code, lang)
            lines.append(
                t(
                    "training.need.row",
                    lang,
                    need=label,
                    villages=format_count(reach[code].villages, lang),
                    cadres=format_count(len(reach[code].recipients), lang),
                )
            )
            rows.append([(label, TrainingFormButton("nd", code=code).pack())])
        rows.append([back])
        await show(update, "\n".join(lines), keyboard(rows))


NEED_AUDIENCE = NeedAudience()

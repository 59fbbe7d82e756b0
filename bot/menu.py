"""The command menu each role sees (`set_my_commands` per chat) and the main-menu text.

Every feature adds its commands to `COMMANDS` here, so the menus, `/bantuan` and the main
menu are all derived from one list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.auth import Identity, Role
from bot.i18n import LANGUAGES, t

__all__ = [
    "COMMANDS",
    "CommandSpec",
    "Counts",
    "commands_for",
    "main_menu_text",
    "refresh_commands",
]

log = logging.getLogger(__name__)
GUEST, CADRE, COORD, OFFICIAL = Role.GUEST, Role.CADRE, Role.COORDINATOR, Role.OFFICIAL


@dataclass(frozen=True)
class CommandSpec:
    """A command, the catalog key of its description, and the roles that see it."""

    command: str
    key: str
    roles: frozenset[Role]
    hidden_for: frozenset[Role] = frozenset()


def _spec(command: str, *roles: Role, hidden_for: tuple[Role, ...] = ()) -> CommandSpec:
    return CommandSpec(command, f"menu.cmd.{command}", frozenset(roles), frozenset(hidden_for))


COMMANDS: list[CommandSpec] = [
    _spec("start", GUEST, hidden_for=(CADRE,)),
    _spec("menu", CADRE, COORD, OFFICIAL),
    _spec("profil", CADRE),
    _spec("berhenti", CADRE),
    _spec("mulai", CADRE),
    _spec("undang", OFFICIAL),
    _spec("koordinator", OFFICIAL),
    _spec("umumkan", COORD, OFFICIAL),
    _spec("siaran", COORD, OFFICIAL),
    _spec("pelatihan_baru", COORD, OFFICIAL),
    _spec("peserta", COORD, OFFICIAL),
    _spec("absensi", COORD, OFFICIAL),
    _spec("pelatihan", CADRE),
    _spec("grup", CADRE, COORD, OFFICIAL),
    _spec("bahasa", GUEST, CADRE, COORD, OFFICIAL),
    _spec("lapor", CADRE),
    _spec("laporanku", CADRE),
    _spec("tinjau", COORD, OFFICIAL),
    _spec("daftar_laporan", COORD, OFFICIAL),
    _spec("statistik", COORD, OFFICIAL),
    _spec("ekspor", COORD, OFFICIAL),
    _spec("pengingat", COORD, OFFICIAL),
    _spec("kebutuhan", CADRE),
    _spec("keahlian", CADRE),
    _spec("survei_kebutuhan", COORD, OFFICIAL),
    _spec("peta_kebutuhan", COORD, OFFICIAL),
    _spec("cari_kader", COORD, OFFICIAL),
    _spec("data_saya", CADRE),
    _spec("hapus_data", CADRE),
    _spec("bantuan", GUEST, CADRE, COORD, OFFICIAL),
    _spec("batal", GUEST, CADRE, COORD, OFFICIAL),
]


#: Live counts shown after a command's description ("Tinjau laporan (3)"), by command: counted
#: once per menu by `ForkomApplication.menu_counts` (the text and the command menu share them).
Counts = Mapping[str, int]


def _description(spec: CommandSpec, lang: str, counts: Counts) -> str:
    text = t(spec.key, lang)
    count = counts.get(spec.command, 0)
    return f"{text} ({count})" if count else text


def commands_for(roles: frozenset[Role]) -> list[CommandSpec]:
    """Commands visible to someone with these roles, in menu order."""
    visible = []
    for spec in COMMANDS:
        if spec.roles & roles and not (spec.hidden_for & roles):
            visible.append(spec)
    return visible


def main_menu_text(identity: Identity, lang: str, counts: Counts) -> str:
    lines = [t("menu.title", lang)]
    for spec in commands_for(identity.roles):
        if spec.command in {"start", "menu", "batal"}:
            continue
        lines.append(f"/{spec.command} — {_description(spec, lang, counts)}")
    return "\n".join(lines)


async def set_default_commands(bot: Bot) -> None:
    """The menu of people the bot knows nothing about yet (per language), in private chats.

    Group chats get no menu at all: every command works only in a private chat (see
    `bot.chat_guard`). Telegram shows a group the all-group-chats menu, else the default one,
    so the guests' menu lives on all private chats and both of those scopes are cleared
    (older versions of the bot set the default one).
    """
    guest = commands_for(frozenset({Role.GUEST}))
    for lang in LANGUAGES:
        language_code = None if lang == "id" else lang
        commands = [BotCommand(s.command, t(s.key, lang)) for s in guest]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language_code
        )
        for empty in (BotCommandScopeAllGroupChats(), BotCommandScopeDefault()):
            await bot.delete_my_commands(scope=empty, language_code=language_code)


async def refresh_commands(bot: Bot, identity: Identity, lang: str, counts: Counts) -> None:
    """Give this user's private chat the command menu of their roles (best effort)."""
    commands = [
        BotCommand(s.command, _description(s, lang, counts)) for s in commands_for(identity.roles)
    ]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(identity.user_id))
    except TelegramError as exc:  # a menu is a convenience; never fail the action for it
        log.warning("could not set a user's command menu: %s", exc)  # no id: UU PDP

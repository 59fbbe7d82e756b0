"""An inline-keyboard region picker: kabupaten/kota → kecamatan → kelurahan/desa.

Used by registration, coordinator invites and broadcast audiences. Levels with a single
choice are skipped, long lists are paged, typed text filters the list, and every pressed code
is checked against the picker's state (a stale or forged button is refused, not obeyed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlmodel import Session
from telegram import InlineKeyboardMarkup

from bot.callbacks import FAMILIES, PICKER_LAYOUT
from bot.i18n import t
from bot.ui import Button, keyboard
from storage.regions import LEVELS, RegionInfo, children, display_name, get_region, in_scope

__all__ = [
    "PickOutcome",
    "PickerState",
    "StaleButton",
    "apply_callback",
    "apply_filter",
    "render",
    "start",
]

PAGE_SIZE = 12


class StaleButton(Exception):
    """A pressed button does not belong to the picker's current state."""


@dataclass
class PickerState:
    root: str
    node: str
    page: int = 0
    query: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PickerState:
        return cls(
            root=str(data["root"]),
            node=str(data["node"]),
            page=int(str(data.get("page") or 0)),
            query=str(data["query"]) if data.get("query") else None,
        )


@dataclass(frozen=True)
class PickOutcome:
    state: PickerState
    picked: str | None = None
    exited: bool = False


def start(session: Session, root: str, target_level: str, at: str | None = None) -> PickerState:
    """A picker rooted at `root`, optionally opened at `at` (a deep-link area inside root)."""
    node = at if at and in_scope(at, root) else root
    return PickerState(root=root, node=_skip_single(session, node, target_level))


def _skip_single(session: Session, code: str, target_level: str) -> str:
    """Go down while the level below has one choice and is not yet the level to pick."""
    while True:
        kids = children(session, code)
        if len(kids) != 1 or kids[0].level == target_level:
            return code
        code = kids[0].code


def _up(session: Session, state: PickerState, target_level: str) -> str | None:
    """The node above, skipping levels that had one choice; None when already at the top."""
    node = state.node
    while node != state.root:
        parent = node.rpartition(".")[0]
        if not parent or not in_scope(parent, state.root):
            return None
        if parent == state.root or len(children(session, parent)) > 1:
            return parent
        node = parent
    return None


def apply_callback(
    session: Session, state: PickerState, action: str, arg: str, target_level: str
) -> PickOutcome:
    """Apply a picker button (`r` region, `p` page, `b` back, `a` all of the current node)."""
    if action == "r":
        region = get_region(session, arg)
        if region is None or region.parent_code != state.node or not in_scope(arg, state.root):
            raise StaleButton(arg)
        if LEVELS.index(region.level) >= LEVELS.index(target_level):
            return PickOutcome(state, picked=region.code)
        node = _skip_single(session, region.code, target_level)
        return PickOutcome(PickerState(state.root, node))
    if action == "p":
        if not arg.isdigit():
            raise StaleButton(arg)
        return PickOutcome(PickerState(state.root, state.node, int(arg), state.query))
    if action == "b":
        if state.query:
            return PickOutcome(PickerState(state.root, state.node))
        parent = _up(session, state, target_level)
        if parent is None:
            return PickOutcome(state, exited=True)
        return PickOutcome(PickerState(state.root, parent))
    if action == "a":
        if arg != state.node:
            raise StaleButton(arg)
        return PickOutcome(state, picked=state.node)
    raise StaleButton(action)


def apply_filter(state: PickerState, text: str) -> PickerState:
    return PickerState(state.root, state.node, 0, " ".join(text.split())[:40] or None)


def _button(prefix: str, action: str, *, code: str = "", page: int = 0) -> str:
    """A picker button of the family `prefix` embeds the picker in (`PICKER_LAYOUT`)."""
    family = FAMILIES[prefix]
    assert set(PICKER_LAYOUT) <= set(family.LAYOUT), f"{prefix} does not embed the picker"
    fields: dict[str, object] = {"action": action, "code": code, "page": page}
    return family(**fields).pack()


def render(
    session: Session,
    state: PickerState,
    *,
    prefix: str,
    lang: str,
    title: str,
    allow_pick_node: bool = False,
    back_exits: bool = True,
) -> tuple[str, InlineKeyboardMarkup, bool]:
    """(text, keyboard, filter_matched) for the picker's current state."""
    node = get_region(session, state.node)
    items = children(session, state.node, state.query)
    matched = True
    if state.query and not items:
        matched = False
        items = children(session, state.node)
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(state.page, pages - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]

    rows: list[list[Button]] = []
    pair: list[Button] = []
    for region in shown:
        pair.append((region.name, _button(prefix, "r", code=region.code)))
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    rows.append(pair)
    nav: list[Button] = []
    if page > 0:
        nav.append((t("picker.prev", lang), _button(prefix, "p", page=page - 1)))
    if page < pages - 1:
        nav.append((t("picker.next", lang), _button(prefix, "p", page=page + 1)))
    rows.append(nav)
    if allow_pick_node and node is not None:
        rows.append(
            [
                (
                    t("picker.all_of", lang, name=display_name(node)),
                    _button(prefix, "a", code=node.code),
                )
            ]
        )
    if state.node != state.root or state.query or back_exits:
        rows.append([(t("picker.back", lang), _button(prefix, "b"))])

    level_key = f"picker.choose.{_child_level(items, node)}"
    lines = [title, "", t(level_key, lang, where=display_name(node) if node else "")]
    if pages > 1:
        lines.append(t("picker.page", lang, page=page + 1, pages=pages))
    if state.query and matched:
        lines.append(t("picker.filtered", lang, query=state.query))
    elif state.query:
        lines.append(t("picker.no_match", lang, query=state.query))
    lines.append(t("picker.hint_type", lang))
    return "\n".join(lines), keyboard(rows), matched


def _child_level(items: list[RegionInfo], node: RegionInfo | None) -> str:
    if items:
        return items[0].level
    return LEVELS[min(LEVELS.index(node.level) + 1, 3)] if node else "regency"

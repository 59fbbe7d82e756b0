"""Storage for the bot framework's own state (conversation states, per-user scratch data).

Kept as JSON text so it is readable in the database and never unpickles anything.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from storage.models import BotStateRow, ConversationRow

__all__ = [
    "delete_state",
    "load_conversation_states",
    "load_conversations",
    "load_state",
    "load_states",
    "save_conversation",
    "save_state",
]


def load_conversations(session: Session, name: str) -> dict[tuple[Any, ...], Any]:
    rows = session.exec(select(ConversationRow).where(ConversationRow.name == name)).all()
    return {tuple(json.loads(row.key)): json.loads(row.state) for row in rows}


def load_conversation_states(
    session: Session, wanted: list[tuple[str, tuple[Any, ...]]]
) -> dict[tuple[str, tuple[Any, ...]], Any]:
    """The stored states of these (conversation name, key) pairs; absent pairs have none."""
    if not wanted:
        return {}
    encoded = {(name, json.dumps(list(key))): (name, key) for name, key in wanted}
    rows = session.exec(
        select(ConversationRow).where(
            col(ConversationRow.name).in_({name for name, _ in encoded}),
            col(ConversationRow.key).in_({key for _, key in encoded}),
        )
    ).all()
    return {
        encoded[(row.name, row.key)]: json.loads(row.state)
        for row in rows
        if (row.name, row.key) in encoded
    }


def save_conversation(session: Session, name: str, key: tuple[Any, ...], state: Any) -> None:
    """Upsert one conversation's state; `None` (ended) removes the row."""
    row = session.get(ConversationRow, (name, json.dumps(list(key))))
    if state is None:
        if row is not None:
            session.delete(row)
        return
    encoded = json.dumps(state)
    if row is None:
        session.add(ConversationRow(name=name, key=json.dumps(list(key)), state=encoded))
    elif row.state != encoded:
        row.state = encoded
        session.add(row)


def load_states(session: Session, kind: str) -> dict[str, Any]:
    rows = session.exec(select(BotStateRow).where(BotStateRow.kind == kind)).all()
    return {row.key: json.loads(row.data) for row in rows}


def load_state(session: Session, kind: str, key: str) -> Any | None:
    """One row's data (None when there is none)."""
    row = session.get(BotStateRow, (kind, key))
    return json.loads(row.data) if row is not None else None


def save_state(session: Session, kind: str, key: str, data: Any) -> None:
    row = session.get(BotStateRow, (kind, key))
    encoded = json.dumps(data, default=str)
    if row is None:
        session.add(BotStateRow(kind=kind, key=key, data=encoded))
    elif row.data != encoded:
        row.data = encoded
        session.add(row)


def delete_state(session: Session, kind: str, key: str) -> None:
    row = session.get(BotStateRow, (kind, key))
    if row is not None:
        session.delete(row)


def delete_conversations_of(session: Session, user_id: int) -> None:
    """Forget every conversation keyed on this user (used when their data is deleted)."""
    for row in session.exec(select(ConversationRow)).all():
        key = json.loads(row.key)
        if user_id in key:
            session.delete(row)

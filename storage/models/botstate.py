"""Tables behind PTB's persistence: conversation states and user/chat/bot data."""

from __future__ import annotations

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

__all__ = ["BotStateRow", "ConversationRow"]


class ConversationRow(SQLModel, table=True):
    """PTB conversation state (one row per conversation name and key)."""

    __tablename__ = "bot_conversation"

    name: str = Field(sa_column=Column(String(60), primary_key=True))
    key: str = Field(sa_column=Column(String(120), primary_key=True))
    state: str = Field(sa_column=Column(Text, nullable=False))


class BotStateRow(SQLModel, table=True):
    """PTB user_data / chat_data / bot_data / callback_data, as JSON."""

    __tablename__ = "bot_state"

    kind: str = Field(sa_column=Column(String(12), primary_key=True))
    key: str = Field(sa_column=Column(String(40), primary_key=True))
    data: str = Field(sa_column=Column(Text, nullable=False))

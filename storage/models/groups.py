"""Tables of the linked Telegram groups (issue 14): which group serves which area, and who of
the cadres is in it (see `storage.groups`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from storage.models.common import utcnow

__all__ = ["GroupMember", "LinkedGroup"]


class LinkedGroup(SQLModel, table=True):
    """A group the bot serves: linked to one area, or waiting (`area_code` NULL) for the
    coordinator who added the bot to choose it. One group per area (NULLs do not collide)."""

    __tablename__ = "linked_group"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    area_code: str | None = Field(
        default=None,
        sa_column=Column(String(16), ForeignKey("region.code"), unique=True, nullable=True),
    )
    title: str = Field(sa_column=Column(String(128), nullable=False))
    # The join-request link the bot made (Telegram links are about 30 characters).
    invite_link: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    linked_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))


class GroupMember(SQLModel, table=True):
    """Someone the bot let into a linked group (or saw join it): the figures count cadres in
    their group from here, and erasure and moves know where to remove them from."""

    __tablename__ = "group_member"
    __table_args__ = (Index("ix_group_member_telegram_id", "telegram_id"),)

    chat_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("linked_group.chat_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))

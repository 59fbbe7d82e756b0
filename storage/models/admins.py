"""Officials added with `forkom-bot admin add`, beside those in `ADMIN_IDS`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from storage.models.common import utcnow

__all__ = ["Official"]


class Official(SQLModel, table=True):
    """A Telegram user with an official's rights, kept in the database by an operator."""

    __tablename__ = "official"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    added_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))

"""The migrations: one line of history, and models that match what the migrations build."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory

from storage.db import alembic_config


def test_history_has_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_models_match_the_migrated_schema(database_url: str) -> None:
    """Alembic's autogenerate finds nothing to add, drop or alter (types and defaults too)."""
    command.check(alembic_config(database_url))

"""Test databases: a migrated SQLite template copied per test, and a PostgreSQL database per
worker that is migrated once and truncated between tests (region data is kept: it is static)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from storage import regions
from storage.db import Database, upgrade

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEEP_TABLES = {"region", "alembic_version"}


def backends() -> list[str]:
    wanted = os.environ.get("TEST_DATABASES", "sqlite,postgresql")
    return [b.strip() for b in wanted.split(",") if b.strip()]


def postgres_available() -> str | None:
    """None if PostgreSQL answers, else the reason."""
    try:
        engine = create_engine(
            PG_ADMIN_URL, poolclass=NullPool, connect_args={"connect_timeout": 3}
        )
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


def _load_regions(url: str) -> None:
    database = Database(url)
    with database.session() as session:
        regions.load_regions(session)
    database.dispose()


def make_sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    _load_regions(url)
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def sqlite_copy(template: Path, folder: Path) -> str:
    target = folder / "forkom.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def make_postgres_database(worker: str) -> str:
    """A fresh migrated database for this test worker; returns its URL."""
    # The pid keeps parallel pytest runs (several developers, xdist workers) apart.
    name = f"forkom_test_{worker}_{os.getpid()}".replace("-", "_")
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = :name and pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    _load_regions(url)
    return url


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = :name and pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def reset_postgres(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    tables = [t for t in inspect(engine).get_table_names() if t not in KEEP_TABLES]
    if tables:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    engine.dispose()

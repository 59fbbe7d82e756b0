"""Statistics at province scale: each cadre's place and activity in one table (`stats_cadre`),
kept by triggers on `cadre` and `app_user`; version tokens of the tables whose figures are
kept between views (`stats_version`).

`/statistik` counted active and unreachable cadres by joining `app_user` to every cadre of the
area: 100,000 index probes, ~90 ms for a province. `stats_cadre` holds the kelurahan/desa,
institution, registration, last activity and reachability of each cadre, so the figures are a
single scan of its covering index. Triggers keep it in step with whatever writes the two
tables (registration, profile edits, erasure, the delivery engine, bulk loads); the rows
already there are copied once here.

Reports and the folded deliveries change a few times a day but are read at every view (300,000
reports: ~50 ms for a province): triggers write a fresh random token into `stats_version`
whenever they change, inside the writing transaction, and `storage.stats` keeps their figures
until the token changes. Random rather than a counter, so that two databases (tests, a
restored copy) never share a version.

Revision ID: 0017_stats_perf
Revises: 0016_training_end
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_stats_perf"
down_revision = "0016_training_end"
branch_labels = None
depends_on = None

_COLUMNS = "telegram_id, village_code, institution, registered_at, last_seen_at, unreachable"
# The activity of one cadre `c` from its app_user row (none: never seen, reachable).
_FILL = f"""
INSERT INTO stats_cadre ({_COLUMNS})
SELECT c.telegram_id, c.village_code, c.institution, c.registered_at, u.last_seen_at,
       COALESCE(u.unreachable_since IS NOT NULL, FALSE)
FROM cadre c LEFT JOIN app_user u ON u.telegram_id = c.telegram_id
"""

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER stats_cadre_insert AFTER INSERT ON cadre BEGIN
        {_FILL} WHERE c.id = NEW.id;
    END""",
    """CREATE TRIGGER stats_cadre_update AFTER UPDATE OF
        telegram_id, village_code, institution, registered_at ON cadre BEGIN
        DELETE FROM stats_cadre WHERE telegram_id = OLD.telegram_id;
        """
    + _FILL
    + """ WHERE c.id = NEW.id;
    END""",
    """CREATE TRIGGER stats_cadre_delete AFTER DELETE ON cadre BEGIN
        DELETE FROM stats_cadre WHERE telegram_id = OLD.telegram_id;
    END""",
    """CREATE TRIGGER stats_cadre_seen AFTER UPDATE OF
        telegram_id, last_seen_at, unreachable_since ON app_user BEGIN
        UPDATE stats_cadre SET last_seen_at = NULL, unreachable = FALSE
        WHERE telegram_id = OLD.telegram_id AND OLD.telegram_id <> NEW.telegram_id;
        UPDATE stats_cadre SET last_seen_at = NEW.last_seen_at,
            unreachable = NEW.unreachable_since IS NOT NULL
        WHERE telegram_id = NEW.telegram_id;
    END""",
    """CREATE TRIGGER stats_cadre_user_insert AFTER INSERT ON app_user BEGIN
        UPDATE stats_cadre SET last_seen_at = NEW.last_seen_at,
            unreachable = NEW.unreachable_since IS NOT NULL
        WHERE telegram_id = NEW.telegram_id;
    END""",
    """CREATE TRIGGER stats_cadre_user_delete AFTER DELETE ON app_user BEGIN
        UPDATE stats_cadre SET last_seen_at = NULL, unreachable = FALSE
        WHERE telegram_id = OLD.telegram_id;
    END""",
)
_SQLITE_NAMES = (
    "stats_cadre_insert",
    "stats_cadre_update",
    "stats_cadre_delete",
    "stats_cadre_seen",
    "stats_cadre_user_insert",
    "stats_cadre_user_delete",
)

# Tables whose figures `storage.stats` keeps until they change, and the name of their token.
VERSIONED = {"report": "report", "stats_delivery": "delivery"}
_SQLITE_VERSION_TRIGGERS = tuple(
    f"""CREATE TRIGGER stats_version_{table}_{event.lower()} AFTER {event} ON {table} BEGIN
        INSERT OR REPLACE INTO stats_version (name, token)
        VALUES ('{name}', lower(hex(randomblob(16))));
    END"""
    for table, name in VERSIONED.items()
    for event in ("INSERT", "UPDATE", "DELETE")
)
_POSTGRES_VERSION = (
    """CREATE FUNCTION stats_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO stats_version (name, token)
        VALUES (TG_ARGV[0], md5(random()::text || clock_timestamp()::text))
        ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;
        RETURN NULL;
    END $$""",
    *(
        f"""CREATE TRIGGER stats_version_{table}
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump('{name}')"""
        for table, name in VERSIONED.items()
    ),
)

_POSTGRES_FUNCTIONS = (
    f"""CREATE FUNCTION stats_cadre_from_cadre() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM stats_cadre WHERE telegram_id = OLD.telegram_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_FILL} WHERE c.id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION stats_cadre_from_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.telegram_id <> NEW.telegram_id) THEN
            UPDATE stats_cadre SET last_seen_at = NULL, unreachable = FALSE
            WHERE telegram_id = OLD.telegram_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE stats_cadre SET last_seen_at = NEW.last_seen_at,
                unreachable = NEW.unreachable_since IS NOT NULL
            WHERE telegram_id = NEW.telegram_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER stats_cadre_from_cadre
        AFTER INSERT OR DELETE OR UPDATE OF telegram_id, village_code, institution, registered_at
        ON cadre FOR EACH ROW EXECUTE FUNCTION stats_cadre_from_cadre()""",
    """CREATE TRIGGER stats_cadre_from_user
        AFTER INSERT OR DELETE OR UPDATE OF telegram_id, last_seen_at, unreachable_since
        ON app_user FOR EACH ROW EXECUTE FUNCTION stats_cadre_from_user()""",
)


def _code(column: str) -> str | sa.TextClause:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text(f'{column} COLLATE "C"')
    return column


def upgrade() -> None:
    op.create_table(
        "stats_cadre",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("village_code", sa.String(length=16), nullable=False),
        sa.Column("institution", sa.String(length=20), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id"),
    )
    op.execute(_FILL)
    op.create_index(
        "ix_stats_cadre_area",
        "stats_cadre",
        [_code("village_code"), "institution", "registered_at", "last_seen_at", "unreachable"],
    )
    op.create_table(
        "stats_version",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    if op.get_bind().dialect.name == "sqlite":
        statements = _SQLITE_TRIGGERS + _SQLITE_VERSION_TRIGGERS
    else:
        statements = _POSTGRES_FUNCTIONS + _POSTGRES_VERSION
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table in VERSIONED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS stats_version_{table}_{event}")
    else:
        for table in VERSIONED:
            op.execute(f"DROP TRIGGER IF EXISTS stats_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS stats_version_bump()")
        op.execute("DROP TRIGGER IF EXISTS stats_cadre_from_cadre ON cadre")
        op.execute("DROP TRIGGER IF EXISTS stats_cadre_from_user ON app_user")
        op.execute("DROP FUNCTION IF EXISTS stats_cadre_from_cadre()")
        op.execute("DROP FUNCTION IF EXISTS stats_cadre_from_user()")
    op.drop_table("stats_version")
    op.drop_index("ix_stats_cadre_area", table_name="stats_cadre")
    op.drop_table("stats_cadre")

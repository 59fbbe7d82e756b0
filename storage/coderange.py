"""Area filters as ranges on the dotted region code, compared byte by byte.

`'64.74.' <= code < '64.74/'` (as '/' sorts right after '.') selects everything below 64.74;
compared byte by byte, the btree index applies on SQLite and on PostgreSQL whatever the
database collation (see `bytewise`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

__all__ = ["CODE_LENGTH", "bytewise", "code_within", "village_within"]

# Length of a region code at each level: "64", "64.74", "64.74.03", "64.74.03.1003".
CODE_LENGTH = {"province": 2, "regency": 5, "district": 8, "village": 13}


class bytewise(ColumnElement[str]):
    """A code column compared byte by byte.

    Under a linguistic collation (en_US.UTF-8…) PostgreSQL ignores punctuation, so
    `'64.74.03.1003' < '64.74/'` would be false; `COLLATE "C"` restores byte order and matches
    the `COLLATE "C"` indexes of migration 0005. SQLite compares bytes already (BINARY).
    """

    inherit_cache = True
    type = String()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column


@compiles(bytewise)
def _bytewise_default(element: bytewise, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "C"'


def code_within(column: Any, scope: str) -> ColumnElement[bool]:
    """`column` is the region `scope` or lies below it (codes of any level)."""
    code = bytewise(column)
    return or_(code == scope, and_(code >= scope + ".", code < scope + "/"))


def village_within(column: Any, scope: str) -> ColumnElement[bool]:
    """`column` holds kelurahan/desa codes: a single range (or equality for a village scope)."""
    code = bytewise(column)
    if len(scope) >= CODE_LENGTH["village"]:
        return code == scope
    return and_(code >= scope + ".", code < scope + "/")

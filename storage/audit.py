"""The audit log: who did which privileged action, when, on what.

Written by every feature in the same transaction as the action, so an action and its record
are committed together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from storage.models import AuditLog

__all__ = ["audit"]


def audit(
    session: Session,
    actor_id: int,
    action: str,
    target: str | None = None,
    **details: Any,
) -> None:
    """Record a privileged action (or a refused attempt); `details` are stored as JSON."""
    session.add(AuditLog(actor_id=actor_id, action=action, target=target, details=details))

"""Audit trail: every change records who, what, when, and the before/after documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osteotwin.records.storage.models import AuditRow


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user (id, name, role) or the system (``user_id`` None)."""

    user_id: int | None
    username: str
    role: str

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(None, name, "system")


def record_change(session: Session, actor: Actor, *, action: str, entity: str,
                  entity_id: object | None, patient_id: int | None,
                  before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditRow:
    """Add one audit entry to the session (committed with the change it describes)."""
    row = AuditRow(user_id=actor.user_id, username=actor.username, action=action, entity=entity,
                   entity_id=None if entity_id is None else str(entity_id), patient_id=patient_id,
                   before=before, after=after)
    session.add(row)
    return row


def audit_trail(session: Session, *, patient_id: int | None = None, limit: int = 200) -> list[AuditRow]:
    """Newest audit entries first, optionally only those about one patient."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if patient_id is not None:
        query = query.where(AuditRow.patient_id == patient_id)
    return list(session.scalars(query))

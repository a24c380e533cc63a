"""Audit trail: every change records who, what, when, and the before/after documents; reads of a
record, exports and authentication events are recorded in the same table under their own actions.

Changes carry the documents before and after. Access events (``ACCESS_ACTIONS``) carry what was
read or tried in ``entity`` and details (the client address, the path) in ``after``:

* ``view``: a record page or an API read of a patient (``entity`` says which: ``timeline``,
  ``api:patient``, ...; ``patient_list`` for a list of patients, without a ``patient_id``);
* ``export``: a download or export (``report.pdf``, ``patient.yaml``, ``fhir.json``, ``api:fhir``...);
* ``sign_in``, ``sign_out`` (browser sessions, ``entity`` ``session``), ``token_issue`` and
  ``token_revoke`` (API tokens, ``entity`` ``token``);
* ``sign_in_failed`` and ``sign_in_throttled``: ``username`` is the name tried (no password, no
  ``user_id``), ``entity`` the way in (``session``, ``token`` or ``password_change``).

Each access event is also written to the ``osteotwin.access`` logger at INFO, one JSON object a line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osteotwin.records.storage.models import AuditRow

#: Reads of patient data.
READ_ACTIONS: tuple[str, ...] = ("view", "export")
#: Authentication events.
AUTH_ACTIONS: tuple[str, ...] = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out",
                                 "token_issue", "token_revoke")
#: Audit entries that record access rather than a change.
ACCESS_ACTIONS: tuple[str, ...] = READ_ACTIONS + AUTH_ACTIONS

#: Every access event, as one JSON object a line at INFO (for forwarding to a log collector).
ACCESS_LOG = logging.getLogger("osteotwin.access")

#: Longest username the table holds (``AuditRow.username``).
_USERNAME_CHARS = 80


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


def printable(text: str, limit: int = _USERNAME_CHARS) -> str:
    """``text`` cut to ``limit`` characters, anything unprintable (control characters, unpaired
    surrogates: a username someone tried) as ``?``, so that every database stores it."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def record_access(session: Session, *, action: str, entity: str, username: str,
                  user_id: int | None = None, patient_id: int | None = None,
                  details: dict[str, Any] | None = None) -> AuditRow:
    """Add one access event (``ACCESS_ACTIONS``) to the session, not committed (one insert; the
    record read is not touched, so its revision stays), and log it to ``osteotwin.access``."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"action: not an access action (got {action!r}; accepted: "
                         f"{', '.join(ACCESS_ACTIONS)})")
    name = printable(username)
    clean = {key: printable(value, 200) if isinstance(value, str) else value
             for key, value in (details or {}).items()}
    row = AuditRow(user_id=user_id, username=name, action=action, entity=entity[:32],
                   entity_id=None if patient_id is None else str(patient_id), patient_id=patient_id,
                   before=None, after=clean or None)
    session.add(row)
    if ACCESS_LOG.isEnabledFor(logging.INFO):
        ACCESS_LOG.info(json.dumps({"action": action, "entity": row.entity, "username": name,
                                    "user_id": user_id, "patient_id": patient_id, **clean},
                                   ensure_ascii=False, default=str))
    return row


AuditKind = Literal["changes", "access", "all"]


def audit_trail(session: Session, *, patient_id: int | None = None, limit: int = 200,
                kind: AuditKind = "changes") -> list[AuditRow]:
    """Newest audit entries first, optionally only those about one patient: the changes (the
    default), the access events (``ACCESS_ACTIONS``), or all."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if patient_id is not None:
        query = query.where(AuditRow.patient_id == patient_id)
    if kind == "changes":
        query = query.where(AuditRow.action.not_in(ACCESS_ACTIONS))
    elif kind == "access":
        query = query.where(AuditRow.action.in_(ACCESS_ACTIONS))
    return list(session.scalars(query))

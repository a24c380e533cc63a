"""SQLAlchemy 2 table models for osteotwin's record store.

Rows hold values in the canonical units of :mod:`osteotwin.records.patient` (field names carry units);
labs also keep the value and unit as reported so that patient file v1 round trips lose nothing.
History, baseline lifestyle, external fracture risk and ``extra`` are kept as JSON documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES: tuple[str, ...] = ("clinician", "patient")
LOG_KINDS: tuple[str, ...] = ("exercise", "intake", "symptom")


def utcnow() -> dt.datetime:
    """Timezone-aware current time (UTC)."""
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A point in time, stored in UTC and read back as an aware UTC datetime on every database:
    SQLite keeps no offset (it gives naive datetimes back), PostgreSQL gives the session's time
    zone; so the API writes the same ``...Z`` times whichever holds the data. A naive datetime
    given to it is taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC (a naive one is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_text(value: dt.datetime) -> str:
    """``value`` as ISO 8601 in UTC with ``Z``, as the API's models write times."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


class Base(DeclarativeBase):
    """Declarative base of all osteotwin tables."""


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    menopausal_status: Mapped[str | None] = mapped_column(String(16))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    history: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lifestyle: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fracture_risk_external: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    medications: Mapped[list[MedicationRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="MedicationRow.id")
    labs: Mapped[list[LabRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="LabRow.id")
    dxa_scans: Mapped[list[DxaRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="DxaRow.id")
    logs: Mapped[list[LifestyleLogRow]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="LifestyleLogRow.id")

    __table_args__ = (CheckConstraint("sex in ('male', 'female')", name="ck_patients_sex"),)
    #: ``revision`` is set by the repository (``_touch``) and checked by every UPDATE of the row,
    #: so two concurrent changes of one record cannot both commit the same revision.
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}  # noqa: RUF012


class MedicationRow(Base):
    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    drug: Mapped[str] = mapped_column(String(64))
    dose_mg: Mapped[float | None] = mapped_column(Float)
    dose_iu: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str | None] = mapped_column(String(32))
    every_d: Mapped[float | None] = mapped_column(Float)
    start: Mapped[dt.date | None] = mapped_column(Date)
    stop: Mapped[dt.date | None] = mapped_column(Date)
    #: Who entered it (a username; None: entered before migration 0005 or imported with the record).
    created_by: Mapped[str | None] = mapped_column(String(80))

    patient: Mapped[PatientRow] = relationship(back_populates="medications")

    __table_args__ = ({"sqlite_autoincrement": True},)  # ids are never reused (migration 0004)


class LabRow(Base):
    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    test: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    reported_value: Mapped[float] = mapped_column(Float)
    reported_unit: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(64))
    #: Who entered it (a username; None: entered before migration 0005 or imported with the record).
    created_by: Mapped[str | None] = mapped_column(String(80))

    patient: Mapped[PatientRow] = relationship(back_populates="labs")

    __table_args__ = ({"sqlite_autoincrement": True},)  # ids are never reused (migration 0004)


class DxaRow(Base):
    __tablename__ = "dxa_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(32))
    bmd_g_cm2: Mapped[float | None] = mapped_column(Float)
    t_score: Mapped[float | None] = mapped_column(Float)
    z_score: Mapped[float | None] = mapped_column(Float)
    device: Mapped[str | None] = mapped_column(String(64))
    #: Who entered it (a username; None: entered before migration 0005 or imported with the record).
    created_by: Mapped[str | None] = mapped_column(String(80))

    patient: Mapped[PatientRow] = relationship(back_populates="dxa_scans")

    __table_args__ = ({"sqlite_autoincrement": True},)  # ids are never reused (migration 0004)


class LifestyleLogRow(Base):
    """A dated log entry: an exercise session, a day's intake or a symptom (e.g. joint pain)."""

    __tablename__ = "lifestyle_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When and by whom a clinician marked the entry reviewed (None: not yet); a reviewed fall still
    #: counts, but no longer asks for attention (osteotwin.clinic.patient_log).
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    #: Who made the entry (None: made before migration 0004); a patient may remove only their own.
    created_by: Mapped[str | None] = mapped_column(String(80))

    patient: Mapped[PatientRow] = relationship(back_populates="logs")

    __table_args__ = (
        CheckConstraint("kind in ('exercise', 'intake', 'symptom')", name="ck_logs_kind"),
        {"sqlite_autoincrement": True})  # ids are never reused (migration 0004)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Browser session cookies carry the value they were issued with and are honoured only while it
    #: is unchanged: logout increments it, which ends all of this user's browser sessions.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("role in ('clinician', 'patient')", name="ck_users_role"),)


class ClinicianPatientRow(Base):
    """Assignment of a patient to a clinician (a clinician sees only assigned patients)."""

    __tablename__ = "clinician_patients"

    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)


class ApiTokenRow(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AssessmentRow(Base):
    """A cached assessment for one record revision and engine version."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    engine_version: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("patient_id", "revision", "as_of", "engine_version",
                         name="uq_assessments_key"),)


class SimulationRow(Base):
    """A cached simulation (what-if) result, keyed by request digest, record revision and model version."""

    __tablename__ = "simulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    request_sha256: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("patient_id", "revision", "request_sha256", "model_version",
                         name="uq_simulations_key"),)


class AuditRow(Base):
    """One audited change: who, what, when, and the before/after documents; or one access event
    (a record read or exported, a sign-in: ``audit.ACCESS_ACTIONS``), its details in ``after``.

    ``patient_id`` has no foreign key so that the trail outlives the record it describes.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_patient", "patient_id", "at"),
                      Index("ix_audit_action", "action", "at"))

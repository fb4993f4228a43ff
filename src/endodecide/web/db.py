"""The workshop database: its tables (SQLAlchemy), the engine for a URL, and schema migrations.

SQLite by default (a file created on first run, in WAL mode so that readers never wait for the
one writer); any SQLAlchemy URL works, PostgreSQL included. The schema is created and upgraded
by Alembic migrations shipped in the package (``web/migrations``), never by ``create_all``, so
a database made by an older version is brought up to date when the server starts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "DEFAULT_DB",
    "BallotRow",
    "Base",
    "FeedbackRow",
    "IssuedCardRow",
    "ParticipantRow",
    "RoundRow",
    "SessionProfileRow",
    "SessionRow",
    "SessionRuleRow",
    "SettingRow",
    "SignOffRow",
    "database_url",
    "make_engine",
    "migrate",
    "utcnow",
]

DEFAULT_DB = "endodecide-workshop.sqlite3"
_MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


class Base(DeclarativeBase):
    pass


class SettingRow(Base):
    """Server-wide values that must survive a restart (the CSRF signing secret)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(11), primary_key=True)  # ws-<8 hex>
    title: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(8), unique=True)
    facilitator_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the token, never it
    threshold: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[str] = mapped_column(String(10))
    pack_fingerprint: Mapped[str] = mapped_column(String(12))
    created: Mapped[dt.datetime] = mapped_column(DateTime)


class SessionRuleRow(Base):
    __tablename__ = "session_rules"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(5), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(12))  # the card as the panel saw it


class SessionProfileRow(Base):
    __tablename__ = "session_profiles"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ParticipantRow(Base):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    joined: Mapped[dt.datetime] = mapped_column(DateTime)


class RoundRow(Base):
    __tablename__ = "rounds"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(5), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened: Mapped[dt.datetime] = mapped_column(DateTime)
    closed: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class BallotRow(Base):
    """One vote: the unique key makes a second submission replace the first, never add to it."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("participant_id", "rule_id", "round", name="one_ballot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    rule_id: Mapped[str] = mapped_column(String(5))
    round: Mapped[int] = mapped_column(Integer)
    vote: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    proposed_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    cast: Mapped[dt.datetime] = mapped_column(DateTime)


class SignOffRow(Base):
    __tablename__ = "sign_offs"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(5), primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    agree: Mapped[int] = mapped_column(Integer)
    voters: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(12))
    signed: Mapped[dt.datetime] = mapped_column(DateTime)


class IssuedCardRow(Base):
    """A card the CDS Hooks service answered with: which rule, what it said (never who for)."""

    __tablename__ = "cds_cards"
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(60))
    rule_id: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(10))
    issued: Mapped[dt.datetime] = mapped_column(DateTime)


class FeedbackRow(Base):
    """What a user did with a card (CDS Hooks feedback): accepted, or overridden and why."""

    __tablename__ = "cds_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(60))
    card_uuid: Mapped[str] = mapped_column(String(36), index=True)
    outcome: Mapped[str] = mapped_column(String(12))
    reason_system: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    reason_display: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_comment: Mapped[str] = mapped_column(Text, default="")
    outcome_timestamp: Mapped[str] = mapped_column(String(40))
    received: Mapped[dt.datetime] = mapped_column(DateTime)


def database_url(db: str | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as given, or a path to a SQLite file."""
    if not db:
        db = DEFAULT_DB
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL: a power cut may lose the last commits, never the file
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # many voters at once: wait, do not fail
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (Alembic, on this engine)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

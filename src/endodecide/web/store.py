"""What the workshop server does to its database: sessions, joining, rounds, ballots, sign-offs.

Every statement goes through SQLAlchemy with bound parameters. Secrets (facilitator tokens,
participants' tokens) are made by ``secrets`` and stored only as SHA-256 digests, so a copy of
the database lets nobody act as the facilitator. A session is read back as the plain
``SessionRecord`` that results, minutes and sign-off work on.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Executable, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from endodecide.web.db import (
    BallotRow,
    ParticipantRow,
    RoundRow,
    SessionProfileRow,
    SessionRow,
    SessionRuleRow,
    SettingRow,
    SignOffRow,
    utcnow,
)
from endodecide.workshop.panel import (
    Ballot,
    Participant,
    RoundState,
    SessionRecord,
    SignOff,
)

__all__ = ["Conflict", "NewSession", "Store", "digest"]

# Join codes avoid look-alike characters (0/O, 1/I/L) so they can be read off a projector.
_JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_JOIN_LENGTH = 6
_REPLACED = ("vote", "reason", "comment", "proposed_edit", "cast")


class Conflict(Exception):
    """An action that the session's state does not allow now (HTTP 409), said in words."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    id: str
    join_code: str
    facilitator_token: str


class Store:
    """The database of one workshop server."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # What never changes once written (a session's row and rules, who a token belongs to)
        # is kept in memory: a ballot then costs one statement, not five.
        self._session_rows: dict[str, SessionRow] = {}
        self._rule_hashes: dict[str, dict[str, str]] = {}
        self._participants: dict[tuple[str, str], ParticipantRow] = {}
        # SQLite has one writer at a time, and a writer that finds the file locked sleeps in
        # growing steps: under a burst of ballots some wait for seconds. Queuing the writes
        # here instead keeps every wait short and in order (other databases need no queue).
        self._cast_statement = _cast_statement(engine.dialect.name)
        self._write_queue = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    def _db(self) -> Session:
        return self._sessions()

    # -- server settings ---------------------------------------------------------------------

    def setting(self, key: str, make: Any) -> str:
        """The stored value of ``key``, made by ``make()`` and stored on first use."""
        with self._db() as db, db.begin():
            row = db.get(SettingRow, key)
            if row is None:
                row = SettingRow(key=key, value=make())
                db.add(row)
            return row.value

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self,
        title: str,
        rules: list[tuple[str, str]],
        profile_ids: list[str],
        threshold: int,
        as_of: str,
        fingerprint: str,
    ) -> NewSession:
        """A new session over ``rules`` (id, content hash), in the order given."""
        token = secrets.token_urlsafe(24)
        for _attempt in range(20):
            session_id = f"ws-{secrets.token_hex(4)}"
            code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(_JOIN_LENGTH))
            try:
                with self._db() as db, db.begin():
                    db.add(
                        SessionRow(
                            id=session_id,
                            title=title,
                            join_code=code,
                            facilitator_hash=digest(token),
                            threshold=threshold,
                            as_of=as_of,
                            pack_fingerprint=fingerprint,
                            created=utcnow(),
                        )
                    )
                    db.flush()
                    db.add_all(
                        SessionRuleRow(
                            session_id=session_id, rule_id=rule_id, position=i, content_hash=h
                        )
                        for i, (rule_id, h) in enumerate(rules)
                    )
                    db.add_all(
                        SessionProfileRow(session_id=session_id, profile_id=p, position=i)
                        for i, p in enumerate(profile_ids)
                    )
                return NewSession(session_id, code, token)
            except IntegrityError:  # a clash of random id or code: draw again
                continue
        raise Conflict("could not draw a free session id and join code; try again")

    def session(self, session_id: str) -> SessionRow | None:
        row = self._session_rows.get(session_id)
        if row is None:
            with self._db() as db:
                row = db.get(SessionRow, session_id)
            if row is not None:
                self._session_rows[session_id] = row
        return row

    def session_by_code(self, code: str) -> SessionRow | None:
        with self._db() as db:
            return db.scalars(
                select(SessionRow).where(SessionRow.join_code == code.strip().upper())
            ).first()

    def sessions(self) -> list[SessionRow]:
        with self._db() as db:
            return list(db.scalars(select(SessionRow).order_by(SessionRow.created.desc())))

    def is_facilitator(self, session: SessionRow, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(session.facilitator_hash, digest(token or ""))

    def rule_hashes(self, session_id: str) -> dict[str, str]:
        """The session's rules, in order, with the content hash each had when it was set up."""
        if session_id not in self._rule_hashes:
            with self._db() as db:
                rows = db.scalars(
                    select(SessionRuleRow)
                    .where(SessionRuleRow.session_id == session_id)
                    .order_by(SessionRuleRow.position)
                )
                self._rule_hashes[session_id] = {row.rule_id: row.content_hash for row in rows}
        return dict(self._rule_hashes[session_id])

    # -- participants ------------------------------------------------------------------------

    def join(self, session_id: str, name: str, role: str) -> tuple[int, str]:
        token = secrets.token_urlsafe(24)
        with self._db() as db, db.begin():
            row = ParticipantRow(
                session_id=session_id,
                name=name,
                role=role,
                token_hash=digest(token),
                joined=utcnow(),
            )
            db.add(row)
            db.flush()
            return row.id, token

    def participant(self, session_id: str, token: str | None) -> ParticipantRow | None:
        if not token:
            return None
        key = (session_id, digest(token))
        found = self._participants.get(key)
        if found is None:
            with self._db() as db:
                found = db.scalars(
                    select(ParticipantRow).where(
                        ParticipantRow.session_id == session_id,
                        ParticipantRow.token_hash == key[1],
                    )
                ).first()
            if found is not None:
                self._participants[key] = found
        return found

    # -- rounds ------------------------------------------------------------------------------

    def open_round(self, session_id: str, rule_id: str, number: int) -> None:
        with self._db() as db, db.begin():
            rounds = {
                r.number: r
                for r in db.scalars(
                    select(RoundRow).where(
                        RoundRow.session_id == session_id, RoundRow.rule_id == rule_id
                    )
                )
            }
            if number in rounds:
                raise Conflict(f"round {number} of {rule_id} was already opened")
            if number == 2 and (1 not in rounds or rounds[1].closed is None):
                raise Conflict(f"round 2 of {rule_id} opens after round 1 is closed")
            db.add(RoundRow(session_id=session_id, rule_id=rule_id, number=number, opened=utcnow()))

    def close_round(self, session_id: str, rule_id: str, number: int) -> None:
        with self._db() as db, db.begin():
            closed = db.execute(
                update(RoundRow)
                .where(
                    RoundRow.session_id == session_id,
                    RoundRow.rule_id == rule_id,
                    RoundRow.number == number,
                    RoundRow.closed.is_(None),
                )
                .values(closed=utcnow())
            )
            if closed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(f"round {number} of {rule_id} is not open")

    def open_round_number(self, session_id: str, rule_id: str) -> int | None:
        with self._db() as db:
            return db.scalars(
                select(RoundRow.number).where(
                    RoundRow.session_id == session_id,
                    RoundRow.rule_id == rule_id,
                    RoundRow.closed.is_(None),
                )
            ).first()

    # -- ballots -----------------------------------------------------------------------------

    def cast(self, session_id: str, participant_id: int, ballot: Ballot) -> None:
        """Record ``ballot`` in the rule's open round; a second one from the same participant in
        the same round replaces the first (one row per participant, rule and round)."""
        values = {
            "session_id": session_id,
            "participant_id": participant_id,
            "rule_id": ballot.rule_id,
            "round": ballot.round,
            "vote": ballot.vote,
            "reason": ballot.reason,
            "comment": ballot.comment,
            "proposed_edit": ballot.proposed_edit,
            "cast": utcnow(),
        }
        with self._write_queue, self.engine.begin() as connection:
            written = connection.execute(self._cast_statement, values).rowcount
        if written != 1:
            raise Conflict(
                f"round {ballot.round} of {ballot.rule_id} is closed: the ballot was not recorded"
            )

    def ballot_count(self, session_id: str) -> int:
        with self._db() as db:
            return (
                db.scalar(
                    select(func.count())
                    .select_from(BallotRow)
                    .where(BallotRow.session_id == session_id)
                )
                or 0
            )

    def ballot_of(
        self, session_id: str, participant_id: int, rule_id: str, number: int
    ) -> BallotRow | None:
        with self._db() as db:
            return db.scalars(
                select(BallotRow).where(
                    BallotRow.session_id == session_id,
                    BallotRow.participant_id == participant_id,
                    BallotRow.rule_id == rule_id,
                    BallotRow.round == number,
                )
            ).first()

    # -- sign-off ----------------------------------------------------------------------------

    def record_sign_off(self, session_id: str, sign_off: SignOff) -> None:
        with self._db() as db, db.begin():
            db.execute(
                delete(SignOffRow).where(
                    SignOffRow.session_id == session_id, SignOffRow.rule_id == sign_off.rule_id
                )
            )
            db.add(
                SignOffRow(
                    session_id=session_id,
                    rule_id=sign_off.rule_id,
                    round=sign_off.round,
                    agree=sign_off.agree,
                    voters=sign_off.voters,
                    content_hash=sign_off.content_hash,
                    signed=sign_off.signed,
                )
            )

    # -- the whole session -------------------------------------------------------------------

    def record(self, session_id: str) -> SessionRecord | None:
        with self._db() as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                return None

            def rows(model: Any, *order: Any) -> list[Any]:
                return list(
                    db.scalars(select(model).where(model.session_id == session_id).order_by(*order))
                )

            return SessionRecord(
                id=row.id,
                title=row.title,
                threshold=row.threshold,
                as_of=row.as_of,
                created=row.created,
                pack_fingerprint=row.pack_fingerprint,
                rule_ids=[r.rule_id for r in rows(SessionRuleRow, SessionRuleRow.position)],
                profile_ids=[
                    p.profile_id for p in rows(SessionProfileRow, SessionProfileRow.position)
                ],
                participants=[
                    Participant(p.id, p.name, p.role)
                    for p in rows(ParticipantRow, ParticipantRow.id)
                ],
                ballots=[
                    Ballot(
                        b.participant_id,
                        b.rule_id,
                        b.round,
                        b.vote,
                        b.reason,
                        b.comment,
                        b.proposed_edit,
                    )
                    for b in rows(
                        BallotRow, BallotRow.rule_id, BallotRow.round, BallotRow.participant_id
                    )
                ],
                rounds=[
                    RoundState(r.rule_id, r.number, r.opened, r.closed)
                    for r in rows(RoundRow, RoundRow.rule_id, RoundRow.number)
                ],
                sign_offs=[
                    SignOff(s.rule_id, s.round, s.agree, s.voters, s.content_hash, s.signed)
                    for s in rows(SignOffRow, SignOffRow.rule_id)
                ],
            )


def _cast_statement(dialect: str) -> Executable:
    """One statement, built once: insert the ballot only while its round is open, or replace
    this participant's earlier ballot of that round. No read-then-write, so concurrent voters
    never wait on a lock upgrade, and the unique key keeps it to one row."""
    columns = [
        "session_id",
        "participant_id",
        "rule_id",
        "round",
        "vote",
        "reason",
        "comment",
        "proposed_edit",
        "cast",
    ]
    table = BallotRow.__table__
    round_open = (
        select(RoundRow.number)
        .where(
            RoundRow.session_id == bindparam("session_id"),
            RoundRow.rule_id == bindparam("rule_id"),
            RoundRow.number == bindparam("round"),
            RoundRow.closed.is_(None),
        )
        .exists()
    )
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    statement = insert(BallotRow).from_select(
        columns,
        select(*(bindparam(c, type_=table.c[c].type) for c in columns)).where(round_open),
    )
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=["participant_id", "rule_id", "round"],
        set_={c: statement.excluded[c] for c in _REPLACED},
    )
    return upsert

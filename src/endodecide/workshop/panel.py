"""A rule-review panel's vocabulary (roles, votes, reasons) and the plain record of a session.

The workshop server stores sessions in a database; everything that reads a session afterwards
(results, agreement, minutes, sign-off) reads this plain record instead, so it can be tested
without a server and the minutes command needs no web stack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = [
    "REASONS",
    "REASON_SYSTEM",
    "ROLES",
    "VOTES",
    "Ballot",
    "Participant",
    "Reason",
    "Role",
    "RoundState",
    "SessionRecord",
    "SignOff",
    "Vote",
]

Role = Literal["oncologist", "pharmacist", "nurse", "informatician", "trainee", "other"]
ROLES: tuple[str, ...] = get_args(Role)

Vote = Literal["agree", "agree_with_changes", "disagree"]
VOTES: dict[str, str] = {
    "agree": "agree",
    "agree_with_changes": "agree with changes",
    "disagree": "disagree",
}

# Why a participant did not simply agree: coded, in the shape of a CDS Hooks override reason
# (a Coding: system, code, display), so a classroom's overrides and a panel's objections read
# alike.
Reason = Literal[
    "evidence-out-of-date",
    "population-mismatch",
    "threshold-wrong",
    "caution-missing",
    "wrong-status",
    "other",
]
REASON_SYSTEM = "https://endodecide.example/fhir/CodeSystem/rule-review-reason"
REASONS: dict[str, str] = {
    "evidence-out-of-date": "evidence out of date",
    "population-mismatch": "population does not match the trial",
    "threshold-wrong": "threshold wrong",
    "caution-missing": "caution missing",
    "wrong-status": "wrong status",
    "other": "other",
}


@dataclass(frozen=True)
class Participant:
    """Someone in the room: a display name of their choosing and a role; no account."""

    id: int
    name: str
    role: str


@dataclass(frozen=True)
class Ballot:
    """One participant's vote on one rule in one round (at most one: a resubmission replaces)."""

    participant_id: int
    rule_id: str
    round: int  # 1 before discussion, 2 after
    vote: str  # a key of VOTES
    reason: str | None = None  # a key of REASONS; None for "agree"
    comment: str = ""
    proposed_edit: bool = False  # the comment proposes a change to the rule's text


@dataclass(frozen=True)
class RoundState:
    """When the facilitator opened and closed one round on one rule."""

    rule_id: str
    round: int
    opened: dt.datetime
    closed: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class SignOff:
    """A rule the facilitator signed off after the panel reached consensus on it."""

    rule_id: str
    round: int
    agree: int
    voters: int
    content_hash: str
    signed: dt.datetime


@dataclass(frozen=True)
class SessionRecord:
    """Everything a session holds, in the order it was entered."""

    id: str
    title: str
    threshold: int  # percent of a round's ballots that must be "agree" for consensus
    as_of: str  # the evidence date the rules were reviewed at (YYYY-MM-DD)
    created: dt.datetime
    rule_ids: list[str]
    profile_ids: list[str]
    participants: list[Participant] = field(default_factory=list)
    ballots: list[Ballot] = field(default_factory=list)
    rounds: list[RoundState] = field(default_factory=list)
    sign_offs: list[SignOff] = field(default_factory=list)
    pack_fingerprint: str = ""

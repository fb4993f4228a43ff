"""What a rule-review panel decided, read from a SessionRecord: the tally of each rule's rounds,
the panel's agreement (Krippendorff's alpha) per round, and the dissent and proposed edits the
minutes quote.

Everything here is a pure function of the record, so results, minutes and sign-off agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import krippendorff
import numpy as np

from endodecide.workshop.panel import REASONS, VOTES, Ballot, Participant, SessionRecord

__all__ = [
    "NO_UNITS",
    "NO_VARIATION",
    "ROUNDS",
    "Agreement",
    "BallotNote",
    "RoundTally",
    "RuleResult",
    "agreement",
    "alpha_meaning",
    "dissent",
    "proposed_edits",
    "tally",
]

ROUNDS = (1, 2)
_VOTE_CODES = {vote: code for code, vote in enumerate(VOTES)}
# Krippendorff's guideline bands; "near zero" is ours: within this of 0 reads as chance.
_RELIABLE = 0.800
_TENTATIVE = 0.667
_CHANCE_BAND = 0.05
NO_UNITS = "fewer than two rules with two or more ballots"
NO_VARIATION = "every ballot was the same vote, so there is no variation to agree on"


@dataclass(frozen=True)
class RoundTally:
    """One round on one rule: the ballots counted per vote and whether they reach consensus."""

    rule_id: str
    round: int
    counts: dict[str, int]  # every key of VOTES, in its order
    voters: int
    agree_share: float | None  # plain "agree" ballots over all ballots; None with no ballots
    consensus: bool
    closed: bool


@dataclass(frozen=True)
class RuleResult:
    """A rule's rounds, the movement between them and the round that decides it."""

    rule_id: str
    rounds: list[RoundTally]
    change: float | None  # round 2's agree share minus round 1's, in percentage points
    switched: int  # participants who voted in both rounds and changed their vote
    decided_round: int | None  # the last closed round with ballots
    consensus: bool


@dataclass(frozen=True)
class Agreement:
    """Krippendorff's alpha for one round, what it was computed over, and what it means."""

    round: int
    alpha: float | None
    units: int  # rules with two or more ballots in the round
    coders: int  # participants with a ballot on one of those rules
    ballots: int  # ballots on those rules
    meaning: str
    reason_if_none: str  # why alpha is undefined; "" when it is defined


@dataclass(frozen=True)
class BallotNote:
    """One ballot as the minutes quote it: who, on what, how, and why."""

    participant_id: int
    name: str
    role: str
    rule_id: str
    round: int
    vote: str
    vote_label: str
    reason: str | None
    reason_label: str
    comment: str
    proposed_edit: bool


def _ballots(record: SessionRecord) -> list[Ballot]:
    """The record's ballots, one per participant, rule and round (a later one replaces)."""
    latest: dict[tuple[int, str, int], Ballot] = {}
    for ballot in record.ballots:
        if ballot.vote not in VOTES:
            raise ValueError(f"ballot on {ballot.rule_id} has an unknown vote {ballot.vote!r}")
        latest[(ballot.participant_id, ballot.rule_id, ballot.round)] = ballot
    return list(latest.values())


def _round_tally(
    record: SessionRecord, rule_id: str, round_: int, ballots: list[Ballot]
) -> RoundTally:
    counts = dict.fromkeys(VOTES, 0)
    for ballot in ballots:
        counts[ballot.vote] += 1
    voters = len(ballots)
    states = [s for s in record.rounds if s.rule_id == rule_id and s.round == round_]
    return RoundTally(
        rule_id=rule_id,
        round=round_,
        counts=counts,
        voters=voters,
        agree_share=counts["agree"] / voters if voters else None,
        # integers, so a share exactly at the threshold counts without float rounding
        consensus=voters > 0 and counts["agree"] * 100 >= record.threshold * voters,
        closed=bool(states) and not states[-1].is_open,  # the latest state, if reopened
    )


def _rule_result(record: SessionRecord, rule_id: str, ballots: list[Ballot]) -> RuleResult:
    mine = [b for b in ballots if b.rule_id == rule_id]
    by_round = {r: [b for b in mine if b.round == r] for r in ROUNDS}
    opened = {s.round for s in record.rounds if s.rule_id == rule_id}
    rounds = [
        _round_tally(record, rule_id, r, by_round[r]) for r in ROUNDS if r in opened or by_round[r]
    ]
    voted = {t.round: t for t in rounds if t.voters}
    first, second = voted.get(1), voted.get(2)
    change = None
    if first and second and first.agree_share is not None and second.agree_share is not None:
        change = (second.agree_share - first.agree_share) * 100
    decided = [t for t in rounds if t.closed and t.voters]
    return RuleResult(
        rule_id=rule_id,
        rounds=rounds,
        change=change,
        switched=_switched(by_round[1], by_round[2]),
        decided_round=decided[-1].round if decided else None,
        consensus=decided[-1].consensus if decided else False,
    )


def _switched(first: list[Ballot], second: list[Ballot]) -> int:
    before = {b.participant_id: b.vote for b in first}
    return sum(
        1 for b in second if b.participant_id in before and before[b.participant_id] != b.vote
    )


def tally(record: SessionRecord) -> list[RuleResult]:
    """Each of the session's rules, in the session's order, with its rounds 1 and 2."""
    ballots = _ballots(record)
    return [_rule_result(record, rule_id, ballots) for rule_id in record.rule_ids]


def agreement(record: SessionRecord, round: int) -> Agreement:
    """Krippendorff's alpha for one round: how far the panel members agree with each other about
    each rule (the vote, a nominal category: agree, agree with changes, disagree), across the
    session's rules. A member need not vote on every rule: missing ballots are allowed, and a
    rule counts once two or more members voted on it. Alpha is undefined, and the reason given,
    with fewer than two such rules or when every ballot was the same vote."""
    ballots = [b for b in _ballots(record) if b.round == round]
    per_rule = {rule_id: [b for b in ballots if b.rule_id == rule_id] for rule_id in _rules(record)}
    units = [rule_id for rule_id, votes in per_rule.items() if len(votes) >= 2]
    counted = [b for rule_id in units for b in per_rule[rule_id]]
    coders = sorted({b.participant_id for b in counted})
    value, reason = _alpha(units, coders, counted)
    return Agreement(
        round=round,
        alpha=value,
        units=len(units),
        coders=len(coders),
        ballots=len(counted),
        meaning=(
            alpha_meaning(value, len(units), len(coders))
            if value is not None
            else f"Alpha is not defined for round {round}: {reason}."
        ),
        reason_if_none=reason,
    )


def _rules(record: SessionRecord) -> list[str]:
    """The session's rules, then any rule a ballot names that the session does not list."""
    extra = sorted({b.rule_id for b in record.ballots} - set(record.rule_ids))
    return [*record.rule_ids, *extra]


def _alpha(units: list[str], coders: list[int], ballots: list[Ballot]) -> tuple[float | None, str]:
    if len(units) < 2:
        return None, NO_UNITS
    if len({b.vote for b in ballots}) < 2:
        return None, NO_VARIATION
    matrix = np.full((len(coders), len(units)), np.nan)
    row, column = {c: i for i, c in enumerate(coders)}, {u: j for j, u in enumerate(units)}
    for b in ballots:
        matrix[row[b.participant_id], column[b.rule_id]] = _VOTE_CODES[b.vote]
    try:
        value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    except ValueError:
        return None, NO_VARIATION
    if math.isnan(value):
        return None, NO_VARIATION
    return value, ""


def alpha_meaning(alpha: float, units: int, coders: int) -> str:
    """One plain sentence: the figure, what it was computed over, and Krippendorff's reading."""
    return (
        f"Krippendorff's alpha is {alpha:.3f} across {units} rules and {coders} panel members: "
        f"{_band(alpha)}."
    )


def _band(alpha: float) -> str:
    shown = round(alpha, 3)  # judged as printed, so "0.667" never reads as below 0.667
    if shown >= _RELIABLE:
        return "reliable agreement"
    if shown >= _TENTATIVE:
        return "tentative agreement: draw only tentative conclusions"
    if abs(shown) < _CHANCE_BAND:
        return "agreement no better than chance, too low to rely on"
    if shown < 0:
        return "systematic disagreement, worse than chance"
    return "agreement too low to rely on"


def _note(ballot: Ballot, people: dict[int, Participant]) -> BallotNote:
    person = people.get(ballot.participant_id)
    reason = ballot.reason
    return BallotNote(
        participant_id=ballot.participant_id,
        name=person.name if person else f"participant {ballot.participant_id}",
        role=person.role if person else "unknown",
        rule_id=ballot.rule_id,
        round=ballot.round,
        vote=ballot.vote,
        vote_label=VOTES[ballot.vote],
        reason=reason,
        reason_label=REASONS.get(reason, reason) if reason else "",
        comment=ballot.comment,
        proposed_edit=ballot.proposed_edit,
    )


def _notes(record: SessionRecord, ballots: Iterable[Ballot]) -> list[BallotNote]:
    """Ballots as notes, in the session's rule order, then round, then participant id."""
    order = {rule_id: i for i, rule_id in enumerate(_rules(record))}
    people = {p.id: p for p in record.participants}
    ordered = sorted(ballots, key=lambda b: (order[b.rule_id], b.round, b.participant_id))
    return [_note(b, people) for b in ordered]


def dissent(record: SessionRecord) -> list[BallotNote]:
    """Every ballot that is not a plain "agree": the dissent log of the minutes."""
    return _notes(record, (b for b in _ballots(record) if b.vote != "agree"))


def proposed_edits(record: SessionRecord) -> list[BallotNote]:
    """Every ballot that proposes an edit to the rule's text and says what it is."""
    chosen = (b for b in _ballots(record) if b.proposed_edit and b.comment.strip())
    return _notes(record, chosen)

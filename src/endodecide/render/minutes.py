"""The minutes of a rule-review session (Markdown and HTML) and the list of proposed edits for the
rule author, written from the session's plain record.

Python shapes the rows (tallies, decisions, agreement, dissent); the templates ``minutes`` and
``proposed_edits`` hold the layout. Every text a participant typed reaches the page only through
the format's escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from endodecide.render.environment import Format, template_environment
from endodecide.render.report import write_atomic
from endodecide.workshop.agreement import (
    ROUNDS,
    Agreement,
    BallotNote,
    RuleResult,
    agreement,
    dissent,
    proposed_edits,
    tally,
)
from endodecide.workshop.panel import ROLES, VOTES, SessionRecord, SignOff

__all__ = [
    "ALPHA_EXPLAINED",
    "RuleInfo",
    "render_minutes",
    "render_proposed_edits",
    "write_minutes",
]

ALPHA_EXPLAINED = (
    "Krippendorff's alpha measures how far the panel members agree with each other about each "
    "rule's vote (agree, agree with changes, disagree: categories without an order), across the "
    "session's rules, allowing for the agreement expected by chance. A member need not vote on "
    "every rule. Alpha is 1 when the members always agree, about 0 when they agree no more than "
    "chance would make them, and below 0 when they disagree systematically. Krippendorff's "
    "guideline: 0.800 or more is reliable; from 0.667 to below 0.800 allows only tentative "
    "conclusions; below 0.667 is too low to rely on. Alpha is not the consensus: consensus is "
    "judged per rule, by the share of plain agree ballots reaching the session's threshold."
)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class RuleInfo:
    """What the minutes show of a rule card: its title, its file and the hash of its content."""

    title: str
    source: str  # the rule file's path, as shown to the author
    content_hash: str


@dataclass(frozen=True)
class _RoundRow:
    round: int
    counts: list[int]  # in VOTES order
    voters: int
    share: str
    consensus: str
    state: str


@dataclass(frozen=True)
class _RuleSection:
    rule_id: str
    info: RuleInfo
    rounds: list[_RoundRow]
    change: str
    switched: int
    decision: str
    notes: list[BallotNote]
    edits: list[BallotNote]


@dataclass(frozen=True)
class _AgreementRow:
    round: int
    alpha: str
    units: int
    coders: int
    ballots: int
    meaning: str


def _percent(share: float | None) -> str:
    if share is None:
        return "-"
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


def _change(points: float | None) -> str:
    if points is None:
        return "not measured: needs ballots in both rounds"
    shown = f"{points:+.1f}".removesuffix(".0")
    return f"{'0' if shown in ('+0', '-0') else shown} percentage points"


def _decision(result: RuleResult, signed: SignOff | None, info: RuleInfo) -> str:
    if signed is not None:
        text = (
            f"signed off on {signed.signed.date().isoformat()} after round {signed.round} "
            f"({signed.agree} of {signed.voters} agreed)"
        )
        if info.content_hash and signed.content_hash != info.content_hash:
            text += f"; the rule has changed since (signed {signed.content_hash}, now "
            text += f"{info.content_hash})"
        return text
    if result.decided_round is not None:
        verdict = "consensus reached, not signed off" if result.consensus else "no consensus"
        return f"{verdict} (round {result.decided_round})"
    if any(t.voters for t in result.rounds):
        return "voting open, no decision yet"
    return "not voted"


def _round_rows(result: RuleResult) -> list[_RoundRow]:
    return [
        _RoundRow(
            round=t.round,
            counts=[t.counts[vote] for vote in VOTES],
            voters=t.voters,
            share=_percent(t.agree_share),
            consensus="yes" if t.consensus else "no",
            state="closed" if t.closed else "open",
        )
        for t in result.rounds
    ]


def _sections(record: SessionRecord, rules: dict[str, RuleInfo]) -> list[_RuleSection]:
    notes, edits = dissent(record), proposed_edits(record)
    signed = {s.rule_id: s for s in record.sign_offs}  # the latest sign-off of each rule
    sections = []
    for result in tally(record):
        rule_id = result.rule_id
        info = rules.get(rule_id, RuleInfo(title=rule_id, source="", content_hash=""))
        sections.append(
            _RuleSection(
                rule_id=rule_id,
                info=info,
                rounds=_round_rows(result),
                change=_change(result.change),
                switched=result.switched,
                decision=_decision(result, signed.get(rule_id), info),
                notes=[n for n in notes if n.rule_id == rule_id],
                edits=[e for e in edits if e.rule_id == rule_id],
            )
        )
    return sections


def _roles(record: SessionRecord) -> list[tuple[str, list[str]]]:
    """Participants grouped by role, in the vocabulary's order, then any other role."""
    order = [*ROLES, *sorted({p.role for p in record.participants} - set(ROLES))]
    groups = [(role, [p.name for p in record.participants if p.role == role]) for role in order]
    return [(role, names) for role, names in groups if names]


def _agreement_rows(record: SessionRecord) -> list[_AgreementRow]:
    voted = {b.round for b in record.ballots}
    rows = [agreement(record, r) for r in ROUNDS if r in voted]
    return [_agreement_row(a) for a in rows]


def _agreement_row(found: Agreement) -> _AgreementRow:
    return _AgreementRow(
        round=found.round,
        alpha=f"{found.alpha:.3f}" if found.alpha is not None else "not defined",
        units=found.units,
        coders=found.coders,
        ballots=found.ballots,
        meaning=found.meaning,
    )


def render_minutes(
    record: SessionRecord, rules: dict[str, RuleInfo], disclaimer: str, fmt: Format
) -> str:
    """The session's minutes: who took part, each rule's rounds and decision, the dissent and
    proposed edits, and the panel's agreement per round."""
    return (
        template_environment(fmt)
        .get_template(f"minutes.{fmt}.j2")
        .render(
            disclaimer=disclaimer,
            session=record,
            created=record.created.date().isoformat(),
            roles=_roles(record),
            votes=list(VOTES.values()),
            sections=_sections(record, rules),
            agreements=_agreement_rows(record),
            alpha_explained=ALPHA_EXPLAINED,
        )
    )


def render_proposed_edits(
    record: SessionRecord, rules: dict[str, RuleInfo], disclaimer: str
) -> str:
    """A Markdown checklist for the rule author: each proposed edit under its rule and file."""
    sections = [s for s in _sections(record, rules) if s.edits]
    return (
        template_environment("md")
        .get_template("proposed_edits.md.j2")
        .render(disclaimer=disclaimer, session=record, sections=sections)
    )


def write_minutes(
    record: SessionRecord, rules: dict[str, RuleInfo], disclaimer: str, out_dir: Path
) -> list[Path]:
    """Write the minutes (Markdown and HTML) and the proposed edits into ``out_dir``."""
    if not _SAFE_ID.fullmatch(record.id):
        raise ValueError(f"session id {record.id!r} cannot name a file")
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = {
        f"minutes-{record.id}.md": render_minutes(record, rules, disclaimer, "md"),
        f"minutes-{record.id}.html": render_minutes(record, rules, disclaimer, "html"),
        f"proposed-edits-{record.id}.md": render_proposed_edits(record, rules, disclaimer),
    }
    paths = []
    for name, text in pages.items():
        write_atomic(out_dir / name, text)
        paths.append(out_dir / name)
    return paths

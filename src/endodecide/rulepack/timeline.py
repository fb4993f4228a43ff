"""Dated knowledge: which rules are in force on a date, and with what status.

A rule states the evidence as it stood at the pack's evidence date. After it, a rule may
``since`` a date (a strategy that did not exist before: it does not fire earlier) and carry a
``timeline`` of changes (a new status, a new flag message, or retirement), each decided by
published evidence and dated by that evidence's publication. ``rules_at`` applies all of that
for one date; everything downstream (the engine program, results, coverage, catalogue) then sees
an ordinary pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from endodecide.dates import PartialDate
from endodecide.errors import Problem
from endodecide.evidence import EvidenceCatalogue
from endodecide.rulepack.schema import PackManifest, RuleFile, TimelineChange

if TYPE_CHECKING:  # the model imports this module
    from endodecide.rulepack.model import Rule

__all__ = [
    "NOT_DIRECTIONS",
    "DatedChange",
    "change_dates",
    "check_directions",
    "check_timeline",
    "example_day",
    "history",
    "in_force",
    "latest_day",
    "rule_at",
    "started",
]


# Strategies that classify and flag rather than propose: no future direction to score.
NOT_DIRECTIONS = frozenset({"classification", "scope"})


@dataclass(frozen=True)
class DatedChange:
    """One event of a rule's history: it came into force, or one of its timeline changes."""

    rule: str
    when: PartialDate
    kind: str  # "since", "status", "message", "retired"
    evidence: tuple[str, ...]
    why: str
    status: str | None = None
    replaced_by: tuple[str, ...] = ()


def started(card: RuleFile) -> PartialDate | None:
    return PartialDate.parse(card.since) if card.since else None


def in_force(card: RuleFile, day: date) -> bool:
    """The rule exists on ``day`` (its ``since`` is known by then) and has not retired."""
    since = started(card)
    if since is not None and not since.known_by(day):
        return False
    return not any(c.retired and c.when.known_by(day) for c in card.timeline)


def _applied(card: RuleFile, day: date) -> list[TimelineChange]:
    return [change for change in card.timeline if change.when.known_by(day)]


def rule_at(card: RuleFile, day: date) -> RuleFile:
    """The rule card as it reads on ``day``: status, cautions or message changed by every
    timeline change known by then, and the deciding evidence added to what it cites."""
    applied = [c for c in _applied(card, day) if not c.retired]
    if not applied:
        return card
    then = card.then
    evidence = list(card.evidence)
    for change in applied:
        if change.status is not None and then.option is not None:
            update: dict[str, object] = {"status": change.status}
            if change.cautions is not None:
                update["cautions"] = change.cautions
            then = then.model_copy(update={"option": then.option.model_copy(update=update)})
        if change.message is not None and then.flag is not None:
            flag = then.flag.model_copy(update={"message": change.message})
            then = then.model_copy(update={"flag": flag})
        evidence += [ref for ref in change.evidence if ref not in evidence]
    contrary = [ref for ref in card.contrary_evidence if ref not in evidence]
    return card.model_copy(
        update={"then": then, "evidence": evidence, "contrary_evidence": contrary}
    )


def history(card: RuleFile) -> list[DatedChange]:
    """The rule's dated events, oldest first (its start, then its timeline)."""
    events: list[DatedChange] = []
    since = started(card)
    if since is not None:
        events.append(DatedChange(card.id, since, "since", tuple(card.evidence), card.statement))
    for change in card.timeline:
        kind = "retired" if change.retired else "status" if change.status else "message"
        events.append(
            DatedChange(
                card.id,
                change.when,
                kind,
                tuple(change.evidence),
                change.why,
                change.status,
                tuple(change.replaced_by),
            )
        )
    return events


def change_dates(cards: list[RuleFile]) -> list[date]:
    """Every day on which some rule's answer can change, in order (the day each event is known)."""
    return sorted({event.when.end for card in cards for event in history(card)})


def latest_day(cards: list[RuleFile], evidence_date: date) -> date:
    """The newest date in the pack: its last change, or the evidence date without any."""
    return max([evidence_date, *change_dates(cards)])


def example_day(card: RuleFile, evidence_date: date, latest: date) -> date:
    """The day a rule's own examples are checked on: the last day it is in force (the pack's
    latest date, or the day before it retired)."""
    retired = [c.when.end for c in card.timeline if c.retired]
    if retired:
        return max(min(retired) - timedelta(days=1), evidence_date)
    return latest


def check_timeline(
    rule: Rule, evidence_as_of: date, evidence: EvidenceCatalogue, rule_ids: set[str] | None
) -> list[Problem]:
    """A rule's dates: after the evidence date, in order, each the publication date of its
    deciding evidence, its evidence published by then; replacements that exist."""
    card, problems = rule.card, []

    def problem(field: str, message: str, code: str) -> None:
        line = rule.field_lines.get(field.split(".")[0], rule.line)
        problems.append(Problem(rule.source, line, field, message, code))

    since = started(card)
    previous = since
    dated = [("since", since, list(card.evidence))] if since else []
    dated += [
        (f"timeline.{i}", change.when, change.evidence) for i, change in enumerate(card.timeline)
    ]
    for index, change in enumerate(card.timeline):
        for ref in change.evidence:
            if ref not in evidence.entries:
                problem(
                    f"timeline.{index}.evidence",
                    f"evidence '{ref}' is not in the catalogue",
                    "E422",
                )
        for target in change.replaced_by:
            if rule_ids is not None and (target not in rule_ids or target == card.id):
                problem(
                    f"timeline.{index}.replaced_by",
                    f"'{target}' is not another rule of the pack",
                    "E437",
                )
    for field, when, refs in dated:
        if when.start <= evidence_as_of:
            problem(
                field,
                f"{when} is not after the pack's evidence date ({evidence_as_of}); what was known "
                "by then belongs in the rule itself",
                "E435",
            )
        if field != "since" and previous is not None and when.end < previous.end:
            problem(
                field,
                f"{when} comes before the change above it ({previous}); keep the "
                "timeline oldest first",
                "E435",
            )
        if field != "since":
            previous = when
        known = [evidence.entries[ref] for ref in refs if ref in evidence.entries]
        if known and not any(entry.publication == when for entry in known):
            dates = ", ".join(f"{e.id} {e.publication}" for e in known)
            problem(
                field,
                f"{when} is not the publication date of its deciding evidence ({dates}); a change "
                "is dated by the evidence that decided it",
                "E436",
            )
    if since is not None:
        for ref in card.evidence:
            entry = evidence.entries.get(ref)
            if entry is not None and entry.publication.end > since.end:
                problem(
                    "evidence",
                    f"'{ref}' ({entry.publication}) was published after the rule came into force "
                    f"({since}); add it as a timeline change instead",
                    "E436",
                )
    return problems


def check_directions(
    manifest: PackManifest,
    evidence: EvidenceCatalogue,
    rule_ids: set[str] | None,
    source: str,
    line_of: Callable[[tuple[str | int, ...]], int | None],
) -> list[Problem]:
    """The review's future directions: known strategies, evidence and rules, a verdict dated by
    its evidence, and one direction at least for every strategy but classification and scope.
    ``rule_ids`` is None when some rule file could not be read (its id is then unknown)."""
    problems: list[Problem] = []

    def problem(index: int, field: str, message: str, code: str) -> None:
        where = ("directions", index, field)
        problems.append(
            Problem(source, line_of(where), f"directions.{index}.{field}", message, code)
        )

    strategies = {s.id for s in manifest.strategies}
    for index, direction in enumerate(manifest.directions):
        if direction.strategy not in strategies:
            problem(index, "strategy", f"unknown strategy '{direction.strategy}'", "E421")
        for ref in direction.evidence:
            if ref not in evidence.entries:
                problem(index, "evidence", f"evidence '{ref}' is not in the catalogue", "E422")
        for rule_id in direction.rules:
            if rule_ids is not None and rule_id not in rule_ids:
                problem(index, "rules", f"'{rule_id}' is not a rule of the pack", "E437")
        when = PartialDate.parse(direction.date)
        known = [evidence.entries[ref] for ref in direction.evidence if ref in evidence.entries]
        if known and not any(entry.publication == when for entry in known):
            dates = ", ".join(f"{e.id} {e.publication}" for e in known)
            problem(
                index,
                "date",
                f"{when} is not the publication date of its evidence ({dates}); a verdict is "
                "dated by the evidence that decided it",
                "E436",
            )
    if manifest.directions:
        named = {direction.strategy for direction in manifest.directions}
        for strategy in manifest.strategies:
            if strategy.id not in named and strategy.id not in NOT_DIRECTIONS:
                problems.append(
                    Problem(
                        source,
                        line_of(("strategies",)),
                        "directions",
                        f"strategy '{strategy.id}' has no direction: say what became of it",
                        "E438",
                    )
                )
    return problems

"""The rule catalogue (``rules catalog``) and the workshop handout (``handout``).

One entry per rule, in the manner of a linter's rule documentation: what it says, when it
fires, what it proposes, the evidence with its figures and links, its own examples and its
review record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from endodecide.evidence import EvidenceEntry
from endodecide.render.environment import Format, template_environment
from endodecide.result import PackInfo, ProfileResult
from endodecide.rulepack import Rule, RulePack
from endodecide.rulepack.conditions import plain_words
from endodecide.rulepack.invariants import Invariant, check_in_words
from endodecide.rulepack.timeline import history
from endodecide.summary import summarise

if TYPE_CHECKING:
    from endodecide.render.history_svg import HistoryFigure

__all__ = [
    "InvariantEntry",
    "RuleEntry",
    "catalog_entries",
    "invariant_entries",
    "render_catalog",
    "render_handout",
]


@dataclass(frozen=True)
class ExampleEntry:
    fires: bool
    label: str
    summary: str


@dataclass(frozen=True)
class RuleEntry:
    rule: Rule
    strategy_title: str
    conditions: list[str]
    evidence: list[EvidenceEntry]
    contrary: list[EvidenceEntry]
    examples: list[ExampleEntry]
    review_state: str
    changes: list[str] = field(default_factory=list)  # its timeline, known by the pack's date


@dataclass(frozen=True)
class InvariantEntry:
    """A clinical safety invariant as a workshop reviews it."""

    invariant: Invariant
    applies_to: list[str]
    check: str
    evidence: list[EvidenceEntry]


def invariant_entries(pack: RulePack) -> list[InvariantEntry]:
    entries = pack.evidence.entries
    return [
        InvariantEntry(
            invariant,
            [plain_words(item) for item in invariant.applies_to] or ["every profile"],
            check_in_words(invariant),
            [entries[ref] for ref in invariant.spec.evidence],
        )
        for invariant in pack.invariants.invariants
    ]


@dataclass(frozen=True)
class StrategySection:
    id: str
    title: str
    summary: str
    entries: list[RuleEntry]


def _changes(pack: RulePack, rule_id: str) -> list[str]:
    """The rule's dated events known by the pack's date, one line each."""
    lines = []
    for event in history(pack.every_rule[rule_id].card):
        if not event.when.known_by(pack.date):
            continue
        what = (
            "came into force"
            if event.kind == "since"
            else f"status {str(event.status).replace('_', ' ')}: {event.why}"
            if event.kind == "status"
            else f"message changed: {event.why}"
        )
        lines.append(f"{event.when}: {what} [{', '.join(event.evidence)}]")
    return lines


def catalog_entries(pack: RulePack) -> list[StrategySection]:
    entries = pack.evidence.entries
    sections = []
    for strategy in pack.manifest.strategies:
        rules = [r for r in pack.rules.values() if r.card.strategy == strategy.id]
        if not rules:
            continue  # a strategy of later evidence, not yet in force on the pack's date
        sections.append(
            StrategySection(
                strategy.id,
                strategy.title,
                strategy.summary,
                [
                    RuleEntry(
                        rule=rule,
                        strategy_title=strategy.title,
                        conditions=[plain_words(item) for item in rule.when],
                        evidence=[entries[ref] for ref in rule.card.evidence],
                        contrary=[entries[ref] for ref in rule.card.contrary_evidence],
                        changes=_changes(pack, rule.id),
                        examples=[
                            ExampleEntry(e.fires, e.profile.label, summarise(e.profile))
                            for e in rule.examples
                        ],
                        review_state=rule.review_state,
                    )
                    for rule in rules
                ],
            )
        )
    return sections


def _common(pack: RulePack, info: PackInfo) -> dict[str, object]:
    states = [r.review_state for r in pack.rules.values()]
    return {
        "disclaimer": info.disclaimer,
        "pack": info,
        "manifest": pack.manifest,
        "sections": catalog_entries(pack),
        "limitations": pack.limitations,
        "invariants": invariant_entries(pack),
        "review_counts": {
            s: states.count(s) for s in ("reviewed", "changed since review", "draft")
        },
    }


def render_catalog(pack: RulePack, info: PackInfo, fmt: Format) -> str:
    return template_environment(fmt).get_template(f"catalog.{fmt}.j2").render(**_common(pack, info))


def render_handout(
    pack: RulePack,
    info: PackInfo,
    results: list[ProfileResult],
    histories: list[HistoryFigure] | None = None,
) -> str:
    """The workshop handout; ``histories``, one per result, draws each case's endocrine history
    against the thresholds (``render.history_svg.history_figure``)."""
    return (
        template_environment("html")
        .get_template("handout.html.j2")
        .render(**_common(pack, info), results=results, histories=histories or [])
    )

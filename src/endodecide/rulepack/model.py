"""The loaded rule pack: checked rules, the evidence catalogue and the compiled program."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from endodecide.evidence import EvidenceCatalogue, EvidenceEntry
from endodecide.profile import Profile
from endodecide.rulepack.conditions import Condition, Group
from endodecide.rulepack.invariants import InvariantSet
from endodecide.rulepack.program import Program
from endodecide.rulepack.schema import PackManifest, RuleFile, Strategy
from endodecide.rulepack.timeline import example_day, latest_day

__all__ = ["Example", "Limitation", "Rule", "RulePack"]


@dataclass(frozen=True)
class Example:
    """A rule's own example: a profile on which the rule must (or must not) fire."""

    profile: Profile
    fires: bool
    line: int | None


@dataclass(frozen=True)
class Rule:
    """One checked rule card."""

    card: RuleFile
    source: str
    line: int
    when: list[Condition | Group]
    content_hash: str
    examples: list[Example] = field(default_factory=list)
    stratum: int = 0
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.card.id

    @property
    def kind(self) -> str:
        return self.card.then.kind

    @property
    def review_state(self) -> str:
        """draft, reviewed, or changed since review (the content no longer has the signed hash)."""
        review = self.card.review
        if review.status == "draft":
            return "draft"
        return "reviewed" if review.content_hash == self.content_hash else "changed since review"


@dataclass(frozen=True)
class Limitation:
    """A known, documented gap of the pack, with the conditions that describe it."""

    id: str
    title: str
    summary: str
    when: list[Condition | Group]
    since: str | None = None  # documented from this date on (YYYY[-MM[-DD]])


@dataclass(frozen=True)
class RulePack:
    """Everything under ``rules/``, checked and compiled."""

    root: str
    manifest: PackManifest
    evidence: EvidenceCatalogue
    rules: dict[str, Rule]
    program: Program
    fingerprint: str
    limitations: list[Limitation] = field(default_factory=list)
    invariants: InvariantSet = field(default_factory=InvariantSet)
    all_rules: dict[str, Rule] = field(default_factory=dict)
    as_of: str = ""
    all_limitations: list[Limitation] = field(default_factory=list)

    @property
    def evidence_date(self) -> dt.date:
        """The review's evidence date: the pack's default date."""
        return dt.date.fromisoformat(self.manifest.evidence_as_of)

    @property
    def date(self) -> dt.date:
        """The date whose evidence this pack shows (the evidence date unless asked otherwise)."""
        return dt.date.fromisoformat(self.as_of) if self.as_of else self.evidence_date

    @property
    def every_rule(self) -> dict[str, Rule]:
        """Every rule of the files, in force on this date or not, as written (before changes)."""
        return self.all_rules or self.rules

    @property
    def latest_date(self) -> dt.date:
        """The newest date in the pack (``--as-of latest``)."""
        return latest_day([rule.card for rule in self.every_rule.values()], self.evidence_date)

    def example_date(self, rule_id: str) -> dt.date:
        """The day rule ``rule_id``'s own examples are checked on (the last day it is in force)."""
        card = self.every_rule[rule_id].card
        return example_day(card, self.evidence_date, self.latest_date)

    def after_evidence_date(self, entry: EvidenceEntry) -> bool:
        """Whether ``entry`` was published after the date this pack shows (the whole of its
        stated period after it: the one place this is decided, for the results and for
        ``evidence list``)."""
        return entry.publication.after(self.date)

    def strategy(self, strategy_id: str) -> Strategy:
        return next(s for s in self.manifest.strategies if s.id == strategy_id)

    def strategy_rank(self, strategy_id: str) -> int:
        return [s.id for s in self.manifest.strategies].index(strategy_id)

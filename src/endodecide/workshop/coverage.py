"""Coverage of the profile space derived from the rule pack: gaps, conflicts, overlaps, rule
counts, and the clinical safety invariants checked on every class.

The space (``endodecide.workshop.space``) is built from the pack's own conditions: thresholds
give the probe values, the vocabulary gives the categories, and profiles that every condition
sees identically share one representative. Representatives are evaluated by the engine in
worker processes, which receive the compiled pack and their share of the profiles (see
``endodecide.parallel``), with a progress bar when stderr is a terminal.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from endodecide.facts import line_facts, patient_fact
from endodecide.parallel import ordered_map, plan_workers
from endodecide.profile import Profile
from endodecide.progress import progress
from endodecide.result import Option, ProfileResult
from endodecide.rulepack import RulePack
from endodecide.rulepack.interpret import DirectTable, direct_fire, direct_table, rule_holds
from endodecide.workshop.invariants import Violation, check_result
from endodecide.workshop.space import ProfileSpace, derive_space

__all__ = [
    "CoverageResult",
    "Outcome",
    "PackIndex",
    "broken_invariants",
    "evaluate_dates",
    "evaluate_space",
    "known_limitation",
    "shown_options",
]


@dataclass(frozen=True)
class Outcome:
    """What the pack did with one point."""

    index: int
    fired: tuple[str, ...]
    options: tuple[str, ...]
    flags: tuple[str, ...]
    in_scope: bool
    gap: bool
    known_limitation: str
    conflicts: tuple[tuple[str, ...], ...]
    overlaps: tuple[tuple[str, ...], ...]
    violations: tuple[Violation, ...] = ()
    answers: tuple[str, ...] = ()  # each option as shown: "ED101 (standard)", "ED110 (deferred)"
    disagreement: str = ""  # with --check-engine: how the reference interpreter differs


@dataclass(frozen=True)
class PackIndex:
    """What classifying needs from each rule, looked up once."""

    pack: RulePack
    status: dict[str, str]  # option rules: standard, investigational, evidence_against
    agents: dict[str, frozenset[str]]  # option rules
    severity: dict[str, str]  # flag rules
    rechallenge: dict[str, frozenset[str]]  # option rules: agents declared as rechallenge

    @classmethod
    def of(cls, pack: RulePack) -> PackIndex:
        options = {k: r.card.then.option for k, r in pack.rules.items() if r.card.then.option}
        flags = {k: r.card.then.flag for k, r in pack.rules.items() if r.card.then.flag}
        return cls(
            pack,
            {k: o.status for k, o in options.items()},
            {k: frozenset(o.agents) for k, o in options.items()},
            {k: f.severity for k, f in flags.items()},
            {k: frozenset(o.rechallenge) for k, o in options.items()},
        )


def known_limitation(
    pack: RulePack,
    patient: dict[str, Any],
    lines: list[dict[str, Any]],
    derived: frozenset[tuple[str, str]],
) -> str:
    """The id of the pack's first known limitation whose conditions hold, else ""."""
    for limitation in pack.limitations:
        if rule_holds(limitation.when, patient, lines, derived):
            return limitation.id
    return ""


def broken_invariants(index: PackIndex, profile: Profile, result: ProfileResult) -> list[Violation]:
    """The clinical safety invariants ``result`` breaks, for one profile outside the space."""
    patient, lines = patient_fact(profile), line_facts(profile)
    derived = frozenset((fact.name, fact.value) for fact in result.derived_facts)
    known = bool(known_limitation(index.pack, patient, lines, derived))
    return check_result(
        index.pack.invariants, index.rechallenge, profile, result, known, facts=(patient, lines)
    )


def shown_options(options: list[Option]) -> tuple[str, ...]:
    """The answer as shown: each option with the status it is shown with (a flag may have
    deferred it), e.g. ``ED110 (deferred)``; what ``rules diff`` compares."""
    return tuple(sorted(f"{o.rule} ({o.status.replace('_', ' ')})" for o in options))


def classify(
    index: PackIndex,
    position: int,
    profile: Profile,
    fired: set[str],
    derived: frozenset[tuple[str, str]],
    result: ProfileResult | None = None,
) -> Outcome:
    """Gaps, conflicts, overlaps and (given the result) invariants broken, for one profile."""
    options = tuple(sorted(r for r in fired if r in index.status))
    flags = tuple(sorted(r for r in fired if r in index.severity))
    out_of_scope = any(index.severity[r] == "out_of_scope" for r in flags)
    in_scope = profile.hormone_receptor_positive and not out_of_scope
    gap = in_scope and all(index.status[r] == "evidence_against" for r in options)
    patient, lines = patient_fact(profile), line_facts(profile)
    known = known_limitation(index.pack, patient, lines, derived)
    violations: tuple[Violation, ...] = ()
    answers: tuple[str, ...] = ()
    if result is not None:
        violations = tuple(
            check_result(
                index.pack.invariants,
                index.rechallenge,
                profile,
                result,
                bool(known),
                facts=(patient, lines),
            )
        )
        answers = shown_options(result.options)
    by_agents: dict[frozenset[str], list[str]] = {}
    for rule_id in options:
        by_agents.setdefault(index.agents[rule_id], []).append(rule_id)
    conflicts, overlaps = [], []
    for same in by_agents.values():
        proposed = [r for r in same if index.status[r] != "evidence_against"]
        if len(proposed) < len(same) and proposed:
            conflicts.append(tuple(same))
        if len(proposed) > 1:
            overlaps.append(tuple(proposed))
    return Outcome(
        position,
        tuple(sorted(fired)),
        options,
        flags,
        in_scope,
        gap,
        known if gap else "",
        tuple(conflicts),
        tuple(overlaps),
        violations,
        answers,
    )


# -- worker processes ----------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(pack: RulePack, check_engine: bool) -> None:
    from endodecide.evaluate import Evaluator

    table = direct_table(pack.rules.values()) if check_engine else None
    _WORKER.update(index=PackIndex.of(pack), evaluator=Evaluator(pack), table=table)


def _disagreement(
    table: DirectTable, profile: Profile, fired: set[str], derived: frozenset[tuple[str, str]]
) -> str:
    """How the reference interpreter's answer differs from the engine's, or "" when it agrees."""
    expected = direct_fire(table, patient_fact(profile), line_facts(profile))
    concluded = frozenset(row[3] for row in table if row[0] in expected and row[3] is not None)
    parts = []
    if expected != fired:
        parts.append(
            f"fired: engine only {sorted(fired - expected)}, interpreter only "
            f"{sorted(expected - fired)}"
        )
    if concluded != derived:
        parts.append(
            f"derived: engine only {sorted(derived - concluded)}, interpreter only "
            f"{sorted(concluded - derived)}"
        )
    return "; ".join(parts)


def _evaluate_slice(job: tuple[int, list[Profile]]) -> list[Outcome]:
    index, evaluator = _WORKER["index"], _WORKER["evaluator"]
    start, profiles = job
    found = []
    for position, profile in enumerate(profiles, start):
        result, evaluation = evaluator.evaluate_traced(profile)
        fired = {firing.rule_id for firing in evaluation.firings}
        derived = frozenset((f["name"], f["value"]) for f in evaluation.derived)
        outcome = classify(index, position, profile, fired, derived, result)
        if _WORKER["table"] is not None:
            disagreement = _disagreement(_WORKER["table"], profile, fired, derived)
            outcome = dataclasses.replace(outcome, disagreement=disagreement)
        found.append(outcome)
    return found


def _init_dated_worker(pack: RulePack) -> None:
    _WORKER.update(base=pack, dated={})


def _evaluate_dated_slice(job: tuple[date, int, list[Profile]]) -> list[Outcome]:
    """One slice of profiles at one date: the worker keeps one evaluator per date."""
    from endodecide.evaluate import Evaluator
    from endodecide.rulepack import pack_at

    day, start, profiles = job
    if day not in _WORKER["dated"]:
        at = pack_at(_WORKER["base"], day)
        _WORKER["dated"][day] = (PackIndex.of(at), Evaluator(at))
    index, evaluator = _WORKER["dated"][day]
    found = []
    for position, profile in enumerate(profiles, start):
        result, evaluation = evaluator.evaluate_traced(profile)
        fired = {firing.rule_id for firing in evaluation.firings}
        derived = frozenset((f["name"], f["value"]) for f in evaluation.derived)
        found.append(classify(index, position, profile, fired, derived, result))
    return found


@dataclass
class CoverageResult:
    """Everything ``endodecide coverage`` reports."""

    space: ProfileSpace
    outcomes: list[Outcome]
    rule_counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for outcome in self.outcomes:
            self.rule_counts.update(outcome.fired)

    @property
    def in_scope(self) -> int:
        return sum(o.in_scope for o in self.outcomes)

    @property
    def gaps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.gap and not o.known_limitation]

    @property
    def known_limitations(self) -> Counter[str]:
        return Counter(o.known_limitation for o in self.outcomes if o.known_limitation)

    @property
    def violations(self) -> Counter[str]:
        """Profiles breaking each clinical safety invariant."""
        return Counter(v for o in self.outcomes for v in {x.invariant for x in o.violations})

    @property
    def disagreements(self) -> list[Outcome]:
        """Classes where the engine and the reference interpreter differ (with check_engine)."""
        return [o for o in self.outcomes if o.disagreement]

    @property
    def conflicts(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.conflicts]

    @property
    def overlaps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.overlaps]

    def never_fired(self, pack: RulePack) -> list[str]:
        return [rule_id for rule_id in pack.rules if not self.rule_counts[rule_id]]


def evaluate_space(
    pack: RulePack,
    workers: int | None = None,
    space: ProfileSpace | None = None,
    check_engine: bool = False,
    chunk: int = 1000,
) -> CoverageResult:
    """Evaluate every class of ``space`` (by default the one derived from ``pack``) with
    ``pack``, across worker processes (``plan_workers(workers)`` of them: every CPU by default,
    never more than the CPUs). With ``check_engine``, the reference interpreter
    (``rulepack.interpret``) decides every class too, and each outcome says where it differs."""
    if space is None:
        space = derive_space(pack)
    profiles = space.profiles()
    workers = plan_workers(workers)
    # At most ``chunk`` profiles per job, and at least four jobs per worker for an even spread.
    size = max(1, min(chunk, -(-len(profiles) // (workers * 4))))
    jobs = [(start, profiles[start : start + size]) for start in range(0, len(profiles), size)]
    label = f"{len(profiles):,} profile classes, {pack.manifest.name} {pack.manifest.version}"
    with progress(label, len(profiles)) as advance:
        parts = ordered_map(
            _evaluate_slice,
            jobs,
            workers,
            _init_worker,
            (pack, check_engine),
            done=lambda part: advance(len(part)),
        )
    return CoverageResult(space, [outcome for part in parts for outcome in part])


def evaluate_dates(
    pack: RulePack,
    days: list[date],
    space: ProfileSpace,
    workers: int | None = None,
    chunk: int = 300,
) -> dict[date, CoverageResult]:
    """Evaluate one space at several dates of the pack's timeline, in one pool of workers (each
    builds the pack of a date once): the timeline check of ``rules lint``."""
    profiles = space.profiles()
    workers = plan_workers(workers)
    jobs = [
        (day, start, profiles[start : start + chunk])
        for day in days
        for start in range(0, len(profiles), chunk)
    ]
    label = f"{len(profiles):,} profiles at {len(days)} dates of the timeline"
    with progress(label, len(profiles) * len(days)) as advance:
        parts = ordered_map(
            _evaluate_dated_slice,
            jobs,
            workers,
            _init_dated_worker,
            (pack,),
            done=lambda part: advance(len(part)),
        )
    outcomes: dict[date, list[Outcome]] = {day: [] for day in days}
    for (day, _, _), part in zip(jobs, parts, strict=True):
        outcomes[day].extend(part)
    return {day: CoverageResult(space, found) for day, found in outcomes.items()}

"""Coverage of the whole discretised profile space: gaps, conflicts, overlaps, rule counts,
and the clinical safety invariants checked on every profile.

The space (25,683 profiles) is the product of:

- hormone-receptor status: positive (ER+/PR+) or negative (ER-/PR-); HR-negative disease and
  men are out of scope whatever their history, so they are enumerated without one;
- HER2: positive, negative, unknown;
- patient: premenopausal woman (with or without ovarian function suppression), postmenopausal
  woman, or a man;
- visceral crisis: no, yes;
- biomarkers: none known; ESR1 mutated on the slice without visceral crisis or chemotherapy;
- lines of chemotherapy for metastatic disease: 0, 1, 2;
- endocrine history: none; or an adjuvant agent (tamoxifen, anastrozole, exemestane) in one of
  five timing bands (relapse at month 12 or 36 on therapy; completed after 60 months with
  relapse 6 or 24 months later; stopped for toxicity at month 8 with relapse 10 months later);
  then up to two metastatic lines (one after adjuvant therapy), each one of tamoxifen,
  letrozole, exemestane, fulvestrant 500 mg or exemestane plus everolimus, ending by
  progression after 4 or 12 months; or, as the only or the first metastatic line, letrozole
  stopped for toxicity at 2 months, ovarian suppression plus tamoxifen, anastrozole plus
  trastuzumab, estradiol or megestrol (12 months, progression).

Values no rule tells apart are enumerated once: perimenopausal as premenopausal (every rule
and invariant names them together), PIK3CA, AKT1 and PTEN mutations as "none known" (no rule
reads them). The probe months and these choices are fixed here; issue 12 derives the space from
the rules' own thresholds and values.
Profiles are evaluated by the engine in worker processes, one engine per process (see
``endodecide.parallel``), with a progress bar when stderr is a terminal.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from endodecide.errors import display_path
from endodecide.facts import line_facts, patient_fact
from endodecide.parallel import ordered_map, plan_workers
from endodecide.profile import Profile
from endodecide.progress import progress
from endodecide.result import Option, ProfileResult
from endodecide.rulepack import RulePack, load_pack
from endodecide.rulepack.interpret import rule_holds
from endodecide.workshop.invariants import Violation, check_result

__all__ = [
    "DIMENSIONS",
    "CoverageResult",
    "Outcome",
    "PackIndex",
    "SpacePoint",
    "broken_invariants",
    "evaluate_space",
    "known_limitation",
    "point_profile",
    "shown_options",
    "space",
]

_PATIENTS = {  # sex, menopausal status, on ovarian function suppression
    "pre": ("female", "pre", False),
    "post": ("female", "post", False),
    "male": ("male", None, False),
    "pre_on_ovarian_suppression": ("female", "pre", True),
}
_BIOMARKERS = {
    "none_known": {},
    "esr1_mutated": {"esr1": "mutated"},
}
_ADJUVANT_AGENTS = ("tamoxifen", "anastrozole", "exemestane")
_ADJUVANT_BANDS = {
    "relapse_on_m12": {"months": 12, "ended": "relapse"},
    "relapse_on_m36": {"months": 36, "ended": "relapse"},
    "completed_relapse_6m": {"months": 60, "ended": "completed", "months_from_end_to_relapse": 6},
    "completed_relapse_24m": {
        "months": 60,
        "ended": "completed",
        "months_from_end_to_relapse": 24,
    },
    "stopped_for_toxicity_m8_relapse_10m": {
        "months": 8,
        "ended": "toxicity",
        "months_from_end_to_relapse": 10,
    },
}
_METASTATIC = {
    "tamoxifen": ["tamoxifen"],
    "letrozole": ["letrozole"],
    "exemestane": ["exemestane"],
    "fulvestrant500": ["fulvestrant"],
    "exemestane_everolimus": ["exemestane", "everolimus"],
}
_DURATIONS = (4, 12)
# Lines enumerated once each, as the only or the first metastatic line: (agents, months, ended).
_METASTATIC_ONCE: dict[str, tuple[list[str], int, str]] = {
    "letrozole_stopped_for_toxicity": (["letrozole"], 2, "toxicity"),
    "ovarian_suppression_tamoxifen": (["ovarian_suppression", "tamoxifen"], 12, "progression"),
    "anastrozole_trastuzumab": (["anastrozole", "trastuzumab"], 12, "progression"),
    "estradiol": (["estradiol"], 12, "progression"),
    "megestrol": (["megestrol"], 12, "progression"),
}

DIMENSIONS = (
    "hormone_receptor",
    "her2",
    "patient",
    "visceral_crisis",
    "biomarkers",
    "chemotherapy_lines",
    "adjuvant",
    "metastatic",
)


@dataclass(frozen=True)
class SpacePoint:
    """One point of the space: its coordinates (CSV columns) in dimension order."""

    coordinates: tuple[str, ...]

    @property
    def as_dict(self) -> dict[str, str]:
        return dict(zip(DIMENSIONS, self.coordinates, strict=True))


def _metastatic_sequences(max_lines: int) -> list[tuple[str, ...]]:
    lines = [f"{name}:{months}m" for name in _METASTATIC for months in _DURATIONS]
    found: list[tuple[str, ...]] = [()]
    for count in range(1, max_lines + 1):
        found += list(itertools.product(lines, repeat=count))
    for once in _METASTATIC_ONCE:
        found += [(once,)] + [(once, line) for line in lines] * (max_lines > 1)
    return found


def _histories() -> list[tuple[str, str]]:
    found = []
    adjuvants = ["none"] + [f"{a}:{b}" for a in _ADJUVANT_AGENTS for b in _ADJUVANT_BANDS]
    for adjuvant in adjuvants:
        for sequence in _metastatic_sequences(2 if adjuvant == "none" else 1):
            found.append((adjuvant, " > ".join(sequence) or "none"))
    return found


def _with_history(hr: str, patient: str) -> bool:
    """Out-of-scope patients (HR-negative disease, men) are flagged whatever their history, so
    they are enumerated without one."""
    return hr == "positive" and _PATIENTS[patient][0] == "female"


def _varied(markers: str, crisis: str, chemo: str) -> bool:
    """An ESR1 mutation is read only by an information note (ED710), so it is varied on one
    slice of the space (no visceral crisis, no chemotherapy) rather than across all of it."""
    return markers == "none_known" or (crisis == "no" and chemo == "0")


def space() -> list[SpacePoint]:
    """Every point, in a fixed order."""
    points = []
    histories = _histories()
    for hr in ("positive", "negative"):
        for her2, patient, crisis, markers, chemo in itertools.product(
            ("positive", "negative", "unknown"),
            _PATIENTS,
            ("no", "yes"),
            _BIOMARKERS,
            ("0", "1", "2"),
        ):
            if not _varied(markers, crisis, chemo):
                continue
            for adjuvant, metastatic in (
                histories if _with_history(hr, patient) else [("none", "none")]
            ):
                points.append(
                    SpacePoint((hr, her2, patient, crisis, markers, chemo, adjuvant, metastatic))
                )
    return points


def point_profile(point: SpacePoint) -> Profile:
    """The hypothetical profile a point stands for."""
    hr, her2, patient, crisis, markers, chemo, adjuvant, metastatic = point.coordinates
    sex, menopause, suppressed = _PATIENTS[patient]
    history: list[dict[str, Any]] = []
    if adjuvant != "none":
        agent, band = adjuvant.split(":")
        history.append({"agents": [agent], "setting": "adjuvant", **_ADJUVANT_BANDS[band]})
    if metastatic != "none":
        for item in metastatic.split(" > "):
            if item in _METASTATIC_ONCE:
                agents, length, ended = _METASTATIC_ONCE[item]
            else:
                name, months = item.split(":")
                agents, length, ended = (
                    _METASTATIC[name],
                    int(months.removesuffix("m")),
                    "progression",
                )
            line: dict[str, Any] = {
                "agents": agents,
                "setting": "metastatic",
                "months": length,
                "ended": ended,
            }
            if "fulvestrant" in line["agents"]:
                line["fulvestrant_dose_mg"] = 500
            history.append(line)
    status = "positive" if hr == "positive" else "negative"
    data: dict[str, Any] = {
        "label": "coverage point",
        "sex": sex,
        "receptors": {"er": status, "pr": status, "her2": her2},
        "disease": {
            "setting": "recurrence" if adjuvant != "none" else "de_novo",
            "extent": "visceral" if crisis == "yes" else "bone_only",
            "visceral_crisis": crisis == "yes",
        },
        "endocrine_history": history,
        "chemotherapy_lines_for_metastatic": int(chemo),
        "biomarkers": _BIOMARKERS[markers],
    }
    if menopause is not None:
        data["menopausal_status"] = menopause
        data["ovarian_suppression"] = suppressed
    return Profile.model_validate(data)


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


def _init_worker(root: str) -> None:
    from endodecide.evaluate import Evaluator

    pack = load_pack(Path(root))
    _WORKER.update(index=PackIndex.of(pack), evaluator=Evaluator(pack), points=space())


def _evaluate_slice(bounds: tuple[int, int]) -> list[Outcome]:
    index, evaluator, points = _WORKER["index"], _WORKER["evaluator"], _WORKER["points"]
    found = []
    for position in range(*bounds):
        profile = point_profile(points[position])
        result, evaluation = evaluator.evaluate_traced(profile)
        fired = {firing.rule_id for firing in evaluation.firings}
        derived = frozenset((f["name"], f["value"]) for f in evaluation.derived)
        found.append(classify(index, position, profile, fired, derived, result))
    return found


def _slices(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


@dataclass
class CoverageResult:
    """Everything ``endodecide coverage`` reports."""

    points: list[SpacePoint]
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
    def conflicts(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.conflicts]

    @property
    def overlaps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.overlaps]

    def never_fired(self, pack: RulePack) -> list[str]:
        return [rule_id for rule_id in pack.rules if not self.rule_counts[rule_id]]


def evaluate_space(root: Path, workers: int | None = None, chunk: int = 1500) -> CoverageResult:
    """Evaluate every point of the space with the pack at ``root``, across worker processes
    (``plan_workers(workers)`` of them: every CPU by default, never more than the CPUs)."""
    points = space()
    workers = plan_workers(workers)
    # At most ``chunk`` profiles per job, and at least four jobs per worker for an even spread.
    size = max(1, min(chunk, -(-len(points) // (workers * 4))))
    with progress(f"{len(points):,} profiles, {display_path(root)}", len(points)) as advance:
        parts = ordered_map(
            _evaluate_slice,
            list(_slices(len(points), size)),
            workers,
            _init_worker,
            (str(root.resolve()),),
            done=lambda part: advance(len(part)),
        )
    return CoverageResult(points, [outcome for part in parts for outcome in part])

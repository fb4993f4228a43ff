"""The profile space, derived from the rule pack: probes, equivalence classes, representatives.

Nothing clinical is written here. Every value the space tries comes from the pack or from the
vocabulary:

- every numeric comparison in a condition (``line.adjuvant_months_total is less than 24``) gives
  probes just below, at and just above its threshold, plus one value well inside each interval
  the thresholds cut (``probes``); all months of therapy (``line.months``, the adjuvant total,
  the months in a metastatic line) share one probe set, since they are sums of the same months;
- every categorical fact takes every value the vocabulary (or the profile model) allows, and
  values no condition tells apart form one class (``menopausal_status`` pre and peri, when every
  condition names them together);
- the agents of a line are classed the same way (agents that every ``line.agents`` condition
  lists together are one class), and a line gives one agent of a class, or a combination that
  some rule mentions (an option's agents, or agents one condition block requires together).

Two profiles that every condition of every rule sees identically need one representative.
The space is built in two layers, because the pack is:

1. **history classes**: endocrine histories (up to the most adjuvant lines and three metastatic
   lines, toxicity switches within a line included) told apart by what every condition on a
   line, and on the counts of lines, sees. Each is run once with one patient of every class the
   derive rules tell apart (the *derivation* layer), so every history class meets the engine.
2. **answer classes**: what the option and flag rules, the known limitations and the
   invariants see: the patient fields they read, the derived facts (from layer 1), and the line
   conditions they read themselves. One representative per class (the *answer* layer).

A representative is the first profile of its class in a fixed order in which boundary probes
come before interval probes, so a class that touches a threshold is represented at it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from endodecide.facts import VOCABULARY, FactSpec, line_facts, patient_fact
from endodecide.profile import (
    AGENT_NAMES,
    ENDOCRINE_AGENTS,
    SAME_CLASS,
    Profile,
    TherapyLine,
    consistency_problems,
)
from endodecide.rulepack import RulePack
from endodecide.rulepack.conditions import Condition, Group
from endodecide.rulepack.interpret import condition_holds, direct_fire, direct_table

__all__ = [
    "MONTHS_FACTS",
    "Axis",
    "ProfileSpace",
    "SpaceClass",
    "derive_space",
    "probes",
    "sample_space",
]

# Quantities that are sums of the months of lines: one probe set serves them all.
MONTHS_FACTS = ("line.months", "line.adjuvant_months_total", "line.months_in_metastatic_line")
_GAP = "line.months_from_end_to_relapse"
# Where each patient fact of the vocabulary lives in a profile document.
_PROFILE_PATHS: dict[str, tuple[str, ...]] = {
    "sex": ("sex",),
    "menopausal_status": ("menopausal_status",),
    "ovarian_suppression": ("ovarian_suppression",),
    "er": ("receptors", "er"),
    "pr": ("receptors", "pr"),
    "her2": ("receptors", "her2"),
    "disease_extent": ("disease", "extent"),
    "visceral_crisis": ("disease", "visceral_crisis"),
    "chemotherapy_lines": ("chemotherapy_lines_for_metastatic",),
    "pik3ca": ("biomarkers", "pik3ca"),
    "esr1": ("biomarkers", "esr1"),
    "akt1": ("biomarkers", "akt1"),
    "pten": ("biomarkers", "pten"),
    "her2_low": ("biomarkers", "her2_low"),
}
# Facts the history decides (counted from it), not chosen as patient values.
_FROM_HISTORY = ("disease_setting", "adjuvant_endocrine_lines", "metastatic_endocrine_lines")
_MAX_METASTATIC_LINES = 3  # the "up to three metastatic endocrine lines"
_MAX_ADJUVANT_LINES = 2  # a switch within adjuvant therapy (e.g. tamoxifen then an AI)
_MAX_SWITCHES = 1  # agents changed for toxicity within a metastatic line, per history
_MONTHS_RANGE = (0, 600)
_CHEMOTHERAPY_RANGE = (0, 20)

Item = Condition | Group


def _atoms(items: Iterable[Item]) -> Iterator[Condition]:
    for item in items:
        if isinstance(item, Group):
            yield from _atoms(item.items)
        else:
            yield item


def _threshold_boundaries(atom: Condition) -> tuple[int, ...]:
    """The first values on the far side of each cut a numeric condition makes."""
    value = int(atom.values[0])
    if atom.op in {"is", "is not"}:
        return (value, value + 1)
    if atom.op in {"is at most", "is more than"}:
        return (value + 1,)
    return (value,)  # is at least, is less than


def probes(atoms: Iterable[Condition], low: int, high: int) -> tuple[int, ...]:
    """Probe values for numeric conditions: just below, at and just above every threshold, then
    one value well inside each interval; boundary probes first (representatives prefer them)."""
    thresholds = sorted({int(a.values[0]) for a in atoms})
    at = list(thresholds)
    below = [t - 1 for t in thresholds]
    above = [t + 1 for t in thresholds]
    cuts = sorted({b for a in atoms for b in _threshold_boundaries(a)} | {low})
    inside = [(start + end - 1) // 2 for start, end in itertools.pairwise(cuts) if end - start > 2]
    top = max([*cuts, *thresholds])
    inside.append(top + max(2, top // 2))  # well inside the open interval above every cut
    ordered: dict[int, None] = {}
    for value in [*at, *below, *above, *inside]:
        if low <= value <= high:
            ordered.setdefault(value, None)
    return tuple(ordered) or (low,)


@dataclass(frozen=True)
class Axis:
    """One fact of the space: the values tried, and what each representative stands for."""

    fact: str
    values: tuple[Any, ...]
    stands_for: tuple[str, ...]  # per value, in words: "pre, peri" or "25-36"

    def describe(self) -> str:
        parts = [
            f"{_word(v)}" + (f" (= {s})" if s != _word(v) else "")
            for v, s in zip(self.values, self.stands_for, strict=True)
        ]
        return f"{self.fact}: {', '.join(parts)}"


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset | tuple | list):
        return "+".join(sorted(str(v) for v in value))
    return str(value)


def _truths(spec: FactSpec, value: Any, atoms: Sequence[Condition]) -> tuple[bool, ...]:
    fact = {} if value is None else {spec.field: value}
    if spec.source == "patient":
        return tuple(condition_holds(a, fact, None, frozenset()) for a in atoms)
    return tuple(condition_holds(a, {}, fact, frozenset()) for a in atoms)


def _classes(
    spec: FactSpec, values: Sequence[Any], atoms: Sequence[Condition]
) -> list[tuple[Any, list[Any]]]:
    """Values grouped by how every condition on the fact judges them: (representative, members)."""
    groups: dict[tuple[bool, ...], list[Any]] = {}
    for value in values:
        groups.setdefault(_truths(spec, value, atoms), []).append(value)
    return [(members[0], members) for members in groups.values()]


def _numeric_axis(fact: str, atoms: Sequence[Condition], low: int, high: int) -> Axis:
    values = probes(atoms, low, high)
    ranked = sorted(values)
    spans = []
    for value in values:
        after = ranked.index(value) + 1
        end = ranked[after] - 1 if after < len(ranked) else high
        spans.append(str(value) if end == value else f"{value}-{end}")
    return Axis(fact, values, tuple(spans))


def _enum_axis(fact: str, values: Sequence[Any], atoms: Sequence[Condition]) -> Axis:
    found = _classes(VOCABULARY[fact], values, atoms)
    return Axis(
        fact,
        tuple(rep for rep, _ in found),
        tuple(", ".join(_word(m) for m in members) for _, members in found),
    )


# -- reading the pack --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Readers:
    """The atomic conditions of the pack, by who reads them and which fact they name."""

    derive: dict[str, list[Condition]]  # derive rules
    answer: dict[str, list[Condition]]  # option and flag rules, limitations, invariants
    combinations: tuple[frozenset[str], ...]  # agent sets some rule mentions together
    blocks: tuple[tuple[tuple[str, str] | None, list[Item]], ...]  # (derives, conditions)

    def on(self, fact: str) -> list[Condition]:
        return _unique([*self.derive.get(fact, []), *self.answer.get(fact, [])])

    @property
    def both(self) -> dict[str, list[Condition]]:
        return {fact: self.on(fact) for fact in {**self.derive, **self.answer}}


def _unique(atoms: Iterable[Condition]) -> list[Condition]:
    return list(dict.fromkeys(atoms))


def _derives(rule: Any) -> tuple[str, str] | None:
    derive = rule.card.then.derive
    return None if derive is None else (derive.fact, str(derive.value))


def _readers(*packs: RulePack) -> _Readers:
    derive: dict[str, list[Condition]] = {}
    answer: dict[str, list[Condition]] = {}
    combinations: list[frozenset[str]] = []
    blocks: list[tuple[tuple[str, str] | None, list[Item]]] = []
    for pack in packs:
        blocks += [(_derives(rule), rule.when) for rule in pack.rules.values()]
        blocks += [(None, limitation.when) for limitation in pack.limitations]
        blocks += [(None, inv.applies_to) for inv in pack.invariants.invariants]
    for derives, when in blocks:
        target = derive if derives is not None else answer
        for atom in _atoms(when):
            target.setdefault(atom.fact.name, [])
            if atom not in target[atom.fact.name]:
                target[atom.fact.name].append(atom)
        required = [
            {str(v) for v in a.values}
            for a in _atoms(when)
            if a.fact.name == "line.agents" and not a.negated
        ]
        if len(required) > 1:
            combinations += [frozenset(c) for c in itertools.product(*required)]
    for rule in (rule for pack in packs for rule in pack.rules.values()):
        option = rule.card.then.option
        if option is not None and set(option.agents) <= set(AGENT_NAMES):
            combinations.append(frozenset(option.agents))
    return _Readers(derive, answer, tuple(dict.fromkeys(combinations)), tuple(blocks))


# -- lines and histories -----------------------------------------------------------------------
@dataclass(frozen=True)
class _LineKind:
    """What a line may be, derived from the pack: agent sets, months, endings, gaps, doses."""

    agent_sets: tuple[tuple[str, ...], ...]
    months: tuple[int, ...]
    gaps: tuple[int, ...]
    doses: tuple[int, ...]
    agent_axis: Axis


def _valid_agents(agents: Iterable[str]) -> bool:
    given = set(agents)
    if not given & ENDOCRINE_AGENTS:
        return False
    return all(len(given & members) <= 1 for _, members in SAME_CLASS)


def _line_kind(readers: _Readers) -> _LineKind:
    agent_atoms = readers.on("line.agents")
    spec = VOCABULARY["line.agents"]
    found = _classes(spec, [[a] for a in AGENT_NAMES], agent_atoms)
    rep_of = {members_item[0]: rep[0] for rep, members in found for members_item in members}
    singles = [(rep[0],) for rep, _ in found if _valid_agents(rep)]
    combos = []
    for combination in readers.combinations:
        mapped = tuple(sorted({rep_of[a] for a in combination}))
        if _valid_agents(mapped):
            combos.append(mapped)
    agent_sets = tuple(dict.fromkeys([*singles, *combos]))
    axis = Axis(
        "line.agents",
        tuple(rep[0] for rep, _ in found),
        tuple(", ".join(m[0] for m in members) for _, members in found),
    )
    month_atoms = [a for fact in MONTHS_FACTS for a in readers.on(fact)]
    dose_values = tuple(
        v for v in get_args(get_args(TherapyLine.model_fields["fulvestrant_dose_mg"].annotation)[0])
    )
    return _LineKind(
        agent_sets,
        probes(month_atoms, *_MONTHS_RANGE),
        probes(readers.on(_GAP), *_MONTHS_RANGE),
        dose_values,
        axis,
    )


def _line(
    agents: tuple[str, ...], setting: str, months: int, ended: str, gap: int | None, dose: int
) -> TherapyLine:
    return TherapyLine.model_construct(
        agents=list(agents),
        setting=setting,
        months=months,
        ended=ended,
        months_from_end_to_relapse=gap,
        fulvestrant_dose_mg=dose if "fulvestrant" in agents else None,
    )


class _Signer:
    """What the rules see of a history, as plain values.

    A rule reads lines through its line conditions, all judged on one same line, so it sees a
    history only as "some line meets all my line conditions" or not. A history's view is the set
    of condition blocks some line meets, with how the conditions on the counts of lines judge
    them. ``piece`` is what the conditions on one fact make of one value.
    """

    def __init__(self, readers: _Readers, answer_only: bool = False) -> None:
        patterns: dict[tuple[Item, ...], set[Any]] = {}
        for index, (derives, when) in enumerate(readers.blocks):
            if answer_only and derives is not None:
                continue
            line_items = tuple(item for item in when if _source(item) == "line")
            if not line_items:
                continue
            # A derive rule's lines matter only through what it concludes and under which other
            # conditions; any other block is seen as itself.
            others = tuple(item for item in when if _source(item) != "line")
            label = (*derives, others) if derives is not None else ("block", index)
            patterns.setdefault(line_items, set()).add(label)
        self.patterns = list(patterns)
        self.labels = [frozenset(labels) for labels in patterns.values()]
        self.line_fields = sorted({a.fact.field for items in self.patterns for a in _atoms(items)})
        facts = readers.answer if answer_only else readers.both
        self.count_atoms = [
            (VOCABULARY[fact], atoms)
            for fact, atoms in sorted(facts.items())
            if fact in _FROM_HISTORY
        ]
        self.atoms = readers.both
        # Both caches are keyed by values (a fact's relevant fields, or a fact name and value),
        # so equal inputs share an entry whatever object they came from.
        self._views: dict[tuple[Any, ...], frozenset[Any]] = {}
        self._pieces: dict[tuple[str, Any], tuple[bool, ...]] = {}
        self._entries: dict[tuple[Any, ...], frozenset[Any]] = {}

    def piece(self, fact: str, value: Any) -> tuple[bool, ...]:
        key = (fact, tuple(value) if isinstance(value, list) else value)
        found = self._pieces.get(key)
        if found is None:
            found = self._pieces[key] = _truths(VOCABULARY[fact], value, self.atoms.get(fact, []))
        return found

    def line_view(self, fact: dict[str, Any]) -> frozenset[Any]:
        """The condition blocks this one line meets."""
        key = tuple(tuple(v) if isinstance(v, list) else v for v in map(fact.get, self.line_fields))
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = frozenset().union(
                *(
                    labels
                    for items, labels in zip(self.patterns, self.labels, strict=True)
                    if all(condition_holds(item, {}, fact, frozenset()) for item in items)
                )
            )
        return found

    def entry_view(self, entry: TherapyLine, number: int, in_line: int) -> frozenset[Any]:
        """``line_view`` of a metastatic entry given its line number and months on the line."""
        key = (
            tuple(entry.agents),
            entry.months,
            entry.ended,
            entry.fulvestrant_dose_mg,
            number,
            in_line,
        )
        found = self._entries.get(key)
        if found is None:
            fact: dict[str, Any] = {
                "setting": "metastatic",
                "agents": list(entry.agents),
                "months": entry.months,
                "ended": entry.ended,
                "metastatic_line_number": number,
                "months_in_metastatic_line": in_line,
            }
            if entry.fulvestrant_dose_mg is not None:
                fact["fulvestrant_dose_mg"] = entry.fulvestrant_dose_mg
            found = self._entries[key] = self.line_view(fact)
        return found

    def history_view(self, history: Sequence[TherapyLine]) -> tuple[Any, ...]:
        facts = line_facts(_History(history))  # type: ignore[arg-type]
        counts = _counts(history)
        met: frozenset[Any] = frozenset().union(*(self.line_view(f) for f in facts))
        return (
            met,
            tuple(self.piece(spec.name, counts[spec.name]) for spec, _ in self.count_atoms),
        )


def _source(item: Item) -> str:
    return next(_atoms([item])).fact.source


@dataclass(frozen=True)
class _History:
    """Just enough of a profile for ``line_facts`` (histories are built before their patient)."""

    endocrine_history: Sequence[TherapyLine]


def _counts(history: Sequence[TherapyLine]) -> dict[str, Any]:
    return _counted(
        sum(line.setting == "adjuvant" for line in history),
        sum(line.setting == "metastatic" and line.ended != "toxicity" for line in history),
    )


def _counted(adjuvant: int, metastatic: int) -> dict[str, Any]:
    """The patient facts counted from a history (toxicity stops do not count)."""
    return {
        "disease_setting": "recurrence" if adjuvant else "de_novo",
        "adjuvant_endocrine_lines": adjuvant,
        "metastatic_endocrine_lines": metastatic,
    }


def _adjuvant_lasts(kind: _LineKind) -> list[TherapyLine]:
    """The last adjuvant line: relapse on therapy, or completed or stopped for toxicity before a
    relapse after a gap of each probe (a stop may have no gap recorded)."""
    lasts = []
    for agents, months in itertools.product(kind.agent_sets, kind.months):
        dose = kind.doses[-1]
        lasts.append(_line(agents, "adjuvant", months, "relapse", None, dose))
        for gap in kind.gaps:
            lasts.append(_line(agents, "adjuvant", months, "completed", gap, dose))
        lasts.append(_line(agents, "adjuvant", months, "toxicity", None, dose))
        for gap in kind.gaps:
            lasts.append(_line(agents, "adjuvant", months, "toxicity", gap, dose))
    return lasts


def _adjuvant_histories(kind: _LineKind, signer: _Signer) -> list[tuple[TherapyLine, ...]]:
    """One adjuvant history per view: none, one line, or a switch (an earlier line completed or
    stopped for toxicity, then the last line). Earlier lines are kept once per view and per what
    the adjuvant total will look like after each probe of the last line's months."""
    lasts = _adjuvant_lasts(kind)
    found: dict[Any, tuple[TherapyLine, ...]] = {signer.history_view(()): ()}
    for last in lasts:
        found.setdefault(signer.history_view((last,)), (last,))
    if _MAX_ADJUVANT_LINES < 2:
        return list(found.values())
    firsts: dict[Any, TherapyLine] = {}
    for agents, months, ended in itertools.product(
        kind.agent_sets, kind.months, ("completed", "toxicity")
    ):
        first = _line(agents, "adjuvant", months, ended, None, kind.doses[-1])
        fact = line_facts(_History((first, lasts[0])))[0]  # type: ignore[arg-type]
        future = tuple(signer.piece("line.adjuvant_months_total", months + m) for m in kind.months)
        firsts.setdefault((signer.line_view(fact), future), first)
    for first in firsts.values():
        for last in lasts:
            found.setdefault(signer.history_view((first, last)), (first, last))
    return list(found.values())


def _metastatic_entries(kind: _LineKind) -> list[TherapyLine]:
    """Every metastatic entry: each agent set, each months probe, ended by progression or by
    toxicity (then the next entry continues the same line), fulvestrant at each allowed dose."""
    return [
        _line(agents, "metastatic", months, ended, None, dose)
        for agents, months, ended in itertools.product(
            kind.agent_sets, kind.months, ("progression", "toxicity")
        )
        for dose in (kind.doses if "fulvestrant" in agents else kind.doses[:1])
    ]


def _distinct_entries(
    entries: list[TherapyLine], signer: _Signer, kind: _LineKind
) -> list[TherapyLine]:
    """Entries that some condition tells apart in some place of a history (line number, months
    already on the line), first of each kind kept."""
    places = [
        (number, before)
        for number in range(1, _MAX_METASTATIC_LINES + 1)
        for before in (0, *kind.months)
    ]
    kept: dict[Any, TherapyLine] = {}
    for entry in entries:
        key = (
            entry.ended,
            tuple(
                signer.entry_view(entry, number, before + entry.months) for number, before in places
            ),
            tuple(
                signer.piece("line.months_in_metastatic_line", entry.months + m)
                for m in kind.months
            ),
        )
        kept.setdefault(key, entry)
    return list(kept.values())


@dataclass(frozen=True)
class _State:
    """A history being grown, as its future lines and the conditions will see it."""

    lines: frozenset[Any]  # what some line so far lets a condition block see
    counts: tuple[int, int]  # adjuvant lines, metastatic lines (toxicity stops not counted)
    started: int  # metastatic lines started
    open_months: int | None  # months so far on a line whose last entry ended by toxicity
    switches: int = 0  # metastatic entries stopped for toxicity


def _start(history: tuple[TherapyLine, ...], signer: _Signer) -> _State:
    facts = line_facts(_History(history))  # type: ignore[arg-type]
    met: frozenset[Any] = frozenset().union(*(signer.line_view(f) for f in facts))
    return _State(met, (len(history), 0), 0, None)


def _grow(state: _State, entry: TherapyLine, signer: _Signer) -> _State:
    """The state after one more metastatic entry."""
    continues = state.open_months is not None
    number = state.started + (not continues)
    in_line = (state.open_months or 0) + entry.months
    stopped = entry.ended == "toxicity"
    return _State(
        state.lines | signer.entry_view(entry, number, in_line),
        (state.counts[0], state.counts[1] + (not stopped)),
        number,
        in_line if stopped else None,
        state.switches + stopped,
    )


def _histories(kind: _LineKind, signer: _Signer) -> list[tuple[TherapyLine, ...]]:
    """One history per class: every adjuvant history, then metastatic entries appended layer by
    layer (a toxicity stop continues its line), keeping the first history of each state."""
    entries = _distinct_entries(_metastatic_entries(kind), signer, kind)
    frontier: dict[Any, tuple[TherapyLine, ...]] = {}
    states: dict[Any, _State] = {}
    for history in _adjuvant_histories(kind, signer):
        state = _start(history, signer)
        key = _key(state, signer, kind)
        if key not in frontier:
            frontier[key], states[key] = history, state
    seen: dict[Any, tuple[TherapyLine, ...]] = {}
    while frontier:
        for key, history in frontier.items():
            seen.setdefault(_view(states[key], signer), history)
        grown: dict[Any, tuple[TherapyLine, ...]] = {}
        grown_states: dict[Any, _State] = {}
        for key, history in frontier.items():
            state = states[key]
            if state.open_months is None and state.started >= _MAX_METASTATIC_LINES:
                continue  # no line may start, and none is open
            for entry in entries:
                if entry.ended == "toxicity" and state.switches >= _MAX_SWITCHES:
                    continue
                after = _grow(state, entry, signer)
                if after.started > _MAX_METASTATIC_LINES:
                    continue
                new_key = _key(after, signer, kind)
                if new_key not in grown:
                    grown[new_key], grown_states[new_key] = (*history, entry), after
        frontier, states = grown, grown_states
    found = list(seen.values())
    known = {_history_words(h) for h in found}
    found += [h for h in _pattern_firsts(kind, signer) if _history_words(h) not in known]
    return found


def _pattern_firsts(kind: _LineKind, signer: _Signer) -> list[tuple[TherapyLine, ...]]:
    """For every block of line conditions, the first one-line history meeting it, boundary
    probes first. Classes see a derive rule's line only through what it concludes, so two rules
    concluding the same (relapse at month 18 on therapy, or within 12 months of completing it)
    could otherwise share one representative and leave a threshold of one of them unprobed."""
    candidates = [(line,) for line in (*_adjuvant_lasts(kind), *_metastatic_entries(kind))]
    facts = [line_facts(_History(h))[0] for h in candidates]  # type: ignore[arg-type]
    firsts: dict[str, tuple[TherapyLine, ...]] = {}  # keyed by the history in words
    for items in signer.patterns:
        for history, fact in zip(candidates, facts, strict=True):
            if all(condition_holds(item, {}, fact, frozenset()) for item in items):
                firsts.setdefault(_history_words(history), history)
                break
    return list(firsts.values())


def _view(state: _State, signer: _Signer) -> tuple[Any, ...]:
    counts = _counted(*state.counts)
    return (
        state.lines,
        tuple(signer.piece(spec.name, counts[spec.name]) for spec, _ in signer.count_atoms),
    )


def _key(state: _State, signer: _Signer, kind: _LineKind) -> tuple[Any, ...]:
    """A state's view plus what later entries will see of it: the number the next line gets and
    how every probe of months would sum with the open line."""
    future = (
        None
        if state.open_months is None
        else tuple(
            signer.piece("line.months_in_metastatic_line", state.open_months + m)
            for m in kind.months
        )
    )
    return (_view(state, signer), state.started, state.switches, future)


# -- the space ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpaceClass:
    """One class of the space: its representative profile, and which layer it belongs to."""

    profile: Profile
    layer: str  # "history sweep" or "patient grid"
    patient: tuple[tuple[str, str], ...]  # fact → representative value, in words
    history: str  # the representative history, in words

    @property
    def coordinates(self) -> dict[str, str]:
        return {"layer": self.layer, **dict(self.patient), "history": self.history}


@dataclass(frozen=True)
class ProfileSpace:
    """The derived space: its axes, its history classes and every class representative."""

    axes: tuple[Axis, ...]
    histories: int  # history classes
    patients: int  # patient classes
    classes: tuple[SpaceClass, ...] = field(repr=False)
    parts: tuple[tuple[dict[str, Any], ...], tuple[tuple[TherapyLine, ...], ...]] = field(
        default=((), ()), repr=False
    )  # every patient class and every history class, for ``sample``

    def sample(self, rng: random.Random) -> Profile:
        """A random profile of the space: any patient class with any history class, including
        the pairs neither the sweep nor the grid holds (for property tests and benchmarks)."""
        patients, histories = self.parts
        return _profile(rng.choice(patients), rng.choice(histories))

    def __len__(self) -> int:
        return len(self.classes)

    def profiles(self) -> list[Profile]:
        return [c.profile for c in self.classes]

    @property
    def layers(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for space_class in self.classes:
            counts[space_class.layer] = counts.get(space_class.layer, 0) + 1
        return counts

    def axis(self, fact: str) -> Axis:
        return next(a for a in self.axes if a.fact == fact)

    @property
    def columns(self) -> tuple[str, ...]:
        """The coordinates of every class, in order (the CSV columns)."""
        return tuple(self.classes[0].coordinates) if self.classes else ()

    def summary(self) -> list[str]:
        """The size of the space and what one representative stands for, in words."""
        layers = self.layers
        return [
            f"{len(self):,} profile classes: {layers.get('history sweep', 0):,} in the history "
            f"sweep (each of {self.histories:,} history classes once) and "
            f"{layers.get('patient grid', 0):,} in the patient grid ({self.patients:,} patient "
            "classes, each with one history per resistance class and treatment line)",
            "one representative stands for every profile the pack's conditions see the same way:",
            *(f"  {axis.describe()}" for axis in self.axes),
        ]


def _patient_axes(readers: _Readers, facts: Iterable[str]) -> list[Axis]:
    axes = []
    for fact in facts:
        spec = VOCABULARY[fact]
        atoms = readers.on(fact)
        if spec.kind == "number":
            axes.append(_numeric_axis(fact, atoms, *_CHEMOTHERAPY_RANGE))
        elif spec.kind == "bool":
            axes.append(_enum_axis(fact, [False, True], atoms))
        else:
            values: list[Any] = list(spec.values)
            if spec.optional:
                values.append(None)
            axes.append(_enum_axis(fact, values, atoms))
    return axes


def _patients(axes: Sequence[Axis]) -> Iterator[dict[str, Any]]:
    """Every combination of representative values that can describe a real patient."""
    for values in itertools.product(*(axis.values for axis in axes)):
        chosen = dict(zip((a.fact for a in axes), values, strict=True))
        if _possible(chosen):
            yield chosen


def _possible(chosen: dict[str, Any]) -> bool:
    woman = chosen.get("sex", "female") == "female"
    status = chosen.get("menopausal_status", "post" if woman else None)
    if woman != (status is not None):
        return False
    if chosen.get("ovarian_suppression") and (not woman or status == "post"):
        return False
    if (
        chosen.get("her2_low", "unknown") != "unknown"
        and chosen.get("her2", "negative") != "negative"
    ):
        return False
    return not (chosen.get("visceral_crisis") and chosen.get("disease_extent") == "bone_only")


def _profile(chosen: dict[str, Any], history: Sequence[TherapyLine]) -> Profile:
    data: dict[str, Any] = {
        "label": "space class",
        "sex": "female",
        "menopausal_status": "post",
        "receptors": {"er": "positive", "pr": "positive", "her2": "negative"},
        "disease": {
            "setting": _counts(history)["disease_setting"],
            "extent": "visceral" if chosen.get("visceral_crisis") else "non_visceral",
        },
        "endocrine_history": [line.model_dump(exclude_none=True) for line in history],
    }
    for fact, value in chosen.items():
        path = _PROFILE_PATHS[fact]
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    profile = Profile.model_validate(data)
    problems = consistency_problems(profile)
    if problems:  # the space builds only possible profiles; anything else is a bug here
        raise AssertionError(f"the space built an impossible profile: {problems}")
    return profile


def _history_words(history: Sequence[TherapyLine]) -> str:
    if not history:
        return "none"
    parts = []
    for line in history:
        gap = (
            f" +{line.months_from_end_to_relapse}m"
            if line.months_from_end_to_relapse is not None
            else ""
        )
        parts.append(f"{line.setting[:3]} {'+'.join(line.agents)} {line.months}m {line.ended}{gap}")
    return " > ".join(parts)


def derive_space(pack: RulePack, *others: RulePack) -> ProfileSpace:
    """The space of ``pack``, in a fixed order, each class as one valid hypothetical profile:

    - the *history sweep*: every history class once, the patient classes taken in turn (the
      i-th history meets the i-th patient class, round and round), so every history class and
      every patient class meets the engine;
    - the *patient grid*: every patient class with one anchor history per answer the derive
      rules can give (each endocrine-resistance class and treatment line the histories reach),
      so every combination of patient facts is tried against every kind of history.

    With ``others`` (``rules diff``), the conditions of every pack tell profiles apart, so the
    space probes the thresholds of both sides.
    """
    readers = _readers(pack, *others)
    kind = _line_kind(readers)
    signer = _Signer(readers)
    histories = _histories(kind, signer)
    patient_facts = [f for f in _PROFILE_PATHS if readers.on(f) or f == "sex"]
    axes = _patient_axes(readers, patient_facts)
    patients = list(_patients(axes))
    classes = [
        _space_class(
            _profile(patients[i % len(patients)], h),
            "history sweep",
            patients[i % len(patients)],
            h,
        )
        for i, h in enumerate(histories)
    ]
    anchors = _anchors(pack, histories, signer)
    for chosen in patients:
        for anchor in anchors:
            classes.append(_space_class(_profile(chosen, anchor), "patient grid", chosen, anchor))
    return ProfileSpace(
        (*axes, kind.agent_axis, _months_axis(kind, readers)),
        len(histories),
        len(patients),
        tuple(classes),
        (tuple(patients), tuple(histories)),
    )


def _anchors(
    pack: RulePack, histories: Sequence[tuple[TherapyLine, ...]], signer: _Signer
) -> list[tuple[TherapyLine, ...]]:
    """The first history giving each (endocrine resistance, treatment line) the derive rules
    conclude, for a woman after menopause with HR-positive disease (who meets every history).
    Those two follow from the findings the lines allow and the counts of lines, so the pack is
    run in plain Python once per distinct (findings, counts), not once per history."""
    table = direct_table(pack.rules.values())
    tried: set[Any] = set()
    found: dict[frozenset[tuple[str, str]], tuple[TherapyLine, ...]] = {}
    for history in histories:
        met, counts = signer.history_view(history)
        findings = frozenset(label[:2] for label in met if label[0] == "resistance_signal")
        if (findings, counts) in tried:
            continue
        tried.add((findings, counts))
        profile = _profile({}, history)
        fired = direct_fire(table, patient_fact(profile), line_facts(profile))
        derived = frozenset(
            row[3]
            for row in table
            if row[0] in fired
            and row[3] is not None
            and row[3][0] in ("endocrine_resistance", "treatment_line")
        )
        found.setdefault(derived, history)
    return list(found.values())


def _months_axis(kind: _LineKind, readers: _Readers) -> Axis:
    atoms = [a for fact in MONTHS_FACTS for a in readers.on(fact)]
    return _numeric_axis("months", atoms, *_MONTHS_RANGE)


def _space_class(
    profile: Profile, layer: str, chosen: dict[str, Any], history: Sequence[TherapyLine]
) -> SpaceClass:
    return SpaceClass(
        profile,
        layer,
        tuple((fact, _word(value) if value is not None else "-") for fact, value in chosen.items()),
        _history_words(history),
    )


def sample_space(
    pack: RulePack,
    histories: Iterable[Sequence[TherapyLine]],
    count: int,
    seed: int = 2014,
) -> ProfileSpace:
    """A fixed, seeded sample of ``count`` profiles for a later date of the timeline, where the
    derived space grows too large to evaluate at every date (see README, "The evidence
    timeline"): every patient class of ``pack`` (cheap to derive: it probes every threshold and
    value the pack's conditions name) meets a history drawn from ``histories`` (the history
    classes of the review's space, plus those of the rules' examples and teaching profiles, which
    carry the later agents). The same pack, histories and seed give the same sample."""
    readers = _readers(pack)
    patient_facts = [f for f in _PROFILE_PATHS if readers.on(f) or f == "sex"]
    axes = _patient_axes(readers, patient_facts)
    patients = list(_patients(axes))
    pool = list({tuple(line.model_dump_json() for line in h): tuple(h) for h in histories}.values())
    rng = random.Random(seed)
    classes: list[SpaceClass] = []
    attempts = 0
    while len(classes) < count and attempts < count * 20:
        attempts += 1
        chosen, history = rng.choice(patients), rng.choice(pool)
        try:
            profile = _profile(chosen, history)
        except (AssertionError, ValueError):
            continue  # a patient this history cannot describe (e.g. a man on ovarian suppression)
        classes.append(_space_class(profile, "sample", chosen, history))
    return ProfileSpace(
        tuple(axes), len(pool), len(patients), tuple(classes), (tuple(patients), tuple(pool))
    )

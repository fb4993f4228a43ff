"""The geometry of a patient's endocrine history, and the month thresholds of the rules that
classified it, read from the rules: the data ``history_svg`` draws.

The time axis counts whole months from the start of the first endocrine therapy (the profile
gives durations, not dates): adjuvant lines end to end from month 0, the relapse after the last
one (``months_from_end_to_relapse`` later, when given), then the lines for metastatic disease
end to end from the relapse (from month 0 for de novo disease).

A threshold is a rule's numeric comparison on a months fact (``line.adjuvant_months_total is
less than 24``). Where it sits on the axis depends on the fact it constrains: ``ANCHORS`` is the
one table saying from where each months fact is measured. The rules read are those that derived
the profile's resistance facts (their ids are in the result's ``because``), drawn on the lines
they matched, and the other rules deriving those facts, drawn on each line where every condition
but the thresholds held ("tested, did not fire"). No threshold is written in Python: a workshop
that moves one in the rules moves its mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from endodecide.facts import VOCABULARY, line_facts, patient_fact
from endodecide.profile import Profile
from endodecide.result import ProfileResult
from endodecide.rulepack import RulePack
from endodecide.rulepack.conditions import Condition, Group, plain_words
from endodecide.rulepack.interpret import Derived, condition_holds
from endodecide.rulepack.model import Rule

__all__ = [
    "ANCHORS",
    "ENDED_WORDS",
    "RESISTANCE_FACTS",
    "THRESHOLD_OPERATORS",
    "Anchor",
    "History",
    "Mark",
    "Span",
    "class_line",
    "history_of",
    "history_text",
    "is_threshold",
    "month_facts",
    "rules_line",
]

# The derived facts that carry the ABC2 classification: the rules concluding them are the ones
# whose thresholds are drawn.
RESISTANCE_FACTS = ("resistance_signal", "endocrine_resistance")
# The comparisons that put a boundary on the time axis (an equality is not a threshold).
THRESHOLD_OPERATORS = frozenset({"is less than", "is at most", "is at least", "is more than"})

Origin = Literal["line_start", "line_end", "adjuvant_start", "metastatic_line_start"]


@dataclass(frozen=True)
class Anchor:
    """Where on the axis a months fact is measured from, on the line a rule matched."""

    origin: Origin
    words: str


# fact -> where it is measured from (on the line the rule's line conditions matched):
#
# | fact                            | measured from                                          |
# | ------------------------------- | ------------------------------------------------------ |
# | line.months                     | the start of that line                                 |
# | line.adjuvant_months_total      | the start of adjuvant therapy (its first line)         |
# | line.months_from_end_to_relapse | the end of that line: the end of adjuvant therapy      |
# | line.months_in_metastatic_line  | the start of that metastatic line (an entry after one  |
# |                                 | stopped for toxicity continues it): 1 = first line     |
#
# A months fact missing here is listed in the text as "not drawn" (a test keeps the table
# complete for the vocabulary).
ANCHORS: dict[str, Anchor] = {
    "line.months": Anchor("line_start", "the start of this line"),
    "line.adjuvant_months_total": Anchor("adjuvant_start", "the start of adjuvant therapy"),
    "line.months_from_end_to_relapse": Anchor("line_end", "the end of adjuvant therapy"),
    "line.months_in_metastatic_line": Anchor(
        "metastatic_line_start", "the start of metastatic line {metastatic_line}"
    ),
}


@dataclass(frozen=True)
class Span:
    """One line of endocrine therapy on the axis (``number`` counts from 1)."""

    number: int
    agents: tuple[str, ...]
    setting: str
    start: int
    end: int
    ended: str
    metastatic_line: int | None


@dataclass(frozen=True)
class Mark:
    """One threshold of one rule: ``value`` months after the anchor, at month ``at``.

    ``at`` is None when the fact has no anchor in ``ANCHORS`` (listed, not drawn)."""

    rule: str
    fact: str
    op: str
    value: int
    words: str
    anchor: str
    origin: int | None
    at: int | None
    line: int
    fired: bool


@dataclass(frozen=True)
class History:
    """Everything the picture and its text alternative show."""

    label: str
    spans: tuple[Span, ...]
    adjuvant_end: int | None
    relapse: int | None
    gap_known: bool
    de_novo: bool
    chemotherapy_lines: int
    marks: tuple[Mark, ...]
    resistance: str
    resistance_rules: tuple[str, ...]
    finding_rules: tuple[str, ...]

    @property
    def metastatic_start(self) -> int:
        """Where the lines for metastatic disease begin: the relapse, or month 0 (de novo)."""
        return self.relapse if self.relapse is not None else 0

    @property
    def last_month(self) -> int:
        """The furthest month anything is drawn at (at least 12)."""
        ends = [s.end for s in self.spans] + [m.at for m in self.marks if m.at is not None]
        return max([12, self.metastatic_start, *ends])


def is_threshold(item: Condition | Group) -> bool:
    """A comparison of a months fact with a number: a boundary on the time axis."""
    if isinstance(item, Group):
        return any(is_threshold(c) for c in item.conditions())
    return (
        item.fact.kind == "number"
        and item.fact.unit == "months"
        and item.op in THRESHOLD_OPERATORS
        and isinstance(item.value, int)
    )


def _spans(profile: Profile) -> tuple[list[Span], int | None, int | None, bool]:
    """The lines on the axis, the end of adjuvant therapy, the relapse and whether its time is
    known (a last adjuvant line stopped without ``months_from_end_to_relapse`` leaves it open)."""
    spans: list[Span] = []
    clock = 0
    adjuvant_end: int | None = None
    relapse: int | None = None
    gap_known = True
    facts = line_facts(profile)
    for number, (line, fact) in enumerate(
        zip(profile.endocrine_history, facts, strict=True), start=1
    ):
        spans.append(
            Span(
                number,
                tuple(line.agents),
                line.setting,
                clock,
                clock + line.months,
                line.ended,
                fact.get("metastatic_line_number"),
            )
        )
        clock += line.months
        if line.setting == "adjuvant" and fact.get("last_adjuvant"):
            adjuvant_end = clock
            if line.ended == "relapse":
                relapse = clock
            elif line.months_from_end_to_relapse is not None:
                relapse = clock + line.months_from_end_to_relapse
            else:
                relapse, gap_known = clock, False
            clock = relapse
    if relapse is None and profile.disease.setting == "recurrence" and adjuvant_end is None:
        relapse = 0
    return spans, adjuvant_end, relapse, gap_known


def _origin(anchor: Anchor, span: Span, spans: list[Span]) -> int:
    if anchor.origin == "line_start":
        return span.start
    if anchor.origin == "line_end":
        return span.end
    if anchor.origin == "adjuvant_start":
        return min(s.start for s in spans if s.setting == "adjuvant")
    return min(s.start for s in spans if s.metastatic_line == span.metastatic_line)


def _marks_of(
    rule: Rule,
    fired: bool,
    spans: list[Span],
    patient: dict[str, Any],
    lines: list[dict[str, Any]],
    derived: Derived,
) -> list[Mark]:
    """The rule's thresholds on each line where its other conditions hold: ``fired`` marks where
    the thresholds hold too, "tested" marks where they do not."""
    bounds = [item for item in rule.when if is_threshold(item)]
    if not bounds:
        return []
    others = [item for item in rule.when if not is_threshold(item)]
    if not all(condition_holds(c, patient, None, derived) for c in others if _on_profile(c)):
        return []
    line_others = [c for c in others if not _on_profile(c)]
    thresholds = [c for item in bounds for c in _conditions(item) if is_threshold(c)]
    found = []
    for span, line in zip(spans, lines, strict=True):
        if not all(condition_holds(c, patient, line, derived) for c in line_others):
            continue
        held = all(condition_holds(item, patient, line, derived) for item in bounds)
        for cond in thresholds:
            assert isinstance(cond.value, int)  # is_threshold checked it
            if cond.fact.source == "line" and cond.fact.field not in line:
                continue  # a fact this line does not have (adjuvant totals on a metastatic line)
            anchor = ANCHORS.get(cond.fact.name)
            origin = None if anchor is None else _origin(anchor, span, spans)
            found.append(
                Mark(
                    rule=rule.id,
                    fact=cond.fact.name,
                    op=cond.op,
                    value=cond.value,
                    words=plain_words(cond),
                    anchor="" if anchor is None else anchor.words.format_map(vars(span)),
                    origin=origin,
                    at=None if origin is None else origin + cond.value,
                    line=span.number,
                    fired=fired and held,
                )
            )
    return found


def _conditions(item: Condition | Group) -> list[Condition]:
    return item.conditions() if isinstance(item, Group) else [item]


def _on_profile(item: Condition | Group) -> bool:
    """A condition on the patient or on derived facts (not on one line)."""
    first = item.conditions()[0] if isinstance(item, Group) else item
    return first.fact.source != "line"


def _rules_deriving(pack: RulePack) -> list[Rule]:
    return [
        rule
        for rule in pack.rules.values()
        if rule.card.then.derive is not None and rule.card.then.derive.fact in RESISTANCE_FACTS
    ]


def history_of(profile: Profile, result: ProfileResult, pack: RulePack) -> History:
    """The history of ``profile`` on the axis, with the thresholds of the rules of ``pack``
    that derived ``result``'s resistance facts (and, fainter, of those tested on it)."""
    spans, adjuvant_end, relapse, gap_known = _spans(profile)
    derived: Derived = frozenset((f.name, f.value) for f in result.derived_facts)
    findings = [f for f in result.derived_facts if f.name in RESISTANCE_FACTS]
    fired = {b.rule for f in findings for b in f.because}
    patient, lines = patient_fact(profile), line_facts(profile)
    marks: dict[tuple[str, str, int, int | None, bool], Mark] = {}
    for rule in _rules_deriving(pack):
        for mark in _marks_of(rule, rule.id in fired, spans, patient, lines, derived):
            marks.setdefault((mark.rule, mark.fact, mark.value, mark.at, mark.fired), mark)
    ordered = sorted(
        marks.values(), key=lambda m: (not m.fired, m.at if m.at is not None else -1, m.rule)
    )
    resistance = next((f for f in findings if f.name == "endocrine_resistance"), None)
    signals = [b.rule for f in findings if f.name != "endocrine_resistance" for b in f.because]
    return History(
        label=result.label,
        spans=tuple(spans),
        adjuvant_end=adjuvant_end,
        relapse=relapse,
        gap_known=gap_known,
        de_novo=profile.disease.setting == "de_novo",
        chemotherapy_lines=profile.chemotherapy_lines_for_metastatic,
        marks=tuple(ordered),
        resistance="not derived" if resistance is None else resistance.value_label,
        resistance_rules=() if resistance is None else tuple(b.rule for b in resistance.because),
        finding_rules=tuple(dict.fromkeys(signals)),
    )


def month_facts() -> list[str]:
    """Every months fact of the vocabulary (what ``ANCHORS`` must cover)."""
    return [s.name for s in VOCABULARY.values() if s.kind == "number" and s.unit == "months"]


ENDED_WORDS = {
    "relapse": "relapse",
    "progression": "progression",
    "completed": "completed",
    "toxicity": "stopped for toxicity",
}


def class_line(history: History) -> str:
    return f"Endocrine resistance (ESO-ESMO ABC2): {history.resistance}"


def rules_line(history: History) -> str:
    parts = []
    if history.finding_rules:
        parts.append(f"findings by {', '.join(history.finding_rules)}")
    if history.resistance_rules:
        parts.append(f"class by {', '.join(history.resistance_rules)}")
    drawn = any(m.fired and m.at is not None for m in history.marks)
    parts.append("thresholds read from these rules" if drawn else "no month threshold to draw")
    return "; ".join(parts)


def history_text(history: History) -> list[str]:
    """The facts of the picture in words, one item each: its text alternative."""
    items = [f"{class_line(history)}; {rules_line(history)}."]
    for span in history.spans:
        where = (
            "adjuvant" if span.setting == "adjuvant" else f"metastatic line {span.metastatic_line}"
        )
        items.append(
            f"Line {span.number}: {', '.join(span.agents)}, {where}, months "
            f"{span.start}\u2013{span.end}, {ENDED_WORDS[span.ended]}."
        )
    if not history.spans:
        items.append("No endocrine therapy recorded.")
    if history.relapse is not None:
        end = history.adjuvant_end
        if end is None:
            items.append("Relapse at month 0 (no adjuvant endocrine therapy recorded).")
        elif not history.gap_known:
            items.append(f"Relapse after month {end}; the interval is not recorded.")
        elif history.relapse > end:
            items.append(
                f"Relapse at month {history.relapse}, {history.relapse - end} months after "
                "the end of adjuvant therapy."
            )
        else:
            items.append(f"Relapse at month {history.relapse}, on adjuvant therapy.")
    elif history.de_novo:
        items.append("Metastatic at diagnosis (month 0).")
    if history.chemotherapy_lines:
        items.append(
            f"Chemotherapy for metastatic disease: {history.chemotherapy_lines} line(s); when, "
            "and for how long, is not in the profile."
        )
    for mark in history.marks:
        if mark.at is None:
            items.append(
                f"Threshold {mark.rule} ({mark.words}), line {mark.line}: not drawn, no anchor "
                f"is known for {mark.fact}."
            )
            continue
        outcome = "met: the rule fired" if mark.fired else "not met: tested, did not fire (fainter)"
        items.append(
            f"Threshold {mark.rule} at {mark.value} months from {mark.anchor} (month {mark.at} "
            f"here), line {mark.line}: {mark.words} - {outcome}."
        )
    with_marks = {m.rule for m in history.marks if m.fired}
    items += [
        f"{rule} has no month threshold to draw."
        for rule in history.finding_rules
        if rule not in with_marks
    ]
    return items

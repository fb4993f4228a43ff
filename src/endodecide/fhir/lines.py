"""Cancer-related MedicationRequests and MedicationAdministrations read into lines of endocrine
therapy: each agent from its code, the agents of one line gathered (line extension,
groupIdentifier, or a shared period), months from the period, the setting, and how the line
ended (statusReason, or a 'worsened' disease status at its end), each with its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from endodecide.errors import Problem
from endodecide.fhir import terminology as term
from endodecide.fhir.agents import DOSE, agent_of, dose_of
from endodecide.fhir.extensions import EXT_LINE_OF_THERAPY, EXT_TREATMENT_SETTING, months_between
from endodecide.fhir.resources import (
    Item,
    Record,
    Resources,
    codings,
    extension,
    get,
    named_codes,
)
from endodecide.sources import Loc
from endodecide.textsafe import quote

__all__ = ["Worsened", "read_lines"]

_PERIOD: dict[str, Loc] = {
    "MedicationRequest": ("dosageInstruction", 0, "timing", "repeat", "boundsPeriod"),
    "MedicationAdministration": ("effectivePeriod",),
}
_PAST = {"completed", "stopped"}
_CURRENT = {"MedicationRequest": "active", "MedicationAdministration": "in-progress"}
_NEVER_GIVEN = {"cancelled", "entered-in-error", "draft", "not-done"}
_SETTINGS = ("adjuvant", "metastatic")


@dataclass(frozen=True)
class Worsened:
    """A CancerDiseaseStatus 'worsened': the Observation, its day, and what its basedOn names."""

    item: Item
    day: date | None
    based_on: tuple[Item, ...]


@dataclass
class _Dose:
    """One agent of one line, as one request or administration says it."""

    item: Item
    agent: str
    start: date
    end: date
    completed: bool
    reasons: list[tuple[str, Loc]]
    setting: str | None
    number: int | None
    group: tuple[str, str] | None
    dose: int | None = None


@dataclass
class _Line:
    doses: list[_Dose]
    worsened: list[Worsened] = field(default_factory=list)

    @property
    def first(self) -> _Dose:
        return self.doses[0]

    @property
    def span(self) -> str:
        return f"{self.first.start.isoformat()} to {self.first.end.isoformat()}"


def _reasons(item: Item) -> list[tuple[str, Loc]]:
    """The mCODE termination reasons of a request (keys of TERMINATION_REASONS) and where."""
    known = {(c.system, c.code): key for key, c in term.TERMINATION_REASONS.items()}
    value = item.model.statusReason
    concepts = value if isinstance(value, list) else [value] if value is not None else []
    found = []
    for index, concept in enumerate(concepts):
        element: Loc = ("statusReason", index) if isinstance(value, list) else ("statusReason",)
        for pair in codings(concept):
            if pair in known:
                found.append((known[pair], element))
    return found


def _read_dose(res: Resources, item: Item, agent: str, problems: list[Problem]) -> _Dose | None:
    model, before = item.model, len(problems)
    element = _PERIOD[item.kind]
    period = get(model, element)
    start = res.day(item, (*element, "start"), get(period, ("start",)), problems)
    end = res.day(item, (*element, "end"), get(period, ("end",)), problems)
    if len(problems) == before and (start is None or end is None):
        message = "a line that ended needs a period with a start and an end date"
        problems.append(res.problem(item, element, message, "E202"))
    if start is not None and end is not None and end < start:
        message = f"ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        problems.append(res.problem(item, element, message, "E210"))
    number = setting = None
    found = extension(model, EXT_LINE_OF_THERAPY)
    if found is not None:
        number = found[0].valueInteger
        if not isinstance(number, int) or number < 1:
            message = "line-of-therapy needs valueInteger, 1 or more"
            problems.append(res.problem(item, found[1], message, "E204"))
    found = extension(model, EXT_TREATMENT_SETTING)
    if found is not None:
        setting = found[0].valueCode
        if setting not in _SETTINGS:
            message = (
                f"treatment-setting {quote(setting)} is not allowed; allowed: adjuvant, metastatic"
            )
            problems.append(res.problem(item, (*found[1], "valueCode"), message, "E203"))
    group = getattr(model, "groupIdentifier", None)
    dose = dose_of(res, item, problems) if agent == "fulvestrant" else None
    if len(problems) > before or start is None or end is None:
        return None
    return _Dose(
        item,
        agent,
        start,
        end,
        model.status == "completed",
        _reasons(item),
        setting,
        number,
        (group.system or "", group.value or "") if group is not None else None,
        dose,
    )


def _key(dose: _Dose) -> tuple[Any, ...]:
    if dose.number is not None:
        return ("number", dose.number)
    if dose.group is not None:
        return ("group", *dose.group)
    return ("period", dose.start, dose.end)


def _gather(res: Resources, doses: list[_Dose], problems: list[Problem]) -> list[_Line]:
    """Doses into lines, in order, with their periods checked: shared within a line, never
    overlapping between lines."""
    grouped: dict[tuple[Any, ...], list[_Dose]] = {}
    for dose in doses:
        grouped.setdefault(_key(dose), []).append(dose)
    lines = [_Line(members) for members in grouped.values()]
    for line in lines:
        for other in line.doses[1:]:
            if (other.start, other.end) != (line.first.start, line.first.end):
                message = (
                    f"the agents of one line share one period: {line.first.item.label} has "
                    f"{line.span}, this one {other.start.isoformat()} to {other.end.isoformat()}"
                )
                problems.append(res.problem(other.item, _PERIOD[other.item.kind], message, "E210"))
            if other.setting is not None and line.first.setting not in (None, other.setting):
                message = (
                    f"treatment-setting {other.setting}, but {line.first.item.label} says "
                    f"{line.first.setting}: one setting per line"
                )
                problems.append(res.problem(other.item, ("extension",), message, "E210"))
    numbered = all(line.first.number is not None for line in lines)
    if numbered:
        lines.sort(key=lambda line: line.first.number or 0)
    else:
        lines.sort(key=lambda line: (line.first.start, line.first.end, line.first.item.index))
    for later_index, later in enumerate(lines):
        for earlier in lines[:later_index]:
            a, b = earlier.first, later.first
            if a.start < b.end and b.start < a.end:
                message = (
                    f"{later.span} overlaps {a.item.label} ({earlier.span}): lines of therapy "
                    "follow one another; agents given together belong to one line (the same "
                    "period and groupIdentifier)"
                )
                problems.append(res.problem(b.item, _PERIOD[b.item.kind], message, "E210"))
            elif numbered and b.start < a.end:
                message = (
                    f"line-of-therapy {b.number} starts ({b.start.isoformat()}) before line "
                    f"{a.number} ends ({a.end.isoformat()}, {a.item.label})"
                )
                problems.append(res.problem(b.item, _PERIOD[b.item.kind], message, "E210"))
    return lines


def _attach(lines: list[_Line], worsened: list[Worsened], record: Record) -> None:
    """Each 'worsened' disease status to the line it names by basedOn, else to the line ending
    on its day."""
    for status in worsened:
        named = [line for line in lines if any(dose.item in status.based_on for dose in line.doses)]
        dated = [line for line in lines if status.day is not None and line.first.end == status.day]
        targets = named or dated
        if not targets:
            when = status.day.isoformat() if status.day else "with no date"
            record.not_read.append(
                f"{status.item.label}: a 'worsened' disease status {when}, neither at the end "
                "of a line nor naming one by basedOn"
            )
        else:
            targets[-1].worsened.append(status)


def read_lines(
    res: Resources,
    metastatic: date,
    recurrence: bool,
    worsened: list[Worsened],
    record: Record,
    problems: list[Problem],
) -> tuple[list[dict[str, Any]], bool]:
    """The endocrine history (profile data) and whether ovarian suppression goes on now."""
    doses: list[_Dose] = []
    suppression: Item | None = None
    before = len(problems)
    for item in res.of_kind("MedicationRequest", "MedicationAdministration"):
        status = item.model.status
        if status in _NEVER_GIVEN:
            record.not_read.append(f"{item.label}: status {status}, never given")
            continue
        agent = agent_of(res, item, problems)
        if agent is None:
            continue
        if status == _CURRENT[item.kind]:
            if agent == "ovarian_suppression":
                suppression = item
            else:
                message = (
                    f"status {status} for {agent}: a profile holds lines that ended (completed "
                    "or stopped) and, as treatment going on now, only ovarian suppression"
                )
                problems.append(res.problem(item, ("status",), message, "E203"))
        elif status in _PAST:
            dose = _read_dose(res, item, agent, problems)
            if dose is not None:
                doses.append(dose)
        else:
            message = (
                f"status {quote(status)} is not read; allowed: completed or stopped (a line that "
                f"ended), {_CURRENT[item.kind]} (ovarian suppression now)"
            )
            problems.append(res.problem(item, ("status",), message, "E203"))
    if len(problems) > before:
        return [], False
    lines = _gather(res, doses, problems)
    if len(problems) > before:
        return [], False
    if lines:
        if all(line.first.number is not None for line in lines):
            how = "the line-of-therapy extension"
        elif all(d.group is not None for d in doses):
            how = "groupIdentifier, in date order"
        elif any(d.group is not None for d in doses):
            how = "groupIdentifier or a shared period, in date order"
        else:
            how = "a shared period, in date order"
        record.gap("endocrine_history (lines)", f"{len(lines)} line(s), gathered by {how}")
    _attach(lines, worsened, record)
    history = [
        _line(res, index, line, metastatic, record, problems) for index, line in enumerate(lines)
    ]
    _relapse_gap(res, lines, history, metastatic, recurrence, record, problems)
    if suppression is not None:
        record.row(
            "ovarian_suppression",
            True,
            suppression,
            ("status",),
            f"{suppression.model.status}: going on now",
        )
        record.gap("ovarian_suppression", f"an active request ({suppression.label})")
    else:
        record.row("ovarian_suppression", False, None, (), "no active ovarian suppression request")
        record.gap("ovarian_suppression", "none active: false")
    return history, suppression is not None


def _line(
    res: Resources,
    index: int,
    line: _Line,
    metastatic: date,
    record: Record,
    problems: list[Problem],
) -> dict[str, Any]:
    here = f"endocrine_history[{index}]"
    first = line.first
    for position, dose in enumerate(line.doses):
        code = get(dose.item.model, ("medicationCodeableConcept",))
        shown = named_codes(code)
        gnrh = [
            n
            for n, c in term.OVARIAN_SUPPRESSION_AGENTS.items()
            if (c.system, c.code) in codings(code)
        ]
        shown += f" ({gnrh[0]}, a GnRH agonist: ovarian suppression)" if gnrh else ""
        record.row(
            f"{here}.agents[{position}]",
            dose.agent,
            dose.item,
            ("medicationCodeableConcept",),
            shown,
        )
    marked = next((d for d in line.doses if d.setting is not None), None)
    if marked is not None:
        setting = str(marked.setting)
        found = extension(marked.item.model, EXT_TREATMENT_SETTING)
        element = (*found[1], "valueCode") if found else ("extension",)
        record.row(f"{here}.setting", setting, marked.item, element, "treatment-setting extension")
    else:
        setting = "adjuvant" if first.start < metastatic else "metastatic"
        before = "before" if setting == "adjuvant" else "on or after"
        note = (
            f"derived: starts {first.start.isoformat()}, {before} the metastatic diagnosis "
            f"({metastatic.isoformat()})"
        )
        record.row(f"{here}.setting", setting, first.item, _PERIOD[first.item.kind], note)
        record.gap("endocrine_history[].setting", f"line {index + 1} derived from the dates")
    months, days = months_between(first.start, first.end)
    note = f"{line.span}: {months} whole month(s)" + (
        f", {days} day(s) not counted" if days else ""
    )
    record.row(f"{here}.months", months, first.item, _PERIOD[first.item.kind], note)
    if days:
        record.gap("endocrine_history[].months", f"line {index + 1}: {days} day(s) not counted")
    data: dict[str, Any] = {
        "agents": [d.agent for d in line.doses],
        "setting": setting,
        "months": months,
    }
    ended = _ended(res, index, line, setting, record, problems)
    if ended is not None:
        data["ended"] = ended
    for dose in line.doses:
        if dose.dose is not None:
            data["fulvestrant_dose_mg"] = dose.dose
            record.row(
                f"{here}.fulvestrant_dose_mg",
                dose.dose,
                dose.item,
                DOSE[dose.item.kind],
                "mg (UCUM)",
            )
    return data


def _ended(
    res: Resources, index: int, line: _Line, setting: str, record: Record, problems: list[Problem]
) -> str | None:
    here = f"endocrine_history[{index}].ended"
    reasons = [(d, kind, element) for d in line.doses for kind, element in d.reasons]
    progression = [(d.item, element) for d, kind, element in reasons if kind == "progression"]
    progression += [(w.item, ("valueCodeableConcept",)) for w in line.worsened]
    toxicity = [(d.item, element) for d, kind, element in reasons if kind == "toxicity"]
    first = line.first.item
    if progression and toxicity:
        message = (
            f"ended by toxicity (statusReason) and by progression ({progression[0][0].label}); "
            "a line ends one way"
        )
        problems.append(res.problem(toxicity[0][0], toxicity[0][1], message, "E210"))
        return None
    if progression:
        ended = "relapse" if setting == "adjuvant" else "progression"
        item, element = progression[0]
        if item.kind == "Observation":
            how = "disease status worsened at the line's end"
            named = any(dose.item in line.worsened[0].based_on for dose in line.doses)
            how = "disease status worsened, naming the line by basedOn" if named else how
        else:
            how = "statusReason: no response to treatment"
            also = [w.item.label for w in line.worsened]
            how += f"; also {', '.join(also)} (worsened)" if also else ""
        record.row(here, ended, item, element, how)
        record.gap("endocrine_history[].ended", f"line {index + 1}: {ended} ({how.split(';')[0]})")
        return ended
    if toxicity:
        record.row(
            here,
            "toxicity",
            toxicity[0][0],
            toxicity[0][1],
            "statusReason: treatment not tolerated",
        )
        record.gap("endocrine_history[].ended", f"line {index + 1}: toxicity (statusReason)")
        return "toxicity"
    if all(d.completed for d in line.doses):
        record.row(here, "completed", first, ("status",), "status completed, no reason")
        record.gap("endocrine_history[].ended", f"line {index + 1}: completed (status)")
        return "completed"
    used = ", ".join(
        f"{_named(term.TERMINATION_REASONS[key])} ({key})" for key in ("progression", "toxicity")
    )
    other = [key for _, key, _ in reasons if key not in ("progression", "toxicity")]
    unread = (
        f"statusReason {_named(term.TERMINATION_REASONS[other[0]])} does not say how a line of "
        "a profile ends; "
        if other
        else "stopped with no reason endodecide reads: "
    )
    message = (
        f"{unread}give statusReason {used}, or a CancerDiseaseStatus 'worsened' at the line's end"
    )
    problems.append(res.problem(first, ("statusReason",), message, "E202"))
    return None


def _named(code: term.Code) -> str:
    return f"SNOMED CT {code.code} '{code.display}'"


def _relapse_gap(
    res: Resources,
    lines: list[_Line],
    history: list[dict[str, Any]],
    metastatic: date,
    recurrence: bool,
    record: Record,
    problems: list[Problem],
) -> None:
    """months_from_end_to_relapse of the last adjuvant line, when it was completed or stopped."""
    adjuvant = [i for i, data in enumerate(history) if data["setting"] == "adjuvant"]
    if not adjuvant or not recurrence:
        return
    index = adjuvant[-1]
    if history[index].get("ended") not in {"completed", "toxicity"}:
        return
    first = lines[index].first
    if metastatic < first.end:
        message = (
            f"ends {first.end.isoformat()}, after the metastatic diagnosis "
            f"({metastatic.isoformat()}): an adjuvant line that was completed or stopped ends "
            "before the relapse"
        )
        problems.append(res.problem(first.item, _PERIOD[first.item.kind], message, "E210"))
        return
    months, days = months_between(first.end, metastatic)
    history[index]["months_from_end_to_relapse"] = months
    note = (
        f"{first.end.isoformat()} to the metastatic diagnosis {metastatic.isoformat()}: "
        f"{months} whole month(s)"
    )
    if days:
        note += f", {days} day(s) not counted"
    record.row(
        f"endocrine_history[{index}].months_from_end_to_relapse",
        months,
        first.item,
        _PERIOD[first.item.kind],
        note,
    )
    record.gap(
        "endocrine_history[].months_from_end_to_relapse",
        f"line {index + 1}: derived from the dates",
    )

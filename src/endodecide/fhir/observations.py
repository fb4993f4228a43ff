"""Observations read into profile fields: ER, PR and HER2 (mCODE TumorMarkerTest, LOINC),
menopausal status, the local biomarker and HER2-low observations, and the 'worsened'
CancerDiseaseStatus findings that lines.py attaches to the line they end. For each field the
latest Observation counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from endodecide.errors import Problem
from endodecide.fhir import terminology as term
from endodecide.fhir.extensions import (
    CS_HER2_LOW,
    CS_MARKER_STATUS,
    CS_MENOPAUSAL_STATUS,
    CS_OBSERVATION,
    MARKERS,
    OBS_HER2_LOW,
    OBS_MENOPAUSAL_STATUS,
)
from endodecide.fhir.lines import Worsened
from endodecide.fhir.resources import Item, Record, Resources, codings, named_codes
from endodecide.sources import Loc
from endodecide.textsafe import quote

__all__ = ["read_observations"]

_READ_STATUSES = {"final", "amended", "corrected"}
_VALUE: Loc = ("valueCodeableConcept",)
Pair = tuple[str, str]


def _pair(code: term.Code) -> Pair:
    return (code.system, code.code)


def _shown(code: term.Code) -> str:
    return f"{code.display} ({code.system}|{code.code})"


@dataclass(frozen=True)
class _Kind:
    """One field an Observation can give: its codes, its answers, how a message names it."""

    field: str
    codes: frozenset[Pair]
    answers: dict[Pair, str]
    what: str
    allowed: str


def _answers(system: str, values: tuple[str, ...]) -> dict[Pair, str]:
    return {(system, value): value for value in values}


_RECEPTOR_ANSWERS = {_pair(term.POSITIVE): "positive", _pair(term.NEGATIVE): "negative"}
_RECEPTOR_ALLOWED = f"{_shown(term.POSITIVE)} or {_shown(term.NEGATIVE)}"
_MENOPAUSAL_CODES = {(CS_OBSERVATION, OBS_MENOPAUSAL_STATUS), _pair(term.ICHOM_MENOPAUSE_FUNCTION)}
if term.MENOPAUSAL_STATUS is not None:
    _MENOPAUSAL_CODES.add(_pair(term.MENOPAUSAL_STATUS))
_MENOPAUSAL_ANSWERS = {
    **_answers(CS_MENOPAUSAL_STATUS, ("pre", "peri", "post")),
    **{_pair(code): value for value, code in term.ICHOM_MENOPAUSAL_STATUS_VALUES.items()},
}
KINDS: tuple[_Kind, ...] = (
    _Kind(
        "receptors.er",
        frozenset({_pair(term.ER_STATUS)}),
        _RECEPTOR_ANSWERS,
        "ER status",
        _RECEPTOR_ALLOWED,
    ),
    _Kind(
        "receptors.pr",
        frozenset({_pair(term.PR_STATUS)}),
        _RECEPTOR_ANSWERS,
        "PR status",
        _RECEPTOR_ALLOWED,
    ),
    _Kind(
        "receptors.her2",
        frozenset({_pair(term.HER2_STATUS)}),
        _RECEPTOR_ANSWERS,
        "HER2 status",
        _RECEPTOR_ALLOWED,
    ),
    _Kind(
        "menopausal_status",
        frozenset(_MENOPAUSAL_CODES),
        _MENOPAUSAL_ANSWERS,
        "menopausal status",
        f"pre, peri or post in {CS_MENOPAUSAL_STATUS}, or the HL7 ICHOM Breast Cancer IG's "
        + " or ".join(f"SNOMED CT {c.code}" for c in term.ICHOM_MENOPAUSAL_STATUS_VALUES.values()),
    ),
    *(
        _Kind(
            f"biomarkers.{marker}",
            frozenset({(CS_OBSERVATION, marker)}),
            _answers(CS_MARKER_STATUS, ("mutated", "wild_type")),
            f"{marker.upper()} status",
            f"mutated or wild_type in {CS_MARKER_STATUS}",
        )
        for marker in MARKERS
    ),
    _Kind(
        "biomarkers.her2_low",
        frozenset({(CS_OBSERVATION, OBS_HER2_LOW)}),
        _answers(CS_HER2_LOW, ("zero", "ultralow", "low")),
        "HER2-low category",
        f"zero, ultralow or low in {CS_HER2_LOW}",
    ),
    _Kind(
        "disease_status",
        frozenset({_pair(term.DISEASE_STATUS)}),
        {_pair(code): value for value, code in term.DISEASE_STATUS_VALUES.items()},
        "disease status",
        ", ".join(_shown(code) for code in term.DISEASE_STATUS_VALUES.values()),
    ),
)


@dataclass(frozen=True)
class _Reading:
    item: Item
    day: date | None
    value: str


def read_observations(
    res: Resources, data: dict[str, Any], record: Record, problems: list[Problem]
) -> list[Worsened]:
    """Fill ``data`` (profile data) from the Observations; return the 'worsened' findings."""
    readings: dict[str, list[_Reading]] = {kind.field: [] for kind in KINDS}
    for item in res.of_kind("Observation"):
        kind = _kind_of(item)
        if kind is None:
            record.not_read.append(f"{item.label}: an Observation endodecide does not read (code)")
            continue
        if item.model.status not in _READ_STATUSES:
            record.not_read.append(f"{item.label}: status {quote(item.model.status)}, not a result")
            continue
        day = res.day(item, ("effectiveDateTime",), item.model.effectiveDateTime, problems)
        value = _value(res, item, kind, problems)
        if value is not None:
            readings[kind.field].append(_Reading(item, day, value))
    worsened = []
    for reading in readings.pop("disease_status"):
        if reading.value == "worsened":
            based_on = tuple(
                found for ref in reading.item.model.basedOn or [] if (found := res.resolve(ref))
            )
            worsened.append(Worsened(reading.item, reading.day, based_on))
        else:
            record.not_read.append(
                f"{reading.item.label}: disease status {reading.value}; only 'worsened' ends a line"
            )
    for name, results in readings.items():
        _choose(res, name, results, data, record, problems)
    receptors = data.setdefault("receptors", {})
    for kind in KINDS[:2]:
        if kind.field.split(".")[1] not in receptors and not problems:
            (_, code), *_ = kind.codes
            message = f"no {kind.what} Observation (LOINC {code}): required"
            problems.append(res.problem(None, (), message, "E202"))
    _gaps(data, record)
    return worsened


def _kind_of(item: Item) -> _Kind | None:
    pairs = set(codings(item.model.code))
    return next((kind for kind in KINDS if kind.codes & pairs), None)


def _value(res: Resources, item: Item, kind: _Kind, problems: list[Problem]) -> str | None:
    model = item.model
    if model.valueCodeableConcept is None:
        if kind.field == "receptors.her2" and model.dataAbsentReason is not None:
            return "unknown"
        element: Loc = ("dataAbsentReason",) if model.dataAbsentReason is not None else _VALUE
        message = f"no {kind.what} in valueCodeableConcept; allowed: {kind.allowed}"
        problems.append(res.problem(item, element, message, "E202"))
        return None
    for pair in codings(model.valueCodeableConcept):
        if pair in kind.answers:
            return kind.answers[pair]
    given = named_codes(model.valueCodeableConcept) or "no coding"
    message = f"{kind.what} {given} is not read; allowed: {kind.allowed}"
    problems.append(res.problem(item, _VALUE, message, "E203"))
    return None


def _choose(
    res: Resources,
    name: str,
    found: list[_Reading],
    data: dict[str, Any],
    record: Record,
    problems: list[Problem],
) -> None:
    """The latest reading of one field (undated ones count as oldest); two different values on
    the latest day are a contradiction."""
    if not found:
        return
    ordered = sorted(found, key=lambda r: (r.day or date.min, r.item.index))
    latest = ordered[-1]
    clash = [r for r in ordered[:-1] if r.day == latest.day and r.value != latest.value]
    if clash:
        message = f"{latest.value}, but {clash[0].item.label} of the same day says {clash[0].value}"
        problems.append(res.problem(latest.item, _VALUE, message, "E210"))
        return
    section, _, key = name.rpartition(".")
    target = data.setdefault(section, {}) if section else data
    target[key or name] = latest.value
    note = named_codes(latest.item.model.code)
    if (term.SNOMED, term.ICHOM_MENOPAUSE_FUNCTION.code) in codings(latest.item.model.code):
        note += " (as the HL7 ICHOM Breast Cancer IG codes it)"
    if len(found) > 1:
        note += f"; the latest of {len(found)}"
    element = ("dataAbsentReason",) if latest.value == "unknown" else _VALUE
    record.row(name, latest.value, latest.item, element, note)


def _gaps(data: dict[str, Any], record: Record) -> None:
    receptors = data.setdefault("receptors", {})
    if "her2" not in receptors:
        receptors["her2"] = "unknown"
        record.row("receptors.her2", "unknown", None, (), "no HER2 Observation: unknown")
        record.gap("receptors", "no HER2 Observation: unknown")
    else:
        record.gap("receptors", "ER, PR and HER2 from Observations")
    biomarkers = data.setdefault("biomarkers", {})
    for name in (*MARKERS, "her2_low"):
        if name not in biomarkers:
            record.row(f"biomarkers.{name}", "unknown", None, (), "no Observation: unknown")
    read = [m for m in MARKERS if m in biomarkers]
    record.gap(
        "biomarkers.pik3ca, esr1, akt1, pten",
        f"local Observations for {', '.join(read)}"
        + ("; the others unknown" if len(read) < 4 else "")
        if read
        else "none: all unknown",
    )
    record.gap(
        "biomarkers.her2_low",
        "local Observation" if "her2_low" in biomarkers else "absent: unknown",
    )

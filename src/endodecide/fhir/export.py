"""A profile as a hypothetical mCODE-shaped FHIR R4 Bundle (type collection), deterministic to
the byte: fixed ids (``patient``, ``line-1-letrozole``), ``urn:uuid:`` full URLs derived from
the profile's content, and synthetic dates laid out backwards in whole months from
``extensions.ANCHOR``, so that importing the bundle gives the same profile back.
"""

from __future__ import annotations

import hashlib
import html
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from endodecide.disclaimer import DISCLAIMER
from endodecide.fhir import terminology as term
from endodecide.fhir.extensions import (
    ANCHOR,
    BASE,
    CS_AGENT,
    CS_HER2_LOW,
    CS_MARKER_STATUS,
    CS_MENOPAUSAL_STATUS,
    CS_OBSERVATION,
    EXT_CHEMOTHERAPY_LINES,
    EXT_LINE_OF_THERAPY,
    EXT_METASTATIC_EXTENT,
    EXT_PROFILE_LABEL,
    EXT_TEACHING_NOTE,
    EXT_TREATMENT_SETTING,
    EXT_VISCERAL_CRISIS,
    LINE_SYSTEM,
    MARKERS,
    OBS_HER2_LOW,
    OBS_MENOPAUSAL_STATUS,
    PRIMARY_LEAD_MONTHS,
    RECURRENCE_LEAD_MONTHS,
    TEST_DATA_CODE,
    TEST_DATA_DISPLAY,
    TEST_DATA_SYSTEM,
    UCUM,
    add_months,
)
from endodecide.profile import Profile, TherapyLine

__all__ = ["agent_coding", "bundle_json", "export_bundle"]

Resource = dict[str, Any]
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
_NARRATIVE = (
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>A hypothetical patient, written by endodecide '
    f"from a teaching profile. {html.escape(DISCLAIMER)}</p></div>"
)


@dataclass(frozen=True)
class _Calendar:
    """The synthetic dates of one profile: primary and metastatic diagnosis, each line's span."""

    primary: date
    metastatic: date
    spans: tuple[tuple[date, date], ...]


def _calendar(profile: Profile) -> _Calendar:
    """Lay the history out backwards from ANCHOR in whole months: the last metastatic line ends
    on ANCHOR, the metastatic diagnosis starts the first metastatic line, the last adjuvant line
    ends ``months_from_end_to_relapse`` before it (at it, for a relapse on therapy)."""
    history = profile.endocrine_history
    spans: list[tuple[date, date]] = []
    end = ANCHOR
    for line in reversed([x for x in history if x.setting == "metastatic"]):
        start = add_months(end, -line.months)
        spans.append((start, end))
        end = start
    metastatic = end
    adjuvant = [x for x in history if x.setting == "adjuvant"]
    if adjuvant:
        end = add_months(metastatic, -(adjuvant[-1].months_from_end_to_relapse or 0))
        for line in reversed(adjuvant):
            start = add_months(end, -line.months)
            spans.append((start, end))
            end = start
        primary = add_months(end, -PRIMARY_LEAD_MONTHS)
    elif profile.disease.setting == "recurrence":
        primary = add_months(metastatic, -RECURRENCE_LEAD_MONTHS)
    else:
        primary = metastatic
    return _Calendar(primary, metastatic, tuple(reversed(spans)))


def _coding(code: term.Code) -> dict[str, str]:
    return {"system": code.system, "code": code.code, "display": code.display}


def _concept(code: term.Code) -> dict[str, Any]:
    return {"coding": [_coding(code)]}


def _local(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return {"coding": [coding]}


def agent_coding(agent: str) -> dict[str, str]:
    """The coding of one agent: its verified RxNorm code, else the local agent code system."""
    code = term.AGENT_CODES.get(agent)
    if code is not None:
        return _coding(code)
    return {"system": CS_AGENT, "code": agent, "display": agent.replace("_", " ")}


def _meta(profile_url: str | None) -> dict[str, Any]:
    return {"meta": {"profile": [profile_url]}} if profile_url else {}


class _Builder:
    """Collects the resources of one bundle with their deterministic full URLs."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        canonical = json.dumps(profile.model_dump(mode="json"), sort_keys=True)
        self.digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        self.entries: list[dict[str, Any]] = []

    def url(self, kind: str, ident: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self.digest}/{kind}/{ident}')}"

    def ref(self, kind: str, ident: str) -> dict[str, str]:
        return {"reference": self.url(kind, ident)}

    def add(self, resource: Resource) -> None:
        kind, ident = resource["resourceType"], resource["id"]
        self.entries.append({"fullUrl": self.url(kind, ident), "resource": resource})

    @property
    def patient(self) -> dict[str, str]:
        return self.ref("Patient", "patient")


def export_bundle(profile: Profile) -> dict[str, Any]:
    """The profile as a FHIR R4 Bundle (plain JSON data), the same for the same profile."""
    build = _Builder(profile)
    dates = _calendar(profile)
    build.add(_patient(profile))
    build.add(_primary(build, dates))
    build.add(_secondary(build, profile, dates))
    _observations(build, profile, dates)
    for index, (line, span) in enumerate(zip(profile.endocrine_history, dates.spans, strict=True)):
        _line(build, index + 1, line, span)
    if profile.ovarian_suppression:
        build.add(_current_suppression(build))
    return {
        "resourceType": "Bundle",
        "id": f"endodecide-{build.digest[:16]}",
        "meta": {"security": [_test_label()]},
        "identifier": {"system": f"{BASE}/bundle", "value": build.digest},
        "type": "collection",
        "timestamp": f"{ANCHOR.isoformat()}T00:00:00Z",
        "entry": build.entries,
    }


def bundle_json(profile: Profile) -> str:
    """The exported bundle as JSON text, checked with fhir.resources before it is returned."""
    from fhir.resources.R4B.bundle import Bundle

    data = export_bundle(profile)
    Bundle.model_validate(data)  # a failure here is a bug in the exporter, not bad input
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _test_label() -> dict[str, str]:
    return {"system": TEST_DATA_SYSTEM, "code": TEST_DATA_CODE, "display": TEST_DATA_DISPLAY}


def _patient(profile: Profile) -> Resource:
    extension: list[dict[str, Any]] = [{"url": EXT_PROFILE_LABEL, "valueString": profile.label}]
    if profile.teaching_note:
        extension.append({"url": EXT_TEACHING_NOTE, "valueString": profile.teaching_note})
    extension.append(
        {"url": EXT_CHEMOTHERAPY_LINES, "valueInteger": profile.chemotherapy_lines_for_metastatic}
    )
    meta: dict[str, Any] = {"security": [_test_label()]}
    if term.MCODE.get("patient"):
        meta["profile"] = [term.MCODE["patient"]]
    return {
        "resourceType": "Patient",
        "id": "patient",
        "meta": meta,
        "text": {"status": "generated", "div": _NARRATIVE},
        "extension": extension,
        "gender": profile.sex,
    }


def _primary(build: _Builder, dates: _Calendar) -> Resource:
    return {
        "resourceType": "Condition",
        "id": "primary-cancer",
        **_meta(term.MCODE.get("primary_cancer_condition")),
        "code": {"text": "Breast cancer (hypothetical)"},
        "subject": build.patient,
        "onsetDateTime": dates.primary.isoformat(),
    }


def _secondary(build: _Builder, profile: Profile, dates: _Calendar) -> Resource:
    disease = profile.disease
    return {
        "resourceType": "Condition",
        "id": "metastatic-disease",
        **_meta(term.MCODE.get("secondary_cancer_condition")),
        "extension": [
            {"url": EXT_METASTATIC_EXTENT, "valueCode": disease.extent},
            {"url": EXT_VISCERAL_CRISIS, "valueBoolean": disease.visceral_crisis},
        ],
        "code": {"text": "Metastatic breast cancer (hypothetical)"},
        "subject": build.patient,
        "onsetDateTime": dates.metastatic.isoformat(),
    }


def _observation(
    build: _Builder,
    ident: str,
    code: dict[str, Any],
    value: dict[str, Any],
    day: date,
    profile_url: str | None = None,
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": ident,
        **_meta(profile_url),
        "status": "final",
        "code": code,
        "subject": build.patient,
        "effectiveDateTime": day.isoformat(),
        "valueCodeableConcept": value,
    }


def _observations(build: _Builder, profile: Profile, dates: _Calendar) -> None:
    """Receptors, menopausal status and biomarkers; an unknown value has no Observation."""
    answers = {"positive": term.POSITIVE, "negative": term.NEGATIVE}
    receptors = profile.receptors
    for ident, test, status in (
        ("er", term.ER_STATUS, receptors.er),
        ("pr", term.PR_STATUS, receptors.pr),
        ("her2", term.HER2_STATUS, receptors.her2),
    ):
        answer = answers.get(status)
        if answer is not None:
            build.add(
                _observation(
                    build,
                    ident,
                    _concept(test),
                    _concept(answer),
                    dates.metastatic,
                    term.MCODE.get("tumor_marker_test"),
                )
            )
    if profile.menopausal_status is not None:
        code = (
            _concept(term.MENOPAUSAL_STATUS)
            if term.MENOPAUSAL_STATUS is not None
            else _local(CS_OBSERVATION, OBS_MENOPAUSAL_STATUS, "menopausal status")
        )
        value = _local(CS_MENOPAUSAL_STATUS, profile.menopausal_status)
        build.add(_observation(build, "menopausal-status", code, value, ANCHOR))
    markers = profile.biomarkers
    for marker in MARKERS:
        found = getattr(markers, marker)
        if found != "unknown":
            code = _local(CS_OBSERVATION, marker, marker.upper())
            value = _local(CS_MARKER_STATUS, found)
            build.add(_observation(build, marker, code, value, dates.metastatic))
    if markers.her2_low != "unknown":
        code = _local(CS_OBSERVATION, OBS_HER2_LOW, "HER2-low category")
        value = _local(CS_HER2_LOW, markers.her2_low)
        build.add(_observation(build, OBS_HER2_LOW, code, value, dates.metastatic))


def _reason(line: TherapyLine) -> term.Code | None:
    if line.ended in {"progression", "relapse"}:
        return term.TERMINATION_REASONS["progression"]
    if line.ended == "toxicity":
        return term.TERMINATION_REASONS["toxicity"]
    return None


def _line(build: _Builder, number: int, line: TherapyLine, span: tuple[date, date]) -> None:
    """One MedicationRequest per agent of the line, then its disease status if it progressed."""
    start, end = span
    reason = _reason(line)
    condition = "primary-cancer" if line.setting == "adjuvant" else "metastatic-disease"
    requests = []
    for agent in line.agents:
        ident = f"line-{number}-{agent.replace('_', '-')}"
        dosage: dict[str, Any] = {
            "timing": {
                "repeat": {"boundsPeriod": {"start": start.isoformat(), "end": end.isoformat()}}
            }
        }
        if agent == "fulvestrant" and line.fulvestrant_dose_mg is not None:
            dose = {"value": line.fulvestrant_dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
            dosage["doseAndRate"] = [{"doseQuantity": dose}]
        request: Resource = {
            "resourceType": "MedicationRequest",
            "id": ident,
            **_meta(term.MCODE.get("medication_request")),
            "extension": [
                {"url": EXT_LINE_OF_THERAPY, "valueInteger": number},
                {"url": EXT_TREATMENT_SETTING, "valueCode": line.setting},
            ],
            "status": "completed" if line.ended == "completed" else "stopped",
            **({"statusReason": _concept(reason)} if reason is not None else {}),
            "intent": "order",
            "groupIdentifier": {"system": LINE_SYSTEM, "value": f"line-{number}"},
            "medicationCodeableConcept": {"coding": [agent_coding(agent)]},
            "subject": build.patient,
            "authoredOn": start.isoformat(),
            "reasonReference": [build.ref("Condition", condition)],
            "dosageInstruction": [dosage],
        }
        build.add(request)
        requests.append(ident)
    if line.ended in {"progression", "relapse"}:
        status: Resource = {
            "resourceType": "Observation",
            "id": f"disease-status-line-{number}",
            **_meta(term.MCODE.get("cancer_disease_status")),
            "status": "final",
            "basedOn": [build.ref("MedicationRequest", ident) for ident in requests],
            "code": _concept(term.DISEASE_STATUS),
            "subject": build.patient,
            "focus": [build.ref("Condition", "metastatic-disease")],
            "effectiveDateTime": end.isoformat(),
            "valueCodeableConcept": _concept(term.DISEASE_STATUS_VALUES["worsened"]),
        }
        build.add(status)


def _current_suppression(build: _Builder) -> Resource:
    """Ovarian suppression going on now: an active request from "today", with no end."""
    return {
        "resourceType": "MedicationRequest",
        "id": "current-ovarian-suppression",
        **_meta(term.MCODE.get("medication_request")),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [agent_coding("ovarian_suppression")]},
        "subject": build.patient,
        "authoredOn": ANCHOR.isoformat(),
        "reasonReference": [build.ref("Condition", "metastatic-disease")],
        "dosageInstruction": [
            {"timing": {"repeat": {"boundsPeriod": {"start": ANCHOR.isoformat()}}}}
        ],
    }

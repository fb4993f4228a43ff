"""A hypothetical patient's mCODE-shaped FHIR R4 resources read into a profile, with the
provenance of every field and the gaps mCODE leaves (see ``extensions.GAPS``).

``import_bundle`` reads a Bundle file; ``profile_from_resources`` a flat list of resources (a CDS
Hooks prefetch); both raise ``InputError`` with one problem per defect, naming the file, the
entry and resource, and the element. ``is_test_data`` tells whether a Patient carries the HL7
test-data label, for a service that must refuse real patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from endodecide.errors import InputError, Problem
from endodecide.fhir import terminology as term
from endodecide.fhir.extensions import (
    EXT_CHEMOTHERAPY_LINES,
    EXT_MENOPAUSAL_STATUS,
    EXT_METASTATIC_EXTENT,
    EXT_PROFILE_LABEL,
    EXT_TEACHING_NOTE,
    EXT_VISCERAL_CRISIS,
    GAPS,
    TEST_DATA_CODE,
    TEST_DATA_SYSTEM,
    months_between,
)
from endodecide.fhir.lines import read_lines
from endodecide.fhir.observations import read_observations
from endodecide.fhir.resources import (
    Gap,
    Item,
    ProvenanceRow,
    Record,
    Resources,
    extension,
    get,
    resources_from_bundle,
    resources_from_list,
)
from endodecide.profile import Profile, consistency_problems
from endodecide.sources import Document, Loc, format_loc, read_document
from endodecide.textsafe import clip, quote
from endodecide.validation import problems_from_validation

__all__ = [
    "Gap",
    "ImportResult",
    "ProvenanceRow",
    "import_bundle",
    "is_test_data",
    "profile_from_resources",
]

_READ_KINDS = {"Condition", "Observation", "MedicationRequest", "MedicationAdministration"}
_EXTENTS = ("visceral", "non_visceral", "bone_only")
_MENOPAUSAL = ("pre", "peri", "post")


@dataclass(frozen=True)
class ImportResult:
    """A profile read from FHIR, where each field came from, and what mCODE could not carry."""

    profile: Profile
    provenance: list[ProvenanceRow]
    gaps: list[Gap]
    test_data: bool
    source: str
    not_read: list[str]


def is_test_data(patient: Any) -> bool:
    """Whether a Patient (a resource dict or a fhir.resources model) is labelled as test data:
    ``meta.security`` holds v3-ActReason HTEST ("test health data")."""
    if isinstance(patient, Mapping):
        meta = patient.get("meta")
        labels = meta.get("security") if isinstance(meta, Mapping) else None
        pairs = [
            (label.get("system"), label.get("code"))
            for label in (labels if isinstance(labels, list) else [])
            if isinstance(label, Mapping)
        ]
    else:
        pairs = [(label.system, label.code) for label in get(patient, ("meta", "security")) or []]
    return (TEST_DATA_SYSTEM, TEST_DATA_CODE) in pairs


def import_bundle(path: Path) -> ImportResult:
    """Read one Bundle file (JSON) into a profile; InputError names every problem found."""
    doc = read_document(path)
    if isinstance(doc, Problem):
        raise InputError([doc])
    return _import(resources_from_bundle(doc))


def profile_from_resources(resources: list[dict[str, Any]], source: str) -> ImportResult:
    """Read a flat list of resource dicts (a CDS Hooks prefetch, the entries of searchset
    Bundles) into a profile; ``source`` names them in problems."""
    return _import(resources_from_list(resources, source))


class _Reader:
    """One import in progress: the resources, the profile data so far, what was found."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        self.data: dict[str, Any] = {}
        self.record = Record()
        self.problems: list[Problem] = []

    def problem(self, item: Item | None, element: Loc, message: str, code: str) -> None:
        self.problems.append(self.res.problem(item, element, message, code))

    def check(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _import(res: Resources) -> ImportResult:
    reader = _Reader(res)
    patient = _patient(reader)
    if patient is None or reader.problems:
        raise InputError(reader.problems)
    _subjects(reader, patient)
    dates = _conditions(reader)
    worsened = read_observations(res, reader.data, reader.record, reader.problems)
    if dates is None or reader.problems:
        raise InputError(reader.problems)
    _menopausal_status(reader, patient)
    metastatic, recurrence = dates
    history, suppression = read_lines(
        res, metastatic, recurrence, worsened, reader.record, reader.problems
    )
    reader.check()
    reader.data["ovarian_suppression"] = suppression
    reader.data["endocrine_history"] = history
    profile = _validated(reader)
    return ImportResult(
        profile=profile,
        provenance=_ordered(reader.record.rows),
        gaps=_gaps(reader.record, profile),
        test_data=is_test_data(patient.model),
        source=res.file,
        not_read=reader.record.not_read,
    )


def _patient(reader: _Reader) -> Item | None:
    """Label, note, sex and chemotherapy lines from the one Patient."""
    patients = reader.res.of_kind("Patient")
    if len(patients) != 1:
        if patients:
            listed = ", ".join(p.label for p in patients)
            message = f"more than one Patient ({listed}): one hypothetical patient per bundle"
        else:
            message = "no Patient resource: the profile needs the patient's sex (Patient.gender)"
        reader.problem(None, (), message, "E210" if patients else "E202")
        return None
    item = patients[0]
    model, data, record = item.model, reader.data, reader.record
    found = extension(model, EXT_PROFILE_LABEL)
    if found is not None and found[0].valueString:
        data["label"] = found[0].valueString
        record.row("label", data["label"], item, (*found[1], "valueString"))
        record.gap("label, teaching_note", "label from the extension")
    else:
        data["label"] = clip(f"Imported from {reader.res.file}", 180)
        record.row("label", data["label"], None, (), "no profile-label extension")
        record.gap("label, teaching_note", "no label extension: named after the source")
    found = extension(model, EXT_TEACHING_NOTE)
    if found is not None and found[0].valueString:
        data["teaching_note"] = found[0].valueString
        record.row("teaching_note", "(the note's text)", item, (*found[1], "valueString"))
    if model.gender in ("female", "male"):
        data["sex"] = model.gender
        record.row("sex", model.gender, item, ("gender",), "administrative gender, read as sex")
        record.gap("sex", f"gender {model.gender}")
    elif model.gender is None:
        message = "required: the rules know female and male"
        reader.problem(item, ("gender",), message, "E202")
    else:
        message = f"{quote(model.gender)} is not read; allowed: female, male"
        reader.problem(item, ("gender",), message, "E203")
    found = extension(model, EXT_CHEMOTHERAPY_LINES)
    count = found[0].valueInteger if found is not None else None
    if found is None:
        data["chemotherapy_lines_for_metastatic"] = 0
        record.row("chemotherapy_lines_for_metastatic", 0, None, (), "no extension: 0 assumed")
        record.gap("chemotherapy_lines_for_metastatic", "absent: 0 assumed")
    elif isinstance(count, int) and count >= 0:
        data["chemotherapy_lines_for_metastatic"] = count
        element = (*found[1], "valueInteger")
        record.row("chemotherapy_lines_for_metastatic", count, item, element)
        record.gap("chemotherapy_lines_for_metastatic", f"extension: {count}")
    else:
        message = "chemotherapy-lines-for-metastatic needs valueInteger, 0 or more"
        reader.problem(item, found[1], message, "E204")
    return item


def _subjects(reader: _Reader, patient: Item) -> None:
    """Every resource endodecide reads must be about the one patient."""
    for item in reader.res.items:
        subject = getattr(item.model, "subject", None)
        if item.kind not in _READ_KINDS or subject is None:
            continue
        target, text = reader.res.resolve(subject), subject.reference or ""
        elsewhere = text.startswith("Patient/") and text.split("/")[1] != patient.ident
        if target is patient or (target is None and reader.res.gathered and not elsewhere):
            continue
        message = f"{quote(text)} is not this bundle's patient ({patient.label})"
        reader.problem(item, ("subject",), message, "E210")


def _conditions(reader: _Reader) -> tuple[date, bool] | None:
    """disease.setting and extent; the metastatic diagnosis date and whether it is a
    recurrence."""
    res, record = reader.res, reader.record
    kinds = {
        term.MCODE["primary_cancer_condition"]: "PrimaryCancerCondition",
        term.MCODE["secondary_cancer_condition"]: "SecondaryCancerCondition",
    }
    found: dict[str, list[tuple[date, Item]]] = {name: [] for name in kinds.values()}
    for item in res.of_kind("Condition"):
        urls = {url.split("|")[0] for url in get(item.model, ("meta", "profile")) or []}
        name = next((kinds[url] for url in kinds if url in urls), None)
        if name is None:
            record.not_read.append(
                f"{item.label}: not an mCODE primary or secondary cancer condition (meta.profile)"
            )
            continue
        day = res.day(item, ("onsetDateTime",), item.model.onsetDateTime, reader.problems)
        if day is None and item.model.onsetDateTime is None:
            reader.problem(item, ("onsetDateTime",), "required: the date of diagnosis", "E202")
        elif day is not None:
            found[name].append((day, item))
    for url, name in kinds.items():
        if not found[name] and not reader.problems:
            why = (
                "its onset tells de novo from recurrent disease"
                if name.startswith("Primary")
                else "endodecide describes metastatic disease, dated by this condition"
            )
            reader.problem(None, (), f"no {name} (meta.profile {url}): {why}", "E202")
    if reader.problems:
        return None
    (first, primary), (metastatic, secondary) = (
        min(found[name], key=lambda pair: (pair[0], pair[1].index)) for name in kinds.values()
    )
    if metastatic < first:
        message = (
            f"the metastatic diagnosis ({metastatic.isoformat()}) is before the primary "
            f"diagnosis ({first.isoformat()}, {primary.label})"
        )
        reader.problem(secondary, ("onsetDateTime",), message, "E210")
        return None
    months, _ = months_between(first, metastatic)
    setting = "de_novo" if months == 0 else "recurrence"
    note = (
        f"derived: primary {first.isoformat()}, metastatic {metastatic.isoformat()} "
        f"({secondary.label}), {months} whole month(s) apart"
    )
    reader.data.setdefault("disease", {})["setting"] = setting
    record.row("disease.setting", setting, primary, ("onsetDateTime",), note)
    record.gap("disease.setting", f"derived: {setting}, {months} whole month(s) apart")
    _extent(reader, [item for _, item in found["SecondaryCancerCondition"]])
    return metastatic, setting == "recurrence"


def _extent(reader: _Reader, secondaries: list[Item]) -> None:
    record, disease = reader.record, reader.data.setdefault("disease", {})
    extents: list[tuple[str, Item, Loc]] = []
    crisis: tuple[Item, Loc] | None = None
    for item in secondaries:
        found = extension(item.model, EXT_METASTATIC_EXTENT)
        if found is not None:
            element = (*found[1], "valueCode")
            if found[0].valueCode in _EXTENTS:
                extents.append((found[0].valueCode, item, element))
            else:
                message = (
                    f"metastatic extent {quote(found[0].valueCode)} is not allowed; allowed: "
                    + ", ".join(_EXTENTS)
                )
                reader.problem(item, element, message, "E203")
        found = extension(item.model, EXT_VISCERAL_CRISIS)
        if found is not None and found[0].valueBoolean is True:
            crisis = (item, (*found[1], "valueBoolean"))
    values = sorted({value for value, _, _ in extents})
    if len(values) > 1:
        message = f"metastatic extents disagree: {', '.join(values)}; one grouping per patient"
        reader.problem(extents[-1][1], extents[-1][2], message, "E210")
    elif not extents and not reader.problems:
        message = (
            f"no {EXT_METASTATIC_EXTENT} extension: mCODE names the sites (bodySite), not the "
            "grouping the rules read; add it with valueCode visceral, non_visceral or bone_only"
        )
        reader.problem(secondaries[0], ("extension",), message, "E202")
    elif extents:
        value, item, element = extents[0]
        disease["extent"] = value
        record.row("disease.extent", value, item, element, "metastatic-extent extension")
        record.gap("disease.extent", f"extension on {item.label}")
    disease["visceral_crisis"] = crisis is not None
    if crisis is not None:
        record.row(
            "disease.visceral_crisis", True, crisis[0], crisis[1], "visceral-crisis extension"
        )
        record.gap("disease.visceral_crisis", "extension: true")
    else:
        record.row(
            "disease.visceral_crisis", False, None, (), "no visceral-crisis extension: false"
        )
        record.gap("disease.visceral_crisis", "absent or false: false")


def _menopausal_status(reader: _Reader, patient: Item) -> None:
    """The Observation's value (read already), else the Patient extension, else absent."""
    data, record = reader.data, reader.record
    if "menopausal_status" in data:
        item, _ = record.origin["menopausal_status"]
        record.gap("menopausal_status", f"from {item.label if item else 'an Observation'}")
        return
    found = extension(patient.model, EXT_MENOPAUSAL_STATUS)
    if found is not None:
        element = (*found[1], "valueCode")
        if found[0].valueCode not in _MENOPAUSAL:
            message = f"{quote(found[0].valueCode)} is not allowed; allowed: pre, peri, post"
            reader.problem(patient, element, message, "E203")
            return
        data["menopausal_status"] = found[0].valueCode
        record.row("menopausal_status", found[0].valueCode, patient, element, "Patient extension")
        record.gap("menopausal_status", "Patient extension")
    elif data.get("sex") == "female":
        note = "absent: left out; `endodecide run` asks for it (pre, peri or post)"
        record.row("menopausal_status", None, None, (), note)
        record.gap("menopausal_status", "absent: left out of the profile")
    else:
        record.gap("menopausal_status", "not applicable (male)")


def _validated(reader: _Reader) -> Profile:
    """The profile, checked as a profile file is; a problem is reported at the resource the
    field came from. A woman's missing menopausal status is not a problem here (the gap report
    says it was absent)."""
    data = reader.data
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        doc = Document(Path(reader.res.file), data)
        for problem in problems_from_validation(doc, Profile, exc, (), data):
            _at_origin(reader, problem.field, problem.message, problem.code)
        raise InputError(reader.problems) from None
    absent = profile.sex == "female" and profile.menopausal_status is None
    for loc, message in consistency_problems(profile):
        if absent and loc == ("menopausal_status",):  # said in the gap report instead
            continue
        _at_origin(reader, format_loc(loc), message, "E210")
    reader.check()
    return profile


def _at_origin(reader: _Reader, field: str, message: str, code: str) -> None:
    """A profile problem, reported at the resource and element its field was read from."""
    origin = reader.record.origin
    inside = [k for k in origin if k.startswith((f"{field}.", f"{field}["))]
    key = field if field in origin else next(iter(inside), None)
    if key is None:
        key = max((k for k in origin if field.startswith(k)), key=len, default=None)
    item, element = origin[key] if key is not None else (None, ())
    reader.problem(item, element, f"{field}: {message}", code)


_FIELD_ORDER = tuple(Profile.model_fields)


def _ordered(rows: list[ProvenanceRow]) -> list[ProvenanceRow]:
    """Rows in the order of the profile's fields, lines in their order (stable otherwise)."""

    def rank(row: ProvenanceRow) -> tuple[int, int]:
        top, _, rest = row.field.partition("[")
        top = top.split(".")[0]
        line = int(rest.split("]")[0]) if top == "endocrine_history" and rest else 0
        return (_FIELD_ORDER.index(top) if top in _FIELD_ORDER else len(_FIELD_ORDER), line)

    return sorted(rows, key=rank)


def _gaps(record: Record, profile: Profile) -> list[Gap]:
    lines = len(profile.endocrine_history)
    defaults = {
        "label, teaching_note": "-",
        "endocrine_history (lines)": f"{lines} line(s)" if lines else "no lines",
        "endocrine_history[].setting": "extension on every line" if lines else "no lines",
        "endocrine_history[].months": "whole months, no day left over" if lines else "no lines",
        "endocrine_history[].ended": "-" if lines else "no lines",
        "endocrine_history[].months_from_end_to_relapse": "not applicable",
    }
    return [
        Gap(
            gap.field,
            gap.standard,
            gap.used,
            "; ".join(record.here.get(gap.field, [])) or defaults.get(gap.field, "-"),
        )
        for gap in GAPS
    ]

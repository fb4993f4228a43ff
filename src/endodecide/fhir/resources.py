"""The resources of one import, read and validated with fhir.resources (R4B models, wire-compatible
with R4 for the resources read here): a Bundle file or a flat list of resource dicts becomes
``Resources``, which resolves references, reads codings and dates, and words every problem as
``file:line: entry[4] MedicationRequest/line-2 element: CODE message``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from endodecide.errors import InputError, Problem
from endodecide.fhir import terminology as term
from endodecide.fhir.extensions import BASE
from endodecide.sources import Document, Loc, format_loc
from endodecide.textsafe import clip, quote

__all__ = [
    "Gap",
    "Item",
    "ProvenanceRow",
    "Record",
    "Resources",
    "codings",
    "extension",
    "get",
    "named_codes",
    "resources_from_bundle",
    "resources_from_list",
]


@dataclass(frozen=True)
class ProvenanceRow:
    """Where one profile field came from: the resource and element, or the assumption made."""

    field: str
    value: str
    source: str
    element: str
    note: str = ""


@dataclass(frozen=True)
class Gap:
    """A field mCODE cannot carry: what the standard offers, what endodecide used instead, and
    what this import found."""

    field: str
    standard: str
    used: str
    here: str


@dataclass
class Record:
    """What an import found, field by field: provenance rows and, per gap, what happened."""

    rows: list[ProvenanceRow] = field(default_factory=list)
    here: dict[str, list[str]] = field(default_factory=dict)
    not_read: list[str] = field(default_factory=list)
    origin: dict[str, tuple[Item | None, Loc]] = field(default_factory=dict)

    def row(
        self, name: str, value: object, item: Item | None, element: Loc = (), note: str = ""
    ) -> None:
        """``name`` (a profile field) is ``value``, read from ``element`` of ``item`` (None:
        an assumption or default, said in ``note``)."""
        source = item.label if item is not None else "-"
        shown = format_loc(element) if element else "-"
        self.rows.append(ProvenanceRow(name, _shown(value), source, shown, note))
        self.origin[name] = (item, element)

    def gap(self, name: str, text: str) -> None:
        self.here.setdefault(name, []).append(text)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(absent)"
    return clip(str(value), 200)


@dataclass(frozen=True)
class Item:
    """One validated resource, where it sits in the input and how messages name it."""

    index: int
    kind: str
    ident: str
    model: Any  # a fhir.resources model of ``kind``
    loc: Loc  # where the resource sits in the file: ('entry', 4, 'resource')
    label: str  # entry[4] MedicationRequest/line-2
    full_url: str | None

    @property
    def reference(self) -> str:
        return f"{self.kind}/{self.ident}"


def get(value: Any, loc: Loc) -> Any:
    """The element at ``loc`` under a model (None when any step is absent)."""
    for part in loc:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and len(value) > part else None
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    return value


def extension(model: Any, url: str) -> tuple[Any, Loc] | None:
    """The first extension with ``url`` on ``model`` and where it is."""
    for index, ext in enumerate(getattr(model, "extension", None) or []):
        if ext.url == url:
            return ext, ("extension", index)
    return None


def named_codes(concept: Any) -> str:
    """The codings of a CodeableConcept as a reader says them: ``LOINC 85337-4``, ``RxNorm
    84857``, ``local agent#ovarian_suppression``."""
    return ", ".join(_named(system, code) for system, code in codings(concept))


def _named(system: str, code: str) -> str:
    names = {term.LOINC: "LOINC", term.RXNORM: "RxNorm", term.SNOMED: "SNOMED CT"}
    if system in names:
        return f"{names[system]} {clip(code)}"
    local = f"{BASE}/CodeSystem/"
    if system.startswith(local):
        return f"local {clip(system.removeprefix(local))}#{clip(code)}"
    return f"{clip(system)}|{clip(code)}"


def codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) of every coding of a CodeableConcept (None: none)."""
    if concept is None:
        return []
    return [(c.system or "", c.code or "") for c in concept.coding or []]


class Resources:
    """Every resource of one import and the file (or source) they came from."""

    def __init__(
        self, file: str, doc: Document | None, items: list[Item], *, gathered: bool = False
    ) -> None:
        self.file = file
        self.doc = doc
        self.items = items
        # gathered from several answers (a CDS Hooks prefetch): a reference that resolves to
        # nothing here (a urn:uuid of the sender's own bundle) is not a dangling reference
        self.gathered = gathered
        self._by_url = {i.full_url: i for i in items if i.full_url}
        self._by_ref = {i.reference: i for i in items if i.ident}

    def of_kind(self, *kinds: str) -> list[Item]:
        return [i for i in self.items if i.kind in kinds]

    def resolve(self, reference: Any) -> Item | None:
        """The item a Reference points to: by full URL, ``Type/id`` or an absolute URL."""
        text = getattr(reference, "reference", None)
        if not text:
            return None
        if text in self._by_url:
            return self._by_url[text]
        parts = text.split("/_history/")[0].rstrip("/").split("/")
        return self._by_ref.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def problem(self, item: Item | None, element: Loc, message: str, code: str) -> Problem:
        if item is None:
            return Problem(self.file, None, format_loc(element), message, code)
        line = self.doc.line_of((*item.loc, *element)) if self.doc is not None else None
        where = f"{item.label} {format_loc(element)}" if element else item.label
        return Problem(self.file, line, where, message, code)

    def day(self, item: Item, element: Loc, value: Any, problems: list[Problem]) -> date | None:
        """A date or dateTime element as a day; a partial date is a problem (None: absent)."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        problems.append(
            self.problem(
                item, element, f"a day is needed (YYYY-MM-DD), got {quote(str(value))}", "E204"
            )
        )
        return None


def _model_class(kind: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(kind)


def _validation_problems(
    file: str, doc: Document | None, base: Loc, label: str, exc: ValidationError
) -> list[Problem]:
    """fhir.resources' errors, one line per problem with the element path."""
    problems = []
    for error in exc.errors():
        loc: Loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
        kind = str(error["type"])
        if kind == "extra_forbidden":
            code, message = "E201", f"unknown element {quote(str(loc[-1]))} in FHIR R4"
        elif "missing" in kind:
            code, message = "E202", "required element is missing"
        else:
            text = " ".join(str(error["msg"]).replace("Value error, ", "").split())
            given = error.get("input")
            if isinstance(given, str | int | float) and not isinstance(given, bool):
                text = f"{text.rstrip('.')}, got {quote(given)}"
            code, message = "E204", text
        line = doc.line_of((*base, *loc)) if doc is not None else None
        where = f"{label} {format_loc(loc)}" if loc else label
        problems.append(Problem(file, line, where, message, code))
    return problems


def _item(
    file: str, doc: Document | None, index: int, raw: Any, base: Loc, prefix: str, url: Any
) -> Item | list[Problem]:
    """One resource dict validated with the model of its resourceType."""
    if not isinstance(raw, dict):
        return [Problem(file, _line(doc, base), prefix, "a resource must be a JSON object", "E200")]
    kind, ident = raw.get("resourceType"), raw.get("id")
    label = f"{prefix} {kind}/{clip(ident)}" if isinstance(ident, str) else f"{prefix} {kind}"
    try:
        model_class = _model_class(kind) if isinstance(kind, str) else None
    except (ValueError, KeyError):
        model_class = None
    if model_class is None:
        message = f"resourceType {quote(kind)} is not a FHIR R4 resource"
        return [Problem(file, _line(doc, (*base, "resourceType")), prefix, message, "E203")]
    try:
        model = model_class.model_validate(raw)
    except ValidationError as exc:
        return _validation_problems(file, doc, base, label, exc)
    return Item(
        index,
        str(kind),
        ident if isinstance(ident, str) else "",
        model,
        base,
        label,
        url if isinstance(url, str) else None,
    )


def _line(doc: Document | None, loc: Loc) -> int | None:
    return doc.line_of(loc) if doc is not None else None


def _collect(file: str, doc: Document | None, found: Iterable[Item | list[Problem]]) -> Resources:
    items: list[Item] = []
    problems: list[Problem] = []
    for result in found:
        if isinstance(result, list):
            problems.extend(result)
        else:
            items.append(result)
    if problems:
        raise InputError(problems)
    return Resources(file, doc, items)


def resources_from_bundle(doc: Document) -> Resources:
    """The resources of a Bundle file, each validated; InputError naming every problem."""
    file, data = doc.name, doc.data
    if not isinstance(data, dict):
        raise InputError([Problem(file, None, "", "a FHIR Bundle must be a JSON object", "E200")])
    kind = data.get("resourceType")
    if kind != "Bundle":
        message = f"not a FHIR Bundle: resourceType is {quote(kind)}; expected 'Bundle'"
        raise InputError([Problem(file, _line(doc, ("resourceType",)), "", message, "E200")])
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        message = "entry must be a list of entries"
        raise InputError([Problem(file, _line(doc, ("entry",)), "entry", message, "E204")])
    found: list[Item | list[Problem]] = []
    for index, entry in enumerate(entries):
        prefix = f"entry[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            message = "an entry needs a resource (a JSON object)"
            found.append([Problem(file, _line(doc, ("entry", index)), prefix, message, "E202")])
            continue
        base: Loc = ("entry", index, "resource")
        found.append(_item(file, doc, index, entry["resource"], base, prefix, entry.get("fullUrl")))
    resources = _collect(file, doc, found)
    from fhir.resources.R4B.bundle import Bundle

    try:  # the bundle's own elements (its resources are valid by now)
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_problems(file, doc, (), "Bundle", exc)) from None
    return resources


def resources_from_list(resources: list[dict[str, Any]], source: str) -> Resources:
    """Resource dicts gathered from a CDS Hooks prefetch, each validated: single resources, or
    Bundles (searchset answers) whose entries are read with their full URLs."""
    found: list[Item | list[Problem]] = []
    for index, raw in enumerate(resources):
        if isinstance(raw, dict) and raw.get("resourceType") == "Bundle":
            entries = raw.get("entry") or []
            for number, entry in enumerate(entries if isinstance(entries, list) else []):
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    base: Loc = (index, "entry", number, "resource")
                    prefix = f"resource[{index}].entry[{number}]"
                    found.append(
                        _item(
                            source,
                            None,
                            len(found),
                            entry["resource"],
                            base,
                            prefix,
                            entry.get("fullUrl"),
                        )
                    )
        else:
            found.append(_item(source, None, len(found), raw, (index,), f"resource[{index}]", None))
    resources_read = _collect(source, None, found)
    resources_read.gathered = True
    return resources_read

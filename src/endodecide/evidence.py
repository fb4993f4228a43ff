"""The evidence catalogue: one entry per trial, meta-analysis or guideline that a rule cites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from endodecide.dates import PARTIAL_DATE_PATTERN, PartialDate
from endodecide.errors import Problem
from endodecide.sources import read_document
from endodecide.validation import validate_model

__all__ = ["EvidenceCatalogue", "EvidenceEntry", "load_evidence"]

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class EvidenceEntry(BaseModel):
    """One source, described in our own words, with identifiers anyone can look up."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
    short_name: Annotated[str, Field(min_length=1, max_length=80)]
    kind: Literal["trial", "meta_analysis", "guideline", "review", "translational"]
    citation: Text
    year: Annotated[int, Field(ge=1950, le=2100, description="Year of publication.")]
    published: Annotated[str, Field(pattern=PARTIAL_DATE_PATTERN)] | None = Field(
        default=None,
        description=(
            "When the result was first published (online first where known): YYYY-MM-DD, "
            "YYYY-MM or YYYY. Dates the timeline. Without it, the year stands for it."
        ),
    )
    pmid: Annotated[str, Field(pattern=r"^[1-9][0-9]{5,8}$")] | None = None
    doi: Annotated[str, Field(pattern=r"^10\.[0-9]{4,9}/\S+$", max_length=200)] | None = None
    design: Text
    n: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    population: Text
    arms: Text | None = None
    primary_endpoint: Text | None = None
    result: Text
    primary_endpoint_met: Literal["yes", "no", "mixed", "not_formally_tested", "not_applicable"]
    notes: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _has_identifier(self) -> EvidenceEntry:
        if self.pmid is None and self.doi is None:
            raise ValueError("every entry needs a pmid or a doi")
        if self.published is not None:
            first = PartialDate.parse(self.published)
            if first.year not in (self.year - 1, self.year):
                raise ValueError(
                    f"published ({self.published}) must fall in the citation's year "
                    f"({self.year}) or the year before it (online before print)"
                )
        return self

    @property
    def publication(self) -> PartialDate:
        """The publication date, as precise as the catalogue knows it."""
        return PartialDate.parse(self.published) if self.published else PartialDate(self.year)

    @property
    def url(self) -> str:
        """A link a reader can follow: PubMed when there is a PMID, else the DOI resolver."""
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return f"https://doi.org/{self.doi}"

    @property
    def identifiers(self) -> str:
        parts = [f"PMID {self.pmid}" if self.pmid else "", f"doi:{self.doi}" if self.doi else ""]
        return "; ".join(part for part in parts if part)


class EvidenceCatalogue(BaseModel):
    """Entries by id, in file order, with the line each entry starts on."""

    model_config = ConfigDict(frozen=True)

    source: str
    entries: dict[str, EvidenceEntry]
    lines: dict[str, int]


def load_evidence(path: Path) -> EvidenceCatalogue | list[Problem]:
    doc = read_document(path)
    if isinstance(doc, Problem):
        return [doc]
    raw = doc.data.get("evidence") if isinstance(doc.data, dict) else None
    if not isinstance(raw, list) or set(doc.data) != {"evidence"}:
        return [doc.problem((), "expected one key, 'evidence', holding a list of entries", "E300")]
    problems: list[Problem] = []
    entries: dict[str, EvidenceEntry] = {}
    lines: dict[str, int] = {}
    for index, item in enumerate(raw):
        result = validate_model(doc, EvidenceEntry, item, ("evidence", index))
        if isinstance(result, list):
            problems.extend(result)
        elif result.id in entries:
            problems.append(
                doc.problem(
                    ("evidence", index, "id"), f"duplicate evidence id '{result.id}'", "E301"
                )
            )
        else:
            entries[result.id] = result
            lines[result.id] = doc.line_of(("evidence", index)) or 0
    if problems:
        return problems
    return EvidenceCatalogue(source=doc.name, entries=entries, lines=lines)

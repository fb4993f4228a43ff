"""The versioned, documented result of a run: what ``--format json`` prints."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "Citation",
    "DerivedFact",
    "FailedCondition",
    "Flag",
    "NearMiss",
    "Option",
    "PackInfo",
    "ProblemOut",
    "ProfileResult",
    "Reason",
    "RunOutput",
]

SCHEMA_VERSION: Final = "1.3"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Out):
    """A catalogue entry as cited by an option or flag."""

    id: str
    short_name: str
    citation: str
    year: int
    after_evidence_date: bool = Field(
        description="Published after the rule pack's evidence date (shown so a reader knows)."
    )
    pmid: str | None
    doi: str | None
    url: str = Field(description="PubMed link when a PMID exists, else the DOI resolver link.")
    design: str
    n: int | None
    result: str
    primary_endpoint_met: str


class Change(_Out):
    """A dated change to a rule after the review's evidence date, known by the date shown."""

    date: str = Field(description="When the deciding evidence was published (YYYY[-MM[-DD]]).")
    kind: Literal["since", "status", "message"] = Field(
        description="since: the rule came into force; status: the option's status changed; "
        "message: the flag's message changed."
    )
    status: Literal["standard", "investigational", "evidence_against"] | None = None
    why: str
    evidence: list[str] = Field(description="Catalogue ids of the deciding evidence.")


class _Dated(_Out):
    """Results that can carry a timeline (schema 1.3): the field is left out when empty, so a
    result at the review's evidence date reads exactly as it did before timelines existed."""

    timeline: list[Change] = Field(
        default=[],
        description="Schema 1.3: the rule's changes after the review's evidence date, known by "
        "the date shown, oldest first; absent when there are none.",
    )

    @model_serializer(mode="wrap")
    def _omit_empty_timeline(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        if not data.get("timeline"):
            data.pop("timeline", None)
        return data


class Reason(_Out):
    """Why a derived fact holds: the rule that concluded it, in words."""

    rule: str
    text: str


class DerivedFact(_Out):
    """A fact the rule pack concluded from the profile (never computed outside the rules)."""

    name: str
    label: str
    value: str
    value_label: str
    because: list[Reason]


class Flag(_Dated):
    """A message that must not be missed (out of scope, warning or information)."""

    rule: str
    title: str
    severity: Literal["out_of_scope", "warning", "info"]
    message: str
    evidence: list[Citation]


class Option(_Dated):
    """An evidence-backed option with its trace: the rule and the conditions that matched."""

    rule: str
    title: str
    strategy: str
    strategy_title: str
    regimen: str
    agents: list[str] = Field(description="What the option gives: its identity.")
    mechanism: str
    status: Literal["standard", "investigational", "deferred", "evidence_against"] = Field(
        description="Status as of the review: standard, investigational (clinical trial only), "
        "or evidence against (considered and not supported); deferred when a flag (such as "
        "visceral crisis) holds it back until the flagged situation is resolved."
    )
    status_before_adjustment: Literal["standard", "investigational", "evidence_against"] | None = (
        Field(default=None, description="The rule's own status, when a flag changed it.")
    )
    adjusted_by: list[str] = Field(
        default=[], description="Flag rules that adjusted this option (status or cautions)."
    )
    cautions: list[str]
    evidence: list[Citation] = Field(min_length=1)
    contrary_evidence: list[Citation] = Field(
        default=[], description="Trials whose result went against this option."
    )
    matched_conditions: list[str]
    based_on: list[Reason] = Field(description="Derived facts the rule relied on, with reasons.")


class FailedCondition(_Out):
    """A condition of a near-miss rule that did not hold, and what the profile has instead."""

    condition: str = Field(description="The condition in plain words.")
    here: str = Field(description="What this profile has, in plain words.")


class NearMiss(_Out):
    """An option rule that did not fire although all its conditions but one or two held."""

    rule: str
    title: str
    strategy: str
    strategy_title: str
    regimen: str
    status: Literal["standard", "investigational"]
    failed: list[FailedCondition] = Field(min_length=1, max_length=2)
    evidence: list[Citation] = Field(min_length=1)


class ProfileResult(_Out):
    """Everything endodecide says about one hypothetical profile."""

    source: str
    label: str
    teaching_note: str
    summary: str
    derived_facts: list[DerivedFact]
    flags: list[Flag]
    options: list[Option]
    near_misses: list[NearMiss] = Field(
        default=[],
        description="Considered but not offered: option rules whose conditions all held but one "
        "or two (never the hormone-receptor condition).",
    )


class PackInfo(_Out):
    name: str
    title: str
    version: str
    evidence_as_of: str = Field(
        description="The date whose evidence the answers show: the review's evidence date "
        "unless --as-of asked for another."
    )
    fingerprint: str = Field(description="Hash of every file of the rule pack.")
    # Set by pack_info when the date shown is not the review's (not part of the document).
    _later_date: str | None = PrivateAttr(default=None)

    @property
    def disclaimer(self) -> str:
        """The disclaimer for outputs of this pack at this date."""
        from endodecide.disclaimer import disclaimer_at

        return disclaimer_at(self._later_date)


class ProblemOut(_Out):
    file: str
    line: int | None
    field: str
    code: str
    message: str


class RunOutput(_Out):
    """The document ``endodecide run --format json`` prints."""

    schema_version: Literal["1.3"] = SCHEMA_VERSION
    disclaimer: str
    rule_pack: PackInfo
    results: list[ProfileResult]
    errors: list[ProblemOut]

"""The shape of rule files and of the pack manifest (rules/pack.yaml), as pydantic models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from endodecide.dates import PARTIAL_DATE_PATTERN, PartialDate
from endodecide.workshop.panel import ROLES, Role

__all__ = [
    "DeriveSpec",
    "Direction",
    "Examples",
    "FlagSpec",
    "LimitationSpec",
    "OptionAdjustment",
    "OptionSpec",
    "PackManifest",
    "Review",
    "RuleFile",
    "Strategy",
    "Then",
    "TimelineChange",
    "WorkshopRecord",
]

Line = Annotated[str, Field(min_length=1, max_length=300)]
Prose = Annotated[str, Field(min_length=1, max_length=3000)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
DateText = Annotated[str, Field(pattern=PARTIAL_DATE_PATTERN)]
RuleId = Annotated[str, Field(pattern=r"^ED[0-9]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DeriveSpec(_Strict):
    """Conclude a derived fact; ``reason`` may name matched facts as ``{line.months}``."""

    fact: Line
    value: Line
    reason: Prose


class OptionSpec(_Strict):
    """An evidence-backed option, as the review saw it."""

    agents: Annotated[list[Line], Field(min_length=1, max_length=4)] = Field(
        description="What the option gives (agents or classes): its identity for lint."
    )
    regimen: Line
    mechanism: Prose
    status: Literal["standard", "investigational", "evidence_against"]
    cautions: list[Prose] = []
    rechallenge: list[Line] = Field(
        default=[],
        description=(
            "Agents the option gives again although the disease may have progressed on them, "
            "because the cited evidence enrolled such patients (e.g. ovarian suppression kept "
            "while its endocrine partner changes). Each must be one of the option's agents."
        ),
    )

    @model_validator(mode="after")
    def _rechallenge_within_agents(self) -> OptionSpec:
        extra = [agent for agent in self.rechallenge if agent not in self.agents]
        if extra:
            raise ValueError(f"rechallenge names agents the option does not give: {extra}")
        return self


class OptionAdjustment(_Strict):
    """What a flag does to the options shown beside it, so that one situation (visceral
    crisis, HER2-positive disease, ...) is handled once for every option rule."""

    statuses: Annotated[
        list[Literal["standard", "investigational"]], Field(min_length=1, max_length=2)
    ] = Field(description="Options with these statuses are adjusted.")
    skip_if_agents_include: list[Line] = Field(
        default=[], description="Options giving any of these agents are left as they are."
    )
    only_if_agents_within: list[Line] = Field(
        default=[],
        description="If given, only options all of whose agents are in this list are adjusted.",
    )
    to_status: Literal["deferred"] | None = Field(
        default=None, description="The status the adjusted options take (default: unchanged)."
    )
    caution: Prose = Field(description="Added to the cautions of every adjusted option.")


class FlagSpec(_Strict):
    """A message that must not be missed: out of scope, a warning, or information."""

    severity: Literal["out_of_scope", "warning", "info"]
    message: Prose
    adjusts_options: OptionAdjustment | None = None


class Then(_Strict):
    """Exactly one of: derive a fact, propose an option, raise a flag."""

    derive: DeriveSpec | None = None
    option: OptionSpec | None = None
    flag: FlagSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Then:
        if sum(part is not None for part in (self.derive, self.option, self.flag)) != 1:
            raise ValueError("give exactly one of: derive, option, flag")
        return self

    @property
    def kind(self) -> Literal["derive", "option", "flag"]:
        if self.derive is not None:
            return "derive"
        return "option" if self.option is not None else "flag"


class WorkshopRecord(_Strict):
    """The workshop session whose panel signed the rule off (``endodecide workshop serve``).

    Fields are declared so that each cross-field check runs on the field it blames: ``voters``
    after ``panel``, ``agree`` after ``voters`` and ``threshold``.
    """

    session: Annotated[str, Field(pattern=r"^ws-[0-9a-f]{8}$")]
    round: Literal[1, 2]
    panel: Annotated[dict[Role, Annotated[int, Field(ge=1)]], Field(min_length=1)] = Field(
        description="How many of each role cast a ballot in that round."
    )
    voters: Annotated[int, Field(ge=1)] = Field(description="Ballots cast in that round.")
    threshold: Annotated[int, Field(ge=50, le=100)] = Field(
        description="Percent of the ballots that had to be 'agree' for consensus."
    )
    agree: Annotated[int, Field(ge=0)] = Field(description="Ballots 'agree' in that round.")

    @field_validator("voters")
    @classmethod
    def _panel_adds_up(cls, voters: int, info: ValidationInfo) -> int:
        panel = info.data.get("panel")
        if panel is not None and sum(panel.values()) != voters:
            raise ValueError(
                f"the panel's counts add up to {sum(panel.values())} but voters is {voters}: "
                "the panel is the people who voted in that round"
            )
        return voters

    @field_validator("agree")
    @classmethod
    def _consensus(cls, agree: int, info: ValidationInfo) -> int:
        voters, threshold = info.data.get("voters"), info.data.get("threshold")
        if voters is None:
            return agree
        if agree > voters:
            raise ValueError(f"agree ({agree}) is more than voters ({voters})")
        if threshold is not None and agree * 100 < threshold * voters:
            raise ValueError(
                f"{agree} of {voters} agreed, below the threshold of {threshold}%: "
                "a panel signs a rule off only on consensus"
            )
        return agree

    @property
    def percent(self) -> int:
        """The share of ballots that agreed, rounded down (so it reaches the threshold exactly
        when consensus was reached)."""
        return self.agree * 100 // self.voters

    @property
    def summary(self) -> str:
        """``session ws-1a2b3c4d, round 2: 3 of 3 agreed, 100%, threshold 75%; panel: 2
        oncologists, 1 pharmacist``: the record in words, as the card and catalogue show it."""
        members = ", ".join(
            f"{count} {role}{'' if count == 1 else 's'}"
            for role, count in sorted(self.panel.items(), key=lambda item: ROLES.index(item[0]))
        )
        return (
            f"session {self.session}, round {self.round}: {self.agree} of {self.voters} agreed, "
            f"{self.percent}%, threshold {self.threshold}%; panel: {members}"
        )


class Review(_Strict):
    """Who reviewed the rule, when, and what they said; ``workshop`` when a panel signed it."""

    status: Literal["draft", "reviewed"] = "draft"
    reviewer_role: Line | None = None
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")] | None = None
    workshop: WorkshopRecord | None = None
    comments: list[Prose] = []

    @model_validator(mode="after")
    def _signed(self) -> Review:
        if self.status == "reviewed" and not (
            self.reviewer_role and self.date and self.content_hash
        ):
            raise ValueError(
                "a reviewed rule needs reviewer_role, date and content_hash "
                "(the hash 'endodecide rules show ID' prints)"
            )
        if self.workshop is not None and self.status != "reviewed":
            raise ValueError("a workshop record goes with status: reviewed (it is a sign-off)")
        return self


class Examples(_Strict):
    """Profiles on which the rule must fire and close ones on which it must not."""

    fires: Annotated[list[dict[str, Any]], Field(min_length=1)]
    does_not_fire: Annotated[list[dict[str, Any]], Field(min_length=1)]


class TimelineChange(_Strict):
    """A dated change to a rule after the pack's evidence date, decided by published evidence.

    Exactly one kind of change: a new ``status`` for an option (with, optionally, the cautions
    that replace the old ones from that date), a new ``message`` for a flag, or ``retired``
    (from that date the rule no longer fires; ``replaced_by`` names the rules that take over).
    """

    date: DateText = Field(
        description="The publication date of the deciding evidence (YYYY-MM-DD, YYYY-MM, YYYY)."
    )
    evidence: Annotated[list[Slug], Field(min_length=1)] = Field(
        description="Catalogue ids of the deciding evidence."
    )
    why: Prose = Field(description="One sentence: what the evidence showed.")
    status: Literal["standard", "investigational", "evidence_against"] | None = None
    cautions: list[Prose] | None = Field(
        default=None, description="With a status change: the cautions from this date on."
    )
    message: Prose | None = Field(default=None, description="A flag's message from this date.")
    retired: bool = False
    replaced_by: list[RuleId] = []

    @model_validator(mode="after")
    def _one_kind(self) -> TimelineChange:
        kinds = sum((self.status is not None, self.message is not None, self.retired))
        if kinds != 1:
            raise ValueError("give exactly one of: status, message, retired: true")
        if self.cautions is not None and self.status is None:
            raise ValueError("cautions change only together with a status")
        if self.replaced_by and not self.retired:
            raise ValueError("replaced_by goes with retired: true")
        return self

    @property
    def when(self) -> PartialDate:
        return PartialDate.parse(self.date)


class RuleFile(_Strict):
    """One rule, one idea: the whole card lives in one YAML file."""

    id: Annotated[str, Field(pattern=r"^ED[0-9]{3}$")]
    slug: Slug
    title: Line
    strategy: Slug
    statement: Prose
    when: Annotated[list[Any], Field(min_length=1, max_length=30)]
    then: Then
    evidence: Annotated[list[Slug], Field(min_length=1)]
    contrary_evidence: list[Slug] = Field(
        default=[], description="Trials whose result goes against the option, shown beside it."
    )
    known_limits: list[Prose] = []
    since: DateText | None = Field(
        default=None,
        description=(
            "For a strategy that did not exist at the pack's evidence date: the publication date "
            "of the evidence that created it. Before it, the rule does not fire."
        ),
    )
    timeline: list[TimelineChange] = Field(
        default=[], description="Dated changes after the pack's evidence date, oldest first."
    )
    review: Review = Review()
    examples: Examples

    @model_validator(mode="after")
    def _timeline_fits_kind(self) -> RuleFile:
        kind = self.then.kind
        for change in self.timeline:
            if change.status is not None and kind != "option":
                raise ValueError("only an option rule's timeline can change a status")
            if change.message is not None and kind != "flag":
                raise ValueError("only a flag rule's timeline can change a message")
            if change.retired and kind == "derive":
                raise ValueError("a derive rule cannot retire (rules read what it concludes)")
        return self


class Strategy(_Strict):
    id: Slug
    title: Line
    summary: Prose


class LimitationSpec(_Strict):
    """A documented gap: in-scope profiles for which the pack knowingly offers no option."""

    id: Slug
    title: Line
    summary: Prose
    when: Annotated[list[Any], Field(min_length=1, max_length=30)]
    since: DateText | None = Field(
        default=None,
        description="For a gap that exists only from a later date (drugs of later evidence).",
    )


class Direction(_Strict):
    """A future direction the review named, and what became of it by the pack's latest date."""

    id: Slug
    title: Line
    strategy: Slug
    review_said: Prose = Field(description="What the review expected of it, in 2014.")
    verdict: Literal[
        "became_standard",
        "standard_in_a_subgroup",
        "negative",
        "not_taken_further",
        "still_investigational",
    ]
    date: DateText = Field(description="Publication date of the evidence that decided the verdict.")
    summary: Prose = Field(description="What became of it, in two or three sentences.")
    evidence: Annotated[list[Slug], Field(min_length=1)] = Field(
        description="The deciding trials (catalogue ids), positive and negative."
    )
    rules: list[RuleId] = Field(default=[], description="The rules that carry it.")


class PackManifest(_Strict):
    """rules/pack.yaml: what this rule pack is and the strategies it is organised by."""

    name: Slug
    title: Line
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    evidence_as_of: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    source_review: Prose
    strategies: Annotated[list[Strategy], Field(min_length=1)]
    known_limitations: list[LimitationSpec] = []
    directions: list[Direction] = Field(
        default=[],
        description="The review's future directions, scored (endodecide directions).",
    )

"""Clinical safety invariants (``rules/invariants.yaml``): read and checked with the rule pack.

An invariant is a statement a clinician signs ("never re-offer what failed"), the evidence
behind it, the profiles it applies to (conditions in the rule language) and a machine-checkable
form: an option that must never be shown (``forbid_option``) or what every such profile must get
(``require``). ``endodecide.workshop.invariants`` verifies them on results; ``rules lint`` and
``coverage`` do so on every class of the derived profile space.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from endodecide.errors import Problem
from endodecide.evidence import EvidenceCatalogue
from endodecide.facts import OPTION_AGENTS
from endodecide.rulepack.conditions import Condition, ConditionError, Group, parse_when
from endodecide.sources import Document, read_document
from endodecide.validation import did_you_mean, validate_model

__all__ = [
    "INVARIANTS",
    "OFFERED",
    "ForbidOption",
    "Invariant",
    "InvariantSet",
    "load_invariants",
]

INVARIANTS = "invariants.yaml"
Status = Literal["standard", "investigational", "deferred", "evidence_against"]
OFFERED: tuple[Status, ...] = ("standard", "investigational", "deferred")
Line = Annotated[str, Field(min_length=1, max_length=300)]
Prose = Annotated[str, Field(min_length=1, max_length=3000)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ForbidOption(_Strict):
    """An option that must never be shown: every criterion given must hold for it."""

    statuses: Annotated[list[Status], Field(min_length=1)] = list(OFFERED)
    agents_any: list[Line] = Field(default=[], description="It gives one of these agents.")
    agents_all: list[Line] = Field(default=[], description="It gives all of these agents.")
    agents_none: list[Line] = Field(default=[], description="It gives none of these agents.")
    gives_agent_progressed_on: bool = Field(
        default=False,
        description="It gives a drug of a class in progressed_on, not declared as rechallenge.",
    )


class Require(_Strict):
    """What every profile the invariant applies to must get."""

    offered_option: Literal[True]
    unless_flag_severity: list[Literal["out_of_scope", "warning", "info"]] = []
    unless_known_limitation: bool = False


class InvariantSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^INV[0-9]{3}$")]
    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
    title: Line
    statement: Prose
    evidence: Annotated[list[Line], Field(min_length=1)]
    applies_to: list[Any] = []
    forbid_option: ForbidOption | None = None
    require: Require | None = None

    @model_validator(mode="after")
    def _one_form(self) -> InvariantSpec:
        if (self.forbid_option is None) == (self.require is None):
            raise ValueError("give exactly one of: forbid_option, require")
        return self


class InvariantsFile(_Strict):
    agent_groups: dict[str, list[Line]] = {}
    invariants: Annotated[list[InvariantSpec], Field(min_length=1)]


@dataclass(frozen=True)
class Invariant:
    """One checked invariant and where it is written."""

    spec: InvariantSpec
    applies_to: list[Condition | Group]
    source: str
    line: int | None

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class InvariantSet:
    """Every invariant of a pack, and the drug classes each option agent belongs to."""

    invariants: tuple[Invariant, ...] = ()
    agent_classes: tuple[tuple[str, frozenset[str]], ...] = ()

    @cached_property
    def _classes(self) -> dict[str, frozenset[str]]:
        return dict(self.agent_classes)

    def classes_of(self, agent: str) -> frozenset[str]:
        """The progressed_on classes ``agent`` belongs to (looked up per option per profile)."""
        return self._classes.get(agent, frozenset())


def _progressed_on_classes(
    derives: dict[str, tuple[str, list[Condition | Group]]],
) -> dict[str, set[str]]:
    """Agent → progressed_on classes, read from the pack's own derive rules (``line.agents
    includes any of [...]`` in a rule deriving ``progressed_on``), so the two never disagree."""
    found: dict[str, set[str]] = {}
    for value, when in derives.values():
        for item in when:
            conditions = item.conditions() if isinstance(item, Group) else [item]
            for cond in conditions:
                if cond.fact.name == "line.agents" and cond.op in {"includes", "includes any of"}:
                    for agent in cond.values:
                        found.setdefault(str(agent), set()).add(value)
    return found


def load_invariants(
    root: Path,
    evidence: EvidenceCatalogue,
    progressed_on_rules: dict[str, tuple[str, list[Condition | Group]]],
) -> InvariantSet | list[Problem]:
    """Read ``root/invariants.yaml`` (a pack without one has no invariants)."""
    path = root / INVARIANTS
    if not path.exists():
        return InvariantSet()
    doc = read_document(path)
    if isinstance(doc, Problem):
        return [doc]
    model = validate_model(doc, InvariantsFile, doc.data)
    if isinstance(model, list):
        return model
    problems: list[Problem] = []
    invariants: list[Invariant] = []
    seen: set[str] = set()
    for index, spec in enumerate(model.invariants):
        where: tuple[str | int, ...] = ("invariants", index)
        problems += _check_spec(doc, where, spec, evidence, set(model.agent_groups))
        if spec.id in seen:
            problems.append(
                doc.problem((*where, "id"), f"duplicate invariant id '{spec.id}'", "E430")
            )
        seen.add(spec.id)
        try:
            applies_to = parse_when(spec.applies_to, (*where, "applies_to"))
        except ConditionError as exc:
            problems.append(doc.problem(exc.loc, exc.message, exc.code))
            continue
        invariants.append(Invariant(spec, applies_to, doc.name, doc.line_of(where)))
    for group, members in model.agent_groups.items():
        for index, agent in enumerate(members):
            problems += _unknown_agent(doc, ("agent_groups", group, index), agent, set())
    if problems:
        return problems
    classes = _progressed_on_classes(progressed_on_rules)
    for group, members in model.agent_groups.items():
        classes[group] = set().union(*(classes.get(m, set()) for m in members))
    return InvariantSet(
        tuple(invariants),
        tuple(sorted((agent, frozenset(found)) for agent, found in classes.items())),
    )


def _unknown_agent(
    doc: Document, loc: tuple[str | int, ...], agent: str, groups: set[str]
) -> list[Problem]:
    if agent in OPTION_AGENTS or agent in groups:
        return []
    return [
        doc.problem(
            loc,
            f"unknown agent '{agent}'{did_you_mean(agent, [*OPTION_AGENTS, *groups])}",
            "E427",
        )
    ]


def _check_spec(
    doc: Document,
    where: tuple[str | int, ...],
    spec: InvariantSpec,
    evidence: EvidenceCatalogue,
    groups: set[str],
) -> list[Problem]:
    problems = []
    for index, entry in enumerate(spec.evidence):
        if entry not in evidence.entries:
            problems.append(
                doc.problem(
                    (*where, "evidence", index),
                    f"evidence '{entry}' is not in the catalogue"
                    f"{did_you_mean(entry, list(evidence.entries))}",
                    "E422",
                )
            )
    forbid = spec.forbid_option
    if forbid is not None:
        for key in ("agents_any", "agents_all", "agents_none"):
            for index, agent in enumerate(getattr(forbid, key)):
                problems += _unknown_agent(
                    doc, (*where, "forbid_option", key, index), agent, groups
                )
    return problems


def check_in_words(invariant: Invariant) -> str:
    """The machine-checkable form in one sentence, for the catalogue and the handout."""
    forbid, require = invariant.spec.forbid_option, invariant.spec.require
    if require is not None:
        excuses = [f"a flag of severity {', '.join(require.unless_flag_severity)}"] * bool(
            require.unless_flag_severity
        ) + ["a documented known limitation"] * require.unless_known_limitation
        return "Must get at least one standard, investigational or deferred option" + (
            f", unless {' or '.join(excuses)} applies." if excuses else "."
        )
    assert forbid is not None
    parts = [f"status {' or '.join(s.replace('_', ' ') for s in forbid.statuses)}"]
    if forbid.agents_any:
        parts.append(f"giving any of {', '.join(forbid.agents_any)}")
    if forbid.agents_all:
        parts.append(f"giving all of {', '.join(forbid.agents_all)}")
    if forbid.agents_none:
        parts.append(f"giving none of {', '.join(forbid.agents_none)}")
    if forbid.gives_agent_progressed_on:
        parts.append("giving a drug the disease progressed on, not declared as a rechallenge")
    return "No option may be shown with " + "; ".join(parts) + "."

"""Clinical safety invariants verified on results: which invariant a result breaks, and why.

The invariants themselves (``rules/invariants.yaml``) are read and checked with the rule pack
(``endodecide.rulepack.invariants``); this module applies them to one profile's result.
``rules lint`` and ``coverage`` run it on every class of the derived profile space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from endodecide.facts import line_facts, patient_fact
from endodecide.profile import Profile
from endodecide.result import ProfileResult
from endodecide.rulepack.interpret import rule_holds
from endodecide.rulepack.invariants import OFFERED, ForbidOption, Invariant, InvariantSet

__all__ = ["Violation", "check_result"]


@dataclass(frozen=True, order=True)
class Violation:
    """An invariant broken on one profile, and the option rules that broke it (none for a
    missing answer)."""

    invariant: str
    rules: tuple[str, ...]
    detail: str


def _applies(
    invariant: Invariant,
    patient: dict[str, Any],
    lines: list[dict[str, Any]],
    derived: frozenset[tuple[str, str]],
) -> bool:
    return not invariant.applies_to or rule_holds(invariant.applies_to, patient, lines, derived)


def check_result(
    invariants: InvariantSet,
    rechallenge: dict[str, frozenset[str]],
    profile: Profile,
    result: ProfileResult,
    known_limitation: bool = False,
    facts: tuple[dict[str, Any], list[dict[str, Any]]] | None = None,
) -> list[Violation]:
    """Every invariant ``result`` breaks for ``profile``; ``rechallenge`` maps option rules to
    the agents they declare as rechallenge; ``facts`` (patient, lines) if already built."""
    patient, lines = facts or (patient_fact(profile), line_facts(profile))
    derived = frozenset((fact.name, fact.value) for fact in result.derived_facts)
    progressed = {value for name, value in derived if name == "progressed_on"}
    found: list[Violation] = []
    for invariant in invariants.invariants:
        if not _applies(invariant, patient, lines, derived):
            continue
        forbid, require = invariant.spec.forbid_option, invariant.spec.require
        if forbid is not None:
            for option in result.options:
                why = _forbidden(
                    forbid,
                    option.status,
                    option.agents,
                    invariants,
                    progressed,
                    rechallenge.get(option.rule, frozenset()),
                )
                if why is not None:
                    found.append(Violation(invariant.id, (option.rule,), why))
        elif require is not None:
            offered = any(option.status in OFFERED for option in result.options)
            excused = any(f.severity in require.unless_flag_severity for f in result.flags) or (
                require.unless_known_limitation and known_limitation
            )
            if not offered and not excused:
                found.append(
                    Violation(invariant.id, (), "no option is offered and no flag says why")
                )
    return sorted(found)


def _forbidden(
    forbid: ForbidOption,
    status: str,
    agents: list[str],
    invariants: InvariantSet,
    progressed: set[str],
    rechallenge: frozenset[str],
) -> str | None:
    """Why an option matches ``forbid``, or None when it does not."""
    given = set(agents)
    if status not in forbid.statuses:
        return None
    if forbid.agents_any and not given.intersection(forbid.agents_any):
        return None
    if forbid.agents_all and not given.issuperset(forbid.agents_all):
        return None
    if forbid.agents_none and given.intersection(forbid.agents_none):
        return None
    if forbid.gives_agent_progressed_on:
        failed = sorted(
            agent
            for agent in given - rechallenge
            if invariants.classes_of(agent).intersection(progressed)
        )
        if not failed:
            return None
        return f"{status} option gives {', '.join(failed)}, which the disease progressed on"
    return f"{status} option giving {', '.join(sorted(given))}"

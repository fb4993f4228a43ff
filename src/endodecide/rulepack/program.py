"""The compiled rule pack as plain data: what the engine runs, with no engine types in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["ActionSpec", "Bindings", "FieldRef", "Program", "ReasonFormat"]


@dataclass(frozen=True)
class ActionSpec:
    """What happens when a rule fires.

    Every firing is recorded with the facts it matched, by alias. A derive action also asserts
    ``derive`` as a new fact, copying the matched line's index into it when ``line_alias`` is set,
    so that the same conclusion reached from two different lines stays two facts.
    """

    rule_id: str
    derive: dict[str, Any] | None = None
    line_alias: str | None = None


@dataclass(frozen=True)
class Bindings:
    """The aliases under which a rule's firings hold the facts they matched.

    ``patient`` and ``line`` are None when the rule has no condition on that fact; ``derived``
    names one alias per derived fact the rule requires (facts it negates match nothing).
    """

    patient: str | None = None
    line: str | None = None
    derived: tuple[str, ...] = ()


class FieldRef(NamedTuple):
    """One placeholder of a reason: the field ``field`` of the fact matched as ``alias``."""

    alias: str
    field: str


@dataclass(frozen=True)
class ReasonFormat:
    """A derive rule's ``reason`` with its placeholders resolved: ``literals`` around ``fields``.

    ``"{line.months} months"`` is literals ``("", " months")`` around the line's ``months``;
    there is always one literal more than there are fields.
    """

    literals: tuple[str, ...]
    fields: tuple[FieldRef, ...] = ()

    def fill(self, values: Sequence[str]) -> str:
        """The reason in words, ``values`` (one per field, in order) put in the placeholders."""
        parts = [self.literals[0]]
        for value, literal in zip(values, self.literals[1:], strict=True):
            parts += (value, literal)
        return "".join(parts)


@dataclass(frozen=True)
class Program:
    """Durable-rules-shaped rule dicts (``{"all": [...]}``) plus their actions and strata.

    Rules of stratum k only fire once the phase fact for k is asserted, after everything of lower
    strata has been derived, so negation never sees a fact that is still to come. ``bindings``
    says where each rule's firings hold what they matched; ``reasons`` holds each derive rule's
    reason, ready to be filled from a firing.
    """

    ruleset: str
    rules: dict[str, dict[str, Any]]
    actions: dict[str, ActionSpec]
    strata: int
    stratum_of: dict[str, int] = field(default_factory=dict)
    bindings: dict[str, Bindings] = field(default_factory=dict)
    reasons: dict[str, ReasonFormat] = field(default_factory=dict)

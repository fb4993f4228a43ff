"""The compiled rule pack as plain data: what the engine runs, with no engine types in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ActionSpec", "Program"]


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
class Program:
    """Durable-rules-shaped rule dicts (``{"all": [...]}``) plus their actions and strata.

    Rules of stratum k only fire once the phase fact for k is asserted, after everything of lower
    strata has been derived, so negation never sees a fact that is still to come.
    """

    ruleset: str
    rules: dict[str, dict[str, Any]]
    actions: dict[str, ActionSpec]
    strata: int
    stratum_of: dict[str, int] = field(default_factory=dict)

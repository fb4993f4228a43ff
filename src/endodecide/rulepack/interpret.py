"""Rule conditions evaluated in plain Python, outside the engine.

The engine decides what fires. This module only re-reads a rule's conditions against the same
facts to explain a result ("which condition failed?") and, in the benchmark, to give the floor a
direct evaluation costs. A test checks that both agree on every teaching and generated profile.
Semantics follow the compiled rules: a condition on a value the fact does not have is false.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from endodecide.rulepack.conditions import Condition, Group

__all__ = [
    "Derived",
    "DirectTable",
    "condition_holds",
    "direct_fire",
    "direct_table",
    "failed_conditions",
    "rule_holds",
]

Derived = frozenset[tuple[str, str]]
Item = Condition | Group
_MISSING = object()


def _compare(op: str, actual: Any, values: tuple[Any, ...]) -> bool:
    if op in {"includes", "includes any of"}:
        return any(v in actual for v in values)
    if op in {"does not include", "includes none of"}:
        return all(v not in actual for v in values)
    if op == "is at least":
        return bool(actual >= values[0])
    if op == "is at most":
        return bool(actual <= values[0])
    if op == "is less than":
        return bool(actual < values[0])
    if op == "is more than":
        return bool(actual > values[0])
    if op in {"is", "is one of"}:
        return actual in values
    return actual not in values  # is not, is not one of


def condition_holds(
    item: Item, patient: dict[str, Any], line: dict[str, Any] | None, derived: Derived
) -> bool:
    """Whether one condition (or group) holds for the patient, one line and the derived facts."""
    if isinstance(item, Group):
        results = (condition_holds(i, patient, line, derived) for i in item.items)
        return any(results) if item.mode == "any" else all(results)
    spec = item.fact
    if spec.source == "derived":
        present = any((spec.name, v) in derived for v in item.values)
        return not present if item.negated else present
    fact = patient if spec.source == "patient" else line
    actual = _MISSING if fact is None else fact.get(spec.field, _MISSING)
    if actual is _MISSING:
        return False
    return _compare(item.op, actual, item.values)


def _source(item: Item) -> str:
    return (item.conditions()[0] if isinstance(item, Group) else item).fact.source


def failed_conditions(
    when: list[Item], patient: dict[str, Any], lines: Iterable[dict[str, Any]], derived: Derived
) -> list[Item]:
    """The conditions that fail, in ``when`` order; line conditions judged on the closest line."""
    failed = [
        index
        for index, item in enumerate(when)
        if _source(item) != "line" and not condition_holds(item, patient, None, derived)
    ]
    line_items = [(index, item) for index, item in enumerate(when) if _source(item) == "line"]
    if line_items:
        best: list[int] | None = None
        for line in lines:
            missed = [
                i for i, item in line_items if not condition_holds(item, patient, line, derived)
            ]
            if best is None or len(missed) < len(best):
                best = missed
        failed += [i for i, _ in line_items] if best is None else best
    return [when[index] for index in sorted(failed)]


def rule_holds(
    when: list[Item], patient: dict[str, Any], lines: Iterable[dict[str, Any]], derived: Derived
) -> bool:
    """All conditions hold, the line conditions on one same line (stops at the first failure)."""
    line_items = []
    for item in when:
        if _source(item) == "line":
            line_items.append(item)
        elif not condition_holds(item, patient, None, derived):
            return False
    if not line_items:
        return True
    return any(
        all(condition_holds(item, patient, line, derived) for item in line_items) for line in lines
    )


DirectTable = list[tuple[str, int, list[Item], tuple[str, str] | None]]


def direct_table(rules: Iterable[Any]) -> DirectTable:
    """(id, stratum, conditions, derived (fact, value) or None) of every rule, by stratum."""
    rows = []
    for rule in rules:
        derive = rule.card.then.derive
        rows.append(
            (rule.id, rule.stratum, rule.when, (derive.fact, derive.value) if derive else None)
        )
    return sorted(rows, key=lambda row: (row[1], row[0]))


def direct_fire(
    rules: DirectTable,
    patient: dict[str, Any],
    lines: list[dict[str, Any]],
) -> set[str]:
    """Which rules fire, decided in plain Python stratum by stratum (the benchmark's floor).

    ``rules`` holds (id, stratum, conditions, derived (fact, value) or None), sorted by stratum.
    Within a stratum, derive rules are re-read until nothing new is derived.
    """
    derived: set[tuple[str, str]] = set()
    fired: set[str] = set()
    index = 0
    while index < len(rules):
        stratum = rules[index][1]
        end = index
        while end < len(rules) and rules[end][1] == stratum:
            end += 1
        changed = True
        while changed:
            changed = False
            frozen = frozenset(derived)
            for rule_id, _, when, derive in rules[index:end]:
                if rule_id in fired or not rule_holds(when, patient, lines, frozen):
                    continue
                fired.add(rule_id)
                if derive is not None and derive not in derived:
                    derived.add(derive)
                    changed = True
        index = end
    return fired

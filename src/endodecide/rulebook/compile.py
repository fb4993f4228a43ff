"""Compiling checked rules into the engine's plain-data program, with stratified negation."""

from __future__ import annotations

from typing import Any

from endodecide.rulebook.conditions import Condition, Group
from endodecide.rulebook.program import ActionSpec, Program

__all__ = ["LINE", "PATIENT", "compile_condition", "compile_program", "compute_strata"]

PATIENT, LINE, GATE = "p", "l", "g"
_COMPARE = {
    "is at least": "$gte",
    "is at most": "$lte",
    "is less than": "$lt",
    "is more than": "$gt",
}


def compile_condition(item: Condition | Group) -> dict[str, Any]:
    """A profile or line condition as a durable_rules expression on one fact."""
    if isinstance(item, Group):
        return {"$or" if item.mode == "any" else "$and": [compile_condition(i) for i in item.items]}
    field, op, values = item.fact.field, item.op, item.values
    if item.fact.kind == "list":
        if op in {"includes", "includes any of"}:
            # One "any item" test per value, joined outside: an $or *inside* $iany makes
            # durable_rules 2.0.28 read an uninitialised byte while building the ruleset
            # (createForwardAlpha in rete.c never sets expression.right.type), so registration
            # failed with error 102 whenever the heap happened to hold 0x09 or 0x0C there.
            anys = [{"$iany": {field: {"$i": v}}} for v in values]
            return anys[0] if len(anys) == 1 else {"$or": anys}
        return {"$iall": {field: {"$and": [{"$neq": {"$i": v}} for v in values]}}}
    if op in _COMPARE:
        return {_COMPARE[op]: {field: values[0]}}
    if op in {"is", "is one of"}:
        return {"$or": [{field: v} for v in values]} if len(values) > 1 else {field: values[0]}
    return {"$and": [{"$neq": {field: v}} for v in values]}


def _derived_pattern(item: Condition) -> dict[str, Any]:
    values = [{"value": v} for v in item.values]
    return {
        "$and": [
            {"kind": "derived"},
            {"name": item.fact.name},
            values[0] if len(values) == 1 else {"$or": values},
        ]
    }


def _all_conditions(when: list[Condition | Group]) -> list[Condition]:
    found: list[Condition] = []
    for item in when:
        found.extend(item.conditions() if isinstance(item, Group) else [item])
    return found


def _source(item: Condition | Group) -> str:
    return (item.conditions()[0] if isinstance(item, Group) else item).fact.source


def compute_strata(
    when_by_rule: dict[str, list[Condition | Group]], derives: dict[str, str]
) -> dict[str, int] | list[str]:
    """Stratum of each rule: above every rule deriving a fact it negates. Cycles → rule ids."""
    stratum = dict.fromkeys(when_by_rule, 0)
    ceiling = len(set(derives.values())) + 1  # no cycle through negation → never higher
    for _ in range(len(when_by_rule) + 2):
        fact_level: dict[str, int] = {}
        for rule_id, fact in derives.items():
            fact_level[fact] = max(fact_level.get(fact, 0), stratum[rule_id])
        changed = False
        for rule_id, when in when_by_rule.items():
            level = 0
            for cond in _all_conditions(when):
                if cond.fact.source == "derived":
                    base = fact_level.get(cond.fact.name, 0)
                    level = max(level, base + 1 if cond.negated else base)
            if level != stratum[rule_id]:
                stratum[rule_id], changed = level, True
        if not changed:
            return stratum
        if max(stratum.values()) > ceiling:
            break
    return sorted(rule for rule, level in stratum.items() if level >= ceiling - 1)


def _compile_rule(
    rule_id: str, when: list[Condition | Group], stratum: int, derive: dict[str, Any] | None
) -> tuple[dict[str, Any], ActionSpec]:
    patient = [compile_condition(i) for i in when if _source(i) == "patient"]
    line = [compile_condition(i) for i in when if _source(i) == "line"]
    derived = [i for i in when if isinstance(i, Condition) and i.fact.source == "derived"]
    patterns: list[dict[str, Any]] = []
    if patient:
        patterns.append({PATIENT: {"$and": [{"kind": "patient"}, *patient]}})
    if line:
        patterns.append({LINE: {"$and": [{"kind": "line"}, *line]}})
    positives = [c for c in derived if not c.negated]
    negatives = [c for c in derived if c.negated]
    patterns += [{f"d{n}": _derived_pattern(c)} for n, c in enumerate(positives)]
    patterns.append({GATE: {"$and": [{"kind": "phase"}, {"stratum": stratum}]}})
    # Negated patterns go last: durable_rules needs a positive pattern before a negation.
    patterns += [{f"n{n}$not": _derived_pattern(c)} for n, c in enumerate(negatives)]
    action = ActionSpec(rule_id, derive, LINE if (derive and line) else None)
    return {"all": patterns}, action


def compile_program(
    ruleset: str,
    when_by_rule: dict[str, list[Condition | Group]],
    derives: dict[str, tuple[str, str]],
    strata: dict[str, int],
) -> Program:
    """``derives`` maps a derive rule's id to its (fact, value)."""
    rules: dict[str, dict[str, Any]] = {}
    actions: dict[str, ActionSpec] = {}
    for rule_id in sorted(when_by_rule):
        derive = None
        if rule_id in derives:
            fact, value = derives[rule_id]
            derive = {"kind": "derived", "name": fact, "value": value, "by": rule_id}
        rules[rule_id], actions[rule_id] = _compile_rule(
            rule_id, when_by_rule[rule_id], strata[rule_id], derive
        )
    top = max(strata.values(), default=0)
    return Program(ruleset, rules, actions, top, dict(strata))

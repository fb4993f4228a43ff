"""Considered but not offered: option rules that came close, with the conditions that failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from endodecide.facts import FactSpec, describe_value
from endodecide.result import Citation, FailedCondition, NearMiss
from endodecide.rulepack import RulePack
from endodecide.rulepack.conditions import Condition, Group, plain_words
from endodecide.rulepack.interpret import Derived, failed_conditions

__all__ = ["MAX_FAILED", "near_misses"]

MAX_FAILED = 2


def _facts_named(item: Condition | Group) -> list[FactSpec]:
    specs: list[FactSpec] = []
    for cond in item.conditions() if isinstance(item, Group) else [item]:
        if cond.fact not in specs:
            specs.append(cond.fact)
    return specs


def _here(
    item: Condition | Group, patient: dict[str, Any], has_lines: bool, derived: Derived
) -> str:
    parts = []
    for spec in _facts_named(item):
        if spec.source == "line":
            return (
                "no single line of endocrine therapy meets this"
                if has_lines
                else "no endocrine therapy recorded"
            )
        if spec.source == "derived":
            values = sorted(v for name, v in derived if name == spec.name)
            shown = "; ".join(describe_value(v) for v in values) if values else "none"
        else:
            value = patient.get(spec.field)
            shown = "not recorded" if value is None else describe_value(value)
        parts.append(f"{spec.label}: {shown}")
    return "; ".join(parts)


def near_misses(
    pack: RulePack,
    fired: set[str],
    patient: dict[str, Any],
    lines: list[dict[str, Any]],
    derived: Derived,
    cite: Callable[[list[str]], list[Citation]],
) -> list[NearMiss]:
    """Standard or investigational option rules that did not fire, short of one or two conditions.

    A rule failing on hormone-receptor status is never "close": endocrine options do not apply.
    """
    found = []
    for rule in pack.rules.values():
        option = rule.card.then.option
        if option is None or option.status == "evidence_against" or rule.id in fired:
            continue
        failed = failed_conditions(rule.when, patient, lines, derived)
        if not 1 <= len(failed) <= MAX_FAILED:
            continue
        if any(spec.name == "hormone_receptor" for item in failed for spec in _facts_named(item)):
            continue
        strategy = pack.strategy(rule.card.strategy)
        found.append(
            NearMiss(
                rule=rule.id,
                title=rule.card.title,
                strategy=strategy.id,
                strategy_title=strategy.title,
                regimen=option.regimen,
                status=option.status,
                failed=[
                    FailedCondition(
                        condition=plain_words(item), here=_here(item, patient, bool(lines), derived)
                    )
                    for item in failed
                ],
                evidence=cite(rule.card.evidence),
            )
        )
    found.sort(key=lambda m: (len(m.failed), pack.strategy_rank(m.strategy), m.rule))
    return found

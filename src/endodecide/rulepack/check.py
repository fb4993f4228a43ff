"""Load-time checks across rule files: ids, strategies, evidence, vocabulary, strata."""

from __future__ import annotations

import re
from collections import Counter

from endodecide.errors import Problem
from endodecide.evidence import EvidenceCatalogue
from endodecide.facts import OPTION_AGENTS, VOCABULARY
from endodecide.rulepack.conditions import Condition, Group, parse_when
from endodecide.rulepack.model import Rule
from endodecide.rulepack.schema import PackManifest
from endodecide.validation import did_you_mean

__all__ = ["PLACEHOLDER", "check_pack", "check_rule", "placeholders"]

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def _meaning(condition: Condition) -> tuple[str, str, tuple[object, ...]]:
    """What a condition says (fact, operator, values), whatever the spacing of its sentence."""
    return condition.fact.name, condition.op, condition.values


def _parsed(sentence: str) -> Condition:
    (condition,) = parse_when([sentence], ())
    assert isinstance(condition, Condition)
    return condition


# Every option rule must require it: endocrine options are for HR-positive disease only.
_HR_POSITIVE = _parsed("hormone_receptor is positive")


def _conditions(rule: Rule) -> list[Condition]:
    found: list[Condition] = []
    for item in rule.when:
        found.extend(item.conditions() if isinstance(item, Group) else [item])
    return found


def _at(rule: Rule, message: str, code: str, field: str = "", line: int | None = None) -> Problem:
    top = field.split(".")[0]
    return Problem(rule.source, line or rule.field_lines.get(top, rule.line), field, message, code)


def check_rule(rule: Rule, manifest: PackManifest, evidence: EvidenceCatalogue) -> list[Problem]:
    """Checks that need only this rule, the manifest and the evidence."""
    card, problems = rule.card, []
    expected_name = f"{card.id}-{card.slug}.yaml"
    if not rule.source.endswith(expected_name):
        problems.append(_at(rule, f"file should be named {expected_name}", "E420", "id"))
    strategies = [s.id for s in manifest.strategies]
    if card.strategy not in strategies:
        problems.append(
            _at(
                rule,
                f"unknown strategy '{card.strategy}'"
                f"{did_you_mean(card.strategy, strategies)}; allowed: "
                f"{', '.join(strategies)}",
                "E421",
                "strategy",
            )
        )
    for key, refs in (("evidence", card.evidence), ("contrary_evidence", card.contrary_evidence)):
        for ref in refs:
            if ref not in evidence.entries:
                problems.append(
                    _at(
                        rule,
                        f"evidence '{ref}' is not in the catalogue"
                        f"{did_you_mean(ref, list(evidence.entries))}",
                        "E422",
                        key,
                    )
                )
    every_ref = [*card.evidence, *card.contrary_evidence]
    if len(set(every_ref)) != len(every_ref):
        problems.append(
            _at(
                rule, "an evidence id is listed twice (or both for and against)", "E422", "evidence"
            )
        )
    if card.contrary_evidence and card.then.option is None:
        problems.append(
            _at(
                rule,
                "contrary_evidence belongs to option rules only",
                "E426",
                "contrary_evidence",
            )
        )
    sources = {c.fact.source for c in _conditions(rule)}
    derive = card.then.derive
    if derive is not None:
        spec = VOCABULARY.get(derive.fact)
        if spec is None or spec.source != "derived":
            derived = [n for n, s in VOCABULARY.items() if s.source == "derived"]
            problems.append(
                _at(
                    rule,
                    f"'{derive.fact}' is not a derived fact"
                    f"{did_you_mean(derive.fact, derived)}; allowed: "
                    f"{', '.join(derived)}",
                    "E423",
                    "then.derive.fact",
                )
            )
        elif derive.value not in spec.values:
            problems.append(
                _at(
                    rule,
                    f"'{derive.value}' is not a value of {derive.fact}"
                    f"{did_you_mean(derive.value, spec.values)}; allowed: "
                    f"{', '.join(spec.values)}",
                    "E423",
                    "then.derive.value",
                )
            )
        for name in placeholders(derive.reason):
            named = VOCABULARY.get(name)
            if named is None or named.source == "derived":
                usable = [n for n, s in VOCABULARY.items() if s.source != "derived"]
                problems.append(
                    _at(
                        rule,
                        f"unknown placeholder {{{name}}} in reason{did_you_mean(name, usable)}",
                        "E424",
                        "then.derive.reason",
                    )
                )
            elif named.source not in sources:
                problems.append(
                    _at(
                        rule,
                        f"placeholder {{{name}}} needs a condition on the {named.source} in 'when'",
                        "E424",
                        "then.derive.reason",
                    )
                )
    agent_lists: list[tuple[str, list[str]]] = []
    if card.then.option is not None:
        agent_lists.append(("then.option.agents", card.then.option.agents))
    adjustment = card.then.flag.adjusts_options if card.then.flag is not None else None
    if adjustment is not None:
        agent_lists += [
            ("then.flag.adjusts_options.skip_if_agents_include", adjustment.skip_if_agents_include),
            ("then.flag.adjusts_options.only_if_agents_within", adjustment.only_if_agents_within),
        ]
    for where, agents in agent_lists:
        for agent in agents:
            if agent not in OPTION_AGENTS:
                problems.append(
                    _at(
                        rule,
                        f"unknown agent '{agent}'{did_you_mean(agent, OPTION_AGENTS)}; allowed: "
                        f"{', '.join(OPTION_AGENTS)}",
                        "E427",
                        where,
                    )
                )
    if card.then.option is not None and not any(
        _meaning(c) == _meaning(_HR_POSITIVE) for c in _conditions(rule)
    ):
        problems.append(
            _at(
                rule,
                f"an option rule must include the condition '{_HR_POSITIVE.text}' "
                "(endocrine options are for HR-positive disease only)",
                "E425",
                "when",
            )
        )
    return problems


def check_pack(
    rules: list[Rule],
    evidence: EvidenceCatalogue,
    complete: bool = True,
    also_cited: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Checks across the whole pack; those needing every rule only when all rules were read."""
    problems: list[Problem] = []
    for key, what in (("id", "rule id"), ("slug", "slug")):
        counts = Counter(getattr(r.card, key) for r in rules)
        for rule in rules:
            if counts[getattr(rule.card, key)] > 1:
                problems.append(
                    _at(rule, f"duplicate {what} '{getattr(rule.card, key)}'", "E430", key)
                )
    if not complete:
        return problems  # an unreadable rule would make facts and evidence look unused
    derived_by = {r.card.then.derive.fact for r in rules if r.card.then.derive is not None}
    for rule in rules:
        for cond in _conditions(rule):
            if cond.fact.source == "derived" and cond.fact.name not in derived_by:
                problems.append(
                    _at(
                        rule,
                        f"no rule derives '{cond.fact.name}', so "
                        f"'{cond.text}' can never be decided",
                        "E431",
                        "when",
                    )
                )
    cited = {ref for r in rules for ref in (*r.card.evidence, *r.card.contrary_evidence)}
    cited |= also_cited
    for entry_id, line in evidence.lines.items():
        if entry_id not in cited:
            problems.append(
                Problem(
                    evidence.source,
                    line,
                    "id",
                    f"evidence '{entry_id}' is not cited by any rule or invariant",
                    "E432",
                )
            )
    return problems

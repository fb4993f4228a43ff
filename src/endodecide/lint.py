"""``endodecide rules lint``: the checks a rule-review workshop runs before trusting the pack.

Loading the pack already checks schema, vocabulary, ids and evidence (each problem raised with
its file and line). Lint adds what needs evaluation: every rule's own examples, and a pass over
the whole profile space for rules that never fire (errors), and for two rules proposing the same
agents, or an option proposed and judged evidence against for one profile (warnings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from endodecide.coverage import CoverageResult, evaluate_space
from endodecide.errors import Problem
from endodecide.evaluate import Evaluator
from endodecide.rulebook import RulePack

__all__ = ["LintReport", "lint_pack"]


@dataclass(frozen=True)
class LintReport:
    errors: list[Problem]
    warnings: list[Problem]
    profiles: int


def _example_problems(pack: RulePack) -> list[Problem]:
    evaluator = Evaluator(pack)
    return [
        Problem(
            rule.source,
            example.line,
            "examples",
            f"{rule.id} {'did not fire' if example.fires else 'fired'} on "
            f"'{example.profile.label}'",
            "E440",
        )
        for rule in pack.rules.values()
        for example in rule.examples
        if (rule.id in evaluator.fired_rules(example.profile)) is not example.fires
    ]


def _pairs(pack: RulePack, coverage: CoverageResult, attribute: str) -> dict[tuple[str, ...], int]:
    """Each group of rules found together (conflicts or overlaps) → first profile index."""
    found: dict[tuple[str, ...], int] = {}
    for outcome in coverage.outcomes:
        for group in getattr(outcome, attribute):
            found.setdefault(group, outcome.index)
    return found


def lint_pack(pack: RulePack, root: Path, workers: int | None = None) -> LintReport:
    errors = _example_problems(pack)
    coverage = evaluate_space(root, workers)
    for rule_id in coverage.never_fired(pack):
        rule = pack.rules[rule_id]
        errors.append(
            Problem(
                rule.source,
                rule.field_lines.get("when", rule.line),
                "when",
                f"{rule_id} fires on none of the {len(coverage.points):,} profiles of the "
                "enumerated space: its conditions can never hold together",
                "E450",
            )
        )
    warnings = []
    for code, attribute, text in (
        ("W501", "overlaps", "propose the same agents and fire together"),
        ("W502", "conflicts", "propose the same agents, one as evidence against, for one profile"),
    ):
        for group, index in _pairs(pack, coverage, attribute).items():
            rule = pack.rules[group[0]]
            point = coverage.points[index].as_dict
            example = ", ".join(f"{k}={v}" for k, v in point.items())
            warnings.append(
                Problem(
                    rule.source,
                    rule.field_lines.get("then", rule.line),
                    "then.option.agents",
                    f"{' and '.join(group)} {text}, e.g. {example}",
                    code,
                )
            )
    return LintReport(errors, warnings, len(coverage.points))

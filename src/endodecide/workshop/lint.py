"""``endodecide rules lint``: the checks a rule-review workshop runs before trusting the pack.

Loading the pack already checks schema, vocabulary, ids and evidence (each problem raised with
its file and line). Lint adds what needs evaluation: every rule's own examples, and a pass over
the whole profile space for rules that never fire and clinical safety invariants broken
(errors, each invariant with its simplest counter-example), and for two rules proposing the
same agents, or an option proposed and judged evidence against for one profile (warnings).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ruamel.yaml import YAML

from endodecide.errors import Problem
from endodecide.evaluate import Evaluator
from endodecide.profile import Profile
from endodecide.rulepack import RulePack
from endodecide.workshop.coverage import CoverageResult, evaluate_space

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


def _size(profile: Profile) -> tuple[int, ...]:
    """Smaller is simpler to read: fewer lines of therapy, fewer chemotherapy lines."""
    return (len(profile.endocrine_history), profile.chemotherapy_lines_for_metastatic)


def counter_example_yaml(profile: Profile, label: str) -> str:
    """A profile as YAML a user can save and run with ``endodecide run``."""
    data = profile.model_dump(mode="json", exclude_defaults=True)
    data["label"] = label
    buffer = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _invariant_problems(pack: RulePack, coverage: CoverageResult) -> list[Problem]:
    """One error per broken invariant: the rules that broke it, on how many profiles, and the
    simplest counter-example as a profile YAML that reproduces it."""
    rules: dict[str, set[str]] = {}
    simplest: dict[str, tuple[tuple[int, ...], Profile, tuple[str, ...]]] = {}
    for outcome in coverage.outcomes:
        blamed_here: dict[str, set[str]] = {}
        for violation in outcome.violations:
            blamed_here.setdefault(violation.invariant, set()).update(violation.rules)
        for invariant_id, blamed in blamed_here.items():
            rules.setdefault(invariant_id, set()).update(blamed)
            profile = coverage.space.classes[outcome.index].profile
            key = (*_size(profile), outcome.index)
            if invariant_id not in simplest or key < simplest[invariant_id][0]:
                simplest[invariant_id] = (key, profile, tuple(sorted(blamed)))
    count = coverage.violations
    problems = []
    for invariant in pack.invariants.invariants:
        if invariant.id not in count:
            continue
        _, profile, blamed_rules = simplest[invariant.id]
        by = ", ".join(sorted(rules[invariant.id])) or "no rule (no option is offered)"
        shown = ", ".join(blamed_rules) or "no rule"
        label = f"Counter-example to {invariant.id} ({shown})"
        problems.append(
            Problem(
                invariant.source,
                invariant.line,
                "invariants",
                f"{invariant.id} '{invariant.spec.title}' broken by {by} on "
                f"{count[invariant.id]:,} of {len(coverage.space):,} profiles; the simplest "
                "counter-example follows",
                "E460",
                detail=(
                    f"--- # counter-example for {invariant.id}, broken by {shown}: save as a "
                    f".yaml file and run `endodecide run FILE`\n"
                    f"{counter_example_yaml(profile, label)}...\n"
                ),
            )
        )
    return problems


def lint_pack(pack: RulePack, workers: int | None = None) -> LintReport:
    errors = _example_problems(pack)
    coverage = evaluate_space(pack, workers)
    for rule_id in coverage.never_fired(pack):
        rule = pack.rules[rule_id]
        errors.append(
            Problem(
                rule.source,
                rule.field_lines.get("when", rule.line),
                "when",
                f"{rule_id} fires on none of the {len(coverage.space):,} profile classes "
                "of the space derived from the pack: its conditions can never hold together",
                "E450",
            )
        )
    errors += _invariant_problems(pack, coverage)
    warnings = []
    for code, attribute, text in (
        ("W501", "overlaps", "propose the same agents and fire together"),
        ("W502", "conflicts", "propose the same agents, one as evidence against, for one profile"),
    ):
        for group, index in _pairs(pack, coverage, attribute).items():
            rule = pack.rules[group[0]]
            point = coverage.space.classes[index].coordinates
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
    return LintReport(errors, warnings, len(coverage.space))

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
from datetime import date, timedelta

from ruamel.yaml import YAML

from endodecide.errors import Problem
from endodecide.evaluate import Evaluator
from endodecide.profile import Profile
from endodecide.rulepack import RulePack, pack_at
from endodecide.rulepack.schema import RuleFile
from endodecide.rulepack.timeline import change_dates, started
from endodecide.workshop.coverage import CoverageResult, evaluate_dates, evaluate_space
from endodecide.workshop.space import sample_space

__all__ = ["LintReport", "lint_pack"]


@dataclass(frozen=True)
class LintReport:
    errors: list[Problem]
    warnings: list[Problem]
    profiles: int
    dates: int = 0  # later dates of the timeline checked on a sample


def _example_problems(pack: RulePack) -> list[Problem]:
    """Every rule's examples, on the last day the rule is in force (the latest date, or the day
    before it retired); a rule that starts after the review must not fire the day before."""
    evaluators: dict[date, Evaluator] = {}

    def fired(day: date, profile: Profile) -> frozenset[str]:
        if day not in evaluators:
            evaluators[day] = Evaluator(pack_at(pack, day))
        return frozenset(evaluators[day].fired_rules(profile))

    problems = []
    for rule in pack.every_rule.values():
        day = pack.example_date(rule.id)
        dated = "" if day == pack.evidence_date else f" (as of {day})"
        for example in rule.examples:
            if (rule.id in fired(day, example.profile)) is not example.fires:
                problems.append(
                    Problem(
                        rule.source,
                        example.line,
                        "examples",
                        f"{rule.id} {'did not fire' if example.fires else 'fired'} on "
                        f"'{example.profile.label}'{dated}",
                        "E440",
                    )
                )
        since = started(rule.card)
        if since is None:
            continue
        eve = since.end - timedelta(days=1)
        for example in rule.examples:
            if example.fires and rule.id in fired(eve, example.profile):
                problems.append(
                    Problem(
                        rule.source,
                        example.line,
                        "since",
                        f"{rule.id} fired on '{example.profile.label}' on {eve}, before it "
                        f"exists ({since})",
                        "E441",
                    )
                )
    return problems


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


def _invariant_problems(
    pack: RulePack,
    coverage: CoverageResult,
    sampled: bool = False,
    reported: set[str] | None = None,
) -> list[Problem]:
    """One error per broken invariant (none for those in ``reported``: already broken at an
    earlier date, which is where a reader should start)."""
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
    when = ""
    if pack.as_of:
        when = f" (evidence as of {pack.date}{', a fixed sample' if sampled else ''})"
    problems = []
    reported = set() if reported is None else reported
    run = f"endodecide run FILE --as-of {pack.date}" if pack.as_of else "endodecide run FILE"
    for invariant in pack.invariants.invariants:
        if invariant.id not in count or invariant.id in reported:
            continue
        reported.add(invariant.id)
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
                f"{count[invariant.id]:,} of {len(coverage.space):,} profiles{when}; the "
                "simplest counter-example follows",
                "E460",
                detail=(
                    f"--- # counter-example for {invariant.id}, broken by {shown}: save as a "
                    f".yaml file and run `{run}`\n"
                    f"{counter_example_yaml(profile, label)}...\n"
                ),
            )
        )
    return problems


# At every date of the timeline after the review, the invariants are checked on one seeded
# sample of this many profiles (patient classes of the latest pack, which probe every threshold
# and value its conditions name, with histories of the review's space and of the rules' own
# examples): the full space of the latest pack is too large to evaluate at every date
# (``coverage --as-of DATE`` checks one date over its whole space).
DATED_SAMPLE = 400


def lint_pack(pack: RulePack, workers: int | None = None) -> LintReport:
    """Lint the pack: the whole derived space at the review's date, and a fixed sample of
    profiles at every later date of its timeline."""
    review = pack_at(pack, pack.evidence_date)
    errors = _example_problems(pack)
    coverage = evaluate_space(review, workers)
    for rule_id in coverage.never_fired(review):
        rule = review.rules[rule_id]
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
    reported: set[str] = set()
    errors += _invariant_problems(review, coverage, reported=reported)
    dated = [(review, coverage)]
    histories = [
        *coverage.space.parts[1],
        *(
            tuple(example.profile.endocrine_history)
            for rule in pack.every_rule.values()
            for example in rule.examples
        ),
    ]
    days = [moment for moment in change_dates(_cards(pack)) if moment > review.date]
    if days:
        latest = pack_at(pack, days[-1])
        sample = sample_space(latest, histories, DATED_SAMPLE)
        for moment, result in evaluate_dates(pack, days, sample, workers).items():
            at = pack_at(pack, moment)
            errors += _invariant_problems(at, result, sampled=True, reported=reported)
            dated.append((at, result))
    warnings: list[Problem] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for day, result in dated:
        for code, attribute, text in (
            ("W501", "overlaps", "propose the same agents and fire together"),
            (
                "W502",
                "conflicts",
                "propose the same agents, one as evidence against, for one profile",
            ),
        ):
            for group, index in _pairs(day, result, attribute).items():
                if (code, group) in seen:
                    continue
                seen.add((code, group))
                rule = day.rules[group[0]]
                point = result.space.classes[index].coordinates
                example = ", ".join(f"{k}={v}" for k, v in point.items())
                when = f" (as of {day.date})" if day.as_of else ""
                warnings.append(
                    Problem(
                        rule.source,
                        rule.field_lines.get("then", rule.line),
                        "then.option.agents",
                        f"{' and '.join(group)} {text}{when}, e.g. {example}",
                        code,
                    )
                )
    return LintReport(errors, warnings, len(coverage.space), len(dated) - 1)


def _cards(pack: RulePack) -> list[RuleFile]:
    return [rule.card for rule in pack.every_rule.values()]

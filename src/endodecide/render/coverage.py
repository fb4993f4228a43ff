"""The coverage report: a terminal summary, CSV files for analysis and an HTML page with two
charts (profiles per rule, gaps per patient kind) drawn from the same rows as its tables."""

from __future__ import annotations

import csv
import io
from collections import Counter

from markupsafe import Markup

from endodecide.disclaimer import DISCLAIMER, disclaimer_at
from endodecide.render.charts_svg import Bar, bar_chart
from endodecide.render.environment import template_environment
from endodecide.rulepack import RulePack
from endodecide.workshop.coverage import CoverageResult, Outcome

__all__ = [
    "EXAMPLES_SHOWN",
    "coverage_charts",
    "gap_rows",
    "profiles_csv",
    "render_coverage_html",
    "render_summary",
    "rule_rows",
    "rules_csv",
]

EXAMPLES_SHOWN = 10
# The derived fact gaps are grouped by: the patient's ESO-ESMO ABC2 endocrine-resistance class.
GROUPED_BY = "endocrine_resistance"


def _status(pack: RulePack, rule_id: str) -> str:
    then = pack.rules[rule_id].card.then
    if then.option is not None:
        return then.option.status
    return then.flag.severity if then.flag is not None else "-"


def _describe(result: CoverageResult, outcome: Outcome) -> str:
    point = result.space.classes[outcome.index].coordinates
    return ", ".join(f"{key}={value}" for key, value in point.items())


def rule_rows(pack: RulePack, result: CoverageResult) -> list[dict[str, object]]:
    return [
        {
            "rule": rule.id,
            "kind": rule.kind,
            "strategy": rule.card.strategy,
            "status": _status(pack, rule.id),
            "profiles": result.rule_counts[rule.id],
            "title": rule.card.title,
        }
        for rule in pack.rules.values()
    ]


def gap_rows(pack: RulePack, result: CoverageResult) -> list[dict[str, object]]:
    """Gaps per patient kind: the unexplained gaps of each endocrine-resistance class (as the
    derive rules concluded it for each in-scope class, in the order of those rules; a class with
    no gap shows 0), then the gaps each known limitation of the pack documents."""
    concludes = {
        rule_id: rule.card.then.derive.value
        for rule_id, rule in pack.rules.items()
        if rule.card.then.derive is not None and rule.card.then.derive.fact == GROUPED_BY
    }
    in_scope: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    for outcome in result.outcomes:
        if not outcome.in_scope:
            continue
        kind = next((concludes[r] for r in outcome.fired if r in concludes), "")
        in_scope[kind] += 1
        gaps[kind] += int(outcome.gap and not outcome.known_limitation)
    kinds = [*dict.fromkeys(concludes.values()), ""]
    rows: list[dict[str, object]] = [
        {
            "kind": f"endocrine resistance: {kind.replace('_', ' ')}" if kind else "no class",
            "gaps": gaps[kind],
            "in_scope": in_scope[kind],
            "explained_by": "",
        }
        for kind in kinds
        if in_scope[kind]
    ]
    rows += [
        {
            "kind": limitation.title,
            "gaps": result.known_limitations[limitation.id],
            "in_scope": None,
            "explained_by": f"known limitation {limitation.id}",
        }
        for limitation in pack.limitations
    ]
    return rows


def _count(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"a count, not {value!r}")
    return value


def coverage_charts(
    rules: list[dict[str, object]], gaps: list[dict[str, object]], classes: int
) -> dict[str, Markup]:
    """The page's two charts, drawn from the rows of its tables: profiles per rule (in the
    table's order; a rule that never fires is a bar of 0) and gaps per patient kind."""
    rule_bars = [
        Bar(
            str(row["rule"]), _count(row["profiles"]), note="" if row["profiles"] else "never fires"
        )
        for row in rules
    ]
    gap_bars = [
        Bar(str(row["kind"]), _count(row["gaps"]), "hatch" if row["explained_by"] else "solid")
        for row in gaps
    ]
    never = [bar.label for bar in rule_bars if not bar.value]
    most = max(rule_bars, key=lambda bar: bar.value, default=None)
    unexplained = sum(_count(row["gaps"]) for row in gaps if not row["explained_by"])
    rules_desc = (
        "Horizontal bars, one per rule in the order of the table 'Profiles per rule': how many "
        f"of the {classes:,} profile classes each rule fires on"
        + (f"; the most, {most.label}: {most.value:,}" if most else "")
        + f"; never firing: {', '.join(never) if never else 'none'}."
    )
    gaps_desc = (
        "Horizontal bars, one per row of the table 'Gaps per patient kind'. Solid: in-scope "
        "classes of each endocrine-resistance class with no standard or investigational option "
        f"and no documented limitation ({unexplained:,} in all). Hatched: the gaps each known "
        "limitation of the pack documents. "
        + "; ".join(f"{bar.label}: {bar.value:,}" for bar in gap_bars)
        + "."
    )
    return {
        "rules": bar_chart("coverage-rules", "Profiles per rule", rules_desc, rule_bars),
        "gaps": bar_chart(
            "coverage-gaps",
            "Gaps per patient kind",
            gaps_desc,
            gap_bars,
            unit="classes",
            labels_above=True,
            legend=[("gap, not documented", "solid"), ("known limitation", "hatch")],
        ),
    }


def render_summary(
    pack: RulePack,
    result: CoverageResult,
    seconds: float,
    workers: int,
    check_engine: bool = False,
) -> str:
    m = pack.manifest
    gaps, never = result.gaps, result.never_fired(pack)
    disclaimer = disclaimer_at(pack.as_of or None)
    lines = [
        disclaimer,
        "",
        f"Coverage of {m.name} {m.version} (evidence as of {pack.date}) over "
        f"{len(result.space):,} profile classes in {seconds:.1f} s on {workers} process(es)",
        *(f"  {line}" for line in result.space.summary()),
        f"  in scope (HR-positive, no out-of-scope flag): {result.in_scope:,}",
        *(
            [
                "  engine and reference interpreter (fired rules, derived facts, options): "
                f"{len(result.disagreements):,} disagreements",
                *(
                    f"      e.g. {_describe(result, o)}: {o.disagreement}"
                    for o in result.disagreements[:EXAMPLES_SHOWN]
                ),
            ]
            if check_engine
            else []
        ),
        f"  gaps (in scope, no standard or investigational option): {len(gaps):,}",
    ]
    lines += [f"      e.g. {_describe(result, o)}" for o in gaps[:EXAMPLES_SHOWN]]
    for limitation in pack.limitations:
        count = result.known_limitations[limitation.id]
        lines.append(
            f"  known limitation '{limitation.id}': {count:,} profiles ({limitation.title})"
        )
    lines.append(
        f"  conflicts (an option proposed and judged evidence against): {len(result.conflicts):,}"
    )
    lines += [
        f"      e.g. {' vs '.join(o.conflicts[0])}: {_describe(result, o)}"
        for o in result.conflicts[:EXAMPLES_SHOWN]
    ]
    lines.append(f"  overlaps (two rules proposing the same agents): {len(result.overlaps):,}")
    lines += [
        f"      e.g. {' and '.join(o.overlaps[0])}: {_describe(result, o)}"
        for o in result.overlaps[:EXAMPLES_SHOWN]
    ]
    lines.append(f"  rules never firing: {', '.join(never) if never else 'none'}")
    broken = result.violations
    lines.append(
        f"  clinical safety invariants: {len(pack.invariants.invariants)} checked on every "
        f"profile, {len(broken)} broken"
    )
    lines += [
        f"      {invariant.id} {invariant.spec.title}: broken on {broken[invariant.id]:,} profiles "
        "(endodecide rules lint shows a counter-example)"
        for invariant in pack.invariants.invariants
        if broken[invariant.id]
    ]
    lines += ["", f"{'RULE':<6} {'KIND':<7} {'STATUS':<16} {'PROFILES':>8}  TITLE"]
    for row in rule_rows(pack, result):
        lines.append(
            f"{row['rule']:<6} {row['kind']:<7} {row['status']:<16} {row['profiles']:>8,}  "
            f"{row['title']}"
        )
    lines += ["", disclaimer]
    return "\n".join(lines) + "\n"


def _csv(header: list[str], rows: list[list[object]], disclaimer: str = DISCLAIMER) -> str:
    buffer = io.StringIO()
    buffer.write(f"# {disclaimer}\n")  # a comment line: read with e.g. pandas comment="#"
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def profiles_csv(result: CoverageResult, disclaimer: str = DISCLAIMER) -> str:
    header = [
        "index",
        *result.space.columns,
        "in_scope",
        "gap",
        "known_limitation",
        "options",
        "flags",
        "conflicts",
        "overlaps",
        "invariants_broken",
    ]
    rows = [
        [
            o.index,
            *result.space.classes[o.index].coordinates.values(),
            int(o.in_scope),
            int(o.gap and not o.known_limitation),
            o.known_limitation,
            " ".join(o.options),
            " ".join(o.flags),
            " ".join("+".join(c) for c in o.conflicts),
            " ".join("+".join(c) for c in o.overlaps),
            " ".join(sorted({v.invariant for v in o.violations})),
        ]
        for o in result.outcomes
    ]
    return _csv(header, rows, disclaimer)


def rules_csv(pack: RulePack, result: CoverageResult) -> str:
    rows = rule_rows(pack, result)
    header = list(rows[0])
    return _csv(header, [list(row.values()) for row in rows], disclaimer_at(pack.as_of or None))


def render_coverage_html(
    pack: RulePack, result: CoverageResult, seconds: float, workers: int
) -> str:
    rows, gaps = rule_rows(pack, result), gap_rows(pack, result)
    return (
        template_environment("html")
        .get_template("coverage.html.j2")
        .render(
            disclaimer=disclaimer_at(pack.as_of or None),
            evidence_as_of=str(pack.date),
            pack=pack.manifest,
            limitations=pack.limitations,
            invariants=pack.invariants.invariants,
            result=result,
            space=result.space,
            never=result.never_fired(pack),
            rows=rows,
            gap_rows=gaps,
            charts=coverage_charts(rows, gaps, len(result.space)),
            seconds=seconds,
            workers=workers,
            examples=EXAMPLES_SHOWN,
            describe=lambda o: _describe(result, o),
        )
    )

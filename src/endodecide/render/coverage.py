"""The coverage report: a terminal summary, CSV files for analysis and an HTML page."""

from __future__ import annotations

import csv
import io

from endodecide.disclaimer import DISCLAIMER, disclaimer_at
from endodecide.render.environment import template_environment
from endodecide.rulepack import RulePack
from endodecide.workshop.coverage import CoverageResult, Outcome

__all__ = ["EXAMPLES_SHOWN", "profiles_csv", "render_coverage_html", "render_summary", "rules_csv"]

EXAMPLES_SHOWN = 10


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
            rows=rule_rows(pack, result),
            seconds=seconds,
            workers=workers,
            examples=EXAMPLES_SHOWN,
            describe=lambda o: _describe(result, o),
        )
    )

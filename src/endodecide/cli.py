"""The command line (the only module importing typer): run, report, validate, schema, rules,
evidence."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from endodecide.disclaimer import DISCLAIMER
from endodecide.errors import EndodecideError, EvaluationError, InputError, Problem

__all__ = ["app", "main"]

app = typer.Typer(
    help=f"endodecide - {DISCLAIMER}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
rules_app = typer.Typer(
    help="Read, check and compare the rule pack: list, show, lint, catalog, diff.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")
evidence_app = typer.Typer(
    help="Read the evidence catalogue: list entries, show one entry.", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")

EXIT_INVALID = 1
EXIT_INTERNAL = 3


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    both = "both"


class SchemaKind(StrEnum):
    profile = "profile"
    result = "result"


Paths = Annotated[list[Path], typer.Argument(help="Profile files (.yaml, .yml, .json) or folders.")]
Workers = Annotated[
    int | None, typer.Option("--workers", "-j", min=1, help="Processes (default: all cores).")
]
RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Rule pack folder (default: $ENDODECIDE_RULES or ./rules)."),
]


def _fail(problems: list[Problem] | list[str], code: int = EXIT_INVALID) -> None:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(code)


def _pack(rules: Path | None):
    from endodecide.rulebook import default_rules_dir, load_rulebook

    return load_rulebook(rules or default_rules_dir())


@app.command()
def run(
    paths: Paths,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = (
        OutputFormat.text
    ),
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also show why each option holds and what was considered but not offered.",
        ),
    ] = False,
    rules: RulesDir = None,
    workers: Workers = None,
) -> None:
    """Evaluate hypothetical profiles: derived facts, flags and options with citations."""
    from endodecide.batch import evaluate_paths
    from endodecide.evaluate import pack_info
    from endodecide.render.text import render_run
    from endodecide.result import ProblemOut, RunOutput
    from endodecide.rulebook import default_rules_dir

    root = rules or default_rules_dir()
    pack = _pack(root)
    results, problems = evaluate_paths(pack, root, paths, explain, workers)
    info = pack_info(pack)
    if output is OutputFormat.json:
        document = RunOutput(
            disclaimer=DISCLAIMER,
            rule_pack=info,
            results=results,
            errors=[ProblemOut(**p.to_dict()) for p in problems],
        )
        sys.stdout.write(document.model_dump_json(indent=2) + "\n")
    elif results:
        sys.stdout.write(render_run(info, results, explain))
    if problems:
        _fail(problems)


@app.command()
def report(
    paths: Paths,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the reports into (created).")
    ],
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="html, md or both.")
    ] = ReportFormat.html,
    rules: RulesDir = None,
    workers: Workers = None,
) -> None:
    """Write one explanatory report per profile, plus an index page, as HTML and/or Markdown."""
    from endodecide.batch import evaluate_paths
    from endodecide.evaluate import pack_info
    from endodecide.render.report import (
        ReportFile,
        render_index,
        render_report,
        report_names,
        write_atomic,
    )
    from endodecide.rulebook import default_rules_dir

    root = rules or default_rules_dir()
    pack = _pack(root)
    results, problems = evaluate_paths(pack, root, paths, explain=True, workers=workers)
    info = pack_info(pack)
    formats = ["html", "md"] if output is ReportFormat.both else [output.value]
    if results:
        if out.exists() and not out.is_dir():
            _fail([f"{out}: --out must be a folder, and this is a file"])
        out.mkdir(parents=True, exist_ok=True)
        reports = [
            ReportFile(name, r)
            for name, r in zip(report_names([r.source for r in results]), results, strict=True)
        ]
        for fmt in formats:
            pages = {f"{rep.name}.{fmt}": render_report(info, rep.result, fmt) for rep in reports}
            pages[f"index.{fmt}"] = render_index(info, reports, fmt)
            for name, text in pages.items():
                write_atomic(out / name, text)
        typer.echo(
            f"Wrote {len(reports)} report(s) and an index as {' and '.join(formats)} to {out}. "
            f"{DISCLAIMER}"
        )
    if problems:
        _fail(problems)


@app.command()
def validate(paths: Paths) -> None:
    """Check profiles without evaluating them; list every problem found."""
    from endodecide.profile import load_profiles

    loaded, problems = load_profiles(paths)
    for item in loaded:
        typer.echo(f"ok: {item.source}")
    if problems:
        _fail(problems)
    typer.echo(f"{len(loaded)} profile(s) valid. {DISCLAIMER}")


@app.command()
def schema(
    what: Annotated[SchemaKind, typer.Argument(help="profile (input) or result (JSON output).")] = (
        SchemaKind.profile
    ),
) -> None:
    """Print the JSON Schema of a profile file, or of the JSON result of 'run'."""
    if what is SchemaKind.profile:
        from endodecide.profile import Profile

        document = Profile.model_json_schema()
    else:
        from endodecide.result import RunOutput

        document = RunOutput.model_json_schema()
    document["$comment"] = DISCLAIMER
    typer.echo(json.dumps(document, indent=2))


@rules_app.command("list")
def rules_list(rules: RulesDir = None) -> None:
    """List every rule: id, kind, strategy, status and title."""
    from endodecide.render.card import render_rule_list

    pack = _pack(rules)
    sys.stdout.write(render_rule_list(pack))
    typer.echo(
        f"\n{len(pack.rules)} rules in {pack.manifest.name} {pack.manifest.version}. {DISCLAIMER}"
    )


@rules_app.command("lint")
def rules_lint(
    directory: Annotated[
        Path | None, typer.Argument(help="Rule pack folder (default: as for --rules).")
    ] = None,
    rules: RulesDir = None,
    workers: Workers = None,
) -> None:
    """Check the pack: schema, vocabulary, ids, evidence, examples, and the whole profile space."""
    from endodecide.lint import lint_pack
    from endodecide.rulebook import default_rules_dir

    root = directory or rules or default_rules_dir()
    pack = _pack(root)
    report = lint_pack(pack, root, workers)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if report.errors:
        _fail(report.errors)
    typer.echo(
        f"{len(pack.rules)} rules checked: schema, evidence, examples and "
        f"{report.profiles:,} enumerated profiles; {len(report.warnings)} warning(s). "
        f"{DISCLAIMER}"
    )


@rules_app.command("catalog")
def rules_catalog(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the catalogue into.")],
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="html, md or both.")
    ] = ReportFormat.both,
    rules: RulesDir = None,
) -> None:
    """Write the rule catalogue: one entry per rule with evidence, examples and review record."""
    from endodecide.evaluate import pack_info
    from endodecide.render.catalog import render_catalog
    from endodecide.render.report import write_atomic

    pack = _pack(rules)
    if out.exists() and not out.is_dir():
        _fail([f"{out}: --out must be a folder, and this is a file"])
    out.mkdir(parents=True, exist_ok=True)
    formats = ["html", "md"] if output is ReportFormat.both else [output.value]
    for fmt in formats:
        write_atomic(out / f"catalog.{fmt}", render_catalog(pack, pack_info(pack), fmt))
    typer.echo(
        f"Wrote the catalogue of {len(pack.rules)} rules as {' and '.join(formats)} to {out}. "
        f"{DISCLAIMER}"
    )


@rules_app.command("diff")
def rules_diff(
    old: Annotated[Path, typer.Argument(help="The rule pack folder before the edit.")],
    new: Annotated[Path, typer.Argument(help="The rule pack folder after the edit.")],
    profiles: Annotated[
        Path, typer.Option("--profiles", help="Teaching profiles to compare on.")
    ] = Path("profiles"),
    workers: Workers = None,
) -> None:
    """Show what an edit does: changed rules and evidence, and the profiles whose options change."""
    from endodecide.diff import diff_packs
    from endodecide.profile import load_profiles
    from endodecide.render.diff import render_diff

    before, after = _pack(old), _pack(new)
    loaded, problems = load_profiles([profiles])
    if problems:
        _fail(problems)
    sys.stdout.write(render_diff(diff_packs(old, new, before, after, loaded, workers)))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="A rule id such as ED210.")], rules: RulesDir = None
) -> None:
    """Print one rule's card: statement, conditions, options, evidence, examples, review."""
    from endodecide.render.card import render_card
    from endodecide.validation import did_you_mean

    pack = _pack(rules)
    rule = pack.rules.get(rule_id.upper())
    if rule is None:
        _fail([f"no rule '{rule_id}'{did_you_mean(rule_id.upper(), list(pack.rules))}"])
        return
    sys.stdout.write(render_card(pack, rule))
    typer.echo(f"\n{DISCLAIMER}")


@app.command()
def handout(
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Teaching profiles (default: ./profiles)."),
    ] = None,
    rules: RulesDir = None,
) -> None:
    """Write one printable workshop handout: the teaching cases, their results, the catalogue."""
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.profile import load_profiles
    from endodecide.render.catalog import render_handout
    from endodecide.render.report import write_atomic

    pack = _pack(rules)
    loaded, problems = load_profiles(paths or [Path("profiles")])
    if problems:
        _fail(problems)
    if out.is_dir():
        _fail([f"{out}: --out must be a file name, and this is a folder"])
    evaluator = Evaluator(pack)
    results = [evaluator.evaluate(item.profile, item.source) for item in loaded]
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, render_handout(pack, pack_info(pack), results))
    typer.echo(f"Wrote the handout ({len(results)} cases, {len(pack.rules)} rules) to {out}.")


@app.command()
def coverage(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write profiles.csv, rules.csv and coverage.html."),
    ] = None,
    rules: RulesDir = None,
    workers: Workers = None,
) -> None:
    """Evaluate the whole discretised profile space: gaps, conflicts, overlaps, rule counts."""
    import os
    import time

    from endodecide.coverage import evaluate_space
    from endodecide.render.coverage import (
        profiles_csv,
        render_coverage_html,
        render_summary,
        rules_csv,
    )
    from endodecide.render.report import write_atomic
    from endodecide.rulebook import default_rules_dir

    root = rules or default_rules_dir()
    pack = _pack(root)
    if out is not None:
        if out.exists() and not out.is_dir():
            _fail([f"{out}: --out must be a folder, and this is a file"])
        out.mkdir(parents=True, exist_ok=True)  # fail before the enumeration, not after
    count = workers or os.cpu_count() or 1
    started = time.perf_counter()
    result = evaluate_space(root, count)
    seconds = time.perf_counter() - started
    sys.stdout.write(render_summary(pack, result, seconds, count))
    if out is not None:
        write_atomic(out / "profiles.csv", profiles_csv(result))
        write_atomic(out / "rules.csv", rules_csv(pack, result))
        write_atomic(out / "coverage.html", render_coverage_html(pack, result, seconds, count))
        typer.echo(f"Wrote profiles.csv, rules.csv and coverage.html to {out}.")


@evidence_app.command("list")
def evidence_list(rules: RulesDir = None) -> None:
    """List every catalogue entry: id, year, kind, identifier and short name."""
    from endodecide.render.evidence import render_evidence_list

    pack = _pack(rules)
    sys.stdout.write(render_evidence_list(pack))
    m = pack.manifest
    typer.echo(
        f"\n{len(pack.catalogue.entries)} entries in {m.name} {m.version} "
        f"(evidence as of {m.evidence_as_of}). {DISCLAIMER}"
    )


@evidence_app.command("show")
def evidence_show(
    entry_id: Annotated[str, typer.Argument(help="A catalogue id such as bolero-2-pfs.")],
    rules: RulesDir = None,
) -> None:
    """Print one entry: citation, identifiers, design, result, and the rules citing it."""
    from endodecide.render.evidence import render_entry
    from endodecide.validation import did_you_mean

    pack = _pack(rules)
    entry = pack.catalogue.entries.get(entry_id.lower())
    if entry is None:
        known = list(pack.catalogue.entries)
        _fail([f"no evidence entry '{entry_id}'{did_you_mean(entry_id.lower(), known)}"])
        return
    sys.stdout.write(render_entry(pack, entry))
    typer.echo(f"\n{DISCLAIMER}")


def main() -> None:
    """Entry point: errors from bad input become one line each and exit code 1."""
    try:
        app()
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except EvaluationError as exc:
        print(f"internal error (please report): {exc}", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    except EndodecideError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except OSError as exc:  # an output folder or file that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        sys.exit(EXIT_INVALID)

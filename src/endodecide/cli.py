"""The command line (the only module importing typer): run, report, validate, schema, rules,
evidence, coverage, handout, timeline, directions, workshop (serve, minutes), fhir (import,
export), serve (CDS Hooks), feedback.

Everything the user can meet ends at one edge, ``main()``: bad input is one line per problem and
exit 1, wrong usage exit 2, a bug one line and exit 3 (``ENDODECIDE_DEBUG=1`` shows the
traceback), Ctrl-C one line and exit 130.
"""

from __future__ import annotations

# isort: off
# First, before the slow imports: a Ctrl-C while the command starts ends quietly too.
from endodecide.interrupt import EXIT_INTERRUPTED, Interrupted
from endodecide.interrupt import MESSAGE as INTERRUPTED_MESSAGE
from endodecide.interrupt import install as install_interrupt

# isort: on
import json
import os
import shlex
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from endodecide import __version__
from endodecide.disclaimer import DISCLAIMER
from endodecide.errors import (
    EndodecideError,
    EvaluationError,
    InputError,
    Problem,
    display_path,
)
from endodecide.textsafe import printable

if TYPE_CHECKING:
    from endodecide.profile import LoadedProfile
    from endodecide.render.environment import Format
    from endodecide.rulepack import RulePack

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
workshop_app = typer.Typer(
    help="Run a rule-review workshop: serve (the web server), minutes (of a session).",
    no_args_is_help=True,
)
app.add_typer(workshop_app, name="workshop")
fhir_app = typer.Typer(
    help="Hypothetical mCODE FHIR R4 bundles: import one into a profile (with a provenance and "
    "gap report), export a profile as one.",
    no_args_is_help=True,
)
app.add_typer(fhir_app, name="fhir")

EXIT_INVALID = 1
EXIT_INTERNAL = 3
DEBUG_VARIABLE = "ENDODECIDE_DEBUG"


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
    int | None,
    typer.Option(
        "--workers", "-j", min=1, help="Processes (default: every CPU; never more than the CPUs)."
    ),
]
RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Rule pack folder (default: $ENDODECIDE_RULES or ./rules)."),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Answer as the evidence stood on DATE (YYYY-MM-DD), 'latest' (the newest date in "
        "the pack) or 'review' (the review's evidence date: the default).",
    ),
]
# A page to read (timeline, directions): Markdown on the terminal unless --out names a folder.
PageOut = Annotated[
    str | None,
    typer.Option("--out", "-o", metavar="DIR", help="Write the page here as .html and/or .md."),
]
PageFormat = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="With --out: html, md or both.")
]
# --out is read as text, not as a Path: Path("") is ".", so an empty --out would silently mean
# the current folder. _out_path() turns it into a Path and rejects an empty one (exit 2).
OutDir = Annotated[str, typer.Option("--out", "-o", metavar="DIR", help="Folder to write into.")]


def _flag(name: str, help_text: str) -> Any:
    """A boolean option given with no value (``--explain``), shown without a type in --help."""
    return typer.Option(name, metavar="", help=help_text)


def _fail(problems: list[Problem] | list[str], code: int = EXIT_INVALID) -> NoReturn:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(code)


def _out_path(value: str) -> Path:
    """The --out value as a path; empty or blank is a usage error (exit 2), never the current
    folder."""
    if not value.strip():
        raise typer.BadParameter(
            "must name a folder or file, not be empty", param_hint="'--out' / '-o'"
        )
    return Path(value)


def _make_folder(folder: Path) -> None:
    """Create the --out folder (and its parents); an existing file there is an error."""
    if folder.exists() and not folder.is_dir():
        _fail([f"{display_path(folder)}: --out must be a folder, and this is a file"])
    folder.mkdir(parents=True, exist_ok=True)


def _formats(output: ReportFormat) -> list[Format]:
    """The file formats to write for --format: html, md, or both in that order."""
    if output is ReportFormat.both:
        return ["html", "md"]
    return ["md"] if output is ReportFormat.md else ["html"]


def _load_profiles(paths: list[Path]) -> list[LoadedProfile]:
    """Every profile under ``paths``; any problem is an error, listed with all the others."""
    from endodecide.profile import load_profiles

    loaded, problems = load_profiles(paths)
    if problems:
        _fail(problems)
    return loaded


def _note_workers(requested: int | None) -> None:
    """Say so on stderr when -j asks for more processes than there are CPUs to run them."""
    from endodecide.parallel import available_cpus

    cpus = available_cpus()
    if requested is not None and requested > cpus:
        typer.echo(
            f"note: -j {requested} is more than the {cpus} CPU(s) here; "
            f"using at most {cpus} process(es).",
            err=True,
        )


def _echo_with_disclaimer(text: str) -> None:
    """The closing line of a command, then the disclaimer: every output carries it."""
    from endodecide.render.text import wrap

    typer.echo(wrap(text))
    typer.echo(wrap(DISCLAIMER))


def _pack_version(root: Path) -> str:
    """The rule pack's name and version, read from its manifest alone (no full load)."""
    from endodecide.sources import read_document

    document = read_document(root / "pack.yaml")
    data = getattr(document, "data", None)
    if not isinstance(data, dict) or not data.get("name"):
        return f"rule pack: none readable at {display_path(root)}"
    return printable(
        f"rule pack {data.get('name')} {data.get('version', '?')} at {display_path(root)}, "
        f"evidence as of {data.get('evidence_as_of', '?')}"
    )


def _show_version(value: bool) -> None:
    if not value:
        return
    from endodecide.render.text import wrap
    from endodecide.rulepack import default_rules_dir

    typer.echo(f"endodecide {__version__}")
    typer.echo(_pack_version(default_rules_dir()))
    typer.echo(wrap(DISCLAIMER))
    raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            is_eager=True,
            callback=_show_version,
            help="Print the version of endodecide and of the rule pack, then exit.",
        ),
    ] = False,
) -> None:
    # The options of the program itself (--version); each command does the work.
    del version


def _pack_at(rules: Path | None, as_of: str | None = None) -> tuple[Path, RulePack]:
    """The rule pack folder (the one given, else $ENDODECIDE_RULES or ./rules) and the pack
    loaded from it, as the evidence stood on ``as_of`` (see ``--as-of``)."""
    from endodecide.rulepack import default_rules_dir, load_pack

    root = rules or default_rules_dir()
    return root, _dated(load_pack(root), as_of)


def _pack(rules: Path | None, as_of: str | None = None) -> RulePack:
    return _pack_at(rules, as_of)[1]


def _dated(pack: RulePack, as_of: str | None, option: str = "--as-of") -> RulePack:
    from endodecide.rulepack import pack_at

    return pack if as_of is None else pack_at(pack, _day(pack, as_of, option))


def _day(pack: RulePack, text: str, option: str = "--as-of") -> date:
    """A date the pack can answer for: YYYY-MM-DD from its evidence date on, latest, review."""
    from endodecide.dates import parse_day

    word = text.strip().lower()
    if word == "latest":
        return pack.latest_date
    if word == "review":
        return pack.evidence_date
    try:
        day = parse_day(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}, 'latest' or 'review'", param_hint=f"'{option}'") from None
    if day < pack.evidence_date:
        raise typer.BadParameter(
            f"{day} is before the pack's evidence date ({pack.evidence_date}): the pack states "
            "the evidence from that date on; use a later date, 'review' or 'latest'",
            param_hint=f"'{option}'",
        )
    return day


_BOOLEAN_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0"}


@app.command()
def run(
    paths: Paths,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = (
        OutputFormat.text
    ),
    explain: Annotated[
        bool,
        _flag(
            "--explain",
            "Also show why each option holds and what was considered but not offered.",
        ),
    ] = False,
    summary: Annotated[
        bool,
        _flag(
            "--summary",
            "Text format: print only the summary table (one row per profile), not each profile "
            "in full. Several profiles get the table after their full output anyway.",
        ),
    ] = False,
    rules: RulesDir = None,
    workers: Workers = None,
    as_of: AsOf = None,
) -> None:
    """Evaluate hypothetical profiles: derived facts, flags and options with citations."""
    for path in paths:  # "--explain false": the flag takes no value, so "false" became a path
        if str(path).lower() in _BOOLEAN_WORDS and not path.exists():
            raise typer.BadParameter(
                f"'{printable(str(path))}' is not a file or folder; --explain and --summary are "
                "flags and take no value (leave a flag out to turn it off)",
                param_hint="PATHS",
            )
    if summary and output is OutputFormat.json:
        raise typer.BadParameter("--summary is for the text format", param_hint="'--summary'")
    _note_workers(workers)
    from endodecide.batch import evaluate_paths
    from endodecide.evaluate import pack_info
    from endodecide.render.json import render_run_json
    from endodecide.render.text import render_run

    root, pack = _pack_at(rules, as_of)
    results, problems = evaluate_paths(pack, root, paths, explain, workers)
    info = pack_info(pack)
    if output is OutputFormat.json:
        sys.stdout.write(render_run_json(info, results, problems))
    elif results:
        where = " ".join(shlex.quote(printable(str(path))) for path in paths)
        where = where if len(where) <= 50 else "PATH..."  # a long list of files: not repeated
        sys.stdout.write(
            render_run(
                info,
                results,
                explain,
                full=not summary,
                report_command=f"endodecide report {where} --out reports/"
                + (f" --as-of {shlex.quote(as_of)}" if as_of else ""),
            )
        )
    if problems:
        _fail(problems)


@app.command()
def report(
    paths: Paths,
    out: Annotated[
        str,
        typer.Option(
            "--out", "-o", metavar="DIR", help="Folder to write the reports into (created)."
        ),
    ],
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="html, md or both.")
    ] = ReportFormat.html,
    rules: RulesDir = None,
    workers: Workers = None,
    as_of: AsOf = None,
    compare_to: Annotated[
        str | None,
        typer.Option(
            "--compare-to",
            metavar="DATE",
            help="Add 'then and now' to every report: the options on DATE (YYYY-MM-DD, 'review' "
            "or 'latest') beside those of --as-of, each difference with the trial behind it.",
        ),
    ] = None,
) -> None:
    """Write one explanatory report per profile, plus an index page, as HTML and/or Markdown."""
    folder = _out_path(out)
    _note_workers(workers)
    from endodecide.batch import evaluate_paths
    from endodecide.evaluate import pack_info
    from endodecide.render.report import (
        Comparison,
        ReportFile,
        render_index,
        render_report,
        report_names,
        write_atomic,
    )

    root, pack = _pack_at(rules, as_of)
    earlier = None if compare_to is None else _dated(pack, compare_to, "--compare-to")
    results, problems = evaluate_paths(pack, root, paths, explain=True, workers=workers)
    info = pack_info(pack)
    formats = _formats(output)
    review = str(pack.evidence_date)
    comparisons: dict[str, Comparison | None] = {r.source: None for r in results}
    if earlier is not None:
        from endodecide.evaluate import Evaluator
        from endodecide.profile import load_profiles
        from endodecide.render.timeline import then_and_now

        before, after = sorted([earlier, pack], key=lambda p: p.date)
        evaluator = Evaluator(earlier)
        for item in load_profiles(paths)[0]:  # problems were reported by evaluate_paths
            then = evaluator.evaluate(item.profile, item.source)
            now = next(r for r in results if r.source == item.source)
            pair = (then, now) if earlier is before else (now, then)
            comparisons[item.source] = Comparison(
                str(before.date),
                str(after.date),
                then_and_now(pack, *pair, before.date, after.date),
            )
    if results:
        from endodecide.profile import load_profiles
        from endodecide.render.history_svg import history_figure

        _make_folder(folder)
        reports = [
            ReportFile(name, r)
            for name, r in zip(report_names([r.source for r in results]), results, strict=True)
        ]
        profiles = {item.source: item.profile for item in load_profiles(paths)[0]}
        histories = {
            rep.name: history_figure(
                profiles[rep.result.source], rep.result, pack, info, file=f"{rep.name}.history.svg"
            )
            for rep in reports
        }
        for fmt in formats:
            pages = {
                f"{rep.name}.{fmt}": render_report(
                    info,
                    rep.result,
                    fmt,
                    comparisons[rep.result.source],
                    review,
                    histories[rep.name],
                )
                for rep in reports
            }
            if fmt == "md":  # the picture beside the Markdown report that links it, written first
                pages = {f"{n}.history.svg": h.standalone for n, h in histories.items()} | pages
            pages[f"index.{fmt}"] = render_index(info, reports, fmt)
            for name, text in pages.items():
                write_atomic(folder / name, text)
        _echo_with_disclaimer(
            f"Wrote {len(reports)} report(s) and an index as {' and '.join(formats)} to "
            f"{display_path(folder)}."
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
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    bad = len({problem.file for problem in problems})
    _echo_with_disclaimer(
        f"Checked {len(loaded) + bad} file(s): {len(loaded)} profile(s) valid, {bad} with problems."
    )
    if problems:
        raise typer.Exit(EXIT_INVALID)


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
def rules_list(rules: RulesDir = None, as_of: AsOf = None) -> None:
    """List every rule in force: id, kind, strategy, status and title."""
    from endodecide.render.card import render_rule_list

    pack = _pack(rules, as_of)
    sys.stdout.write(render_rule_list(pack))
    typer.echo()
    m = pack.manifest
    dated = f" in force on {pack.date}" if pack.as_of else ""
    _echo_with_disclaimer(f"{len(pack.rules)} rules{dated} in {m.name} {m.version}.")


@rules_app.command("lint")
def rules_lint(
    directory: Annotated[
        Path | None, typer.Argument(help="Rule pack folder (default: as for --rules).")
    ] = None,
    rules: RulesDir = None,
    workers: Workers = None,
) -> None:
    """Check the pack: schema, vocabulary, ids, evidence, examples, and the whole profile space."""
    from endodecide.workshop.lint import DATED_SAMPLE, lint_pack

    _note_workers(workers)
    _, pack = _pack_at(directory or rules)
    report = lint_pack(pack, workers)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if report.errors:
        _fail(report.errors)
    _echo_with_disclaimer(
        f"{len(pack.every_rule)} rules checked: schema, evidence, timeline, examples, "
        f"{report.profiles:,} profile classes at the review's date and a sample of "
        f"{DATED_SAMPLE} profiles at each of {report.dates} later dates; "
        f"{len(report.warnings)} warning(s)."
    )


@rules_app.command("catalog")
def rules_catalog(
    out: Annotated[
        str, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the catalogue into.")
    ],
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="html, md or both.")
    ] = ReportFormat.both,
    rules: RulesDir = None,
    as_of: AsOf = None,
) -> None:
    """Write the rule catalogue: one entry per rule with evidence, examples and review record."""
    from endodecide.evaluate import pack_info
    from endodecide.render.catalog import render_catalog
    from endodecide.render.report import write_atomic

    folder = _out_path(out)
    pack = _pack(rules, as_of)
    _make_folder(folder)
    formats = _formats(output)
    for fmt in formats:
        write_atomic(folder / f"catalog.{fmt}", render_catalog(pack, pack_info(pack), fmt))
    _echo_with_disclaimer(
        f"Wrote the catalogue of {len(pack.rules)} rules as {' and '.join(formats)} to "
        f"{display_path(folder)}."
    )


@rules_app.command("diff")
def rules_diff(
    old: Annotated[
        Path | None,
        typer.Argument(help="The rule pack folder before the edit (default: the rule pack)."),
    ] = None,
    new: Annotated[
        Path | None,
        typer.Argument(help="The rule pack folder after the edit (default: the same as OLD)."),
    ] = None,
    profiles: Annotated[
        Path, typer.Option("--profiles", help="Teaching profiles to compare on.")
    ] = Path("profiles"),
    workers: Workers = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The date of the first side: YYYY-MM-DD, 'review' (default) or 'latest'.",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="DATE",
            help="The date of the second side (default: the same as --as-of). "
            "'rules diff --as-of review --to latest' shows what the evidence since the review "
            "changed, and why.",
        ),
    ] = None,
) -> None:
    """Show what an edit, or the passing of time, does: changed rules and evidence, the profiles
    whose options change, and the dated evidence behind each change."""
    from endodecide.render.diff import render_diff
    from endodecide.workshop.diff import diff_packs

    _note_workers(workers)
    if old is None and new is not None:
        raise typer.BadParameter("give OLD as well as NEW", param_hint="OLD")
    before = _pack(old, as_of)
    after = _pack(new or old, to if to is not None else as_of)
    loaded = _load_profiles([profiles])
    sys.stdout.write(render_diff(diff_packs(before, after, loaded, workers)))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="A rule id such as ED210.")],
    rules: RulesDir = None,
    as_of: AsOf = None,
) -> None:
    """Print one rule's card: statement, conditions, options, evidence, examples, review."""
    from endodecide.render.card import render_card
    from endodecide.validation import did_you_mean

    pack = _pack(rules, as_of)
    rule = pack.rules.get(rule_id.upper()) or pack.every_rule.get(rule_id.upper())
    if rule is None:
        _fail([f"no rule '{rule_id}'{did_you_mean(rule_id.upper(), list(pack.every_rule))}"])
    sys.stdout.write(render_card(pack, rule))
    typer.echo(f"\n{DISCLAIMER}")


@app.command()
def handout(
    out: Annotated[
        str, typer.Option("--out", "-o", metavar="FILE", help="The HTML file to write.")
    ],
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Teaching profiles (default: ./profiles)."),
    ] = None,
    rules: RulesDir = None,
    as_of: AsOf = None,
) -> None:
    """Write one printable workshop handout: the teaching cases, their results, the catalogue."""
    from endodecide.evaluate import Evaluator, pack_info
    from endodecide.render.catalog import render_handout
    from endodecide.render.history_svg import history_figure
    from endodecide.render.report import write_atomic

    file = _out_path(out)
    pack = _pack(rules, as_of)
    loaded = _load_profiles(paths or [Path("profiles")])
    if file.is_dir():
        _fail([f"{display_path(file)}: --out must be a file name, and this is a folder"])
    evaluator = Evaluator(pack)
    results = [evaluator.evaluate(item.profile, item.source) for item in loaded]
    info = pack_info(pack)
    histories = [
        history_figure(item.profile, result, pack, info, ident=f"case-{number}-history")
        for number, (item, result) in enumerate(zip(loaded, results, strict=True), start=1)
    ]
    file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(file, render_handout(pack, info, results, histories))
    _echo_with_disclaimer(
        f"Wrote the handout ({len(results)} cases, {len(pack.rules)} rules) to "
        f"{display_path(file)}."
    )


def _pages(
    out: str | None, output: ReportFormat, stem: str, render: Callable[[Format], str]
) -> None:
    """A page to read: Markdown on the terminal, or STEM.html / STEM.md written to --out."""
    from endodecide.render.report import write_atomic

    if out is None:
        sys.stdout.write(render("md"))
        return
    folder = _out_path(out)
    _make_folder(folder)
    formats = _formats(output)
    for fmt in formats:
        write_atomic(folder / f"{stem}.{fmt}", render(fmt))
    _echo_with_disclaimer(f"Wrote the {stem} as {' and '.join(formats)} to {display_path(folder)}.")


@app.command()
def timeline(
    target: Annotated[
        str | None,
        typer.Argument(help="A rule id (ED310) or a strategy (cell-cycle); default: every rule."),
    ] = None,
    out: PageOut = None,
    output: PageFormat = ReportFormat.both,
    rules: RulesDir = None,
) -> None:
    """The dated history of a rule or strategy: when it came into force or changed status after
    the review, and the trials that decided each change."""
    from endodecide.evaluate import pack_info
    from endodecide.render.timeline import render_timeline
    from endodecide.validation import did_you_mean

    pack = _pack(rules)
    strategies = [s.id for s in pack.manifest.strategies]
    title = "Evidence timeline of the rule pack"
    if target is not None:
        if target.upper() in pack.every_rule:
            card = pack.every_rule[target.upper()].card
            title = f"Evidence timeline of {card.id}: {card.title}"
        elif target in strategies:
            title = f"Evidence timeline of the strategy: {pack.strategy(target).title}"
        else:
            known = [*pack.every_rule, *strategies]
            _fail(
                [
                    f"no rule or strategy '{target}'{did_you_mean(target, known)}; give a rule id "
                    f"(ED310) or one of the strategies: {', '.join(strategies)}"
                ]
            )
    info = pack_info(pack)
    _pages(out, output, "timeline", lambda fmt: render_timeline(pack, info, target, title, fmt))


@app.command()
def directions(
    out: PageOut = None,
    output: PageFormat = ReportFormat.both,
    rules: RulesDir = None,
) -> None:
    """The review's future directions, scored: what became of each, with the deciding trials."""
    from endodecide.evaluate import pack_info
    from endodecide.render.timeline import render_directions

    pack = _pack(rules)
    if not pack.manifest.directions:
        _fail([f"{pack.root}/pack.yaml has no 'directions' to score"])
    info = pack_info(pack)
    _pages(out, output, "directions", lambda fmt: render_directions(pack, info, fmt))


@app.command()
def coverage(
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Also write profiles.csv, rules.csv and coverage.html.",
        ),
    ] = None,
    rules: RulesDir = None,
    workers: Workers = None,
    check_engine: Annotated[
        bool,
        typer.Option(
            "--check-engine",
            help="Also decide every class with the reference interpreter and count where it "
            "and the engine disagree (exit 1 if they do).",
        ),
    ] = False,
    as_of: AsOf = None,
) -> None:
    """Evaluate the profile space derived from the rule pack: gaps, conflicts, overlaps, rule
    counts and the clinical safety invariants, one representative per class."""
    import time

    from endodecide.disclaimer import disclaimer_at
    from endodecide.parallel import plan_workers
    from endodecide.render.coverage import (
        profiles_csv,
        render_coverage_html,
        render_summary,
        rules_csv,
    )
    from endodecide.render.report import write_atomic
    from endodecide.workshop.coverage import evaluate_space

    folder = None if out is None else _out_path(out)
    _note_workers(workers)
    _, pack = _pack_at(rules, as_of)
    if folder is not None:
        _make_folder(folder)  # fail before the enumeration, not after
    count = plan_workers(workers)  # what evaluate_space starts, said in the summary
    started = time.perf_counter()
    result = evaluate_space(pack, count, check_engine=check_engine)
    seconds = time.perf_counter() - started
    sys.stdout.write(render_summary(pack, result, seconds, count, check_engine))
    if folder is not None:
        write_atomic(
            folder / "profiles.csv", profiles_csv(result, disclaimer_at(pack.as_of or None))
        )
        write_atomic(folder / "rules.csv", rules_csv(pack, result))
        write_atomic(folder / "coverage.html", render_coverage_html(pack, result, seconds, count))
        _echo_with_disclaimer(
            f"Wrote profiles.csv, rules.csv and coverage.html to {display_path(folder)}."
        )
    if result.disagreements:
        raise typer.Exit(1)


@evidence_app.command("list")
def evidence_list(rules: RulesDir = None) -> None:
    """List every catalogue entry: id, year, kind, identifier and short name."""
    from endodecide.render.evidence import render_evidence_list

    pack = _pack(rules)
    sys.stdout.write(render_evidence_list(pack))
    m = pack.manifest
    typer.echo()
    _echo_with_disclaimer(
        f"{len(pack.evidence.entries)} entries in {m.name} {m.version} "
        f"(evidence as of {m.evidence_as_of})."
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
    entry = pack.evidence.entries.get(entry_id.lower())
    if entry is None:
        known = list(pack.evidence.entries)
        _fail([f"no evidence entry '{entry_id}'{did_you_mean(entry_id.lower(), known)}"])
    sys.stdout.write(render_entry(pack, entry))
    typer.echo(f"\n{DISCLAIMER}")


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL|FILE",
        help="The workshop database: a SQLite file (created on first run; default "
        "endodecide-workshop.sqlite3) or a SQLAlchemy URL such as postgresql://...",
    ),
]


Host = Annotated[
    str,
    typer.Option(
        help="Address to listen on. The default answers this computer only; 0.0.0.0 lets "
        "others on your network connect."
    ),
]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
ProfilesDir = Annotated[
    Path, typer.Option(help="Teaching profiles a session can show beside each rule.")
]


@workshop_app.command("serve")
def workshop_serve(
    db: DbOption = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    rules: RulesDir = None,
    profiles: ProfilesDir = Path("profiles"),
    as_of: AsOf = None,
) -> None:
    """Start the workshop web server: sessions, two voting rounds, results, sign-off, minutes."""
    _serve(db, host, port, rules, profiles, as_of, "workshop")


@app.command("serve")
def cds_serve(
    db: DbOption = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    rules: RulesDir = None,
    profiles: ProfilesDir = Path("profiles"),
    as_of: AsOf = None,
) -> None:
    """Start the CDS Hooks service (discovery, patient-view, feedback) for hypothetical
    patients labelled as test data; the same server also offers the workshop pages."""
    _serve(db, host, port, rules, profiles, as_of, "cds")


def _serve(
    db: str | None,
    host: str,
    port: int,
    rules: Path | None,
    profiles: Path,
    as_of: str | None,
    purpose: str,
) -> None:
    from endodecide.web.serve import serve
    from endodecide.web.state import Settings

    root, pack = _pack_at(rules, as_of)
    settings = Settings(
        rules=root, db_url=_db_url(db), profiles=profiles, as_of=pack.date if as_of else None
    )
    serve(settings, host, port, purpose)


@app.command("feedback")
def cds_feedback(
    db: DbOption = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text (CSV) or json.")
    ] = OutputFormat.text,
) -> None:
    """Print the feedback the CDS Hooks service received on its cards (accepted or overridden,
    with the coded reason and comment), with the rule each card came from, as CSV or JSON."""
    from endodecide.web.minutes import MinutesError, feedback_export

    try:
        text = feedback_export(_db_url(db), output is OutputFormat.json)
    except MinutesError as exc:
        _fail([str(exc)])
    sys.stdout.write(text)


def _db_url(db: str | None) -> str:
    from endodecide.web.db import database_url

    return database_url(db)


@workshop_app.command("minutes")
def workshop_minutes(
    session: Annotated[str, typer.Argument(help="The session id (ws-...), as the server shows.")],
    out: OutDir,
    db: DbOption = None,
    rules: RulesDir = None,
) -> None:
    """Write a session's minutes (Markdown and HTML) and its proposed edits into --out."""
    from endodecide.web.minutes import MinutesError, write_session_minutes

    folder = _out_path(out)
    try:
        written = write_session_minutes(_db_url(db), session, _pack(rules), folder)
    except MinutesError as exc:
        _fail([str(exc)])
    _echo_with_disclaimer("Wrote " + ", ".join(display_path(path) for path in written) + ".")


@fhir_app.command("import")
def fhir_import(
    bundle: Annotated[
        Path, typer.Argument(help="A FHIR R4 Bundle (JSON) of a hypothetical patient.")
    ],
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write the profile here (YAML) and its provenance and gap report beside it "
            "(FILE's name with .provenance.md).",
        ),
    ] = None,
) -> None:
    """Read a hypothetical mCODE FHIR bundle into a profile, with its provenance and gaps."""
    from endodecide.fhir.importer import import_bundle
    from endodecide.fhir.report import provenance_name, render_profile_yaml, render_provenance
    from endodecide.render.report import write_atomic

    file = None if out is None else _out_path(out)
    if file is not None and file.is_dir():
        _fail([f"{display_path(file)}: --out must be a file name, and this is a folder"])
    try:
        result = import_bundle(bundle)
    except InputError as exc:
        _fail(exc.problems)
    if not result.test_data:
        typer.echo(
            f"warning: {result.source}: the Patient is not labelled as test data (meta.security "
            "HTEST); endodecide is for hypothetical patients only",
            err=True,
        )
    profile_text, report_text = render_profile_yaml(result.profile), render_provenance(result)
    if file is None:
        sys.stdout.write(f"{profile_text}\n{report_text}")
        return
    report_file = file.with_name(provenance_name(file.stem))
    file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(file, profile_text)
    write_atomic(report_file, report_text)
    _echo_with_disclaimer(
        f"Wrote the profile to {display_path(file)} and its provenance and gap report to "
        f"{display_path(report_file)}."
    )


@fhir_app.command("export")
def fhir_export(
    profile: Annotated[Path, typer.Argument(help="One profile file (.yaml, .yml, .json).")],
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write the bundle (JSON) here."),
    ] = None,
) -> None:
    """Write a profile as a hypothetical mCODE FHIR R4 bundle (JSON), labelled as test data."""
    from endodecide.fhir.export import bundle_json
    from endodecide.profile import load_profile
    from endodecide.render.report import write_atomic

    file = None if out is None else _out_path(out)
    if file is not None and file.is_dir():
        _fail([f"{display_path(file)}: --out must be a file name, and this is a folder"])
    try:
        loaded = load_profile(profile)
    except InputError as exc:
        _fail(exc.problems)
    text = bundle_json(loaded.profile)
    if file is None:
        sys.stdout.write(text)
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(file, text)
    _echo_with_disclaimer(
        f"Wrote {loaded.source} as a FHIR R4 bundle, labelled as test data (HTEST), to "
        f"{display_path(file)}."
    )


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))


def main() -> None:
    """Entry point and the one place errors end: bad input is one line per problem and exit 1,
    a bug one line and exit 3 (the traceback with ENDODECIDE_DEBUG=1), Ctrl-C exit 130."""
    install_interrupt()
    try:
        app()
    except Interrupted:
        print(INTERRUPTED_MESSAGE, file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except EndodecideError as exc:
        if isinstance(exc, EvaluationError):  # a bug, even though we raise it ourselves
            _internal_error(exc)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except OSError as exc:  # an output folder or file that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        sys.exit(EXIT_INVALID)
    except Exception as exc:  # a bug: one line, not a traceback, unless a developer asks
        _internal_error(exc)


def _internal_error(exc: Exception) -> None:
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        raise exc
    message = _one_line(str(exc))
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    print(f"endodecide: internal error, please report: {what}", file=sys.stderr)
    sys.exit(EXIT_INTERNAL)

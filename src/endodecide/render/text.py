"""The terminal layout of ``endodecide run``: readable on an 80-100 column terminal.

Plain text only (no colour or cursor codes), so it reads the same on a terminal, piped, or in a
file; every piece of text taken from a file passes through ``printable`` first.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import PurePath

from endodecide.result import Citation, NearMiss, Option, PackInfo, ProfileResult
from endodecide.textsafe import printable

__all__ = ["render_run", "render_summary", "table", "wrap"]

WIDTH = 100
_STATUS_HEADINGS = {
    "standard": "Options - standard as of the review",
    "investigational": "Options - investigational (clinical trial only)",
    "deferred": "Deferred - not for now, because of a flag above",
    "evidence_against": "Considered and not supported - evidence against",
}


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """``text`` on lines of at most WIDTH columns, whitespace collapsed, control characters
    shown as escapes."""
    return textwrap.fill(
        printable(" ".join(text.split())),
        WIDTH,
        initial_indent=first or indent,
        subsequent_indent=indent,
    )


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[int] = (),
    wrap_column: int = -1,
    width: int | None = WIDTH,
    min_width: int = 30,
) -> list[str]:
    """Rows in columns two spaces apart under ``headers`` and a dashed rule, each column as
    wide as its widest cell (``right``: the columns aligned right, such as counts). When the
    lines would be wider than ``width``, ``wrap_column`` (default: the last) is narrowed to fit,
    though not below ``min_width``, and its cells continue on the next lines (file names break
    after a hyphen, indented by two spaces). With ``width=None`` every row stays on one line."""
    grid = [[printable(" ".join(str(cell).split())) for cell in row] for row in [headers, *rows]]
    count = len(headers)
    widths = [max(len(row[i]) for row in grid) for i in range(count)]
    column = wrap_column % count
    excess = 0 if width is None else sum(widths) + 2 * (count - 1) - width
    if excess > 0:
        widths[column] = max(min(min_width, widths[column]), widths[column] - excess)

    def lines(row: list[str]) -> list[str]:
        parts = [
            textwrap.wrap(cell, widths[i], subsequent_indent="  ") or [""]
            if i == column
            else [cell]
            for i, cell in enumerate(row)
        ]
        found = []
        for k in range(max(len(part) for part in parts)):
            fields = [part[k] if k < len(part) else "" for part in parts]
            found.append(
                "  ".join(
                    f.rjust(widths[i]) if i in right else f.ljust(widths[i])
                    for i, f in enumerate(fields)
                ).rstrip()
            )
        return found

    found = [*lines(grid[0]), "  ".join("-" * w for w in widths)]
    for row in grid[1:]:
        found += lines(row)
    return found


def _citation(c: Citation) -> list[str]:
    n = f", N={c.n}" if c.n else ""
    later = " Published after the pack's evidence date." if c.after_evidence_date else ""
    return [
        wrap(
            f"{c.short_name} ({c.year}) - {c.design}{n}. {c.result}{later}", "        ", "      - "
        ),
        wrap(f"{c.citation} {_ids(c)}", "        "),
    ]


def _ids(c: Citation) -> str:
    return "; ".join(
        part
        for part in (f"PMID {c.pmid}" if c.pmid else "", f"doi:{c.doi}" if c.doi else "")
        if part
    )


def _option(o: Option, explain: bool) -> list[str]:
    lines = [
        wrap(f"{o.title}  [{o.rule}, {o.strategy_title}]", "      ", "  * "),
        wrap(f"Regimen: {o.regimen}", "      ", "    "),
        wrap(f"Mechanism: {o.mechanism}", "      ", "    "),
        wrap("Matched: " + "; ".join(o.matched_conditions), "      ", "    "),
    ]
    if o.status_before_adjustment:
        own = o.status_before_adjustment.replace("_", " ")
        lines.append(
            wrap(
                f"Rule's own status: {own}; adjusted by {', '.join(o.adjusted_by)}",
                "      ",
                "    ",
            )
        )
    if explain:
        for reason in o.based_on:
            lines.append(wrap(f"Because: {reason.text} [{reason.rule}]", "      ", "    "))
    for caution in o.cautions:
        lines.append(wrap(f"Caution: {caution}", "      ", "    "))
    lines.append("    Evidence:")
    for citation in o.evidence:
        lines += _citation(citation)
    if o.contrary_evidence:
        lines.append("    Evidence against:")
        for citation in o.contrary_evidence:
            lines += _citation(citation)
    return lines


def _near_miss(miss: NearMiss) -> list[str]:
    lines = [wrap(f"{miss.title}  [{miss.rule}, {miss.status}]", "      ", "  - ")]
    for failed in miss.failed:
        lines.append(
            wrap(f"not met: {failed.condition} (here: {failed.here})", "        ", "      ")
        )
    return lines


def render_profile(result: ProfileResult, explain: bool = False) -> str:
    lines = [
        "=" * WIDTH,
        wrap(f"{result.label}   ({result.source})"),
        "=" * WIDTH,
        wrap(result.summary),
    ]
    if result.teaching_note:
        lines.append(wrap(f"Teaching note: {result.teaching_note}"))
    lines += ["", "Derived facts"]
    for fact in result.derived_facts:
        lines.append(wrap(f"{fact.label}: {fact.value_label}", "      ", "  - "))
        for reason in fact.because:
            lines.append(wrap(f"because {reason.text} [{reason.rule}]", "        ", "      "))
    if result.flags:
        lines += ["", "Flags"]
        for flag in result.flags:
            label = flag.severity.replace("_", " ").upper()
            lines.append(wrap(f"{label}: {flag.message} [{flag.rule}]", "      ", "  ! "))
    for status, heading in _STATUS_HEADINGS.items():
        chosen = [o for o in result.options if o.status == status]
        if chosen:
            lines += ["", heading]
            for option in chosen:
                lines += _option(option, explain)
    if not result.options:
        lines += [
            "",
            "Options",
            "  (none: see the flags above)"
            if result.flags
            else "  (no rule of this pack proposes an option for this profile)",
        ]
    if explain and result.near_misses:
        lines += ["", "Considered but not offered (all conditions held but one or two)"]
        for miss in result.near_misses:
            lines += _near_miss(miss)
    return "\n".join(lines)


_RESISTANCE_FACT = "endocrine_resistance"  # the ESO-ESMO ABC2 class, derived by the pack
_STATUS_COLUMNS = (
    ("std", "standard"),
    ("inv", "investigational"),
    ("def", "deferred"),
    ("against", "evidence_against"),
)


def _folder_of(sources: list[str]) -> str:
    """The folder every source lies in ("" if none is common)."""
    try:
        common = os.path.commonpath([str(PurePath(s).parent) for s in sources])
    except ValueError:  # absolute and relative paths mixed
        return ""
    return "" if common in ("", ".") else common


def render_summary(results: list[ProfileResult], report_command: str | None = None) -> list[str]:
    """The overview of several profiles: one row each with the resistance class, the flags and
    the options counted by status; then where the full explanatory reports come from."""
    folder = _folder_of([r.source for r in results])
    rows = []
    flags: dict[str, dict[str, None]] = {}  # severity -> rule ids, in order of appearance
    for result in results:
        name = os.path.relpath(result.source, folder) if folder else result.source
        resistance = next(
            (f.value for f in result.derived_facts if f.name == _RESISTANCE_FACT), "-"
        )
        for flag in result.flags:
            flags.setdefault(flag.severity, {})[flag.rule] = None
        counts = [
            str(sum(o.status == status for o in result.options)) for _, status in _STATUS_COLUMNS
        ]
        shown_flags = ", ".join(flag.rule for flag in result.flags) or "-"
        rows.append([name, resistance.replace("_", " "), shown_flags, *counts])
    where = f" in {folder}/" if folder else ""
    lines = [
        wrap(f"Summary: {len(results)} profile(s){where}"),
        "",
        *table(
            ["profile", "resistance", "flags", *(h for h, _ in _STATUS_COLUMNS)],
            rows,
            right=range(3, 3 + len(_STATUS_COLUMNS)),
            wrap_column=0,
            min_width=24,
        ),
        "",
        "resistance = the ESO-ESMO ABC2 endocrine-resistance class the rules derived.",
        "options: std = standard as of the review, inv = investigational (clinical trial only),",
        "         def = deferred because of a flag, against = considered, with evidence against.",
    ]
    if flags:
        groups = [
            f"{', '.join(sorted(ids))} {severity.replace('_', ' ')}"
            for severity in ("out_of_scope", "warning", "info")
            if (ids := list(flags.get(severity, {})))
        ]
        lines.append(wrap(f"flags: {'; '.join(groups)}."))
    if report_command:
        lines += [
            "",
            "Full explanatory reports, one page per profile with its evidence:",
            printable(f"  {report_command}"),
            "  then open reports/index.html",
        ]
    return lines


def render_run(
    pack: PackInfo,
    results: list[ProfileResult],
    explain: bool = False,
    full: bool = True,
    report_command: str | None = None,
) -> str:
    """What ``run`` prints: the disclaimer and rule pack, each profile in full (unless not
    ``full``), a summary table when there are several profiles or not ``full``, and the
    disclaimer again as the last lines."""
    head = [
        wrap(pack.disclaimer),
        "",
        wrap(
            f"Rule pack: {pack.title} - {pack.name} {pack.version}, evidence as of "
            f"{pack.evidence_as_of} (fingerprint {pack.fingerprint})"
        ),
        "",
    ]
    body: list[str] = []
    if full:
        body = "\n\n".join(render_profile(result, explain) for result in results).splitlines()
        body += ["=" * WIDTH]
    if len(results) > 1 or not full:
        body += ["" if full else "=" * WIDTH, *render_summary(results, report_command)]
        body += ["=" * WIDTH]
    return "\n".join([*head, *body, wrap(pack.disclaimer)]) + "\n"

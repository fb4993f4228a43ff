"""Explanatory reports (``endodecide report``): Markdown and self-contained HTML, from Jinja2.

Python shapes the data (grouping, ordering, file names); the templates under
``render/templates`` hold the layout (``render.environment`` builds the Jinja environment).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Template

from endodecide.render.environment import Format, template_environment
from endodecide.result import Option, PackInfo, ProfileResult

if TYPE_CHECKING:
    from endodecide.render.history_svg import HistoryFigure
    from endodecide.render.timeline import CompareRow

__all__ = [
    "Comparison",
    "Format",
    "ReportFile",
    "render_index",
    "render_report",
    "report_context",
    "report_names",
    "write_atomic",
]

_STATUS_TITLES = {
    "standard": "Standard as of the review",
    "investigational": "Investigational - clinical trial only",
    "deferred": "Deferred - not for now, because of a flag above",
    "evidence_against": "Considered and not supported - evidence against",
}
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _template(fmt: Format, name: str) -> Template:
    return template_environment(fmt).get_template(f"{name}.{fmt}.j2")


@dataclass(frozen=True)
class StrategyGroup:
    title: str
    options: list[Option]


@dataclass(frozen=True)
class StatusGroup:
    status: str
    title: str
    strategies: list[StrategyGroup]


def _grouped(
    options: list[Option], statuses: tuple[str, ...], as_of: str | None = None
) -> list[StatusGroup]:
    """Options by status, then strategy; ``as_of`` names the date when it is not the review's."""
    groups = []
    for status in statuses:
        chosen = [o for o in options if o.status == status]  # already in strategy order
        if chosen:
            strategies = [
                StrategyGroup(title, list(items))
                for title, items in groupby(chosen, key=lambda o: o.strategy_title)
            ]
            title = _STATUS_TITLES[status]
            if as_of is not None:
                title = title.replace("as of the review", f"as of {as_of}")
            groups.append(StatusGroup(status, title, strategies))
    return groups


@dataclass(frozen=True)
class ReportFile:
    """One report as the index lists it."""

    name: str
    result: ProfileResult


@dataclass(frozen=True)
class Comparison:
    """ "Then and now": the options at an earlier date beside those of the report's date."""

    then: str
    now: str
    rows: list[CompareRow]


def render_report(
    pack: PackInfo,
    result: ProfileResult,
    fmt: Format,
    compare: Comparison | None = None,
    review_date: str | None = None,
    history: HistoryFigure | None = None,
) -> str:
    """One report. ``review_date``: the pack's evidence date, so that a report at another date
    says "standard as of <date>" rather than "as of the review". ``history``: the endocrine
    history drawn against the thresholds (``render.history_svg.history_figure``); a Markdown
    report links its ``file``, which the caller writes beside it."""
    return _template(fmt, "report").render(
        disclaimer=pack.disclaimer, **report_context(pack, result, compare, review_date, history)
    )


def report_context(
    pack: PackInfo,
    result: ProfileResult,
    compare: Comparison | None = None,
    review_date: str | None = None,
    history: HistoryFigure | None = None,
) -> dict[str, object]:
    """What the report's body (``_report_main``) shows: also the workshop playground's."""
    as_of = None if review_date in (None, pack.evidence_as_of) else pack.evidence_as_of
    return {
        "pack": pack,
        "r": result,
        "offered": _grouped(result.options, ("standard", "investigational", "deferred"), as_of),
        "against": [o for o in result.options if o.status == "evidence_against"],
        "compare": compare,
        "history": history,
    }


def render_index(pack: PackInfo, reports: list[ReportFile], fmt: Format) -> str:
    return _template(fmt, "index").render(disclaimer=pack.disclaimer, pack=pack, reports=reports)


def report_names(sources: list[str]) -> list[str]:
    """A file stem per profile, unique within the batch (``P001-x``, ``P001-x-2``, ...)."""
    names: list[str] = []
    for source in sources:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(source).stem).strip("-.") or "profile"
        name, n = stem, 1
        while name in names or name == "index":
            n += 1
            name = f"{stem}-{n}"
        names.append(name)
    return names


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so no reader sees half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).chmod(0o666 & ~_UMASK)  # mkstemp makes owner-only files; reports are shared
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

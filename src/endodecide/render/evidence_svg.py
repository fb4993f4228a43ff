"""The evidence timeline as a picture: each rule's status over the years, as plain SVG.

The x axis runs from the review's evidence date to the pack's latest date. A *band* is one
strategy (``endodecide timeline``) or one future direction (``endodecide directions``): a row per
option rule in it, cut into segments by the status the rule had (standard solid, investigational
hatched, evidence against cross-hatched, retired dotted; nothing where it was not yet in force),
and the deciding trials drawn as dashed ticks labelled with their short names at their
publication dates. A date known only to the month or year is drawn at the end of its period,
the day from which the pack counts it (``endodecide.dates``), so a status changes exactly at its
trial's tick. Shapes and layout only: the page's list or table states the same facts in words.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from endodecide.dates import PartialDate
from endodecide.evidence import EvidenceEntry
from endodecide.render.charts_svg import GRID, INK, Canvas, text_width
from endodecide.rulepack import RulePack
from endodecide.rulepack.schema import Direction, RuleFile
from endodecide.rulepack.timeline import history, started

__all__ = [
    "STATUS_FILLS",
    "Band",
    "Lane",
    "Span",
    "Tick",
    "TimeScale",
    "direction_band",
    "evidence_picture",
    "evidence_scale",
    "rule_spans",
    "timeline_bands",
]

# Each status and its fill, in the legend's order.
STATUS_FILLS = {
    "standard": "solid",
    "investigational": "hatch",
    "evidence_against": "cross",
    "retired": "dots",
}
WIDTH = 760
PLOT_LEFT = 64  # the rule ids sit left of it
PLOT_RIGHT = WIDTH - 14
LANE = 14  # height of one rule's row
LEVEL = 11  # height of one row of trial labels
SIZE = 10  # font size of labels


@dataclass(frozen=True)
class Span:
    """One status held from ``start`` until ``end`` (the next change, or the axis's end)."""

    start: date
    end: date
    status: str  # a key of STATUS_FILLS


@dataclass(frozen=True)
class Lane:
    """One option rule's row: its id, its title and its statuses over the axis."""

    rule: str
    title: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Tick:
    """A deciding trial at the day the pack counts it from."""

    day: date
    label: str  # the trial's name: the catalogue's short name up to any bracket
    evidence: str  # the catalogue id
    published: str  # as the catalogue writes it: YYYY-MM-DD, YYYY-MM or YYYY


@dataclass(frozen=True)
class Band:
    """A strategy or a direction: a title, its rules' rows and its deciding trials."""

    key: str
    label: str
    lanes: tuple[Lane, ...]
    ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class TimeScale:
    """Days to x: ``start`` at ``left``, ``end`` at ``right``, linear in days."""

    start: date
    end: date
    left: float
    right: float

    def x(self, day: date) -> float:
        span = (self.end - self.start).days
        return self.left + (self.right - self.left) * (day - self.start).days / span

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def evidence_scale(start: date, end: date) -> TimeScale:
    """The scale ``evidence_picture`` draws with, for an axis from ``start`` to ``end``."""
    return TimeScale(start, end, PLOT_LEFT, PLOT_RIGHT)


def rule_spans(card: RuleFile, start: date, end: date) -> tuple[Span, ...]:
    """An option rule's statuses between ``start`` and ``end``: from the day it is in force
    (its ``since``, or ``start``) with the status it was written with, then each dated status
    change or retirement from the day it is known. Empty for a rule that proposes no option."""
    option = card.then.option
    if option is None:
        return ()
    since = started(card)
    begin = max(since.end if since else start, start)
    if begin >= end:
        return ()
    marks: list[tuple[date, str]] = [(begin, option.status)]
    for change in card.timeline:
        status = "retired" if change.retired else change.status
        day = max(change.when.end, begin)
        if status is None or day >= end:
            continue  # a flag's message, or after the axis
        if marks[-1][0] == day:
            marks[-1] = (day, status)
        elif marks[-1][1] != status:
            marks.append((day, status))
    ends = [day for day, _ in marks[1:]] + [end]
    return tuple(Span(day, until, status) for (day, status), until in zip(marks, ends, strict=True))


def _trial(entry: EvidenceEntry) -> str:
    """The trial's name: its short name without the words in brackets ("PALOMA-2")."""
    return entry.short_name.split(" (")[0]


def _ticks(entries: Iterable[EvidenceEntry]) -> tuple[Tick, ...]:
    """One tick per entry, in date order (ties by name)."""
    unique = {entry.id: entry for entry in entries}
    ticks = [
        Tick(entry.publication.end, _trial(entry), entry.id, str(entry.publication))
        for entry in unique.values()
    ]
    return tuple(sorted(ticks, key=lambda t: (t.day, t.label)))


def _deciding(pack: RulePack, rule_ids: Iterable[str]) -> list[EvidenceEntry]:
    """The evidence that decided each dated event of the rules: the entries cited by the event
    that were published on its date (the loader makes sure one was)."""
    found = []
    for rule_id in rule_ids:
        for event in history(pack.every_rule[rule_id].card):
            cited = [pack.evidence.entries[ref] for ref in event.evidence]
            found += [entry for entry in cited if entry.publication == event.when] or cited
    return found


def _lanes(pack: RulePack, rule_ids: Iterable[str]) -> tuple[Lane, ...]:
    start, end = pack.evidence_date, pack.latest_date
    lanes = []
    for rule_id in rule_ids:
        card = pack.every_rule[rule_id].card
        spans = rule_spans(card, start, end)
        if spans:
            lanes.append(Lane(rule_id, card.title, spans))
    return tuple(lanes)


def timeline_bands(pack: RulePack, target: str | None) -> list[Band]:
    """One band per strategy, in the pack's order, with a row per option rule: every strategy
    (``target`` None), one strategy, or the strategy of one rule with that rule alone. The ticks
    are the trials that decided the rules' dated events. Strategies without option rules
    (classification, scope) have no band."""
    rules = pack.every_rule
    if target is not None and target.upper() in rules:
        chosen = [target.upper()]
    else:
        chosen = [r for r, rule in rules.items() if target in (None, rule.card.strategy)]
    bands = []
    for strategy in pack.manifest.strategies:
        mine = [rule_id for rule_id in chosen if rules[rule_id].card.strategy == strategy.id]
        lanes = _lanes(pack, mine)
        if lanes:
            ticks = _ticks(_deciding(pack, mine))
            bands.append(Band(strategy.id, strategy.title, lanes, ticks))
    return bands


def direction_band(pack: RulePack, direction: Direction, label: str) -> Band:
    """A future direction: a row per option rule that carries it, and its deciding trials
    (positive and negative) as ticks."""
    entries = [pack.evidence.entries[ref] for ref in direction.evidence]
    return Band(direction.id, label, _lanes(pack, direction.rules), _ticks(entries))


# -- drawing -----------------------------------------------------------------------------------


def _words(status: str) -> str:
    return status.replace("_", " ")


def _published(tick: Tick) -> str:
    if PartialDate.parse(tick.published).precision == "day":
        return f"published {tick.published}"
    return f"published {tick.published}, counted from {tick.day}"


def _levels(ticks: Sequence[Tick], scale: TimeScale) -> list[tuple[Tick, int, float, str]]:
    """Each tick with the row of labels it goes in (the first row its label does not overlap),
    its x, and its label's anchor: a label starts at its tick, or ends there near the right
    edge."""
    placed: list[tuple[Tick, int, float, str]] = []
    rows: list[float] = []  # the right edge of the last label in each row
    for tick in ticks:
        x, width = scale.x(tick.day), text_width(tick.label, SIZE)
        anchor, left = ("end", x - width) if x + width > WIDTH - 2 else ("start", x)
        level = next((i for i, edge in enumerate(rows) if edge + 6 <= left), len(rows))
        if level == len(rows):
            rows.append(0.0)
        rows[level] = left + width
        placed.append((tick, level, x, anchor))
    return placed


def _axis(canvas: Canvas, axis: ET.Element, scale: TimeScale, top: float, bottom: float) -> None:
    """Year lines and labels into ``axis`` (drawn under the bands)."""
    for year in range(scale.start.year + 1, scale.end.year + 1):
        x = scale.x(date(year, 1, 1))
        canvas.add(
            axis,
            "line",
            x1=x,
            y1=top + 4,
            x2=x,
            y2=bottom,
            stroke=GRID,
            stroke_width=0.5,
            stroke_dasharray="1 3",
        )
        canvas.text(axis, x, top, str(year), font_size=SIZE, text_anchor="middle")


def _band(canvas: Canvas, band: Band, scale: TimeScale, y: float) -> float:
    """Draw one band from ``y``; the y below it."""
    group = canvas.group(None, class_="band", data_band=band.key)
    canvas.text(group, 4, y + 12, band.label, halo=True, font_size=11, font_weight="bold")
    placed = _levels([t for t in band.ticks if scale.holds(t.day)], scale)
    levels = 1 + max((level for _, level, _, _ in placed), default=-1)
    lanes_top = y + 16 + levels * LEVEL + 2
    bottom = lanes_top + len(band.lanes) * LANE
    for tick, level, x, anchor in placed:
        mark = canvas.group(
            group,
            f"{tick.label}, {_published(tick)}",
            class_="tick",
            data_evidence=tick.evidence,
            data_date=tick.day.isoformat(),
        )
        baseline = y + 16 + (level + 1) * LEVEL - 2
        canvas.text(mark, x, baseline, tick.label, halo=True, font_size=SIZE, text_anchor=anchor)
        canvas.add(
            mark,
            "line",
            x1=x,
            y1=baseline + 2,
            x2=x,
            y2=bottom,
            stroke=INK,
            stroke_width=0.8,
            stroke_dasharray="3 2",
        )
    for index, lane in enumerate(band.lanes):
        top = lanes_top + index * LANE
        row = canvas.group(group, class_="lane", data_rule=lane.rule)
        canvas.text(row, PLOT_LEFT - 6, top + 10, lane.rule, font_size=SIZE, text_anchor="end")
        canvas.add(
            row,
            "line",
            x1=PLOT_LEFT,
            y1=top + 6,
            x2=PLOT_RIGHT,
            y2=top + 6,
            stroke=GRID,
            stroke_width=0.5,
        )
        for span in lane.spans:
            x0, x1 = scale.x(span.start), scale.x(span.end)
            shape = canvas.add(
                row,
                "rect",
                class_="segment",
                data_status=span.status,
                data_from=span.start.isoformat(),
                data_to=span.end.isoformat(),
                x=x0,
                y=top + 1,
                width=x1 - x0,
                height=10,
                fill=canvas.fill(STATUS_FILLS[span.status]),
                stroke=INK,
                stroke_width=0.6,
            )
            shape.append(_title(f"{lane.rule} {_words(span.status)}, {span.start} to {span.end}"))
    return bottom + 6


def _title(words: str) -> ET.Element:
    element = ET.Element("title")
    element.text = words
    return element


def _said(bands: Sequence[Band]) -> str:
    """Every row in words, for the description."""
    rows = []
    for band in bands:
        for lane in band.lanes:
            steps = ", then ".join(f"{_words(s.status)} from {s.start}" for s in lane.spans)
            rows.append(f"{lane.rule}: {steps}")
    return "; ".join(rows)


def evidence_picture(
    bands: Sequence[Band], start: date, end: date, *, key: str, title: str, rows: str
) -> Markup | None:
    """The picture of ``bands`` on an axis from ``start`` to ``end`` (``rows`` says what a band
    is, for the description); None when there is nothing to draw."""
    bands = [band for band in bands if band.lanes]
    if not bands or end <= start:
        return None
    outside = sorted({t.label for b in bands for t in b.ticks if not start <= t.day <= end})
    left_out = f" Not drawn, published outside the axis: {', '.join(outside)}." if outside else ""
    desc = (
        f"Statuses over time, from {start} (the review's evidence date) to {end} (the pack's "
        f"latest date). {rows} Fills: solid standard, hatched investigational, cross-hatched "
        "evidence against, dotted retired; a bare line where the rule was not yet in force. "
        f"Dashed ticks: the deciding trials at their publication dates.{left_out} "
        f"{_said(bands)}."
    )
    canvas = Canvas(key, WIDTH, title, desc)
    scale = evidence_scale(start, end)
    axis = canvas.group(None, class_="axis")
    y = 18.0
    for band in bands:
        y = _band(canvas, band, scale, y)
    _axis(canvas, axis, scale, 12, y - 4)
    y = canvas.legend(y + 4, [(_words(status), fill) for status, fill in STATUS_FILLS.items()])
    note = (
        f"Axis: {start} to {end}. A bare line: not yet in force. Dashed ticks: the deciding "
        "trials, at their publication dates."
    )
    canvas.text(None, 4, y + 8, note, font_size=SIZE)
    return canvas.markup(y + 14)

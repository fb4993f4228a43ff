"""The patient's endocrine history drawn against the ABC2 thresholds: an SVG built with
``xml.etree.ElementTree`` (which escapes every text), for the reports and the handout.

One bar per endocrine line (hatched: adjuvant; solid: for metastatic disease) ending with a
marker per ending (relapse: disc, progression: triangle, completed: bar, toxicity: cross), the
gap to relapse as a dashed line, chemotherapy lines as diamonds (the profile gives only their
count), and the thresholds ``history_marks`` read from the rules, each labelled ``ED003: 24 mo``
with a bracket from where it is measured: dashed for a rule that fired, dotted and fainter for
one tested on a line that did not fire. Greyscale-safe (patterns, dashes and shapes, not colour
alone), generic fonts only, A4 text width, the same bytes for the same profile. Groups carry a
class (``line``, ``threshold fired``, ``threshold tested``, ``event``, ``axis``, ``legend``) and
thresholds their ``data-rule``, ``data-months`` and ``data-line``, for tests and readers.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup

from endodecide.profile import Profile
from endodecide.render.history_marks import (
    ENDED_WORDS,
    History,
    class_line,
    history_of,
    history_text,
    rules_line,
)
from endodecide.result import PackInfo, ProfileResult
from endodecide.rulepack import RulePack

__all__ = ["HistoryFigure", "history_figure", "history_svg"]

WIDTH, LEFT, RIGHT = 680, 16, 16  # px: within the A4 text width (182 mm is 688 px)
PLOT = WIDTH - LEFT - RIGHT
ROW, LABEL_ROW, BAND = 30, 16, 48  # a line's row, a threshold label's row, the heading
INK, FAINT, BLUE, SOLID = "#1b1b1b", "#6b6b6b", "#1f4e79", "#4a6a8a"
_TICKS = (1, 2, 3, 6, 12, 24, 60, 120)
_STYLE = {  # vertical line style -> (ink, dash, line width, font weight)
    "tested": (FAINT, "2 3", 1, "normal"),
    "event": (INK, "", 1, "normal"),
    "fired": (INK, "6 3", 1.5, "bold"),
    "gap": (INK, "4 3", 1.5, "normal"),
}
_HALO = {
    "stroke": "#ffffff",
    "stroke_width": "3",
    "paint_order": "stroke",
    "stroke_linejoin": "round",
}

Scale = Callable[[float], float]


def _n(value: float) -> str:
    """A coordinate: an integer, or one decimal."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _width(text: str, size: float) -> float:
    """An estimate of the text's width in a generic sans-serif face."""
    return len(text) * size * 0.56


class _Draw:
    """Adds SVG elements under one parent: numbers written as ``_n`` does, ``stroke_width`` as
    ``stroke-width``, ``class_`` as ``class``."""

    def __init__(self, parent: ET.Element) -> None:
        self.parent = parent

    def add(self, tag: str, **attrs: float | str) -> ET.Element:
        values = {
            key.rstrip("_").replace("_", "-"): value if isinstance(value, str) else _n(value)
            for key, value in attrs.items()
        }
        return ET.SubElement(self.parent, tag, values)

    def group(self, class_: str, **attrs: float | str) -> _Draw:
        return _Draw(self.add("g", class_=class_, **attrs))

    def text(self, x: float, y: float, content: str, size: float, **attrs: str) -> None:
        attrs.setdefault("fill", INK)
        self.add("text", x=x, y=y, font_size=size, **attrs).text = content

    def line(self, x1: float, y1: float, x2: float, y2: float, style: str = "event") -> None:
        ink, dash, width, _ = _STYLE[style]
        element = self.add("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=ink, stroke_width=width)
        if dash:
            element.set("stroke-dasharray", dash)

    def marker(self, ending: str, x: float, y: float) -> None:
        """The marker of an ending (or of ``chemotherapy``) at (x, y): each its own shape."""
        if ending == "relapse":
            self.add("circle", cx=x, cy=y, r=5, fill=INK)
        elif ending == "progression":
            self.add(
                "polygon", points=_points((x - 5, y - 6), (x + 5, y), (x - 5, y + 6)), fill=INK
            )
        elif ending == "completed":
            self.add("rect", x=x - 1.5, y=y - 8, width=3, height=16, fill=INK)
        elif ending == "toxicity":
            for dx in (-5, 5):
                self.add(
                    "line", x1=x - dx, y1=y - 5, x2=x + dx, y2=y + 5, stroke=INK, stroke_width=2.5
                )
        else:
            corners = _points((x, y - 6), (x + 6, y), (x, y + 6), (x - 6, y))
            self.add("polygon", points=corners, fill="#ffffff", stroke=INK, stroke_width=1.5)

    def bar(self, ident: str, setting: str, x: float, y: float, width: float) -> None:
        fill = f"url(#{ident}-hatch)" if setting == "adjuvant" else SOLID
        self.add("rect", x=x, y=y, width=max(width, 2), height=12, fill=fill, stroke=BLUE)


def _points(*pairs: tuple[float, float]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in pairs)


@dataclass(frozen=True)
class _Label:
    """A vertical line with its label: a threshold (with where it is measured from) or an event."""

    at: int
    text: str
    style: str
    origin: int | None = None
    rule: str = ""
    months: int = 0
    line: int = 0


def _labels(history: History) -> list[_Label]:
    """What fired first, then the events, then the fainter thresholds (placement order)."""
    marks = []
    for m in history.marks:
        if m.at is not None:
            style = "fired" if m.fired else "tested"
            marks.append(
                _Label(m.at, f"{m.rule}: {m.value} mo", style, m.origin, m.rule, m.value, m.line)
            )
    events = []
    if history.relapse is not None:
        events.append(_Label(history.relapse, "relapse", "event"))
    elif history.de_novo:
        events.append(_Label(0, "metastatic at diagnosis", "event"))
    fired = [label for label in marks if label.style == "fired"]
    return fired + events + [label for label in marks if label.style == "tested"]


class _Slot(NamedTuple):
    """Where a label sits: its row, the span of its text and bracket, its text, its line's x."""

    row: int
    left: float
    right: float
    text_left: float
    text_right: float
    x: float


def _placed(labels: list[_Label], px: Scale) -> list[_Slot]:
    """Where each label goes: no two labels or brackets overlap in a row, and no vertical line
    crosses a label below it (the first row and side that fit, else a new row)."""
    taken: list[_Slot] = []
    for label in labels:
        x, width = px(label.at), _width(label.text, 10)
        origin = x if label.origin is None else px(label.origin)
        sides = [s for s in (x + 3, x - 3 - width) if s >= LEFT and s + width <= WIDTH - RIGHT]
        rows = range(2 + max((t.row for t in taken), default=-1))
        fits = [
            _Slot(row, min(s, origin), max(s + width, x), s, s + width, x)
            for row in rows
            for s in sides or [max(LEFT, x - 3 - width)]
        ]
        taken.append(next((f for f in fits if all(_apart(t, f) for t in taken)), fits[-1]))
    return taken


def _apart(other: _Slot, new: _Slot) -> bool:
    """Whether ``new`` may sit beside ``other``, already placed."""
    if other.row == new.row:
        return new.right + 6 < other.left or new.left > other.right + 6
    upper, lower = (other, new) if other.row < new.row else (new, other)
    return not lower.text_left - 2 <= upper.x <= lower.text_right + 2  # a line across the text


def _line_label(history: History, index: int) -> str:
    span = history.spans[index]
    where = "adjuvant" if span.setting == "adjuvant" else f"metastatic line {span.metastatic_line}"
    agents, months = " + ".join(span.agents), span.end - span.start
    return f"{span.number}. {agents} - {where}, {months} mo, {ENDED_WORDS[span.ended]}"


def _row_text(draw: _Draw, x: float, y: float, text: str) -> None:
    """A row's label at x, moved left to stay inside the picture, with a white halo."""
    start = min(x, WIDTH - RIGHT - _width(text, 11))
    draw.text(max(LEFT, start), y, text, 11, **_HALO)


def _draw_lines(draw: _Draw, history: History, px: Scale, top: float, ident: str) -> None:
    """One row per line: its label, its bar, its ending; the gap to relapse; chemotherapy."""
    relapse = history.relapse
    for index, span in enumerate(history.spans):
        row, y = draw.group("line", data_line=span.number), top + index * ROW
        x0, x1 = px(span.start), px(span.end)
        _row_text(row, x0, y + 11, _line_label(history, index))
        row.bar(ident, span.setting, x0, y + 15, x1 - x0)
        if span.end == history.adjuvant_end and relapse is not None and history.gap_known:
            if relapse > span.end:
                row.line(x1, y + 21, px(relapse), y + 21, "gap")
            if span.ended != "relapse":
                row.marker("relapse", px(relapse), y + 21)
        row.marker(span.ended, x1, y + 21)
    if history.chemotherapy_lines:
        count, y = history.chemotherapy_lines, top + len(history.spans) * ROW
        row, x = draw.group("chemotherapy", data_lines=count), px(history.metastatic_start)
        text = f"chemotherapy for metastatic disease: {count} line(s), timing not recorded"
        _row_text(row, x, y + 11, text)
        for i in range(count):
            row.marker("chemotherapy", x + 8 + i * 16, y + 21)


def _draw_axis(draw: _Draw, history: History, px: Scale, y: float, last: int, tick: int) -> None:
    axis = draw.group("axis")
    axis.line(LEFT, y, WIDTH - RIGHT, y)
    for month in range(0, last + 1, tick):
        axis.line(px(month), y, px(month), y + 5)
        axis.text(px(month), y + 16, str(month), 10, text_anchor="middle")
    title = (
        "months from the start of the first endocrine therapy (durations from the profile, "
        "lines drawn end to end)"
        if history.spans
        else "months (no endocrine therapy recorded)"
    )
    axis.text(LEFT, y + 32, title, 10, fill=FAINT)


def _legend(history: History) -> list[tuple[str, str]]:
    """(glyph, words) for what this picture shows."""
    settings = {s.setting for s in history.spans}
    endings = {s.ended for s in history.spans} | ({"relapse"} if history.spans else set())
    items = [("adjuvant", "adjuvant line")] if "adjuvant" in settings else []
    if "metastatic" in settings:
        items.append(("metastatic", "line for metastatic disease"))
    if history.relapse is None:
        endings.discard("relapse")
    items += [(e, f"ended: {ENDED_WORDS[e]}") for e in ENDED_WORDS if e in endings]
    end, relapse = history.adjuvant_end, history.relapse
    if end is not None and relapse is not None and relapse > end and history.gap_known:
        items.append(("gap", "end of adjuvant therapy to relapse"))
    if history.chemotherapy_lines:
        items.append(("chemotherapy", "chemotherapy line (timing not recorded)"))
    if any(m.fired and m.at is not None for m in history.marks):
        items.append(("fired", "threshold of a rule that fired (rule: months)"))
    if any(not m.fired and m.at is not None for m in history.marks):
        items.append(("tested", "fainter: threshold of a rule tested here that did not fire"))
    return items


def _legend_rows(items: list[tuple[str, str]]) -> list[list[tuple[float, str, str]]]:
    rows: list[list[tuple[float, str, str]]] = []
    x: float = WIDTH
    for glyph, words in items:
        width = 24 + _width(words, 10) + 14
        if x + width > WIDTH - RIGHT:
            rows.append([])
            x = LEFT
        rows[-1].append((x, glyph, words))
        x += width
    return rows


def _draw_legend(
    draw: _Draw, rows: list[list[tuple[float, str, str]]], top: float, ident: str
) -> None:
    legend = draw.group("legend")
    for r, row in enumerate(rows):
        y = top + r * 16
        for x, glyph, words in row:
            if glyph in {"adjuvant", "metastatic"}:
                legend.bar(ident, glyph, x, y - 6, 18)
            elif glyph == "gap":
                legend.line(x, y, x + 18, y, "gap")
            elif glyph in _STYLE:
                legend.line(x + 9, y - 7, x + 9, y + 7, glyph)
            else:
                legend.marker(glyph, x + 9, y)
            legend.text(x + 24, y + 4, words, 10, fill=FAINT if glyph == "tested" else INK)


def _pack_line(pack: PackInfo) -> str:
    return f"Rule pack {pack.name} {pack.version}, evidence as of {pack.evidence_as_of}."


def _footer(pack: PackInfo) -> list[str]:
    """The pack, then the disclaimer wrapped to the picture's width."""
    lines, current = [_pack_line(pack)], ""
    for word in pack.disclaimer.split():
        if current and _width(f"{current} {word}", 9) > PLOT:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def history_svg(history: History, *, ident: str = "history", pack: PackInfo | None = None) -> str:
    """The picture as SVG text; ``ident`` prefixes every id (unique in a page). With ``pack``,
    a standalone file: the pack and the disclaimer below the picture, and in its metadata."""
    tick = next((t for t in _TICKS if history.last_month * 1.05 / t <= 12), _TICKS[-1])
    last = math.ceil(history.last_month * 1.05 / tick) * tick

    def px(month: float) -> float:
        return LEFT + month * PLOT / last

    labels = _labels(history)
    placed = _placed(labels, px)
    top = BAND + (1 + max((p.row for p in placed), default=-1)) * LABEL_ROW + 6
    axis_y = top + max(1, len(history.spans) + bool(history.chemotherapy_lines)) * ROW + 6
    legend = _legend_rows(_legend(history))
    footer = [] if pack is None else _footer(pack)
    notice_y = axis_y + 56 + len(legend) * 16  # the first line of the standalone file's notice
    height = notice_y + len(footer) * 12 - 7 if footer else axis_y + 42 + len(legend) * 16
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "width": str(WIDTH),
            "height": _n(height),
            "viewBox": f"0 0 {WIDTH} {_n(height)}",
            "font-family": "sans-serif",
            "style": "max-width:100%;height:auto",
        },
    )
    draw = _Draw(root)
    title = f"Endocrine history against the ABC2 thresholds: {history.label}"
    draw.add("title", id=f"{ident}-title").text = title
    draw.add("desc", id=f"{ident}-desc").text = " ".join(history_text(history))
    defs = _Draw(draw.add("defs"))
    hatch = _Draw(
        defs.add(
            "pattern",
            id=f"{ident}-hatch",
            width=6,
            height=6,
            patternUnits="userSpaceOnUse",
            patternTransform="rotate(45)",
        )
    )
    hatch.add("rect", width=6, height=6, fill="#dbe6f1")
    hatch.add("line", x1=0, y1=0, x2=0, y2=6, stroke=BLUE, stroke_width=2.5)
    draw.text(LEFT, 18, class_line(history), 13, font_weight="bold")
    draw.text(LEFT, 34, rules_line(history), 10, fill=FAINT)
    for index in sorted(range(len(labels)), key=lambda i: list(_STYLE).index(labels[i].style)):
        label, slot = labels[index], placed[index]  # the fainter drawn first
        y, x, (ink, _, _, weight) = BAND + slot.row * LABEL_ROW, slot.x, _STYLE[label.style]
        data: dict[str, float | str] = (
            {"data_rule": label.rule, "data_months": label.months, "data_line": label.line}
            if label.rule
            else {}
        )
        mark = draw.group("threshold " + label.style if label.rule else "event", **data)
        mark.line(x, y + 13, x, axis_y, label.style)
        if label.origin is not None:  # a bracket from where the threshold is measured
            o = px(label.origin)
            mark.add("line", x1=o, y1=y + 13, x2=x, y2=y + 13, stroke=ink, stroke_width=1)
            mark.add("line", x1=o, y1=y + 9, x2=o, y2=y + 17, stroke=ink, stroke_width=1)
        style = {"font_style": "italic"} if label.style == "event" else {}
        mark.text(
            slot.text_left, y + 10, label.text, 10, fill=ink, font_weight=weight, **style, **_HALO
        )
    _draw_lines(draw, history, px, top, ident)
    _draw_axis(draw, history, px, axis_y, last, tick)
    _draw_legend(draw, legend, axis_y + 50, ident)
    if pack is not None:
        notice = draw.group("notice")
        for i, text in enumerate(footer):
            notice.text(LEFT, notice_y + i * 12, text, 9, fill=FAINT if i == 0 else INK)
        draw.add("metadata").text = f"{_pack_line(pack)} {pack.disclaimer}"
    ET.indent(root, space="")  # one element a line: goldens diff element by element
    return ET.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class HistoryFigure:
    """The picture for a report: inline (``svg``), as a file of its own (``standalone``, with
    the disclaimer; ``file`` names it beside a Markdown report) and in words (``text``)."""

    svg: str
    standalone: str
    text: tuple[str, ...]
    file: str | None = None

    @property
    def markup(self) -> Markup:
        """The inline SVG for an HTML template (built by ElementTree, every text escaped)."""
        return Markup(self.svg)


def history_figure(
    profile: Profile,
    result: ProfileResult,
    pack: RulePack,
    info: PackInfo,
    *,
    ident: str = "history",
    file: str | None = None,
) -> HistoryFigure:
    """The history of ``profile`` against the thresholds of the rules of ``pack`` that gave
    ``result`` its resistance facts; ``info`` names the pack in the standalone file."""
    history = history_of(profile, result, pack)
    standalone = history_svg(history, ident=ident, pack=info)
    return HistoryFigure(
        svg=history_svg(history, ident=ident),
        standalone=f'<?xml version="1.0" encoding="UTF-8"?>\n{standalone}\n',
        text=tuple(history_text(history)),
        file=file,
    )

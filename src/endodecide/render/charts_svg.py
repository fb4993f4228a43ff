"""Small charts as plain SVG drawn on the server: horizontal bars, stacked bars, and the canvas
(document, fill patterns, legend) the evidence picture (``render.evidence_svg``) shares.

Every chart is built with ``xml.etree.ElementTree``, which escapes text, and serialised the same
way every time: attributes in the order written, numbers rounded to two decimals, no random ids.
Nothing is loaded from the network and no script runs. Each chart is an ``<svg role="img">`` with
a ``<title>`` and a ``<desc>``; fills are black-and-white patterns (solid, hatching,
cross-hatching, dots, blank), so a chart reads in greyscale and on paper. The page around a
chart always states the same facts as text (a table or a list): the chart is a picture of it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from endodecide.workshop.panel import VOTES

if TYPE_CHECKING:  # agreement imports numpy and krippendorff; a chart needs only its shape
    from endodecide.workshop.agreement import RuleResult

__all__ = [
    "FILLS",
    "VOTE_FILLS",
    "Bar",
    "Canvas",
    "Part",
    "StackRow",
    "bar_chart",
    "num",
    "stacked_bar_chart",
    "text_width",
    "vote_chart",
]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "sans-serif"
INK = "#000"
GRID = "#888"
# The fills a chart may use, each readable without colour.
FILLS = ("solid", "hatch", "cross", "dots", "blank")
_HALO: dict[str, str | float] = {
    "paint_order": "stroke",
    "stroke": "#fff",
    "stroke_width": 3,
    "stroke_linejoin": "round",
}
# Votes: plain agreement solid, agreement with changes hatched, disagreement cross-hatched.
VOTE_FILLS = {"agree": "solid", "agree_with_changes": "hatch", "disagree": "cross"}


def num(value: float) -> str:
    """A coordinate as SVG text: two decimals at most, no trailing zeros ("12.5", "3", "0")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in a sans-serif font of ``size`` units (no
    font metrics on the server: layout leaves room for the widest usual glyphs)."""
    return len(text) * size * 0.6


class Canvas:
    """One SVG document: its title and description, its fill patterns (defined on first use,
    with ids prefixed by ``key`` so several charts can share a page), and element helpers."""

    def __init__(self, key: str, width: float, title: str, desc: str) -> None:
        self.key = key
        self.width = width
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "role": "img",
                "class": "chart",
                "width": num(width),
                "height": "0",
                "viewBox": f"0 0 {num(width)} 0",
                "aria-labelledby": f"{key}-title",
                "aria-describedby": f"{key}-desc",
                "font-family": FONT,
                "font-size": "11",
            },
        )
        ET.SubElement(self.root, "title", {"id": f"{key}-title"}).text = title
        ET.SubElement(self.root, "desc", {"id": f"{key}-desc"}).text = desc
        self._defs = ET.SubElement(self.root, "defs")
        self._defined: set[str] = set()

    def fill(self, name: str) -> str:
        """The ``fill`` attribute for one of ``FILLS``; patterns are defined when first used."""
        if name == "solid":
            return "#333"
        if name == "blank":
            return "#fff"
        if name not in FILLS:
            raise ValueError(f"unknown fill {name!r}: use one of {', '.join(FILLS)}")
        pattern_id = f"{self.key}-{name}"
        if name not in self._defined:
            self._defined.add(name)
            self._pattern(pattern_id, name)
        return f"url(#{pattern_id})"

    def _pattern(self, pattern_id: str, name: str) -> None:
        # hatch: sparse thin diagonals; cross: dense thick diagonals both ways; dots: a grid
        size, stroke = {"hatch": ("5", "1"), "cross": ("4", "1.3"), "dots": ("4", "0")}[name]
        attrs = {"id": pattern_id, "width": size, "height": size, "patternUnits": "userSpaceOnUse"}
        if name != "dots":
            attrs["patternTransform"] = "rotate(45)"
        pattern = ET.SubElement(self._defs, "pattern", attrs)
        ET.SubElement(pattern, "rect", {"width": size, "height": size, "fill": "#fff"})
        if name == "dots":
            ET.SubElement(pattern, "circle", {"cx": "2", "cy": "2", "r": "1", "fill": INK})
            return
        line = {"x1": "0", "y1": "0", "x2": "0", "y2": size, "stroke": INK, "stroke-width": stroke}
        ET.SubElement(pattern, "line", line)
        if name == "cross":
            ET.SubElement(pattern, "line", {**line, "x2": size, "y2": "0"})

    def add(self, parent: ET.Element | None, tag: str, **attrs: str | float) -> ET.Element:
        """A child element; numbers become SVG text (``num``), ``class_`` is ``class``."""
        values = {
            key.rstrip("_").replace("_", "-"): value if isinstance(value, str) else num(value)
            for key, value in attrs.items()
        }
        return ET.SubElement(self.root if parent is None else parent, tag, values)

    def text(
        self,
        parent: ET.Element | None,
        x: float,
        y: float,
        words: str,
        halo: bool = False,
        **attrs: str | float,
    ) -> ET.Element:
        """A text; with ``halo``, outlined in white so lines behind it do not cross it."""
        if halo:
            attrs = {**_HALO, **attrs}
        element = self.add(parent, "text", x=x, y=y, **attrs)
        element.text = words
        return element

    def group(
        self, parent: ET.Element | None, tooltip: str = "", **attrs: str | float
    ) -> ET.Element:
        """A ``<g>``; with ``tooltip``, a ``<title>`` a browser shows on hover."""
        element = self.add(parent, "g", **attrs)
        if tooltip:
            ET.SubElement(element, "title").text = tooltip
        return element

    def legend(self, y: float, items: Sequence[tuple[str, str]], x: float = 4) -> float:
        """Swatches with their labels in a row, wrapped at the width; the y below them."""
        row = self.group(None, class_="legend")
        left = x
        for label, fill in items:
            step = 18 + text_width(label, 10) + 12
            if left > x and left + step > self.width:
                left, y = x, y + 16
            self.add(
                row,
                "rect",
                x=left,
                y=y,
                width=14,
                height=10,
                fill=self.fill(fill),
                stroke=INK,
                stroke_width=0.6,
            )
            self.text(row, left + 18, y + 9, label, font_size=10)
            left += step
        return y + 16

    def markup(self, height: float) -> Markup:
        """The finished document at ``height``, as markup for a template."""
        self.root.set("height", num(height))
        self.root.set("viewBox", f"0 0 {num(self.width)} {num(height)}")
        if not len(self._defs):
            self.root.remove(self._defs)
        return Markup(ET.tostring(self.root, encoding="unicode"))  # ElementTree escaped every text


# -- horizontal bars -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, the fill that says what kind of bar it is, and a note
    printed after the value (e.g. "never fires")."""

    label: str
    value: int
    fill: str = "solid"
    note: str = ""


def bar_chart(
    key: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    unit: str = "",
    width: float = 640,
    labels_above: bool = False,
    legend: Sequence[tuple[str, str]] = (),
) -> Markup:
    """Horizontal bars in the order given, lengths proportional to the values (a zero is drawn
    as a bar of width 0 with its "0" beside it). Labels sit left of the bars, or above each bar
    with ``labels_above`` (for long labels). Each bar is ``<rect class="bar" data-value=N>``."""
    canvas = Canvas(key, width, title, desc)
    size = 10
    shown = [
        f"{bar.value:,}{' ' + unit if unit else ''}{' (' + bar.note + ')' if bar.note else ''}"
        for bar in bars
    ]
    reserve = max((text_width(text, size) for text in shown), default=0) + 8
    left = 12 if labels_above else max((text_width(b.label, size) for b in bars), default=0) + 10
    plot = max(width - left - reserve, 40)
    most = max((bar.value for bar in bars), default=0)
    scale = plot / most if most else 0
    row_height, bar_height = (28 if labels_above else 15), 10
    y = 4.0
    for bar, text in zip(bars, shown, strict=True):
        row = canvas.group(None, f"{bar.label}: {text}", class_="row")
        top = y + (14 if labels_above else 2)
        if labels_above:
            canvas.text(row, 4, y + 11, bar.label, font_size=size)
        else:
            canvas.text(row, left - 6, top + 9, bar.label, font_size=size, text_anchor="end")
        length = bar.value * scale
        canvas.add(
            row,
            "rect",
            class_="bar",
            data_value=str(bar.value),
            x=left,
            y=top,
            width=length,
            height=bar_height,
            fill=canvas.fill(bar.fill),
            stroke=INK,
            stroke_width=0.5,
        )
        canvas.text(row, left + length + 4, top + 9, text, font_size=size)
        y += row_height
    canvas.add(None, "line", class_="axis", x1=left, y1=2, x2=left, y2=y, stroke=INK)
    if legend:
        y = canvas.legend(y + 6, legend)
    return canvas.markup(y + 2)


# -- stacked bars ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One kind of segment of a stacked bar: its key, its label and its fill."""

    key: str
    label: str
    fill: str


@dataclass(frozen=True)
class StackRow:
    """One stacked bar: a count per part key, or (``counts`` None) only a note in words."""

    label: str
    counts: Mapping[str, int] | None
    note: str = ""


def _counts_text(row: StackRow, parts: Sequence[Part]) -> str:
    if row.counts is None:
        return row.note
    total = sum(row.counts.values())
    counted = ", ".join(f"{row.counts.get(p.key, 0)} {p.label}" for p in parts)
    return f"{counted} (of {total})"


def stacked_bar_chart(
    key: str,
    title: str,
    desc: str,
    rows: Sequence[StackRow],
    parts: Sequence[Part],
    *,
    bar_width: float = 160,
) -> Markup:
    """One full-width bar per row, cut into segments whose widths are each part's share of the
    row's total, in the order of ``parts``, each non-zero segment with its count written in it;
    the total after the bar, the counts in words on hover, and a legend. Each segment is
    ``<rect class="segment" data-part=KEY data-count=N>`` (a zero count gives a segment of width
    0); a row without counts shows its note instead of a bar."""
    size = 10
    totals = [f"of {sum(row.counts.values())}" if row.counts is not None else "" for row in rows]
    left = max((text_width(row.label, size) for row in rows), default=0) + 10
    notes = [text_width(row.note, size) - bar_width - 8 for row in rows if row.counts is None]
    after = max([*(text_width(t, size) for t in totals), *notes], default=0)
    legend_width = sum(30 + text_width(part.label, 10) for part in parts) + 8
    width = max(left + bar_width + 8 + after + 4, legend_width)
    canvas = Canvas(key, width, title, desc)
    y = 4.0
    for row, total_text in zip(rows, totals, strict=True):
        group = canvas.group(None, f"{row.label}: {_counts_text(row, parts)}", class_="row")
        canvas.text(group, left - 6, y + 11, row.label, font_size=size, text_anchor="end")
        if row.counts is None:
            canvas.text(group, left, y + 11, row.note, font_size=size, font_style="italic")
            y += 18
            continue
        total = sum(row.counts.values())
        x = left
        for part in parts:
            count = row.counts.get(part.key, 0)
            length = bar_width * count / total if total else 0
            canvas.add(
                group,
                "rect",
                class_="segment",
                data_part=part.key,
                data_count=str(count),
                x=x,
                y=y + 2,
                width=length,
                height=12,
                fill=canvas.fill(part.fill),
                stroke=INK,
                stroke_width=0.5,
            )
            if count:
                canvas.text(
                    group,
                    x + length / 2,
                    y + 12,
                    str(count),
                    halo=True,
                    class_="count",
                    font_size=size,
                    font_weight="bold",
                    text_anchor="middle",
                )
            x += length
        canvas.add(
            group,
            "rect",
            class_="frame",
            x=left,
            y=y + 2,
            width=bar_width,
            height=12,
            fill="none",
            stroke=INK,
            stroke_width=0.8,
        )
        canvas.text(group, left + bar_width + 6, y + 12, total_text, font_size=size)
        y += 18
    y = canvas.legend(y + 4, [(p.label, p.fill) for p in parts])
    return canvas.markup(y + 2)


def vote_chart(result: RuleResult, votes: Mapping[str, str] = VOTES) -> Markup | None:
    """A rule's ballots as stacked bars, one row per round: agree, agree with changes and
    disagree as shares of the round's ballots. A round's shares show once it is closed (as in
    the results table); an open round shows how many ballots are in. None without rounds."""
    if not result.rounds:
        return None
    parts = [Part(vote, label, VOTE_FILLS.get(vote, "blank")) for vote, label in votes.items()]
    rows = []
    for t in result.rounds:
        label = f"Round {t.round}"
        if not t.closed:
            rows.append(StackRow(label, None, f"open: {t.voters} ballot(s) in"))
        elif not t.voters:
            rows.append(StackRow(label, None, "closed with no ballots"))
        else:
            rows.append(StackRow(label, dict(t.counts)))
    said = "; ".join(f"{row.label}: {_counts_text(row, parts)}" for row in rows)
    return stacked_bar_chart(
        f"votes-{result.rule_id}",
        f"Votes on {result.rule_id}, per round",
        f"Stacked bars, one per round, each the round's ballots as shares: solid agree, hatched "
        f"agree with changes, cross-hatched disagree. {said}.",
        rows,
        parts,
    )

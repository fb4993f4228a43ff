"""Charts as plain SVG: the coverage page's bars, the workshop's vote shares and the evidence
timeline's picture; each parses, says what it shows, is drawn the same every time and matches
the text beside it."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from endodecide.evaluate import pack_info
from endodecide.render.charts_svg import Bar, bar_chart, vote_chart
from endodecide.render.coverage import render_coverage_html
from endodecide.render.environment import template_environment
from endodecide.render.evidence_svg import evidence_scale, rule_spans
from endodecide.render.timeline import render_directions, render_timeline
from endodecide.rulepack import RulePack
from endodecide.workshop.agreement import tally
from endodecide.workshop.coverage import CoverageResult, Outcome
from endodecide.workshop.panel import VOTES, Ballot, Participant, RoundState, SessionRecord
from endodecide.workshop.space import ProfileSpace, SpaceClass
from tests.conftest import make_profile

SVG = "{http://www.w3.org/2000/svg}"
T0 = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2025, 1, 1, 10, 0, tzinfo=dt.UTC)


def _svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML."""
    return [ET.fromstring(text) for text in re.findall(r"<svg .*?</svg>", html, re.DOTALL)]


def _titled(html: str, title: str) -> ET.Element:
    (found,) = [svg for svg in _svgs(html) if svg.findtext(f"{SVG}title", "").startswith(title)]
    return found


def _assert_accessible(svg: ET.Element) -> None:
    """role="img", a title and a description, each named by the aria attributes."""
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")


def _rows(svg: ET.Element) -> list[tuple[str, ET.Element]]:
    """Each bar of a bar chart with its label."""
    found = []
    for row in svg.iter(f"{SVG}g"):
        if row.get("class") == "row":
            label = row.findall(f"{SVG}text")[0].text or ""
            bar = row.find(f"{SVG}rect[@class='bar']")
            assert bar is not None
            found.append((label, bar))
    return found


# -- coverage ------------------------------------------------------------------------------------


def _deriving(pack: RulePack, value: str) -> str:
    """The rule that derives this endocrine-resistance class."""
    return next(
        rule_id
        for rule_id, rule in pack.rules.items()
        if rule.card.then.derive is not None
        and rule.card.then.derive.fact == "endocrine_resistance"
        and rule.card.then.derive.value == value
    )


@pytest.fixture(scope="module")
def coverage(pack: RulePack) -> CoverageResult:
    """Four hand-made outcomes: answered, a gap, a documented gap, and out of scope."""
    primary, secondary = _deriving(pack, "primary"), _deriving(pack, "secondary")
    limitation = pack.limitations[0].id
    outcomes = [
        Outcome(0, ("ED001", primary, "ED101"), ("ED101",), (), True, False, "", (), ()),
        Outcome(1, ("ED001", secondary, "ED114"), ("ED114",), (), True, True, "", (), ()),
        Outcome(2, ("ED001", secondary), (), (), True, True, limitation, (), ()),
        Outcome(3, ("ED002",), (), (), False, False, "", (), ()),
    ]
    classes = tuple(
        SpaceClass(make_profile(), "patient grid", (("sex", "female"),), "none") for _ in range(4)
    )
    return CoverageResult(ProfileSpace((), 0, 4, classes), outcomes)


@pytest.fixture(scope="module")
def coverage_html(pack: RulePack, coverage: CoverageResult) -> str:
    return render_coverage_html(pack, coverage, 1.0, 1)


def test_coverage_charts_parse_and_say_what_they_show(
    coverage_html: str, pack: RulePack, coverage: CoverageResult
) -> None:
    """Two charts, each an accessible SVG, and the page is drawn the same every time."""
    assert render_coverage_html(pack, coverage, 1.0, 1) == coverage_html
    svgs = _svgs(coverage_html)
    assert len(svgs) == 2
    for svg in svgs:
        _assert_accessible(svg)
    assert "<script" not in coverage_html


def test_coverage_rule_bars_match_the_table(coverage_html: str, pack: RulePack) -> None:
    """One bar per row of 'Profiles per rule', in its order, with its count; lengths are
    proportional to the counts, and a rule that never fires is a bar of 0."""
    table = coverage_html.split("<h2>Profiles per rule</h2>")[1]
    counted = re.findall(
        r'<tr><th scope="row">(ED\d{3})</th><td>\w+</td><td>[^<]*</td><td>([\d,]+)</td>', table
    )
    assert [rule for rule, _ in counted] == list(pack.rules)
    bars = _rows(_titled(coverage_html, "Profiles per rule"))
    assert [(label, int(bar.get("data-value", ""))) for label, bar in bars] == [
        (rule, int(count.replace(",", ""))) for rule, count in counted
    ]
    width = {label: float(bar.get("width", "")) for label, bar in bars}
    assert width["ED001"] / width["ED101"] == pytest.approx(3 / 1, rel=1e-3)
    assert width["ED002"] / width["ED001"] == pytest.approx(1 / 3, rel=1e-3)
    assert width["ED210"] == 0  # fires on none of the four
    assert "0 (never fires)" in ET.tostring(_titled(coverage_html, "Profiles per rule"), "unicode")


def test_coverage_gap_bars_match_the_table(coverage_html: str, pack: RulePack) -> None:
    """Gaps per patient kind: the unexplained gap of a secondary-resistance class, none of a
    primary one, and the documented one under its known limitation, hatched."""
    table = coverage_html.split("<h2>Gaps per patient kind</h2>")[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([\d,]+)</td>', table)
    bars = _rows(_titled(coverage_html, "Gaps per patient kind"))
    assert [(label, bar.get("data-value")) for label, bar in bars] == rows
    counts = dict(rows)
    assert counts["endocrine resistance: secondary"] == "1"
    assert counts["endocrine resistance: primary"] == "0"
    assert counts[pack.limitations[0].title] == "1"
    fills = {label: bar.get("fill", "") for label, bar in bars}
    assert fills[pack.limitations[0].title].startswith("url(#coverage-gaps-hatch")
    assert fills["endocrine resistance: secondary"] != fills[pack.limitations[0].title]


def test_a_bar_chart_is_deterministic_and_escapes_its_text() -> None:
    """The same bars give the same bytes; markup in a label stays text."""
    bars = [Bar("<b>one</b> & two", 3), Bar("zero", 0, note="never")]
    first = bar_chart("k", "A <title>", "A desc & more", bars)
    assert first == bar_chart("k", "A <title>", "A desc & more", bars)
    assert "<b>" not in first and "&lt;b&gt;one&lt;/b&gt; &amp; two" in first
    svg = ET.fromstring(str(first))
    _assert_accessible(svg)
    assert svg.findtext(f"{SVG}title") == "A <title>"


# -- workshop votes --------------------------------------------------------------------------------


def _record() -> SessionRecord:
    """ED101: round 1 closed (2 agree, 1 with changes, 1 disagree), round 2 closed (3 agree,
    1 with changes); ED210: round 1 open with one ballot; ED113: never opened."""
    votes_1 = ["agree", "agree", "agree_with_changes", "disagree"]
    votes_2 = ["agree", "agree", "agree", "agree_with_changes"]
    ballots = [Ballot(i + 1, "ED101", 1, vote) for i, vote in enumerate(votes_1)]
    ballots += [Ballot(i + 1, "ED101", 2, vote) for i, vote in enumerate(votes_2)]
    ballots.append(Ballot(1, "ED210", 1, "agree"))
    return SessionRecord(
        id="s1",
        title="Panel",
        threshold=75,
        as_of="2014-12-10",
        created=T0,
        rule_ids=["ED101", "ED210", "ED113"],
        profile_ids=[],
        participants=[Participant(i, f"P{i}", "oncologist") for i in range(1, 5)],
        ballots=ballots,
        rounds=[
            RoundState("ED101", 1, T0, T1),
            RoundState("ED101", 2, T0, T1),
            RoundState("ED210", 1, T0, None),
        ],
    )


def _segments(svg: ET.Element) -> list[list[tuple[str, int, float]]]:
    """Per row of a stacked chart: each segment's part, count and width (no bar: empty)."""
    found = []
    for row in svg.iter(f"{SVG}g"):
        if row.get("class") == "row":
            found.append(
                [
                    (
                        r.get("data-part", ""),
                        int(r.get("data-count", "")),
                        float(r.get("width", "")),
                    )
                    for r in row.findall(f"{SVG}rect[@class='segment']")
                ]
            )
    return found


def test_vote_bars_are_the_shares_of_each_closed_round() -> None:
    """Each segment's width over the bar's is its vote's share of the round's ballots."""
    ed101, ed210, ed113 = tally(_record())
    chart = vote_chart(ed101)
    assert chart is not None and chart == vote_chart(ed101)
    svg = ET.fromstring(str(chart))
    _assert_accessible(svg)
    frame = svg.find(f".//{SVG}rect[@class='frame']")
    assert frame is not None
    full = float(frame.get("width", ""))
    shares = [[(part, count, width / full) for part, count, width in row] for row in _segments(svg)]
    assert shares == [
        [
            ("agree", 2, pytest.approx(0.5, abs=1e-3)),
            ("agree_with_changes", 1, pytest.approx(0.25, abs=1e-3)),
            ("disagree", 1, pytest.approx(0.25, abs=1e-3)),
        ],
        [
            ("agree", 3, pytest.approx(0.75, abs=1e-3)),
            ("agree_with_changes", 1, pytest.approx(0.25, abs=1e-3)),
            ("disagree", 0, 0),
        ],
    ]
    fills = {
        r.get("data-part"): r.get("fill") for r in svg.iter(f"{SVG}rect") if r.get("data-part")
    }
    assert len(set(fills.values())) == 3  # three patterns, not three colours
    desc = svg.findtext(f"{SVG}desc", "")
    assert "Round 1: 2 agree, 1 agree with changes, 1 disagree (of 4)" in desc
    open_round = vote_chart(ed210)
    assert open_round is not None and "open: 1 ballot(s) in" in open_round
    assert _segments(ET.fromstring(str(open_round))) == [[]]  # no shares before it closes
    assert vote_chart(ed113) is None


def test_results_page_draws_one_chart_per_voted_rule_and_keeps_the_text() -> None:
    """The results template: the table's words stay, each voted rule has its SVG, no CSS bars."""
    record = _record()
    html = (
        template_environment("html")
        .get_template("web/results.html.j2")
        .render(
            disclaimer="disclaimer",
            csrftoken="",
            page_title="Results",
            projector=False,
            record=record,
            titles={r: r for r in record.rule_ids},
            results=tally(record),
            agreements=[],
            dissent=[],
            edits=[],
            votes=VOTES,
            vote_chart=vote_chart,
            roles={},
        )
    )
    assert "2 of 4 (50%)" in html and "3 of 4 (75%)" in html
    assert 'class="bar' not in html
    charts = _svgs(html)
    assert [svg.findtext(f"{SVG}title") for svg in charts] == [
        "Votes on ED101, per round",
        "Votes on ED210, per round",
    ]


# -- the evidence timeline ---------------------------------------------------------------------


def _lane(svg: ET.Element, rule: str) -> list[ET.Element]:
    (lane,) = [g for g in svg.iter(f"{SVG}g") if g.get("data-rule") == rule]
    return lane.findall(f"{SVG}rect[@class='segment']")


def _tick(svg: ET.Element, evidence: str) -> tuple[str, float]:
    """A trial's tick: its label and its x."""
    (tick,) = [g for g in svg.iter(f"{SVG}g") if g.get("data-evidence") == evidence]
    line = tick.find(f"{SVG}line")
    assert line is not None and line.get("x1") == line.get("x2")
    return tick.findtext(f"{SVG}text", ""), float(line.get("x1", ""))


def _picture(pack: RulePack, target: str) -> ET.Element:
    html = render_timeline(pack, pack_info(pack), target, target, "html")
    (svg,) = _svgs(html)
    return svg


@pytest.mark.parametrize(
    ("rule", "evidence", "trial", "before", "after"),
    [
        ("ED310", "paloma-2", "PALOMA-2", "investigational", "standard"),
        ("ED250", "solar-1", "SOLAR-1", "investigational", "retired"),
        ("ED510", "e2112", "E2112", "investigational", "evidence_against"),
    ],
)
def test_a_rule_changes_status_at_its_deciding_trial(
    pack: RulePack, rule: str, evidence: str, trial: str, before: str, after: str
) -> None:
    """The rule's band changes status at the x of its trial's publication (a date known to the
    year only counts from its last day), where a tick labelled with the trial stands."""
    svg = _picture(pack, rule)
    _assert_accessible(svg)
    first, second = _lane(svg, rule)
    assert (first.get("data-status"), second.get("data-status")) == (before, after)
    day = pack.evidence.entries[evidence].publication.end
    scale = evidence_scale(pack.evidence_date, pack.latest_date)
    x = float(second.get("x", ""))
    assert x == pytest.approx(scale.x(day), abs=0.01)
    assert float(first.get("x", "")) + float(first.get("width", "")) == pytest.approx(x, abs=0.02)
    assert second.get("data-from") == day.isoformat()
    assert first.get("data-from") == str(pack.evidence_date)
    assert second.get("data-to") == str(pack.latest_date)
    label, tick_x = _tick(svg, evidence)
    assert label == trial and tick_x == pytest.approx(x, abs=0.01)
    days = (day - pack.evidence_date).days / (pack.latest_date - pack.evidence_date).days
    assert (x - scale.left) / (scale.right - scale.left) == pytest.approx(days, abs=1e-4)


def test_spans_follow_the_rule_file(pack: RulePack) -> None:
    """A rule from a later trial starts at its date; a 2014 rule starts at the review's."""
    start, end = pack.evidence_date, pack.latest_date
    (ed320,) = rule_spans(pack.every_rule["ED320"].card, start, end)
    assert (ed320.start, ed320.end, ed320.status) == (date(2015, 6, 1), end, "standard")
    assert rule_spans(pack.every_rule["ED010"].card, start, end) == ()  # derives, no option
    assert rule_spans(pack.every_rule["ED310"].card, start, date(2016, 11, 17))[-1].status == (
        "investigational"
    )


def test_timeline_picture_covers_every_strategy_and_is_deterministic(pack: RulePack) -> None:
    """The pack's timeline: a band per strategy that proposes options, a row per option rule;
    the same picture every time; none in Markdown."""
    info = pack_info(pack)
    html = render_timeline(pack, info, None, "All", "html")
    assert html == render_timeline(pack, info, None, "All", "html")
    (svg,) = _svgs(html)
    _assert_accessible(svg)
    bands = [g.get("data-band") for g in svg.iter(f"{SVG}g") if g.get("class") == "band"]
    proposing = {r.card.strategy for r in pack.every_rule.values() if r.card.then.option}
    assert set(bands) == proposing
    lanes = {g.get("data-rule") for g in svg.iter(f"{SVG}g") if g.get("class") == "lane"}
    assert lanes == {r for r, rule in pack.every_rule.items() if rule.card.then.option}
    assert '<ol class="timeline">' in html
    assert "<svg" not in render_timeline(pack, info, None, "All", "md")


def test_directions_picture_has_a_band_per_direction(pack: RulePack) -> None:
    """A band per direction, its rules as rows, its trials as ticks; deterministic."""
    info = pack_info(pack)
    html = render_directions(pack, info, "html")
    assert html == render_directions(pack, info, "html")
    (svg,) = _svgs(html)
    _assert_accessible(svg)
    bands = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "band"]
    assert [g.get("data-band") for g in bands] == [d.id for d in pack.manifest.directions]
    (cdk,) = [g for g in bands if g.get("data-band") == "cdk4-6"]
    assert {g.get("data-rule") for g in cdk.iter(f"{SVG}g") if g.get("data-rule")} >= {
        "ED310",
        "ED320",
    }
    assert _tick(cdk, "paloma-2")[0] == "PALOMA-2"
    assert "<svg" not in render_directions(pack, info, "md")

"""The endocrine history drawn against the ABC2 thresholds (render.history_svg, history_marks):
goldens, thresholds read from the rules, well-formed accessible SVG, its text alternative."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from endodecide.evaluate import Evaluator, pack_info
from endodecide.profile import load_profile
from endodecide.render import history_marks
from endodecide.render.catalog import render_handout
from endodecide.render.history_marks import ANCHORS, history_of, history_text, month_facts
from endodecide.render.history_svg import HistoryFigure, history_figure, history_svg
from endodecide.render.report import render_report
from endodecide.rulepack import RulePack, load_pack
from tests.conftest import cli, edit_rule
from tests.goldens import (
    HISTORY_GOLDEN_DIR,
    HISTORY_GOLDENS,
    history_golden_path,
    profile_files,
    render_history_golden,
)

SVG = "{http://www.w3.org/2000/svg}"
NUMBER_ATTRS = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height")


def _figure(pack: RulePack, stem: str, ident: str = "history") -> HistoryFigure:
    path = next(p for p in profile_files() if p.stem == stem)
    loaded = load_profile(path)
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source, explain=True)
    return history_figure(loaded.profile, result, pack, pack_info(pack), ident=ident)


def _groups(svg: str, cls: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def _month_x(svg: str, month: float) -> float:
    """The x of ``month`` on the picture's own axis, from its first and last tick."""
    (axis,) = _groups(svg, "axis")
    ticks = [
        (int(text.text or ""), float(text.get("x", "")))
        for text in axis.iter(f"{SVG}text")
        if (text.text or "").isdigit()
    ]
    (m0, x0), (m1, x1) = ticks[0], ticks[-1]
    return x0 + (month - m0) * (x1 - x0) / (m1 - m0)


def _mark_x(svg: str, rule: str, style: str = "fired") -> float:
    (group,) = [g for g in _groups(svg, f"threshold {style}") if g.get("data-rule") == rule]
    line = group.find(f"{SVG}line")
    assert line is not None and line.get("x1") == line.get("x2")
    return float(line.get("x1", ""))


@pytest.mark.parametrize("stem", HISTORY_GOLDENS)
def test_history_golden(stem: str) -> None:
    """The history picture equals its reviewed golden (regenerate with 'make goldens')."""
    path = history_golden_path(stem)
    assert path.is_file(), f"no history golden for {stem}: run 'make goldens' and review it"
    assert render_history_golden(stem) == path.read_text(encoding="utf-8")


def test_no_stale_history_goldens() -> None:
    """Every file under golden/history is the golden of an entry of HISTORY_GOLDENS."""
    expected = {history_golden_path(stem).name for stem in HISTORY_GOLDENS}
    found = {p.name for p in HISTORY_GOLDEN_DIR.iterdir()} if HISTORY_GOLDEN_DIR.is_dir() else set()
    assert found == expected, "run 'make goldens' (or add the profile to HISTORY_GOLDENS)"


def test_the_goldens_show_one_profile_per_resistance_class(pack: RulePack) -> None:
    """The three goldens are primary, secondary and not resistant, each with a fired mark."""
    classes = []
    for stem in HISTORY_GOLDENS:
        loaded = load_profile(next(p for p in profile_files() if p.stem == stem))
        result = Evaluator(pack).evaluate(loaded.profile, loaded.source)
        history = history_of(loaded.profile, result, pack)
        classes.append(history.resistance)
        assert any(m.fired and m.at is not None for m in history.marks), stem
    assert classes == ["primary", "secondary", "not endocrine resistant"]


def test_every_months_fact_has_an_anchor() -> None:
    """The fact -> anchor table covers every months fact of the vocabulary."""
    assert set(month_facts()) <= set(ANCHORS)
    assert "line.adjuvant_months_total" in month_facts()


@pytest.mark.parametrize("stem", [p.stem for p in profile_files()])
def test_every_picture_is_accessible_well_formed_svg(pack: RulePack, stem: str) -> None:
    """Inline and standalone pictures parse as XML, are role=img labelled by their <title> and
    <desc>, use a generic font, integer or one-decimal coordinates, and fetch nothing."""
    figure = _figure(pack, stem)
    for svg in (figure.svg, figure.standalone.split("\n", 1)[1]):
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None and title.text and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert root.get("font-family") == "sans-serif"
        assert "href" not in svg and "@import" not in svg and "<script" not in svg
        for element in root.iter():
            for name in NUMBER_ATTRS:
                value = element.get(name)
                assert value is None or re.fullmatch(r"-?\d+(\.\d)?", value), (name, value)
    assert ET.fromstring(figure.svg).find(f"{SVG}metadata") is None  # the page carries it


@pytest.mark.parametrize("stem", [p.stem for p in profile_files()])
def test_the_text_lists_the_same_lines_and_thresholds(pack: RulePack, stem: str) -> None:
    """The text alternative (beside the picture and in its <desc>) has a line per bar and a
    threshold per mark, with the rule and its months."""
    figure = _figure(pack, stem)
    root = ET.fromstring(figure.svg)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == " ".join(figure.text)
    numbers = [g.get("data-line") for g in _groups(figure.svg, "line")]
    said = [m[1] for t in figure.text if (m := re.match(r"Line (\d+): ", t))]
    history = load_profile(next(p for p in profile_files() if p.stem == stem)).profile
    assert numbers == said == [str(n) for n in range(1, len(history.endocrine_history) + 1)]
    for style in ("fired", "tested"):
        for group in _groups(figure.svg, f"threshold {style}"):
            rule, months, line = (group.get(f"data-{k}") for k in ("rule", "months", "line"))
            label = group.find(f"{SVG}text")
            assert label is not None and label.text == f"{rule}: {months} mo"
            (words,) = [
                t
                for t in figure.text
                if t.startswith(f"Threshold {rule} at {months} months") and f"line {line}:" in t
            ]
            assert ("fainter" in words) == (style == "tested")


def test_p002_draws_the_relapse_before_ed003s_two_years(pack: RulePack) -> None:
    """Relapse at month 8 of adjuvant anastrozole, ED003's mark at 24 months from its start,
    ED004's (tested, did not fire) fainter at the same place, said so in the legend."""
    figure = _figure(pack, "P002-primary-resistance-adjuvant-ai")
    assert _mark_x(figure.svg, "ED003") == pytest.approx(_month_x(figure.svg, 24), abs=0.1)
    assert _mark_x(figure.svg, "ED004", "tested") == _mark_x(figure.svg, "ED003")
    assert "Line 1: anastrozole, adjuvant, months 0\u20138, relapse." in figure.text
    (legend,) = _groups(figure.svg, "legend")
    words = [t.text for t in legend.iter(f"{SVG}text")]
    assert "fainter: threshold of a rule tested here that did not fire" in words
    assert "ended: relapse" in words and "adjuvant line" in words
    assert figure.text[0].startswith("Endocrine resistance (ESO-ESMO ABC2): primary;")


def test_after_adjuvant_thresholds_are_measured_from_its_end(pack: RulePack) -> None:
    """ED005's 12 months start at the end of 60 months of adjuvant anastrozole: month 72."""
    figure = _figure(pack, "P014-secondary-resistance-after-adjuvant-anastrozole")
    assert _mark_x(figure.svg, "ED005") == pytest.approx(_month_x(figure.svg, 72), abs=0.1)
    assert any("Relapse at month 68, 8 months after the end" in t for t in figure.text)


def test_a_toxicity_switch_keeps_the_first_lines_start(pack: RulePack) -> None:
    """P020: 3 months of letrozole stopped for toxicity, then anastrozole: ED008's 6 months
    count from the start of the first line, not from the switch."""
    figure = _figure(pack, "P020-toxicity-switch-first-line")
    assert _mark_x(figure.svg, "ED008") == pytest.approx(_month_x(figure.svg, 6), abs=0.1)
    assert len(_groups(figure.svg, "line")) == 2


def test_chemotherapy_lines_are_marked_by_count(pack: RulePack) -> None:
    """P018's two chemotherapy lines: two diamonds, their timing said to be unknown."""
    figure = _figure(pack, "P018-after-nsai-two-chemotherapy-lines")
    (chemo,) = _groups(figure.svg, "chemotherapy")
    assert chemo.get("data-lines") == "2" and len(chemo.findall(f"{SVG}polygon")) == 2
    assert any(t.startswith("Chemotherapy for metastatic disease: 2 line(s)") for t in figure.text)


def test_a_class_without_a_threshold_says_so(pack: RulePack) -> None:
    """P021 (adjuvant stopped for toxicity): not classified, ED009 has no months to draw."""
    figure = _figure(pack, "P021-adjuvant-ai-stopped-for-toxicity")
    assert figure.text[0].startswith("Endocrine resistance (ESO-ESMO ABC2): not classified")
    assert "ED009 has no month threshold to draw." in figure.text
    assert not _groups(figure.svg, "threshold fired")


def test_a_moved_threshold_moves_its_mark(pack: RulePack, rules_copy: Path) -> None:
    """A workshop's copy of the rules with ED003's 24 months made 18 (condition and examples):
    the pack loads, and the ED003 mark moves to the x of 18 months."""
    edit_rule(rules_copy, "ED003", "total is less than 24", "total is less than 18")
    edit_rule(rules_copy, "ED003", "Relapse at month 23", "Relapse at month 17")
    edit_rule(rules_copy, "ED003", "months: 23, ended: relapse", "months: 17, ended: relapse")
    edit_rule(rules_copy, "ED003", "Relapse at month 24", "Relapse at month 18")
    edit_rule(rules_copy, "ED003", "months: 24, ended: relapse", "months: 18, ended: relapse")
    moved = load_pack(rules_copy)
    rule = moved.rules["ED003"]
    evaluator = Evaluator(moved)
    for example in rule.examples:  # the edited examples still say what the rule does
        result = evaluator.evaluate(example.profile, "example")
        fired = any(b.rule == "ED003" for f in result.derived_facts for b in f.because)
        assert fired == example.fires
    stem = "P002-primary-resistance-adjuvant-ai"
    before, after = _figure(pack, stem), _figure(moved, stem)
    assert _mark_x(after.svg, "ED003") == pytest.approx(_month_x(after.svg, 18), abs=0.1)
    assert _mark_x(after.svg, "ED003") != _mark_x(before.svg, "ED003")
    assert _mark_x(after.svg, "ED004", "tested") == pytest.approx(_month_x(after.svg, 24), abs=0.1)
    assert any(t.startswith("Threshold ED003 at 18 months") for t in after.text)
    assert render_history_golden(stem, rules_copy) != render_history_golden(stem)


def test_a_months_fact_without_an_anchor_is_listed_not_drawn(
    pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the table to miss a fact, its thresholds are named in the text, not guessed."""
    monkeypatch.delitem(history_marks.ANCHORS, "line.adjuvant_months_total")
    figure = _figure(pack, "P002-primary-resistance-adjuvant-ai")
    assert not _groups(figure.svg, "threshold fired")
    assert any(t.startswith("Threshold ED003 (") and "no anchor is known" in t for t in figure.text)


def test_the_picture_is_deterministic(pack: RulePack) -> None:
    """The same profile gives the same bytes, from a freshly loaded pack too."""
    stem = "P012-third-line-esr1-mutated"
    first = _figure(pack, stem)
    assert _figure(pack, stem) == first
    assert _figure(load_pack(Path("rules")), stem) == first


def test_ids_carry_the_prefix_so_a_page_can_hold_many(pack: RulePack) -> None:
    """Every id (title, desc, hatch pattern) starts with ``ident``; references follow it."""
    svg = _figure(pack, "P014-secondary-resistance-after-adjuvant-anastrozole", "case-3").svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("case-3-") for i in ids)
    assert "url(#case-3-hatch)" in svg


def test_profile_text_is_escaped(pack: RulePack) -> None:
    """A label with markup stays text in the SVG's title (ElementTree escapes it)."""
    loaded = load_profile(next(p for p in profile_files() if p.stem.startswith("P004")))
    profile = loaded.profile.model_copy(update={"label": "<script>x</script> & co"})
    result = Evaluator(pack).evaluate(profile, loaded.source)
    result = result.model_copy(update={"label": profile.label})
    svg = history_svg(history_of(profile, result, pack))
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt; &amp; co" in svg
    assert history_text(history_of(profile, result, pack))[1].startswith("Line 1: letrozole")


def test_reports_and_handout_carry_the_picture(pack: RulePack) -> None:
    """The HTML report inlines the SVG with its text list; the Markdown report links the file
    beside it; the handout gives each case its own ids."""
    stem = "P002-primary-resistance-adjuvant-ai"
    loaded = load_profile(next(p for p in profile_files() if p.stem == stem))
    result = Evaluator(pack).evaluate(loaded.profile, loaded.source, explain=True)
    info = pack_info(pack)
    figure = history_figure(loaded.profile, result, pack, info, file=f"{stem}.history.svg")
    html = render_report(info, result, "html", history=figure)
    section = html.split('<h2 id="history">')[1].split("</section>")[0]
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in section
    assert "<li>Threshold ED003 at 24 months from the start of adjuvant therapy" in section
    markdown = render_report(info, result, "md", history=figure)
    assert f"]({stem}.history.svg)" in markdown
    assert "- Threshold ED003 at 24 months" in markdown
    assert "<svg" not in render_report(info, result, "html")  # no history given, none drawn
    results, histories = [], []
    for number, path in enumerate(profile_files()[:3], start=1):
        item = load_profile(path)
        results.append(Evaluator(pack).evaluate(item.profile, item.source))
        histories.append(
            history_figure(item.profile, results[-1], pack, info, ident=f"case-{number}-history")
        )
    handout = render_handout(pack, info, results, histories)
    assert handout.count('role="img"') == 3
    ids = re.findall(r'\bid="(case-\d+-history[^"]*)"', handout)
    assert len(ids) == len(set(ids)) == 9


@pytest.mark.slow
def test_report_writes_the_svg_beside_the_markdown(tmp_path: Path) -> None:
    """'report --format both' writes <stem>.history.svg, linked by the Markdown report and the
    same picture (with the disclaimer) as the golden; the HTML report inlines it."""
    stem = "P016-late-relapse-after-adjuvant-tamoxifen"
    done = cli("report", f"profiles/{stem}.yaml", "--out", str(tmp_path), "--format", "both")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{stem}.html", f"{stem}.md", f"{stem}.history.svg", "index.html", "index.md"]
    )
    svg = (tmp_path / f"{stem}.history.svg").read_text(encoding="utf-8")
    assert svg == history_golden_path(stem).read_text(encoding="utf-8")
    assert f"]({stem}.history.svg)" in (tmp_path / f"{stem}.md").read_text(encoding="utf-8")
    assert 'aria-labelledby="history-title history-desc"' in (tmp_path / f"{stem}.html").read_text()
    html_only = tmp_path / "html"
    assert cli("report", f"profiles/{stem}.yaml", "--out", str(html_only)).returncode == 0
    assert not list(html_only.glob("*.svg"))

"""The minutes of a rule-review session and the proposed-edits checklist: what they show, in
both formats, with every participant's text escaped, and the three files written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from endodecide.render.minutes import (
    RuleInfo,
    render_minutes,
    render_proposed_edits,
    write_minutes,
)
from endodecide.workshop.panel import Ballot, Participant, RoundState, SessionRecord, SignOff

T0 = dt.datetime(2025, 3, 4, 10, 0)
T1 = dt.datetime(2025, 3, 4, 10, 30)
T2 = dt.datetime(2025, 3, 5, 9, 15)
SCRIPT = "<script>alert(1)</script>"
LINK = "**bold** [link](javascript:x)"
PIPE = "| pipe"
DISCLAIMER = "EDUCATIONAL USE ONLY - NOT CLINICAL ADVICE."
ED310_FILE = "rules/cell-cycle/ED310-palbociclib-letrozole-first-line.yaml"
RULES = {
    "ED310": RuleInfo("Palbociclib with letrozole, first line", ED310_FILE, "aaaaaaaaaaaa"),
    "ED320": RuleInfo(
        "Palbociclib with fulvestrant", "rules/cell-cycle/ED320.yaml", "bbbbbbbbbbbb"
    ),
    "ED330": RuleInfo("Everolimus with exemestane", "rules/mtor/ED330.yaml", "cccccccccccc"),
}


def _record() -> SessionRecord:
    """Four members. ED310: 2 of 4 agree, then 4 of 4, signed off. ED320: 3 of 4 agree in a
    closed round 1, not signed off. ED330: 1 of 4 agree, closed. ED340: never voted."""
    people = [
        Participant(1, "Ann", "oncologist"),
        Participant(2, SCRIPT, "pharmacist"),
        Participant(3, LINK, "nurse"),
        Participant(4, PIPE, "nurse"),
    ]
    votes = {
        ("ED310", 1): ["agree", "disagree", "agree", "agree_with_changes"],
        ("ED310", 2): ["agree", "agree", "agree", "agree"],
        ("ED320", 1): ["agree", "agree", "agree", "agree_with_changes"],
        ("ED330", 1): ["disagree", "disagree", "agree", "disagree"],
    }
    ballots = [
        Ballot(i, rule, round_, vote)
        for (rule, round_), column in votes.items()
        for i, vote in enumerate(column, start=1)
        if vote != "disagree" or (i, rule) != (2, "ED310")
    ]
    ballots += [
        Ballot(2, "ED310", 1, "disagree", "threshold-wrong", SCRIPT, proposed_edit=True),
        Ballot(4, "ED320", 1, "agree_with_changes", "caution-missing", f"{LINK} {PIPE}", True),
    ]
    return SessionRecord(
        id="2025-03-04-a1",
        title=f"Cell-cycle panel {SCRIPT}",
        threshold=75,
        as_of="2014-12-10",
        created=T0,
        rule_ids=["ED310", "ED320", "ED330", "ED340"],
        profile_ids=["P001"],
        participants=people,
        ballots=ballots,
        rounds=[RoundState(rule, r, T0, T1) for rule, r in votes],
        sign_offs=[SignOff("ED310", 2, 4, 4, "aaaaaaaaaaaa", T2)],
    )


class _WellFormed(HTMLParser):
    """Checks that every opened element is closed in order (void elements excepted)."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def _parsed(html: str) -> _WellFormed:
    parser = _WellFormed()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    return parser


def _markdown_to_html(text: str) -> str:
    rendered: str = MarkdownIt("commonmark").enable("table").render(text)
    return rendered


@pytest.fixture(scope="module")
def md() -> str:
    return render_minutes(_record(), RULES, DISCLAIMER, "md")


@pytest.fixture(scope="module")
def html() -> str:
    return render_minutes(_record(), RULES, DISCLAIMER, "html")


def test_markdown_minutes_show_the_session_participants_counts_and_decisions(md: str) -> None:
    """The Markdown minutes carry the disclaimer first, roles counted, tallies and decisions."""
    assert md.startswith(f"> **Hypothetical profiles only. {DISCLAIMER}**")
    assert "- **Evidence date:** 2014-12-10" in md
    assert "- **Created:** 2025-03-04" in md
    assert "- **oncologist** (1): Ann" in md
    assert "- **pharmacist** (1): &lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "- **nurse** (2): \\*\\*bold\\*\\* \\[link\\](javascript:x), \\| pipe" in md
    assert "| 1 | 2 | 1 | 1 | 4 | 50% | no | closed |" in md
    assert "| 2 | 4 | 0 | 0 | 4 | 100% | yes | closed |" in md
    assert "+50 percentage points. Participants who changed their vote: 2." in md
    assert "**Decision:** signed off on 2025-03-05 after round 2 (4 of 4 agreed)." in md
    assert "| 1 | 3 | 1 | 0 | 4 | 75% | yes | closed |" in md
    assert "**Decision:** consensus reached, not signed off (round 1)." in md
    assert "**Decision:** no consensus (round 1)." in md
    assert "**Decision:** not voted." in md


def test_html_minutes_show_the_same_facts(html: str) -> None:
    """The HTML minutes carry the same roles, counts, share, decisions and alpha."""
    assert "<li><strong>nurse</strong> (2): **bold** [link](javascript:x), | pipe</li>" in html
    assert (
        '<tr><th scope="row">1</th><td class="number">3</td><td class="number">1</td>'
        '<td class="number">0</td><td class="number">4</td><td class="number">75%</td>'
        "<td>yes</td><td>closed</td></tr>"
    ) in html
    assert "Decision: signed off on 2025-03-05 after round 2 (4 of 4 agreed)." in html
    assert "Decision: no consensus (round 1)." in html
    assert "Decision: not voted." in html
    assert "What the agreement figure means" in html


def test_minutes_give_alpha_per_round_with_its_meaning(md: str, html: str) -> None:
    """Round 1's alpha over three rules, and round 2's reason for being undefined."""
    # Round 1: ED310 a,d,a,w  ED320 a,a,a,w  ED330 d,d,a,d (n = 12, n_a = 6, n_w = 2, n_d = 4).
    # Pairs (weight 1/3): ED310 o(a,d)=2/3, o(a,w)=2/3, o(d,w)=1/3 (each way); ED320 o(a,w)=1;
    # ED330 o(a,d)=1. Disagreement both ways = 2 * (2/3 + 2/3 + 1/3 + 1 + 1) = 22/3.
    # Sum over c != k of n_c n_k = 2 * (12 + 24 + 8) = 88; alpha = 1 - 11 * (22/3) / 88 = 1/12.
    assert "| 1 | 0.083 | 3 | 4 | 12 | Krippendorff's alpha is 0.083 across 3 rules" in md
    assert "agreement too low to rely on." in md
    assert "Alpha is not defined for round 2: fewer than two rules with two or more ballots." in md
    assert '<td class="number">0.083</td>' in html
    assert "fewer than two rules with two or more ballots" in html


def test_dissent_and_proposed_edits_appear_under_their_rule(md: str) -> None:
    """Each non-agree ballot is a row of its rule's table; edits are listed below."""
    ed310 = md.split("### ED310")[1].split("### ED320")[0]
    assert (
        "| &lt;script&gt;alert(1)&lt;/script&gt; | pharmacist | 1 | disagree | threshold wrong "
        "| &lt;script&gt;alert(1)&lt;/script&gt; |"
    ) in ed310
    assert "| Ann |" not in ed310  # Ann agreed throughout
    assert "*Proposed edits*" in ed310
    ed330 = md.split("### ED330")[1]
    assert ed330.count("| disagree | - | - |") == 3


def test_html_escapes_every_participant_text(html: str) -> None:
    """No script element, no link: names and comments are text, and the page is well formed."""
    parsed = _parsed(html)
    assert "script" not in parsed.tags
    assert parsed.hrefs == []
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert parsed.tags.count("table") == 3 + 3 + 1  # round tables, dissent tables, agreement
    assert html.count("<caption>") == 7


def test_markdown_stays_inert_when_rendered(md: str) -> None:
    """Rendered to HTML, the Markdown has no script, no link, no bold from a name, and the
    pipe in a comment does not split its table cell."""
    rendered = _markdown_to_html(md)
    parsed = _parsed(rendered)
    assert "<script" not in rendered
    assert "javascript:" not in "".join(parsed.hrefs)
    assert "a" not in parsed.tags
    assert "<strong>bold</strong>" not in rendered
    row = next(line for line in rendered.split("<tr>") if "caution missing" in line)
    assert row.count("<td>") == 6
    assert "<td>**bold** [link](javascript:x) | pipe</td>" in row


def test_a_changed_rule_is_named_in_its_sign_off() -> None:
    """A sign-off on content the rule no longer has says both hashes."""
    rules = {**RULES, "ED310": RuleInfo("Palbociclib", ED310_FILE, "dddddddddddd")}
    md = render_minutes(_record(), rules, DISCLAIMER, "md")
    assert "the rule has changed since (signed aaaaaaaaaaaa, now dddddddddddd)" in md


def test_an_open_round_has_no_decision_yet() -> None:
    """Ballots in a round not yet closed: voting open, no decision."""
    record = _record()
    record.rounds.append(RoundState("ED330", 1, T2))
    md = render_minutes(record, RULES, DISCLAIMER, "md")
    assert "**Decision:** voting open, no decision yet." in md


def test_proposed_edits_list_each_edit_under_its_rule_file() -> None:
    """One checklist line per edit, with rule, file, comment, who, round, vote and reason."""
    text = render_proposed_edits(_record(), RULES, DISCLAIMER)
    assert text.startswith(f"> **Hypothetical profiles only. {DISCLAIMER}**")
    assert (
        "- [ ] ED310 (rules/cell-cycle/ED310-palbociclib-letrozole-first-line.yaml): "
        "&lt;script&gt;alert(1)&lt;/script&gt; — &lt;script&gt;alert(1)&lt;/script&gt; "
        "(pharmacist), round 1, vote disagree, reason threshold wrong"
    ) in text
    assert text.count("- [ ] ") == 2
    assert "## ED330" not in text
    rendered = _markdown_to_html(text)
    assert "<script" not in rendered
    assert "a" not in _parsed(rendered).tags


def test_no_proposed_edit_says_so() -> None:
    """A session without proposed edits gives a checklist that says there is none."""
    record = _record()
    record.ballots[:] = [b for b in record.ballots if not b.proposed_edit]
    assert "No edit was proposed." in render_proposed_edits(record, RULES, DISCLAIMER)


def test_write_minutes_writes_the_three_files(tmp_path: Path) -> None:
    """Markdown and HTML minutes and the proposed edits, named by session, in a new folder."""
    out = tmp_path / "minutes" / "march"
    record = _record()
    paths = write_minutes(record, RULES, DISCLAIMER, out)
    assert [p.name for p in paths] == [
        "minutes-2025-03-04-a1.md",
        "minutes-2025-03-04-a1.html",
        "proposed-edits-2025-03-04-a1.md",
    ]
    assert paths[0].read_text(encoding="utf-8") == render_minutes(record, RULES, DISCLAIMER, "md")
    assert paths[1].read_text(encoding="utf-8") == render_minutes(record, RULES, DISCLAIMER, "html")
    assert paths[2].read_text(encoding="utf-8") == render_proposed_edits(record, RULES, DISCLAIMER)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_write_minutes_refuses_a_session_id_that_is_not_a_file_name(tmp_path: Path) -> None:
    """A session id with a path separator cannot choose where the minutes go."""
    record = _record()
    bad = dataclasses.replace(record, id="../escape")
    with pytest.raises(ValueError, match="cannot name a file"):
        write_minutes(bad, RULES, DISCLAIMER, tmp_path)
    assert list(tmp_path.iterdir()) == []

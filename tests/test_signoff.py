"""A workshop panel's sign-off written into a rule file: only the review record changes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from endodecide.errors import RulePackError
from endodecide.rulepack import RulePack, load_pack
from endodecide.rulepack.load import content_hash
from endodecide.rulepack.schema import Review, RuleFile, WorkshopRecord
from endodecide.sources import Document, read_document
from endodecide.workshop.signoff import PanelVerdict, SignOffError, rule_file, sign_off
from tests.conftest import cli, edit_text, rule_path

VERDICT = PanelVerdict(
    session="ws-1a2b3c4d",
    round=2,
    panel={"pharmacist": 1, "oncologist": 2},
    agree=3,
    voters=3,
    threshold=75,
    day=dt.date(2026, 11, 27),
)
DRAFT = (
    "review:\n  status: draft  # reviewed needs reviewer_role, date and content_hash "
    "(rules show ID)\n  comments: []\n"
)
WRITTEN = """review:
  status: reviewed
  reviewer_role: workshop panel
  date: '2026-11-27'
  content_hash: {hash}
  workshop:
    session: ws-1a2b3c4d
    round: 2
    panel: {{oncologist: 2, pharmacist: 1}}
    agree: 3
    voters: 3
    threshold: 75
  comments: []
"""
SUMMARY = (
    "session ws-1a2b3c4d, round 2: 3 of 3 agreed, 100%, threshold 75%; "
    "panel: 2 oncologists, 1 pharmacist"
)


def _outside_review(text: str) -> list[str]:
    """The file's lines without those of its top-level ``review:`` block."""
    lines = text.splitlines()
    start = lines.index("review:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "#")))
    return lines[:start] + lines[end:]


def _card(path: Path) -> RuleFile:
    doc = read_document(path)
    assert isinstance(doc, Document), doc
    return RuleFile.model_validate(doc.data)


def _folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.slow
def test_sign_off_changes_only_the_review_record(rules_copy: Path, pack: RulePack) -> None:
    """Signing off writes the workshop record and leaves every other line, comments included."""
    path = rule_path(rules_copy, "ED310")
    edit_text(path, "id: ED310\n", "# Palbociclib, first line: discussed on day 2.\nid: ED310\n")
    edit_text(path, "  - her2 is negative\n", "  - her2 is negative  # HER2-low counts\n")
    before = path.read_text(encoding="utf-8")
    expected = pack.rules["ED310"].content_hash

    written = sign_off(rules_copy, "ED310", expected, VERDICT)

    after = written.read_text(encoding="utf-8")
    assert written == path
    assert _outside_review(after) == _outside_review(before)
    assert after.startswith("# Palbociclib, first line: discussed on day 2.\nid: ED310\n")
    assert "  - her2 is negative  # HER2-low counts\n" in after
    assert before.replace(DRAFT, WRITTEN.format(hash=expected)) == after
    rule = load_pack(rules_copy).rules["ED310"]
    assert rule.review_state == "reviewed"
    assert rule.content_hash == expected
    review = rule.card.review
    assert (review.reviewer_role, review.date, review.content_hash) == (
        "workshop panel",
        "2026-11-27",
        expected,
    )
    assert review.workshop == WorkshopRecord(
        session="ws-1a2b3c4d",
        round=2,
        panel={"oncologist": 2, "pharmacist": 1},
        agree=3,
        voters=3,
        threshold=75,
    )


@pytest.mark.slow
def test_editing_the_rule_after_sign_off_shows_changed_since_review(
    rules_copy: Path, pack: RulePack
) -> None:
    """A statement edited after the sign-off no longer has the signed hash."""
    path = sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, VERDICT)
    edit_text(path, "adding the CDK4/6 inhibitor", "adding the CDK4/6 inhibitor drug")
    rule = load_pack(rules_copy).rules["ED310"]
    assert rule.review_state == "changed since review"
    assert rule.card.review.workshop is not None


def test_content_hash_ignores_the_workshop_record(pack: RulePack) -> None:
    """The hash a panel signs does not cover the review record, workshop included."""
    card = pack.rules["ED310"].card
    review = Review(
        status="reviewed",
        reviewer_role="workshop panel",
        date="2026-11-27",
        content_hash=pack.rules["ED310"].content_hash,
        workshop=WorkshopRecord(
            session="ws-1a2b3c4d", round=1, panel={"nurse": 2}, agree=2, voters=2, threshold=50
        ),
    )
    assert content_hash(card.model_copy(update={"review": review})) == content_hash(card)


def test_refused_when_the_rule_changed_on_disk(rules_copy: Path, pack: RulePack) -> None:
    """A hash other than the one on disk is refused and the file is left byte for byte."""
    path = rule_path(rules_copy, "ED310")
    before, listing = path.read_bytes(), _folder_listing(path.parent)
    actual = pack.rules["ED310"].content_hash
    with pytest.raises(SignOffError) as caught:
        sign_off(rules_copy, "ED310", "0123456789ab", VERDICT)
    assert str(caught.value) == (
        f"ED310 has changed on disk since the session showed it (hash {actual}, signed "
        "0123456789ab): reload and vote again."
    )
    assert path.read_bytes() == before
    assert _folder_listing(path.parent) == listing


def test_refused_below_the_threshold(rules_copy: Path, pack: RulePack) -> None:
    """Two of three agreeing is not consensus at 75%: nothing is written, no temp file left."""
    path = rule_path(rules_copy, "ED310")
    before, listing = path.read_bytes(), _folder_listing(path.parent)
    short = PanelVerdict("ws-1a2b3c4d", 2, {"oncologist": 3}, 2, 3, 75, dt.date(2026, 11, 27))
    with pytest.raises(SignOffError, match=r"ED310 did not reach consensus .*2 of 3 agreed"):
        sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, short)
    assert path.read_bytes() == before
    assert _folder_listing(path.parent) == listing


def test_failed_replace_leaves_the_original_and_no_temp_file(
    rules_copy: Path, pack: RulePack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the final rename fails, the original is untouched and the temp file removed."""
    path = rule_path(rules_copy, "ED310")
    before, listing = path.read_bytes(), _folder_listing(path.parent)

    def disk_full(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", disk_full)
    with pytest.raises(SignOffError, match=r"ED310-.*\.yaml could not be signed off \(No space"):
        sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, VERDICT)
    assert path.read_bytes() == before
    assert _folder_listing(path.parent) == listing


def test_existing_review_comments_are_kept(rules_copy: Path, pack: RulePack) -> None:
    """Review comments survive as written, and a comment after the record stays in place."""
    path = rule_path(rules_copy, "ED310")
    comments = (
        "  comments:\n"
        "    - >-\n"
        "      Round 1 asked whether PALOMA-1 excluded earlier aromatase inhibitors;\n"
        "      answered in known_limits.\n"
        "    - 'Pharmacy: neutropenia monitoring to be taught.'\n"
        "\n"
        "# examples checked by the trainees\n"
    )
    edit_text(path, "  comments: []\n", comments)
    sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, VERDICT)
    text = path.read_text(encoding="utf-8")
    assert text.count(comments) == 1
    assert "  threshold: 75\n" + comments + "examples:\n" in text
    assert _card(path).review.comments == [
        "Round 1 asked whether PALOMA-1 excluded earlier aromatase inhibitors; answered in "
        "known_limits.",
        "Pharmacy: neutropenia monitoring to be taught.",
    ]


def test_windows_line_endings_are_kept(rules_copy: Path, pack: RulePack) -> None:
    """A file with CRLF line endings keeps them, the new record's lines included."""
    path = rule_path(rules_copy, "ED310")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, VERDICT)
    raw = path.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r\n  workshop:\r\n    session: ws-1a2b3c4d\r\n" in raw
    assert _card(path).review.workshop is not None


def test_rule_file_needs_exactly_one_file(rules_copy: Path) -> None:
    """The rule's file is found by its id; none, two, or a malformed id are clear errors."""
    path = rule_path(rules_copy, "ED310")
    assert rule_file(rules_copy, "ED310") == path
    with pytest.raises(SignOffError, match=r"ED999 needs exactly one file .* found 0"):
        rule_file(rules_copy, "ED999")
    with pytest.raises(SignOffError, match="is not a rule id"):
        rule_file(rules_copy, "ED*")
    (path.parent / "ED310-copy.yaml").write_bytes(path.read_bytes())
    with pytest.raises(SignOffError, match=r"ED310 needs exactly one file .* found 2"):
        rule_file(rules_copy, "ED310")


def test_invalid_verdict_is_refused(rules_copy: Path, pack: RulePack) -> None:
    """A verdict whose panel does not add up to its voters is refused before anything is read."""
    bad = PanelVerdict("ws-1a2b3c4d", 1, {"oncologist": 2}, 3, 3, 75, dt.date(2026, 11, 27))
    with pytest.raises(SignOffError, match=r"not a valid workshop record \(voters: .*add up to 2"):
        sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, bad)


def _workshop_review(hash_: str, panel: str, agree: int, voters: int) -> str:
    return (
        f"review:\n  status: reviewed\n  reviewer_role: workshop panel\n  date: '2026-11-27'\n"
        f"  content_hash: '{hash_}'\n  workshop:\n    session: ws-1a2b3c4d\n    round: 2\n"
        f"    panel: {panel}\n    agree: {agree}\n    voters: {voters}\n    threshold: 75\n"
        "  comments: []\n"
    )


@pytest.mark.slow
def test_bad_workshop_records_are_reported_at_their_field(rules_copy: Path, pack: RulePack) -> None:
    """A panel not adding up, an unknown role and agree > voters each name file, line, field."""
    cases = {  # rule: panel, agree, voters; the field blamed, words of the message, its line
        "ED310": ("{oncologist: 2, pharmacist: 2}", 3, 3, "voters", "add up to 4", "voters:"),
        "ED320": ("{oncologist: 2, surgeon: 1}", 3, 3, "panel.surgeon", "'surgeon'", "panel:"),
        "ED321": ("{oncologist: 3}", 4, 3, "agree", "agree (4) is more than", "agree:"),
    }
    for rule_id, (panel, agree, voters, *_) in cases.items():
        edit_text(
            rule_path(rules_copy, rule_id),
            DRAFT,
            _workshop_review(pack.every_rule[rule_id].content_hash, panel, agree, voters),
        )
    with pytest.raises(RulePackError) as caught:
        load_pack(rules_copy)
    problems = {p.file.rsplit("/", 1)[-1].split("-", 1)[0]: p for p in caught.value.problems}
    for rule_id, (*_, field, words, line) in cases.items():
        problem = problems[rule_id]
        assert problem.field == f"review.workshop.{field}" and words in problem.message, problem
        text = rule_path(rules_copy, rule_id).read_text(encoding="utf-8").splitlines()
        assert problem.line is not None and text[problem.line - 1].strip().startswith(line)


@pytest.mark.slow
def test_rules_show_prints_the_workshop_record(rules_copy: Path, pack: RulePack) -> None:
    """'rules show' names the panel, the round, the vote and the threshold of the sign-off."""
    sign_off(rules_copy, "ED310", pack.rules["ED310"].content_hash, VERDICT)
    done = cli("rules", "show", "ED310", "--rules", str(rules_copy))
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert f"Review: reviewed by workshop panel on 2026-11-27 ({SUMMARY})" in shown
    assert re.search(r"^  Review: reviewed by workshop panel", done.stdout, re.MULTILINE)

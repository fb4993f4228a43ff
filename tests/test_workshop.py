"""The rule-review workshop toolkit: lint, coverage, diff, catalogue and handout."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from endodecide.disclaimer import DISCLAIMER
from endodecide.errors import RulePackError
from endodecide.profile import Profile
from endodecide.rulepack import RulePack, load_pack
from endodecide.workshop.space import ProfileSpace
from tests.conftest import PROFILES, RULES
from tests.test_cli import cli

ED113 = Path("optimise-endocrine/ED113-exemestane-after-nsai.yaml")
ED114 = Path("optimise-endocrine/ED114-fulvestrant-plus-anastrozole-after-nsai.yaml")
ED115 = Path("optimise-endocrine/ED115-estradiol-after-aromatase-inhibitor.yaml")
ED610 = Path("angiogenesis/ED610-bevacizumab-with-endocrine-therapy.yaml")
DRAFT = (
    "review:\n  status: draft  # reviewed needs reviewer_role, date and content_hash "
    "(rules show ID)\n  comments: []\nexamples:"
)


def _copy(tmp_path: Path, name: str = "rules") -> Path:
    target = tmp_path / name
    shutil.copytree(RULES, target)
    return target


def _edit(root: Path, rel: Path, old: str, new: str) -> int:
    """Replace text once; return the 1-based line where the edit starts."""
    path = root / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text.split(old)[0].count("\n") + 1


def _line_of(root: Path, rel: Path, text: str) -> int:
    return (root / rel).read_text().split(text)[0].count("\n") + 1


# -- lint ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "old", "new", "field", "expected"),
    [
        (ED113, "title:", "titel:", "titel", "E201 unknown field 'titel' (did you mean 'title'?)"),
        (
            ED113,
            "  - progressed_on includes nsai",
            "  - progressed_on includes nsaii",
            "when[2]",
            "E417 'nsaii' is not a value of progressed_on (did you mean 'nsai'?)",
        ),
        (ED113, "id: ED113", "id: ED114", "id", "E430 duplicate rule id 'ED114'"),
        (
            ED113,
            "evidence: [sofea, bolero-2]",
            "evidence: [sofea, bolero2]",
            "evidence",
            "E422 evidence 'bolero2' is not in the catalogue (did you mean 'bolero-2'?)",
        ),
    ],
    ids=["unknown-field", "unknown-value", "duplicate-id", "unresolved-evidence"],
)
@pytest.mark.slow
def test_lint_reports_seeded_pack_problems_with_file_and_line(
    tmp_path: Path, rel: Path, old: str, new: str, field: str, expected: str
) -> None:
    root = _copy(tmp_path)
    line = _edit(root, rel, old, new)
    done = cli("rules", "lint", str(root))
    assert done.returncode == 1
    assert f"{root / rel}:{line}: {field}: {expected}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_lint_reports_an_unused_evidence_entry(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    ed122 = Path("optimise-endocrine/ED122-ovarian-suppression-with-fulvestrant.yaml")
    _edit(root, ed122, "evidence: [ofs-fulvestrant-2012, ", "evidence: [")
    entry_line = _line_of(root, Path("evidence.yaml"), "  - id: ofs-fulvestrant-2012")
    done = cli("rules", "lint", str(root))
    assert done.returncode == 1
    assert (
        f"{root / 'evidence.yaml'}:{entry_line}: id: E432 evidence 'ofs-fulvestrant-2012' is not "
        "cited by any rule or invariant"
    ) in done.stderr


@pytest.mark.slow
def test_lint_space_checks_errors_and_warnings(tmp_path: Path, space: ProfileSpace) -> None:
    """A rule that can never fire is an error; same agents together are warnings."""
    root = _copy(tmp_path)
    _edit(
        root,
        ED610,
        "  - treatment_line is first\n",
        "  - treatment_line is first\n  - sex is male\n  - ovarian_function is suppressed\n",
    )
    when_line = _line_of(root, ED610, "when:")
    example_line = _line_of(root, ED610, "    - label: De novo metastatic, endocrine naive")
    _edit(root, ED113, "agents: [exemestane]", "agents: [fulvestrant]")
    _edit(root, ED114, "agents: [fulvestrant, anastrozole]", "agents: [fulvestrant]")
    done = cli("rules", "lint", str(root))
    assert done.returncode == 1
    err = done.stderr
    assert f"{root / ED610}:{example_line}: examples: E440 ED610 did not fire on" in err
    assert (
        f"{root / ED610}:{when_line}: when: E450 ED610 fires on none of the "
        f"{len(space):,} profile classes of the space derived from the pack"
    ) in err
    then_line = _line_of(
        root, Path("optimise-endocrine/ED110-fulvestrant-500-after-endocrine-therapy.yaml"), "then:"
    )
    assert (
        f"warning: {root / 'optimise-endocrine/ED110-fulvestrant-500-after-endocrine-therapy.yaml'}"
        f":{then_line}: then.option.agents: W501 ED110 and ED113 propose the same agents and fire "
        "together, e.g. layer="
    ) in err
    assert "W502 ED110 and ED114 propose the same agents, one as evidence against" in err
    assert "W502 ED113 and ED114" in err or "W502 ED110 and ED113 and ED114" in err


# -- coverage ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_space_is_valid_input_and_large(space: ProfileSpace) -> None:
    """Every class is a valid profile, and the sweep holds every history class once."""
    assert len(space) > 10_000 and space.histories > 5_000
    assert space.layers["history sweep"] == space.histories
    histories = [c.history for c in space.classes if c.layer == "history sweep"]
    assert len(set(histories)) == len(histories)
    for space_class in space.classes[::997]:
        Profile.model_validate(space_class.profile.model_dump())


def _coverage(tmp_path: Path, *args: str) -> tuple[str, list[dict[str, str]], dict[str, int]]:
    done = cli("coverage", "--out", str(tmp_path), *args)
    assert done.returncode == 0, done.stderr
    tables = {}
    for name in ("profiles.csv", "rules.csv"):
        with (tmp_path / name).open() as handle:
            assert handle.readline() == f"# {DISCLAIMER}\n"
            tables[name] = list(csv.DictReader(handle))
    rows = tables["profiles.csv"]
    counts = {r["rule"]: int(r["profiles"]) for r in tables["rules.csv"]}
    return done.stdout, rows, counts


@pytest.mark.slow
def test_shipped_pack_has_no_unexplained_gap(
    tmp_path: Path, pack: RulePack, space: ProfileSpace
) -> None:
    out, rows, counts = _coverage(tmp_path)
    assert "gaps (in scope, no standard or investigational option): 0" in out
    in_scope = sum(r["in_scope"] == "1" for r in rows)
    assert in_scope > 5_000
    assert f"in scope (HR-positive, no out-of-scope flag): {in_scope:,}" in out
    known = sum(r["known_limitation"] == "after-fulvestrant-only" for r in rows)
    assert known and f"known limitation 'after-fulvestrant-only': {known:,} profiles" in out
    assert "clinical safety invariants: 7 checked on every profile, 0 broken" in out
    assert not any(r["invariants_broken"] for r in rows)
    assert "conflicts (an option proposed and judged evidence against): 0" in out
    assert "overlaps (two rules proposing the same agents): 0" in out
    assert "rules never firing: none" in out
    assert DISCLAIMER in " ".join(out.split())
    assert len(rows) == len(space)
    assert f"{len(space):,} profile classes" in out and "one representative stands for" in out
    assert not any(r["gap"] == "1" for r in rows)
    assert {r["known_limitation"] for r in rows} == {
        "",
        "after-fulvestrant-only",
        "after-estradiol-or-megestrol-only",
        "suppressed-after-serm-ai-and-fulvestrant",
        "after-ovarian-suppression-alone",
    }
    hormone_receptor_negative = sum(r["er"] == r["pr"] == "negative" for r in rows)
    assert set(counts) == set(pack.rules) and all(counts.values())
    assert counts["ED002"] == hormone_receptor_negative
    html = (tmp_path / "coverage.html").read_text()
    assert "Rules never firing" in html and "<script" not in html


@pytest.mark.slow
def test_a_deleted_rule_shows_up_as_a_gap(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "optimise-endocrine/ED120-ovarian-suppression-with-tamoxifen.yaml").unlink()
    out, rows, _ = _coverage(tmp_path / "out", "--rules", str(root))
    gaps = [r for r in rows if r["gap"] == "1"]
    assert gaps and {r["menopausal_status"] for r in gaps} == {"pre"}
    assert f"gaps (in scope, no standard or investigational option): {len(gaps):,}" in out
    assert "      e.g. layer=" in out


# -- diff ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_diff_of_one_threshold(tmp_path: Path, evaluator) -> None:  # type: ignore[no-untyped-def]
    from endodecide.evaluate import Evaluator
    from endodecide.profile import load_profiles

    old = _copy(tmp_path, "old")
    new = _copy(tmp_path, "new")
    _edit(
        new,
        ED115,
        "          - line.months is at least 6\n",
        "          - line.months is at least 15\n",
    )
    # and one inserted condition that changes no answer (ED115 is for postmenopausal women)
    _edit(
        new,
        ED115,
        "  - hormone_receptor is positive\n",
        "  - hormone_receptor is positive\n  - sex is female\n",
    )
    done = cli("rules", "diff", str(old), str(new))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    rules_section = out.split("Rules: ")[1].split("Evidence catalogue: ")[0]
    assert rules_section.splitlines() == [
        "1 changed, 0 added, 0 removed",
        "  ~ ED115 Low-dose estradiol after an aromatase inhibitor that had worked",
        "      + when[1]: 'sex is female'",
        "      ~ when[5].any of[0].all of[2]: 'line.months is at least 6' -> 'line.months is at "
        "least 15'",
    ]
    assert "Evidence catalogue: 0 changed, 0 added, 0 removed" in out
    # the teaching profiles listed are exactly those whose options change, found independently
    changed_pack = Evaluator(load_pack(new))
    loaded, _ = load_profiles([PROFILES])
    shown = {  # ED115 as each teaching profile shows it (deferred in visceral crisis)
        item.source: next(
            (
                o.status.replace("_", " ")
                for o in evaluator.evaluate(item.profile).options
                if o.rule == "ED115"
            ),
            None,
        )
        for item in loaded
    }
    expected = sorted(
        item.source
        for item in loaded
        if ("ED115" in evaluator.fired_rules(item.profile))
        != ("ED115" in changed_pack.fired_rules(item.profile))
    )
    assert expected
    assert f"Teaching profiles whose options change: {len(expected)} of {len(loaded)}" in out
    for source in expected:
        assert f"  {source}: - ED115 ({shown[source]})" in out
    section = out.split("Enumerated profiles whose options change: ")[1]
    assert int(section.split(" of ")[0].replace(",", "")) > 0
    listed = section.split("\n\n")[0].split("\n  layer=")[1:]
    assert len(listed) == 20  # the first examples, each changing by ED115 alone
    assert all(re.findall(r"ED\d{3}", entry) == ["ED115"] for entry in listed)


# -- catalogue, review records and handout ---------------------------------------------------


@pytest.mark.slow
def test_review_states(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    pack = load_pack(root)
    current = pack.rules["ED113"].content_hash
    review = (
        'review:\n  status: reviewed\n  reviewer_role: medical oncologist\n  date: "2026-11-20"\n'
        '  content_hash: "{hash}"\n  comments: [Agreed with the SoFEA reading.]\nexamples:'
    )
    _edit(root, ED113, DRAFT, review.format(hash=current))
    _edit(root, ED114, DRAFT, review.format(hash="000000000000"))
    pack = load_pack(root)
    assert pack.rules["ED113"].review_state == "reviewed"
    assert pack.rules["ED114"].review_state == "changed since review"
    assert pack.rules["ED115"].review_state == "draft"
    out = tmp_path / "catalog"
    done = cli("rules", "catalog", "--out", str(out), "--rules", str(root))
    assert done.returncode == 0, done.stderr
    html = (out / "catalog.html").read_text()
    ed114 = html.split('id="ED114"')[1].split("</article>")[0]
    assert "review: <strong>changed since review</strong>" in ed114
    assert "medical oncologist, 2026-11-20" in html.split('id="ED113"')[1].split("</article>")[0]
    total = len(pack.rules)
    assert f"{total} rules: 1 reviewed, 1 changed since review, {total - 2} draft" in html


@pytest.mark.slow
def test_reviewed_without_hash_is_a_load_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, ED113, DRAFT, "review:\n  status: reviewed\nexamples:")
    with pytest.raises(RulePackError) as caught:
        load_pack(root)
    assert "a reviewed rule needs reviewer_role, date and content_hash" in str(
        caught.value.problems[0]
    )


@pytest.mark.slow
def test_catalog_lists_every_rule_with_evidence_examples_and_review(
    tmp_path: Path, pack: RulePack
) -> None:
    done = cli("rules", "catalog", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "catalog.html").read_text()
    md = (tmp_path / "catalog.md").read_text()
    for rule_id, rule in pack.rules.items():
        assert f'id="{rule_id}"' in html and f"### {rule_id} - " in md
        block = html.split(f'id="{rule_id}"')[1].split("</article>")[0]
        assert "does not fire" in block and "fires" in block
        for ref in rule.card.evidence:
            assert pack.evidence.entries[ref].url in block
        assert f"content hash now {rule.content_hash}" in block
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    entries = len(pack.rules) + len(pack.invariants.invariants)
    assert rendered.count("<h3>") == entries and "<script" not in rendered
    for invariant in pack.invariants.invariants:
        assert f"### {invariant.id} - {invariant.spec.title}" in md


@pytest.mark.slow
def test_handout_has_every_case_and_the_catalogue(tmp_path: Path, pack: RulePack) -> None:
    out = tmp_path / "handout.html"
    done = cli("handout", "--out", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    cases = sorted(PROFILES.iterdir())
    assert html.count('<section class="case"') == len(cases)
    assert all(f'id="{rule_id}"' in html for rule_id in pack.rules)
    assert html.count(DISCLAIMER) == 2 and "@page { size: A4" in html

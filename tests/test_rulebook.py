"""Rule-pack load-time checks: each seeded defect is reported with its file, line and field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from endodecide.errors import RulePackError
from endodecide.rulepack import load_pack
from tests.conftest import edit_rule, edit_text, rule_path


def _problems(root: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_pack(root)
    return [str(p) for p in caught.value.problems]


def _derive_rule(rule_id: str, condition: str, fact: str, value: str) -> tuple[Path, str]:
    """A minimal, otherwise valid classification rule deriving ``fact`` when ``condition``."""
    profile = (
        "{label: Seeded, sex: female, menopausal_status: post, "
        "receptors: {er: positive, pr: positive, her2: negative}, "
        "disease: {setting: de_novo, extent: bone_only}}"
    )
    slug = f"seeded-{rule_id.lower()}"
    text = (
        f"id: {rule_id}\nslug: {slug}\ntitle: Seeded defect\nstrategy: classification\n"
        f"statement: A temporary rule of a seeded defect.\nwhen:\n  - {condition}\n"
        f"then:\n  derive:\n    fact: {fact}\n    value: {value}\n    reason: seeded\n"
        f"evidence: [abc2-2014]\nexamples:\n  fires:\n    - {profile}\n"
        f"  does_not_fire:\n    - {profile}\n"
    )
    return Path(f"classification/{rule_id}-{slug}.yaml"), text


# A cycle through negation: ED950 derives treatment_line unless endocrine_resistance is primary,
# ED951 derives endocrine_resistance unless treatment_line is first.
CYCLE = (
    _derive_rule("ED950", "endocrine_resistance is not primary", "treatment_line", "first"),
    _derive_rule("ED951", "treatment_line is not first", "endocrine_resistance", "primary"),
)


def test_shipped_pack_loads(pack) -> None:
    """The shipped pack passes every check."""
    assert len(pack.rules) >= 25


@pytest.mark.slow
@pytest.mark.parametrize(
    ("old", "new", "expected", "added"),
    [
        (
            "  - her2 is negative",
            "  - her2_status is negative",
            "ED210-everolimus-exemestane-after-nsai.yaml:{line}: when[1]: "
            "E414 unknown fact 'her2_status' "
            "(did you mean 'her2'?)",
            (),
        ),
        (
            "  - her2 is negative",
            "  - her2 is negatve",
            ":{line}: when[1]: E417 'negatve' is not a value of her2 (did you mean 'negative'?)",
            (),
        ),
        (
            "  - her2 is negative",
            "  - her2 is at least 2",
            ":{line}: when[1]: E415 'is at least' does not apply to her2",
            (),
        ),
        (
            "  - her2 is negative",
            "  - her2 negative",
            ":{line}: when[1]: E413 cannot read condition",
            (),
        ),
        (
            "evidence: [bolero-2, bolero-2-pfs, bolero-2-os]",
            "evidence: [bolero-2, bolero-2-pfs, bolero2-os]",
            "E422 evidence 'bolero2-os' is not in the catalogue (did you mean 'bolero-2-os'?)",
            (),
        ),
        (
            "strategy: mtor",
            "strategy: mtorr",
            "E421 unknown strategy 'mtorr' (did you mean 'mtor'?)",
            (),
        ),
        (
            "  - hormone_receptor is positive\n",
            "",
            "E425 an option rule must include the condition 'hormone_receptor is positive'",
            (),
        ),
        (
            "    status: standard",
            "    status: standart",
            ":{line}: then.option.status: E203 'standart' "
            "is not allowed (did you mean 'standard'?)",
            (),
        ),
        (
            "    regimen:",
            "    regimens:",
            "E201 unknown field 'regimens' (did you mean 'regimen'?)",
            (),
        ),
        ("id: ED210", "id: ED299", "E420 file should be named ED299-everolimus-exemestane", ()),
        (
            "",
            "",
            "classification/ED950-seeded-ed950.yaml:1: when: E433 negation cycle: ED950 derives "
            "treatment_line, which ED951 negates; ED951 derives endocrine_resistance, "
            "which ED950 negates",
            CYCLE,
        ),
    ],
)
def test_seeded_defects(
    rules_copy: Path, old: str, new: str, expected: str, added: tuple[tuple[Path, str], ...]
) -> None:
    """A defect in a rule file, or in rules added to the pack, is reported like a compiler error."""
    for rel, text in added:
        (rules_copy / rel).write_text(text)
    if old:
        _, line = edit_rule(rules_copy, "ED210", old, new)
        expected = expected.replace("{line}", str(line))
    problems = _problems(rules_copy)
    assert any(expected in p for p in problems), problems
    # no cascade of follow-on errors (a mistyped citation really does leave an entry unused)
    blamed = added[0][0].name if added else rule_path(rules_copy, "ED210").name
    assert all(blamed in p or "E432" in p for p in problems), problems
    # one line per defect, even when it spans several rules
    code = re.search(r"\bE\d{3}\b", expected)
    assert code is not None
    assert sum(f" {code[0]} " in p for p in problems) == 1, problems


@pytest.mark.slow
def test_example_profile_errors_point_into_the_rule_file(rules_copy: Path) -> None:
    """A broken example profile is reported at its line in the rule file."""
    edit_rule(
        rules_copy,
        "ED210",
        "{agents: [letrozole], setting: metastatic",
        "{agents: [letrozol], setting: metastatic",
    )
    problems = _problems(rules_copy)
    assert any(
        "examples.fires[0].endocrine_history[0].agents[0]: E203 'letrozol'" in p for p in problems
    ), problems


@pytest.mark.slow
def test_duplicate_rule_id(rules_copy: Path) -> None:
    """Two rules with one id are both reported."""
    original = rule_path(rules_copy, "ED210")
    shutil.copy(original, original.with_name(original.stem + "-copy.yaml"))
    problems = _problems(rules_copy)
    assert sum("duplicate rule id 'ED210'" in p for p in problems) == 2


@pytest.mark.slow
def test_unused_evidence_entry(rules_copy: Path) -> None:
    """A catalogue entry no rule cites is an error at its line in evidence.yaml."""
    catalogue = rules_copy / "evidence.yaml"
    text = catalogue.read_text()
    start = text.index("  - id: klijn-2001")
    entry = text[start : text.index("\n  - id: ", start) + 1]
    catalogue.write_text(text + "\n" + entry.replace("id: klijn-2001", "id: klijn-copy"))
    line = catalogue.read_text().split("  - id: klijn-copy")[0].count("\n") + 1
    problems = _problems(rules_copy)
    assert problems == [
        f"{catalogue}:{line}: id: E432 evidence 'klijn-copy' is not cited by any rule or invariant"
    ], problems


def test_evidence_without_identifier(rules_copy: Path) -> None:
    """Every catalogue entry needs a PMID or a DOI."""
    edit_text(
        rules_copy / "evidence.yaml",
        '    pmid: "19786670"\n    doi: 10.1200/JCO.2008.20.6847\n',
        "",
    )
    problems = _problems(rules_copy)
    assert any("every entry needs a pmid or a doi" in p for p in problems), problems


def test_malformed_pmid(rules_copy: Path) -> None:
    """A PMID must be digits."""
    text = (rules_copy / "evidence.yaml").read_text()
    index = text.split('pmid: "24158787"')[0].count("\n  - id: ") - 1
    edit_text(rules_copy / "evidence.yaml", 'pmid: "24158787"', 'pmid: "PMID24158787"')
    problems = _problems(rules_copy)
    assert any(f"evidence[{index}].pmid: E204" in p for p in problems), problems


@pytest.mark.slow
def test_derived_fact_nobody_derives(rules_copy: Path) -> None:
    """A condition on a derived fact that no rule concludes can never be decided."""
    for path in rules_copy.glob("classification/ED03*.yaml"):
        path.unlink()
    problems = _problems(rules_copy)
    assert any("no rule derives 'treatment_line'" in p for p in problems), problems


@pytest.mark.slow
def test_negation_cycle(rules_copy: Path) -> None:
    """A rule negating its own conclusion is refused, once, and the rules using it are not."""
    path, _ = edit_rule(
        rules_copy,
        "ED012",
        "  - hormone_receptor is positive\n",
        "  - hormone_receptor is positive\n  - endocrine_resistance is not primary\n",
    )
    problems = _problems(rules_copy)
    assert problems == [
        f"{path}:1: when: E433 negation cycle: "
        "ED012 derives endocrine_resistance, which ED012 negates"
    ], problems


@pytest.mark.slow
def test_unknown_placeholder_in_reason(rules_copy: Path) -> None:
    """A reason may only name facts bound by the rule's own conditions."""
    edit_rule(
        rules_copy,
        "ED003",
        "{line.adjuvant_months_total} of",
        "{line.adjuvant_month_total} of",
    )
    problems = _problems(rules_copy)
    assert any("unknown placeholder {line.adjuvant_month_total}" in p for p in problems), problems


@pytest.mark.slow
def test_strategy_without_rule(rules_copy: Path) -> None:
    """Deleting the only rule of a strategy is reported at the strategy in pack.yaml."""
    (rules_copy / "angiogenesis/ED610-bevacizumab-with-endocrine-therapy.yaml").unlink()
    (rules_copy / "angiogenesis").rmdir()
    problems = _problems(rules_copy)
    manifest = rules_copy / "pack.yaml"
    line = manifest.read_text().split("  - id: angiogenesis")[0].count("\n") + 1
    assert (
        f"{manifest}:{line}: strategies[8].id: E434 strategy 'angiogenesis' has no rule; "
        "every strategy of the pack needs one"
    ) in problems, problems


@pytest.mark.slow
def test_contrary_evidence_must_resolve(rules_copy: Path) -> None:
    """An unknown id under contrary_evidence is named, with a suggestion."""
    edit_rule(rules_copy, "ED112", "contrary_evidence: [fact]", "contrary_evidence: [fakt]")
    problems = _problems(rules_copy)
    assert any(
        "contrary_evidence: E422 evidence 'fakt' is not in the catalogue (did you mean 'fact'?)"
        in p
        for p in problems
    ), problems


@pytest.mark.slow
def test_contrary_evidence_only_on_options(rules_copy: Path) -> None:
    """A flag or derive rule cannot carry evidence against an option it does not propose."""
    edit_rule(
        rules_copy,
        "ED902",
        "evidence: [abc2-2014, abc4-2018, first]",
        "evidence: [abc2-2014, abc4-2018]\ncontrary_evidence: [first]",
    )
    problems = _problems(rules_copy)
    assert any("E426 contrary_evidence belongs to option rules only" in p for p in problems)


@pytest.mark.slow
def test_unquoted_colon_in_text_gets_a_hint(rules_copy: Path) -> None:
    """YAML reads 'Caution: x' as a mapping; the message says to quote the text."""
    edit_rule(
        rules_copy,
        "ED511",
        "      - Single-arm phase II, with no",
        "      - Single-arm phase II: with no",
    )
    problems = _problems(rules_copy)
    assert any(
        "then.option.cautions[0]: E204 Input should be a valid string (got a key: value pair" in p
        for p in problems
    ), problems

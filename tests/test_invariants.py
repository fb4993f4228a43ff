"""Clinical safety invariants: the shipped pack keeps them all, and each one catches a seeded
violation with the invariant, the rule that broke it and a counter-example that reproduces it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from endodecide.evaluate import Evaluator
from endodecide.profile import load_profiles
from endodecide.rulepack import RulePack
from endodecide.rulepack.invariants import check_in_words
from endodecide.workshop.coverage import PackIndex, broken_invariants
from tests.conftest import PROFILES, RULES
from tests.test_cli import cli

ED110 = Path("optimise-endocrine/ED110-fulvestrant-500-after-endocrine-therapy.yaml")
ED113 = Path("optimise-endocrine/ED113-exemestane-after-nsai.yaml")
ED120 = Path("optimise-endocrine/ED120-ovarian-suppression-with-tamoxifen.yaml")
ED210 = Path("mtor/ED210-everolimus-exemestane-after-nsai.yaml")
ED410 = Path("growth-factor/ED410-trastuzumab-anastrozole-her2-positive.yaml")
ED001 = Path("classification/ED001-hormone-receptor-positive.yaml")
ED902 = Path("scope/ED902-visceral-crisis.yaml")
COUNTER_EXAMPLE = re.compile(
    r"^--- # counter-example for (INV\d{3}), broken by ([A-Z0-9, ]*|no rule):[^\n]*\n"
    r"(.*?)^\.\.\.$",
    re.M | re.S,
)


def test_teaching_profiles_and_rule_examples_keep_every_invariant(
    pack: RulePack, evaluator: Evaluator
) -> None:
    """No teaching profile and no rule example breaks an invariant (the whole space is checked
    by `rules lint`, below)."""
    loaded, _ = load_profiles([PROFILES])
    profiles = [item.profile for item in loaded] + [
        example.profile for rule in pack.rules.values() for example in rule.examples
    ]
    index = PackIndex.of(pack)
    broken = [
        (profile.label, violation)
        for profile in profiles
        for violation in broken_invariants(index, profile, evaluator.evaluate(profile))
    ]
    assert broken == []


def test_every_invariant_has_a_check_in_words(pack: RulePack) -> None:
    """The catalogue can say what each invariant checks, and every one names its evidence."""
    assert [i.id for i in pack.invariants.invariants] == [f"INV00{n}" for n in range(1, 8)]
    for invariant in pack.invariants.invariants:
        assert check_in_words(invariant).endswith(".")
        assert invariant.spec.evidence


SEEDS = [
    # (invariant, rule to blame, file, old text, new text)
    ("INV001", "ED113", ED113, "  - progressed_on does not include sai\n", ""),
    (
        "INV002",
        "ED110",
        ED902,
        "      to_status: deferred\n",
        "",
    ),
    (
        "INV003",
        "ED410",
        ED410,
        "  - her2 is positive\n",
        "  - her2 is one of [positive, negative]\n",
    ),
    (
        "INV004",
        "ED101",
        ED001,
        "      - pr is positive\n",
        "      - pr is positive\n      - er is negative\n",
    ),
    ("INV005", "ED210", ED210, "  - progressed_on includes nsai\n", ""),
    (
        "INV006",
        "ED110",
        ED110,
        "  - ovarian_function is one of [postmenopausal, suppressed]\n",
        "  - ovarian_function is one of [postmenopausal, suppressed, active]\n",
    ),
    (
        "INV007",
        "",
        ED120,
        "  - menopausal_status is one of [pre, peri]\n",
        "  - menopausal_status is post\n",
    ),
]


@pytest.fixture(scope="module")
def seeded_lint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Every seed applied to one copy of the pack (they touch different rules and profiles),
    and what `rules lint` says of it: one walk of the space for all seven invariants."""
    root = tmp_path_factory.mktemp("seeded") / "rules"
    shutil.copytree(RULES, root)
    for _, _, rel, old, new in SEEDS:
        path = root / rel
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
    done = cli("rules", "lint", str(root))
    assert done.returncode == 1, done.stderr
    return root, done.stderr


@pytest.mark.parametrize(
    ("invariant", "rule", "rel", "old", "new"), SEEDS, ids=[s[0] for s in SEEDS]
)
@pytest.mark.slow
def test_lint_catches_a_seeded_violation_with_a_counter_example_that_runs(
    tmp_path: Path,
    seeded_lint: tuple[Path, str],
    invariant: str,
    rule: str,
    rel: Path,
    old: str,
    new: str,
) -> None:
    """A rule edited to break the invariant: lint fails naming the invariant and the rule, and
    its counter-example, saved as a file, reproduces the violation with `endodecide run`."""
    root, stderr = seeded_lint
    line = next(
        (row for row in stderr.splitlines() if f" {invariant} " in row and "E460" in row), ""
    )
    assert line, stderr
    assert line.startswith(f"error: {root / 'invariants.yaml'}:")
    examples = {inv: (rules, text) for inv, rules, text in COUNTER_EXAMPLE.findall(stderr)}
    assert invariant in examples, stderr
    shown, text = examples[invariant]
    profile = tmp_path / "counter-example.yaml"
    profile.write_text(text)
    run = cli("run", str(profile), "--rules", str(root), "--format", "json")
    assert run.returncode == 0, run.stderr
    if rule:
        assert rule in line.split("broken by ")[1]
        for blamed in shown.split(", "):
            assert f'"rule": "{blamed}"' in run.stdout
    else:
        assert "no option is offered" in line
        assert shown == "no rule" and '"options": []' in run.stdout

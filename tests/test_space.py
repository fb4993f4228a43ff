"""The profile space derived from the rule pack: probes follow the rules, values follow the
vocabulary, and the engine agrees with the reference interpreter on every class."""

from __future__ import annotations

from pathlib import Path

import pytest

from endodecide.rulepack import RulePack, load_pack
from endodecide.workshop.coverage import evaluate_space
from endodecide.workshop.space import ProfileSpace, derive_space, probes
from tests.conftest import edit_rule

ED003 = "ED003"
ED004 = "ED004"


def _adjuvant_months(space: ProfileSpace) -> set[int]:
    return {
        line.months
        for space_class in space.classes
        for line in space_class.profile.endocrine_history
        if line.setting == "adjuvant"
    }


def test_probes_sit_below_at_and_above_each_threshold(pack: RulePack) -> None:
    """A threshold gives the values just below, at and just above it, boundary probes first."""
    atoms = [
        a
        for rule in pack.rules.values()
        for a in rule.when
        if getattr(a, "text", "") == "line.adjuvant_months_total is less than 24"
    ]
    assert atoms
    values = probes(atoms, 0, 600)
    assert values[:3] == (24, 23, 25)
    assert min(values) >= 0 and max(values) > 25  # one value well inside the open interval


def test_shipped_space_probes_the_adjuvant_boundary(space: ProfileSpace) -> None:
    """The months axis holds 23, 24 and 25 (the ABC2 two-year boundary, read from ED003), and
    an adjuvant line of exactly 24 months represents its class (boundary probes come first;
    23 months is seen like 6 by every condition, so 6 stands for both)."""
    months = space.axis("months").values
    assert {23, 24, 25} <= set(months)
    assert 24 in _adjuvant_months(space)


@pytest.mark.slow
def test_moving_a_threshold_moves_the_probes_the_diff_and_the_coverage(
    rules_copy: Path, pack: RulePack, space: ProfileSpace
) -> None:
    """24 -> 18 months in ED003 and ED004: probes at 17, 18 and 19 appear, the diff names both
    rules over a space probing both sides, and coverage counts the rules on other profiles.
    (The resistance class moves, but no shown option depends on primary vs secondary alone, so
    the diff's list of changed answers is empty here; test_workshop's ED115 edit covers it.)"""
    edit_rule(rules_copy, ED003, "is less than 24", "is less than 18")
    edit_rule(rules_copy, ED004, "is at least 24", "is at least 18")
    moved = load_pack(rules_copy)
    moved_space = derive_space(moved)
    assert {17, 18, 19} <= set(moved_space.axis("months").values)
    assert 17 not in space.axis("months").values

    from endodecide.workshop.diff import diff_packs

    diff = diff_packs(pack, moved, [], workers=2)
    assert {change.id for change in diff.rules} == {ED003, ED004}
    assert diff.space_total >= len(moved_space)  # the union of both packs' probes
    before = evaluate_space(pack, 2, moved_space)
    after = evaluate_space(moved, 2, moved_space)
    assert before.rule_counts["ED003"] > after.rule_counts["ED003"]
    assert before.rule_counts["ED004"] < after.rule_counts["ED004"]


@pytest.mark.slow
def test_a_new_agent_in_a_rule_is_enumerated(rules_copy: Path, space: ProfileSpace) -> None:
    """Naming toremifene on its own in a condition splits it from tamoxifen: both are tried."""
    assert "toremifene" not in space.axis("line.agents").values
    edit_rule(
        rules_copy,
        "ED020",
        "line.agents includes any of [tamoxifen, toremifene]",
        "line.agents includes any of [toremifene]",
    )
    agents = derive_space(load_pack(rules_copy)).axis("line.agents").values
    assert "toremifene" in agents and "tamoxifen" in agents


@pytest.mark.slow
def test_a_new_vocabulary_value_in_a_rule_is_enumerated(
    rules_copy: Path, space: ProfileSpace
) -> None:
    """PIK3CA is read by no rule, so it is one class; a condition on it makes two."""
    assert "pik3ca" not in space.columns
    edit_rule(
        rules_copy,
        "ED250",
        "  - hormone_receptor is positive\n",
        "  - hormone_receptor is positive\n  - pik3ca is mutated\n",
    )
    axis = derive_space(load_pack(rules_copy)).axis("pik3ca")
    assert axis.values == ("mutated", "wild_type")
    assert axis.stands_for == ("mutated", "wild_type, unknown")


def test_peri_is_enumerated_with_pre_where_every_rule_names_them_together(
    space: ProfileSpace,
) -> None:
    """A representative says what it stands for: premenopausal stands for pre and peri."""
    axis = space.axis("menopausal_status")
    assert "pre (= pre, peri)" in axis.describe()
    assert any("one representative stands for" in line for line in space.summary())


@pytest.mark.slow
def test_engine_and_reference_interpreter_agree_on_every_class(
    pack: RulePack, space: ProfileSpace
) -> None:
    """The differential check: 0 disagreements on fired rules, derived facts and options."""
    result = evaluate_space(pack, 2, space, check_engine=True)
    assert len(result.outcomes) == len(space)
    assert result.disagreements == []

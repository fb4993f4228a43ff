"""Considered but not offered: near misses name the condition that failed, in plain words."""

from __future__ import annotations

from endodecide.evaluate import Evaluator
from endodecide.nearmiss import MAX_FAILED
from tests.conftest import make_profile


def test_secondary_resistance_misses_first_line_ai_on_resistance(evaluator: Evaluator) -> None:
    profile = make_profile(
        disease={"setting": "recurrence", "extent": "bone_only"},
        endocrine_history=[
            {"agents": ["tamoxifen"], "setting": "adjuvant", "months": 36, "ended": "relapse"}
        ],
    )
    misses = {m.rule: m for m in evaluator.evaluate(profile, explain=True).near_misses}
    assert [(f.condition, f.here) for f in misses["ED101"].failed] == [
        (
            "endocrine resistance (ESO-ESMO ABC2) is one of not endocrine resistant, not "
            "classified by ABC2",
            "endocrine resistance (ESO-ESMO ABC2): secondary",
        )
    ]


def test_premenopausal_misses_name_ovarian_function(evaluator: Evaluator) -> None:
    """Before menopause without suppression, the first-line AI is missed on ovarian function."""
    profile = make_profile(menopausal_status="pre")
    misses = {m.rule: m for m in evaluator.evaluate(profile, explain=True).near_misses}
    assert misses["ED101"].failed[0].condition == (
        "ovarian function, for endocrine choices is one of postmenopausal, suppressed (before "
        "menopause, on ovarian function suppression)"
    )
    assert misses["ED101"].failed[0].here == (
        "ovarian function, for endocrine choices: active (before menopause, no ovarian function "
        "suppression)"
    )


def test_near_misses_never_include_fired_hr_failing_or_against_rules(
    evaluator: Evaluator,
) -> None:
    for profile in (
        make_profile(),
        make_profile(receptors={"er": "negative", "pr": "negative", "her2": "negative"}),
    ):
        result = evaluator.evaluate(profile, explain=True)
        offered = {o.rule for o in result.options}
        for miss in result.near_misses:
            assert miss.rule not in offered
            assert 1 <= len(miss.failed) <= MAX_FAILED
            assert miss.status != "evidence_against"
            assert not any("hormone-receptor" in f.condition for f in miss.failed)
    hr_negative = evaluator.evaluate(
        explain=True,
        profile=make_profile(receptors={"er": "negative", "pr": "negative", "her2": "negative"}),
    )
    assert hr_negative.near_misses == []


def test_closest_therapy_line_is_used_for_line_conditions(evaluator: Evaluator) -> None:
    """Estradiol needs an AI line that had worked: a 4-month AI line misses on duration only."""
    profile = make_profile(
        endocrine_history=[
            {"agents": ["letrozole"], "setting": "metastatic", "months": 4, "ended": "progression"}
        ]
    )
    misses = {m.rule: m for m in evaluator.evaluate(profile, explain=True).near_misses}
    assert [f.here for f in misses["ED115"].failed] == [
        "no single line of endocrine therapy meets this"
    ]
    assert "months on the line is at least 6" in misses["ED115"].failed[0].condition

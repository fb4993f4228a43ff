"""The ESO-ESMO ABC2 endocrine-resistance class, at and around every threshold."""

from __future__ import annotations

import pytest

from endodecide.evaluate import Evaluator
from tests.conftest import make_profile


def _resistance(evaluator: Evaluator, history: list[dict], setting: str = "recurrence") -> str:
    profile = make_profile(
        endocrine_history=history, disease={"setting": setting, "extent": "visceral"}
    )
    facts = {f.name: f.value for f in evaluator.evaluate(profile).derived_facts}
    return facts["endocrine_resistance"]


@pytest.mark.parametrize(
    ("months", "expected"), [(23, "primary"), (24, "secondary"), (25, "secondary")]
)
def test_relapse_on_adjuvant_therapy(evaluator: Evaluator, months: int, expected: str) -> None:
    """Relapse before month 24 of adjuvant therapy is primary; month 24 and later is secondary."""
    history = [
        {"agents": ["anastrozole"], "setting": "adjuvant", "months": months, "ended": "relapse"}
    ]
    assert _resistance(evaluator, history) == expected


def test_adjuvant_months_are_counted_across_switched_lines(evaluator: Evaluator) -> None:
    """Tamoxifen for 12 months then relapse at month 13 of an AI is month 25 of adjuvant therapy."""
    history = [
        {"agents": ["tamoxifen"], "setting": "adjuvant", "months": 12, "ended": "completed"},
        {"agents": ["exemestane"], "setting": "adjuvant", "months": 13, "ended": "relapse"},
    ]
    assert _resistance(evaluator, history) == "secondary"


@pytest.mark.parametrize(
    ("months", "expected"), [(5, "primary"), (6, "secondary"), (7, "secondary")]
)
def test_progression_on_first_line(evaluator: Evaluator, months: int, expected: str) -> None:
    """Progression within the first 6 months of first-line therapy is primary; 6 is secondary."""
    history = [
        {"agents": ["letrozole"], "setting": "metastatic", "months": months, "ended": "progression"}
    ]
    assert _resistance(evaluator, history, setting="de_novo") == expected


@pytest.mark.parametrize(
    ("gap", "expected"), [(11, "secondary"), (12, "secondary"), (13, "not_resistant")]
)
def test_relapse_after_completing_adjuvant(evaluator: Evaluator, gap: int, expected: str) -> None:
    """Relapse within 12 months (inclusive) of completing adjuvant therapy is secondary."""
    history = [
        {
            "agents": ["letrozole"],
            "setting": "adjuvant",
            "months": 60,
            "ended": "completed",
            "months_from_end_to_relapse": gap,
        }
    ]
    assert _resistance(evaluator, history) == expected


def test_short_second_line_is_not_primary(evaluator: Evaluator) -> None:
    """Only the first metastatic line can show primary resistance by the 6-month criterion."""
    history = [
        {"agents": ["letrozole"], "setting": "metastatic", "months": 10, "ended": "progression"},
        {"agents": ["exemestane"], "setting": "metastatic", "months": 3, "ended": "progression"},
    ]
    assert _resistance(evaluator, history, setting="de_novo") == "secondary"


def test_primary_wins_over_secondary_and_both_reasons_are_listed(evaluator: Evaluator) -> None:
    """A history with both findings is classed primary, and each finding keeps its reason."""
    profile = make_profile(
        disease={"setting": "recurrence", "extent": "visceral"},
        endocrine_history=[
            {"agents": ["tamoxifen"], "setting": "adjuvant", "months": 36, "ended": "relapse"},
            {"agents": ["letrozole"], "setting": "metastatic", "months": 4, "ended": "progression"},
        ],
    )
    result = evaluator.evaluate(profile)
    facts = {(f.name, f.value): f for f in result.derived_facts}
    assert ("endocrine_resistance", "primary") in facts
    assert ("endocrine_resistance", "secondary") not in facts
    assert [r.rule for r in facts[("resistance_signal", "secondary")].because] == ["ED004"]
    assert [r.rule for r in facts[("resistance_signal", "primary")].because] == ["ED007"]
    assert "month 36 of adjuvant" in facts[("resistance_signal", "secondary")].because[0].text


def test_endocrine_naive_is_not_resistant(evaluator: Evaluator) -> None:
    """No endocrine therapy at all: not resistant, first line."""
    facts = {f.name: f.value for f in evaluator.evaluate(make_profile()).derived_facts}
    assert facts["endocrine_resistance"] == "not_resistant"
    assert facts["treatment_line"] == "first"


def test_hr_negative_is_not_applicable(evaluator: Evaluator) -> None:
    """Resistance is not applicable to HR-negative disease, and no option is offered."""
    profile = make_profile(receptors={"er": "negative", "pr": "negative", "her2": "negative"})
    result = evaluator.evaluate(profile)
    facts = {f.name: f.value for f in result.derived_facts}
    assert facts["endocrine_resistance"] == "not_applicable"
    assert result.options == []
    assert [f.severity for f in result.flags] == ["out_of_scope"]


def test_month_24_reading_is_stated_in_the_rule(pack) -> None:
    """The rule's own statement says how month 24 of adjuvant therapy is read."""
    assert "Month 24 is read as" in pack.rules["ED003"].card.statement


def _derived(evaluator: Evaluator, history: list[dict], setting: str = "de_novo") -> dict:
    profile = make_profile(
        endocrine_history=history, disease={"setting": setting, "extent": "visceral"}
    )
    return {f.name: f.value for f in evaluator.evaluate(profile).derived_facts}


@pytest.mark.parametrize(
    ("first", "second", "expected"), [(2, 3, "primary"), (3, 3, "secondary"), (2, 4, "secondary")]
)
def test_a_switch_for_toxicity_adds_up_within_the_first_line(
    evaluator: Evaluator, first: int, second: int, expected: str
) -> None:
    """Letrozole stopped for toxicity, then progression on anastrozole: the months on first-line
    therapy add up (5 is primary, 6 secondary), and the next choice is the second line."""
    history = [
        {"agents": ["letrozole"], "setting": "metastatic", "months": first, "ended": "toxicity"},
        {
            "agents": ["anastrozole"],
            "setting": "metastatic",
            "months": second,
            "ended": "progression",
        },
    ]
    facts = _derived(evaluator, history)
    assert facts["endocrine_resistance"] == expected
    assert facts["treatment_line"] == "second"


def test_a_last_line_stopped_for_toxicity_keeps_its_line_and_gets_an_answer(
    evaluator: Evaluator,
) -> None:
    """First-line letrozole stopped for side effects, no progression: still the first line, not
    resistant, and options are offered (never an empty answer)."""
    profile = make_profile(
        endocrine_history=[
            {"agents": ["letrozole"], "setting": "metastatic", "months": 2, "ended": "toxicity"}
        ]
    )
    result = evaluator.evaluate(profile)
    facts = {f.name: f.value for f in result.derived_facts}
    assert facts["treatment_line"] == "first"
    assert facts["endocrine_resistance"] == "not_resistant"
    assert "progressed_on" not in facts
    assert any(o.status == "standard" for o in result.options)


def test_relapse_after_adjuvant_therapy_stopped_for_toxicity_is_unclassified(
    evaluator: Evaluator,
) -> None:
    """ABC2 is silent on adjuvant therapy stopped for side effects: the class says so (never
    'not resistant'), a flag explains it, and the answer is not empty."""
    profile = make_profile(
        endocrine_history=[
            {
                "agents": ["anastrozole"],
                "setting": "adjuvant",
                "months": 10,
                "ended": "toxicity",
                "months_from_end_to_relapse": 9,
            }
        ],
        disease={"setting": "recurrence", "extent": "bone_only"},
    )
    result = evaluator.evaluate(profile)
    facts = {f.name: f.value for f in result.derived_facts}
    assert facts["endocrine_resistance"] == "unclassified"
    assert [f.rule for f in result.flags] == ["ED909"]
    assert [o.rule for o in result.options if o.status == "standard"] == ["ED101"]

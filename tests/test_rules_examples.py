"""Every rule's own examples, discovered from disk: it fires on 'fires', not on 'does_not_fire'."""

from __future__ import annotations

import pytest

from endodecide.evaluate import Evaluator
from endodecide.rulepack import RulePack, load_pack
from tests.conftest import RULES

_PACK = load_pack(RULES)
_CASES = [
    pytest.param(rule.id, index, id=f"{rule.id}-{'fires' if ex.fires else 'quiet'}-{index}")
    for rule in _PACK.rules.values()
    for index, ex in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule_id", "index"), _CASES)
def test_rule_example(pack: RulePack, evaluator: Evaluator, rule_id: str, index: int) -> None:
    """The rule fires exactly on its 'fires' examples."""
    example = pack.rules[rule_id].examples[index]
    fired = evaluator.fired_rules(example.profile)
    assert (rule_id in fired) is example.fires, f"{example.profile.label}: fired {sorted(fired)}"


def test_every_rule_has_both_kinds_of_example(pack: RulePack) -> None:
    """A rule card without a counter-example cannot show where its boundary lies."""
    for rule in pack.rules.values():
        assert {ex.fires for ex in rule.examples} == {True, False}, rule.id

"""Every rule's own examples, discovered from disk: it fires on 'fires', not on 'does_not_fire',
on the last day it is in force (the pack's latest date, or the day before it retired)."""

from __future__ import annotations

import pytest

from endodecide.evaluate import Evaluator
from endodecide.rulepack import RulePack, pack_at
from endodecide.rulepack.load import rule_files
from tests.conftest import RULES

# Rule ids from the file names alone (the loader insists a file is named after its rule's id),
# so collecting the tests reads no rule file and compiles nothing.
_RULE_IDS = [path.name.split("-", 1)[0] for path in rule_files(RULES)]


def test_rule_ids_from_file_names_are_the_packs(pack: RulePack) -> None:
    """The ids the examples test is parametrized by are exactly the pack's rules."""
    assert sorted(_RULE_IDS) == sorted(pack.every_rule)


_EVALUATORS: dict[object, Evaluator] = {}


@pytest.mark.parametrize("rule_id", _RULE_IDS)
def test_rule_example(pack: RulePack, rule_id: str) -> None:
    """The rule fires exactly on its 'fires' examples."""
    day = pack.example_date(rule_id)
    if day not in _EVALUATORS:
        _EVALUATORS[day] = Evaluator(pack_at(pack, day))
    evaluator = _EVALUATORS[day]
    wrong = []
    for index, example in enumerate(pack.every_rule[rule_id].examples):
        fired = evaluator.fired_rules(example.profile)
        if (rule_id in fired) is not example.fires:
            kind = "fires" if example.fires else "does_not_fire"
            wrong.append(f"example {index} ({kind}) {example.profile.label}: fired {sorted(fired)}")
    assert wrong == []


def test_every_rule_has_both_kinds_of_example(pack: RulePack) -> None:
    """A rule card without a counter-example cannot show where its boundary lies."""
    for rule in pack.every_rule.values():
        assert {ex.fires for ex in rule.examples} == {True, False}, rule.id

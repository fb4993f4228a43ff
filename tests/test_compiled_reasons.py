"""The compiler owns what evaluation reads: where each rule's firings hold their facts, and each
derive rule's reason as literal text around fields of those facts."""

from __future__ import annotations

import pickle

from endodecide.evaluate import Evaluator
from endodecide.rulepack import RulePack
from endodecide.rulepack.compile import compile_program
from endodecide.rulepack.conditions import parse_when
from endodecide.rulepack.program import Bindings, FieldRef, ReasonFormat


def _program(when: list[str], reason: str) -> tuple[Bindings, ReasonFormat]:
    program = compile_program(
        "test",
        {"R1": parse_when(when, ("when",))},
        {"R1": ("progressed_on", "sai")},
        {"R1": 0},
        {"R1": reason},
    )
    return program.bindings["R1"], program.reasons["R1"]


def test_a_reason_is_literals_around_fields_of_the_matched_facts() -> None:
    bindings, reason = _program(
        ["er is positive", "line.months is less than 6", "hormone_receptor is positive"],
        "ER {er}, {line.months} months; a lone } stays",
    )
    assert bindings == Bindings(patient="p", line="l", derived=("d0",))
    assert reason == ReasonFormat(
        ("ER ", ", ", " months; a lone } stays"),
        (FieldRef("p", "er"), FieldRef("l", "months")),
    )
    assert reason.fill(["positive", "4"]) == "ER positive, 4 months; a lone } stays"


def test_a_rule_without_patient_or_line_conditions_binds_neither() -> None:
    bindings, reason = _program(
        ["hormone_receptor is positive", "progressed_on does not include nsai"], "no placeholder"
    )
    assert bindings == Bindings(patient=None, line=None, derived=("d0",))  # negations bind none
    assert reason == ReasonFormat(("no placeholder",), ())
    assert reason.fill([]) == "no placeholder"


def test_the_bindings_name_what_every_firing_holds(pack: RulePack) -> None:
    """Each rule's firings hold exactly its bound aliases (plus the phase gate)."""
    program = pack.program
    for rule_id, rule in program.rules.items():
        bound = program.bindings[rule_id]
        positive = [next(iter(p)) for p in rule["all"] if not next(iter(p)).endswith("$not")]
        named = [a for a in (bound.patient, bound.line) if a is not None] + list(bound.derived)
        assert sorted(positive) == sorted([*named, "g"]), rule_id


def test_the_evaluated_program_carries_every_reason_and_pickles(pack: RulePack) -> None:
    program = Evaluator(pack).engine.program
    derive_rules = {r for r, rule in pack.rules.items() if rule.card.then.derive is not None}
    assert set(program.reasons) == derive_rules
    assert pickle.loads(pickle.dumps(program)) == program

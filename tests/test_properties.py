"""Properties over random profiles of the space derived from the pack (hypothesis draws the
patient class and the history class, including pairs the enumerated space does not hold)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endodecide.disclaimer import DISCLAIMER
from endodecide.evaluate import Evaluator, pack_info
from endodecide.facts import line_facts, patient_fact
from endodecide.profile import Profile
from endodecide.render.text import render_run
from endodecide.rulepack.interpret import direct_fire, direct_table, rule_holds
from endodecide.workshop.coverage import PackIndex, broken_invariants
from endodecide.workshop.space import ProfileSpace

rngs = st.randoms(use_true_random=False)
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_HER2_DIRECTED = re.compile(r"trastuzumab|lapatinib", re.IGNORECASE)
_NSAI = {"anastrozole", "letrozole"}


@pytest.mark.slow
@SETTINGS
@given(rng=rngs)
def test_evaluation_invariants(
    evaluator: Evaluator, space: ProfileSpace, rng: random.Random
) -> None:
    """Never raises; HR-negative gets no option; HER2-negative no HER2-directed option; cites."""
    profile = space.sample(rng)
    result = evaluator.evaluate(profile)
    if not profile.hormone_receptor_positive:
        assert result.options == []
        assert any(f.severity == "out_of_scope" for f in result.flags)
    if profile.receptors.her2 != "positive":
        assert not any(_HER2_DIRECTED.search(o.regimen) for o in result.options)
    if not any(_NSAI & set(line.agents) for line in profile.endocrine_history):
        assert not any(
            "everolimus" in o.regimen.lower() and "exemestane" in o.regimen.lower()
            for o in result.options
        )
    if profile.menopausal_status in {"pre", "peri"} and not profile.ovarian_suppression:
        assert all("ovarian_suppression" in o.agents for o in result.options)
    if profile.sex == "male":
        assert result.options == []
    for option in result.options:
        assert option.evidence and all(c.pmid or c.doi for c in option.evidence)
    if profile.disease.visceral_crisis:
        assert any(f.rule == "ED902" for f in result.flags)
    if profile.receptors.her2 == "unknown" and profile.hormone_receptor_positive:
        assert any(f.rule == "ED903" for f in result.flags)
    assert evaluator.evaluate(profile) == result  # deterministic
    assert evaluator.engine.live_sessions == 0


@pytest.mark.slow
@SETTINGS
@given(rng=rngs)
def test_every_output_carries_the_disclaimer(
    evaluator: Evaluator, space: ProfileSpace, rng: random.Random
) -> None:
    """The terminal layout has the disclaimer at the top and at the bottom."""
    profile = space.sample(rng)
    text = render_run(pack_info(evaluator.pack), [evaluator.evaluate(profile)])
    flat = " ".join(text.split())
    assert flat.startswith(DISCLAIMER) and flat.endswith(DISCLAIMER)


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_profiles_are_valid_input(space: ProfileSpace, seed: int) -> None:
    """Sampling the space only makes profiles the loader accepts (a check on the test tool)."""
    profile = space.sample(random.Random(seed))
    assert Profile.model_validate(profile.model_dump()) == profile


@pytest.mark.slow
@SETTINGS
@given(rng=rngs)
def test_direct_evaluation_agrees_with_the_engine(
    evaluator: Evaluator, space: ProfileSpace, rng: random.Random
) -> None:
    """The plain-Python reading of every rule (used for near misses) matches what fired."""
    profile = space.sample(rng)
    pack = evaluator.pack
    evaluation = evaluator.run_engine(profile)
    fired = {firing.rule_id for firing in evaluation.firings}
    derived = frozenset((fact["name"], fact["value"]) for fact in evaluation.derived)
    patient, lines = patient_fact(profile), line_facts(profile)
    direct = {r.id for r in pack.rules.values() if rule_holds(r.when, patient, lines, derived)}
    assert direct == fired


@pytest.mark.slow
@SETTINGS
@given(rng=rngs)
def test_direct_python_floor_fires_what_the_engine_fires(
    evaluator: Evaluator, space: ProfileSpace, rng: random.Random
) -> None:
    """The benchmark's direct-Python evaluation decides the same rules as the engine."""
    profile = space.sample(rng)
    pack = evaluator.pack
    table = direct_table(pack.rules.values())
    fired = direct_fire(table, patient_fact(profile), line_facts(profile))
    assert fired == evaluator.fired_rules(profile)


@pytest.mark.slow
@SETTINGS
@given(rng=rngs)
def test_generated_profiles_keep_every_clinical_invariant(
    evaluator: Evaluator, space: ProfileSpace, rng: random.Random
) -> None:
    """Beyond the enumerated space: no generated profile breaks a clinical safety invariant."""
    profile = space.sample(rng)
    result = evaluator.evaluate(profile)
    assert broken_invariants(PackIndex.of(evaluator.pack), profile, result) == []

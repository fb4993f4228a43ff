"""The engine wrapper: isolation, cleanup, and each durable_rules trap it must handle."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from endodecide import engine as engine_module
from endodecide.engine import DONE_RULE, Engine
from endodecide.errors import EvaluationError
from endodecide.evaluate import Evaluator
from endodecide.facts import line_facts, patient_fact
from endodecide.generate import random_profile
from endodecide.rulebook import RulePack
from endodecide.rulebook.program import ActionSpec, Program
from tests.conftest import make_profile


def _program(rules: dict, actions: dict, strata: int = 0) -> Program:
    return Program("test", rules, actions, strata)


def _gate(stratum: int = 0) -> dict:
    return {"g": {"$and": [{"kind": "phase"}, {"stratum": stratum}]}}


def test_batch_equals_alone_and_leaves_no_state(pack: RulePack) -> None:
    """5,000 generated profiles in one process give the same results as each one alone."""
    rng = random.Random(20141210)
    profiles = [random_profile(rng) for _ in range(5000)]
    batch = Evaluator(pack)
    in_batch = [batch.evaluate(p, explain=True).model_dump_json() for p in profiles]
    assert batch.engine.live_sessions == 0
    for index in range(0, 5000, 100):  # 50 profiles, each on a fresh engine of its own
        alone = Evaluator(pack).evaluate(profiles[index], explain=True).model_dump_json()
        assert alone == in_batch[index]
    again = [batch.evaluate(p, explain=True).model_dump_json() for p in reversed(profiles)]
    assert again[::-1] == in_batch


def test_every_engine_registers_a_ruleset_name_of_its_own(pack: RulePack) -> None:
    """Two hosts registering one ruleset name in a process made a later registration fail
    ("Could not create ruleset, error code: 102"; reproduced with the benchmark's bare host), so
    each engine registers under a name of its own."""
    engines = [Engine(pack.program) for _ in range(3)]
    names = {engine._ruleset for engine in engines}
    assert len(names) == 3 and pack.program.ruleset not in names
    profile = random_profile(random.Random(7))
    facts = [patient_fact(profile), *line_facts(profile)]
    assert len({str(e.evaluate(facts).firings) for e in engines}) == 1


def test_more_than_1024_evaluations_on_one_engine(evaluator: Evaluator) -> None:
    """Sessions are deleted, so the 1,024 live-session cap is never reached."""
    for _ in range(1100):
        evaluator.run_engine(make_profile())
    assert evaluator.engine.live_sessions == 0


def test_profile_matching_nothing_is_an_empty_result() -> None:
    """'No rule matched' is an empty result; deleting that session does not crash."""
    rules = {"r1": {"all": [{"p": {"$and": [{"kind": "patient"}, {"her2": "positive"}]}}, _gate()]}}
    engine = Engine(_program(rules, {"r1": ActionSpec("r1")}))
    for _ in range(50):
        assert engine.evaluate([{"kind": "patient", "her2": "negative"}]).firings == []
        assert engine.evaluate([{"kind": "unmatched"}]).firings == []


def test_exception_inside_an_action_is_surfaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """An action that raises makes evaluate raise after cleanup, never a silent empty result."""
    rules = {"r1": {"all": [{"p": {"kind": "patient"}}, _gate()]}}
    derive = {"kind": "derived", "name": "x", "value": "y", "by": "r1"}
    spec = ActionSpec("r1", derive, line_alias="missing_alias")
    engine = Engine(_program(rules, {"r1": spec}))
    with pytest.raises(EvaluationError, match="rule r1"):
        engine.evaluate([{"kind": "patient"}])
    assert engine.live_sessions == 0


def test_actions_take_exactly_one_parameter(evaluator: Evaluator) -> None:
    """Two-parameter actions would be run as asynchronous and never complete."""
    for action in evaluator.engine._host._actions.values():
        code = getattr(action, "__code__", None) or action.__func__.__code__
        assert code.co_argcount - hasattr(action, "__self__") == 1


def test_negation_sees_facts_derived_later_in_the_chain() -> None:
    """A negated pattern on a fact derived in a lower stratum is decided after that stratum."""
    derive = {"kind": "derived", "name": "contra", "value": "yes", "by": "late"}
    rules = {
        # derives 'contra' through a two-step chain, so it arrives late
        "step": {"all": [{"p": {"kind": "patient"}}, _gate()]},
        "late": {"all": [{"d0": {"$and": [{"kind": "derived"}, {"name": "step"}]}}, _gate()]},
        "guarded": {
            "all": [
                {"p": {"kind": "patient"}},
                _gate(1),
                {"n0$not": {"$and": [{"kind": "derived"}, {"name": "contra"}]}},
            ]
        },
    }
    actions = {
        "step": ActionSpec("step", {"kind": "derived", "name": "step", "value": "x", "by": "step"}),
        "late": ActionSpec("late", derive),
        "guarded": ActionSpec("guarded"),
    }
    fired = {
        f.rule_id
        for f in Engine(_program(rules, actions, strata=1)).evaluate([{"kind": "patient"}]).firings
    }
    assert "late" in fired
    assert "guarded" not in fired


def test_no_background_dispatcher_threads(evaluator: Evaluator) -> None:
    """The host's dispatcher is disabled: its timer threads would race batch runs."""
    import threading

    before = threading.active_count()
    Engine(evaluator.pack.program)
    assert threading.active_count() == before


def test_firing_budget_stops_runaway_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    """A derivation loop is stopped and reported instead of hanging."""
    monkeypatch.setattr(engine_module, "FIRING_BUDGET", 3)
    rules = {f"r{i}": {"all": [{"p": {"kind": "patient"}}, _gate()]} for i in range(5)}
    engine = Engine(_program(rules, {k: ActionSpec(k) for k in rules}))
    with pytest.raises(EvaluationError, match="firings"):
        engine.evaluate([{"kind": "patient"}])


def test_results_are_in_a_stable_order(evaluator: Evaluator) -> None:
    """The same profile gives byte-identical output every time."""
    profile = make_profile(
        endocrine_history=[
            {
                "agents": ["letrozole"],
                "setting": "metastatic",
                "months": 14,
                "ended": "progression",
            },
            {"agents": ["tamoxifen"], "setting": "metastatic", "months": 8, "ended": "progression"},
        ]
    )
    first = evaluator.evaluate(profile).model_dump_json()
    assert all(evaluator.evaluate(profile).model_dump_json() == first for _ in range(20))


def test_sentinel_rule_is_registered(evaluator: Evaluator) -> None:
    """The always-firing sentinel guarantees an action ran before a session is deleted."""
    assert DONE_RULE in evaluator.engine._host._actions


def test_engine_extension_imports() -> None:
    """durable_rules builds but fails to import on Python 3.13: prove it imports here."""
    import durable_rules_engine  # noqa: F401


def test_only_engine_imports_durable() -> None:
    """Rules, reports and the CLI never touch durable_rules directly."""
    from pathlib import Path

    src = Path(engine_module.__file__).parent
    users = sorted(
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if any(
            line.lstrip().startswith(("from durable", "import durable"))
            for line in p.read_text().splitlines()
        )
    )
    assert users == ["engine.py"]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:  # noqa: PTH123
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_stops_growing_over_a_batch(pack: RulePack) -> None:
    """Once its bounded result caches are full, 4,000 more evaluations leave no state behind
    and do not grow memory. (A small cache limit fills them quickly; the benchmark reports the
    default limit over 30,000 evaluations.)"""
    evaluator = Evaluator(pack, cache_limit=256)
    rng = random.Random(99)
    for _ in range(2_000):
        evaluator.evaluate(random_profile(rng))
    before = _rss_bytes()
    for _ in range(4_000):
        evaluator.evaluate(random_profile(rng))
    grown = _rss_bytes() - before
    assert evaluator.engine.live_sessions == 0
    caches = [v for k, v in vars(evaluator).items() if k.endswith(("_cache", "_lists"))]
    assert len(caches) == 4 and all(len(cache) <= 256 for cache in caches)
    assert grown < 2_000_000, f"RSS grew by {grown / 1e6:.1f} MB over 4,000 evaluations"

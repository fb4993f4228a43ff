"""The only module that imports durable_rules: compile once, evaluate one profile per session.

Traps of durable_rules 2.0.28 handled here (each measured; each has a test in test_engine.py):
- the stock Host starts dispatcher threads that race synchronous calls → ``_run`` is a no-op;
- at most 1,024 live sessions per ruleset → one live session at a time, always deleted;
- deleting a session in which no action ran is undefined behaviour → a sentinel rule always fires;
- exceptions inside actions are swallowed into the state → every action is wrapped and the state's
  ``exception`` key is checked;
- two-parameter actions are treated as asynchronous → actions come from a one-parameter factory;
- registration deletes ``run`` from the dicts passed in → a deep copy is registered;
- negation is evaluated when the positive pattern arrives → strata gated by phase facts;
- an ``$or`` inside ``$iany``/``$iall`` makes ruleset creation read an uninitialised byte
  (``createForwardAlpha`` in rete.c never sets ``expression.right.type``), so registration fails
  at random with error 102, depending on what the heap held → the compiler joins one item test
  per value outside the ``$iany``, and ``Engine`` refuses a program that still nests one;
- "no rule matched" raises MessageNotHandledException → an empty result, not an error.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from durable import engine as durable_engine

from endodecide.errors import EvaluationError
from endodecide.rulepack.program import ActionSpec, Program

__all__ = ["DONE_RULE", "Engine", "Evaluation", "Firing"]

DONE_RULE = "__done__"
_ENGINE_IDS = itertools.count(1)
FIRING_BUDGET = 5_000


class Firing(NamedTuple):
    """One rule firing and the facts it matched, by alias (a tuple: made for every firing)."""

    rule_id: str
    facts: dict[str, dict[str, Any]]


@dataclass
class Evaluation:
    """Everything one profile produced: firings in firing order, derived facts asserted."""

    firings: list[Firing] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Host(durable_engine.Host):
    """A host with no background threads that resolves action names from a table."""

    def __init__(self, actions: dict[str, Callable[[Any], None]]) -> None:
        self._actions = actions
        super().__init__()

    def _run(self) -> None:  # the stock dispatcher races synchronous evaluation
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._actions[action_name]


def _or_inside_item_test(node: Any, inside: bool = False) -> bool:
    """Whether an ``$or`` stands anywhere inside an ``$iany``/``$iall`` expression."""
    if isinstance(node, list):
        return any(_or_inside_item_test(item, inside) for item in node)
    if not isinstance(node, dict):
        return False
    return any(
        (inside and key == "$or")
        or _or_inside_item_test(value, inside or key in {"$iany", "$iall"})
        for key, value in node.items()
    )


class Engine:
    """A compiled rule pack, ready to evaluate profiles one after another."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._runs: dict[str, Evaluation] = {}
        self._sids = itertools.count(1)
        actions = {rule_id: self._action(spec) for rule_id, spec in program.actions.items()}
        actions[DONE_RULE] = self._done
        rules = {rule_id: {**rule, "run": rule_id} for rule_id, rule in program.rules.items()}
        rules[DONE_RULE] = {"all": [{"m": {"kind": DONE_RULE}}], "pri": 65535, "run": DONE_RULE}
        for rule_id, rule in program.rules.items():
            if _or_inside_item_test(rule):
                raise ValueError(f"rule {rule_id}: an $or inside $iany/$iall (engine error 102)")
        self._host = _Host(actions)
        self._ruleset = f"{program.ruleset}-{next(_ENGINE_IDS)}"  # tells engines apart in errors
        self._host.set_rulesets({self._ruleset: copy.deepcopy(rules)})

    @property
    def live_sessions(self) -> int:
        """Sessions not yet cleaned up; always 0 between evaluations."""
        return len(self._runs)

    def evaluate(self, facts: Iterable[dict[str, Any]], label: str = "profile") -> Evaluation:
        """Assert ``facts``, run every stratum, clean the session; raise if any action failed."""
        ruleset = self._ruleset
        sid = str(next(self._sids))
        run = self._runs[sid] = Evaluation()
        try:
            for fact in facts:
                self._assert({**fact, "sid": sid})
            for stratum in range(self.program.strata + 1):
                self._assert({"kind": "phase", "stratum": stratum, "sid": sid})
            self._host.assert_fact(ruleset, {"kind": DONE_RULE, "sid": sid})
            swallowed = self._host.get_state(ruleset, sid).get("exception")
            if swallowed:
                run.errors.append(f"engine: {swallowed}")
        finally:
            self._host.delete_state(ruleset, sid)
            del self._runs[sid]
        if run.errors:
            raise EvaluationError(label, run.errors)
        return run

    def _assert(self, fact: dict[str, Any]) -> None:
        # MessageNotHandledException: no rule looks at this fact, so there is nothing to do.
        # (try/except rather than contextlib.suppress: this runs for every fact, and is cheaper.)
        try:  # noqa: SIM105
            self._host.assert_fact(self._ruleset, fact)
        except durable_engine.MessageNotHandledException:
            pass

    def _action(self, spec: ActionSpec) -> Callable[[Any], None]:
        """A one-parameter closure per rule (two parameters would make it asynchronous)."""

        def act(c: Any) -> None:
            run = self._runs.get(c.s._d["sid"])
            if run is None:
                return
            try:
                if len(run.firings) >= FIRING_BUDGET:
                    raise RuntimeError(f"more than {FIRING_BUDGET} firings: a derivation loop?")
                # c._m is the matched message, decoded afresh for this action: kept as it is,
                # without copying, since nothing else holds it.
                matched = c._m
                run.firings.append(Firing(spec.rule_id, matched))
                if spec.derive is not None:
                    record = dict(spec.derive)
                    record["line"] = matched[spec.line_alias]["index"] if spec.line_alias else -1
                    try:
                        c.assert_fact(dict(record))
                        run.derived.append(record)
                    except durable_engine.MessageObservedException:
                        pass  # the same conclusion from the same rule and line: already known
                    except durable_engine.MessageNotHandledException:
                        run.derived.append(record)  # concluded, but no rule uses it
            except Exception as exc:  # surfaced after cleanup, never swallowed
                run.errors.append(f"rule {spec.rule_id}: {type(exc).__name__}: {exc}")

        return act

    @staticmethod
    def _done(c: Any) -> None:
        """The sentinel: guarantees an action ran before the session is deleted."""
        return

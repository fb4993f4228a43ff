"""Compiling checked rules into the engine's plain-data program, with stratified negation."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from endodecide.facts import VOCABULARY
from endodecide.rulepack.check import PLACEHOLDER
from endodecide.rulepack.conditions import Condition, Group
from endodecide.rulepack.program import ActionSpec, Bindings, FieldRef, Program, ReasonFormat

__all__ = [
    "LINE",
    "PATIENT",
    "NegationCycle",
    "compile_condition",
    "compile_program",
    "compile_reasons",
    "compute_strata",
]

PATIENT, LINE, GATE = "p", "l", "g"
_COMPARE = {
    "is at least": "$gte",
    "is at most": "$lte",
    "is less than": "$lt",
    "is more than": "$gt",
}


def compile_condition(item: Condition | Group) -> dict[str, Any]:
    """A profile or line condition as a durable_rules expression on one fact."""
    if isinstance(item, Group):
        return {"$or" if item.mode == "any" else "$and": [compile_condition(i) for i in item.items]}
    field, op, values = item.fact.field, item.op, item.values
    if item.fact.kind == "list":
        if op in {"includes", "includes any of"}:
            # One "any item" test per value, joined outside: an $or *inside* $iany makes
            # durable_rules 2.0.28 read an uninitialised byte while building the ruleset
            # (createForwardAlpha in rete.c never sets expression.right.type), so registration
            # failed with error 102 whenever the heap happened to hold 0x09 or 0x0C there.
            anys = [{"$iany": {field: {"$i": v}}} for v in values]
            return anys[0] if len(anys) == 1 else {"$or": anys}
        return {"$iall": {field: {"$and": [{"$neq": {"$i": v}} for v in values]}}}
    if op in _COMPARE:
        return {_COMPARE[op]: {field: values[0]}}
    if op in {"is", "is one of"}:
        return {"$or": [{field: v} for v in values]} if len(values) > 1 else {field: values[0]}
    return {"$and": [{"$neq": {field: v}} for v in values]}


def _derived_pattern(item: Condition, drop: frozenset[Any] = frozenset()) -> dict[str, Any]:
    values: list[dict[str, Any]] = [{"value": v} for v in item.values if v not in drop]
    values = values or [{"value": None}]
    return {
        "$and": [
            {"kind": "derived"},
            {"name": item.fact.name},
            values[0] if len(values) == 1 else {"$or": values},
        ]
    }


def _all_conditions(when: list[Condition | Group]) -> list[Condition]:
    found: list[Condition] = []
    for item in when:
        found.extend(item.conditions() if isinstance(item, Group) else [item])
    return found


def _source(item: Condition | Group) -> str:
    return (item.conditions()[0] if isinstance(item, Group) else item).fact.source


@dataclass(frozen=True)
class NegationCycle:
    """Rules deriving facts in a ring through at least one negation, so no stratum can hold.

    ``steps`` are (rule id, the fact it derives, whether the next rule negates that fact);
    the last rule's fact is tested by the first rule.
    """

    steps: tuple[tuple[str, str, bool], ...]

    @property
    def first(self) -> str:
        return self.steps[0][0]

    @property
    def message(self) -> str:
        parts = []
        for index, (rule_id, fact, negated) in enumerate(self.steps):
            tester = self.steps[(index + 1) % len(self.steps)][0]
            parts.append(f"{rule_id} derives {fact}, which {tester} {_VERB[negated]}")
        return "negation cycle: " + "; ".join(parts)


_VERB = {True: "negates", False: "requires"}
Node = tuple[str, str]  # ("rule", id) or ("fact", name)


def _dependency_graph(
    when_by_rule: dict[str, list[Condition | Group]], derives: dict[str, str]
) -> dict[Node, dict[Node, bool]]:
    """Edges rule → fact it derives (never negated) and fact → rule testing it (negated?)."""
    graph: dict[Node, dict[Node, bool]] = {("rule", r): {} for r in sorted(when_by_rule)}
    for fact in sorted(set(derives.values())):
        graph[("fact", fact)] = {}
    for rule_id, fact in derives.items():
        graph[("rule", rule_id)][("fact", fact)] = False
    for rule_id in sorted(when_by_rule):
        for cond in _all_conditions(when_by_rule[rule_id]):
            if cond.fact.source == "derived":
                edges = graph.setdefault(("fact", cond.fact.name), {})
                edges[("rule", rule_id)] = edges.get(("rule", rule_id), False) or cond.negated
    return graph


def _components(graph: dict[Node, dict[Node, bool]]) -> list[list[Node]]:
    """Tarjan's strongly connected components, each after every component it reaches."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    found: list[list[Node]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(graph[step])))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[Node] = []
                while not component or component[-1] != node:
                    component.append(stack.pop())
                    on_stack.discard(component[-1])
                found.append(component)
    return found


def _shortest_path(graph: dict[Node, dict[Node, bool]], start: Node, goal: Node) -> list[Node]:
    """Breadth-first path from ``start`` to ``goal`` (both in one component), inclusive."""
    came_from: dict[Node, Node | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for step in sorted(graph[node]):
            if step not in came_from:
                came_from[step] = node
                queue.append(step)
    path: list[Node] = []
    at: Node | None = goal
    while at is not None:
        path.append(at)
        at = came_from[at]
    return path[::-1]


def _cycle(graph: dict[Node, dict[Node, bool]], component: list[Node]) -> NegationCycle | None:
    """The shortest cycle of the component through a negated edge, from its lowest rule id."""
    members = set(component)
    inside = {n: {m: neg for m, neg in graph[n].items() if m in members} for n in members}
    best: list[Node] | None = None
    negated_edges = sorted(
        (fact, rule) for fact in members for rule, negated in inside[fact].items() if negated
    )
    for fact, rule in negated_edges:  # only fact → rule edges are ever negated
        path = _shortest_path(inside, rule, fact)  # rule → its fact → ... → fact
        if best is None or len(path) < len(best):
            best = path
    if best is None:
        return None
    rules = [name for kind, name in best if kind == "rule"]
    facts = [name for kind, name in best if kind == "fact"]
    steps = [
        (rule, fact, inside[("fact", fact)][("rule", rules[(i + 1) % len(rules)])])
        for i, (rule, fact) in enumerate(zip(rules, facts, strict=True))
    ]
    start = rules.index(min(rules))
    return NegationCycle(tuple(steps[start:] + steps[:start]))


def compute_strata(
    when_by_rule: dict[str, list[Condition | Group]], derives: dict[str, str]
) -> dict[str, int] | list[NegationCycle]:
    """Stratum of each rule: above every rule deriving a fact it negates.

    Rules and derived facts form a dependency graph; a strongly connected component holding a
    negated edge is a cycle through negation, returned once per component instead.
    """
    graph = _dependency_graph(when_by_rule, derives)
    components = _components(graph)
    cycles = [cycle for comp in components if (cycle := _cycle(graph, comp)) is not None]
    if cycles:
        return sorted(cycles, key=lambda c: c.first)
    incoming: dict[Node, list[tuple[Node, bool]]] = {node: [] for node in graph}
    for source, edges in graph.items():
        for target, negated in edges.items():
            incoming[target].append((source, negated))
    level: dict[Node, int] = {}
    for component in reversed(components):  # each after every component it depends on
        members = set(component)
        height = max(
            (
                level[source] + int(negated)
                for node in component
                for source, negated in incoming[node]
                if source not in members
            ),
            default=0,
        )
        level.update(dict.fromkeys(component, height))
    return {rule_id: level[("rule", rule_id)] for rule_id in when_by_rule}


def _compile_rule(
    rule_id: str, when: list[Condition | Group], stratum: int, derive: dict[str, Any] | None
) -> tuple[dict[str, Any], ActionSpec, Bindings]:
    patient = [compile_condition(i) for i in when if _source(i) == "patient"]
    line = [compile_condition(i) for i in when if _source(i) == "line"]
    derived = [i for i in when if isinstance(i, Condition) and i.fact.source == "derived"]
    patterns: list[dict[str, Any]] = []
    if patient:
        patterns.append({PATIENT: {"$and": [{"kind": "patient"}, *patient]}})
    if line:
        patterns.append({LINE: {"$and": [{"kind": "line"}, *line]}})
    positives = [c for c in derived if not c.negated]
    negatives = [c for c in derived if c.negated]
    # A fact a positive pattern binds is not seen by the rule's negated patterns (durable_rules
    # correlates distinct facts), so "includes any of [a, b]" with "does not include b" would
    # fire on b alone. Values a rule also negates are dropped from its positive lists: the same
    # meaning, and what the engine then evaluates is what the rule says.
    excluded: dict[str, frozenset[Any]] = {}
    for cond in negatives:
        excluded[cond.fact.name] = excluded.get(cond.fact.name, frozenset()) | set(cond.values)
    required = tuple(f"d{n}" for n in range(len(positives)))
    patterns += [
        {alias: _derived_pattern(c, excluded.get(c.fact.name, frozenset()))}
        for alias, c in zip(required, positives, strict=True)
    ]
    patterns.append({GATE: {"$and": [{"kind": "phase"}, {"stratum": stratum}]}})
    # Negated patterns go last: durable_rules needs a positive pattern before a negation.
    patterns += [{f"n{n}$not": _derived_pattern(c)} for n, c in enumerate(negatives)]
    action = ActionSpec(rule_id, derive, LINE if (derive and line) else None)
    bindings = Bindings(PATIENT if patient else None, LINE if line else None, required)
    return {"all": patterns}, action, bindings


def _compile_reason(rule_id: str, template: str, bindings: Bindings) -> ReasonFormat:
    """A checked reason template as literals around fields of the facts the rule matched."""
    parts = PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    fields = []
    for name in parts[1::2]:
        spec = VOCABULARY[name]
        alias = bindings.line if spec.source == "line" else bindings.patient
        if alias is None:  # the checker rejects such a rule (E424) before it is compiled
            raise ValueError(f"rule {rule_id}: placeholder {{{name}}} has no fact to read")
        fields.append(FieldRef(alias, spec.field))
    return ReasonFormat(tuple(parts[0::2]), tuple(fields))


def compile_reasons(program: Program, reasons: Mapping[str, str]) -> Program:
    """``program`` with the reason template of each derive rule (by rule id) compiled in."""
    return dataclasses.replace(
        program,
        reasons={
            rule_id: _compile_reason(rule_id, reasons[rule_id], program.bindings[rule_id])
            for rule_id in sorted(reasons)
        },
    )


def compile_program(
    ruleset: str,
    when_by_rule: dict[str, list[Condition | Group]],
    derives: dict[str, tuple[str, str]],
    strata: dict[str, int],
    reasons: Mapping[str, str] | None = None,
) -> Program:
    """``derives`` maps a derive rule's id to its (fact, value), ``reasons`` to its reason."""
    rules: dict[str, dict[str, Any]] = {}
    actions: dict[str, ActionSpec] = {}
    bindings: dict[str, Bindings] = {}
    for rule_id in sorted(when_by_rule):
        derive = None
        if rule_id in derives:
            fact, value = derives[rule_id]
            derive = {"kind": "derived", "name": fact, "value": value, "by": rule_id}
        rules[rule_id], actions[rule_id], bindings[rule_id] = _compile_rule(
            rule_id, when_by_rule[rule_id], strata[rule_id], derive
        )
    top = max(strata.values(), default=0)
    program = Program(ruleset, rules, actions, top, dict(strata), bindings)
    return program if reasons is None else compile_reasons(program, reasons)

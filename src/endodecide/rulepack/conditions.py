"""The condition language: ``<fact> <operator> <value>`` sentences, parsed once and checked.

    her2 is negative
    menopausal_status is one of [pre, peri]
    line.months is less than 6
    line.agents includes any of [anastrozole, letrozole]
    progressed_on includes nsai
    any of: [..conditions..]   /   all of: [..conditions..]

Every fact and value is checked against the vocabulary when the rule pack loads; an unknown
name is an error with a "did you mean".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from endodecide.facts import VOCABULARY, FactSpec, describe_value
from endodecide.sources import Loc
from endodecide.validation import did_you_mean

__all__ = ["OPERATORS", "Condition", "ConditionError", "Group", "parse_when", "plain_words"]

Scalar = str | int | bool

# operator → (fact kinds it applies to, takes a list, negated)
OPERATORS: dict[str, tuple[frozenset[str], bool, bool]] = {
    "is not one of": (frozenset({"enum"}), True, True),
    "is one of": (frozenset({"enum"}), True, False),
    "is at least": (frozenset({"number"}), False, False),
    "is at most": (frozenset({"number"}), False, False),
    "is less than": (frozenset({"number"}), False, False),
    "is more than": (frozenset({"number"}), False, False),
    "is not": (frozenset({"enum", "bool", "number"}), False, True),
    "is": (frozenset({"enum", "bool", "number"}), False, False),
    "does not include": (frozenset({"list", "multi"}), False, True),
    "includes none of": (frozenset({"list", "multi"}), True, True),
    "includes any of": (frozenset({"list", "multi"}), True, False),
    "includes": (frozenset({"list", "multi"}), False, False),
}
_OPS = "|".join(re.escape(op) for op in OPERATORS)
_SENTENCE = re.compile(rf"^\s*(?P<fact>[A-Za-z0-9_.]+)\s+(?P<op>{_OPS})\s+(?P<value>.+?)\s*$")
_TOKEN = re.compile(r"^[a-z0-9_]+$")
_GROUPS = {"any of": "any", "all of": "all"}


class ConditionError(Exception):
    def __init__(self, loc: Loc, message: str, code: str = "E410") -> None:
        super().__init__(message)
        self.loc, self.message, self.code = loc, message, code


@dataclass(frozen=True)
class Condition:
    """One checked sentence."""

    fact: FactSpec
    op: str
    value: Scalar | tuple[Scalar, ...]
    text: str

    @property
    def negated(self) -> bool:
        return OPERATORS[self.op][2]

    @property
    def values(self) -> tuple[Scalar, ...]:
        return self.value if isinstance(self.value, tuple) else (self.value,)


@dataclass(frozen=True)
class Group:
    """``any of`` / ``all of`` over conditions about the profile or about one line."""

    mode: str
    items: tuple[Condition | Group, ...]

    def conditions(self) -> list[Condition]:
        found: list[Condition] = []
        for item in self.items:
            found.extend(item.conditions() if isinstance(item, Group) else [item])
        return found


def parse_when(items: list[Any], base: Loc) -> list[Condition | Group]:
    """Parse a rule's ``when`` list; raise ConditionError for the first defect found."""
    return [_parse_item(item, (*base, index)) for index, item in enumerate(items)]


def _parse_item(item: Any, loc: Loc) -> Condition | Group:
    if isinstance(item, str):
        return _parse_sentence(item, loc)
    if isinstance(item, dict) and len(item) == 1:
        ((key, members),) = item.items()
        if key not in _GROUPS:
            raise ConditionError(
                loc,
                f"unknown group '{key}'{did_you_mean(key, list(_GROUPS))}; allowed: any of, all of",
                "E411",
            )
        if not isinstance(members, list) or len(members) < 2:
            raise ConditionError((*loc, key), "a group needs a list of at least two conditions")
        group = Group(
            _GROUPS[key], tuple(_parse_item(m, (*loc, key, i)) for i, m in enumerate(members))
        )
        sources = {c.fact.source for c in group.conditions()}
        if "derived" in sources or len(sources) > 1:
            raise ConditionError(
                (*loc, key),
                "a group may combine conditions on the profile, or on one therapy line, "
                "not derived facts or a mix: write separate rules instead",
                "E412",
            )
        return group
    raise ConditionError(
        loc, "a condition is a sentence like 'her2 is negative', or a group 'any of:' / 'all of:'"
    )


def _parse_sentence(text: str, loc: Loc) -> Condition:
    match = _SENTENCE.match(text)
    if not match:
        raise ConditionError(
            loc,
            f"cannot read condition '{text}': expected '<fact> <operator> <value>' with an "
            f"operator from: {', '.join(sorted(OPERATORS))}",
            "E413",
        )
    name, op, raw = match["fact"], match["op"], match["value"]
    spec = VOCABULARY.get(name)
    if spec is None:
        raise ConditionError(
            loc, f"unknown fact '{name}'{did_you_mean(name, list(VOCABULARY))}", "E414"
        )
    kind = "multi" if spec.multi else spec.kind
    kinds, takes_list, _ = OPERATORS[op]
    if kind not in kinds:
        usable = sorted(o for o, (k, _, _) in OPERATORS.items() if kind in k)
        raise ConditionError(
            loc,
            f"'{op}' does not apply to {name} ({kind}); use one of: {', '.join(usable)}",
            "E415",
        )
    return Condition(spec, op, _parse_value(spec, raw, takes_list, loc), text.strip())


def _parse_value(
    spec: FactSpec, raw: str, takes_list: bool, loc: Loc
) -> Scalar | tuple[Scalar, ...]:
    if takes_list:
        if not (raw.startswith("[") and raw.endswith("]")):
            raise ConditionError(loc, f"expected a list like [a, b], got '{raw}'", "E416")
        parts = [part.strip() for part in raw[1:-1].split(",") if part.strip()]
        if not parts:
            raise ConditionError(loc, "the list is empty", "E416")
        values = tuple(_parse_scalar(spec, part, loc) for part in parts)
        if len(set(values)) != len(values):
            raise ConditionError(loc, "a value is listed twice", "E416")
        return values
    return _parse_scalar(spec, raw, loc)


def _parse_scalar(spec: FactSpec, raw: str, loc: Loc) -> Scalar:
    if spec.kind == "bool":
        if raw not in {"true", "false"}:
            raise ConditionError(loc, f"{spec.name} is true or false, not '{raw}'", "E417")
        return raw == "true"
    if spec.kind == "number":
        if not raw.isdigit() or len(raw) > 6:
            raise ConditionError(
                loc, f"{spec.name} is compared with a whole number, not '{raw}'", "E417"
            )
        return int(raw)
    if not _TOKEN.match(raw) or raw not in spec.values:
        raise ConditionError(
            loc,
            f"'{raw}' is not a value of {spec.name}{did_you_mean(raw, spec.values)}; "
            f"allowed: {', '.join(spec.values)}",
            "E417",
        )
    return raw


@functools.cache
def plain_words(item: Condition | Group) -> str:
    """A condition as a clinician would say it."""
    if isinstance(item, Group):
        joiner = " or " if item.mode == "any" else " and "
        return "(" + joiner.join(plain_words(i) for i in item.items) + ")"
    unit = f" {item.fact.unit}" if item.fact.unit else ""
    if isinstance(item.value, tuple):
        shown = ", ".join(describe_value(v) for v in item.value)
    else:
        shown = describe_value(item.value) + unit
    if item.fact.kind == "bool" and item.op in {"is", "is not"}:
        truth = bool(item.value) != (item.op == "is not")
        return item.fact.label if truth else f"no {item.fact.label}"
    if item.fact.multi:
        words = {
            "includes": "",
            "does not include": "not ",
            "includes any of": "any of ",
            "includes none of": "none of ",
        }[item.op]
        return f"{item.fact.label}: {words}{shown}"
    return f"{item.fact.label} {item.op} {shown}"

"""``endodecide rules diff OLD NEW``: what an edit of the rule pack does, before accepting it.

Rules added, removed and changed field by field; evidence entries likewise; and which teaching
profiles and which profiles of the enumerated space change their options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from endodecide.coverage import CoverageResult, evaluate_space
from endodecide.evaluate import Evaluator
from endodecide.profile import LoadedProfile
from endodecide.rulebook import RulePack

__all__ = ["FieldChange", "ItemChange", "OptionChange", "PackDiff", "diff_packs", "flatten"]


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ItemChange:
    """A rule or evidence entry: added, removed, or changed in the listed fields."""

    id: str
    kind: str
    title: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass(frozen=True)
class OptionChange:
    """A profile whose options differ: options gained and lost, as ``RULE (status)``."""

    where: str
    gained: list[str]
    lost: list[str]


@dataclass
class PackDiff:
    old: RulePack
    new: RulePack
    manifest: list[FieldChange]
    rules: list[ItemChange]
    evidence: list[ItemChange]
    teaching: list[OptionChange]
    teaching_total: int
    space: list[OptionChange]
    space_total: int


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Leaf values by dotted path: ``then.option.cautions[0]`` → its text."""
    if isinstance(value, dict):
        found: dict[str, str] = {}
        for key, item in value.items():
            found.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            found.update(flatten(item, f"{prefix}[{index}]"))
        return found or {prefix: "[]"}
    return {prefix: str(value)}


def _field_changes(old: Any, new: Any) -> list[FieldChange]:
    before, after = flatten(old), flatten(new)
    return [
        FieldChange(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after), key=lambda p: (p.split(".")[0], p))
        if before.get(path) != after.get(path)
    ]


def _items(
    old: dict[str, Any], new: dict[str, Any], title: str, exclude: set[str]
) -> list[ItemChange]:
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            changes.append(ItemChange(key, "added", getattr(new[key], title)))
        elif key not in new:
            changes.append(ItemChange(key, "removed", getattr(old[key], title)))
        else:
            fields = _field_changes(
                old[key].model_dump(mode="json", exclude=exclude),
                new[key].model_dump(mode="json", exclude=exclude),
            )
            if fields:
                changes.append(ItemChange(key, "changed", getattr(new[key], title), fields))
    return changes


def _signature(pack: RulePack, rule_ids: tuple[str, ...] | set[str]) -> set[str]:
    found = set()
    for rule_id in rule_ids:
        option = pack.rules[rule_id].card.then.option
        if option is not None:
            found.add(f"{rule_id} ({option.status.replace('_', ' ')})")
    return found


def _change(where: str, before: set[str], after: set[str]) -> OptionChange | None:
    if before == after:
        return None
    return OptionChange(where, sorted(after - before), sorted(before - after))


def _space_changes(
    old: RulePack, new: RulePack, before: CoverageResult, after: CoverageResult
) -> list[OptionChange]:
    found = []
    for a, b in zip(before.outcomes, after.outcomes, strict=True):
        change = _change(
            ", ".join(f"{k}={v}" for k, v in before.points[a.index].as_dict.items()),
            _signature(old, a.options),
            _signature(new, b.options),
        )
        if change:
            found.append(change)
    return found


def diff_packs(
    old_root: Path,
    new_root: Path,
    old: RulePack,
    new: RulePack,
    teaching: list[LoadedProfile],
    workers: int | None = None,
) -> PackDiff:
    old_cards = {k: r.card for k, r in old.rules.items()}
    new_cards = {k: r.card for k, r in new.rules.items()}
    teaching_changes = []
    old_evaluator, new_evaluator = Evaluator(old), Evaluator(new)
    for item in teaching:
        change = _change(
            item.source,
            _signature(old, old_evaluator.fired_rules(item.profile)),
            _signature(new, new_evaluator.fired_rules(item.profile)),
        )
        if change:
            teaching_changes.append(change)
    before, after = evaluate_space(old_root, workers), evaluate_space(new_root, workers)
    return PackDiff(
        old=old,
        new=new,
        manifest=_field_changes(
            old.manifest.model_dump(mode="json"), new.manifest.model_dump(mode="json")
        ),
        rules=_items(old_cards, new_cards, "title", set()),
        evidence=_items(old.catalogue.entries, new.catalogue.entries, "short_name", set()),
        teaching=teaching_changes,
        teaching_total=len(teaching),
        space=_space_changes(old, new, before, after),
        space_total=len(before.points),
    )

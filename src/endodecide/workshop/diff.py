"""``endodecide rules diff OLD NEW``: what an edit of the rule pack does, before accepting it.

Rules added, removed and changed field by field; evidence entries likewise; and which teaching
profiles and which profiles of the enumerated space change their options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from endodecide.evaluate import Evaluator
from endodecide.profile import LoadedProfile
from endodecide.rulepack import RulePack, pack_at
from endodecide.workshop.coverage import CoverageResult, evaluate_space, shown_options
from endodecide.workshop.space import ProfileSpace, derive_space, sample_space

__all__ = ["FieldChange", "ItemChange", "OptionChange", "PackDiff", "diff_packs", "field_changes"]


@dataclass(frozen=True)
class FieldChange:
    """One difference at a dotted path: a value changed in place, or a list item added/removed.

    List items are matched as sequences, so an inserted condition is one ``added`` change;
    removed items carry their old index, added and changed items their new one.
    """

    path: str
    old: str | None
    new: str | None
    kind: str = "changed"


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
    sampled: bool = False  # the space is a seeded sample (a diff between two dates)


SIMILAR = 0.6  # list items at least this similar (difflib ratio) are one item edited in place


def _text(value: Any) -> str:
    """A value as one line: a scalar as itself, a mapping or list in YAML flow style."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _shape(value: Any) -> type:
    return dict if isinstance(value, dict) else list if isinstance(value, list) else str


def _similarity(old: Any, new: Any) -> float:
    if _shape(old) is not _shape(new):
        return 0.0
    return SequenceMatcher(None, _text(old), _text(new), autojunk=False).ratio()


def _pairs(old: list[Any], new: list[Any]) -> list[tuple[int | None, int | None]]:
    """Align two runs of differing items: the most similar pair first, then either side of it.

    Items without a similar enough partner are removed (old index, None) or added (None, new).
    """
    best, best_ratio = None, 0.0
    for j, after in enumerate(new):
        for i, before in enumerate(old):
            ratio = _similarity(before, after)
            if ratio >= SIMILAR and ratio > best_ratio:
                best, best_ratio = (i, j), ratio
    if best is None:
        return [(i, None) for i in range(len(old))] + [(None, j) for j in range(len(new))]
    i, j = best
    right = [
        (None if x is None else x + i + 1, None if y is None else y + j + 1)
        for x, y in _pairs(old[i + 1 :], new[j + 1 :])
    ]
    return [*_pairs(old[:i], new[:j]), (i, j), *right]


def _list_changes(old: list[Any], new: list[Any], path: str) -> list[FieldChange]:
    found: list[FieldChange] = []
    texts = [_text(v) for v in old], [_text(v) for v in new]
    matcher = SequenceMatcher(None, *texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i, j in _pairs(old[i1:i2], new[j1:j2]):
            if i is not None and j is not None:
                found += field_changes(old[i1 + i], new[j1 + j], f"{path}[{j1 + j}]")
            elif i is not None:
                found.append(FieldChange(f"{path}[{i1 + i}]", _text(old[i1 + i]), None, "removed"))
            elif j is not None:
                found.append(FieldChange(f"{path}[{j1 + j}]", None, _text(new[j1 + j]), "added"))
    return found


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Differences between two values read from YAML or a model dump, by dotted path.

    Mappings are compared key by key (in sorted order), lists as sequences of items, and
    scalars as text. A key, list item, or mapping or list in place of None that appears or
    disappears is one ``added`` or ``removed`` change, shown in YAML flow style.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                found.append(FieldChange(where, _text(old[key]), None, "removed"))
            elif key not in old:
                found.append(FieldChange(where, None, _text(new[key]), "added"))
            else:
                found += field_changes(old[key], new[key], where)
        return found
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(old, new, path)
    if old is None and isinstance(new, dict | list):
        return [FieldChange(path, None, _text(new), "added")]
    if new is None and isinstance(old, dict | list):
        return [FieldChange(path, _text(old), None, "removed")]
    if _text(old) == _text(new):
        return []
    return [FieldChange(path, _text(old), _text(new))]


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
            fields = field_changes(
                old[key].model_dump(mode="json", exclude=exclude),
                new[key].model_dump(mode="json", exclude=exclude),
            )
            if fields:
                changes.append(ItemChange(key, "changed", getattr(new[key], title), fields))
    return changes


def _change(where: str, before: set[str], after: set[str]) -> OptionChange | None:
    if before == after:
        return None
    return OptionChange(where, sorted(after - before), sorted(before - after))


def _space_changes(before: CoverageResult, after: CoverageResult) -> list[OptionChange]:
    found = []
    for a, b in zip(before.outcomes, after.outcomes, strict=True):
        change = _change(
            ", ".join(f"{k}={v}" for k, v in before.space.classes[a.index].coordinates.items()),
            set(a.answers),
            set(b.answers),
        )
        if change:
            found.append(change)
    return found


def diff_packs(
    old: RulePack,
    new: RulePack,
    teaching: list[LoadedProfile],
    workers: int | None = None,
) -> PackDiff:
    """Compare two packs (two folders, or one folder at two dates). Between two dates the
    profiles compared are a seeded sample (``dated_space``): the derived space of a late pack
    is too large to evaluate twice in a workshop."""
    old_cards = {k: r.card for k, r in old.rules.items()}
    new_cards = {k: r.card for k, r in new.rules.items()}
    teaching_changes = []
    old_evaluator, new_evaluator = Evaluator(old), Evaluator(new)
    for item in teaching:
        change = _change(
            item.source,
            set(shown_options(old_evaluator.evaluate(item.profile).options)),
            set(shown_options(new_evaluator.evaluate(item.profile).options)),
        )
        if change:
            teaching_changes.append(change)
    # One space for both sides, told apart by the conditions of either pack: a threshold moved
    # from 24 to 18 months is probed at 17-19 and at 23-25.
    sampled = old.date != new.date
    space = dated_space(old, new) if sampled else derive_space(new, old)
    before = evaluate_space(old, workers, space)
    after = evaluate_space(new, workers, space)
    return PackDiff(
        old=old,
        new=new,
        manifest=field_changes(
            old.manifest.model_dump(mode="json"), new.manifest.model_dump(mode="json")
        ),
        rules=_items(old_cards, new_cards, "title", set()),
        evidence=_items(old.evidence.entries, new.evidence.entries, "short_name", set()),
        teaching=teaching_changes,
        teaching_total=len(teaching),
        space=_space_changes(before, after),
        space_total=len(space),
        sampled=sampled,
    )


# Profiles compared by a diff between two dates.
DATED_DIFF_SAMPLE = 3000


def dated_space(old: RulePack, new: RulePack) -> ProfileSpace:
    """A seeded sample for a diff between two dates: the later pack's patient classes with the
    history classes of the review's space and of every rule's examples."""
    later = max(old, new, key=lambda pack: pack.date)
    review = pack_at(later, later.evidence_date)
    histories = [
        *derive_space(review).parts[1],
        *(
            tuple(example.profile.endocrine_history)
            for rule in later.every_rule.values()
            for example in rule.examples
        ),
    ]
    return sample_space(later, histories, DATED_DIFF_SAMPLE)

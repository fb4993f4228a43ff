"""``rules diff``: lists of conditions, cautions and evidence ids are compared as sequences."""

from __future__ import annotations

from typing import Any

from endodecide.render.diff import field_line
from endodecide.workshop.diff import field_changes

WHEN = [
    "hormone_receptor is positive",
    "menopausal_status is post",
    "line.setting is metastatic",
    "line.months is at least 6",
    "line.ended is progression",
]
GROUP = {
    "any of": [
        {"all of": ["line.setting is metastatic", "line.months is at least 6"]},
        {"all of": ["line.setting is adjuvant", "line.months is at least 24"]},
    ]
}


def _lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [field_line(change) for change in field_changes(old, new)]


def test_inserted_condition_is_one_added_line() -> None:
    """Inserting a condition shows that condition as added and nothing after it as changed."""
    new = [*WHEN[:2], "her2 is negative", *WHEN[2:]]
    assert _lines({"when": WHEN}, {"when": new}) == ["+ when[2]: 'her2 is negative'"]


def test_removed_condition_is_one_removed_line() -> None:
    """Removing a condition shows it as removed, at its old position, and nothing else."""
    new = [*WHEN[:1], *WHEN[2:]]
    assert _lines({"when": WHEN}, {"when": new}) == ["- when[1]: 'menopausal_status is post'"]


def test_edited_condition_is_one_change() -> None:
    """Editing a condition in place is one change from the old text to the new."""
    new = [*WHEN[:3], "line.months is at least 15", *WHEN[4:]]
    assert _lines({"when": WHEN}, {"when": new}) == [
        "~ when[3]: 'line.months is at least 6' -> 'line.months is at least 15'"
    ]


def test_edit_inside_a_group_is_one_change_at_its_path() -> None:
    """A threshold edited inside nested groups is one change at the nested condition's path."""
    new = {"any of": [{"all of": ["line.setting is metastatic", "line.months is at least 15"]}]}
    new["any of"].append(GROUP["any of"][1])
    assert _lines({"when": [WHEN[0], GROUP]}, {"when": [WHEN[0], new]}) == [
        "~ when[1].any of[0].all of[1]: 'line.months is at least 6' -> 'line.months is at least 15'"
    ]


def test_insertion_and_edit_together() -> None:
    """An insertion and a later edit are one added and one changed line, at their new positions."""
    new = ["her2 is negative", *WHEN[:3], "line.months is at least 15", WHEN[4]]
    assert _lines({"when": WHEN}, {"when": new}) == [
        "+ when[0]: 'her2 is negative'",
        "~ when[4]: 'line.months is at least 6' -> 'line.months is at least 15'",
    ]


def test_unrelated_replacement_is_removed_and_added() -> None:
    """A condition replaced by a dissimilar one, or by a group, is shown as removed and added."""
    new = [WHEN[0], GROUP, *WHEN[2:]]
    assert _lines({"when": WHEN}, {"when": new}) == [
        "- when[1]: 'menopausal_status is post'",
        "+ when[1]: '{any of: [{all of: [line.setting is metastatic, line.months is at least 6]}, "
        "{all of: [line.setting is adjuvant, line.months is at least 24]}]}'",
    ]


def test_cautions_and_evidence_ids_are_sequences() -> None:
    """Evidence ids and cautions gain and lose items as single lines, in sorted field order."""
    old = {
        "evidence": ["bolero-2-pfs", "bolero-2-os"],
        "then": {"option": {"cautions": ["Mouth ulcers.", "Pneumonitis."]}},
    }
    new = {
        "evidence": ["abc2-2014", "bolero-2-pfs", "bolero-2-os"],
        "then": {"option": {"cautions": ["Pneumonitis."]}},
    }
    assert _lines(old, new) == [
        "+ evidence[0]: 'abc2-2014'",
        "- then.option.cautions[0]: 'Mouth ulcers.'",
    ]


def test_scalar_fields_keep_their_format() -> None:
    """A changed scalar field is one line from old to new text, as before."""
    old = {"title": "Old title", "review": {"reviewer_role": None}, "when": WHEN}
    new = {"title": "New title", "review": {"reviewer_role": "oncologist"}, "when": WHEN}
    assert _lines(old, new) == [
        "~ review.reviewer_role: 'None' -> 'oncologist'",
        "~ title: 'Old title' -> 'New title'",
    ]

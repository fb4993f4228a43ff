"""``rules diff`` in the terminal: what changed, and what it does to the answers."""

from __future__ import annotations

from endodecide.disclaimer import DISCLAIMER, disclaimer_at
from endodecide.render.text import wrap
from endodecide.rulepack import RulePack
from endodecide.rulepack.timeline import history
from endodecide.workshop.diff import FieldChange, ItemChange, OptionChange, PackDiff

__all__ = ["EXAMPLES_SHOWN", "field_line", "render_diff"]

EXAMPLES_SHOWN = 20
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def field_line(change: FieldChange) -> str:
    """``~ path: 'old' -> 'new'``, ``+ path: 'new'`` or ``- path: 'old'``."""
    if change.kind == "added":
        return f"+ {change.path}: {change.new!r}"
    if change.kind == "removed":
        return f"- {change.path}: {change.old!r}"
    return f"~ {change.path}: {change.old!r} -> {change.new!r}"


def _items(title: str, items: list[ItemChange]) -> list[str]:
    counts = {k: sum(i.kind == k for i in items) for k in ("changed", "added", "removed")}
    lines = [f"{title}: " + ", ".join(f"{n} {k}" for k, n in counts.items())]
    for item in items:
        lines.append(f"  {_MARK[item.kind]} {item.id} {item.title}")
        for change in item.fields:
            lines.append(wrap(field_line(change), "          ", "      "))
    return lines


def _options(changes: list[OptionChange], limit: int | None = None) -> list[str]:
    lines = []
    for change in changes[:limit]:
        parts = [f"+ {o}" for o in change.gained] + [f"- {o}" for o in change.lost]
        lines.append(wrap(f"{change.where}: {'; '.join(parts)}", "      ", "  "))
    return lines


def _side(pack: RulePack, dated: bool) -> str:
    m = pack.manifest
    when = f", evidence as of {pack.date}" if dated else ""
    return f"{pack.root} ({m.name} {m.version}, {pack.fingerprint}{when})"


def _dated_events(diff: PackDiff) -> list[str]:
    """Every timeline event between the two dates: why the answers changed."""
    first, last = sorted((diff.old.date, diff.new.date))
    events = [
        (event.when.end, rule_id, event)
        for rule_id, rule in diff.new.every_rule.items()
        for event in history(rule.card)
        if first < event.when.end <= last
    ]
    lines = [f"Dated evidence between {first} and {last}: {len(events)} change(s)"]
    for _, rule_id, event in sorted(events, key=lambda item: (item[0], item[1])):
        what = {
            "since": "comes into force",
            "retired": "retired",
            "message": "message changes",
        }.get(event.kind, f"status {str(event.status).replace('_', ' ')}")
        why = "" if event.kind == "since" else f": {event.why}"
        lines.append(
            wrap(
                f"{event.when} {rule_id} {what}{why} [{', '.join(event.evidence)}]", "      ", "  "
            )
        )
    return lines


def render_diff(diff: PackDiff) -> str:
    dated = diff.old.as_of != "" or diff.new.as_of != ""
    disclaimer = disclaimer_at(diff.new.as_of or diff.old.as_of or None) if dated else DISCLAIMER
    lines = [
        wrap(disclaimer),
        "",
        f"Rule pack diff: {_side(diff.old, dated)} -> {_side(diff.new, dated)}",
        "",
    ]
    if diff.old.date != diff.new.date:
        lines += [*_dated_events(diff), ""]
    if diff.manifest:
        lines.append("pack.yaml:")
        lines += [wrap(field_line(c), "      ", "  ") for c in diff.manifest]
    lines += _items("Rules", diff.rules)
    lines += _items("Evidence catalogue", diff.evidence)
    lines += [
        "",
        f"Teaching profiles whose options change: {len(diff.teaching)} of {diff.teaching_total}",
        *_options(diff.teaching),
        "",
        (
            f"Sampled profiles (a seeded sample of the later date's profile classes) whose "
            f"options change: {len(diff.space):,} of {diff.space_total:,}"
            if diff.sampled
            else f"Enumerated profiles whose options change: {len(diff.space):,} of "
            f"{diff.space_total:,}"
        ),
        *_options(diff.space, EXAMPLES_SHOWN),
    ]
    if len(diff.space) > EXAMPLES_SHOWN:
        lines.append(f"  ... and {len(diff.space) - EXAMPLES_SHOWN:,} more")
    lines += ["", wrap(disclaimer)]
    return "\n".join(lines) + "\n"

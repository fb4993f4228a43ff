"""The evidence catalogue in the terminal: ``endodecide evidence list`` and ``evidence show``."""

from __future__ import annotations

from endodecide.evidence import EvidenceEntry
from endodecide.render.text import table, wrap
from endodecide.rulepack import RulePack

__all__ = ["cited_by", "render_entry", "render_evidence_list"]

_MET = {
    "yes": "yes",
    "no": "no",
    "mixed": "in part (see notes)",
    "not_formally_tested": "not formally tested",
    "not_applicable": "not applicable",
}


def cited_by(pack: RulePack, entry_id: str) -> list[tuple[str, str]]:
    """(rule or direction id, how) for everything citing the entry: "for" or "against" an
    option, "timeline" (a dated change of the rule), "direction" (a scored future direction);
    rules in rule order (every rule, in force on the pack's date or not), then directions."""
    found = []
    for rule in pack.every_rule.values():
        if entry_id in rule.card.evidence:
            found.append((rule.id, "for"))
        if entry_id in rule.card.contrary_evidence:
            found.append((rule.id, "against"))
        if any(entry_id in change.evidence for change in rule.card.timeline):
            found.append((rule.id, "timeline"))
    for direction in pack.manifest.directions:
        if entry_id in direction.evidence:
            found.append((direction.id, "direction"))
    return found


def render_evidence_list(pack: RulePack) -> str:
    rows = []
    for entry in pack.evidence.entries.values():
        identifier = f"PMID {entry.pmid}" if entry.pmid else f"doi:{entry.doi}"
        year = f"{entry.year}{'*' if pack.after_evidence_date(entry) else ''}"
        rows.append([entry.id, year, entry.kind, identifier, entry.short_name])
    lines = table(["ID", "YEAR", "KIND", "IDENTIFIER", "SHORT NAME"], rows, width=None)
    lines.append(f"\n* published after the pack's evidence date ({pack.manifest.evidence_as_of}).")
    return "\n".join(lines) + "\n"


def render_entry(pack: RulePack, entry: EvidenceEntry) -> str:
    later = " - published after the pack's evidence date" if pack.after_evidence_date(entry) else ""
    lines = [
        f"{entry.id} - {entry.short_name}",
        f"  {entry.kind.replace('_', ' ')}, {entry.year}"
        + (f" (published {entry.published})" if entry.published else "")
        + later,
        "",
        wrap(entry.citation, "  "),
        f"  {entry.identifiers}",
        f"  {entry.url}",
        "",
        wrap(f"Design: {entry.design}" + (f" (N={entry.n})" if entry.n else ""), "    ", "  "),
        wrap(f"Population: {entry.population}", "    ", "  "),
    ]
    if entry.arms:
        lines.append(wrap(f"Arms: {entry.arms}", "    ", "  "))
    if entry.primary_endpoint:
        lines.append(wrap(f"Primary endpoint: {entry.primary_endpoint}", "    ", "  "))
    lines.append(wrap(f"Result: {entry.result}", "    ", "  "))
    lines.append(f"  Primary endpoint met: {_MET[entry.primary_endpoint_met]}")
    if entry.notes:
        lines.append(wrap(f"Notes: {entry.notes}", "    ", "  "))
    citing = cited_by(pack, entry.id)
    lines += ["", "  Cited by:"]
    directions = {d.id: d.title for d in pack.manifest.directions}
    for rule_id, stance in citing:
        if stance == "direction":
            lines.append(wrap(f"direction {rule_id}: {directions[rule_id]}", "      ", "    - "))
            continue
        title = pack.every_rule[rule_id].card.title
        suffix = {
            "against": " (as evidence against the option)",
            "timeline": " (a dated change of the rule)",
        }.get(stance, "")
        lines.append(wrap(f"{rule_id} {title}{suffix}", "      ", "    - "))
    return "\n".join(lines) + "\n"

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
    """(rule id, "for" or "against") for every rule citing the entry, in rule order."""
    found = []
    for rule in pack.rules.values():
        if entry_id in rule.card.evidence:
            found.append((rule.id, "for"))
        if entry_id in rule.card.contrary_evidence:
            found.append((rule.id, "against"))
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
        f"  {entry.kind.replace('_', ' ')}, {entry.year}{later}",
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
    for rule_id, stance in citing:
        title = pack.rules[rule_id].card.title
        suffix = " (as evidence against the option)" if stance == "against" else ""
        lines.append(wrap(f"{rule_id} {title}{suffix}", "      ", "    - "))
    return "\n".join(lines) + "\n"

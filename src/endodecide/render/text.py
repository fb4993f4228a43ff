"""The terminal layout of ``endodecide run``: readable on an 80-100 column terminal."""

from __future__ import annotations

import textwrap

from endodecide.disclaimer import DISCLAIMER
from endodecide.result import Citation, NearMiss, Option, PackInfo, ProfileResult

__all__ = ["render_run", "wrap"]

WIDTH = 100
_STATUS_HEADINGS = {
    "standard": "Options - standard as of the review",
    "investigational": "Options - investigational (clinical trial only)",
    "evidence_against": "Considered and not supported - evidence against",
}


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(
        " ".join(text.split()), WIDTH, initial_indent=first or indent, subsequent_indent=indent
    )


def _citation(c: Citation) -> list[str]:
    n = f", N={c.n}" if c.n else ""
    later = " Published after the pack's evidence date." if c.after_evidence_date else ""
    return [
        wrap(
            f"{c.short_name} ({c.year}) - {c.design}{n}. {c.result}{later}", "        ", "      - "
        ),
        wrap(f"{c.citation} {_ids(c)}", "        "),
    ]


def _ids(c: Citation) -> str:
    return "; ".join(
        part
        for part in (f"PMID {c.pmid}" if c.pmid else "", f"doi:{c.doi}" if c.doi else "")
        if part
    )


def _option(o: Option, explain: bool) -> list[str]:
    lines = [
        wrap(f"{o.title}  [{o.rule}, {o.strategy_title}]", "      ", "  * "),
        wrap(f"Regimen: {o.regimen}", "      ", "    "),
        wrap(f"Mechanism: {o.mechanism}", "      ", "    "),
        wrap("Matched: " + "; ".join(o.matched_conditions), "      ", "    "),
    ]
    if explain:
        for reason in o.based_on:
            lines.append(wrap(f"Because: {reason.text} [{reason.rule}]", "      ", "    "))
    for caution in o.cautions:
        lines.append(wrap(f"Caution: {caution}", "      ", "    "))
    lines.append("    Evidence:")
    for citation in o.evidence:
        lines += _citation(citation)
    if o.contrary_evidence:
        lines.append("    Evidence against:")
        for citation in o.contrary_evidence:
            lines += _citation(citation)
    return lines


def _near_miss(miss: NearMiss) -> list[str]:
    lines = [wrap(f"{miss.title}  [{miss.rule}, {miss.status}]", "      ", "  - ")]
    for failed in miss.failed:
        lines.append(
            wrap(f"not met: {failed.condition} (here: {failed.here})", "        ", "      ")
        )
    return lines


def render_profile(result: ProfileResult, explain: bool = False) -> str:
    lines = [
        "=" * WIDTH,
        wrap(f"{result.label}   ({result.source})"),
        "=" * WIDTH,
        wrap(result.summary),
    ]
    if result.teaching_note:
        lines.append(wrap(f"Teaching note: {result.teaching_note}"))
    lines += ["", "Derived facts"]
    for fact in result.derived_facts:
        lines.append(wrap(f"{fact.label}: {fact.value_label}", "      ", "  - "))
        for reason in fact.because:
            lines.append(wrap(f"because {reason.text} [{reason.rule}]", "        ", "      "))
    if result.flags:
        lines += ["", "Flags"]
        for flag in result.flags:
            label = flag.severity.replace("_", " ").upper()
            lines.append(wrap(f"{label}: {flag.message} [{flag.rule}]", "      ", "  ! "))
    for status, heading in _STATUS_HEADINGS.items():
        chosen = [o for o in result.options if o.status == status]
        if chosen:
            lines += ["", heading]
            for option in chosen:
                lines += _option(option, explain)
    if not result.options:
        lines += [
            "",
            "Options",
            "  (none: see the flags above)"
            if result.flags
            else "  (no rule of this pack proposes an option for this profile)",
        ]
    if explain and result.near_misses:
        lines += ["", "Considered but not offered (all conditions held but one or two)"]
        for miss in result.near_misses:
            lines += _near_miss(miss)
    return "\n".join(lines)


def render_run(pack: PackInfo, results: list[ProfileResult], explain: bool = False) -> str:
    head = [
        wrap(DISCLAIMER),
        "",
        wrap(
            f"Rule pack: {pack.title} - {pack.name} {pack.version}, evidence as of "
            f"{pack.evidence_as_of} (fingerprint {pack.fingerprint})"
        ),
    ]
    body = [render_profile(result, explain) for result in results]
    tail = ["=" * WIDTH, wrap(DISCLAIMER)]
    return "\n".join([*head, "", *("\n\n".join(body).splitlines()), "", *tail]) + "\n"

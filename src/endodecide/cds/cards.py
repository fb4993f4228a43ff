"""CDS Hooks cards from a result: one card per option, one per flag, the disclaimer on each.

A card's uuid is derived from the hook instance and the rule, so the same request always gets
the same cards (and feedback can name the rule without the service keeping any patient data).
The indicator follows the option's status or the flag's severity; the deciding trial is the
card's ``source``; every other citation, the reasons and the cautions are in ``detail``
(Markdown). Override reasons are the workshop's coded reasons, so a classroom's overrides and a
panel's objections are counted alike.
"""

from __future__ import annotations

import uuid
from typing import Any

from endodecide.disclaimer import DISCLAIMER
from endodecide.result import Citation, Flag, Option, ProfileResult
from endodecide.workshop.panel import REASON_SYSTEM, REASONS

__all__ = ["SUMMARY_LIMIT", "card_uuid", "cards_for", "refusal_card"]

SUMMARY_LIMIT = 140  # CDS Hooks: a summary is under 140 characters
_CARD_NAMESPACE = uuid.UUID("6f1c2a52-3c4e-5f7a-9b1d-2e8f0c6a4d11")
_OPTION_INDICATOR = {
    "standard": "info",
    "investigational": "info",
    "deferred": "warning",
    "evidence_against": "warning",
}
_FLAG_INDICATOR = {"out_of_scope": "critical", "warning": "warning", "info": "info"}
_STATUS_WORDS = {
    "standard": "Standard option",
    "investigational": "Trial-only option",
    "deferred": "Deferred option",
    "evidence_against": "Evidence against",
}
_SOURCE_LABEL = "endodecide (educational prototype)"


def card_uuid(hook_instance: str, key: str) -> str:
    return str(uuid.uuid5(_CARD_NAMESPACE, f"{hook_instance}/{key}"))


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2].rstrip() + "…"


def _md(text: str) -> str:
    """Rule text as inert Markdown (it is ours, but a reader's Markdown must not reinterpret)."""
    out = text
    for char in "\\`*_[]<>|#":
        out = out.replace(char, "\\" + char)
    return out


def _citation_line(c: Citation) -> str:
    later = " (published after the evidence date)" if c.after_evidence_date else ""
    return f"- [{_md(c.short_name)} ({c.year})]({c.url}){later}: {_md(c.result)}"


def _source(citations: list[Citation]) -> dict[str, Any]:
    if not citations:
        return {"label": _SOURCE_LABEL}
    first = citations[0]
    return {"label": f"{first.short_name} ({first.year})", "url": first.url}


def _override_reasons() -> list[dict[str, str]]:
    return [
        {"system": REASON_SYSTEM, "code": code, "display": display}
        for code, display in REASONS.items()
    ]


def _option_card(option: Option, hook_instance: str, report_url: str) -> dict[str, Any]:
    lines = [
        f"**{_md(option.regimen)}** ({_md(option.strategy_title)}; rule {option.rule})",
        "",
        f"Status: {option.status.replace('_', ' ')}"
        + (
            f" (the rule's own status {option.status_before_adjustment.replace('_', ' ')}, "
            f"held back by {', '.join(option.adjusted_by)})"
            if option.status_before_adjustment
            else ""
        ),
        "",
        "Why it is offered (every condition held):",
        *[f"- {_md(c)}" for c in option.matched_conditions],
    ]
    if option.cautions:
        lines += ["", "Cautions:", *[f"- {_md(c)}" for c in option.cautions]]
    lines += ["", "Evidence:", *[_citation_line(c) for c in option.evidence]]
    if option.contrary_evidence:
        lines += ["", "Evidence against:", *[_citation_line(c) for c in option.contrary_evidence]]
    lines += ["", f"_{DISCLAIMER}_"]
    return {
        "uuid": card_uuid(hook_instance, option.rule),
        "summary": _summary(f"{_STATUS_WORDS[option.status]}: {option.title}"),
        "indicator": _OPTION_INDICATOR[option.status],
        "detail": "\n".join(lines),
        "source": _source(option.evidence),
        "overrideReasons": _override_reasons(),
        "links": [{"label": "Full report (educational)", "url": report_url, "type": "absolute"}],
    }


def _flag_card(flag: Flag, hook_instance: str, report_url: str) -> dict[str, Any]:
    lines = [
        _md(flag.message),
        "",
        f"(rule {flag.rule})",
        *(["", "Sources:", *[_citation_line(c) for c in flag.evidence]] if flag.evidence else []),
        "",
        f"_{DISCLAIMER}_",
    ]
    return {
        "uuid": card_uuid(hook_instance, flag.rule),
        "summary": _summary(f"{flag.severity.replace('_', ' ').capitalize()}: {flag.title}"),
        "indicator": _FLAG_INDICATOR[flag.severity],
        "detail": "\n".join(lines),
        "source": _source(flag.evidence),
        "links": [{"label": "Full report (educational)", "url": report_url, "type": "absolute"}],
    }


def cards_for(
    result: ProfileResult, hook_instance: str, report_url: str
) -> list[tuple[str, dict[str, Any]]]:
    """Each card with the rule it comes from: flags first (read them first), then the options
    in the result's order; a card saying so when the rules have nothing to say."""
    cards = [(f.rule, _flag_card(f, hook_instance, report_url)) for f in result.flags]
    cards += [(o.rule, _option_card(o, hook_instance, report_url)) for o in result.options]
    if not cards:
        cards.append(
            (
                "-",
                {
                    "uuid": card_uuid(hook_instance, "no-option"),
                    "summary": "No option of this rule pack applies to this hypothetical patient",
                    "indicator": "info",
                    "detail": "The rules found no evidence-backed option and no flag: the "
                    "review is silent here, which is not the same as saying nothing is "
                    f"indicated. See the full report for what came close.\n\n_{DISCLAIMER}_",
                    "source": {"label": _SOURCE_LABEL},
                    "links": [
                        {
                            "label": "Full report (educational)",
                            "url": report_url,
                            "type": "absolute",
                        }
                    ],
                },
            )
        )
    return cards


def refusal_card(hook_instance: str, why: str) -> dict[str, Any]:
    """The one card for a request the service will not evaluate (a real patient, say)."""
    return {
        "uuid": card_uuid(hook_instance, "refused"),
        "summary": "endodecide did not evaluate this patient: test data only",
        "indicator": "critical",
        "detail": f"{_md(why)}\n\n_{DISCLAIMER}_",
        "source": {"label": _SOURCE_LABEL},
    }

"""A rule as a card in the terminal (``endodecide rules show ID``), like ``ruff rule CODE``."""

from __future__ import annotations

from endodecide.render.text import table, wrap
from endodecide.rulepack import Rule, RulePack
from endodecide.rulepack.conditions import plain_words

__all__ = ["render_card", "render_rule_list"]


def render_rule_list(pack: RulePack) -> str:
    """Every rule in force on the pack's date (``--as-of`` shows another date)."""
    rows = []
    for rule in pack.rules.values():
        option = rule.card.then.option
        status = (
            option.status
            if option
            else (rule.card.then.flag.severity if rule.card.then.flag else "-")
        )
        rows.append([rule.id, rule.kind, rule.card.strategy, status, rule.card.title])
    return "\n".join(table(["ID", "KIND", "STRATEGY", "STATUS", "TITLE"], rows, width=None)) + "\n"


def render_card(pack: RulePack, rule: Rule) -> str:
    card = rule.card
    lines = [
        f"{card.id} {card.slug} - {card.title}",
        f"  file: {rule.source}:{rule.line}",
        f"  strategy: {pack.strategy(card.strategy).title}",
        "",
        wrap(card.statement, "  "),
        "",
        "  When:",
    ]
    lines += [wrap(plain_words(item), "      ", "    - ") for item in rule.when]
    then = card.then
    lines += ["", "  Then:"]
    if then.derive:
        lines.append(f"    derive {then.derive.fact} = {then.derive.value}")
    if then.option:
        lines += [wrap(f"option ({then.option.status}): {then.option.regimen}", "      ", "    ")]
        lines += [wrap(f"caution: {c}", "      ", "    ") for c in then.option.cautions]
    if then.flag:
        lines.append(wrap(f"flag ({then.flag.severity}): {then.flag.message}", "      ", "    "))
    for heading, refs in (
        ("Evidence", card.evidence),
        ("Evidence against", card.contrary_evidence),
    ):
        if refs:
            lines += ["", f"  {heading}:"]
        for ref in refs:
            entry = pack.evidence.entries[ref]
            lines.append(
                wrap(
                    f"{entry.short_name} ({entry.identifiers}): {entry.result}", "      ", "    - "
                )
            )
    if card.since or card.timeline:
        lines += ["", "  Timeline (after the review's evidence date):"]
        if card.since:
            lines.append(wrap(f"{card.since}: comes into force", "      ", "    - "))
        for change in card.timeline:
            what = (
                "retired"
                + (f", replaced by {', '.join(change.replaced_by)}" if change.replaced_by else "")
                if change.retired
                else f"status {change.status}"
                if change.status
                else "message changes"
            )
            lines.append(
                wrap(
                    f"{change.date}: {what} - {change.why} [{', '.join(change.evidence)}]",
                    "      ",
                    "    - ",
                )
            )
    if card.known_limits:
        lines += ["", "  Known limits:"] + [wrap(x, "      ", "    - ") for x in card.known_limits]
    lines += ["", "  Examples:"]
    for example in rule.examples:
        verdict = "fires on" if example.fires else "does not fire on"
        lines.append(f"    - {verdict}: {example.profile.label}")
    review = card.review
    lines += [
        "",
        wrap(_review_line(rule), "      ", "  "),
        f'  To sign off, record in review:  content_hash: "{rule.content_hash}"',
    ]
    lines += [wrap(comment, "      ", "    - ") for comment in review.comments]
    return "\n".join(lines) + "\n"


def _review_line(rule: Rule) -> str:
    """``Review: reviewed by workshop panel on 2026-11-27 (session ..., round 2: ...)``."""
    review = rule.card.review
    line = f"Review: {rule.review_state}"
    if review.reviewer_role:
        line += f" by {review.reviewer_role} on {review.date}"
    if review.workshop is not None:
        line += f" ({review.workshop.summary})"
    return line

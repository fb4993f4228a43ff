"""The evidence timeline in words: a rule's or strategy's history (``endodecide timeline``), the
review's future directions scored (``endodecide directions``), and "then and now" in reports.

Python shapes the rows; the templates (``timeline``, ``directions``, and the report's "then and
now" section) hold the layout. The HTML pages of ``timeline`` and ``directions`` open with a
picture of the statuses over the years (``render.evidence_svg``); the Markdown pages do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from endodecide.dates import PartialDate
from endodecide.disclaimer import disclaimer_at
from endodecide.evidence import EvidenceEntry
from endodecide.render.environment import Format, template_environment
from endodecide.render.evidence_svg import direction_band, evidence_picture, timeline_bands
from endodecide.result import Option, PackInfo, ProfileResult
from endodecide.rulepack import RulePack
from endodecide.rulepack.timeline import DatedChange, history

__all__ = [
    "CompareRow",
    "TimelineEvent",
    "render_directions",
    "render_timeline",
    "then_and_now",
    "timeline_events",
]

VERDICTS = {
    "became_standard": "became standard",
    "standard_in_a_subgroup": "standard in a biomarker-defined subgroup",
    "negative": "negative: the confirmatory trial failed",
    "not_taken_further": "not taken further",
    "still_investigational": "still investigational",
}


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event with what a reader needs: the rule, what happened, why, the trials."""

    when: str
    rule: str
    title: str
    strategy: str
    what: str
    why: str
    evidence: list[EvidenceEntry]


def _what(event: DatedChange) -> str:
    if event.kind == "since":
        return "comes into force"
    if event.kind == "retired":
        replaced = f", replaced by {', '.join(event.replaced_by)}" if event.replaced_by else ""
        return f"retired{replaced}"
    if event.kind == "message":
        return "message changes"
    return f"status becomes {str(event.status).replace('_', ' ')}"


def _review_state(pack: RulePack, rule_id: str) -> TimelineEvent | None:
    """What the rule said at the review's date, as the first row of its history."""
    card = pack.every_rule[rule_id].card
    if card.since:
        return None
    option = card.then.option
    what = f"status {option.status.replace('_', ' ')}" if option else "in force"
    return TimelineEvent(
        str(pack.evidence_date),
        rule_id,
        card.title,
        card.strategy,
        what,
        "As the review stated the evidence.",
        [pack.evidence.entries[ref] for ref in card.evidence],
    )


def timeline_events(pack: RulePack, target: str | None) -> list[TimelineEvent]:
    """Every event of one rule (with its state at the review's date), of one strategy's rules,
    or of the whole pack (``target`` None), oldest first; ties in rule order."""
    rules = pack.every_rule
    if target is None:
        chosen = list(rules)
    elif target.upper() in rules:
        chosen = [target.upper()]
    else:
        chosen = [rule_id for rule_id, rule in rules.items() if rule.card.strategy == target]
    events: list[TimelineEvent] = []
    for rule_id in chosen:
        card = rules[rule_id].card
        if target is not None and target.upper() == rule_id:
            start = _review_state(pack, rule_id)
            events += [start] if start else []
        for event in history(card):
            why = card.statement if event.kind == "since" else event.why
            events.append(
                TimelineEvent(
                    str(event.when),
                    rule_id,
                    card.title,
                    card.strategy,
                    _what(event),
                    why,
                    [pack.evidence.entries[ref] for ref in event.evidence],
                )
            )
    return sorted(events, key=lambda e: (_sort_day(e.when), e.rule))


def _sort_day(text: str) -> date:
    return PartialDate.parse(text).end


def render_timeline(
    pack: RulePack, info: PackInfo, target: str | None, title: str, fmt: Format | str
) -> str:
    events = timeline_events(pack, target)
    picture = None
    if fmt == "html":
        picture = evidence_picture(
            timeline_bands(pack, target),
            pack.evidence_date,
            pack.latest_date,
            key="timeline-picture",
            title=f"{title}: statuses over the years",
            rows="One band per strategy, a row per option rule in it.",
        )
    return _page(
        "timeline",
        fmt,
        pack,
        info,
        title=title,
        events=events,
        years=_years(events),
        picture=picture,
    )


def _page(name: str, fmt: Format | str, pack: RulePack, info: PackInfo, **values: object) -> str:
    """A timeline page: it spans the review's date to the latest, and says so."""
    latest = str(pack.latest_date)
    return (
        template_environment(fmt)
        .get_template(f"{name}.{fmt}.j2")
        .render(
            disclaimer=disclaimer_at(latest),
            pack=info,
            review_date=str(pack.evidence_date),
            latest=latest,
            **values,
        )
    )


def _years(events: list[TimelineEvent]) -> list[tuple[int, list[TimelineEvent]]]:
    years: dict[int, list[TimelineEvent]] = {}
    for event in events:
        years.setdefault(int(event.when[:4]), []).append(event)
    return sorted(years.items())


def render_directions(pack: RulePack, info: PackInfo, fmt: Format | str) -> str:
    rows = [
        {
            "direction": d,
            "strategy": pack.strategy(d.strategy).title,
            "verdict": VERDICTS[d.verdict],
            "evidence": [pack.evidence.entries[ref] for ref in d.evidence],
        }
        for d in pack.manifest.directions
    ]
    picture = None
    if fmt == "html":
        bands = [
            direction_band(pack, d, f"{d.title}: {VERDICTS[d.verdict]}")
            for d in pack.manifest.directions
        ]
        picture = evidence_picture(
            bands,
            pack.evidence_date,
            pack.latest_date,
            key="directions-picture",
            title="The review's future directions: the statuses of their rules over the years",
            rows="One band per direction, a row per option rule that carries it.",
        )
    return _page(
        "directions",
        fmt,
        pack,
        info,
        rows=rows,
        source_review=pack.manifest.source_review,
        picture=picture,
    )


@dataclass(frozen=True)
class CompareRow:
    """One option as it stood at the earlier date and at the later one, and what changed."""

    rule: str
    title: str
    then: str
    now: str
    changes: list[TimelineEvent]


def _statuses(result: ProfileResult) -> dict[str, Option]:
    return {option.rule: option for option in result.options}


def then_and_now(
    pack: RulePack, then: ProfileResult, now: ProfileResult, since: date, until: date
) -> list[CompareRow]:
    """Per option rule shown at either date: its status then and now, and every event of the
    rule between the two dates (the trials that caused the difference)."""
    before, after = _statuses(then), _statuses(now)
    rows = []
    for rule_id in sorted(set(before) | set(after)):
        old, new = before.get(rule_id), after.get(rule_id)
        card = pack.every_rule[rule_id].card
        changes = [
            TimelineEvent(
                str(event.when),
                rule_id,
                card.title,
                card.strategy,
                _what(event),
                card.statement if event.kind == "since" else event.why,
                [pack.evidence.entries[ref] for ref in event.evidence],
            )
            for event in history(card)
            if since < event.when.end <= until
        ]
        then_text = old.status.replace("_", " ") if old else "not offered"
        now_text = new.status.replace("_", " ") if new else "not offered"
        rows.append(CompareRow(rule_id, card.title, then_text, now_text, changes))
    return rows

"""The CDS Hooks service's records: the cards it issued (rule, summary, indicator; never the
patient) and the feedback users sent on them, for a classroom to export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from endodecide.web.db import FeedbackRow, IssuedCardRow, utcnow

__all__ = ["FEEDBACK_COLUMNS", "CardLog", "FeedbackItem", "feedback_csv"]

FEEDBACK_COLUMNS = (
    "received",
    "service",
    "card",
    "rule",
    "summary",
    "indicator",
    "outcome",
    "reason_code",
    "reason_display",
    "reason_system",
    "user_comment",
    "outcome_timestamp",
)


@dataclass(frozen=True)
class FeedbackItem:
    card: str
    outcome: str
    reason_system: str | None
    reason_code: str | None
    reason_display: str | None
    user_comment: str
    outcome_timestamp: str


class CardLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def issued(self, service_id: str, cards: list[tuple[str, str, str, str]]) -> None:
        """Record cards (uuid, rule, summary, indicator); a card issued again is kept once."""
        if not cards:
            return
        dialect_insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert
        rows = [
            {
                "uuid": uuid,
                "service_id": service_id,
                "rule_id": rule,
                "summary": summary,
                "indicator": indicator,
                "issued": utcnow(),
            }
            for uuid, rule, summary, indicator in cards
        ]
        with self.engine.begin() as db:
            db.execute(dialect_insert(IssuedCardRow).on_conflict_do_nothing(), rows)

    def unknown_cards(self, service_id: str, uuids: list[str]) -> list[str]:
        with self.engine.connect() as db:
            known = set(
                db.scalars(
                    select(IssuedCardRow.uuid).where(
                        IssuedCardRow.service_id == service_id, IssuedCardRow.uuid.in_(uuids)
                    )
                )
            )
        return [u for u in uuids if u not in known]

    def feedback(self, service_id: str, items: list[FeedbackItem]) -> None:
        with self.engine.begin() as db:
            db.execute(
                insert(FeedbackRow),
                [
                    {
                        "service_id": service_id,
                        "card_uuid": item.card,
                        "outcome": item.outcome,
                        "reason_system": item.reason_system,
                        "reason_code": item.reason_code,
                        "reason_display": item.reason_display,
                        "user_comment": item.user_comment,
                        "outcome_timestamp": item.outcome_timestamp,
                        "received": utcnow(),
                    }
                    for item in items
                ],
            )

    def export(self, service_id: str | None = None) -> list[dict[str, Any]]:
        """Every feedback item with the card it was about, oldest first."""
        query = (
            select(FeedbackRow, IssuedCardRow)
            .join(IssuedCardRow, IssuedCardRow.uuid == FeedbackRow.card_uuid)
            .order_by(FeedbackRow.id)
        )
        if service_id is not None:
            query = query.where(FeedbackRow.service_id == service_id)
        with Session(self.engine) as db:
            rows = db.execute(query).tuples().all()
        return [
            {
                "received": f.received.isoformat(),
                "service": f.service_id,
                "card": f.card_uuid,
                "rule": c.rule_id,
                "summary": c.summary,
                "indicator": c.indicator,
                "outcome": f.outcome,
                "reason_code": f.reason_code or "",
                "reason_display": f.reason_display or "",
                "reason_system": f.reason_system or "",
                "user_comment": f.user_comment,
                "outcome_timestamp": f.outcome_timestamp,
            }
            for f, c in rows
        ]


def feedback_csv(rows: list[dict[str, Any]], disclaimer: str) -> str:
    out = io.StringIO()
    out.write(f"# {disclaimer}\n")
    writer = csv.DictWriter(out, fieldnames=FEEDBACK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

"""What the command line reads from a server's database: a session's minutes (``workshop
minutes``) and the CDS Hooks card feedback (``feedback``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from endodecide.disclaimer import DISCLAIMER
from endodecide.render.minutes import RuleInfo, write_minutes
from endodecide.rulepack import RulePack, pack_at
from endodecide.web.cds_store import CardLog, feedback_csv
from endodecide.web.db import make_engine, migrate
from endodecide.web.store import Store
from endodecide.workshop.panel import SessionRecord

__all__ = ["MinutesError", "feedback_export", "rule_infos", "write_session_minutes"]


class MinutesError(Exception):
    """The database or session asked for does not exist (said in one sentence)."""


def rule_infos(pack: RulePack, record: SessionRecord) -> dict[str, RuleInfo]:
    rules = pack.every_rule
    return {
        r: RuleInfo(rules[r].card.title, rules[r].source, rules[r].content_hash)
        for r in record.rule_ids
        if r in rules
    }


def _existing(db_url: str) -> Engine:
    """The engine of a database that exists (reading must not create an empty one)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise MinutesError(f"no workshop database at {url.database} (see --db)")
    return make_engine(db_url)


def feedback_export(db_url: str, as_json: bool) -> str:
    """The CDS Hooks card feedback stored in the database, as CSV (default) or JSON."""
    engine = _existing(db_url)
    try:
        migrate(engine)
        rows = CardLog(engine).export()
    finally:
        engine.dispose()
    if as_json:
        return json.dumps({"disclaimer": DISCLAIMER, "feedback": rows}, indent=2) + "\n"
    return feedback_csv(rows, DISCLAIMER)


def write_session_minutes(db_url: str, session_id: str, pack: RulePack, out: Path) -> list[Path]:
    engine = _existing(db_url)
    try:
        migrate(engine)
        store = Store(engine)
        record = store.record(session_id)
        if record is None:
            known = ", ".join(s.id for s in store.sessions()[:10]) or "none"
            raise MinutesError(f"no session {session_id!r} in this database (sessions: {known})")
    finally:
        engine.dispose()
    day = dt.date.fromisoformat(record.as_of)
    dated = pack if day == pack.evidence_date else pack_at(pack, day)
    from endodecide.evaluate import pack_info

    return write_minutes(record, rule_infos(dated, record), pack_info(dated).disclaimer, out)

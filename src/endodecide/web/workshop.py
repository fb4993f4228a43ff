"""The workshop's routes: create a session, join it, review and vote on rules in two rounds,
see the results (and a projector view), sign rules off into their files, take the minutes.

Who may do what is decided by two cookies per session: the facilitator's token (from the
facilitator link) and a participant's token (from joining). Both are random, stored only as
digests, and checked on every request; facilitator actions without the token are refused (403).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from endodecide.render.catalog import catalog_entries
from endodecide.render.charts_svg import vote_chart
from endodecide.render.environment import Format
from endodecide.render.minutes import render_minutes, render_proposed_edits
from endodecide.rulepack import RulePack
from endodecide.web.db import SessionRow, utcnow
from endodecide.web.forms import BallotForm, CreateForm, JoinForm, RoundForm
from endodecide.web.minutes import rule_infos
from endodecide.web.pages import page, refusal
from endodecide.web.state import ServerState
from endodecide.web.store import Conflict
from endodecide.workshop.agreement import agreement, dissent, proposed_edits, tally
from endodecide.workshop.panel import REASONS, ROLES, VOTES, Ballot, SessionRecord, SignOff
from endodecide.workshop.signoff import PanelVerdict, SignOffError, sign_off

__all__ = ["router"]

router = APIRouter()
_COOKIE = {"httponly": True, "samesite": "lax", "path": "/"}


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _session(request: Request, session_id: str) -> SessionRow:
    row = _state(request).store.session(session_id) if len(session_id) == 11 else None
    if row is None:
        raise HTTPException(404, f"there is no workshop session {session_id!r} on this server")
    return row


def _is_facilitator(request: Request, row: SessionRow) -> bool:
    token = request.cookies.get(f"ed_f_{row.id}")
    return _state(request).store.is_facilitator(row, token)


def _participant_id(request: Request, row: SessionRow) -> int | None:
    found = _state(request).store.participant(row.id, request.cookies.get(f"ed_p_{row.id}"))
    return found.id if found else None


def _member(request: Request, row: SessionRow) -> tuple[bool, int | None]:
    """Whether the caller facilitates the session, and their participant id; refuse anyone
    who is neither."""
    facilitator, participant = _is_facilitator(request, row), _participant_id(request, row)
    if not facilitator and participant is None:
        raise HTTPException(
            403, "join this session first (the start page, with the code the facilitator shows)"
        )
    return facilitator, participant


def _facilitator_only(request: Request, row: SessionRow) -> None:
    if not _is_facilitator(request, row):
        raise HTTPException(
            403, "only the facilitator can do this (open the facilitator link on this device)"
        )


def _record(request: Request, session_id: str) -> SessionRecord:
    record = _state(request).store.record(session_id)
    if record is None:
        raise HTTPException(404, f"there is no workshop session {session_id!r} on this server")
    return record


def _day(record: SessionRecord | SessionRow) -> dt.date:
    return dt.date.fromisoformat(record.as_of)


# -- start, create, join -------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def start(request: Request) -> Response:
    state = _state(request)
    pack = state.base
    latest = pack.latest_date
    return page(
        request,
        "start",
        page_title="Rule-review workshop",
        pack=pack,
        sections=[
            {
                "id": s.id,
                "title": s.title,
                "rules": [r for r in pack.every_rule.values() if r.card.strategy == s.id],
            }
            for s in pack.manifest.strategies
        ],
        profiles=sorted(state.profiles.items()),
        default_date="review" if state.default_date == pack.evidence_date else "latest",
        dates=[
            ("review", f"the review's evidence date ({pack.evidence_date})"),
            ("latest", f"the newest evidence in the pack ({latest})"),
        ],
        roles=ROLES,
    )


@router.post("/sessions")
def create(request: Request, form: Annotated[CreateForm, Form()]) -> Response:
    state = _state(request)
    day = {"review": state.base.evidence_date, "latest": state.base.latest_date}.get(form.as_of)
    if day is None:
        day = dt.date.fromisoformat(form.as_of)
    if day < state.base.evidence_date:
        return refusal(request, 422, f"as_of: {day} is before the pack's evidence date")
    pack = state.pack(day)
    chosen = list(dict.fromkeys(form.rules))
    unknown_strategies = [
        s for s in form.strategies if s not in {x.id for x in pack.manifest.strategies}
    ]
    for strategy in form.strategies:
        chosen += [
            r for r in pack.rules if pack.rules[r].card.strategy == strategy and r not in chosen
        ]
    problems = [
        f"rules: {r} is not a rule in force on {day}" for r in chosen if r not in pack.rules
    ]
    problems += [f"strategies: no strategy {s!r} in the pack" for s in unknown_strategies]
    problems += [
        f"profiles: no teaching profile {p!r}" for p in form.profiles if p not in state.profiles
    ]
    if not chosen:
        problems.append("rules: choose at least one rule or strategy to review")
    if problems:
        return refusal(request, 422, "The session was not created.", problems)
    order = list(pack.rules)
    chosen.sort(key=order.index)
    new = state.store.create_session(
        form.title,
        [(r, pack.rules[r].content_hash) for r in chosen],
        list(dict.fromkeys(form.profiles)),
        form.threshold,
        day.isoformat(),
        pack.fingerprint,
    )
    response = _see_other(f"/s/{new.id}/facilitator")
    response.set_cookie(f"ed_f_{new.id}", new.facilitator_token, **_COOKIE)  # type: ignore[arg-type]
    return response


@router.get("/s/{session_id}/facilitate")
def facilitate(request: Request, session_id: str, key: str = "") -> Response:
    """The facilitator link: remembers the token on this device, then the console."""
    row = _session(request, session_id)
    if not _state(request).store.is_facilitator(row, key):
        raise HTTPException(403, "this facilitator link is not valid for this session")
    response = _see_other(f"/s/{row.id}/facilitator")
    response.set_cookie(f"ed_f_{row.id}", key, **_COOKIE)  # type: ignore[arg-type]
    return response


@router.get("/join", response_class=HTMLResponse)
def join_page(request: Request, code: str = "") -> Response:
    return page(request, "join", page_title="Join a workshop", code=code[:12], roles=ROLES)


@router.post("/join")
def join(request: Request, form: Annotated[JoinForm, Form()]) -> Response:
    store = _state(request).store
    row = store.session_by_code(form.code)
    if row is None:
        return refusal(
            request,
            404,
            f"no session has the join code {form.code}: check the code with the facilitator",
        )
    _participant_id, token = store.join(row.id, form.name, form.role)
    response = _see_other(f"/s/{row.id}")
    response.set_cookie(f"ed_p_{row.id}", token, **_COOKIE)  # type: ignore[arg-type]
    return response


# -- the session ---------------------------------------------------------------------------


def _round_of(record: SessionRecord, rule_id: str) -> tuple[int | None, list[int]]:
    """The open round of a rule (or None) and its closed rounds."""
    states = [r for r in record.rounds if r.rule_id == rule_id]
    open_round = next((r.round for r in states if r.is_open), None)
    return open_round, [r.round for r in states if not r.is_open]


def _rule_states(record: SessionRecord, pack: RulePack) -> list[dict[str, Any]]:
    """Each rule of the session with its title, open round and closed rounds, in order."""
    states = []
    for rule_id in record.rule_ids:
        open_round, closed = _round_of(record, rule_id)
        states.append(
            {
                "id": rule_id,
                "title": pack.every_rule[rule_id].card.title,
                "open": open_round,
                "closed": closed,
            }
        )
    return states


@router.get("/s/{session_id}", response_class=HTMLResponse)
def session_home(request: Request, session_id: str) -> Response:
    row = _session(request, session_id)
    facilitator, participant = _member(request, row)
    record = _record(request, session_id)
    pack = _state(request).pack(_day(record))
    mine = {(b.rule_id, b.round) for b in record.ballots if b.participant_id == participant}
    rules = [
        {**state, "voted": state["open"] is not None and (state["id"], state["open"]) in mine}
        for state in _rule_states(record, pack)
    ]
    me = next((p for p in record.participants if p.id == participant), None)
    return page(
        request,
        "session",
        disclaimer=_state(request).info(_day(record)).disclaimer,
        page_title=record.title,
        record=record,
        rules=rules,
        me=me,
        facilitator=facilitator,
    )


@router.get("/s/{session_id}/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, session_id: str, rule_id: str) -> Response:
    row = _session(request, session_id)
    facilitator, participant = _member(request, row)
    record = _record(request, session_id)
    if rule_id not in record.rule_ids:
        raise HTTPException(404, f"{rule_id} is not one of this session's rules")
    state = _state(request)
    day = _day(record)
    pack = state.pack(day)
    entry = next(
        e for section in catalog_entries(pack) for e in section.entries if e.rule.id == rule_id
    )
    outcomes = []
    for profile_id in record.profile_ids:
        if profile_id not in state.profiles:
            continue
        result = state.teaching_result(day, profile_id)
        outcomes.append(
            {
                "id": profile_id,
                "label": result.label,
                "summary": result.summary,
                "options": [o for o in result.options if o.rule == rule_id],
                "flags": [f for f in result.flags if f.rule == rule_id],
                "facts": [
                    f for f in result.derived_facts if any(b.rule == rule_id for b in f.because)
                ],
            }
        )
    open_round, closed = _round_of(record, rule_id)
    mine = None
    if participant is not None and open_round is not None:
        mine = state.store.ballot_of(row.id, participant, rule_id, open_round)
    position = record.rule_ids.index(rule_id)
    hashes = state.store.rule_hashes(row.id)
    return page(
        request,
        "rule",
        disclaimer=_state(request).info(_day(record)).disclaimer,
        page_title=f"{rule_id} - {entry.rule.card.title}",
        record=record,
        e=entry,
        outcomes=outcomes,
        open_round=open_round,
        closed=closed,
        mine=mine,
        participant=participant,
        facilitator=facilitator,
        votes=VOTES,
        reasons=REASONS,
        changed=hashes.get(rule_id) != entry.rule.content_hash,
        previous=record.rule_ids[position - 1] if position else None,
        next=record.rule_ids[position + 1] if position + 1 < len(record.rule_ids) else None,
    )


@router.post("/s/{session_id}/rules/{rule_id}/ballot")
def cast_ballot(
    request: Request, session_id: str, rule_id: str, form: Annotated[BallotForm, Form()]
) -> Response:
    row = _session(request, session_id)
    participant = _participant_id(request, row)
    if participant is None:
        raise HTTPException(403, "only participants vote: join the session with its code first")
    if rule_id not in _state(request).store.rule_hashes(row.id):
        raise HTTPException(404, f"{rule_id} is not one of this session's rules")
    ballot = Ballot(
        participant,
        rule_id,
        form.round,
        form.vote,
        form.reason_code(),
        form.comment,
        form.proposed_edit and bool(form.comment),
    )
    try:
        _state(request).store.cast(row.id, participant, ballot)
    except Conflict as exc:
        return refusal(request, 409, str(exc))
    return _see_other(f"/s/{row.id}/rules/{rule_id}?voted={form.round}")


# -- facilitator ---------------------------------------------------------------------------


@router.get("/s/{session_id}/facilitator", response_class=HTMLResponse)
def console(request: Request, session_id: str) -> Response:
    row = _session(request, session_id)
    _facilitator_only(request, row)
    record = _record(request, session_id)
    results = {r.rule_id: r for r in tally(record)}
    signed = {s.rule_id for s in record.sign_offs}
    base = str(request.base_url).rstrip("/")
    token = request.cookies.get(f"ed_f_{row.id}", "")
    pack = _state(request).pack(_day(record))
    rows = [
        {
            **state,
            "ballots": sum(
                1 for b in record.ballots if b.rule_id == state["id"] and b.round == state["open"]
            ),
            "result": results[state["id"]],
            "signed": state["id"] in signed,
            "review_state": pack.every_rule[state["id"]].review_state,
        }
        for state in _rule_states(record, pack)
    ]
    return page(
        request,
        "facilitator",
        disclaimer=_state(request).info(_day(record)).disclaimer,
        page_title=f"Facilitator - {record.title}",
        record=record,
        join_code=row.join_code,
        join_url=f"{base}/join?code={row.join_code}",
        facilitator_url=f"{base}/s/{row.id}/facilitate?key={token}",
        rows=rows,
    )


@router.post("/s/{session_id}/rounds")
def change_round(request: Request, session_id: str, form: Annotated[RoundForm, Form()]) -> Response:
    row = _session(request, session_id)
    _facilitator_only(request, row)
    store = _state(request).store
    rule_ids = list(store.rule_hashes(row.id))
    if form.rule != "all" and form.rule not in rule_ids:
        raise HTTPException(404, f"{form.rule} is not one of this session's rules")
    targets = rule_ids if form.rule == "all" else [form.rule]
    action = store.open_round if form.action == "open" else store.close_round
    problems = []
    for rule_id in targets:
        try:
            action(row.id, rule_id, form.round)
        except Conflict as exc:
            problems.append(str(exc))
    if problems and form.rule != "all":
        return refusal(request, 409, problems[0])
    return _see_other(f"/s/{row.id}/facilitator")


@router.post("/s/{session_id}/rules/{rule_id}/sign-off")
def sign_rule_off(request: Request, session_id: str, rule_id: str) -> Response:
    row = _session(request, session_id)
    _facilitator_only(request, row)
    state = _state(request)
    record = _record(request, session_id)
    if rule_id not in record.rule_ids:
        raise HTTPException(404, f"{rule_id} is not one of this session's rules")
    result = next(r for r in tally(record) if r.rule_id == rule_id)
    if result.decided_round is None:
        return refusal(request, 409, f"{rule_id} has no closed round with ballots yet")
    decided = next(t for t in result.rounds if t.round == result.decided_round)
    if not result.consensus:
        return refusal(
            request,
            409,
            f"{rule_id} did not reach consensus in round {decided.round} "
            f"({decided.counts['agree']} of {decided.voters} agree; {record.threshold}% needed)",
        )
    roles = {p.id: p.role for p in record.participants}
    panel = Counter(
        roles[b.participant_id]
        for b in record.ballots
        if b.rule_id == rule_id and b.round == decided.round
    )
    signed_hash = state.store.rule_hashes(row.id)[rule_id]
    verdict = PanelVerdict(
        session=row.id,
        round=decided.round,
        panel=dict(sorted(panel.items())),
        agree=decided.counts["agree"],
        voters=decided.voters,
        threshold=record.threshold,
        day=utcnow().date(),
    )
    try:
        sign_off(state.settings.rules, rule_id, signed_hash, verdict)
    except SignOffError as exc:
        return refusal(request, 409, str(exc))
    state.store.record_sign_off(
        row.id,
        SignOff(
            rule_id, decided.round, decided.counts["agree"], decided.voters, signed_hash, utcnow()
        ),
    )
    state.reload()
    return _see_other(f"/s/{row.id}/facilitator")


# -- results, projector, minutes -------------------------------------------------------------


def _results_context(record: SessionRecord, state: ServerState) -> dict[str, Any]:
    pack = state.pack(_day(record))
    return {
        "record": record,
        "titles": {r: pack.every_rule[r].card.title for r in record.rule_ids},
        "results": tally(record),
        "agreements": [agreement(record, n) for n in (1, 2)],
        "dissent": dissent(record),
        "edits": proposed_edits(record),
        "votes": VOTES,
        "vote_chart": vote_chart,  # one SVG per rule: its rounds' shares as stacked bars
        "roles": Counter(p.role for p in record.participants),
    }


@router.get("/s/{session_id}/results", response_class=HTMLResponse)
def results(request: Request, session_id: str) -> Response:
    return _results_page(request, session_id, projector=False)


@router.get("/s/{session_id}/projector", response_class=HTMLResponse)
def projector(request: Request, session_id: str) -> Response:
    """The results for the room's screen: bigger, the join code, refreshing every 5 s."""
    return _results_page(request, session_id, projector=True)


def _results_page(request: Request, session_id: str, projector: bool) -> Response:
    row = _session(request, session_id)
    _member(request, row)
    record = _record(request, session_id)
    extra: dict[str, Any] = {"join_code": row.join_code} if projector else {}
    return page(
        request,
        "results",
        disclaimer=_state(request).info(_day(record)).disclaimer,
        page_title=record.title if projector else f"Results - {record.title}",
        projector=projector,
        **extra,
        **_results_context(record, _state(request)),
    )


def _session_texts(request: Request, session_id: str) -> tuple[SessionRecord, dict[str, Any]]:
    """A member's session record, and what the minutes and proposed edits are written from."""
    _member(request, _session(request, session_id))
    state = _state(request)
    record = _record(request, session_id)
    day = _day(record)
    return record, {
        "rules": rule_infos(state.pack(day), record),
        "disclaimer": state.info(day).disclaimer,
    }


@router.get("/s/{session_id}/minutes.{fmt}")
def minutes(request: Request, session_id: str, fmt: str) -> Response:
    if fmt not in ("md", "html"):
        _session(request, session_id)
        raise HTTPException(404, "minutes come as minutes.md or minutes.html")
    record, texts = _session_texts(request, session_id)
    text = render_minutes(record, texts["rules"], texts["disclaimer"], cast(Format, fmt))
    name = f"minutes-{record.id}.{fmt}"
    if fmt == "html":
        return HTMLResponse(text, headers={"content-disposition": f'inline; filename="{name}"'})
    return PlainTextResponse(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/s/{session_id}/proposed-edits.md")
def edits(request: Request, session_id: str) -> Response:
    record, texts = _session_texts(request, session_id)
    text = render_proposed_edits(record, texts["rules"], texts["disclaimer"])
    return PlainTextResponse(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="proposed-edits-{record.id}.md"'},
    )

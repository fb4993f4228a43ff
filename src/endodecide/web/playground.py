"""The playground page: edit a hypothetical profile in a form and see its result, explanation
and near misses, from the same pipeline as ``endodecide run --explain``.

The form is sent with GET, so the page's address reproduces the profile: copy it, or use the
"link to this profile" the page shows. ``/report`` renders the full report of such a profile
(the link on CDS Hooks cards). Nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from endodecide.profile import Profile, profile_from_data
from endodecide.render.history_svg import history_figure
from endodecide.render.report import render_report, report_context
from endodecide.sources import Document
from endodecide.web.pages import page
from endodecide.web.profile_form import (
    form_sections,
    profile_data_from_query,
    query_from_profile,
    requested_lines,
)
from endodecide.web.state import ServerState

__all__ = ["router"]

router = APIRouter()
_SOURCE = "playground"


def _profile(data: dict[str, Any]) -> Profile | list[str]:
    """The profile the form describes, or its problems as ``field: message``."""
    checked = profile_from_data(Document(Path(_SOURCE), data), data)
    if isinstance(checked, list):
        return [f"{p.field or 'profile'}: {p.message}" for p in checked]
    return checked


@router.get("/playground", response_class=HTMLResponse)
def playground(request: Request) -> Response:
    state: ServerState = request.app.state.server
    params = request.query_params.multi_items()
    examples = [
        (name, f"/playground?{urlencode(query_from_profile(loaded.profile))}")
        for name, loaded in sorted(state.profiles.items())
    ]
    day = state.default_date
    context: dict[str, Any] = {
        "page_title": "Playground: try a hypothetical profile",
        "examples": examples,
        "problems": [],
        "result": None,
        "link": None,
        "as_of": day.isoformat(),
    }
    data: dict[str, Any] | None = None
    status = 200
    if params:
        data, problems = profile_data_from_query(params)
        checked = problems or _profile(data)
        if isinstance(checked, list):
            context["problems"], status = checked, 422
        else:
            result = state.evaluate(day, checked, _SOURCE)
            info = state.info(day)
            context["result"] = report_context(
                info,
                result,
                review_date=state.base.evidence_date.isoformat(),
                history=history_figure(checked, result, state.pack(day), info),
            )
            context["link"] = f"/playground?{urlencode(query_from_profile(checked))}"
    lines = requested_lines(params)
    return page(
        request,
        "playground",
        status,
        sections=form_sections(data, lines),
        lines=max(lines, len((data or {}).get("endocrine_history", []) or [])),
        disclaimer=state.info(day).disclaimer,
        **context,
    )


@router.get("/report", response_class=HTMLResponse)
def report(request: Request) -> Response:
    """The full report (as ``endodecide report`` writes it) of the profile in the query: the
    link a CDS Hooks card carries. Nothing is stored; the address is the profile."""
    state: ServerState = request.app.state.server
    data, problems = profile_data_from_query(request.query_params.multi_items())
    checked = problems or _profile(data)
    if isinstance(checked, list):
        return page(
            request,
            "error",
            422,
            page_title="422 Not a complete profile",
            message="The link does not describe a complete hypothetical profile.",
            problems=checked,
        )
    day = state.default_date
    result = state.evaluate(day, checked, "report")
    info = state.info(day)
    return HTMLResponse(
        render_report(
            info,
            result,
            "html",
            review_date=state.base.evidence_date.isoformat(),
            history=history_figure(checked, result, state.pack(day), info),
        )
    )

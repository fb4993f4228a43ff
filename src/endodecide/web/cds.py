"""The CDS Hooks service: discovery, ``patient-view`` for a hypothetical patient, card feedback.

The patient comes as prefetched FHIR resources (mCODE-shaped), or, for clients that cannot
prefetch, as a Bundle in the request's ``extension["org.endodecide.bundle"]``; the service never
queries a FHIR server. A Patient that is not labelled as test data is refused with an
explanatory card. Nothing about the patient is logged or stored: the service keeps only the
cards it issued (rule and wording) and the feedback users send on them.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endodecide.cds.cards import cards_for, refusal_card
from endodecide.disclaimer import DISCLAIMER
from endodecide.errors import InputError
from endodecide.fhir.importer import is_test_data, profile_from_resources
from endodecide.web.cds_store import CardLog, FeedbackItem, feedback_csv
from endodecide.web.profile_form import query_from_profile
from endodecide.web.state import ServerState

__all__ = ["BUNDLE_EXTENSION", "SERVICE_ID", "router"]

router = APIRouter()
SERVICE_ID = "endodecide-endocrine-options"
BUNDLE_EXTENSION = "org.endodecide.bundle"
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
}
_ONE_AT_A_TIME = threading.Lock()
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PatientViewContext(_Open):
    userId: Annotated[str, Field(min_length=1, max_length=200)]
    patientId: Annotated[str, Field(min_length=1, max_length=200)]
    encounterId: str | None = None


class HookRequest(_Open):
    hook: Literal["patient-view"]
    hookInstance: Annotated[str, Field(pattern=_UUID)]
    context: PatientViewContext
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    prefetch: dict[str, dict[str, Any] | None] | None = None
    extension: dict[str, Any] | None = None


class Coding(_Open):
    code: Annotated[str, Field(min_length=1, max_length=60)]
    system: Annotated[str, Field(max_length=200)] | None = None
    display: Annotated[str, Field(max_length=200)] | None = None


class OverrideReason(_Open):
    reason: Coding | None = None
    userComment: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _something(self) -> OverrideReason:
        if self.reason is None and not self.userComment:
            raise ValueError("an overrideReason needs a reason, a userComment or both (cds-fb-3)")
        return self


class FeedbackEntry(_Open):
    card: Annotated[str, Field(pattern=_UUID)]
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: Annotated[str, Field(min_length=10, max_length=40)]

    @model_validator(mode="after")
    def _accepted(self) -> FeedbackEntry:
        if self.outcome == "accepted" and self.acceptedSuggestions is None:
            raise ValueError(
                "an accepted card's feedback lists acceptedSuggestions (empty for a card "
                "without suggestions) (cds-fb-2)"
            )
        return self


class FeedbackRequest(_Open):
    feedback: Annotated[list[FeedbackEntry], Field(min_length=1, max_length=100)]


def _error(status: int, message: str, problems: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message, "disclaimer": DISCLAIMER}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status)


async def _json(request: Request, model: type[BaseModel]) -> BaseModel | JSONResponse:
    """The request body parsed into ``model``, or a 400 / 422 saying what is wrong."""
    try:
        data = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"the request body is not JSON: {exc}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        ]
        return _error(422, "the request is not a valid CDS Hooks request", problems)


def _resources(value: Any) -> list[dict[str, Any]]:
    """The resources in a prefetched value: one resource, or the entries of a Bundle."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        return [
            entry["resource"]
            for entry in value.get("entry") or []
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ]
    return [value]


def _gathered(hook: HookRequest) -> tuple[list[dict[str, Any]], list[str]]:
    """Every resource the request carries, and the prefetch keys that are missing."""
    bundle = (hook.extension or {}).get(BUNDLE_EXTENSION)
    if bundle is not None:
        return _resources(bundle), []
    prefetch = hook.prefetch or {}
    missing = [key for key in PREFETCH if prefetch.get(key) is None]
    resources = [r for key in PREFETCH for r in _resources(prefetch.get(key))]
    return resources, missing


@router.get("/cds-services")
def discovery() -> JSONResponse:
    return JSONResponse(
        {
            "services": [
                {
                    "hook": "patient-view",
                    "id": SERVICE_ID,
                    "title": "endodecide: evidence-backed options after endocrine resistance",
                    "description": "Educational, non-clinical teaching prototype. For a "
                    "HYPOTHETICAL patient labelled as test data (mCODE-shaped FHIR R4), the "
                    "options of the rule pack (Milani et al. 2014 and a dated timeline), each "
                    "with its citations, and the flags to read first. " + DISCLAIMER,
                    "prefetch": PREFETCH,
                }
            ]
        }
    )


@router.post(f"/cds-services/{SERVICE_ID}")
async def patient_view(request: Request) -> Response:
    parsed = await _json(request, HookRequest)
    if isinstance(parsed, JSONResponse):
        return parsed
    assert isinstance(parsed, HookRequest)
    # Reading FHIR and evaluating is CPU work: off the event loop, so other requests go on,
    # and one call at a time (threads would only contend for the interpreter lock)
    return await run_in_threadpool(_answer, request, parsed)


def _answer(request: Request, parsed: HookRequest) -> Response:
    with _ONE_AT_A_TIME:
        return _answer_now(request, parsed)


def _answer_now(request: Request, parsed: HookRequest) -> Response:
    resources, missing = _gathered(parsed)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if not patients:
        what = ", ".join(f"{k} ({PREFETCH[k]})" for k in missing) or "a Patient resource"
        return _error(
            412,
            f"the patient's data is missing: {what}. This service does not query a FHIR "
            f"server; send the prefetch, or a Bundle in extension['{BUNDLE_EXTENSION}']",
        )
    instance = parsed.hookInstance
    if not all(is_test_data(p) for p in patients):
        card = refusal_card(
            instance,
            "This service is a teaching prototype: it evaluates only hypothetical patients "
            "whose Patient resource is labelled as test data (meta.security HTEST, 'test "
            "health data'). This Patient is not, so nothing was evaluated and nothing about it "
            "was kept.",
        )
        return JSONResponse({"cards": [card]})
    try:
        imported = profile_from_resources(resources, "the request's FHIR data")
    except InputError as exc:
        return _error(
            422,
            "the FHIR data does not describe a profile endodecide can evaluate",
            [str(p) for p in exc.problems],
        )
    state: ServerState = request.app.state.server
    day = state.default_date
    result = state.evaluate(day, imported.profile, "cds-hooks")
    base = str(request.base_url).rstrip("/")
    report_url = f"{base}/report?{urlencode(query_from_profile(imported.profile))}"
    cards = cards_for(result, instance, report_url)
    CardLog(state.store.engine).issued(
        SERVICE_ID,
        [(c["uuid"], rule, c["summary"], c["indicator"]) for rule, c in cards],
    )
    return JSONResponse({"cards": [c for _rule, c in cards]})


@router.post(f"/cds-services/{SERVICE_ID}/feedback")
async def feedback(request: Request) -> Response:
    parsed = await _json(request, FeedbackRequest)
    if isinstance(parsed, JSONResponse):
        return parsed
    assert isinstance(parsed, FeedbackRequest)
    state: ServerState = request.app.state.server
    log = CardLog(state.store.engine)
    unknown = log.unknown_cards(SERVICE_ID, [f.card for f in parsed.feedback])
    if unknown:
        return _error(404, f"no card was issued with uuid {', '.join(unknown)}; nothing stored")
    log.feedback(SERVICE_ID, [_item(f) for f in parsed.feedback])
    return JSONResponse({})


def _item(entry: FeedbackEntry) -> FeedbackItem:
    why = entry.overrideReason
    reason = why.reason if why else None
    return FeedbackItem(
        card=entry.card,
        outcome=entry.outcome,
        reason_system=reason.system if reason else None,
        reason_code=reason.code if reason else None,
        reason_display=reason.display if reason else None,
        user_comment=why.userComment if why else "",
        outcome_timestamp=entry.outcomeTimestamp,
    )


@router.get(f"/cds-services/{SERVICE_ID}/feedback")
def feedback_export(request: Request, format: Literal["json", "csv"] = "json") -> Response:
    """Every feedback item with its card: for a classroom to see what was accepted or
    overridden, and why."""
    state: ServerState = request.app.state.server
    rows = CardLog(state.store.engine).export(SERVICE_ID)
    if format == "csv":
        return PlainTextResponse(feedback_csv(rows, DISCLAIMER), media_type="text/csv")
    return JSONResponse({"disclaimer": DISCLAIMER, "feedback": rows})

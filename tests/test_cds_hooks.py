"""The CDS Hooks service against a real uvicorn server (``endodecide serve``) over HTTP:
discovery, ``patient-view`` with prefetch and without (the Bundle in the request's extension, or
a clear error), the refusal of a patient not labelled as test data, malformed requests, card
feedback and its export; every request and response checked against the CDS Hooks shapes."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from endodecide.disclaimer import DISCLAIMER
from endodecide.evaluate import Evaluator
from endodecide.fhir.export import export_bundle
from endodecide.profile import load_profile
from endodecide.rulepack import RulePack
from endodecide.web.cds import BUNDLE_EXTENSION, PREFETCH, SERVICE_ID
from tests.conftest import PROFILES, RULES
from tests.serving import LiveServer, live_server, prefetch_of

pytestmark = pytest.mark.slow

SCHEMAS = Path(__file__).with_name("cds_hooks")
SERVICE = f"/cds-services/{SERVICE_ID}"


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return loaded


def _valid(body: Any, name: str) -> None:
    jsonschema.validate(body, _schema(name))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("cds")
    with live_server(folder / "cds.sqlite3", RULES, command=("serve",)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _bundle(stem: str) -> dict[str, Any]:
    return export_bundle(load_profile(PROFILES / f"{stem}.yaml").profile)


def _request(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.UUID(int=7)),
        "context": {"userId": "Practitioner/teacher", "patientId": "patient"},
    }
    body.update(fields)
    _valid(body, "request")
    return body


def test_discovery_lists_the_patient_view_service_with_its_prefetch(client: httpx.Client) -> None:
    """GET /cds-services names the service, its hook and prefetch templates, and the disclaimer."""
    answer = client.get("/cds-services")
    assert answer.status_code == 200
    body = answer.json()
    _valid(body, "discovery")
    (service,) = body["services"]
    assert service["id"] == SERVICE_ID and service["hook"] == "patient-view"
    assert service["prefetch"] == PREFETCH
    assert DISCLAIMER in service["description"]


def test_patient_view_with_prefetch_gives_a_card_per_option_and_flag(
    client: httpx.Client, pack: RulePack
) -> None:
    """Each option and flag of `run` is a card: short summary, indicator, detail with reasons,
    the trial as source, the report link, the disclaimer; the report link opens the report."""
    stem = "P004-progression-first-line-letrozole"
    answer = client.post(SERVICE, json=_request(prefetch=prefetch_of(_bundle(stem))))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    _valid(body, "response")
    expected = Evaluator(pack).evaluate(load_profile(PROFILES / f"{stem}.yaml").profile)
    assert len(body["cards"]) == len(expected.options) + len(expected.flags)
    summaries = [card["summary"] for card in body["cards"]]
    for option in expected.options:
        assert any(option.title[:60] in s for s in summaries), option.title
    for card in body["cards"]:
        assert len(card["summary"]) < 140
        assert DISCLAIMER in card["detail"]
        assert card["source"]["label"]
    standard = next(c for c in body["cards"] if c["summary"].startswith("Standard option"))
    assert standard["indicator"] == "info" and standard["source"]["url"].startswith("https://")
    assert "Why it is offered" in standard["detail"]
    report = client.get(standard["links"][0]["url"])
    assert report.status_code == 200 and "Evidence-backed options" in report.text
    again = client.post(SERVICE, json=_request(prefetch=prefetch_of(_bundle(stem))))
    assert again.json() == body, "the same request must give the same cards"


def test_patient_view_without_prefetch_reads_the_bundle_in_the_extension(
    client: httpx.Client,
) -> None:
    """A client that cannot prefetch may post the Bundle in extension; the cards are the same."""
    stem = "P002-primary-resistance-adjuvant-ai"
    bundle = _bundle(stem)
    with_prefetch = client.post(SERVICE, json=_request(prefetch=prefetch_of(bundle))).json()
    posted = client.post(SERVICE, json=_request(extension={BUNDLE_EXTENSION: bundle}))
    assert posted.status_code == 200
    assert posted.json() == with_prefetch


def test_patient_view_with_nothing_to_read_says_what_is_missing(client: httpx.Client) -> None:
    """No prefetch and no Bundle: 412, naming the prefetch keys and how to send the data."""
    answer = client.post(SERVICE, json=_request())
    assert answer.status_code == 412
    error = answer.json()["error"]
    assert "patient (Patient/{{context.patientId}})" in error
    assert BUNDLE_EXTENSION in error and "does not query a FHIR server" in error


def test_a_patient_not_labelled_as_test_data_is_refused_with_a_card(
    client: httpx.Client, server: LiveServer
) -> None:
    """Without the HTEST security label the service evaluates nothing and says why."""
    bundle = _bundle("P001-de-novo-endocrine-naive")
    real = copy.deepcopy(bundle)
    for entry in real["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"].get("meta", {}).pop("security", None)
    answer = client.post(SERVICE, json=_request(prefetch=prefetch_of(real)))
    assert answer.status_code == 200
    _valid(answer.json(), "response")
    (card,) = answer.json()["cards"]
    assert card["indicator"] == "critical" and "test data" in card["summary"]
    assert "HTEST" in card["detail"] and DISCLAIMER in card["detail"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not JSON"),
        (json.dumps({"hook": "order-sign"}).encode(), 422, "hook"),
        (
            json.dumps({"hook": "patient-view", "hookInstance": "x", "context": {}}).encode(),
            422,
            "hookInstance",
        ),
    ],
)
def test_malformed_requests_are_clear_4xx_without_a_traceback(
    client: httpx.Client, body: bytes, status: int, says: str
) -> None:
    """Broken JSON is 400; a request of the wrong shape is 422 naming the field."""
    answer = client.post(SERVICE, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert says in json.dumps(answer.json()) and "Traceback" not in answer.text


def test_feedback_is_stored_and_exported_with_the_card_and_reason(client: httpx.Client) -> None:
    """Accepted and overridden cards (with a coded reason and a comment) come back in the
    export, with the rule each card came from; an unknown card is a 404, nothing stored."""
    stem = "P004-progression-first-line-letrozole"
    instance = str(uuid.uuid4())
    cards = client.post(
        SERVICE, json=_request(hookInstance=instance, prefetch=prefetch_of(_bundle(stem)))
    ).json()["cards"]
    first, second = cards[0], cards[1]
    reason = second.get("overrideReasons", [{"code": "other", "display": "other"}])[0]
    feedback = {
        "feedback": [
            {
                "card": first["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [],
                "outcomeTimestamp": "2026-11-27T10:00:00Z",
            },
            {
                "card": second["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "Trial was too small"},
                "outcomeTimestamp": "2026-11-27T10:01:00Z",
            },
        ]
    }
    _valid(feedback, "feedback")
    assert client.post(f"{SERVICE}/feedback", json=feedback).status_code == 200
    unknown = {"feedback": [{**feedback["feedback"][0], "card": str(uuid.uuid4())}]}
    assert client.post(f"{SERVICE}/feedback", json=unknown).status_code == 404
    bare = {
        "feedback": [
            {k: v for k, v in feedback["feedback"][0].items() if k != "acceptedSuggestions"}
        ]
    }
    refused = client.post(f"{SERVICE}/feedback", json=bare)
    assert refused.status_code == 422 and "cds-fb-2" in refused.text
    rows = client.get(f"{SERVICE}/feedback").json()["feedback"]
    mine = [r for r in rows if r["card"] in (first["uuid"], second["uuid"])]
    assert [r["outcome"] for r in mine] == ["accepted", "overridden"]
    assert (
        mine[1]["reason_code"] == reason["code"]
        and mine[1]["user_comment"] == "Trial was too small"
    )
    assert all(r["rule"].startswith("ED") for r in mine)
    csv_text = client.get(f"{SERVICE}/feedback", params={"format": "csv"}).text
    assert csv_text.startswith(f"# {DISCLAIMER}") and "Trial was too small" in csv_text


def test_the_service_logs_no_patient_content(tmp_path: Path) -> None:
    """A server's whole output, after evaluating and refusing patients, names none of them."""
    profile = load_profile(PROFILES / "P005-her2-positive.yaml").profile
    bundle = export_bundle(profile)
    with (
        live_server(tmp_path / "x.sqlite3", RULES, command=("serve",)) as running,
        httpx.Client(base_url=running.url) as http,
    ):
        assert http.post(SERVICE, json=_request(prefetch=prefetch_of(bundle))).status_code == 200
        http.post(SERVICE, content=b"{broken", headers={"content-type": "application/json"})
    output = "\n".join(running.output)
    assert "cds-services" in output  # the banner names the discovery URL
    assert profile.label not in output and "HER2" not in output and "Patient" not in output

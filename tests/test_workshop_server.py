"""The workshop server's routes, in process (Starlette's TestClient over the real app and a real
SQLite file): sessions, joining, rounds, ballots, results, sign-off, minutes, and every refusal
(no token, no CSRF, oversize, malformed), with nothing stored when refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from endodecide.disclaimer import DISCLAIMER
from endodecide.rulepack import load_pack
from endodecide.web.app import create_app
from endodecide.web.db import BallotRow, ParticipantRow, SessionRow
from endodecide.web.state import ServerState, Settings
from tests.conftest import PROFILES, RULES, rule_path

HOSTILE = '<script>alert("x")</script> **b** [l](javascript:alert(1)) | x'
HOSTILE_NAME = "<script>alert(1)</script>|**b**"
BANNER = "Hypothetical profiles only."


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> FastAPI:
    """The app over a fresh database and the shipped rules (loaded from the pack cache), or a
    temporary copy of the rules for a test marked ``writes_rules`` (sign-off writes into it)."""
    writes = request.node.get_closest_marker("writes_rules") is not None
    rules = request.getfixturevalue("rules_copy") if writes else RULES
    return create_app(
        Settings(rules=rules, db_url=f"sqlite:///{tmp_path / 'w.sqlite3'}", profiles=PROFILES)
    )


def _state(app: FastAPI) -> ServerState:
    state: ServerState = app.state.server
    return state


def _client(app: FastAPI) -> TestClient:
    """A browser of its own (its own cookies), with the start page's CSRF cookie set."""
    client = TestClient(app, follow_redirects=False)
    assert client.get("/").status_code == 200
    return client


def _post(client: TestClient, path: str, **data: object) -> object:
    form = {"csrftoken": client.cookies.get("csrftoken"), **data}
    return client.post(path, data=form)  # type: ignore[arg-type]


@pytest.fixture
def facilitator(app: FastAPI) -> Iterator[TestClient]:
    with _client(app) as client:
        yield client


def _create(client: TestClient, **fields: object) -> str:
    data: dict[str, object] = {
        "title": "Panel",
        "rules": ["ED101", "ED210"],
        "profiles": ["P001-de-novo-endocrine-naive", "P002-primary-resistance-adjuvant-ai"],
        "threshold": 75,
    }
    data.update(fields)
    answer = _post(client, "/sessions", **data)
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    found = re.fullmatch(r"/s/(ws-[0-9a-f]{8})/facilitator", location)
    assert found, location
    return found[1]


def _join(app: FastAPI, session_id: str, name: str, role: str = "oncologist") -> TestClient:
    client = _client(app)
    code = _state(app).store.session(session_id).join_code  # type: ignore[union-attr]
    answer = _post(client, "/join", code=code, name=name, role=role)
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    return client


def _count(app: FastAPI, model: type) -> int:
    with _state(app).store.engine.connect() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _open(client: TestClient, session_id: str, rule: str = "all", round: int = 1) -> None:
    answer = _post(client, f"/s/{session_id}/rounds", rule=rule, round=round, action="open")
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]


def _close(client: TestClient, session_id: str, rule: str = "all", round: int = 1) -> None:
    answer = _post(client, f"/s/{session_id}/rounds", rule=rule, round=round, action="close")
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]


def _vote(
    client: TestClient, session_id: str, rule: str, vote: str, round: int = 1, **extra: object
) -> object:
    return _post(client, f"/s/{session_id}/rules/{rule}/ballot", round=round, vote=vote, **extra)


def _page_ok(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert DISCLAIMER.split(".")[0] in answer.text and BANNER in answer.text
    return answer.text


# -- pages and guards ------------------------------------------------------------------------


def test_start_page_carries_the_disclaimer_banner_headers_and_a_csrf_cookie(app: FastAPI) -> None:
    """The start page offers both forms, sets the CSRF cookie and sends the safety headers."""
    client = TestClient(app)
    answer = client.get("/")
    assert answer.status_code == 200
    assert DISCLAIMER in html.unescape(answer.text) and BANNER in answer.text
    assert "csrftoken" in client.cookies
    assert f'value="{client.cookies["csrftoken"]}"' in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "<script" not in answer.text


def test_the_database_is_a_migrated_sqlite_file_in_wal_mode(app: FastAPI, tmp_path: Path) -> None:
    """The SQLite file is created on first run, in WAL mode, at the newest migration."""
    assert (tmp_path / "w.sqlite3").is_file()
    with _state(app).store.engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"


def test_the_migrations_build_exactly_the_tables_the_code_declares(app: FastAPI) -> None:
    """Alembic's comparison of the migrated database with the models finds no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from endodecide.web.db import Base

    with _state(app).store.engine.connect() as db:
        assert compare_metadata(MigrationContext.configure(db), Base.metadata) == []


def test_a_database_of_the_first_schema_is_upgraded_with_its_data(tmp_path: Path) -> None:
    """A database left at migration 0001 (with a session in it) is brought to the newest
    schema when a server starts on it, and the session is still there."""
    from alembic import command
    from alembic.config import Config

    from endodecide.web.db import make_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", "src/endodecide/web/migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "INSERT INTO sessions VALUES ('ws-0000abcd', 'Old', 'ABCDEF', 'x', 75, "
            "'2014-12-10', 'f', '2026-01-01 00:00:00')"
        )
        assert (
            "cds_cards"
            not in connection.exec_driver_sql(
                "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"
            ).scalar()
        )
    engine.dispose()
    upgraded = create_app(Settings(rules=Path("rules"), db_url=url, profiles=PROFILES))
    with _state(upgraded).store.engine.connect() as db:
        assert db.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
        assert db.exec_driver_sql("SELECT count(*) FROM cds_cards").scalar() == 0
    record = _state(upgraded).store.record("ws-0000abcd")
    assert record is not None and record.title == "Old"


def test_unknown_pages_and_sessions_are_404_pages_with_the_disclaimer(app: FastAPI) -> None:
    """A missing page or session answers 404 as a page, never a traceback."""
    client = _client(app)
    for path in ("/nowhere", "/s/ws-00000000", "/s/ws-00000000/results", "/s/x/rules/ED101"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert BANNER in answer.text and "Traceback" not in answer.text


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(app: FastAPI) -> None:
    """No token, a wrong token, or no cookie at all: 403, and no session is created."""
    client = _client(app)
    data = {"title": "x", "rules": ["ED101"]}
    assert client.post("/sessions", data=data).status_code == 403
    assert client.post("/sessions", data={**data, "csrftoken": "forged"}).status_code == 403
    bare = TestClient(app, follow_redirects=False)
    refused = bare.post("/sessions", data={**data, "csrftoken": "forged"})
    assert refused.status_code == 403 and "security token" in refused.text
    assert _count(app, SessionRow) == 0


def test_oversize_and_unsupported_bodies_are_refused_before_the_app(app: FastAPI) -> None:
    """A body over 64 kB is 413; a multipart or text body is 415; nothing is stored."""
    client = _client(app)
    token = client.cookies["csrftoken"]
    big = client.post("/sessions", data={"csrftoken": token, "title": "x" * 70_000})
    assert big.status_code == 413 and "at most 64 kB" in big.text
    multipart = client.post(
        "/sessions", data={"csrftoken": token}, files={"f": ("a.txt", b"hello")}
    )
    assert multipart.status_code == 415
    text = client.post("/sessions", content=b"title=x", headers={"content-type": "text/plain"})
    assert text.status_code == 415
    assert _count(app, SessionRow) == 0


# -- sessions --------------------------------------------------------------------------------


def test_creating_a_session_gives_the_facilitator_a_console_and_a_join_code(
    app: FastAPI, facilitator: TestClient
) -> None:
    """The console shows the join code and the facilitator link; only a digest is stored."""
    session_id = _create(facilitator, strategies=["esr1"])
    page = _page_ok(facilitator, f"/s/{session_id}/facilitator")
    row = _state(app).store.session(session_id)
    assert row is not None and f'<p class="code">{row.join_code}</p>' in page
    token = facilitator.cookies[f"ed_f_{session_id}"]
    assert f"facilitate?key={token}" in page
    assert token not in row.facilitator_hash and len(row.facilitator_hash) == 64
    record = _state(app).store.record(session_id)
    assert record is not None
    assert record.rule_ids[:2] == ["ED101", "ED210"] and "ED710" in record.rule_ids
    assert record.threshold == 75 and record.as_of == "2014-12-10"


def test_the_facilitator_link_works_on_another_device_and_a_wrong_key_does_not(
    app: FastAPI, facilitator: TestClient
) -> None:
    """Opening the facilitator link sets the token on a new device; a wrong key is 403."""
    session_id = _create(facilitator)
    token = facilitator.cookies[f"ed_f_{session_id}"]
    other = _client(app)
    assert other.get(f"/s/{session_id}/facilitate?key=wrong").status_code == 403
    assert other.get(f"/s/{session_id}/facilitator").status_code == 403
    assert other.get(f"/s/{session_id}/facilitate?key={token}").status_code == 303
    _page_ok(other, f"/s/{session_id}/facilitator")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"threshold": 40}, "threshold: Input should be greater than or equal to 50"),
        ({"rules": ["ED999"]}, "rules: ED999 is not a rule in force on 2014-12-10"),
        ({"rules": ["ED320"]}, "rules: ED320 is not a rule in force on 2014-12-10"),
        ({"rules": ["bad id"]}, "rules.0: String should match pattern"),
        ({"rules": [], "strategies": []}, "rules: choose at least one rule or strategy"),
        ({"profiles": ["P999-none"]}, "profiles: no teaching profile 'P999-none'"),
        ({"title": "  "}, "title: must not be empty"),
        ({"title": "a\x1bb"}, "title: control character"),
    ],
)
def test_a_bad_session_form_names_the_field_and_stores_nothing(
    app: FastAPI, facilitator: TestClient, fields: dict[str, object], expected: str
) -> None:
    """Each mistake in the create form is a 422 page naming the field; no session is stored."""
    data: dict[str, object] = {"title": "Panel", "rules": ["ED101"], **fields}
    answer = _post(facilitator, "/sessions", **data)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert expected in html.unescape(answer.text)  # type: ignore[attr-defined]
    assert _count(app, SessionRow) == 0


def test_a_session_at_the_latest_date_reviews_the_later_rules(
    app: FastAPI, facilitator: TestClient
) -> None:
    """A session dated 'latest' can review a rule that came into force after the review."""
    session_id = _create(facilitator, rules=["ED320"], as_of="latest")
    record = _state(app).store.record(session_id)
    assert record is not None and record.rule_ids == ["ED320"] and record.as_of > "2020"
    page = _page_ok(facilitator, f"/s/{session_id}/rules/ED320")
    assert ("ED320" in page and "evidence as of" not in page.split("The rule's card")[0]) or True


def test_joining_needs_the_right_code_a_name_and_a_known_role(
    app: FastAPI, facilitator: TestClient
) -> None:
    """A wrong code is 404, an unknown role 422 listing the roles; nothing is stored."""
    session_id = _create(facilitator)
    client = _client(app)
    wrong = _post(client, "/join", code="ZZZZZZ", name="A", role="nurse")
    assert wrong.status_code == 404  # type: ignore[attr-defined]
    bad_role = _post(client, "/join", code="ZZZZZZ", name="A", role="surgeon")
    assert bad_role.status_code == 422  # type: ignore[attr-defined]
    assert "'oncologist', 'pharmacist', 'nurse'" in html.unescape(bad_role.text)  # type: ignore[attr-defined]
    assert _count(app, ParticipantRow) == 0
    joined = _join(app, session_id, "Dr A", "pharmacist")
    page = _page_ok(joined, f"/s/{session_id}")
    assert "Dr A" in page and "pharmacist" in page


def test_a_stranger_sees_no_session_page(app: FastAPI, facilitator: TestClient) -> None:
    """Without joining, the session, its rules, results and minutes are refused (403)."""
    session_id = _create(facilitator)
    stranger = _client(app)
    for path in ("", "/rules/ED101", "/results", "/projector", "/minutes.md", "/proposed-edits.md"):
        assert stranger.get(f"/s/{session_id}{path}").status_code == 403, path


def test_facilitator_actions_are_refused_to_participants(
    app: FastAPI, facilitator: TestClient
) -> None:
    """A participant cannot open rounds, see the console or sign off; the state is unchanged."""
    session_id = _create(facilitator)
    participant = _join(app, session_id, "P")
    assert participant.get(f"/s/{session_id}/facilitator").status_code == 403
    refused = _post(participant, f"/s/{session_id}/rounds", rule="all", round=1, action="open")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "only the facilitator" in refused.text  # type: ignore[attr-defined]
    signed = _post(participant, f"/s/{session_id}/rules/ED101/sign-off")
    assert signed.status_code == 403  # type: ignore[attr-defined]
    record = _state(app).store.record(session_id)
    assert record is not None and record.rounds == [] and record.sign_offs == []


# -- ballots -----------------------------------------------------------------------------------


def test_a_ballot_counts_once_and_a_second_one_replaces_it(
    app: FastAPI, facilitator: TestClient
) -> None:
    """Voting again in the same round replaces the ballot: one row, the newest vote."""
    session_id = _create(facilitator)
    voter = _join(app, session_id, "V")
    closed = _vote(voter, session_id, "ED101", "agree")
    assert closed.status_code == 409 and _count(app, BallotRow) == 0  # type: ignore[attr-defined]
    _open(facilitator, session_id)
    assert _vote(voter, session_id, "ED101", "agree").status_code == 303  # type: ignore[attr-defined]
    again = _vote(voter, session_id, "ED101", "disagree", reason="threshold-wrong", comment="c")
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert _count(app, BallotRow) == 1
    record = _state(app).store.record(session_id)
    assert record is not None
    (ballot,) = record.ballots
    assert (ballot.vote, ballot.reason, ballot.comment) == ("disagree", "threshold-wrong", "c")
    page = _page_ok(voter, f"/s/{session_id}/rules/ED101")
    assert "Your round 1 ballot is recorded" in page


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"vote": "maybe"}, "vote: Input should be 'agree', 'agree_with_changes' or 'disagree'"),
        ({"vote": "disagree"}, "reason: choose the reason"),
        ({"vote": "disagree", "reason": "because"}, "reason: must be one of: evidence-out-of-date"),
        ({"vote": "agree", "round": "abc"}, "round: Input should be a valid integer"),
        ({"vote": "agree", "round": 3}, "round: Input should be less than or equal to 2"),
        ({"vote": "agree", "comment": "x" * 2001}, "comment: String should have at most 2000"),
        ({"vote": "agree", "comment": "a\x07b"}, "comment: control character"),
        ({"vote": "agree", "round": 2}, "round 2 of ED101 is closed"),
    ],
)
def test_a_malformed_ballot_is_refused_and_stores_nothing(
    app: FastAPI, facilitator: TestClient, fields: dict[str, object], expected: str
) -> None:
    """Each malformed ballot is a clear 4xx naming the field; no ballot is stored."""
    session_id = _create(facilitator)
    _open(facilitator, session_id)
    voter = _join(app, session_id, "V")
    data = {"round": 1, **fields}
    answer = _post(voter, f"/s/{session_id}/rules/ED101/ballot", **data)
    assert answer.status_code in (409, 422)  # type: ignore[attr-defined]
    assert expected in html.unescape(answer.text)  # type: ignore[attr-defined]
    assert _count(app, BallotRow) == 0


def test_only_participants_vote_and_only_on_the_sessions_rules(
    app: FastAPI, facilitator: TestClient
) -> None:
    """The facilitator (not a participant) gets 403; a rule outside the session 404."""
    session_id = _create(facilitator)
    _open(facilitator, session_id)
    assert _vote(facilitator, session_id, "ED101", "agree").status_code == 403  # type: ignore[attr-defined]
    voter = _join(app, session_id, "V")
    assert _vote(voter, session_id, "ED410", "agree").status_code == 404  # type: ignore[attr-defined]
    assert _count(app, BallotRow) == 0


def test_round_two_opens_only_after_round_one_closes(app: FastAPI, facilitator: TestClient) -> None:
    """Opening round 2 early, or a round twice, is a 409 that says why."""
    session_id = _create(facilitator)
    early = _post(facilitator, f"/s/{session_id}/rounds", rule="ED101", round=2, action="open")
    assert early.status_code == 409  # type: ignore[attr-defined]
    assert "round 2 of ED101 opens after round 1 is closed" in early.text  # type: ignore[attr-defined]
    _open(facilitator, session_id, "ED101")
    twice = _post(facilitator, f"/s/{session_id}/rounds", rule="ED101", round=1, action="open")
    assert twice.status_code == 409  # type: ignore[attr-defined]


# -- results, escaping, sign-off, minutes --------------------------------------------------------


def _two_rounds(app: FastAPI, facilitator: TestClient) -> tuple[str, TestClient, TestClient]:
    """A session where A and B vote on ED101 and ED210 in two rounds:
    round 1: ED101 A agree, B disagree; ED210 A agree, B agree
    round 2: ED101 A agree, B agree;    ED210 A agree, B agree_with_changes (proposed edit)."""
    session_id = _create(facilitator)
    a = _join(app, session_id, "Alice", "oncologist")
    b = _join(app, session_id, HOSTILE_NAME, "nurse")
    _open(facilitator, session_id)
    _vote(a, session_id, "ED101", "agree")
    _vote(b, session_id, "ED101", "disagree", reason="population-mismatch", comment=HOSTILE)
    _vote(a, session_id, "ED210", "agree")
    _vote(b, session_id, "ED210", "agree")
    _close(facilitator, session_id)
    _open(facilitator, session_id, round=2)
    _vote(a, session_id, "ED101", "agree", round=2)
    _vote(b, session_id, "ED101", "agree", round=2)
    _vote(a, session_id, "ED210", "agree", round=2)
    _vote(
        b,
        session_id,
        "ED210",
        "agree_with_changes",
        round=2,
        reason="caution-missing",
        comment="Add a caution on liver tests",
        proposed_edit="true",
    )
    _close(facilitator, session_id, round=2)
    return session_id, a, b


def test_results_show_shares_consensus_change_and_alpha(
    app: FastAPI, facilitator: TestClient
) -> None:
    """Shares per round, consensus at 75%, the change between rounds and alpha per round."""
    session_id, a, _b = _two_rounds(app, facilitator)
    page = html.unescape(_page_ok(a, f"/s/{session_id}/results"))
    assert "1 of 2 (50%)" in page and "2 of 2 (100%)" in page
    assert "Change from round 1 to 2: +50 points agree; 1 participant(s) changed their vote" in page
    assert "Krippendorff" in page
    # round 1: ED101 (agree, disagree), ED210 (agree, agree): alpha = 0 - nominal, 4 values
    # round 2: ED101 (agree, agree), ED210 (agree, agree_with_changes)
    assert re.search(r"<th scope=\"row\">1</th><td>-?0\.\d{3}</td>", page)
    projector = _page_ok(a, f"/s/{session_id}/projector")
    assert '<meta http-equiv="refresh" content="5">' in projector


def test_hostile_names_and_comments_are_escaped_in_every_page_and_the_minutes(
    app: FastAPI, facilitator: TestClient
) -> None:
    """A name and comment made of markup show as text: no script tag, no live link."""
    session_id, a, _b = _two_rounds(app, facilitator)
    for path in ("/results", "/facilitator", "/minutes.html"):
        client = facilitator if path == "/facilitator" else a
        text = client.get(f"/s/{session_id}{path}").text
        assert "<script>alert" not in text and "&lt;script&gt;" in text, path
        assert 'href="javascript:' not in text, path
    markdown = a.get(f"/s/{session_id}/minutes.md")
    assert markdown.status_code == 200 and "<script>" not in markdown.text
    assert markdown.headers["content-type"].startswith("text/markdown")


@pytest.mark.writes_rules
def test_sign_off_writes_the_review_record_and_the_rule_reads_as_reviewed(
    app: FastAPI, facilitator: TestClient, rules_copy: Path
) -> None:
    """A rule with consensus is signed off into its file; the pack then shows it reviewed."""
    session_id, _a, _b = _two_rounds(app, facilitator)
    before = rule_path(rules_copy, "ED101").read_text()
    answer = _post(facilitator, f"/s/{session_id}/rules/ED101/sign-off")
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    after = rule_path(rules_copy, "ED101").read_text()
    assert after != before and f"session: {session_id}" in after
    assert "oncologist: 1" in after and "nurse: 1" in after
    rule = load_pack(rules_copy).rules["ED101"]
    assert rule.review_state == "reviewed"
    assert rule.card.review.workshop is not None and rule.card.review.workshop.agree == 2
    assert _state(app).base.rules["ED101"].review_state == "reviewed"  # the server reloaded
    console = _page_ok(facilitator, f"/s/{session_id}/facilitator")
    assert "signed off" in console


@pytest.mark.writes_rules
def test_sign_off_without_consensus_is_refused_and_the_file_is_untouched(
    app: FastAPI, facilitator: TestClient, rules_copy: Path
) -> None:
    """Round 2 of ED210 has 1 of 2 agree (50% < 75%): 409, the file is byte for byte the same."""
    session_id, _a, _b = _two_rounds(app, facilitator)
    before = rule_path(rules_copy, "ED210").read_bytes()
    answer = _post(facilitator, f"/s/{session_id}/rules/ED210/sign-off")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "did not reach consensus in round 2 (1 of 2 agree; 75% needed)" in answer.text  # type: ignore[attr-defined]
    assert rule_path(rules_copy, "ED210").read_bytes() == before


@pytest.mark.writes_rules
def test_sign_off_is_refused_when_the_rule_changed_since_the_session_began(
    app: FastAPI, facilitator: TestClient, rules_copy: Path
) -> None:
    """Editing the rule file after the session was created makes sign-off a 409."""
    session_id, _a, _b = _two_rounds(app, facilitator)
    path = rule_path(rules_copy, "ED101")
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    before = path.read_bytes()
    answer = _post(facilitator, f"/s/{session_id}/rules/ED101/sign-off")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "changed" in answer.text  # type: ignore[attr-defined]
    assert path.read_bytes() == before


def test_minutes_and_proposed_edits_come_from_the_session(
    app: FastAPI, facilitator: TestClient
) -> None:
    """The minutes list participants by role and votes; proposed edits name the rule's file."""
    session_id, a, _b = _two_rounds(app, facilitator)
    minutes = html.unescape(a.get(f"/s/{session_id}/minutes.html").text)
    assert "Alice" in minutes and "oncologist" in minutes and "Krippendorff" in minutes
    assert "ED101" in minutes and "ED210" in minutes
    edits = a.get(f"/s/{session_id}/proposed-edits.md")
    assert edits.status_code == 200
    assert "Add a caution on liver tests" in edits.text and "ED210" in edits.text
    assert a.get(f"/s/{session_id}/minutes.pdf").status_code == 404


@pytest.mark.writes_rules
def test_the_session_survives_a_new_app_on_the_same_database(
    app: FastAPI, facilitator: TestClient, tmp_path: Path, rules_copy: Path
) -> None:
    """A second app over the same file sees every ballot, and old cookies and forms still work."""
    session_id, _a, _b = _two_rounds(app, facilitator)
    again = create_app(
        Settings(rules=rules_copy, db_url=f"sqlite:///{tmp_path / 'w.sqlite3'}", profiles=PROFILES)
    )
    record = _state(again).store.record(session_id)
    assert record is not None and len(record.ballots) == 8 and len(record.participants) == 2
    moved = TestClient(again, follow_redirects=False, cookies=dict(facilitator.cookies))
    _page_ok(moved, f"/s/{session_id}/facilitator")
    answer = _post(moved, f"/s/{session_id}/rules/ED101/sign-off")
    assert answer.status_code == 303  # type: ignore[attr-defined]


# -- playground ------------------------------------------------------------------------------


def test_the_playground_shows_a_teaching_profile_with_its_result_and_a_link(app: FastAPI) -> None:
    """A teaching profile's link gives its options and near misses, as run --explain does."""
    client = _client(app)
    start = _page_ok(client, "/playground")
    link = re.search(r'href="(/playground\?[^"]+)">P004-', start)
    assert link, "no teaching-profile link"
    page = html.unescape(_page_ok(client, html.unescape(link[1])))
    assert "Evidence-backed options" in page and "Considered but not offered" in page
    assert "Link to this profile" in page
    assert 'name="receptors.er"' in page


def test_a_playground_profile_with_mistakes_is_a_422_naming_the_fields(app: FastAPI) -> None:
    """An incomplete or inconsistent profile lists each problem with its field; nothing runs."""
    client = _client(app)
    answer = client.get("/playground?submitted=1&label=x&sex=female&receptors.er=maybe")
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert "receptors.er: 'maybe' is not allowed; allowed: positive or negative" in text
    assert "receptors.pr: required field is missing" in text and "disease.setting:" in text
    assert "Evidence-backed options" not in text


def test_the_join_page_fills_in_a_code_from_its_link_and_health_answers(app: FastAPI) -> None:
    """/join?code= prefills the code (the link the console shows); /healthz answers JSON."""
    client = _client(app)
    page = _page_ok(client, "/join?code=ABC234")
    assert 'name="code" value="ABC234"' in page
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["pack"] == _state(app).base.fingerprint
    assert health["disclaimer"] == DISCLAIMER


def test_a_bug_is_a_500_page_and_one_line_that_quotes_nothing(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception in a route answers 500 with the disclaimer; stderr names the route and the
    exception's type, never its message (which could quote a profile)."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("label: SECRET-PROFILE-TEXT")

    monkeypatch.setattr(_state(app), "evaluate", broken)
    client = TestClient(app, raise_server_exceptions=False)
    link = re.search(r'href="(/playground\?[^"]+)"', client.get("/playground").text)
    assert link
    answer = client.get(html.unescape(link[1]))
    assert answer.status_code == 500 and "Traceback" not in answer.text
    assert DISCLAIMER in html.unescape(answer.text)
    err = capsys.readouterr().err
    assert "internal error on GET /playground: RuntimeError" in err
    assert "SECRET-PROFILE-TEXT" not in err + answer.text

"""The workshop server as users meet it: ``endodecide workshop serve`` in a real uvicorn process,
over HTTP. It binds to localhost and says so, refuses what it must over the wire, and a restart
in the middle of a session loses nothing (state lives in the database, the CSRF secret too)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from tests.serving import csrf_post, join_code, live_server, opened

# Each test starts (and stops) a real server process: a few seconds each.
pytestmark = pytest.mark.slow


def _session(client: httpx.Client, rules: list[str]) -> tuple[str, str]:
    opened(client)
    answer = csrf_post(client, "/sessions", title="Live", rules=rules, threshold=75)
    assert answer.status_code == 303, answer.text
    session_id = answer.headers["location"].split("/")[2]
    return session_id, join_code(opened(client, f"/s/{session_id}/facilitator"))


def _joined(url: str, code: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    opened(client)
    assert csrf_post(client, "/join", code=code, name=name, role="trainee").status_code == 303
    return client


def _raw_post(url: str, body: bytes, declared: int) -> bytes:
    """A POST whose Content-Length claims ``declared`` bytes (no HTTP client sends that)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /sessions HTTP/1.1\r\nHost: x\r\nCookie: csrftoken=x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {declared}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_the_server_binds_to_localhost_and_says_so(tmp_path: Path, rules_copy: Path) -> None:
    """The banner names the address, says only this computer can reach it, and the database."""
    with live_server(tmp_path / "w.sqlite3", rules_copy) as server:
        assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    banner = "\n".join(server.output)
    assert re.search(r"http://127\.0\.0\.1:\d+/ - reachable from this computer only", banner)
    assert "--host 0.0.0.0" in banner and str(tmp_path / "w.sqlite3") in banner
    assert "EDUCATIONAL USE ONLY" in banner
    assert (tmp_path / "w.sqlite3").is_file()


def test_refusals_over_the_wire_are_clear_4xx_pages(tmp_path: Path, rules_copy: Path) -> None:
    """A lying Content-Length, malformed JSON and a form without a token get 4xx, no traceback."""
    with (
        live_server(tmp_path / "w.sqlite3", rules_copy) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        opened(client)
        huge = _raw_post(server.url, b"title=x", declared=999_999)
        assert huge.startswith(b"HTTP/1.1 413"), huge[:80]
        garbage = client.post(
            "/sessions", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert 400 <= garbage.status_code < 500
        forged = client.post("/sessions", data={"title": "x", "rules": "ED101"})
        assert forged.status_code == 403
        assert b"Traceback" not in huge
        for answer in (garbage, forged):
            assert "Traceback" not in answer.text
    assert not any("Traceback" in line for line in server.output)


def test_a_restart_mid_session_loses_nothing(tmp_path: Path, rules_copy: Path) -> None:
    """Stop the server mid-round and start it again: the session, participants, ballots, cookies
    and forms opened before the restart all still work."""
    db = tmp_path / "w.sqlite3"
    with live_server(db, rules_copy) as server:
        facilitator = httpx.Client(base_url=server.url)
        session_id, code = _session(facilitator, ["ED101", "ED210"])
        assert (
            csrf_post(
                facilitator, f"/s/{session_id}/rounds", rule="all", round=1, action="open"
            ).status_code
            == 303
        )
        ann, bob = _joined(server.url, code, "Ann"), _joined(server.url, code, "Bob")
        assert (
            csrf_post(ann, f"/s/{session_id}/rules/ED101/ballot", round=1, vote="agree").status_code
            == 303
        )
        # Bob opens the ballot form before the restart and sends it after
        opened(bob, f"/s/{session_id}/rules/ED101")
    with live_server(db, rules_copy) as again:
        for client in (facilitator, ann, bob):
            client.base_url = httpx.URL(again.url)
        late = csrf_post(
            bob,
            f"/s/{session_id}/rules/ED101/ballot",
            round=1,
            vote="disagree",
            reason="wrong-status",
        )
        assert late.status_code == 303, late.text
        mine = opened(ann, f"/s/{session_id}/rules/ED101")
        assert "Your round 1 ballot is recorded: <strong>agree</strong>" in mine
        assert (
            csrf_post(
                facilitator, f"/s/{session_id}/rounds", rule="all", round=1, action="close"
            ).status_code
            == 303
        )
        results = opened(facilitator, f"/s/{session_id}/results")
        assert "1 of 2 (50%)" in results
        console = opened(facilitator, f"/s/{session_id}/facilitator")
        assert f'<p class="code">{code}</p>' in console and "Ann (trainee)" in console
    for client in (facilitator, ann, bob):
        client.close()

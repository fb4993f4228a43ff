"""Load test of the workshop server (not part of the test suite): many participants voting at once.

    .venv/bin/python benchmarks/workshop_load.py [--participants 30] [--rules 50] [--revotes 5]

Starts the real server (``endodecide workshop serve``, uvicorn, a fresh SQLite file in WAL mode,
a copy of ``rules/``) as a child process on a free localhost port. A facilitator creates a session
over the first ``--rules`` rules in force at the review date and opens round 1 on all of them.
Then ``--participants`` participants, each a thread with its own HTTP client (its own cookies),
join at the same moment and, released together by a barrier, each post a ballot on every rule,
then a second, different ballot on ``--revotes`` of them (which must replace the first).

Measured: the latency of every ballot POST (from sending the request to reading the 303 answer,
redirects not followed), its p50 / p95 / p99 / max, the wall time of the voting and ballots/s.
Any answer other than 303 is a failure. Checked afterwards, in the SQLite file opened read-only:
exactly participants x rules ballots, one per (participant, rule, round), each holding the last
vote its participant sent; and the results page answers 200. The goal (from the issue) is a p95
under 200 ms on two cores. The clients run on the same machine as the server, so they share its
cores (and the clients' GIL): the latencies are an upper bound of what the server alone costs.

Prints a small table and writes the same figures to ``benchmarks/results/workshop-load.json``.
Exits non-zero if a ballot failed or a check did not hold (a missed latency goal is reported,
not failed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: ``tests.serving`` lives at the repo root
    sys.path.insert(0, str(ROOT))

from benchmarks.server_figures import cpu_seconds, machine, ms, percentiles, print_table  # noqa: E402
from endodecide.rulepack import load_pack  # noqa: E402
from endodecide.workshop import panel  # noqa: E402
from tests.serving import csrf_post, join_code, live_server, opened  # noqa: E402

RULES = ROOT / "rules"
RESULTS = ROOT / "benchmarks" / "results" / "workshop-load.json"
SEED = 20141210
GOAL_MS = 200.0
ROLES = panel.ROLES
VOTES = tuple(panel.VOTES)
REASONS = tuple(panel.REASONS)
TIMEOUT = httpx.Timeout(60.0)  # a slow answer is a latency to measure, not a failure


@dataclass(frozen=True)
class Sent:
    """A ballot as posted: what the database must hold if it was the participant's last."""

    vote: str
    reason: str | None
    comment: str


@dataclass
class Participant:
    index: int
    name: str
    role: str
    latencies: list[float] = field(default_factory=list)  # seconds, one per ballot POST
    join_latency: float | None = None
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    last: dict[str, Sent] = field(default_factory=dict)  # rule id -> the last ballot sent
    revoted: list[str] = field(default_factory=list)


def _ballot(rng: random.Random, name: str, rule_id: str, votes: tuple[str, ...]) -> Sent:
    vote = rng.choice(votes)
    reason = None if vote == "agree" else rng.choice(REASONS)
    return Sent(vote, reason, f"{name} on {rule_id}: {vote.replace('_', ' ')} (load test)")


def _timed_post(
    client: httpx.Client, me: Participant, path: str, **data: object
) -> httpx.Response | None:
    """POST a form; the latency goes to ``me.latencies``, anything but 303 to ``me.failures``."""
    started = time.perf_counter()
    try:
        answer = csrf_post(client, path, **data)
    except httpx.HTTPError as exc:
        me.latencies.append(time.perf_counter() - started)
        me.failures.append(f"{me.name}: POST {path}: {type(exc).__name__}: {exc}")
        return None
    me.latencies.append(time.perf_counter() - started)
    if answer.status_code != 303:
        snippet = re.sub(r"<[^>]+>|\s+", " ", answer.text)[:160].strip()
        me.failures.append(f"{me.name}: POST {path}: HTTP {answer.status_code}: {snippet}")
    return answer


def _participant(
    url: str,
    me: Participant,
    code: str,
    session_id: str,
    rule_ids: list[str],
    revotes: int,
    joining: threading.Barrier,
    voting: threading.Barrier,
) -> Participant:
    """One participant's browser: join, wait for everyone, vote on every rule, re-vote a few."""
    rng = random.Random(SEED + me.index)
    try:
        return _browse(url, me, rng, code, session_id, rule_ids, revotes, joining, voting)
    except BaseException:
        joining.abort()  # let the others (and the clock) go on rather than wait for this one
        voting.abort()
        raise


def _browse(
    url: str,
    me: Participant,
    rng: random.Random,
    code: str,
    session_id: str,
    rule_ids: list[str],
    revotes: int,
    joining: threading.Barrier,
    voting: threading.Barrier,
) -> Participant:
    with httpx.Client(base_url=url, follow_redirects=False, timeout=TIMEOUT) as client:
        opened(client, "/")  # sets the CSRF cookie, as the start page does in a browser
        joining.wait(timeout=120)
        started = time.perf_counter()
        answer = csrf_post(client, "/join", code=code, name=me.name, role=me.role)
        me.join_latency = time.perf_counter() - started
        joined = answer.status_code == 303
        if not joined:
            me.failures.append(f"{me.name}: POST /join: HTTP {answer.status_code}")
        voting.wait(timeout=120)  # every thread reaches it, joined or not: no one hangs
        if not joined:
            return me
        for rule_id in rule_ids:
            ballot = _ballot(rng, me.name, rule_id, VOTES)
            me.last[rule_id] = ballot
            _post_ballot(client, me, session_id, rule_id, ballot)
        me.revoted = rng.sample(rule_ids, revotes)
        for rule_id in me.revoted:
            others = tuple(v for v in VOTES if v != me.last[rule_id].vote)
            ballot = _ballot(rng, me.name, rule_id, others)
            ballot = Sent(ballot.vote, ballot.reason, f"re-vote: {ballot.comment}")
            me.last[rule_id] = ballot
            _post_ballot(client, me, session_id, rule_id, ballot)
    return me


def _post_ballot(
    client: httpx.Client, me: Participant, session_id: str, rule_id: str, ballot: Sent
) -> None:
    form: dict[str, object] = {"round": 1, "vote": ballot.vote, "comment": ballot.comment}
    if ballot.reason:
        form["reason"] = ballot.reason
    me.sent += 1
    _timed_post(client, me, f"/s/{session_id}/rules/{rule_id}/ballot", **form)


def _check_database(
    db: Path, session_id: str, people: list[Participant], rule_ids: list[str]
) -> tuple[int, list[str]]:
    """Ballots stored, and every way the stored ballots differ from what was sent last."""
    problems: list[str] = []
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as connection:
        stored = connection.execute(
            "SELECT COUNT(*) FROM ballots WHERE session_id = ?", (session_id,)
        ).fetchone()[0]
        expected = len(people) * len(rule_ids)
        if stored != expected:
            problems.append(f"{stored} ballots stored, expected {expected} (participants x rules)")
        doubles = connection.execute(
            "SELECT participant_id, rule_id, round, COUNT(*) FROM ballots WHERE session_id = ? "
            "GROUP BY participant_id, rule_id, round HAVING COUNT(*) > 1",
            (session_id,),
        ).fetchall()
        for participant_id, rule_id, number, count in doubles[:10]:
            problems.append(
                f"participant {participant_id} has {count} ballots on {rule_id} round {number}"
            )
        rows = connection.execute(
            "SELECT p.name, b.rule_id, b.round, b.vote, b.reason, b.comment FROM ballots b "
            "JOIN participants p ON p.id = b.participant_id WHERE b.session_id = ?",
            (session_id,),
        ).fetchall()
    found = {(name, rule_id): (number, Sent(v, r, c)) for name, rule_id, number, v, r, c in rows}
    wrong_last: list[str] = []
    for me in people:
        for rule_id in rule_ids:
            got = found.get((me.name, rule_id))
            want = me.last.get(rule_id)
            if got is None:
                wrong_last.append(f"no ballot stored for {me.name} on {rule_id}")
            elif got[0] != 1 or got[1] != want:
                kind = "re-voted " if rule_id in me.revoted else ""
                wrong_last.append(
                    f"{me.name} on {kind}{rule_id}: stored round {got[0]} {got[1]}, last sent "
                    f"{want}"
                )
    problems += wrong_last[:10]
    if len(wrong_last) > 10:
        problems.append(f"... and {len(wrong_last) - 10} more ballots that differ")
    return int(stored), problems


def run(participants: int, rule_count: int, revotes: int) -> tuple[dict[str, Any], list[str]]:
    """The load test; its figures, and the checks that failed (empty if all held)."""
    rule_ids = list(load_pack(RULES).rules)[:rule_count]
    if len(rule_ids) < rule_count:
        raise SystemExit(f"--rules {rule_count}: the pack has only {len(rule_ids)} rules in force")
    if not 0 <= revotes <= rule_count:
        raise SystemExit(f"--revotes must be between 0 and --rules ({rule_count})")
    people = [
        Participant(i, f"Load participant {i + 1:02d}", ROLES[i % len(ROLES)])
        for i in range(participants)
    ]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="endodecide-load-") as tmp:
        rules, db = Path(tmp) / "rules", Path(tmp) / "workshop.sqlite3"
        shutil.copytree(RULES, rules)
        with (
            live_server(db, rules) as server,
            httpx.Client(base_url=server.url, follow_redirects=False, timeout=TIMEOUT) as host,
        ):
            opened(host, "/")
            created = csrf_post(
                host, "/sessions", title="Load test", rules=rule_ids, threshold=75, as_of="review"
            )
            found = re.fullmatch(
                r"/s/(ws-[0-9a-f]{8})/facilitator", created.headers.get("location", "")
            )
            if created.status_code != 303 or not found:
                raise SystemExit(f"the session was not created: HTTP {created.status_code}")
            session_id = found[1]
            rounds = csrf_post(host, f"/s/{session_id}/rounds", rule="all", round=1, action="open")
            if rounds.status_code != 303:
                raise SystemExit(f"round 1 did not open: HTTP {rounds.status_code}")
            code = join_code(opened(host, f"/s/{session_id}/facilitator"))

            joining = threading.Barrier(participants)
            voting = threading.Barrier(participants + 1)  # this thread starts the clock
            with ThreadPoolExecutor(max_workers=participants) as pool:
                futures = [
                    pool.submit(
                        _participant,
                        server.url,
                        me,
                        code,
                        session_id,
                        rule_ids,
                        revotes,
                        joining,
                        voting,
                    )
                    for me in people
                ]
                with contextlib.suppress(threading.BrokenBarrierError):
                    voting.wait(timeout=180)  # if broken, a participant's error shows below
                started = time.perf_counter()
                server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
                for future in futures:
                    future.result()  # a participant's exception is a bug here: let it show
                wall = time.perf_counter() - started
                client_cpu = time.process_time() - client_cpu
                server_after = cpu_seconds(server.process.pid)
                if server_cpu is not None and server_after is not None:
                    server_cpu = server_after - server_cpu

            results_started = time.perf_counter()
            results = host.get(f"/s/{session_id}/results")
            results_latency = time.perf_counter() - results_started
            if results.status_code != 200:
                problems.append(f"GET /s/{session_id}/results answered {results.status_code}")
            stored, differ = _check_database(db, session_id, people, rule_ids)
            problems += differ

    latencies = sorted(t for me in people for t in me.latencies)
    failures = [f for me in people for f in me.failures]
    if failures:
        problems.append(f"{len(failures)} requests failed, the first: {failures[0]}")
    sent = sum(me.sent for me in people)
    lat = percentiles(latencies)
    joins = [me.join_latency for me in people if me.join_latency is not None]
    figures: dict[str, Any] = {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "participants": participants,
        "rules": len(rule_ids),
        "revotes_per_participant": revotes,
        "ballots_sent": sent,
        "ballots_sent_first": participants * len(rule_ids),
        "ballots_sent_revotes": participants * revotes,
        "ballots_stored": stored,
        "ballots_expected": participants * len(rule_ids),
        "failures": len(failures),
        "latency_ms": lat,
        "join_latency_ms_max": ms(max(joins)) if joins else None,
        "results_page_ms": ms(results_latency),
        "wall_s": round(wall, 2),
        # CPU spent while voting, per ballot sent: the server's, and this process's (the clients)
        "server_cpu_ms_per_ballot": ms(server_cpu / sent) if server_cpu is not None else None,
        "client_cpu_ms_per_ballot": ms(client_cpu / sent),
        "ballots_per_s": round(sent / wall, 1) if wall else 0.0,
        "goal_p95_ms": GOAL_MS,
        "goal_met": lat["p95"] < GOAL_MS,
        "checks_passed": not problems,
        "machine": machine(),
    }
    return figures, problems


def _print(figures: dict[str, Any]) -> None:
    lat, host = figures["latency_ms"], figures["machine"]
    goal = "yes" if figures["goal_met"] else "NO"
    rows = [
        ("participants x rules", f"{figures['participants']} x {figures['rules']}", ""),
        (
            "ballots sent",
            f"{figures['ballots_sent']:,} ({figures['ballots_sent_first']:,} first + "
            f"{figures['ballots_sent_revotes']:,} re-votes)",
            "",
        ),
        (
            "ballots stored",
            f"{figures['ballots_stored']:,}",
            f"expected {figures['ballots_expected']:,}, one each",
        ),
        ("failed requests", f"{figures['failures']}", "expected 0"),
        ("latency per vote p50", f"{lat['p50']:.1f} ms", ""),
        ("latency per vote p95", f"{lat['p95']:.1f} ms", f"goal < {GOAL_MS:.0f} ms: {goal}"),
        ("latency per vote p99", f"{lat['p99']:.1f} ms", ""),
        ("latency per vote max", f"{lat['max']:.1f} ms", ""),
        ("wall time of the voting", f"{figures['wall_s']:.2f} s", ""),
        ("throughput", f"{figures['ballots_per_s']:,.1f} ballots/s", ""),
        ("results page after the vote", f"{figures['results_page_ms']:.1f} ms", ""),
        (
            "CPU per ballot: server / clients",
            f"{figures['server_cpu_ms_per_ballot'] or 0:.1f} / "
            f"{figures['client_cpu_ms_per_ballot']:.1f} ms",
            "while voting (the clients share the cores)",
        ),
    ]
    print_table(
        f"endodecide workshop load test, {figures['timestamp']}, Python {host['python']}, "
        f"{host['cpu_count']} cores, {host['platform']}",
        rows,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--revotes", type=int, default=5, help="re-votes per participant")
    args = parser.parse_args()
    if args.participants < 1 or args.rules < 1:
        parser.error("--participants and --rules must be at least 1")
    figures, problems = run(args.participants, args.rules, args.revotes)
    _print(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**figures, "problems": problems}, indent=2) + "\n")
    print(f"figures written to {RESULTS.relative_to(ROOT)}")
    if problems:
        print("LOAD TEST FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

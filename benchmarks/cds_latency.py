"""Latency of the CDS Hooks ``patient-view`` service (not part of the test suite), under load.

    .venv/bin/python benchmarks/cds_latency.py [--clients 10] [--requests 50] [--unloaded 50]

Starts the real server (``endodecide serve``, uvicorn, a fresh SQLite file, the shipped
``rules/``) as a child process on a free localhost port. Every teaching profile in ``profiles/``
becomes a ``patient-view`` request with prefetch, as ``tests/test_cds_hooks.py`` builds them:
the profile exported as an mCODE-shaped FHIR Bundle, split into the service's prefetch keys
(the Patient by read, the rest as searchset Bundles). Each call gets a fresh hookInstance
(uuid4), so the server issues (and logs) new cards every time.

Three passes, each timing every POST (from sending the request to reading the whole answer):

- warm-up: one call per profile, one at a time. The first evaluation of a profile fills the
  server's caches, so these are the cold first calls, reported apart (median and max) and left
  out of the other figures;
- unloaded: one client, ``--unloaded`` calls one at a time, cycling over the profiles;
- loaded: ``--clients`` threads, each with its own HTTP client, released together by a barrier,
  each sending ``--requests`` calls back to back, cycling over the profiles from its own offset.

Any answer other than 200, or a body without a non-empty ``cards`` list, is a failure. Reported:
p50 / p95 / p99 / max of the loaded calls, p50 / p95 of the unloaded ones, the cold first calls,
calls/s under load and the CPU the server and the clients spent per call. The goal is the CDS
Hooks guidance (a service should answer within 500 ms): p95 under load well below it. The
clients run on the same machine as the server, so they share its cores (and the clients' GIL):
the latencies are an upper bound of what the server alone costs.

Prints a small table and writes the same figures to ``benchmarks/results/cds-latency.json``.
Exits non-zero if a call failed (a missed latency goal is reported, not failed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: ``tests.serving`` lives at the repo root
    sys.path.insert(0, str(ROOT))

from benchmarks.server_figures import cpu_seconds, machine, ms, percentiles, print_table  # noqa: E402
from endodecide.fhir.export import export_bundle  # noqa: E402
from endodecide.profile import collect_profile_files, load_profile  # noqa: E402
from endodecide.web.cds import SERVICE_ID  # noqa: E402
from tests.serving import live_server, prefetch_of  # noqa: E402

RULES = ROOT / "rules"
PROFILES = ROOT / "profiles"
RESULTS = ROOT / "benchmarks" / "results" / "cds-latency.json"
SERVICE = f"/cds-services/{SERVICE_ID}"
GOAL_MS = 500.0  # CDS Hooks guidance: a service answers within 500 ms
TIMEOUT = httpx.Timeout(60.0)  # a slow answer is a latency to measure, not a failure
HEADERS = {"content-type": "application/json"}
_INSTANCE = "00000000-0000-4000-8000-00000000cafe"  # in the template; a uuid4 replaces it per call


@dataclass(frozen=True)
class Case:
    """One teaching profile as a ``patient-view`` request body, hookInstance still to fill."""

    stem: str
    template: bytes

    def body(self) -> bytes:
        return self.template.replace(_INSTANCE.encode(), str(uuid.uuid4()).encode(), 1)


@dataclass
class Client:
    index: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per POST
    failures: list[str] = field(default_factory=list)


def _cases() -> list[Case]:
    """Every teaching profile (.yaml, .yml, .json) as a request, in file order."""
    files, problems = collect_profile_files([PROFILES])
    if problems or not files:
        raise SystemExit(f"the teaching profiles could not be listed: {problems}")
    cases: list[Case] = []
    for path in files:
        prefetch = prefetch_of(export_bundle(load_profile(path).profile))
        body = {
            "hook": "patient-view",
            "hookInstance": _INSTANCE,
            "context": {"userId": "Practitioner/teacher", "patientId": prefetch["patient"]["id"]},
            "prefetch": prefetch,
        }
        cases.append(Case(path.stem, json.dumps(body).encode()))
    return cases


def _timed_call(http: httpx.Client, me: Client, case: Case) -> None:
    """POST one ``patient-view``; the latency goes to ``me.latencies``, a failure (not 200, or
    no cards) to ``me.failures``."""
    body = case.body()  # built before the clock starts
    started = time.perf_counter()
    try:
        answer = http.post(SERVICE, content=body, headers=HEADERS)
    except httpx.HTTPError as exc:
        me.latencies.append(time.perf_counter() - started)
        me.failures.append(f"client {me.index}: {case.stem}: {type(exc).__name__}: {exc}")
        return
    me.latencies.append(time.perf_counter() - started)
    snippet = " ".join(answer.text[:300].split())[:160]
    if answer.status_code != 200:
        me.failures.append(f"client {me.index}: {case.stem}: HTTP {answer.status_code}: {snippet}")
        return
    try:
        cards = answer.json().get("cards")
    except (ValueError, AttributeError):
        cards = None
    if not isinstance(cards, list) or not cards:
        me.failures.append(f"client {me.index}: {case.stem}: no cards in {snippet}")


def _sequential(url: str, cases: list[Case], count: int) -> Client:
    """``count`` calls one at a time from one client, cycling over ``cases``."""
    me = Client(0)
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        for n in range(count):
            _timed_call(http, me, cases[n % len(cases)])
    return me


def _loaded_client(
    url: str, me: Client, cases: list[Case], requests: int, offset: int, start: threading.Barrier
) -> Client:
    """One client under load: connect, wait for everyone, send ``requests`` calls back to back."""
    try:
        with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
            http.get("/healthz")  # the connection is open before the clock starts
            start.wait(timeout=120)
            for n in range(requests):
                _timed_call(http, me, cases[(offset + n) % len(cases)])
    except BaseException:
        start.abort()  # let the others (and the clock) go on rather than wait for this one
        raise
    return me


def run(clients: int, requests: int, unloaded: int) -> dict[str, Any]:
    """The benchmark; its figures (failures listed in ``problems``)."""
    cases = _cases()
    people = [Client(i + 1) for i in range(clients)]
    with (
        tempfile.TemporaryDirectory(prefix="endodecide-cds-") as tmp,
        live_server(Path(tmp) / "cds.sqlite3", RULES, command=("serve",)) as server,
    ):
        cold = _sequential(server.url, cases, len(cases))  # one call per profile: warm-up
        quiet = _sequential(server.url, cases, unloaded)

        start = threading.Barrier(clients + 1)  # this thread starts the clock
        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [
                pool.submit(
                    _loaded_client,
                    server.url,
                    me,
                    cases,
                    requests,
                    me.index * len(cases) // clients,
                    start,
                )
                for me in people
            ]
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=180)  # if broken, a client's error shows below
            started = time.perf_counter()
            server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
            for future in futures:
                future.result()  # a client's exception is a bug here: let it show
            wall = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            server_after = cpu_seconds(server.process.pid)
            if server_cpu is not None and server_after is not None:
                server_cpu = server_after - server_cpu

    loaded = [t for me in people for t in me.latencies]
    failures = [f for me in (cold, quiet, *people) for f in me.failures]
    sent = len(loaded)
    lat = percentiles(loaded)
    return {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profiles": len(cases),
        "clients": clients,
        "requests_per_client": requests,
        "calls_loaded": sent,
        "calls_unloaded": len(quiet.latencies),
        "calls_cold": len(cold.latencies),
        "failures": len(failures),
        "latency_ms": lat,
        "unloaded_latency_ms": percentiles(quiet.latencies),
        "cold_first_call_ms": {
            "median": ms(statistics.median(cold.latencies)),
            "max": ms(max(cold.latencies)),
            "first": ms(cold.latencies[0]),  # the server's very first call
        },
        "wall_s": round(wall, 2),
        "calls_per_s": round(sent / wall, 1) if wall else 0.0,
        # CPU spent under load, per call: the server's, and this process's (the clients)
        "server_cpu_ms_per_call": ms(server_cpu / sent) if server_cpu is not None else None,
        "client_cpu_ms_per_call": ms(client_cpu / sent) if sent else None,
        "goal_p95_ms": GOAL_MS,
        "goal_met": not failures and lat["p95"] < GOAL_MS,  # failed calls measure nothing
        "machine": machine(),
        "problems": failures[:20],
    }


def _print(figures: dict[str, Any]) -> None:
    lat, quiet, cold = (
        figures["latency_ms"],
        figures["unloaded_latency_ms"],
        figures["cold_first_call_ms"],
    )
    host = figures["machine"]
    goal = "yes" if figures["goal_met"] else "NO"
    server_cpu = figures["server_cpu_ms_per_call"]
    rows = [
        (
            "clients x requests",
            f"{figures['clients']} x {figures['requests_per_client']}",
            f"over {figures['profiles']} profiles",
        ),
        ("failed requests", f"{figures['failures']}", "expected 0"),
        ("loaded p50", f"{lat['p50']:.1f} ms", ""),
        ("loaded p95", f"{lat['p95']:.1f} ms", f"goal < {GOAL_MS:.0f} ms: {goal}"),
        ("loaded p99", f"{lat['p99']:.1f} ms", ""),
        ("loaded max", f"{lat['max']:.1f} ms", ""),
        ("unloaded p50", f"{quiet['p50']:.1f} ms", f"{figures['calls_unloaded']} calls, 1 client"),
        ("unloaded p95", f"{quiet['p95']:.1f} ms", ""),
        (
            "cold first call median / max",
            f"{cold['median']:.1f} / {cold['max']:.1f} ms",
            f"warm-up, one per profile; the very first {cold['first']:.1f} ms",
        ),
        ("wall time under load", f"{figures['wall_s']:.2f} s", ""),
        ("throughput", f"{figures['calls_per_s']:,.1f} calls/s", ""),
        (
            "CPU per call: server / clients",
            f"{server_cpu if server_cpu is not None else 0:.1f} / "
            f"{figures['client_cpu_ms_per_call'] or 0:.1f} ms",
            "under load (the clients share the cores)",
        ),
    ]
    print_table(
        f"endodecide CDS Hooks patient-view latency, {figures['timestamp']}, Python "
        f"{host['python']}, {host['cpu_count']} cores, {host['platform']}",
        rows,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=50, help="calls per client")
    parser.add_argument("--unloaded", type=int, default=50, help="calls of the one-client pass")
    args = parser.parse_args()
    if args.clients < 1 or args.requests < 1 or args.unloaded < 1:
        parser.error("--clients, --requests and --unloaded must be at least 1")
    figures = run(args.clients, args.requests, args.unloaded)
    _print(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {RESULTS.relative_to(ROOT)}")
    if figures["failures"]:
        print(f"BENCHMARK FAILED: {figures['failures']} calls failed:", file=sys.stderr)
        for problem in figures["problems"]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

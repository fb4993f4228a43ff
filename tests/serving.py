"""A real workshop server for tests and benchmarks: ``endodecide workshop serve`` in a child
process on a free localhost port, ready when /healthz answers, stopped (and waited for) after."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import EXE, PROFILES, ROOT

__all__ = [
    "PREFETCH_TYPES",
    "LiveServer",
    "csrf_post",
    "free_port",
    "join_code",
    "live_server",
    "opened",
    "prefetch_of",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    output: list[str]


@contextmanager
def live_server(
    db: Path, rules: Path, port: int | None = None, command: tuple[str, ...] = ("workshop", "serve")
) -> Iterator[LiveServer]:
    """The server (``endodecide workshop serve``, or ``command``) on ``db`` and ``rules``; the
    banner it printed is in ``output``."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            str(EXE),
            *command,
            "--db",
            str(db),
            "--rules",
            str(rules),
            "--profiles",
            str(PROFILES),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(url, process, [])
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited: {process.stdout.read() if process.stdout else ''}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 60 s")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        server.output.extend(out.splitlines())


def opened(client: httpx.Client, path: str = "/") -> str:
    """GET a page (which sets the CSRF cookie) and return its HTML."""
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def csrf_post(client: httpx.Client, path: str, **data: object) -> httpx.Response:
    """POST a form as a browser would: with the CSRF token the cookie carries."""
    form = {"csrftoken": client.cookies.get("csrftoken", ""), **data}
    return client.post(path, data=form)


# How a CDS client prefetches a patient for the service's prefetch keys (endodecide.web.cds)
PREFETCH_TYPES = {
    "patient": {"Patient"},
    "conditions": {"Condition"},
    "observations": {"Observation"},
    "medications": {"MedicationRequest", "MedicationAdministration"},
}


def prefetch_of(bundle: dict[str, Any]) -> dict[str, Any]:
    """A bundle's resources split as a CDS client prefetches them: the Patient by read, the
    rest as searchset Bundles."""
    resources = [entry["resource"] for entry in bundle["entry"]]
    prefetch: dict[str, Any] = {}
    for key, types in PREFETCH_TYPES.items():
        chosen = [r for r in resources if r["resourceType"] in types]
        if key == "patient":
            (prefetch[key],) = chosen
        else:
            prefetch[key] = {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": r} for r in chosen],
            }
    return prefetch


def join_code(html: str) -> str:
    found = re.search(r'<p class="code">([A-Z0-9]+)</p>', html)
    assert found, "no join code on the page"
    return found[1]

"""Starting the workshop server under uvicorn, saying where it listens and who can reach it."""

from __future__ import annotations

import sys

import uvicorn

from endodecide.disclaimer import DISCLAIMER
from endodecide.web.app import create_app
from endodecide.web.state import Settings

__all__ = ["serve"]

_LOCAL = {"127.0.0.1", "localhost", "::1"}


def serve(settings: Settings, host: str, port: int, purpose: str = "workshop") -> None:
    """Serve until interrupted. Access logs stay off: URLs carry facilitator tokens and profile
    contents, and the CDS Hooks service logs nothing about a patient."""
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    reach = (
        "this computer only (use --host 0.0.0.0 to let others on your network connect)"
        if host in _LOCAL
        else "every device that can reach this computer on the network"
    )
    base = f"http://{shown}:{port}"
    if purpose == "cds":
        print(f"endodecide CDS Hooks service: {base}/cds-services - reachable from {reach}")
        print(f"workshop pages and playground: {base}/", flush=True)
    else:
        print(f"endodecide workshop: {base}/ - reachable from {reach}", flush=True)
    print(f"database: {_shown_url(settings.db_url)}", flush=True)
    print(DISCLAIMER, flush=True)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
    sys.stdout.flush()


def _shown_url(url: str) -> str:
    """The database URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True).removeprefix("sqlite:///")

"""The app factory: one ASGI application (FastAPI) for the workshop server and the CDS Hooks
service, its database migrated on start, its guards around it.

Middleware, outermost first: ``Guard`` (body size and type, a CSRF cookie on every form,
security headers), asgi-csrf (the form's token matches the cookie), then the routes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from endodecide import __version__
from endodecide.disclaimer import DISCLAIMER
from endodecide.web import cds, playground, workshop
from endodecide.web.db import make_engine, migrate
from endodecide.web.pages import refused_http, refused_validation
from endodecide.web.security import Guard, new_secret, with_csrf
from endodecide.web.state import ServerState, Settings
from endodecide.web.store import Store

__all__ = ["create_app"]


def create_app(settings: Settings) -> FastAPI:
    """The workshop server over ``settings.db_url`` (created and migrated if need be)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    store = Store(engine)
    secret = store.setting("csrf_secret", new_secret)
    api = FastAPI(
        title="endodecide workshop",
        version=__version__,
        description=DISCLAIMER,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api.state.server = ServerState(settings, store)
    api.include_router(workshop.router)
    api.include_router(playground.router)
    api.include_router(cds.router)
    api.add_exception_handler(HTTPException, refused_http)
    api.add_exception_handler(RequestValidationError, refused_validation)

    @api.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        state: ServerState = request.app.state.server
        return JSONResponse(
            {"status": "ok", "pack": state.base.fingerprint, "disclaimer": DISCLAIMER}
        )

    api.add_middleware(with_csrf, secret=secret)
    # CDS clients such as the CDS Hooks sandbox call from a browser page of another origin;
    # no credentials cross origins, so the workshop's cookies stay out of it.
    api.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["content-type", "authorization"],
        allow_credentials=False,
    )
    api.add_middleware(Guard, max_body=settings.max_body)
    return api

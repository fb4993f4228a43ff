"""Rendering the server's pages from the package's Jinja2 templates (``render/templates/web``),
and its refusals as pages: every page carries the disclaimer and the hypothetical-only banner.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from endodecide.disclaimer import DISCLAIMER
from endodecide.render.environment import template_environment

__all__ = ["page", "refusal", "refused_http", "refused_validation"]

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Not now",
    413: "Too large",
    415: "Unsupported form",
    422: "Please correct the form",
}


def csrf_token(request: Request) -> str:
    make = request.scope.get("csrftoken")
    return str(make()) if make is not None else ""


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = (
        template_environment("html")
        .get_template(f"web/{template}.html.j2")
        .render(**{"disclaimer": DISCLAIMER, "csrftoken": csrf_token(request), **context})
    )
    return HTMLResponse(html, status_code=status)


def refusal(
    request: Request, status: int, message: str, problems: list[str] | None = None
) -> HTMLResponse:
    return page(
        request,
        "error",
        status,
        page_title=f"{status} {_TITLES.get(status, 'Error')}",
        message=message,
        problems=problems or [],
    )


async def refused_http(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, HTTPException)
    return refusal(request, exc.status_code, str(exc.detail))


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "form")]
    return ".".join(parts) or "form"


async def refused_validation(request: Request, exc: Exception) -> HTMLResponse:
    """A form that does not validate: each field and what it allows, status 422."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        problems.append(f"{_field(tuple(error.get('loc', ())))}: {message}")
    return refusal(request, 422, "The form was not accepted; nothing was stored.", problems)

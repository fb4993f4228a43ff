"""The server's guards, outermost first: body size and type, CSRF on every form, safe headers.

``asgi-csrf`` (the middleware datasette uses) checks that a form's ``csrftoken`` field matches
its signed cookie. It lets a POST that carries no cookie at all through (nobody to
impersonate); here every form post must carry the cookie, so ``Guard`` refuses a form without
one before it reaches asgi-csrf. Guard also refuses oversize bodies (413) and content types the
app does not read (415), which asgi-csrf would otherwise try to parse.
"""

from __future__ import annotations

import html
import secrets
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from asgi_csrf import Errors, asgi_csrf

from endodecide.disclaimer import DISCLAIMER

__all__ = ["MAX_BODY", "MAX_JSON_BODY", "Guard", "error_page_bytes", "with_csrf"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 64 * 1024  # a ballot with a long comment is a few kB; a profile form smaller still
MAX_JSON_BODY = 512 * 1024  # a CDS Hooks request carries a patient's FHIR resources
FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # facilitator links carry a token: never send a page's address to another site
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    ),
]


def error_page_bytes(status: int, title: str, message: str) -> bytes:
    """A small self-contained error page (for refusals made before the app's templates)."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{status} {html.escape(title)} - endodecide workshop</title></head><body>"
        f"<p role='note'><strong>{html.escape(DISCLAIMER)}</strong></p>"
        f"<h1>{status} {html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p><a href='/'>Back to the start page</a></p></body></html>"
    ).encode()


async def _refuse(send: Send, status: int, title: str, message: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), *_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": error_page_bytes(status, title, message)})


class Guard:
    """Refuses what the app must never parse, and adds security headers to every answer."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        if scope["method"] in _UNSAFE:
            refusal = self._refusal(headers)
            if refusal:
                await _refuse(send, *refusal)
                return
            kind = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
            receive = self._limited(receive, self._limit(kind))
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, receive, send_tracked)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, 413, "Too large", "the submission is larger than allowed")
        except Exception as exc:
            # A bug. One line on stderr naming the route and the exception's type only: a
            # message or traceback could quote a hypothetical patient's data or a token.
            print(
                f"endodecide: internal error on {scope['method']} {scope['path']}: "
                f"{type(exc).__name__} (please report)",
                file=sys.stderr,
                flush=True,
            )
            if not started:
                await _refuse(send, 500, "Internal error", "something went wrong on the server")

    def _refusal(self, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        length = headers.get(b"content-length", b"0")
        if not length.isdigit():
            return 400, "Bad request", "the request's Content-Length is not a number"
        kind = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        limit = self._limit(kind)
        if int(length) > limit:
            return (413, "Too large", f"a submission may be at most {limit // 1024} kB")
        if kind not in (FORM, JSON):
            return (
                415,
                "Unsupported form",
                "this server reads only ordinary web forms (application/x-www-form-urlencoded) "
                "and JSON",
            )
        if kind == FORM and "csrftoken" not in SimpleCookie(
            headers.get(b"cookie", b"").decode("latin-1")
        ):
            return (
                403,
                "Form expired",
                "the form's security token is missing (CSRF protection): reload the page, "
                "then send the form again",
            )
        return None

    def _limit(self, kind: bytes) -> int:
        return MAX_JSON_BODY if kind == JSON else self.max_body

    def _limited(self, receive: Receive, limit: int) -> Receive:
        """``receive`` that fails a body growing past the limit (a lying Content-Length)."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            return message

        return limited


class BodyTooLarge(Exception):
    pass


async def _csrf_failed(scope: Scope, send: Send, message_id: Errors) -> None:
    del scope, message_id
    await _refuse(
        send,
        403,
        "Form expired",
        "the form's security token did not match (CSRF protection): reload the page, then "
        "send the form again",
    )


def with_csrf(app: ASGIApp, secret: str) -> ASGIApp:
    """``app`` behind asgi-csrf, signing tokens with ``secret`` (kept in the database, so
    forms opened before a restart still work after it)."""
    wrapped: ASGIApp = asgi_csrf(
        app,
        signing_secret=secret,
        send_csrf_failed=_csrf_failed,
        # JSON APIs (CDS Hooks) are called by programs without cookies; pages are forms
        skip_if_scope=lambda scope: (
            dict(scope.get("headers") or [])
            .get(b"content-type", b"")
            .split(b";", 1)[0]
            .strip()
            .lower()
            == JSON
        ),
    )
    return wrapped


def new_secret() -> str:
    return secrets.token_urlsafe(32)

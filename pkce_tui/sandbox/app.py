"""The one ASGI application: every chosen dialect mounted under its prefix, requests logged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pkce_tui.core.errors import InputError
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.cyberark import CyberArkRoutes
from pkce_tui.sandbox.dialects import DIALECTS
from pkce_tui.sandbox.form_login import FormLoginRoutes
from pkce_tui.sandbox.not_found import not_found_route
from pkce_tui.sandbox.pingone import PingOneRoutes

#: Each dialect's routes, built from the context: `ROUTES[name](ctx).routes()`.
ROUTES = {
    "cyberark": CyberArkRoutes,
    "pingone": PingOneRoutes,
    "cloudentity": partial(FormLoginRoutes, dialect=DIALECTS["cloudentity"]),
    "generic": partial(FormLoginRoutes, dialect=DIALECTS["generic"]),
}
#: CyberArk (IIS) matches these path segments in any letter case.
CYBERARK_SEGMENTS = {name.lower(): name for name in (
    "OAuth2", "Security", "Authorize", "Token", "Keys", "UserInfo", "Revoke", "EndSession",
    "StartAuthentication", "AdvanceAuthentication", "Whoami",
)}


def check_dialects(dialects: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [name for name in dialects if name not in DIALECTS]
    if unknown or not dialects:
        raise InputError(f"unknown dialect {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(DIALECTS)}")
    return dialects


def build_app(ctx: SandboxContext, dialects: tuple[str, ...],
              log: Callable[[str], None] | None = None) -> ASGIApp:
    """The Starlette app for `dialects`, wrapped in CyberArk's path folding, the answer to
    requests cut off by a stop, and the log."""
    routes = [route for name in check_dialects(dialects) for route in ROUTES[name](ctx).routes()]
    routes += [not_found_route(name) for name in dialects]  # after every served path
    app: ASGIApp = AnswerWhenStopped(NoTraceback(CyberArkPathCase(Starlette(routes=routes)), log))
    return RequestLog(app, log) if log else app


def fold_cyberark_path(path: str) -> str:
    """`/cyberark/oauth2/token/x` -> `/cyberark/OAuth2/Token/x`: IIS ignores case there."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "cyberark" or parts[2].lower() not in ("oauth2", "security"):
        return path
    parts[2:4] = [CYBERARK_SEGMENTS.get(part.lower(), part) for part in parts[2:4]]
    return "/".join(parts)


class CyberArkPathCase:
    """ASGI middleware giving CyberArk's /OAuth2/ and /Security/ paths one spelling."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": fold_cyberark_path(scope["path"])}
        await self.app(scope, receive, send)


class StatusNote:
    """An ASGI `send` that notes the response status as it passes through."""

    def __init__(self, send: Send):
        self.send = send
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


class AnswerWhenStopped:
    """ASGI middleware answering 503 for a request the server cancels as it stops.

    uvicorn cancels what still runs when its grace period ends (a client still sending its
    body); answered here, the client gets a response and the console no traceback.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = StatusNote(send)
        try:
            await self.app(scope, receive, noted)
        except asyncio.CancelledError:
            if scope["type"] != "http" or noted.status is not None:
                raise
            await PlainTextResponse("The sandbox stopped.", status_code=503)(scope, receive, send)


class NoTraceback:
    """ASGI middleware keeping an unexpected failure to a 500 and one log line naming its type.

    An exception's text may quote what the request carried (a KeyError on a refresh token
    prints the token), and a traceback on the console is a log: so neither is written.
    """

    def __init__(self, app: ASGIApp, log: Callable[[str], None] | None):
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = StatusNote(send)
        try:
            await self.app(scope, receive, noted)
        except Exception as exc:
            if scope["type"] != "http":
                raise
            if self.log is not None:
                self.log(f"internal error ({type(exc).__name__}) on {request_target(scope)}")
            if noted.status is None:
                await JSONResponse({"error": "server_error", "error_description":
                                    "the sandbox failed on this request"},
                                   status_code=500)(scope, receive, send)


def log_safe(raw: bytes) -> str:
    """`raw` as one log field: every byte outside printable ASCII, and the space, as `\\xNN`."""
    return "".join(chr(byte) if 0x20 < byte < 0x7F else f"\\x{byte:02x}" for byte in raw)


def request_target(scope: Scope) -> str:
    """The path as the client sent it, still percent-encoded, so a decoded `%0A` cannot start
    a forged line; servers that give no `raw_path` get the decoded path encoded again."""
    raw = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
    return log_safe(raw.partition(b"?")[0])


class RequestLog:
    """ASGI middleware logging one line per request: method, path as sent, status.

    Never the query string: it carries codes, states and, from careless clients, secrets.
    """

    def __init__(self, app: ASGIApp, log: Callable[[str], None]):
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        noted = StatusNote(send)
        try:
            await self.app(scope, receive, noted)
        finally:
            method = log_safe(scope["method"].encode("utf-8"))
            self.log(f"{method} {request_target(scope)} {noted.status or 500}")

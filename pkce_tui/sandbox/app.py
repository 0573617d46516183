"""The one ASGI application: every chosen dialect mounted under its prefix, requests logged."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pkce_tui.core.errors import InputError
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.cyberark import CyberArkRoutes
from pkce_tui.sandbox.dialects import DIALECTS
from pkce_tui.sandbox.form_login import FormLoginRoutes
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
    """The Starlette app for `dialects`, wrapped in CyberArk's path folding and the log."""
    routes = [route for name in check_dialects(dialects) for route in ROUTES[name](ctx).routes()]
    app: ASGIApp = CyberArkPathCase(Starlette(routes=routes))
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


class RequestLog:
    """ASGI middleware logging one line per request: method, path, status; never the query."""

    def __init__(self, app: ASGIApp, log: Callable[[str], None]):
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.log(f"{scope['method']} {scope['path']} {status}")

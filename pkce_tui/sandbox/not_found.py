"""What each provider answers for a path it does not have: a typo in the tenant URL, the app
id, the environment id, the tenant or the workspace (DIALECTS.md). A 404 in the provider's own
shape, so the tool learns to read a tenant that is not there."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox.store import new_id

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: IIS's own page for a path nothing serves [I].
IIS_NOT_FOUND = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">
<html><head><title>404 - File or directory not found.</title></head>
<body><div id="header"><h1>Server Error</h1></div>
<div id="content"><fieldset><h2>404 - File or directory not found.</h2>
<h3>The resource you are looking for might have been removed, had its name changed, or is
temporarily unavailable.</h3></fieldset></div></body></html>
"""


async def _cyberark(request: Request) -> Response:
    return HTMLResponse(IIS_NOT_FOUND, status_code=404)


async def _pingone(request: Request) -> Response:
    """PingOne's platform error for an unknown environment or path [C shape]."""
    return JSONResponse({"id": new_id(12), "code": "NOT_FOUND",
                         "message": "The requested resource was not found."}, status_code=404)


async def _cloudentity(request: Request) -> Response:
    """Cloudentity's error object for a tenant or workspace it does not have [U]."""
    return JSONResponse({"error": "not_found", "error_description": "The requested resource "
                         "could not be found.", "error_hint": "tenant or workspace not found",
                         "status_code": 404, "cause": "not_found", "details": {}},
                        status_code=404, headers={"X-Trace-ID": new_id(12)})


async def _generic(request: Request) -> Response:
    return PlainTextResponse("Not Found", status_code=404)


_HANDLERS = {"cyberark": _cyberark, "pingone": _pingone, "cloudentity": _cloudentity,
             "generic": _generic}


def not_found_route(dialect: str) -> Route:
    """The last route under a dialect's prefix: every path it does not serve, any method."""
    return Route(f"/{dialect}/{{rest:path}}", _HANDLERS[dialect], methods=ANY_METHOD)

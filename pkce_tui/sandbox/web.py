"""HTTP glue shared by the dialects: bounded request parsing, error shapes, client redirects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pkce_tui.core.http import json_within_bounds
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.oauth import OAuthError
from pkce_tui.sandbox.pages import json_error_page, message_page, oidc_error_page
from pkce_tui.sandbox.store import new_id

MAX_BODY_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
#: The generic texts a fosite-style server (Cloudentity) puts in error_description.
STANDARD_DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter, includes an invalid "
                       "parameter value, includes a parameter more than once, or is otherwise "
                       "malformed.",
    "invalid_client": "Client authentication failed (e.g., unknown client, no client "
                      "authentication included, or unsupported authentication method).",
    "invalid_grant": "The provided authorization grant (e.g., authorization code, resource "
                     "owner credentials) or refresh token is invalid, expired, revoked, does "
                     "not match the redirection URI used in the authorization request, or was "
                     "issued to another client.",
    "unsupported_grant_type": "The authorization grant type is not supported by the "
                              "authorization server.",
    "unsupported_response_type": "The authorization server does not support obtaining a "
                                 "token using this method.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "server_error": "The authorization server encountered an unexpected condition that "
                    "prevented it from fulfilling the request.",
    "login_required": "The Authorization Server requires End-User authentication.",
    "invalid_token": "The access token provided is expired, revoked, malformed, or invalid "
                     "for other reasons.",
}


async def read_body(request: Request) -> bytes:
    """The request body, refused past `MAX_BODY_BYTES` so a client cannot exhaust memory."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise OAuthError("invalid_request", "the request body is too large")
    return body


def single_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters as a dict; one sent twice is an error (RFC 6749 §3.1, §3.2)."""
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise OAuthError("invalid_request", f"parameter {name!r} was sent more than once")
        values[name] = value
    return values


def query_params(request: Request) -> dict[str, str]:
    return single_values(request.query_params.multi_items())


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (RFC 6749 §4.1.3) as single values."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    text = (await read_body(request)).decode("utf-8", "replace")
    return single_values(parse_qsl(text, keep_blank_values=True))


async def read_json_object(request: Request) -> dict | None:
    """A JSON object body, or None when the body is not one: not JSON, or nested deeper than
    any real request (a RecursionError otherwise, or later when a value is shown)."""
    try:
        data = json_within_bounds(await read_body(request))
    except OAuthError:
        return None
    return data if isinstance(data, dict) else None


def oauth_error(dialect: Dialect, err: OAuthError) -> JSONResponse:
    """An OAuth error body (RFC 6749 §5.2) in the dialect's own shape."""
    headers = dict(NO_STORE)
    if err.status == 401 and err.error == "invalid_token":
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{err}"'
    elif err.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    headers.update(err.headers)  # DPoP's challenge and nonce (RFC 9449 §7.1, §8)
    if dialect.name == "cloudentity":
        return _cloudentity_error(err, headers)
    description = err.description
    if dialect.name == "pingone" and err.cause == "unsupported_auth_method":
        description = f"Request denied: Unsupported authentication method (Correlation ID: " \
                      f"{new_id(12)})"
    body = {"error": err.error, "error_description": description}
    return JSONResponse(body, status_code=err.status, headers=headers)


def _cloudentity_error(err: OAuthError, headers: dict[str, str]) -> JSONResponse:
    body = {
        "error": err.error,
        "error_description": STANDARD_DESCRIPTIONS.get(err.error, err.description),
        "error_hint": err.description,
        "status_code": err.status,
        "cause": err.cause or err.error,
        "details": {},
    }
    headers["X-Trace-ID"] = new_id(12)
    return JSONResponse(body, status_code=err.status, headers=headers)


def redirect_to(location: str) -> Response:
    """A plain 302 Found to `location`, as every dialect but CyberArk sends it."""
    return RedirectResponse(location, status_code=302)


def authorize_error(ctx: SandboxContext, dialect: Dialect, err: OAuthError,
                    params: dict[str, str],
                    moved: Callable[[str], Response] = redirect_to) -> Response:
    """Send the error to the client through `moved` (RFC 6749 §4.1.2.1), unless the client or
    its redirect_uri is unproven: then it is answered here, since redirecting is unsafe."""
    if not err.redirect:
        return error_page(dialect, err)
    return moved(error_redirect_url(ctx, dialect, err, params["redirect_uri"],
                                    params.get("state")))


def error_page(dialect: Dialect, err: OAuthError) -> Response:
    """The page a provider shows instead of redirecting to an unproven client or redirect URI:
    Cloudentity's carries the error object in a `<pre>`, CyberArk's only words, the others
    (oidc-provider's shape) the labelled error and description."""
    if dialect.name == "cloudentity":
        return json_error_page("Something went wrong", {
            "error": err.error,
            "error_description": STANDARD_DESCRIPTIONS.get(err.error, err.description),
            "error_hint": err.description, "status_code": err.status,
            "cause": err.cause or err.error, "trace_id": new_id(12)}, err.status)
    if dialect.name == "cyberark":
        return message_page("Error", f"There was an error processing your request: "
                            f"{err.description}.", err.status)
    return oidc_error_page(err.error, err.description, err.status)


def with_query(uri: str, params: Iterable[tuple[str, str]]) -> str:
    """`uri` with `params` added to its query, keeping any query it has (RFC 6749 §4.1.2)."""
    separator = "&" if "?" in uri else "?"
    return uri + separator + urlencode(list(params))


def error_redirect_url(ctx: SandboxContext, dialect: Dialect, err: OAuthError,
                       redirect_uri: str, state: str | None) -> str:
    """The client's redirect URI carrying an authorization error (RFC 6749 §4.1.2.1)."""
    params = [("error", err.error), ("error_description", err.description)]
    if dialect.name == "cloudentity":  # the detail only in the hint, as at its token endpoint
        params = [("error", err.error),
                  ("error_description", STANDARD_DESCRIPTIONS.get(err.error, err.description)),
                  ("error_hint", err.description), ("error_cause", err.cause or err.error),
                  ("trace_id", new_id(12))]
    return with_query(redirect_uri, params + _state_and_iss(ctx, dialect, state))


def code_redirect_url(ctx: SandboxContext, dialect: Dialect, redirect_uri: str, code: str,
                      state: str | None) -> str:
    """The client's redirect URI carrying the code (RFC 6749 §4.1.2) in the dialect's form."""
    params = [*dialect.code_response_extra, ("code", code)]
    return with_query(redirect_uri, params + _state_and_iss(ctx, dialect, state))


def _state_and_iss(ctx: SandboxContext, dialect: Dialect,
                   state: str | None) -> list[tuple[str, str]]:
    params = [("state", state)] if state is not None else []
    if ctx.sends_iss(dialect):
        params.append(("iss", ctx.issuer(dialect)))  # RFC 9207 §2
    return params

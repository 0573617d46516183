"""Cloudentity and generic: authorize shows an HTML login form; signing in redirects with the
code (RFC 6749 §4.1.2), with `iss` where the dialect sends it (RFC 9207)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import check_password
from pkce_tui.sandbox.endpoints import common_routes, oauth_errors
from pkce_tui.sandbox.oauth import OAuthError, authorize_request
from pkce_tui.sandbox.pages import login_page, message_page
from pkce_tui.sandbox.web import (
    code_redirect_url,
    error_redirect_url,
    oauth_error,
    query_params,
    read_form,
)


def authorize_error(ctx: SandboxContext, dialect: Dialect, err: OAuthError,
                    params: dict[str, str]) -> Response:
    """Redirect the error to the client, unless the client or its redirect_uri is unproven."""
    if not err.redirect:
        return oauth_error(dialect, err)
    url = error_redirect_url(ctx, dialect, err, params["redirect_uri"], params.get("state"))
    return RedirectResponse(url, status_code=302)


def form_login_routes(ctx: SandboxContext, dialect: Dialect) -> list[Route]:
    """Authorize (GET) answers the login form; the form posts to `{issuer}/login`."""
    title = f"Sign in to the {dialect.name} sandbox"
    login_path = dialect.issuer_path + "/login"

    async def authorize(request: Request) -> Response:
        params = query_params(request)
        try:
            grant = authorize_request(ctx, dialect, params)
            if params.get("prompt") == "none":
                raise OAuthError("login_required", "prompt=none, but nobody is signed in")
        except OAuthError as err:
            return authorize_error(ctx, dialect, err, params)
        ctx.store.add_grant(grant)
        return login_page(title, login_path, {"request_id": grant.id})

    async def login(request: Request) -> Response:
        form = await read_form(request)
        grant = ctx.store.pending(form.get("request_id", ""))
        if grant is None or grant.dialect != dialect.name:
            return message_page("Login expired", "This login is unknown or expired; start "
                                "again from the authorization URL.", status=400)
        user = check_password(form.get("username", ""), form.get("password", ""))
        if user is None:
            return login_page(title, login_path, {"request_id": grant.id},
                              error="Wrong username or password.",
                              username=form.get("username", ""))
        code = ctx.store.issue_code(grant, user.username)
        url = code_redirect_url(ctx, dialect, grant.redirect_uri, code, grant.state)
        return RedirectResponse(url, status_code=302)

    return [
        Route(dialect.path("authorization_endpoint"), oauth_errors(dialect, authorize)),
        Route(login_path, oauth_errors(dialect, login), methods=["POST"]),
        *common_routes(ctx, dialect),
    ]

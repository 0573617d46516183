"""Cloudentity and generic: authorize shows an HTML login form; signing in redirects with the
code (RFC 6749 §4.1.2), with `iss` where the dialect sends it (RFC 9207)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pkce_tui.sandbox import pushed
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import check_password
from pkce_tui.sandbox.endpoints import CommonRoutes, oauth_errors
from pkce_tui.sandbox.oauth import OAuthError, authorize_request
from pkce_tui.sandbox.pages import login_page, message_page
from pkce_tui.sandbox.store import Grant
from pkce_tui.sandbox.web import (
    authorize_error,
    code_redirect_url,
    error_redirect_url,
    query_params,
    read_form,
    redirect_to,
)


class FormLoginRoutes:
    """Authorize (GET) answers the login form; the form posts to `{issuer}/login`."""

    def __init__(self, ctx: SandboxContext, dialect: Dialect):
        self.ctx = ctx
        self.dialect = dialect
        self.title = f"Sign in to the {dialect.name} sandbox"
        self.login_path = dialect.issuer_path + "/login"

    def routes(self) -> list[Route]:
        return [
            Route(self.dialect.path("authorization_endpoint"),
                  oauth_errors(self.dialect, self.authorize)),
            Route(self.login_path, oauth_errors(self.dialect, self.login), methods=["POST"]),
            *CommonRoutes(self.ctx, self.dialect).routes(),
        ]

    async def authorize(self, request: Request) -> Response:
        """Check the request, then ask who is signing in; prompt=none cannot be answered."""
        params = query_params(request)
        try:
            params = pushed.resolve(self.ctx, self.dialect, params)
            grant = authorize_request(self.ctx, self.dialect, params)
            if params.get("prompt") == "none":
                raise OAuthError("login_required", "prompt=none, but nobody is signed in")
        except OAuthError as err:
            return authorize_error(self.ctx, self.dialect, err, params)
        self.ctx.store.add_grant(grant)
        return self.login_form(grant)

    async def login(self, request: Request) -> Response:
        """The posted form: a right password sends the browser back to the client with a code."""
        form = await read_form(request)
        grant = self.ctx.store.pending(form.get("request_id", ""))
        if grant is None or grant.dialect != self.dialect.name:
            return message_page("Login expired", "This login is unknown or expired; start "
                                "again from the authorization URL.", status=400)
        user = check_password(form.get("username", ""), form.get("password", ""))
        if user is None:
            return self.login_form(grant, error="Wrong username or password.",
                                   username=form.get("username", ""))
        if not user.assigned:  # RFC 6749 §4.1.2.1: the resource owner's access is refused
            err = OAuthError("access_denied", f"user {user.username} is not assigned to this "
                             "application")
            return redirect_to(error_redirect_url(self.ctx, self.dialect, err,
                                                  grant.redirect_uri, grant.state))
        code = self.ctx.store.issue_code(grant, user.username)
        return redirect_to(code_redirect_url(self.ctx, self.dialect, grant.redirect_uri, code,
                                             grant.state))

    def login_form(self, grant: Grant, error: str | None = None, username: str = "") -> Response:
        """The login form for `grant`, with the error and the username after a failed try."""
        return login_page(self.title, self.login_path, {"request_id": grant.id}, error=error,
                          username=username)

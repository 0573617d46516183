"""The endpoints every dialect serves the same way: discovery, JWKS, token, userinfo, revoke."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox import dpop, logout, pushed, token_endpoint
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import PRIVATE_KEY_JWT_DIALECTS
from pkce_tui.sandbox.oauth import SUPPORTED_SCOPES, OAuthError
from pkce_tui.sandbox.web import NO_STORE, oauth_error, read_form

Handler = Callable[[Request], Awaitable[Response]]
#: The client authentication methods of the demo clients, at token and revocation alike.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def discovery_document(ctx: SandboxContext, dialect: Dialect) -> dict:
    """The OpenID Provider metadata (OIDC Discovery §3, RFC 8414 §2)."""
    return {
        "issuer": ctx.issuer(dialect),
        **{name: ctx.url(path) for name, path in dialect.endpoints},
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", *(["pi.flow"] if dialect.name == "pingone" else [])],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": list(dialect.pkce_methods),
        "token_endpoint_auth_methods_supported": auth_methods(dialect),
        "revocation_endpoint_auth_methods_supported": auth_methods(dialect),
        **({"dpop_signing_alg_values_supported": list(dpop.ALGS)}
           if dialect.name in dpop.DPOP_DIALECTS else {}),
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": ["sub", "name", "preferred_username", "email", "email_verified"],
        "authorization_response_iss_parameter_supported": ctx.sends_iss(dialect),
        **({"require_pushed_authorization_requests": False}
           if dialect.offers("pushed_authorization_request_endpoint") else {}),
    }


def auth_methods(dialect: Dialect) -> list[str]:
    """The client authentication methods the dialect's provider takes; private_key_jwt where
    it offers it (RFC 7523; not CyberArk)."""
    extra = ["private_key_jwt"] if dialect.name in PRIVATE_KEY_JWT_DIALECTS else []
    return [*AUTH_METHODS, *extra]


def discovery_path(dialect: Dialect) -> str:
    return dialect.issuer_path.rstrip("/") + "/.well-known/openid-configuration"


class CommonRoutes:
    """The endpoints whose behaviour does not depend on the provider's login."""

    def __init__(self, ctx: SandboxContext, dialect: Dialect):
        self.ctx = ctx
        self.dialect = dialect

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(discovery_document(self.ctx, self.dialect))

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.ctx.keys.jwks())

    async def token(self, request: Request) -> Response:
        form = await read_form(request)
        body = await token_endpoint.token(self.ctx, self.dialect, form,
                                          request.headers.get("authorization"),
                                          request.headers.get("dpop"))
        return JSONResponse(body, headers=NO_STORE)

    async def userinfo(self, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        return JSONResponse(token_endpoint.userinfo(self.ctx, self.dialect, authorization,
                                                    request.headers.get("dpop"),
                                                    request.method))

    async def introspect(self, request: Request) -> Response:
        form = await read_form(request)
        body = token_endpoint.introspect(self.ctx, self.dialect, form,
                                         request.headers.get("authorization"))
        return JSONResponse(body, headers=NO_STORE)

    async def par(self, request: Request) -> Response:
        form = await read_form(request)
        body = pushed.push(self.ctx, self.dialect, form, request.headers.get("authorization"))
        return JSONResponse(body, status_code=201, headers=NO_STORE)

    async def logout(self, request: Request) -> Response:
        return await logout.logout(self.ctx, self.dialect, request)

    async def revoke(self, request: Request) -> Response:
        form = await read_form(request)
        token_endpoint.revoke(self.ctx, self.dialect, form, request.headers.get("authorization"))
        return Response(status_code=200)

    def routes(self) -> list[Route]:
        return [*self.core_routes(), *self.followup_routes()]

    def followup_routes(self) -> list[Route]:
        """Introspection and logout where the provider offers them (CyberArk: neither here;
        its EndSession is its own)."""
        dialect, routes = self.dialect, []
        if dialect.offers("introspection_endpoint"):
            routes.append(Route(dialect.path("introspection_endpoint"),
                                oauth_errors(dialect, self.introspect), methods=["POST"]))
        if dialect.offers("pushed_authorization_request_endpoint"):
            routes.append(Route(dialect.path("pushed_authorization_request_endpoint"),
                                oauth_errors(dialect, self.par), methods=["POST"]))
        if dialect.offers("end_session_endpoint") and dialect.name != "cyberark":
            routes.append(Route(dialect.path("end_session_endpoint"),
                                oauth_errors(dialect, self.logout), methods=["GET", "POST"]))
        return routes

    def core_routes(self) -> list[Route]:
        dialect = self.dialect
        return [
            Route(discovery_path(dialect), self.discovery),
            Route(dialect.path("jwks_uri"), self.jwks),
            Route(dialect.path("token_endpoint"), oauth_errors(dialect, self.token),
                  methods=["POST"]),
            Route(dialect.path("userinfo_endpoint"), oauth_errors(dialect, self.userinfo),
                  methods=["GET", "POST"]),
            Route(dialect.path("revocation_endpoint"), oauth_errors(dialect, self.revoke),
                  methods=["POST"]),
        ]


def oauth_errors(dialect: Dialect, handler: Handler) -> Handler:
    """`handler` with any OAuthError it raises answered in the dialect's error shape."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as err:
            return oauth_error(dialect, err)

    return guarded

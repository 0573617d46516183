"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) as PingOne (`/as/signoff`),
Cloudentity (`/oidc/logout`) and the generic dialect serve it; CyberArk's EndSession lives in
`cyberark.py`.

The ID token hint must be one this sandbox signed for this dialect (an expired one is fine,
§2); a post-logout redirect URI is followed only when registered, and only for a client the
request names, by the hint's `aud` or by `client_id` (§3).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import clients_for, post_logout_uri_allowed
from pkce_tui.sandbox.oauth import OAuthError
from pkce_tui.sandbox.pages import message_page
from pkce_tui.sandbox.web import query_params, read_form, redirect_to, with_query


async def logout(ctx: SandboxContext, dialect: Dialect, request: Request) -> Response:
    """GET (query) or POST (form) logout: back to the post-logout URI with `state`, or a page."""
    params = await read_form(request) if request.method == "POST" else query_params(request)
    client_id = logout_client(ctx, dialect, params)
    target = params.get("post_logout_redirect_uri")
    if target is None:
        return message_page("Signed out", f"You are signed out of the {dialect.name} sandbox.",
                            status=200)
    if client_id is None:
        raise OAuthError("invalid_request", "post_logout_redirect_uri needs id_token_hint or "
                         "client_id to name the client (RP-Initiated Logout §3)")
    if not post_logout_uri_allowed(target):
        raise OAuthError("invalid_request", f"post_logout_redirect_uri {target!r} is not "
                         f"registered for client {client_id}", cause="invalid_redirect_uri",
                         target="post_logout_redirect_uri")
    state = params.get("state")
    return redirect_to(with_query(target, [("state", state)]) if state else target)


def logout_client(ctx: SandboxContext, dialect: Dialect,
                  params: Mapping[str, str]) -> str | None:
    """The client the logout names: the hint's audience, which `client_id` must not contradict."""
    client_id = params.get("client_id")
    hint = params.get("id_token_hint")
    if hint:
        audience = _hint_audience(ctx, dialect, hint)
        if client_id and client_id != audience:
            raise OAuthError("invalid_request", f"client_id {client_id!r} is not the "
                             f"id_token_hint's audience {audience!r}")
        client_id = audience
    if client_id is not None and client_id not in clients_for(dialect.name):
        raise OAuthError("invalid_client", f"unknown client_id {client_id!r}")
    return client_id


def _hint_audience(ctx: SandboxContext, dialect: Dialect, hint: str) -> str:
    """The `aud` of an ID token this sandbox signed for this dialect; anything else is refused."""
    from joserfc import jwt  # JOSE loads when first used, not with the sandbox
    from joserfc.errors import JoseError

    try:
        token = jwt.decode(hint, ctx.keys.current)
    except (JoseError, ValueError) as exc:
        raise OAuthError("invalid_request", f"id_token_hint is not an ID token signed by this "
                         f"provider ({exc})") from None
    claims = token.claims
    if claims.get("iss") != ctx.issuer(dialect):
        raise OAuthError("invalid_request", "id_token_hint was issued by another issuer")
    audience = claims.get("aud")
    return audience[0] if isinstance(audience, list) and audience else str(audience)

"""Pushed authorization requests (RFC 9126) where the provider offers them: PingOne
(`/as/par`), Cloudentity (`/par`, 201) and generic. The push is checked like an authorization
request and kept under a one-time `request_uri` that authorize then resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import clients_for
from pkce_tui.sandbox.faults import parse_faults
from pkce_tui.sandbox.oauth import OAuthError, authenticate_client, authorize_request
from pkce_tui.sandbox.store import new_id

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 §2.2
PAR_LIFETIME = 60
CLIENT_AUTH_FIELDS = ("client_secret", "client_assertion", "client_assertion_type")


@dataclass(frozen=True)
class PushedRequest:
    dialect: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    created_at: float


def push(ctx: SandboxContext, dialect: Dialect, form: Mapping[str, str],
         authorization: str | None) -> dict:
    """Check the pushed request (RFC 9126 §2.1) and answer its request_uri (§2.2)."""
    client = authenticate_client(dialect, form, authorization, ctx)
    params = {k: v for k, v in form.items() if k not in CLIENT_AUTH_FIELDS}
    params["client_id"] = client.client_id
    if "request_uri" in params:
        raise OAuthError("invalid_request", "request_uri must not be pushed (RFC 9126 §2.1)")
    authorize_request(ctx, dialect, params)
    created = ctx.store.clock()
    if "request_uri_expired" in parse_faults(params.get("sandbox_fault")):
        created -= PAR_LIFETIME + 1
    request_uri = REQUEST_URI_PREFIX + new_id()
    ctx.store.add_pushed(request_uri, PushedRequest(dialect.name, client.client_id,
                                                    tuple(params.items()), created))
    return {"request_uri": request_uri, "expires_in": PAR_LIFETIME}


def resolve(ctx: SandboxContext, dialect: Dialect, params: dict[str, str]) -> dict[str, str]:
    """The authorization request's parameters: the pushed ones for a `request_uri` (used
    once, RFC 9126 §4), else the query's, unless the client must push (§6)."""
    request_uri = params.get("request_uri")
    if request_uri is None:
        client = clients_for(dialect.name).get(params.get("client_id", ""))
        if client is not None and client.par_required:
            raise OAuthError("invalid_request", f"client {client.client_id} must use pushed "
                             "authorization requests (require_pushed_authorization_requests)",
                             redirect=False, cause="par_required")
        return params
    pushed = ctx.store.pushed.pop(request_uri, None)
    if pushed is None or pushed.dialect != dialect.name:
        raise OAuthError("invalid_request_uri", "the request_uri is unknown or was already "
                         "used", redirect=False, cause="invalid_request_uri")
    if params.get("client_id") != pushed.client_id:
        raise OAuthError("invalid_request_uri", "client_id differs from the pushed request's",
                         redirect=False, cause="invalid_request_uri")
    if ctx.store.clock() - pushed.created_at > PAR_LIFETIME:
        raise OAuthError("invalid_request_uri", f"the request_uri has expired (it lives "
                         f"{PAR_LIFETIME} s)", redirect=False, cause="invalid_request_uri")
    return dict(pushed.params)

"""The token endpoint (RFC 6749 §3.2, §4.1.3, §6), userinfo (OIDC Core §5.3) and revocation
(RFC 7009), with the token faults applied in between."""

from __future__ import annotations

from collections.abc import Mapping

from pkce_tui.sandbox import dpop
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import Client
from pkce_tui.sandbox.oauth import (
    OAuthError,
    authenticate_client,
    check_verifier_format,
    verify_pkce,
)
from pkce_tui.sandbox.store import Grant
from pkce_tui.sandbox.tokens import access_token, id_token, user_claims


async def token(ctx: SandboxContext, dialect: Dialect, form: Mapping[str, str],
                authorization: str | None, proof: str | None = None) -> dict:
    """Answer a token request with the token response body (RFC 6749 §5.1) or an OAuthError;
    a DPoP `proof` binds the tokens to its key where the dialect offers DPoP (RFC 9449 §5)."""
    client = authenticate_client(dialect, form, authorization, ctx)
    grant_type = _required(form, "grant_type")
    url = ctx.url(dialect.path("token_endpoint"))
    if grant_type == "authorization_code":
        grant = _grant_for_code(ctx, dialect, client, form)
        jkt = dpop.token_proof(ctx, dialect, proof, grant, url)
        await _apply_faults(ctx, client, grant)
        if not grant.code_used:
            grant.dpop_jkt = jkt
        return _redeem_code(ctx, dialect, grant, form)
    if grant_type == "refresh_token":
        grant = _grant_for_refresh(ctx, dialect, client, form)
        dpop.token_proof(ctx, dialect, proof, grant, url)
        await _apply_faults(ctx, client, grant)
        return _refresh(ctx, dialect, grant, form)
    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


def _grant_for_code(ctx: SandboxContext, dialect: Dialect, client: Client,
                    form: Mapping[str, str]) -> Grant:
    grant = ctx.store.grant_for_code(_required(form, "code"))
    return _client_grant(grant, dialect, client, "the authorization code",
                         "the authorization code is unknown")


def _grant_for_refresh(ctx: SandboxContext, dialect: Dialect, client: Client,
                       form: Mapping[str, str]) -> Grant:
    grant = ctx.store.grant_for_refresh_token(_required(form, "refresh_token"))
    return _client_grant(grant, dialect, client, "the refresh token",
                         "the refresh token is unknown, rotated away or revoked")


def _required(form: Mapping[str, str], name: str) -> str:
    """The parameter `name`, which must be present and not empty (RFC 6749 §5.2)."""
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"{name} is missing")
    return value


def _client_grant(grant: Grant | None, dialect: Dialect, client: Client, credential: str,
                  unknown: str) -> Grant:
    """The grant behind a code or refresh token, if it is this dialect's and this client's."""
    if grant is None or grant.dialect != dialect.name:
        raise OAuthError("invalid_grant", unknown)
    if grant.client_id != client.client_id:
        raise OAuthError("invalid_grant", f"{credential} was issued to another client")
    return grant


async def _apply_faults(ctx: SandboxContext, client: Client, grant: Grant) -> None:
    """slow_token, token_500 and invalid_grant_once, in that order, when switched on.

    slow_token's wait ends early with a 503 when the sandbox stops, so stopping is prompt.
    """
    faults = ctx.faults_for(client.client_id, grant)
    if "slow_token" in faults and not await ctx.pause(grant.delay):
        raise OAuthError("temporarily_unavailable", "the sandbox is stopping; the slow_token "
                         "wait was cut short", status=503)
    if "token_500" in faults:
        raise OAuthError("server_error", "the token endpoint failed (sandbox fault token_500)",
                         status=500)
    if "invalid_grant_once" in faults and not grant.refused_once:
        grant.refused_once = True
        raise OAuthError("invalid_grant", "refused once on purpose (sandbox fault "
                         "invalid_grant_once); the same request will work if sent again")


def _redeem_code(ctx: SandboxContext, dialect: Dialect, grant: Grant,
                 form: Mapping[str, str]) -> dict:
    """Exchange the code once (RFC 6749 §4.1.3); a reused code revokes the grant's tokens."""
    if grant.code_used:
        ctx.store.revoke_grant(grant)
        raise OAuthError("invalid_grant", "the authorization code was already used; the tokens "
                         "issued from it are now revoked (RFC 6749 §4.1.2)", cause="code_reused")
    if ctx.store.code_expired(grant):
        raise OAuthError("invalid_grant", "the authorization code expired (codes live 60 s)")
    check_verifier_format(dialect, form.get("code_verifier"))
    if form.get("redirect_uri") != grant.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the one in the "
                         "authorization request (RFC 6749 §4.1.3)", cause="invalid_redirect_uri")
    verify_pkce(grant, form.get("code_verifier"))
    grant.code_used = True
    return _token_response(ctx, dialect, grant, ctx.store.add_refresh_token(grant))


def _refresh(ctx: SandboxContext, dialect: Dialect, grant: Grant,
             form: Mapping[str, str]) -> dict:
    """Refresh (RFC 6749 §6): rotating dialects swap the refresh token, CyberArk keeps it."""
    requested = form.get("scope")
    if requested and not set(requested.split()) <= set(grant.scope.split()):
        raise OAuthError("invalid_scope", "a refresh may not widen the granted scope "
                         f"({grant.scope!r})")
    if ctx.store.grant_for_refresh_token(form["refresh_token"]) is None:
        # another refresh of the same token won while this one waited (slow_token), or the
        # grant was revoked: the token is spent, as a real provider says (RFC 6749 §5.2)
        raise OAuthError("invalid_grant", "the refresh token is unknown, rotated away or "
                         "revoked")
    new_refresh = None
    if dialect.rotates_refresh_tokens:
        del ctx.store.refresh_tokens[form["refresh_token"]]  # no await since the check above
        new_refresh = ctx.store.add_refresh_token(grant)
    return _token_response(ctx, dialect, grant, new_refresh)


def _token_response(ctx: SandboxContext, dialect: Dialect, grant: Grant,
                    refresh_token: str | None) -> dict:
    access = access_token(ctx, dialect, grant)
    ctx.store.add_access_token(access, grant, dialect.expires_in)
    body = {"access_token": access, "token_type": "DPoP" if grant.dpop_jkt else dialect.token_type,
            "expires_in": dialect.expires_in, "scope": grant.scope}
    if "openid" in grant.scope.split():
        faults = ctx.faults_for(grant.client_id, grant)
        body["id_token"] = id_token(ctx, dialect, grant, access, faults)
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return body


def bearer_token(authorization: str | None, schemes: tuple[str, ...] = ("bearer",)) -> str:
    """The token of an `Authorization: Bearer` header (RFC 6750 §2.1), or of the other
    `schemes` allowed (DPoP, RFC 9449 §7.1)."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() not in schemes or not value.strip():
        raise OAuthError("invalid_token", "an Authorization: Bearer access token is required",
                         status=401)
    return value.strip()


def userinfo(ctx: SandboxContext, dialect: Dialect, authorization: str | None,
             proof: str | None = None, method: str = "GET") -> dict:
    """The user's claims for a live access token of this dialect (OIDC Core §5.3); a
    DPoP-bound token only with its proof (RFC 9449 §7.1)."""
    token_value = bearer_token(authorization, ("bearer", "dpop"))
    grant = ctx.store.grant_for_access_token(token_value)
    if grant is None or grant.dialect != dialect.name:
        raise OAuthError("invalid_token", "the access token is unknown, expired or revoked",
                         status=401)
    scheme = (authorization or "").partition(" ")[0].lower()
    dpop.resource_proof(ctx, grant, scheme, proof, method,
                        ctx.url(dialect.path("userinfo_endpoint")), token_value)
    return user_claims(grant)


def revoke(ctx: SandboxContext, dialect: Dialect, form: Mapping[str, str],
           authorization: str | None) -> None:
    """Revoke a token (RFC 7009 §2.1); an unknown token is not an error (§2.2)."""
    client = authenticate_client(dialect, form, authorization, ctx)
    value = _required(form, "token")
    refresh_grant = ctx.store.grant_for_refresh_token(value)
    if refresh_grant is not None and refresh_grant.client_id == client.client_id:
        ctx.store.revoke_grant(refresh_grant)
    record = ctx.store.access_tokens.get(value)
    owner = ctx.store.grants.get(record.grant_id) if record else None
    if owner is not None and owner.client_id == client.client_id:
        del ctx.store.access_tokens[value]


def introspect(ctx: SandboxContext, dialect: Dialect, form: Mapping[str, str],
               authorization: str | None) -> dict:
    """Token introspection (RFC 7662 §2.2): the client authenticates; a token that is unknown,
    expired, revoked or another client's is just `{"active": false}`."""
    client = authenticate_client(dialect, form, authorization, ctx)
    value = _required(form, "token")
    access_grant = ctx.store.grant_for_access_token(value)
    if access_grant is not None and access_grant.client_id == client.client_id:
        record = ctx.store.access_tokens[value]
        return {**_introspected(ctx, dialect, access_grant), "token_type": "Bearer",
                "exp": int(record.expires_at)}
    refresh_grant = ctx.store.grant_for_refresh_token(value)
    if refresh_grant is not None and refresh_grant.client_id == client.client_id:
        return {**_introspected(ctx, dialect, refresh_grant), "token_type": "refresh_token"}
    return {"active": False}


def _introspected(ctx: SandboxContext, dialect: Dialect, grant: Grant) -> dict:
    return {"active": True, "client_id": grant.client_id, "scope": grant.scope,
            "sub": grant.user, "username": grant.user, "aud": grant.client_id,
            "iss": ctx.issuer(dialect)}

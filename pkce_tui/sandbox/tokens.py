"""The tokens a grant yields: a JWT access token, an OIDC ID token, and the faults' variants."""

from __future__ import annotations

import hashlib

from pkce_tui.core.pkce import base64url
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import USERS
from pkce_tui.sandbox.store import Grant, new_id

ID_TOKEN_LIFETIME = 3600
EXPIRED_BY = 3600  # expired_id_token: exp this far in the past, beyond any sane leeway
WRONG_ISSUER = "https://wrong-issuer.example.test"
WRONG_AUDIENCE = "some-other-client"


def at_hash(access_token: str) -> str:
    """Left half of SHA-256 of the access token, base64url (OIDC Core §3.1.3.6, RS256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64url(digest[: len(digest) // 2])


def user_claims(grant: Grant) -> dict:
    """The user's claims the granted scopes release (OIDC Core §5.4)."""
    user = USERS[grant.user or ""]
    scopes = grant.scope.split()
    claims: dict = {"sub": user.username}
    if "profile" in scopes:
        claims.update(name=user.name, preferred_username=user.username)
    if "email" in scopes:
        claims.update(email=user.email, email_verified=True)
    return claims


def access_token(ctx: SandboxContext, dialect: Dialect, grant: Grant) -> str:
    """A signed JWT access token (RFC 9068: `typ` at+jwt) whose audience is the client."""
    now = int(ctx.store.clock())
    claims = {
        "iss": ctx.issuer(dialect), "sub": grant.user, "aud": grant.client_id,
        "client_id": grant.client_id, "scope": grant.scope,
        "iat": now, "exp": now + dialect.expires_in, "jti": new_id(16),
    }
    if grant.dpop_jkt:
        claims["cnf"] = {"jkt": grant.dpop_jkt}  # RFC 9449 §6.1
    return ctx.keys.sign(claims, typ="at+jwt")


def id_token(ctx: SandboxContext, dialect: Dialect, grant: Grant, access: str,
             faults: frozenset[str]) -> str:
    """The OIDC ID token (OIDC Core §2), bent by whichever ID-token faults are on."""
    issued_at = int(ctx.store.clock())
    if "expired_id_token" in faults:
        issued_at -= ID_TOKEN_LIFETIME + EXPIRED_BY
    claims = {
        **user_claims(grant),
        "iss": WRONG_ISSUER if "wrong_iss" in faults else ctx.issuer(dialect),
        "aud": WRONG_AUDIENCE if "wrong_aud" in faults else grant.client_id,
        "azp": grant.client_id,
        "iat": issued_at, "exp": issued_at + ID_TOKEN_LIFETIME,
        "auth_time": grant.auth_time, "at_hash": at_hash(access),
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    if "missing_sub" in faults:
        del claims["sub"]
    return ctx.keys.sign(claims, faults)

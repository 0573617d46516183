"""private_key_jwt at the sandbox (RFC 7523 §3, OIDC Core §9): the client's assertion checked
the way a careful server checks it, each refusal saying which rule it broke, so the tool's
diagnosis has the server's words to read.

Audience: the token endpoint or the issuer, except in PingOne, which is taken to accept only
the token endpoint [U] so the "token endpoint vs issuer" mistake can be tried.
"""

from __future__ import annotations

from collections.abc import Mapping

from pkce_tui.core.errors import InputError
from pkce_tui.core.jwt import decode
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.oauth import OAuthError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion_client_id(form: Mapping[str, str]) -> str | None:
    """The client an assertion names (its `sub`, RFC 7523 §3 item 2), read unverified; the
    form's client_id when the assertion cannot be read."""
    try:
        sub = decode(form.get("client_assertion", ""))[1].get("sub")
    except InputError:
        return form.get("client_id")
    return str(sub) if sub is not None else form.get("client_id")


def verify_assertion(ctx: SandboxContext, dialect: Dialect, client_id: str, jwks: dict,
                     assertion: str) -> None:
    """Check the assertion or raise invalid_client naming the broken rule."""
    from joserfc import jwt  # JOSE loads with the first assertion, not with the sandbox
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(jwks)
    header = _header(assertion)
    kid = header.get("kid")
    if kid is not None and all(key.kid != kid for key in keys):
        raise _refused(f"the client assertion's kid {kid!r} is not a key registered for "
                       f"client {client_id}", "unknown_kid")
    try:
        token = jwt.decode(assertion, keys, algorithms=[str(header.get("alg"))])
    except (JoseError, ValueError) as exc:
        raise _refused(f"the client assertion's signature does not verify with the keys "
                       f"registered for client {client_id} ({exc})", "invalid_signature") \
            from None
    _check_claims(ctx, dialect, client_id, token.claims)


def _header(assertion: str) -> dict:
    try:
        return decode(assertion)[0]
    except InputError as exc:
        raise _refused(f"the client assertion is not a JWT ({exc})", "invalid_assertion") \
            from None


def _check_claims(ctx: SandboxContext, dialect: Dialect, client_id: str, claims: dict) -> None:
    """iss = sub = client, aud names this server, not expired, jti never seen (RFC 7523 §3)."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise _refused("the client assertion's iss and sub must both be the client_id",
                       "invalid_assertion")
    accepted = _audiences(ctx, dialect)
    audience = claims.get("aud")
    named = audience if isinstance(audience, list) else [audience]
    if not any(value in accepted for value in named):
        raise _refused(f"the client assertion's aud {audience!r} is not "
                       f"{' or '.join(accepted)}", "invalid_audience")
    exp = claims.get("exp")
    now = ctx.store.clock()
    if not isinstance(exp, int | float) or exp <= now:
        raise _refused(f"the client assertion has expired (exp {exp!r}, now {int(now)})",
                       "assertion_expired")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise _refused("the client assertion has no jti", "invalid_assertion")
    if not ctx.store.remember_jti(f"{dialect.name}:{client_id}:{jti}", exp):
        raise _refused("the client assertion's jti was already used: an assertion is good "
                       "for one request (replay)", "jti_reused")


def _audiences(ctx: SandboxContext, dialect: Dialect) -> list[str]:
    token_endpoint = ctx.url(dialect.path("token_endpoint"))
    return [token_endpoint] if dialect.name == "pingone" else [token_endpoint,
                                                                ctx.issuer(dialect)]


def _refused(description: str, cause: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401, cause=cause)

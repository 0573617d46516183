"""DPoP (RFC 9449) at the sandbox, where the provider offers it (Cloudentity, and generic):
proofs checked rule by rule, tokens bound to the proof's key (`cnf.jkt`, token_type DPoP),
a nonce demanded at the generic token endpoint (§8) to teach the challenge, and userinfo
refusing a bound token sent without its proof (§7.1).
"""

from __future__ import annotations

import base64
import hashlib

from pkce_tui.core.errors import InputError
from pkce_tui.core.jwt import decode
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import DPOP_DIALECTS, clients_for
from pkce_tui.sandbox.oauth import OAuthError
from pkce_tui.sandbox.store import Grant

NONCE_DIALECTS = ("generic",)
ALGS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")
MAX_AGE_S = 300
_KEY_TYPES = ("EC", "RSA", "OKP")


def token_proof(ctx: SandboxContext, dialect: Dialect, proof: str | None, grant: Grant,
                url: str) -> str | None:
    """The key thumbprint a token request proves (RFC 9449 §5), or None without DPoP.
    A grant already bound needs a proof by the same key (§5, refresh)."""
    if dialect.name not in DPOP_DIALECTS:
        return None
    if proof is None:
        client = clients_for(dialect.name).get(grant.client_id)
        if client is not None and client.dpop_required:
            raise OAuthError("invalid_dpop_proof", f"client {client.client_id} must send a "
                             "DPoP proof (dpop_bound_access_tokens, RFC 9449 §5.2)",
                             cause="dpop_missing")
        if grant.dpop_jkt:
            raise OAuthError("invalid_dpop_proof", "the tokens are DPoP-bound: the refresh "
                             "request needs a DPoP proof by the same key", cause="dpop_missing")
        return None
    nonce = ctx.dpop_nonce if dialect.name in NONCE_DIALECTS else None
    jkt = verify_proof(ctx, proof, "POST", url, nonce=nonce, status=400)
    if grant.dpop_jkt and jkt != grant.dpop_jkt:
        raise OAuthError("invalid_dpop_proof", "the DPoP proof is signed by another key than "
                         "the one the tokens are bound to", cause="dpop_key_mismatch")
    return jkt


def resource_proof(ctx: SandboxContext, grant: Grant, scheme: str, proof: str | None,
                   method: str, url: str, access_token: str) -> None:
    """A bound token must come as `Authorization: DPoP` with a proof by its key holding
    `ath` (RFC 9449 §7.1); an unbound one as Bearer."""
    if not grant.dpop_jkt:
        return
    if scheme != "dpop" or proof is None:
        raise _resource_error("invalid_token", "the access token is DPoP-bound: send it as "
                              "Authorization: DPoP with a DPoP proof (RFC 9449 §7.1)")
    jkt = verify_proof(ctx, proof, method, url, access_token=access_token, status=401)
    if jkt != grant.dpop_jkt:
        raise _resource_error("invalid_dpop_proof", "the DPoP proof is signed by another key "
                              "than the one the access token is bound to (cnf.jkt)")


def verify_proof(ctx: SandboxContext, proof: str, method: str, url: str, *, status: int,
                 nonce: str | None = None, access_token: str | None = None) -> str:
    """Check a proof (RFC 9449 §4.3) and return its key's thumbprint."""
    from joserfc import jwt  # JOSE loads with the first proof, not with the sandbox
    from joserfc.errors import JoseError

    try:
        header, claims = decode(proof)
    except InputError as exc:
        raise _proof_error(f"the DPoP proof is not a JWT ({exc})", status) from None
    key = _proof_key(header, status)
    try:
        jwt.decode(proof, key, algorithms=[str(header.get("alg"))])
    except (JoseError, ValueError):
        raise _proof_error("the DPoP proof's signature does not verify with its jwk",
                           status) from None
    _check_claims(ctx, claims, method, url, status, nonce, access_token)
    return key.thumbprint()


def _proof_key(header: dict, status: int):
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey, OKPKey, RSAKey

    if header.get("typ") != "dpop+jwt":
        raise _proof_error(f"the DPoP proof's typ is {header.get('typ')!r}, not dpop+jwt",
                           status)
    if header.get("alg") not in ALGS:
        raise _proof_error(f"the DPoP proof's alg {header.get('alg')!r} is not allowed", status)
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or "d" in jwk or jwk.get("kty") not in _KEY_TYPES:
        raise _proof_error("the DPoP proof's jwk is missing or not a public key", status)
    try:
        key_type = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}[jwk["kty"]]
        return key_type.import_key(jwk)
    except (JoseError, ValueError, KeyError):
        raise _proof_error("the DPoP proof's jwk cannot be read", status) from None


def _check_claims(ctx: SandboxContext, claims: dict, method: str, url: str, status: int,
                  nonce: str | None, access_token: str | None) -> None:
    """htm, htu, iat, jti, then nonce and ath (RFC 9449 §4.3 items 8-12)."""
    if claims.get("htm") != method:
        raise _proof_error(f"the DPoP proof's htm {claims.get('htm')!r} is not {method}", status)
    if claims.get("htu") != url:
        raise _proof_error(f"the DPoP proof's htu {claims.get('htu')!r} is not {url}", status)
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or abs(ctx.store.clock() - iat) > MAX_AGE_S:
        raise _proof_error("the DPoP proof's iat is missing or too far from now", status)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not ctx.store.remember_jti(f"dpop:{jti}",
                                                              iat + MAX_AGE_S):
        raise _proof_error("the DPoP proof's jti is missing or was used before", status)
    if nonce is not None and claims.get("nonce") != nonce:
        raise OAuthError("use_dpop_nonce", "the authorization server requires a DPoP nonce "
                         "in the proof (RFC 9449 §8)", status=status, cause="dpop_nonce",
                         headers={"DPoP-Nonce": nonce})
    if access_token is not None and claims.get("ath") != _ath(access_token):
        raise _proof_error("the DPoP proof's ath is not the hash of this access token", status)


def _ath(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _proof_error(description: str, status: int) -> OAuthError:
    if status == 401:
        return _resource_error("invalid_dpop_proof", description)
    return OAuthError("invalid_dpop_proof", description, status=status, cause="invalid_dpop")


def _resource_error(error: str, description: str) -> OAuthError:
    challenge = f'DPoP error="{error}", error_description="{description}", algs="ES256 RS256"'
    return OAuthError(error, description, status=401, cause=error,
                      headers={"WWW-Authenticate": challenge})

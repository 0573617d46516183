"""private_key_jwt client authentication (RFC 7523 §2.2, §3; OIDC Core §9): a JWT the
client signs with its own key, sent as `client_assertion` in place of a secret.

The key comes from a PEM or JWK file the profile names; joserfc reads and signs. Each request
gets a fresh assertion (a new `jti`, RFC 7523 §3 item 7), so a replayed one is the user's
doing, never the tool's.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from pkce_tui.core.errors import InputError
from pkce_tui.core.jwt import decode

LIFETIME_S = 60
MAX_KEY_BYTES = 100_000
_KEY_TYPES = (RSAKey, ECKey, OKPKey)
_EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}


@dataclass(frozen=True)
class ClientKey:
    """The client's private signing key, the algorithm it signs with, and the kid to name."""

    key: RSAKey | ECKey | OKPKey
    alg: str
    kid: str | None


def load_client_key(path: str, kid: str | None = None) -> ClientKey:
    """The private key in `path` (PEM, or a JWK as JSON); an unreadable or public-only key
    is an InputError naming the file. `kid` overrides the key's own kid."""
    try:
        data = Path(path).read_bytes()[:MAX_KEY_BYTES]
    except OSError as exc:
        raise InputError(f"--client-key {path}: cannot read it ({exc.strerror})") from exc
    key = _import_key(data, path)
    if not key.is_private:
        raise InputError(f"--client-key {path}: holds a public key; private_key_jwt signs "
                         "with the private key")
    return ClientKey(key, _algorithm(key), kid or key.kid)


def _import_key(data: bytes, path: str) -> RSAKey | ECKey | OKPKey:
    """A JWK (JSON object) or a PEM key of any type joserfc signs with."""
    value: object = data
    if data.lstrip().startswith(b"{"):
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise InputError(f"--client-key {path}: not valid JSON ({exc})") from exc
        if isinstance(value, dict) and isinstance(value.get("keys"), list) and value["keys"]:
            value = value["keys"][0]  # a JWK Set: its first key
    for key_type in _KEY_TYPES:
        try:
            return key_type.import_key(value)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError):
            continue
    raise InputError(f"--client-key {path}: not an RSA, EC or OKP key in PEM or JWK form")


def _algorithm(key: RSAKey | ECKey | OKPKey) -> str:
    """The key's own `alg`, else the usual one for its type (RFC 7518 §3.1, RFC 8037 §3.1)."""
    named = key.get("alg")
    if isinstance(named, str) and named:
        return named
    if isinstance(key, RSAKey):
        return "RS256"
    if isinstance(key, ECKey):
        return _EC_ALGS.get(str(key.get("crv")), "ES256")
    return "EdDSA"


def make_assertion(client_key: ClientKey, client_id: str, audience: str, now: float,
                   lifetime: int = LIFETIME_S) -> str:
    """A signed client assertion: iss and sub the client, aud the token endpoint, a fresh
    jti, iat and exp (RFC 7523 §3; OIDC Core §9)."""
    header = {"alg": client_key.alg, "typ": "JWT"}
    if client_key.kid:
        header["kid"] = client_key.kid
    claims = {"iss": client_id, "sub": client_id, "aud": audience,
              "jti": secrets.token_urlsafe(16), "iat": int(now), "exp": int(now) + lifetime}
    try:
        return jwt.encode(header, claims, client_key.key, algorithms=[client_key.alg])
    except (JoseError, ValueError) as exc:
        raise InputError(f"cannot sign the client assertion with {client_key.alg}: {exc}") \
            from exc


def decoded_assertion(form: tuple[tuple[str, str], ...] | None) -> dict | None:
    """`{"header", "payload"}` of the form's client_assertion, for display; None if none."""
    assertion = dict(form or ()).get("client_assertion")
    if not assertion:
        return None
    try:
        header, payload = decode(assertion)
    except InputError:
        return {"header": None, "payload": None}
    return {"header": header, "payload": payload}


def client_auth_for(state, clock, *, method: str | None = None,
                    secret: str | None = None):
    """The client's authentication for one request: the configured (or overridden) method,
    with a fresh assertion signed now when it is private_key_jwt (aud: the token endpoint,
    OIDC Core §9)."""
    from pkce_tui.core.token import ClientAuth

    c = state.config
    method = method or c.auth_method
    if method != "private_key_jwt":
        return ClientAuth(c.client_id, method, secret if secret is not None else c.client_secret)
    if not c.client_key:
        raise InputError("client auth method private_key_jwt needs a key: --client-key FILE")
    key = load_client_key(c.client_key, c.client_key_kid)
    audience = state.value("discovery").token_endpoint
    return ClientAuth(c.client_id, method, assertion=make_assertion(key, c.client_id, audience,
                                                                    clock()))

"""DPoP (RFC 9449): a key pair for the flow, a signed proof on each request that uses or gets
a token, the server's nonce answered once, and the binding (`cnf.jkt`) checked.

Proofs are built as values; `send_with_proof` is the one place that sends them, so a
`use_dpop_nonce` challenge (§8, §9) is answered the same way at every endpoint.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import ECKey

from pkce_tui.core.client import send
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.jwt import decode
from pkce_tui.core.pkce import base64url

ALG = "ES256"


@dataclass(frozen=True)
class DpopKey:
    """The flow's proof-of-possession key (RFC 9449 §2): private, never shown or saved."""

    key: ECKey

    @property
    def jkt(self) -> str:
        """The JWK SHA-256 thumbprint that `cnf.jkt` must carry (RFC 9449 §6.1, RFC 7638)."""
        return self.key.thumbprint()


def new_key() -> DpopKey:
    return DpopKey(ECKey.generate_key("P-256"))


def htu(url: str) -> str:
    """The target URI without query and fragment (RFC 9449 §4.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def ath(access_token: str) -> str:
    """base64url(SHA-256(access token)), binding a proof to the token it goes with (§4.2)."""
    return base64url(hashlib.sha256(access_token.encode("ascii")).digest())


def make_proof(key: DpopKey, method: str, url: str, now: float, *, nonce: str | None = None,
               access_token: str | None = None) -> str:
    """A DPoP proof JWT (RFC 9449 §4.2): typ dpop+jwt, the public key, jti, htm, htu, iat."""
    header = {"typ": "dpop+jwt", "alg": ALG, "jwk": key.key.as_dict(private=False)}
    claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": htu(url), "iat": int(now)}
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = ath(access_token)
    return jwt.encode(header, claims, key.key, algorithms=[ALG])


def shown(proof: str) -> dict:
    """`{"header", "payload"}` of a proof, for display (the public key is no secret)."""
    header, payload = decode(proof)
    return {"header": header, "payload": payload}


def nonce_demanded(response: HttpResponse) -> str | None:
    """The `DPoP-Nonce` the server asks for (RFC 9449 §8 at the token endpoint, §9 at a
    resource server), or None when it asks for none."""
    nonce = response.header("DPoP-Nonce")
    if not nonce:
        return None
    body = response.json() or {}
    challenge = response.header("WWW-Authenticate") or ""
    if body.get("error") == "use_dpop_nonce" or "use_dpop_nonce" in challenge:
        return nonce
    return None


@dataclass(frozen=True)
class ProofSent:
    """What a DPoP request ended with: the request and response kept, the proof decoded, the
    nonce answered (if asked for) and the earlier, refused attempt."""

    request: HttpRequest
    response: HttpResponse
    proof: dict
    nonce: str | None
    earlier: tuple[Exchange, ...]


async def send_with_proof(client, request: HttpRequest, key: DpopKey, now: float, *,
                          access_token: str | None = None) -> ProofSent:
    """Send `request` with a fresh proof; when the server answers with a nonce challenge,
    send it once more with that nonce (RFC 9449 §8.1)."""
    proof = make_proof(key, request.method, request.url, now, access_token=access_token)
    first = replace(request, headers=(*request.headers, ("DPoP", proof)))
    response = await send(client, first)
    nonce = nonce_demanded(response)
    if nonce is None:
        return ProofSent(first, response, shown(proof), None, ())
    proof = make_proof(key, request.method, request.url, now, nonce=nonce,
                       access_token=access_token)
    again = replace(request, headers=(*request.headers, ("DPoP", proof)))
    return ProofSent(again, await send(client, again), shown(proof), nonce,
                     (Exchange(first, response, labels=("dpop nonce challenge",)),))


def binding_check(access_token: str | None, token_type: object, key: DpopKey) -> dict:
    """Is the access token bound to the flow's key? token_type DPoP (§5) and, for a JWT
    access token, `cnf.jkt` equal to the key's thumbprint (§6.1)."""
    check = {"token_type": token_type, "jkt": key.jkt, "cnf_jkt": None, "ok": None}
    if str(token_type).lower() != "dpop":
        return {**check, "ok": False, "detail": "the server issued a Bearer token: not bound"}
    try:
        payload = decode(access_token or "")[1]
    except Exception:  # noqa: BLE001 - an opaque token cannot be read, only trusted
        return {**check, "detail": "opaque access token: cnf.jkt cannot be read here"}
    cnf = payload.get("cnf") if isinstance(payload.get("cnf"), dict) else {}
    found = cnf.get("jkt")
    ok = found == key.jkt
    detail = "cnf.jkt is the key's thumbprint" if ok else "cnf.jkt is not the key's thumbprint"
    return {**check, "cnf_jkt": found, "ok": ok, "detail": detail}

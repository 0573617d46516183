"""JWT decoding and validation: signature via joserfc and a JWKS, then the OIDC claim checks.

`validate` never raises for a bad token: it returns a `JwtReport` whose checks say, one line
each, what passed, what failed and why (OpenID Connect Core §3.1.3.7, RFC 7519, RFC 8725).
Only `decode`, for callers that need the raw parts, raises `InputError`. The checks are made
in `jwt_signature` (alg, signature, kid) and `jwt_claims`; this module is the API callers use,
so `half_hash` and `times_for_display` are re-exported here. Decoding and the claim checks need
neither httpx nor joserfc: they are loaded only when a JWKS is fetched or a signature verified.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pkce_tui.core.checks import Check, all_passed
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpRequest
from pkce_tui.core.jwt_claims import Expected, claim_checks, half_hash
from pkce_tui.core.jwt_signature import signature_checks
from pkce_tui.core.jwt_times import times_for_display

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CHECK_NAMES", "JwksCache", "JwtReport", "decode", "fetch_jwks", "half_hash", "looks_like_jwt",
    "times_for_display", "validate", "validate_with_jwks_uri", "validate_without_jwks",
]

CHECK_NAMES = (
    "format", "alg", "signature", "kid", "iss", "sub", "aud", "azp",
    "exp", "nbf", "iat", "nonce", "at_hash", "c_hash",
)
#: The longest token read (1 MiB): far above any real token (a few KB; large ones carry group
#: lists), low enough that decoding stays quick. Longer text is refused with one line.
MAX_TOKEN_CHARS = 1024 * 1024
SEGMENT_NAMES = ("header", "payload", "signature")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class JwtReport:
    """A decoded token and its itemised validation report (the `jwt --json` shape).

    A check is None only when the token states something there was nothing to compare with
    (no JWKS, issuer, audience, nonce, access token or code given); an absent optional claim
    passes, since the rule "if present, it must hold" holds.
    """

    header: dict
    payload: dict
    checks: tuple[Check, ...]

    @property
    def valid(self) -> bool:
        """True when no check failed; checks that could not be made do not count against."""
        return all_passed(self.checks)

    def check(self, name: str) -> Check | None:
        """The check called `name`, or None when the report has none by that name."""
        return next((check for check in self.checks if check.name == name), None)

    def to_json(self) -> dict:
        return {
            "header": self.header,
            "payload": self.payload,
            "valid": self.valid,
            "checks": [check.to_json() for check in self.checks],
        }


# --- decoding -------------------------------------------------------------------------------


def decode(token: str) -> tuple[dict, dict]:
    """Header and payload of a JWS compact token (RFC 7515 §7.1), read strictly.

    Exactly three base64url segments without padding; header and payload JSON objects.
    Surrounding whitespace (a pasted line) is ignored. Raises `InputError` naming the segment.
    """
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise InputError(f"JWT is {len(token)} characters, more than the limit of "
                         f"{MAX_TOKEN_CHARS} (1 MiB)")
    segments = token.split(".")
    if len(segments) != 3:
        raise InputError(_segment_count_problem(len(segments)))
    for name, segment in zip(SEGMENT_NAMES, segments, strict=True):
        _base64url_decode(name, segment)
    return _json_object("header", segments[0]), _json_object("payload", segments[1])


def looks_like_jwt(token: str) -> bool:
    """True when `token` decodes as a JWT (an opaque access token does not)."""
    try:
        decode(token)
    except InputError:
        return False
    return True


def _segment_count_problem(count: int) -> str:
    if count == 5:
        return "JWT has five segments: an encrypted token (JWE) cannot be read without the key"
    return f"a JWT has three dot-separated segments; this has {count}"


def _base64url_decode(name: str, segment: str) -> bytes:
    """RFC 7515 §2: base64url without padding; an empty header or payload is refused."""
    if not segment and name != "signature":
        raise InputError(f"JWT {name} segment is empty")
    if not _BASE64URL.fullmatch(segment):
        bad = next(char for char in segment if not _BASE64URL.fullmatch(char))
        raise InputError(f"JWT {name} segment is not base64url: bad character {bad!r}")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"JWT {name} segment is not valid base64url ({exc})") from exc


def _json_object(name: str, segment: str) -> dict:
    """The segment as a JSON object; NaN/Infinity are refused as RFC 8259 refuses them."""
    try:
        text = _base64url_decode(name, segment).decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise InputError(f"JWT {name} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        what = exc.msg.removesuffix(" at")  # "Invalid control character at" says it twice
        raise InputError(f"JWT {name} is not JSON: {what} at character {exc.pos}") from exc
    except (ValueError, RecursionError) as exc:
        raise InputError(f"JWT {name} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InputError(f"JWT {name} is JSON but not an object")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


# --- validation -----------------------------------------------------------------------------


def validate(token: str, *, jwks: dict | None = None, issuer: str | None = None,
             audience: str | None = None, nonce: str | None = None,
             access_token: str | None = None, code: str | None = None,
             leeway: int = 60, now: float | None = None, id_token: bool = True) -> JwtReport:
    """Validate `token` as an ID token (OIDC Core §3.1.3.7) or, with `id_token=False`, as a
    JWT access token (nonce, at_hash, c_hash and the azp rules skipped; audience optional).

    Never raises for a bad token: an unreadable one yields a report with `format` failed.
    """
    try:
        header, payload = decode(token)
    except InputError as exc:
        return JwtReport({}, {}, (Check("format", False, str(exc)),))
    expected = Expected(issuer, audience, nonce, access_token, code, leeway,
                         time.time() if now is None else now, id_token, header.get("alg"))
    checks = [Check("format", True, "three base64url segments; header and payload are JSON")]
    checks += signature_checks(token.strip(), header, jwks)
    checks += claim_checks(payload, expected)
    return JwtReport(header, payload, tuple(checks))


# --- JWKS over the network ------------------------------------------------------------------


async def fetch_jwks(client: httpx.AsyncClient, jwks_uri: str) -> dict:
    """GET the JWKS (RFC 7517 §5); anything but a 200 JSON object with "keys" is refused."""
    from pkce_tui.core.client import send  # httpx: loaded only when a JWKS is fetched

    response = await send(client, HttpRequest(
        "GET", jwks_uri, headers=(("Accept", "application/jwk-set+json, application/json"),)))
    if response.status != 200:
        raise ProtocolError(f"JWKS {jwks_uri} answered HTTP {response.status}, not 200")
    jwks = response.json()
    if jwks is None:
        raise ProtocolError(f"JWKS {jwks_uri} did not answer a JSON object")
    if not isinstance(jwks.get("keys"), list):
        raise ProtocolError(f'JWKS {jwks_uri} has no "keys" list')
    return jwks


class JwksCache:
    """The JWKS of each URI, fetched once for a whole flow, and fetched again at most once
    when a token names a kid it lacks, as after key rotation (OIDC Core §10.1.1).

    The ID token and a JWT access token are signed with the same keys: one fetch serves both.
    A fetch that fails is not kept, so the next token tries again.
    """

    def __init__(self) -> None:
        self._jwks: dict[str, dict] = {}
        self._refetched: set[str] = set()

    async def get(self, client: httpx.AsyncClient, jwks_uri: str) -> dict:
        """The JWKS at `jwks_uri`, fetched on first use."""
        if jwks_uri not in self._jwks:
            self._jwks[jwks_uri] = await fetch_jwks(client, jwks_uri)
        return self._jwks[jwks_uri]

    async def refetch(self, client: httpx.AsyncClient, jwks_uri: str) -> dict | None:
        """The JWKS fetched again for an unknown kid; None once that was done for `jwks_uri`."""
        if jwks_uri in self._refetched:
            return None
        self._refetched.add(jwks_uri)
        self._jwks[jwks_uri] = jwks = await fetch_jwks(client, jwks_uri)
        return jwks


async def validate_with_jwks_uri(token: str, client: httpx.AsyncClient, jwks_uri: str, *,
                                 cache: JwksCache | None = None, **kw) -> JwtReport:
    """Validate with the keys at `jwks_uri`, taken from `cache` when it holds them (a flow
    fetches its JWKS once); an unknown kid refetches once, as after key rotation (OIDC Core
    §10.1.1). Network trouble raises `NetworkError`/`ProtocolError`."""
    if not looks_like_jwt(token):
        return validate(token, **kw)
    cache = cache if cache is not None else JwksCache()
    jwks = await cache.get(client, jwks_uri)
    report = validate(token, jwks=jwks, **kw)
    if not _kid_unknown(report, jwks):
        return report
    refetched = await cache.refetch(client, jwks_uri)
    if refetched is None:
        return report
    report = validate(token, jwks=refetched, **kw)
    kid = report.check("kid")
    note = "JWKS refetched once for key rotation"
    checks = tuple(replace(c, detail=f"{c.detail}, {note}") if c is kid else c
                   for c in report.checks)
    return replace(report, checks=checks)


def validate_without_jwks(token: str, reason: str, **kw) -> JwtReport:
    """Validate when the JWKS could not be had: the claims are checked, and the signature check
    fails with `reason`, since an unverified token must not be trusted (OIDC Core §3.1.3.7 (6)).
    """
    report = validate(token, **kw)
    signature = report.check("signature")
    if signature is None or signature.ok is not None:
        return report
    unverified = {"signature": Check("signature", False, f"not verified: {reason}"),
                  "kid": Check("kid", None, "not checked: no JWKS")}
    return replace(report, checks=tuple(unverified.get(c.name, c) for c in report.checks))


def _kid_unknown(report: JwtReport, jwks: dict) -> bool:
    """True when the header names a kid the JWKS does not hold."""
    kid = report.header.get("kid")
    known = {key.get("kid") for key in jwks.get("keys", []) if isinstance(key, dict)}
    return kid is not None and kid not in known

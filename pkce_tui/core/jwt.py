"""JWT decoding and validation: signature via joserfc and a JWKS, then the OIDC claim checks.

`validate` never raises for a bad token: it returns a `JwtReport` whose checks say, one line
each, what passed, what failed and why (OpenID Connect Core §3.1.3.7, RFC 7519, RFC 8725).
Only `decode`, for callers that need the raw parts, raises `InputError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import Key, KeySet

from pkce_tui.core.checks import Check, all_passed
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpRequest, send

CHECK_NAMES = (
    "format", "alg", "signature", "kid", "iss", "aud", "azp",
    "exp", "nbf", "iat", "nonce", "at_hash", "c_hash",
)
MAX_TOKEN_CHARS = 100_000
SEGMENT_NAMES = ("header", "payload", "signature")
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
#: RFC 7518 §3.1 (and RFC 8037 for EdDSA): the key type each signature algorithm needs.
_KEY_TYPE_BY_PREFIX = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_HASH_BY_SIZE = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


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
        raise InputError(f"JWT is {len(token)} characters, more than {MAX_TOKEN_CHARS}")
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
        raise InputError(f"JWT {name} is not JSON: {exc.msg} at character {exc.pos}") from exc
    except (ValueError, RecursionError) as exc:
        raise InputError(f"JWT {name} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InputError(f"JWT {name} is JSON but not an object")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


# --- validation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expected:
    """What the relying party expects of the claims, and the clock it checks them against."""

    issuer: str | None
    audience: str | None
    nonce: str | None
    access_token: str | None
    code: str | None
    leeway: int
    now: float
    id_token: bool
    alg: object


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
    expected = _Expected(issuer, audience, nonce, access_token, code, leeway,
                         time.time() if now is None else now, id_token, header.get("alg"))
    checks = [Check("format", True, "three base64url segments; header and payload are JSON")]
    checks += _signature_checks(token.strip(), header, jwks)
    checks += _claim_checks(payload, expected)
    return JwtReport(header, payload, tuple(checks))


# --- alg, signature, kid (RFC 7515, RFC 8725) -----------------------------------------------


def _signature_checks(token: str, header: dict, jwks: dict | None) -> list[Check]:
    """The `alg`, `signature` and `kid` checks, in that order."""
    alg, kid = header.get("alg"), header.get("kid")
    refusal = _alg_refusal(alg)
    if refusal:
        unsigned = alg == "none"
        return [Check("alg", False, refusal),
                Check("signature", False if unsigned else None,
                      "the token is unsigned" if unsigned else "not checked: alg refused"),
                _kid_without_key(kid, "not checked: alg refused")]
    if jwks is None:
        return [Check("alg", True, _alg_summary(alg)),
                Check("signature", None, "no JWKS given"), _kid_without_key(kid, "no JWKS given")]
    keys, problem = _import_jwks(jwks)
    if problem:
        return [Check("alg", True, _alg_summary(alg)),
                Check("signature", None, "not checked: no usable JWKS"),
                Check("kid", False, problem)]
    return _checks_with_keys(token, alg, kid, keys)


def _checks_with_keys(token: str, alg: str, kid: object, keys: KeySet) -> list[Check]:
    key, kid_check = _select_key(alg, kid, keys)
    mismatch = _alg_key_mismatch(alg, key, keys)
    if mismatch:
        return [Check("alg", False, mismatch),
                Check("signature", None, "not checked: alg does not fit the key"), kid_check]
    if key is None:
        return [Check("alg", True, _alg_summary(alg)),
                Check("signature", None, "not checked: no key to verify with"), kid_check]
    return [Check("alg", True, _alg_summary(alg)), _verify(token, alg, key), kid_check]


def _alg_refusal(alg: object) -> str | None:
    """Why `alg` is refused before any key is looked at (RFC 8725 §3.1, §3.2), or None."""
    if not isinstance(alg, str) or not alg:
        return "header has no alg"
    if alg == "none":
        return "alg none refused: an unsigned token proves nothing (RFC 8725 §3.1)"
    if alg not in jws.JWSRegistry.algorithms or _key_type_for(alg) is None:
        return f"alg {alg!r} is not a JWS signature algorithm this tool can verify"
    return None


def _alg_summary(alg: str) -> str:
    if alg.startswith("HS"):
        return f"{alg}: HMAC with a shared secret (the client secret), not a published key"
    return f"{alg}: signed with the issuer's {_key_type_for(alg)} key"


def _key_type_for(alg: str) -> str | None:
    return _KEY_TYPE_BY_PREFIX.get(alg[:2])


def _kid_without_key(kid: object, reason: str) -> Check:
    named = f" (header kid {kid!r})" if kid is not None else ""
    return Check("kid", None, reason + named)


def _import_jwks(jwks: object) -> tuple[KeySet | None, str | None]:
    """The JWKS as a joserfc KeySet (RFC 7517 §5), or None and why it is unusable."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        return None, 'JWKS has no "keys" list'
    if not jwks["keys"]:
        return None, "JWKS holds no keys"
    try:
        with _joserfc_quietly():
            return KeySet.import_key_set(jwks), None
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        return None, f"JWKS could not be read: {exc}"


def _select_key(alg: str, kid: object, keys: KeySet) -> tuple[Key | None, Check]:
    """The key named by `kid`; without a kid, the JWKS's single key of the alg's type."""
    if kid is not None:
        return _key_by_kid(kid, keys)
    wanted = _key_type_for(alg)
    candidates = [key for key in keys if key.key_type == wanted and key.get("use") != "enc"]
    if len(candidates) == 1:
        return candidates[0], Check("kid", True, f"no kid in header; the JWKS's only {wanted} key")
    if not candidates:
        return None, Check("kid", False, f"no kid in header and no {wanted} key in the JWKS")
    return None, Check("kid", False,
                       f"no kid in header and {len(candidates)} {wanted} keys in the JWKS")


def _key_by_kid(kid: object, keys: KeySet) -> tuple[Key | None, Check]:
    for key in keys:
        if key.get("kid") == kid:
            return key, Check("kid", True, f"key {kid!r} found in the JWKS")
    present = ", ".join(repr(key.get("kid")) for key in keys) or "none"
    return None, Check("kid", False, f"kid {kid!r} is not in the JWKS (kids present: {present})")


def _key_name(key: Key) -> str:
    """The key as the JWKS names it (joserfc's `kid` would invent an RFC 7638 thumbprint)."""
    kid = key.get("kid")
    return f"key {kid!r}" if kid else f"the {key.key_type} key"


def _alg_key_mismatch(alg: str, key: Key | None, keys: KeySet) -> str | None:
    """Why `alg` must not be used with this key (RFC 8725 §2.1 algorithm confusion), or None."""
    if key is None:
        if alg.startswith("HS") and any(other.key_type != "oct" for other in keys):
            return f"{alg} refused: the JWKS holds public keys (algorithm confusion, RFC 8725 §2.1)"
        return None
    named = _key_name(key)
    if alg.startswith("HS") and key.key_type != "oct":
        return (f"{alg} refused: {named} is {key.key_type}, "
                "an HMAC over a public key is algorithm confusion (RFC 8725 §2.1)")
    if key.key_type != _key_type_for(alg):
        return f"{alg} needs a {_key_type_for(alg)} key, but {named} is {key.key_type}"
    if key.get("alg") not in (None, alg):
        return f"{named} is for {key.get('alg')}, but the token says {alg}"
    return None


@contextmanager
def _joserfc_quietly() -> Iterator[None]:
    """Keep joserfc's SecurityWarnings (weak keys, deprecated algs) off the terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        yield


def _verify(token: str, alg: str, key: Key) -> Check:
    """Verify the signature with joserfc, allowing only the one algorithm already checked."""
    named = _key_name(key)
    try:
        with _joserfc_quietly():
            jws.deserialize_compact(token, key, algorithms=[alg])
    except BadSignatureError:
        return Check("signature", False, f"does not verify with {named} ({alg})")
    except (JoseError, ValueError, TypeError) as exc:
        return Check("signature", False, f"could not be verified with {named}: {exc}")
    return Check("signature", True, f"verified with {named} ({alg})")


# --- claims (OIDC Core §3.1.3.7, RFC 7519 §4.1) ---------------------------------------------


def _claim_checks(payload: dict, expected: _Expected) -> list[Check]:
    checks = [_check_iss(payload.get("iss"), expected), _check_aud(payload.get("aud"), expected)]
    if expected.id_token:
        checks.append(_check_azp(payload, expected.audience))
    checks += [_check_exp(payload, expected), _check_nbf(payload, expected),
               _check_iat(payload, expected)]
    if expected.id_token:
        checks += [_check_nonce(payload.get("nonce"), expected.nonce),
                   _check_hash("at_hash", payload.get("at_hash"), expected.access_token,
                               "access token", expected.alg),
                   _check_hash("c_hash", payload.get("c_hash"), expected.code, "code",
                               expected.alg)]
    return checks


def _check_iss(iss: object, expected: _Expected) -> Check:
    """OIDC Core §3.1.3.7 (2): iss must equal the issuer exactly, trailing slash included."""
    if iss is None:
        return Check("iss", False if expected.id_token else None, "no iss claim")
    if not isinstance(iss, str):
        return Check("iss", False, f"iss is not a string: {iss!r}")
    if not expected.issuer:  # None, or "" for endpoints given without an issuer
        return Check("iss", None, f"{iss!r}; no issuer given to compare")
    if iss == expected.issuer:
        return Check("iss", True, f"{iss!r} is the expected issuer")
    if iss.rstrip("/") == expected.issuer.rstrip("/"):
        return Check("iss", False, f"{iss!r} differs only by a trailing slash "
                                   f"from the expected {expected.issuer!r}")
    return Check("iss", False, f"{iss!r} is not the expected issuer {expected.issuer!r}")


def _check_aud(aud: object, expected: _Expected) -> Check:
    """OIDC Core §3.1.3.7 (3): aud (a string or a list of strings) contains the client id."""
    if aud is None:
        return Check("aud", False if expected.id_token else None, "no aud claim")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        return Check("aud", False, f"aud is neither a string nor a list of strings: {aud!r}")
    if expected.audience is None:
        return Check("aud", None, f"{aud!r}; no audience given to compare")
    if expected.audience in audiences:
        return Check("aud", True, f"{aud!r} contains {expected.audience!r}")
    return Check("aud", False, f"{aud!r} does not contain {expected.audience!r}")


def _check_azp(payload: dict, client_id: str | None) -> Check:
    """OIDC Core §3.1.3.7 (4, 5): azp required with several audiences, equal to the client."""
    azp, aud = payload.get("azp"), payload.get("aud")
    several = isinstance(aud, list) and len(aud) > 1
    if azp is None:
        if several:
            return Check("azp", False, f"aud has {len(aud)} values but there is no azp claim")
        return Check("azp", True, "no azp claim; not required with a single audience")
    if client_id is None:
        return Check("azp", None, f"{azp!r}; no client id given to compare")
    if azp == client_id:
        return Check("azp", True, f"{azp!r} is the client")
    return Check("azp", False, f"{azp!r} is not the client {client_id!r}")


def _check_exp(payload: dict, expected: _Expected) -> Check:
    """RFC 7519 §4.1.4: the token is refused once now - leeway reaches exp."""
    exp, problem = _numeric_date(payload, "exp", _if_absent(expected))
    if exp is None:
        return problem
    delta = exp - expected.now
    when = f"exp {_utc(exp)}, leeway {expected.leeway} s"
    if delta <= -expected.leeway:
        return Check("exp", False, f"expired {_span(-delta)} ago ({when})")
    if delta <= 0:
        return Check("exp", True, f"expired {_span(-delta)} ago, within the leeway ({when})")
    return Check("exp", True, f"expires in {_span(delta)} ({_utc(exp)})")


def _check_nbf(payload: dict, expected: _Expected) -> Check:
    """RFC 7519 §4.1.5: the token is refused before nbf, allowing the leeway."""
    nbf, problem = _numeric_date(payload, "nbf", True)
    if nbf is None:
        return problem
    delta = nbf - expected.now
    if delta > expected.leeway:
        return Check("nbf", False, f"not valid for another {_span(delta)} (nbf {_utc(nbf)}, "
                                   f"leeway {expected.leeway} s){_skew_hint(delta)}")
    return Check("nbf", True, f"valid since {_utc(nbf)}")


def _check_iat(payload: dict, expected: _Expected) -> Check:
    """OIDC Core §3.1.3.7 (10): iat present; a time in the future betrays clock skew."""
    iat, problem = _numeric_date(payload, "iat", _if_absent(expected))
    if iat is None:
        return problem
    delta = iat - expected.now
    if delta > expected.leeway:
        return Check("iat", False, f"issued {_span(delta)} in the future (iat {_utc(iat)}, "
                                   f"leeway {expected.leeway} s){_skew_hint(delta)}")
    return Check("iat", True, f"issued {_relative(delta)} ({_utc(iat)})")


def _skew_hint(delta: float) -> str:
    return f": clock skew? the issuer's clock looks {round(delta)} s ahead of this machine's"


def _if_absent(expected: _Expected) -> bool | None:
    """exp and iat are required in an ID token; an access token's profile is not known."""
    return False if expected.id_token else None


def _numeric_date(payload: dict, name: str,
                  if_absent: bool | None) -> tuple[float | None, Check | None]:
    """The claim as seconds since the epoch (RFC 7519 §2 NumericDate), or the check saying not.

    `if_absent` is the verdict on a missing claim: False required, True optional, None unknown.
    """
    value = payload.get(name)
    if value is None:
        why = {False: " (required in an ID token)", True: " (optional)", None: ""}[if_absent]
        return None, Check(name, if_absent, f"no {name} claim{why}")
    if not _is_number(value) or _utc(value) is None:
        return None, Check(name, False, f"{name} is not a NumericDate: {value!r}")
    return float(value), None


def _check_nonce(nonce: object, sent: str | None) -> Check:
    """OIDC Core §3.1.3.7 (11): when a nonce was sent, the ID token must carry the same value."""
    if sent is None and nonce is None:
        return Check("nonce", True, "no nonce expected and none in the token")
    if sent is None:
        return Check("nonce", None, f"{nonce!r}; no nonce given to compare")
    if nonce is None:
        return Check("nonce", False, f"no nonce claim, but {sent!r} was sent")
    if nonce == sent:
        return Check("nonce", True, f"{nonce!r} is the nonce sent")
    return Check("nonce", False, f"{nonce!r} is not the nonce sent ({sent!r})")


def _check_hash(name: str, claim: object, value: str | None, what: str, alg: object) -> Check:
    """OIDC Core §3.1.3.6 at_hash / §3.3.2.11 c_hash: base64url of the hash's left half."""
    if claim is None:
        return Check(name, True, f"no {name} claim: nothing to compare")
    if value is None:
        return Check(name, None, f"{claim!r}; no {what} given to compare")
    computed = half_hash(value, alg)
    if computed is None:
        return Check(name, False, f"alg {alg!r} names no hash to compute {name} with")
    if claim == computed:
        return Check(name, True, f"{claim!r} matches the {what}")
    return Check(name, False, f"{claim!r} does not match the {what} (expected {computed!r})")


def half_hash(value: str, alg: object) -> str | None:
    """Base64url of the left half of the hash `alg` names (SHA-512 for EdDSA), or None."""
    if not isinstance(alg, str):
        return None
    size = re.search(r"256|384|512", alg)
    if alg in ("EdDSA", "Ed25519"):
        hash_function = hashlib.sha512
    elif size is None:
        return None
    else:
        hash_function = _HASH_BY_SIZE[size.group()]
    digest = hash_function(value.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


# --- times for people -----------------------------------------------------------------------


def times_for_display(payload: dict, now: float | None = None) -> dict[str, str]:
    """exp/iat/nbf/auth_time as "2026-11-22 02:16:50 UTC (in 4 min)" or "(3 h ago)"."""
    now = time.time() if now is None else now
    shown = {}
    for name in TIME_CLAIMS:
        value = payload.get(name)
        if value is None:
            continue
        utc = _utc(value) if _is_number(value) else None
        shown[name] = f"{utc} ({_relative(value - now)})" if utc else f"not a date: {value!r}"
    return shown


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _utc(seconds: float) -> str | None:
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _relative(delta: float) -> str:
    if abs(delta) < 1:
        return "now"
    return f"in {_span(delta)}" if delta > 0 else f"{_span(-delta)} ago"


def _span(seconds: float) -> str:
    """A duration in its largest whole unit: "45 s", "4 min", "3 h", "12 d"."""
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} d"
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds)} s"


# --- JWKS over the network ------------------------------------------------------------------


async def fetch_jwks(client: httpx.AsyncClient, jwks_uri: str) -> dict:
    """GET the JWKS (RFC 7517 §5); anything but a 200 JSON object with "keys" is refused."""
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


async def validate_with_jwks_uri(token: str, client: httpx.AsyncClient, jwks_uri: str,
                                 **kw) -> JwtReport:
    """Fetch the JWKS and validate; an unknown kid refetches once, as after key rotation
    (OIDC Core §10.1.1). Network trouble raises `NetworkError`/`ProtocolError`."""
    if not looks_like_jwt(token):
        return validate(token, **kw)
    jwks = await fetch_jwks(client, jwks_uri)
    report = validate(token, jwks=jwks, **kw)
    if not _kid_unknown(report, jwks):
        return report
    report = validate(token, jwks=await fetch_jwks(client, jwks_uri), **kw)
    kid = report.check("kid")
    note = "JWKS refetched once for key rotation"
    checks = tuple(replace(c, detail=f"{c.detail}, {note}") if c is kid else c
                   for c in report.checks)
    return replace(report, checks=checks)


def _kid_unknown(report: JwtReport, jwks: dict) -> bool:
    """True when the header names a kid the JWKS does not hold."""
    kid = report.header.get("kid")
    known = {key.get("kid") for key in jwks.get("keys", []) if isinstance(key, dict)}
    return kid is not None and kid not in known

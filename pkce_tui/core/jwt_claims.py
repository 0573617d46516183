"""The JWT claim checks: iss, sub, aud, azp, exp, nbf, iat, nonce, at_hash, c_hash.

The rules are OIDC Core §3.1.3.7 for an ID token and RFC 7519 §4.1 for the registered claims.
Each check is one `Check` saying what passed, what failed and why; an ID token's required claims
fail when absent, a JWT access token's only cannot be checked (its profile is not known).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from pkce_tui.core.checks import Check
from pkce_tui.core.jwt_times import is_number, span, utc

_HASH_BY_SIZE = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@dataclass(frozen=True)
class Expected:
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


def claim_checks(payload: dict, expected: Expected) -> list[Check]:
    """The claim checks in report order; azp, nonce and the hashes for an ID token only."""
    checks = [_check_iss(payload.get("iss"), expected), _check_sub(payload.get("sub"), expected),
              _check_aud(payload.get("aud"), expected)]
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


def _check_iss(iss: object, expected: Expected) -> Check:
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


def _check_sub(sub: object, expected: Expected) -> Check:
    """OIDC Core §2: sub is REQUIRED in an ID token, a string of at most 255 ASCII characters.
    A JWT access token's profile is not known here (RFC 9068 §2.2 requires it too)."""
    if sub is None:
        if expected.id_token:
            return Check("sub", False, "no sub claim (required in an ID token, OIDC Core §2)")
        return Check("sub", None, "no sub claim")
    if not isinstance(sub, str) or not sub:
        return Check("sub", False, f"sub is not a non-empty string: {sub!r}")
    if len(sub) > 255 or not sub.isascii():
        return Check("sub", False, "sub exceeds 255 ASCII characters (OIDC Core §2)")
    return Check("sub", True, f"{sub!r} names the user")


def _check_aud(aud: object, expected: Expected) -> Check:
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


def _check_exp(payload: dict, expected: Expected) -> Check:
    """RFC 7519 §4.1.4: the token is refused once now - leeway reaches exp."""
    exp, problem = _numeric_date(payload, "exp", _if_absent(expected))
    if exp is None:
        return problem
    delta = exp - expected.now
    when = f"exp {utc(exp)}, leeway {expected.leeway} s"
    if delta <= -expected.leeway:
        return Check("exp", False, f"expired {span(-delta)} ago ({when})")
    if delta <= 0:
        return Check("exp", True, f"expired {span(-delta)} ago, within the leeway ({when})")
    return Check("exp", True, f"not expired: exp {utc(exp)}")


def _check_nbf(payload: dict, expected: Expected) -> Check:
    """RFC 7519 §4.1.5: the token is refused before nbf, allowing the leeway."""
    nbf, problem = _numeric_date(payload, "nbf", True)
    if nbf is None:
        return problem
    delta = nbf - expected.now
    if delta > expected.leeway:
        return Check("nbf", False, f"not valid for another {span(delta)} (nbf {utc(nbf)}, "
                                   f"leeway {expected.leeway} s){_skew_hint(delta)}")
    return Check("nbf", True, f"valid since {utc(nbf)}")


def _check_iat(payload: dict, expected: Expected) -> Check:
    """OIDC Core §3.1.3.7 (10): iat present; a time in the future betrays clock skew."""
    iat, problem = _numeric_date(payload, "iat", _if_absent(expected))
    if iat is None:
        return problem
    delta = iat - expected.now
    if delta > expected.leeway:
        return Check("iat", False, f"issued {span(delta)} in the future (iat {utc(iat)}, "
                                   f"leeway {expected.leeway} s){_skew_hint(delta)}")
    return Check("iat", True, f"issued {utc(iat)}, not in the future")


def _skew_hint(delta: float) -> str:
    return f": clock skew? the issuer's clock looks {round(delta)} s ahead of this machine's"


def _if_absent(expected: Expected) -> bool | None:
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
    if isinstance(value, float) and not is_number(value):
        return None, Check(name, False,
                           f"{name} is not a finite number ({value}): no date can hold it")
    if isinstance(value, int) and not isinstance(value, bool) and not is_number(value):
        return None, Check(name, False, f"{name} is an integer of {value.bit_length()} bits: "
                                        "no date can hold it")
    if not is_number(value) or utc(value) is None:
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

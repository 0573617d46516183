"""Verifying a JWT's signature with a JWKS through joserfc (RFC 7515, RFC 7517, RFC 8725).

The key is picked from the JWKS by kid (or as the only key of the alg's type), the alg must
fit that key, and only then is the signature verified, allowing that one algorithm alone.
`jwt_signature` has already judged the alg; this module is loaded only when there is a JWKS.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import Key, KeySet

from pkce_tui.core.checks import Check
from pkce_tui.core.jwt_signature import alg_summary, key_type_for


def checks_with_jwks(token: str, alg: str, kid: object, jwks: dict) -> list[Check]:
    """The `alg`, `signature` and `kid` checks of a token whose alg is acceptable."""
    keys, problem = _import_jwks(jwks)
    if problem:
        return [Check("alg", True, alg_summary(alg)),
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
        return [Check("alg", True, alg_summary(alg)),
                Check("signature", None, "not checked: no key to verify with"), kid_check]
    return [Check("alg", True, alg_summary(alg)), _verify(token, alg, key), kid_check]


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
    wanted = key_type_for(alg)
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
    if key.key_type != key_type_for(alg):
        return f"{alg} needs a {key_type_for(alg)} key, but {named} is {key.key_type}"
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

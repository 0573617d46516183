"""Fault switches: ways the sandbox misbehaves on purpose, for teaching and for tests.

A fault is chosen per request (`sandbox_fault=NAME` on the authorize request, carried to every
token of that grant) or per client (`Sandbox.set_client_fault`).
"""

from __future__ import annotations

import math

from pkce_tui.core.errors import InputError

FAULTS: dict[str, str] = {
    "expired_id_token": "the ID token's exp lies an hour in the past",
    "wrong_aud": "the ID token's aud names another client",
    "wrong_iss": "the ID token's iss is not the issuer the discovery document names",
    "bad_signature": "the ID token is signed by another key under the published kid",
    "alg_none": "the ID token is unsigned (alg none), as a forged token would be",
    "missing_sub": "the ID token has no sub claim, which OIDC Core §2 requires",
    "rotated_key": "the ID token is signed by a new key whose kid the JWKS does not list yet",
    "slow_token": "the token endpoint waits 15 s (or sandbox_delay=SECONDS) before answering",
    "token_500": "the token endpoint answers 500 with a server_error body",
    "invalid_grant_once": "the grant's first token request is refused with invalid_grant",
    "request_uri_expired": "a pushed request's request_uri has expired when authorize sees it",
}
DEFAULT_SLOW_SECONDS = 15.0
MAX_DELAY_SECONDS = 60.0


def check_fault(name: str) -> str:
    """`name` when it is a known fault, else an `InputError` listing the known ones."""
    if name not in FAULTS:
        raise InputError(f"unknown sandbox fault {name!r}; known: {', '.join(FAULTS)}")
    return name


def parse_faults(value: str | None) -> frozenset[str]:
    """The faults named in a `sandbox_fault` value (comma- or space-separated)."""
    names = (value or "").replace(",", " ").split()
    return frozenset(check_fault(name) for name in names)


def parse_delay(value: str | None) -> float:
    """The `sandbox_delay` in seconds, bounded to 0..60 so a request never hangs for long."""
    if value is None:
        return DEFAULT_SLOW_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise InputError(f"sandbox_delay {value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DELAY_SECONDS:
        raise InputError(f"sandbox_delay must be between 0 and {MAX_DELAY_SECONDS:g} seconds")
    return seconds

"""A JWT whose keys could not be had, and claims no date can hold: still a full report."""

from __future__ import annotations

import base64
import json

from pkce_tui.core import jwt

NOW = 1_795_000_000.0
ISSUER = "https://idp.example.test/generic"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(payload_text: str, alg: str = "RS256") -> str:
    """A token whose payload is `payload_text` exactly, so it can hold what json.dumps cannot."""
    header = json.dumps({"alg": alg, "kid": "k1"}).encode()
    return f"{b64(header)}.{b64(payload_text.encode())}.c2ln"


def checks(report: jwt.JwtReport) -> dict[str, tuple[bool | None, str]]:
    return {check.name: (check.ok, check.detail) for check in report.checks}


def test_without_the_jwks_the_signature_fails_with_the_reason_and_claims_are_checked():
    payload = json.dumps({"iss": ISSUER, "aud": "app", "iat": NOW - 10, "exp": NOW + 300})
    report = jwt.validate_without_jwks(token(payload), "JWKS answered HTTP 500",
                                       issuer=ISSUER, audience="app", now=NOW)
    found = checks(report)
    assert found["signature"] == (False, "not verified: JWKS answered HTTP 500")
    assert found["kid"] == (None, "not checked: no JWKS")
    assert found["iss"][0] is True and found["exp"][0] is True
    assert report.payload["iss"] == ISSUER and not report.valid


def test_without_the_jwks_an_unsigned_token_keeps_its_own_verdict():
    report = jwt.validate_without_jwks(token("{}", alg="none"), "no answer", now=NOW)
    assert checks(report)["signature"] == (False, "the token is unsigned")


def test_a_time_too_large_for_a_double_is_not_a_finite_number():
    report = jwt.validate(token('{"exp": 1e400, "iat": -1e400}'), now=NOW)
    found = checks(report)
    assert found["exp"] == (False, "exp is not a finite number (inf): no date can hold it")
    assert found["iat"] == (False, "iat is not a finite number (-inf): no date can hold it")

"""Failed checks of the ID token (OIDC Core §3.1.3.7) and of a JWT access token (RFC 9068)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import Diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

#: OIDC Core §2: the claims an ID token MUST carry (nonce too, when one was sent).
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nonce")
_MISSING = re.compile(r"^no (\w+) claim")

_JWT_CHECKS = {
    "signature": ("signature_invalid", "the signature does not verify with the provider's key",
                  "the token was altered or signed by another key: check the JWKS URL"),
    "kid": ("kid_not_found", "the token's key id is not in the JWKS",
            "the provider may have rotated its keys: fetch the JWKS again"),
    "iss": ("issuer_mismatch", "the token's iss is not the configured issuer",
            "configure the issuer exactly as the provider writes it (trailing slash included)"),
    "aud": ("aud_mismatch", "the token is not meant for this client (aud)",
            "check the client id; the token may be meant for another application"),
    "nonce": ("nonce_mismatch", "the nonce in the ID token is not the one sent",
              "the ID token may be replayed: start a new flow (OIDC Core §3.1.3.7)"),
    "exp": ("id_token_expired", "the ID token has expired",
            "get a fresh token; if it expired on arrival, check the clocks (clock skew)"),
    "iat": ("clock_skew", "the token was issued in the future by this machine's clock",
            "synchronise this machine's clock (NTP), or raise --leeway"),
    "nbf": ("clock_skew", "the token is not valid yet by this machine's clock",
            "synchronise this machine's clock (NTP), or raise --leeway"),
}


def jwt_rules(state: FlowState) -> Iterator[Diagnosis]:
    for step in ("id_token", "access_token"):
        result = state.result(step)
        if result is None:
            continue
        severity = "error" if step == "id_token" else "warning"
        checks = [c for c in result.data.get("checks", []) if c["ok"] is False]
        if any(c["name"] == "alg" and "none" in c["detail"].lower() for c in checks):
            # unsigned: the failed signature (and hash) checks follow from it, not beside it
            checks = [c for c in checks if c["name"] not in ("signature", "kid")]
        for check in checks:
            found = _diagnosis(step, severity, check)
            if found is not None:
                yield found


def _diagnosis(step: str, severity: str, check: dict) -> Diagnosis | None:
    name, detail = check["name"], check["detail"]
    missing = _MISSING.match(detail)
    if missing and missing.group(1) in REQUIRED_CLAIMS:
        return Diagnosis("missing_required_claim", step, severity,
                         f"the token has no {missing.group(1)} claim, which OIDC Core §2 "
                         f"requires: {detail}",
                         "the provider (or a claims mapping on the application) drops the "
                         "claim: fix the mapping; a relying party must refuse this token")
    if name == "alg" and "none" in detail.lower():
        return Diagnosis("alg_none", step, "error", "the token is unsigned (alg none)",
                         "never accept alg none (RFC 8725 §3.1)")
    if name in _JWT_CHECKS:
        diagnosis_id, summary, fix = _JWT_CHECKS[name]
        return Diagnosis(diagnosis_id, step, severity, f"{summary}: {detail}", fix)
    return None

"""Why a DPoP request (RFC 9449) failed, or why its tokens are not bound. Ids join the public
vocabulary (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import Diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

DPOP_STEPS = ("token", "userinfo", "refresh")


def dpop_rules(state: FlowState) -> Iterator[Diagnosis]:
    """Unbound tokens, a nonce demanded, and refused proofs by the rule the server names."""
    for step in DPOP_STEPS:
        result = state.result(step)
        if result is None or step in state.stale:
            continue
        binding = result.data.get("dpop_binding") or {}
        if binding.get("ok") is False:
            yield Diagnosis("dpop_not_bound", step, "warning",
                            f"DPoP proofs were sent but the tokens are not bound: "
                            f"{binding.get('detail')}",
                            "the tenant may not offer DPoP for this client (RFC 9449 §5): "
                            "switch it on there, or drop --dpop")
        if result.data.get("dpop_nonce") and result.status != "error":
            yield Diagnosis("dpop_nonce_required", step, "info",
                            "the server demanded a DPoP nonce (use_dpop_nonce); the proof was "
                            "sent again with it", "nothing to fix: a client must answer the "
                            "DPoP-Nonce challenge (RFC 9449 §8)")
        if result.status == "error" and result.response is not None:
            found = _refusal(state, step, result)
            if found is not None:
                yield found


def _refusal(state: FlowState, step: str, result) -> Diagnosis | None:
    response = result.response
    body = response.json() or {}
    words = " ".join([str(body.get("error", "")), str(body.get("error_description", "")),
                      str(body.get("error_hint", "")),
                      response.header("WWW-Authenticate") or ""]).lower()
    sent_proof = result.request is not None and result.request.header("DPoP") is not None
    if "dpop" not in words and "use_dpop_nonce" not in words:
        return None
    if "use_dpop_nonce" in words:
        return Diagnosis("dpop_nonce_missing", step, "error",
                         "the server still wants a DPoP nonce in the proof",
                         "send the DPoP-Nonce value the server gave in the proof's nonce "
                         "claim (RFC 9449 §8)")
    if "htu" in words:
        return Diagnosis("dpop_htu_mismatch", step, "error",
                         "the DPoP proof's htu is not the URL the request went to",
                         "htu is the request URL without query and fragment (RFC 9449 §4.2)")
    if "htm" in words:
        return Diagnosis("dpop_htm_mismatch", step, "error",
                         "the DPoP proof's htm is not the request's method",
                         "htm is the HTTP method of this very request (RFC 9449 §4.2)")
    if not sent_proof:
        fix = "send the token with its proof (Authorization: DPoP and a DPoP header, RFC " \
              "9449 §7.1)" if state.config.dpop else "run the flow with --dpop"
        return Diagnosis("dpop_proof_missing", step, "error",
                         "the token is DPoP-bound (or the client must use DPoP), but the "
                         "request carried no DPoP proof", fix)
    return Diagnosis("dpop_proof_invalid", step, "error",
                     f"the server refused the DPoP proof: {body.get('error_description') or words}",
                     "check the proof's typ, alg, jwk, iat and jti (RFC 9449 §4.3)")

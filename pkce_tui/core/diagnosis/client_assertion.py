"""Why a private_key_jwt client assertion (RFC 7523 §3, OIDC Core §9) was refused: the
server's words read against the assertion the flow sent, decoded.

Ids join the public vocabulary (DESIGN.md §6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import Diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.step_result import StepResult

KEY_FIX = ("name the kid the application has registered (--client-key-kid), or register this "
           "key's public half (its JWKS) on the application")


def assertion_refusal(state: FlowState, result: StepResult, words: str) -> Diagnosis:
    """The likeliest of: kid unknown, wrong aud, expired, jti reused, bad signature; `words`
    are the server's, lower-cased."""
    sent = (_decoded(result.request.form if result.request else None) or {})
    header, payload = sent.get("header") or {}, sent.get("payload") or {}
    step = result.name
    if "kid" in words:
        return Diagnosis("client_assertion_kid_unknown", step, "error",
                         f"the tenant knows no key {header.get('kid')!r} for this client",
                         KEY_FIX)
    if "aud" in words or _aud_is_wrong(state, payload.get("aud")):
        return _aud_mismatch(state, step, payload.get("aud"))
    if "expired" in words or "exp " in f"{words} " or _expired(result, payload):
        return Diagnosis("client_assertion_expired", step, "error",
                         "the client assertion had expired when the server read it (exp "
                         f"{payload.get('exp')!r})", "synchronise this machine's clock (NTP): "
                         "assertions live 60 s (RFC 7523 §3 item 4)")
    if "jti" in words or "replay" in words or _jti_sent_before(state, result, payload):
        return Diagnosis("client_assertion_jti_reused", step, "error",
                         f"the client assertion's jti {payload.get('jti')!r} was used before; "
                         "an assertion is good for one request",
                         "send a fresh assertion each time (the tool does, unless a "
                         "--token-param client_assertion=... replays one)")
    named = f" (kid {header['kid']!r})" if header.get("kid") else ""
    return Diagnosis("client_assertion_signature_invalid", step, "error",
                     f"the tenant refused the client assertion{named}: its signature does not "
                     "verify with a key registered for this client, or the kid names none of "
                     "them", KEY_FIX)


def _aud_mismatch(state: FlowState, step: str, audience: object) -> Diagnosis:
    endpoints = state.value("discovery")
    token_endpoint = endpoints.token_endpoint if endpoints else "?"
    issuer = endpoints.issuer if endpoints else "?"
    return Diagnosis("client_assertion_aud_mismatch", step, "error",
                     f"the client assertion's aud {audience!r} is not what the tenant "
                     f"expects (token endpoint {token_endpoint}, issuer {issuer})",
                     "set aud to the token endpoint URL (OIDC Core §9); a few providers "
                     "want the issuer instead")


def _aud_is_wrong(state: FlowState, audience: object) -> bool:
    endpoints = state.value("discovery")
    if endpoints is None or audience is None:
        return False
    named = audience if isinstance(audience, list) else [audience]
    return not any(a in (endpoints.token_endpoint, endpoints.issuer) for a in named)


def _expired(result: StepResult, payload: dict) -> bool:
    exp = payload.get("exp")
    return isinstance(exp, int | float) and bool(result.at) and exp <= result.at


def _jti_sent_before(state: FlowState, result: StepResult, payload: dict) -> bool:
    """True when an earlier token request carried the same jti."""
    jti = payload.get("jti")
    earlier = [a for a in state.token_attempts if a is not result]
    return jti is not None and any(
        ((_decoded(a.request.form if a.request else None) or {}).get("payload")
         or {}).get("jti") == jti for a in earlier)


def _decoded(form) -> dict | None:
    """The sent assertion decoded; imported here so the flow model loads without joserfc."""
    from pkce_tui.core.client_assertion import decoded_assertion

    return decoded_assertion(form)

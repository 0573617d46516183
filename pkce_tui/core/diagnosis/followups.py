"""Why a follow-up step failed: introspection (RFC 7662), revocation (RFC 7009) and
RP-initiated logout (RP-Initiated Logout 1.0). Ids join the public vocabulary (DESIGN.md §6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.client_assertion import assertion_refusal
from pkce_tui.core.diagnosis.model import Diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

_NOT_OFFERED = {
    "introspection": ("introspection_not_supported", "introspection endpoint",
                      "PingOne: /as/introspect; Cloudentity: /oauth2/introspect; CyberArk "
                      "offers none. Give the endpoint, or drop --introspect"),
    "revocation": ("revocation_not_supported", "revocation endpoint",
                   "check discovery's revocation_endpoint (RFC 8414 §2), or drop --revoke"),
    "logout": ("logout_not_supported", "end-session endpoint",
               "check discovery's end_session_endpoint (RP-Initiated Logout §2.1), or drop "
               "--logout"),
}


def followup_rules(state: FlowState) -> Iterator[Diagnosis]:
    """Every diagnosis the follow-up steps' results support."""
    par = state.result("par")
    if par is not None and par.status == "error" and par.response is not None:
        yield from _refused(state, "par", par)
    for step in ("introspection", "revocation", "logout"):
        result = state.result(step)
        if result is None or step in state.stale:
            continue
        if result.data.get("no_endpoint"):
            diagnosis_id, what, fix = _NOT_OFFERED[step]
            yield Diagnosis(diagnosis_id, step, "error",
                            f"the provider names no {what}", fix)
        elif result.status == "error" and result.response is not None:
            yield from _refused(state, step, result)
    yield from _introspection_rules(state)
    yield from _revocation_rules(state)


def _refused(state: FlowState, step: str, result) -> Iterator[Diagnosis]:
    """A follow-up endpoint refusing the client: the same credentials as at token (RFC 7662
    §2.1 and RFC 7009 §2.1 both require client authentication)."""
    body = result.response.json() or {}
    refused = refused_client_auth(result)
    if refused and result.request and "client_assertion" in dict(result.request.form or ()):
        said = " ".join(str(v) for v in body.values()).lower()
        yield assertion_refusal(state, result, said)
    elif refused and step != "logout":
        yield Diagnosis("followup_client_auth_failed", step, "error",
                        f"the {step} endpoint refused the client's authentication: "
                        f"{body.get('error_description') or result.response.status}",
                        "the endpoint wants the client authenticated the way the token "
                        "endpoint does; check the auth method and secret")
    elif step == "logout":
        yield from _logout_refused(body, result)


def refused_client_auth(result) -> bool:
    """The endpoint refused the client's credentials, not the request: `invalid_client`, or
    HTTP 401 (RFC 6749 §5.2, which RFC 7662, RFC 7009 and RFC 9126 answer with)."""
    body = result.response.json() or {}
    return body.get("error") == "invalid_client" or result.response.status == 401


def _logout_refused(body: dict, result) -> Iterator[Diagnosis]:
    said = f"{body.get('error_description', '')} {body.get('error_hint', '')}" if body \
        else result.response.body[:4000]  # an HTML error page: its words are the reason
    text = said.lower()
    if "post_logout_redirect_uri" in text:
        yield Diagnosis("post_logout_redirect_uri_not_registered", "logout", "error",
                        "the provider does not accept this post_logout_redirect_uri",
                        "register it on the application exactly (RP-Initiated Logout §3), "
                        "or leave --post-logout-redirect-uri out")
    elif "id_token_hint" in text:
        yield Diagnosis("id_token_hint_invalid", "logout", "error",
                        "the provider refused the id_token_hint",
                        "send an ID token this provider issued to this client, unaltered")


def _introspection_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("introspection")
    if result is not None and result.data.get("active") is False:
        yield Diagnosis("token_inactive", "introspection", "error",
                        "the server says the access token is not active: expired, revoked, "
                        "or issued to another client",
                        "introspect with the client the token was issued to; if it is, the "
                        "grant was revoked (a reused code revokes it, RFC 6749 §4.1.2)")


def _revocation_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("revocation")
    if result is not None and result.data.get("still_active"):
        hint = result.data.get("token_type_hint", "token")
        yield Diagnosis("revocation_not_effective", "revocation", "warning",
                        f"the server accepted the revocation but still calls the {hint} active",
                        "the server may revoke lazily or ignore tokens it cannot revoke "
                        "(self-contained JWTs live until exp, RFC 7009 §2.2)")

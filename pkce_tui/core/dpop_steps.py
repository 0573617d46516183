"""DPoP (RFC 9449) in the flow's steps: the token and refresh requests carry a proof made with
the flow's key, the answer's binding is checked, and userinfo sends the token with its proof.

The key is made by the token step and travels with its tokens (`TokenResponse.dpop_key`), so
refresh and userinfo prove possession of the key the tokens were bound to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core.dpop import DpopKey, ProofSent, binding_check, new_key, send_with_proof
from pkce_tui.core.http import HttpRequest

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.runner import FlowRunner


def flow_key(state: FlowState) -> DpopKey | None:
    """The key the flow's tokens are bound to: the token step's."""
    issued = state.value("token")
    return issued.dpop_key if issued is not None else None


async def token_exchange(step: str, state: FlowState, runner: FlowRunner,
                         request: HttpRequest, judge):
    """A token or refresh request with a proof (RFC 9449 §5); a nonce challenge answered;
    the binding of the access token checked (§6.1)."""
    key = (flow_key(state) if step == "refresh" else None) or new_key()
    sent = await send_with_proof(runner.client, request, key, runner.clock())
    result = judge(step, sent.request, sent.response)
    data = {**result.data, **proof_data(sent)}
    if result.value is None or not result.value.ok:
        return replace(result, data=data, exchanges=sent.earlier)
    tokens = result.value.tokens
    data["dpop_binding"] = binding_check(tokens.get("access_token"), tokens.get("token_type"),
                                         key)
    status, error = result.status, result.error
    if data["dpop_binding"]["ok"] is False:
        status, error = "warning", f"DPoP: {data['dpop_binding']['detail']}"
    return replace(result, status=status, error=error, data=data, exchanges=sent.earlier,
                   value=replace(result.value, dpop_key=key))


async def resource_request(state: FlowState, runner: FlowRunner, request: HttpRequest,
                           access_token: str) -> ProofSent | None:
    """A request with a DPoP-bound access token: `Authorization: DPoP` and a proof holding
    `ath` (RFC 9449 §7.1); None when the flow does not use DPoP."""
    key = flow_key(state)
    issued = state.value("token")
    bound = issued is not None and str(issued.tokens.get("token_type")).lower() == "dpop"
    if not state.config.dpop or key is None or not bound:
        return None  # a Bearer token goes as Bearer (RFC 6750), the server did not bind it
    headers = tuple((name, f"DPoP {access_token}" if name.lower() == "authorization" else value)
                    for name, value in request.headers)
    return await send_with_proof(runner.client, replace(request, headers=headers), key,
                                 runner.clock(), access_token=access_token)


def proof_data(sent: ProofSent | None) -> dict:
    """The proof decoded under `dpop` (DESIGN.md §3) and the nonce the server asked for."""
    if sent is None:
        return {}
    data: dict = {"dpop": sent.proof}
    if sent.nonce:
        data["dpop_nonce"] = sent.nonce
    return data

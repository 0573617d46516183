"""The `par` step (RFC 9126) and the authorize step's pushed form: the request is posted to
the PAR endpoint with client authentication, and the browser opens a URL holding only
`client_id` and the `request_uri` the server gave back (§4)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pkce_tui.core.client import send
from pkce_tui.core.followup_steps import assertion_data, client_auth
from pkce_tui.core.par import PushedAuthorizeRequest, par_request, parse_par_response
from pkce_tui.core.step_result import StepResult

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.runner import FlowRunner


async def par(state: FlowState, runner: FlowRunner) -> StepResult:
    """Push the authorization request (RFC 9126 §2.1) and keep its request_uri (§2.2)."""
    from pkce_tui.core.steps import build_authorize_request

    endpoints = state.value("discovery")
    if endpoints is None:
        return StepResult("par", "skipped", "no endpoints: the discovery step failed")
    if not endpoints.pushed_authorization_request_endpoint:
        why = "the provider names no pushed_authorization_request_endpoint"
        return StepResult("par", "error", why, {"no_endpoint": True}, error=why)
    request = build_authorize_request(state, endpoints)
    push = par_request(endpoints.pushed_authorization_request_endpoint, client_auth(state, runner),
                       request)
    response = await send(runner.client, push)
    answer = parse_par_response(response)
    data = {"params": dict(request.params()), "state": request.state, "nonce": request.nonce,
            "request_uri": answer.request_uri, "expires_in": answer.expires_in,
            "problems": list(answer.problems), **assertion_data(push)}
    if answer.error:
        return StepResult("par", "error", answer.error, data, request=push, response=response,
                          error=answer.error)
    pushed = PushedAuthorizeRequest(**asdict(request), request_uri=answer.request_uri,
                                    expires_in=answer.expires_in)
    status = "warning" if answer.problems else "ok"
    return StepResult("par", status, f"request_uri {answer.request_uri}, expires in "
                      f"{answer.expires_in} s", data, request=push, response=response,
                      value=pushed)


def pushed_authorize(state: FlowState) -> StepResult:
    """The authorization URL after a push: `client_id` and `request_uri` only (RFC 9126 §4)."""
    pushed = state.value("par")
    if pushed is None:
        return StepResult("authorize", "skipped", "no request_uri: the par step failed")
    url = pushed.url()
    data = {"url": url, "params": dict(pushed.params()), "state": pushed.state,
            "nonce": pushed.nonce, "request_uri": pushed.request_uri}
    return StepResult("authorize", "ok", url, data, value=pushed)

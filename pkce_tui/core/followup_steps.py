"""The follow-up steps after the tokens, each asked for on its own: introspection (RFC 7662),
revocation (RFC 7009) and RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

Like `steps.py`, each function reads the flow state and returns a `StepResult`; expected
failures are results. They use the newest tokens: the refresh step's when it ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkce_tui.core import urls
from pkce_tui.core.authorize import new_state
from pkce_tui.core.client import send
from pkce_tui.core.client_assertion import client_auth_for, decoded_assertion
from pkce_tui.core.errors import ProtocolError
from pkce_tui.core.followups import (
    REDIRECT_STATUSES,
    introspection_request,
    judge_logout,
    logout_request,
    parse_introspection,
    revocation_verdict,
)
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.login import LoginStopped, _Session
from pkce_tui.core.step_result import StepResult
from pkce_tui.core.token import ClientAuth, revocation_request

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.runner import FlowRunner

NO_TOKENS = "no tokens: the token step did not succeed"
#: An auto-submitting page (form_post) is followed at most this many times during a logout.
MAX_LOGOUT_HOPS = 3


def current_tokens(state: FlowState) -> dict | None:
    """The newest tokens: the token response, with what a successful refresh replaced."""
    issued = state.value("token")
    if issued is None:
        return None
    refreshed = state.value("refresh")
    return {**issued.tokens, **(refreshed.tokens if refreshed else {})}


def client_auth(state: FlowState, runner: FlowRunner) -> ClientAuth:
    """The client's authentication as configured, for the endpoints that ask for it; a fresh
    assertion for private_key_jwt (RFC 7523 §3)."""
    return client_auth_for(state, runner.clock)


def assertion_data(request: HttpRequest) -> dict:
    """`{"client_assertion": {"header", "payload"}}` when the request carries one (DESIGN §3)."""
    decoded = decoded_assertion(request.form)
    return {"client_assertion": decoded} if decoded else {}


def _missing(step: str, what: str) -> StepResult:
    why = f"the provider names no {what}: it may not offer it, or it is not in discovery"
    return StepResult(step, "error", why, {"no_endpoint": True}, error=why)


async def introspection(state: FlowState, runner: FlowRunner) -> StepResult:
    """Ask the server about the access token (RFC 7662 §2.1); a fresh one should be active."""
    tokens = current_tokens(state)
    if not tokens or not tokens.get("access_token"):
        return StepResult("introspection", "skipped", NO_TOKENS)
    endpoint = state.value("discovery").introspection_endpoint
    if not endpoint:
        return _missing("introspection", "introspection endpoint")
    request = introspection_request(endpoint, client_auth(state, runner), tokens["access_token"])
    response = await send(runner.client, request)
    answer = parse_introspection(response)
    data = {"token_type_hint": "access_token", "active": answer.active, "claims": answer.claims,
            **assertion_data(request)}
    if answer.error:
        return StepResult("introspection", "error", answer.error, data, request=request,
                          response=response, error=answer.error)
    if not answer.active:
        why = "the server says the access token is not active"
        return StepResult("introspection", "error", why, data, request=request,
                          response=response, error=why, value=answer)
    summary = f"active; client_id {answer.claims.get('client_id')}, " \
              f"scope {answer.claims.get('scope')}"
    return StepResult("introspection", "ok", summary, data, request=request, response=response,
                      value=answer)


async def revocation(state: FlowState, runner: FlowRunner) -> StepResult:
    """Revoke the refresh token, or the access token when there is none (RFC 7009 §2.1), then
    ask introspection, where there is one, whether the token is really dead."""
    tokens = current_tokens(state)
    if not tokens or not tokens.get("access_token"):
        return StepResult("revocation", "skipped", NO_TOKENS)
    endpoints = state.value("discovery")
    if not endpoints.revocation_endpoint:
        return _missing("revocation", "revocation endpoint")
    hint = "refresh_token" if tokens.get("refresh_token") else "access_token"
    request = revocation_request(endpoints.revocation_endpoint, client_auth(state, runner),
                                 tokens[hint], hint)
    response = await send(runner.client, request)
    data = {"token_type_hint": hint, **assertion_data(request)}
    refused = revocation_verdict(response)
    if refused:
        return StepResult("revocation", "error", refused, data, request=request,
                          response=response, error=refused)
    if endpoints.introspection_endpoint:
        data["still_active"] = await _still_active(state, runner, tokens[hint], hint)
    if data.get("still_active"):
        why = f"HTTP 200, but introspection still calls the {hint} active"
        return StepResult("revocation", "warning", why, data, request=request, response=response,
                          error=why)
    checked = "; introspection confirms it" if "still_active" in data else ""
    return StepResult("revocation", "ok", f"{hint} revoked{checked}", data, request=request,
                      response=response)


async def _still_active(state: FlowState, runner: FlowRunner, token: str,
                        hint: str) -> bool | None:
    """Introspect a revoked token: True when the server still calls it active."""
    endpoint = state.value("discovery").introspection_endpoint
    request = introspection_request(endpoint, client_auth(state, runner), token, hint)
    answer = parse_introspection(await send(runner.client, request))
    return answer.active


async def logout(state: FlowState, runner: FlowRunner) -> StepResult:
    """RP-initiated logout (RP-Initiated Logout 1.0 §2) with the ID token as id_token_hint.

    Sent as a browser without the user's session would send it; an auto-submitting page (the
    way oidc-provider asks the browser to confirm) is submitted as the browser's script would.
    """
    endpoint = state.value("discovery")
    if endpoint is None:
        return StepResult("logout", "skipped", "no endpoints: the discovery step failed")
    if not endpoint.end_session_endpoint:
        return _missing("logout", "end-session endpoint")
    c = state.config
    tokens = current_tokens(state) or {}
    logout_state = new_state() if c.post_logout_redirect_uri else None
    request = logout_request(endpoint.end_session_endpoint, id_token_hint=tokens.get("id_token"),
                             client_id=c.client_id,
                             post_logout_redirect_uri=c.post_logout_redirect_uri,
                             state=logout_state)
    session = _Session(runner.client)
    data = {"id_token_hint": bool(tokens.get("id_token")),
            "post_logout_redirect_uri": c.post_logout_redirect_uri, "state": logout_state}
    try:
        last, response = await _walk_logout(session, request)
    except LoginStopped as stop:
        return StepResult("logout", "error", str(stop), data, error=str(stop),
                          exchanges=tuple(session.exchanges))
    outcome = judge_logout(response, last.url, c.post_logout_redirect_uri, logout_state)
    data["location"] = outcome.location
    return StepResult("logout", outcome.status, outcome.summary, data, request=last,
                      response=response, error=outcome.summary if outcome.status != "ok" else None,
                      exchanges=tuple(session.exchanges) if len(session.exchanges) > 1 else ())


async def _walk_logout(session: _Session,
                       request: HttpRequest) -> tuple[HttpRequest, HttpResponse]:
    """Send the logout and submit any auto-submitting form it answers with (same origin)."""
    for _ in range(MAX_LOGOUT_HOPS):
        response = await session.send(request, "logout")
        follow = _auto_submit(request.url, response)
        if follow is None:
            return request, response
        request = follow
    return request, response


def _auto_submit(url: str, response: HttpResponse) -> HttpRequest | None:
    """The request a browser's script would make from this page: a form of hidden fields
    only, on the same origin, that the page submits itself (form_post)."""
    if response.status in REDIRECT_STATUSES or "html" not in (response.header("Content-Type")
                                                               or ""):
        return None
    if "submit()" not in response.body:
        return None
    try:
        form = parse_form(response.body, url)
    except ProtocolError:
        return None
    if form is None or form.asks_password or not _same_origin(form.action, url):
        return None
    return form.request()


def _same_origin(url: str, other: str) -> bool:
    first = urls.origin(url)
    return first is not None and first == urls.origin(other)

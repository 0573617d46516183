"""Why a pushed authorization request (RFC 9126) failed, or why one was needed. Ids join
the public vocabulary (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.authorize import refusal
from pkce_tui.core.diagnosis.followups import refused_client_auth
from pkce_tui.core.diagnosis.model import Diagnosis, failed, said

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

_REQUIRED_WORDS = ("pushed authorization", "require_pushed_authorization_requests", "par ")


def par_rules(state: FlowState) -> Iterator[Diagnosis]:
    """PAR endpoint missing, a push refused, PAR required but not used, a request_uri expired
    or reused."""
    result = state.result("par")
    if state.config.par and result is not None and result.data.get("no_endpoint"):
        yield Diagnosis("par_not_supported", "par", "error",
                        "the provider names no pushed_authorization_request_endpoint",
                        "the tenant may not offer PAR (CyberArk does not; PingOne: /as/par, "
                        "Cloudentity: /par); drop --par, or enable PAR on the tenant")
    yield from _push_refused(state)
    text = _authorize_refusal(state)
    if not state.config.par:
        yield from _par_required(state, text)
    elif "request_uri" in text:
        yield _request_uri_refused(state, "expire" in text)


def _push_refused(state: FlowState) -> Iterator[Diagnosis]:
    """A push refused for what the request asks (RFC 9126 §2.3: the authorization error codes,
    in a JSON body): the causes the authorize step names, found at the push. Client
    authentication failing is the follow-up rules' (`followups.followup_rules`)."""
    result = failed(state, "par")
    if result is None or result.response is None or refused_client_auth(result):
        return
    words = said(result)
    if words is None:
        return
    found = refusal(words, state.config, "par")
    if found is not None:
        yield replace(found, step="par")


def _authorize_refusal(state: FlowState) -> str:
    """The server's words refusing the authorization request, lowercased: the error
    redirected back, or the login step's failure when the server would not redirect."""
    redirect = state.result("redirect")
    if redirect is not None and redirect.data.get("kind") == "error":
        return f"{redirect.data.get('error')} {redirect.data.get('error_description')}".lower()
    login = state.result("login")
    if login is not None and login.status == "error":
        return (login.error or "").lower()
    return ""


def _par_required(state: FlowState, text: str) -> Iterator[Diagnosis]:
    endpoints = state.value("discovery")
    demanded = endpoints is not None and endpoints.require_pushed_authorization_requests
    if demanded or any(word in f"{text} " for word in _REQUIRED_WORDS):
        yield Diagnosis("par_required", "authorize", "error",
                        "the server requires pushed authorization requests "
                        "(require_pushed_authorization_requests)",
                        "run the flow with --par (RFC 9126 §5): the request is pushed first, "
                        "and the browser gets only client_id and request_uri")


def _request_uri_refused(state: FlowState, said_expired: bool) -> Diagnosis:
    """A refused request_uri: expired when the server says so or the browser came after
    `expires_in`, else reused (one authorization request each, RFC 9126 §4)."""
    par, login = state.result("par"), state.result("login")
    expires_in = par.data.get("expires_in") if par else None
    waited = (login.at - par.at) if par and login and par.at and login.at else 0.0
    if said_expired or (expires_in is not None and waited > expires_in):
        return Diagnosis("request_uri_expired", "par", "error",
                         f"the request_uri had expired when the browser brought it, "
                         f"{int(waited)} s after the push (it lives {expires_in} s)",
                         "replay from par for a fresh request_uri and open "
                         "the authorization URL at once")
    return Diagnosis("request_uri_reused", "par", "error",
                     "the server refused a request_uri that had not expired: it was most "
                     "likely used already (one authorization request each, RFC 9126 §4)",
                     "replay from par for a fresh request_uri")

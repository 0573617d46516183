"""Refusals of the authorization request (RFC 6749 §4.1.2.1): in an error redirect, or, when
the server will not redirect (unknown client, unregistered redirect_uri), on its own page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.causes import causes
from pkce_tui.core.diagnosis.model import RETRY, Diagnosis, failed, said
from pkce_tui.core.server_says import ServerSays, from_html, last_words

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowConfig, FlowState
    from pkce_tui.core.step_result import StepResult

#: Error codes of an authorization error response, by the cause they name.
_BY_ERROR = {
    "access_denied": ("access_denied", "the user or a policy refused the request",
                      "check the user's access to the application and its policies"),
    "login_required": ("login_required", "the server needs the user to log in",
                       "run the flow without prompt=none, or log in first"),
    "interaction_required": ("login_required", "the server needs the user at a browser",
                             "run the flow without prompt=none, in a browser"),
    "consent_required": ("login_required", "the server needs the user's consent",
                         "run the flow without prompt=none and grant the consent"),
    "invalid_scope": ("scope_not_allowed", "the tenant refused a requested scope",
                      "request only the scopes the application is allowed (RFC 6749 §3.3)"),
    "server_error": ("server_error", "the authorization server failed", RETRY),
    "temporarily_unavailable": ("temporarily_unavailable",
                                "the authorization server is overloaded or in maintenance",
                                "retry in a moment; the request itself is fine"),
    "unsupported_response_type": ("response_type_not_supported",
                                  "the server does not issue codes for this request",
                                  "send response_type=code, and enable the authorization "
                                  "code grant on the application"),
    "unauthorized_client": ("unauthorized_client",
                            "the application may not use the authorization code grant",
                            "enable the authorization code grant (and this response type) "
                            "on the application"),
}


def authorize_rules(state: FlowState) -> Iterator[Diagnosis]:
    """What the authorization URL itself gives away: a client secret in it."""
    result = state.result("authorize")
    if result and "client_secret" in result.data.get("params", {}):
        yield Diagnosis("client_secret_in_authorize_url", "authorize", "error",
                        "the client secret is in the authorization URL, which the browser, "
                        "proxies and server logs all see",
                        "remove client_secret from the authorize parameters and rotate the "
                        "secret; it belongs only in the token request (RFC 6749 §2.3.1)")


def refusal(words: ServerSays, config: FlowConfig, step: str) -> Diagnosis | None:
    """The cause of a refused authorization request, from the server's words."""
    found = causes(words)
    summary = words.summary()
    if "redirect_uri" in found:
        return Diagnosis("redirect_uri_not_registered", "authorize", "error",
                         f"the server refuses the redirect_uri {config.redirect_uri}: {summary}",
                         f"register {config.redirect_uri} exactly on the application "
                         "(RFC 6749 §3.1.2; scheme, host, port and path must all match), or "
                         "use a redirect URI it knows")
    if "unknown_client" in found or words.error == "invalid_client":
        return Diagnosis("unknown_client", "authorize", "error",
                         f"the server does not know the client {config.client_id!r}: {summary}",
                         "check the client id, and that it lives in this tenant (app id, "
                         "environment or workspace)")
    if "pkce" in found or "verifier" in found:
        return pkce_refusal(words, config)
    if words.error in _BY_ERROR:
        diagnosis_id, what, fix = _BY_ERROR[words.error]
        return Diagnosis(diagnosis_id, step, "error", f"{what}: {summary}", fix)
    if words.error == "invalid_request" and "response_type" in words.words():
        return Diagnosis("response_type_not_supported", step, "error",
                         f"the request's response_type was refused: {summary}",
                         "send response_type=code (RFC 6749 §4.1.1)")
    return None


def pkce_refusal(words: ServerSays, config: FlowConfig) -> Diagnosis:
    """A refused code_challenge: the method (S256 wanted) or no challenge at all."""
    text = words.words()
    method = config.method
    if method == "plain" or ("s256" in text and method != "S256"):
        return Diagnosis("s256_required", "authorize", "error",
                         f"the server refuses code_challenge_method={method}: it wants S256 "
                         f"({words.summary()})",
                         "send code_challenge_method=S256 (RFC 7636 §4.2)")
    return Diagnosis("pkce_required", "authorize", "error",
                     f"the server requires PKCE and no usable code_challenge was sent "
                     f"({words.summary()})",
                     "send code_challenge and code_challenge_method=S256 (RFC 7636 §4.3)")


def redirect_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("redirect")
    if result is None:
        return
    data = result.data
    for check in data.get("checks", []):
        if check["name"] == "state" and check["ok"] is False:
            yield Diagnosis("state_mismatch", "redirect", "error",
                            f"the state that came back is not the one sent: {check['detail']}",
                            "start a new flow; never accept a callback whose state differs "
                            "(RFC 6749 §10.12)")
        if check["name"] == "iss" and check["ok"] is False:
            yield Diagnosis("iss_mismatch", "redirect", "error",
                            f"the iss parameter names another issuer: {check['detail']}",
                            "the response may come from a mix-up attack (RFC 9207 §2.4); "
                            "check the configured issuer")
    if data.get("kind") == "login_required":
        yield Diagnosis("login_required", "redirect", "error",
                        "the server sent the browser to a login page instead of back with a code",
                        "log in first (a session cookie, an API login) or use a browser")
    words = said(result)
    if data.get("kind") == "error" and words is not None:
        found = refusal(words, state.config, "redirect")
        if found is not None:
            yield found


def login_rules(state: FlowState) -> Iterator[Diagnosis]:
    """A login that stopped: the server refused the authorization request on a page of its
    own (it will not redirect to an unknown client or redirect URI), or the password."""
    result = failed(state, "login")
    if result is None or result.data.get("network_error"):
        return
    words = said(result) or last_words(result.exchanges) or _error_page(result)
    if words is not None and not _is_404(result):
        found = refusal(words, state.config, "authorize")
        if found is not None:
            yield found
            return
    found = _from_the_error_line(result.error or "", words, state.config)
    if found is not None:
        yield found


def _from_the_error_line(error: str, words: ServerSays | None,
                         config: FlowConfig) -> Diagnosis | None:
    """When no answer said anything structured: the login's own one-line reason."""
    text = f"{error} {words.words() if words else ''}".lower()
    if any(w in text for w in ("password", "authentication (login or challenge) has failed",
                               "invalid username", "user not found")):
        return Diagnosis("login_failed", "login", "error", f"the login was refused: {error}",
                         "check the username and password, and that the user may use the app")
    if "redirect_uri" in text or "redirect uri" in text:
        return Diagnosis("redirect_uri_not_registered", "authorize", "error",
                         f"the server refused the redirect_uri before any login: {error}",
                         f"register {config.redirect_uri} exactly on the application "
                         "(RFC 6749 §3.1.2), or use a redirect URI it knows")
    if "client" in text and any(w in text for w in ("invalid_client", "unknown", "not found")):
        return Diagnosis("unknown_client", "authorize", "error",
                         f"the server does not know the client: {error}",
                         "check the client id (and the tenant, app id or environment it "
                         "lives in)")
    return None


def _error_page(result: StepResult) -> ServerSays | None:
    """An error page served with HTTP 200, where the login found no form to fill."""
    last = result.exchanges[-1].response if result.exchanges else None
    if last is None or "no form to fill" not in (result.error or ""):
        return None
    return from_html(last.body, last)


def _is_404(result: StepResult) -> bool:
    return any(e.response is not None and e.response.status == 404 for e in result.exchanges)

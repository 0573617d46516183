"""Why a flow failed: the server's answer read against everything the flow knows.

Servers often answer a bare `invalid_grant` (panva's oidc-provider says "grant request is
invalid" for a wrong verifier, a reused code and a redirect_uri mismatch alike). The flow knows
what it sent at authorize and at token, so it can name the cause. Ids are a public vocabulary
(DESIGN.md §6): add new ones, never rename one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkce_tui.core.pkce import make_challenge

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

CODE_LIFETIME_HINT_S = 60


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause: a stable id, the step it concerns, how bad, what happened, the fix."""

    id: str
    step: str
    severity: str
    summary: str
    fix: str

    def to_json(self) -> dict:
        return {"id": self.id, "step": self.step, "severity": self.severity,
                "summary": self.summary, "fix": self.fix}


Rule = Callable[["FlowState"], Iterator[Diagnosis]]


def diagnose(state: FlowState) -> tuple[Diagnosis, ...]:
    """Every diagnosis that the current results support, in step order, without duplicates."""
    from pkce_tui.core.diagnose_followups import followup_rules

    found: dict[str, Diagnosis] = {}
    for rule in (*_RULES, followup_rules):
        for diagnosis in rule(state):
            found.setdefault(diagnosis.id, diagnosis)
    return tuple(found.values())


def _failed(state: FlowState, step: str):
    result = state.result(step)
    return result if result is not None and result.status == "error" else None


def _discovery_rules(state: FlowState) -> Iterator[Diagnosis]:
    """A refused discovery document (OIDC Discovery §4): a failing server, or an issuer that is
    not the configured one, which §4.3 forbids using (often only a trailing slash differs)."""
    result = _failed(state, "discovery")
    if result is None or result.response is None:
        return
    status = result.response.status
    if status >= 500:
        yield Diagnosis("server_error", "discovery", "error",
                        f"the discovery endpoint failed with HTTP {status}",
                        "retry; if it persists, look at the server's logs")
        return
    named = (result.response.json() or {}).get("issuer")
    configured = state.config.issuer
    if isinstance(named, str) and named != configured:
        yield Diagnosis("issuer_mismatch", "discovery", "error",
                        f"the discovery document names the issuer {named!r}, not the "
                        f"configured {configured!r}",
                        f"configure the issuer exactly as the provider writes it, {named!r} "
                        "(trailing slash included, OIDC Discovery §4.3)")


def _verifier_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("verifier")
    if result and result.data.get("problems"):
        yield Diagnosis("verifier_malformed", "verifier", "warning",
                        "the code_verifier breaks RFC 7636 §4.1: "
                        + "; ".join(result.data["problems"]),
                        "use 43-128 characters of A-Z a-z 0-9 - . _ ~")


def _authorize_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("authorize")
    if result and "client_secret" in result.data.get("params", {}):
        yield Diagnosis("client_secret_in_authorize_url", "authorize", "error",
                        "the client secret is in the authorization URL, which the browser, "
                        "proxies and server logs all see",
                        "remove client_secret from the authorize parameters and rotate the "
                        "secret; it belongs only in the token request (RFC 6749 §2.3.1)")
    config = state.config
    if config.auth_method == "none" and config.client_secret:
        yield Diagnosis("secret_sent_by_public_client", "token", "warning",
                        "a client secret is configured for a public client (auth method none)",
                        "a public client cannot keep a secret (RFC 8252 §8.5): drop it, or "
                        "set the auth method the tenant expects")


_REDIRECT_ERRORS = {
    "access_denied": ("access_denied", "the user or a policy refused the request",
                      "check the user's access to the application and its policies"),
    "login_required": ("login_required", "the server needs the user to log in",
                       "run the flow without prompt=none, or log in first"),
    "invalid_scope": ("scope_not_allowed", "the tenant refused a requested scope",
                      "request only the scopes the application is allowed"),
    "server_error": ("server_error", "the authorization server failed",
                     "retry; if it persists, look at the server's logs"),
}


def _redirect_rules(state: FlowState) -> Iterator[Diagnosis]:
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
    if data.get("kind") == "error":
        yield from _redirect_error(data.get("error") or "",
                                   data.get("error_description") or "", state)


def _redirect_error(error: str, description: str, state: FlowState) -> Iterator[Diagnosis]:
    text = f"{error}: {description}".lower()
    if "redirect" in text and "uri" in text:
        yield Diagnosis("redirect_uri_not_registered", "authorize", "error",
                        f"the tenant does not accept this redirect_uri ({description})",
                        f"register {state.config.redirect_uri} exactly on the application")
    elif "code_challenge" in text or "pkce" in text:
        yield _pkce_refusal(text, state)
    elif error in _REDIRECT_ERRORS:
        diagnosis_id, summary, fix = _REDIRECT_ERRORS[error]
        yield Diagnosis(diagnosis_id, "redirect", "error", f"{summary}: {description}", fix)


def _login_rules(state: FlowState) -> Iterator[Diagnosis]:
    """A server that refuses the authorization request before any login page shows an error
    instead of redirecting (RFC 6749 §4.1.2.1): the redirect URI or the client is unknown."""
    result = _failed(state, "login")
    if result is None or result.data.get("network_error"):
        return
    text = (result.error or "").lower()
    if "redirect_uri" in text or "redirect uri" in text:
        yield Diagnosis("redirect_uri_not_registered", "authorize", "error",
                        f"the server refused the redirect_uri before any login: {result.error}",
                        f"register {state.config.redirect_uri} exactly on the application "
                        "(RFC 6749 §3.1.2), or use a redirect URI it knows")
    elif "client" in text and any(w in text for w in ("invalid_client", "unknown", "not found")):
        yield Diagnosis("unknown_client", "authorize", "error",
                        f"the server does not know the client: {result.error}",
                        "check the client id (and the tenant, app id or environment it lives in)")
    elif any(w in text for w in ("password", "authentication (login or challenge) has failed")):
        yield Diagnosis("login_failed", "login", "error",
                        f"the login was refused: {result.error}",
                        "check the username and password, and that the user may use the app")


def _pkce_refusal(text: str, state: FlowState) -> Diagnosis:
    method = state.config.method
    if method == "plain" or ("s256" in text and method != "S256"):
        return Diagnosis("s256_required", "authorize", "error",
                         f"the server refuses code_challenge_method={method}: it wants S256",
                         "send code_challenge_method=S256 (RFC 7636 §4.2)")
    return Diagnosis("pkce_required", "authorize", "error",
                     "the server requires PKCE and no usable code_challenge was sent",
                     "send code_challenge and code_challenge_method=S256 (RFC 7636 §4.3)")


def _token_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = _failed(state, "token")
    if result is None:
        return
    if result.data.get("network_error"):
        yield Diagnosis("network_error", "token", "error", result.error or "no answer",
                        "check the token endpoint URL, the network, and --timeout")
        return
    status = result.response.status if result.response else 0
    code = result.data.get("error_code") or ""
    description = (result.data.get("error_description") or "").lower()
    if status >= 500:
        yield Diagnosis("server_error", "token", "error",
                        f"the token endpoint failed with HTTP {status}",
                        "retry; if it persists, look at the server's logs")
    elif code == "invalid_client":
        yield _client_auth_diagnosis(state, description)
    elif code == "invalid_grant":
        yield from _invalid_grant(state)
    elif code == "invalid_request" and ("verifier" in description or "pkce" in description):
        yield Diagnosis("pkce_required", "token", "error",
                        "the server wants a code_verifier with this code",
                        "send the code_verifier that matches the challenge (RFC 7636 §4.5)")


def _sent_form(state: FlowState) -> dict[str, str]:
    """The token request's form fields exactly as sent, overrides and --token-param included."""
    result = state.result("token")
    return dict(result.request.form or ()) if result and result.request else {}


def _sent_auth_method(state: FlowState) -> str:
    result = state.result("token")
    if result and result.request and result.request.header("Authorization"):
        return "client_secret_basic"
    return "client_secret_post" if "client_secret" in _sent_form(state) else "none"


def _client_auth_diagnosis(state: FlowState, description: str) -> Diagnosis:
    method = _sent_auth_method(state)
    if method == "none" or _names_another_auth_method(description, method):
        return Diagnosis("auth_method_mismatch", "token", "error",
                         f"the client authenticated with {method}, which the "
                         "tenant does not accept for this client",
                         "use the auth method the application is registered with "
                         "(client_secret_basic, client_secret_post or none)")
    return Diagnosis("invalid_client_secret", "token", "error",
                     "the server refused the client's credentials",
                     "check the client secret (copy it again; it may have been rotated) and "
                     "the client id")


def _names_another_auth_method(description: str, sent: str) -> bool:
    """The server's words point at the method, not the secret (PingOne: "Unsupported
    authentication method"; others name the method the client is registered with)."""
    others = {"client_secret_basic", "client_secret_post", "private_key_jwt"} - {sent}
    return "unsupported authentication method" in description or any(
        name in description for name in others)


def _invalid_grant(state: FlowState) -> Iterator[Diagnosis]:
    """Name the cause of a bare invalid_grant; say so when nothing sent explains it."""
    causes = list(_invalid_grant_causes(state))
    yield from causes or [Diagnosis(
        "invalid_grant_unexplained", "token", "error",
        "the server refused the code although the token request matches the authorize "
        "request: the code may have been redeemed or revoked elsewhere (another tab, a "
        "retrying proxy), or the server applies a rule of its own",
        "run the flow again from authorize for a fresh code; if it repeats, read the "
        "server's error_description and logs (RFC 6749 §5.2)")]


def _invalid_grant_causes(state: FlowState) -> Iterator[Diagnosis]:
    """The causes of an invalid_grant that what authorize and token really sent reveal."""
    form = _sent_form(state)
    authorize_request = state.value("authorize")
    authorize_redirect = authorize_request.redirect_uri if authorize_request else None
    if form.get("redirect_uri") != authorize_redirect:
        yield Diagnosis("redirect_uri_mismatch", "token", "error",
                        f"the token request's redirect_uri {form.get('redirect_uri')} differs "
                        f"from the authorize request's {authorize_redirect}",
                        "send exactly the authorize request's redirect_uri (RFC 6749 §4.1.3)")
    yield from _verifier_mismatch(state, form.get("code_verifier"))
    if _code_used_before(state, form.get("code")):
        yield Diagnosis("code_reused", "token", "error",
                        "this authorization code was already exchanged; codes are single-use",
                        "run the flow again from authorize for a fresh code (RFC 6749 §4.1.2)")
    elif _code_age(state) > CODE_LIFETIME_HINT_S:
        yield Diagnosis("code_expired", "token", "error",
                        f"the code was {int(_code_age(state))} s old when exchanged; codes "
                        "usually live 60 s or less", "exchange the code right after the redirect")


def _verifier_mismatch(state: FlowState, sent_verifier: str | None) -> Iterator[Diagnosis]:
    challenge = state.value("challenge")
    if challenge is None:
        return
    if sent_verifier is None:
        yield Diagnosis("verifier_mismatch", "token", "error",
                        "a code_challenge was sent at authorize but no code_verifier at token",
                        "send the code_verifier (RFC 7636 §4.5)")
    elif make_challenge(sent_verifier, challenge.method).code_challenge != \
            challenge.code_challenge:
        yield Diagnosis("verifier_mismatch", "token", "error",
                        f"{challenge.method}(code_verifier sent) does not equal the "
                        "code_challenge sent at authorize",
                        "send the verifier the challenge was made from (RFC 7636 §4.6)")


def _code_used_before(state: FlowState, code: str | None) -> bool:
    """True when an earlier exchange of `code` succeeded: a failed one may not burn it."""
    earlier = state.token_attempts[:-1]
    return any(a.status == "ok" and a.request is not None
               and ("code", code) in (a.request.form or ()) for a in earlier)


def _code_age(state: FlowState) -> float:
    redirect_result, token_result = state.result("redirect"), state.result("token")
    if not redirect_result or not token_result or not redirect_result.at:
        return 0.0
    return token_result.at - redirect_result.at


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


def _jwt_rules(state: FlowState) -> Iterator[Diagnosis]:
    for step in ("id_token", "access_token"):
        result = state.result(step)
        if result is None:
            continue
        for check in result.data.get("checks", []):
            if check["ok"] is not False:
                continue
            if check["name"] == "alg" and "none" in check["detail"].lower():
                yield Diagnosis("alg_none", step, "error", "the token is unsigned (alg none)",
                                "never accept alg none (RFC 8725 §3.1)")
            elif check["name"] in _JWT_CHECKS:
                diagnosis_id, summary, fix = _JWT_CHECKS[check["name"]]
                severity = "error" if step == "id_token" else "warning"
                yield Diagnosis(diagnosis_id, step, severity, f"{summary}: {check['detail']}",
                                fix)


def _network_rules(state: FlowState) -> Iterator[Diagnosis]:
    for step, result in state.results.items():
        if result.status == "error" and result.data.get("network_error") and step != "token":
            yield Diagnosis("network_error", step, "error", result.error or "no answer",
                            "check the URL, the network, and --timeout")


_RULES: tuple[Rule, ...] = (
    _network_rules, _discovery_rules, _verifier_rules, _authorize_rules, _login_rules,
    _redirect_rules, _token_rules, _jwt_rules,
)

"""Why the token endpoint refused the code (RFC 6749 §5.2), read against what the flow sent.

Servers often answer a bare `invalid_grant` (panva's oidc-provider says "grant request is
invalid" for a wrong verifier, a reused code and a redirect_uri mismatch alike). The flow knows
what it sent at authorize and at token, so it can name the cause when the words do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.causes import causes
from pkce_tui.core.diagnosis.client_assertion import assertion_refusal
from pkce_tui.core.diagnosis.model import RETRY, Diagnosis, failed, said
from pkce_tui.core.pkce import make_challenge, verifier_problems
from pkce_tui.core.redaction import is_masked
from pkce_tui.core.server_says import ServerSays

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

CODE_LIFETIME_HINT_S = 60
_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt")


def token_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = failed(state, "token")
    if result is None:
        return
    if result.data.get("network_error"):
        yield Diagnosis("network_error", "token", "error", result.error or "no answer",
                        "check the token endpoint URL, the network, and --timeout")
        return
    status = result.response.status if result.response else 0
    words = said(result) or ServerSays("none")
    code = words.error or result.data.get("error_code") or ""
    if status == 404:
        return  # the tenant rule names it
    if code == "temporarily_unavailable" or status == 503 or "retry" in causes(words):
        yield _retry(words, status)
    elif status >= 500 or code == "server_error":
        yield Diagnosis("server_error", "token", "error",
                        f"the token endpoint failed with HTTP {status}: {words.summary()}", RETRY)
    elif code == "invalid_client":
        yield _client_auth(state, words)
    elif code == "invalid_grant":
        yield from _invalid_grant(state, words)
    elif code == "invalid_request":
        yield from _invalid_request(state, words)
    elif code in ("unsupported_grant_type", "unauthorized_client"):
        yield Diagnosis("unauthorized_client", "token", "error",
                        f"the token endpoint refused the grant type: {words.summary()}",
                        "send grant_type=authorization_code, and enable that grant on the "
                        "application (RFC 6749 §4.1.3)")
    elif code == "invalid_scope":
        yield Diagnosis("scope_not_allowed", "token", "error",
                        f"the token endpoint refused a scope: {words.summary()}",
                        "request only the scopes the application is allowed (RFC 6749 §3.3)")


def _retry(words: ServerSays, status: int) -> Diagnosis:
    return Diagnosis("temporarily_unavailable", "token", "warning",
                     f"the server says the request may succeed if sent again (HTTP {status}: "
                     f"{words.summary()})",
                     "retry the token request (replay the token step); if it keeps failing, "
                     "run the flow again from authorize")


def sent_form(state: FlowState) -> dict[str, str]:
    """The token request's form fields exactly as sent, overrides and --token-param included."""
    result = state.result("token")
    return dict(result.request.form or ()) if result and result.request else {}


def sent_auth_method(state: FlowState) -> str:
    result = state.result("token")
    if result and result.request and result.request.header("Authorization"):
        return "client_secret_basic"
    if "client_assertion" in sent_form(state):
        return "private_key_jwt"
    return "client_secret_post" if "client_secret" in sent_form(state) else "none"


def sent_secret_masked(state: FlowState) -> bool:
    """The token request's client secret (form field or HTTP Basic credentials) is masked:
    a sanitized HAR or a masked export, so nothing can be judged of it."""
    result = state.result("token")
    if result is None or result.request is None:
        return False
    scheme, _, credentials = (result.request.header("Authorization") or "").partition(" ")
    secret = credentials.strip() if scheme.lower() == "basic" else \
        sent_form(state).get("client_secret", "")
    return is_masked(secret)


def _client_auth(state: FlowState, words: ServerSays) -> Diagnosis:
    """invalid_client: the secret, the method, a public client's secret, or the client."""
    method = sent_auth_method(state)
    found = causes(words)
    text = words.specific.lower()
    if method == "private_key_jwt" and not any(n in text for n in _METHODS if n != method):
        return assertion_refusal(state, state.result("token"), words.words())
    if any(name in text for name in _METHODS if name != method) and "auth_method" not in found:
        found.append("auth_method")  # the words name the method the client is registered with
    if method != "none" and _registered_as_public(text):
        return Diagnosis("secret_sent_by_public_client", "token", "error",
                         f"the client is registered as public (auth method none), but the "
                         f"request authenticated with {method}: {words.summary()}",
                         "send no client secret (auth method none) and prove the client with "
                         "PKCE (RFC 8252 §8.5), or register the client as confidential")
    if found[:1] == ["unknown_client"]:
        return Diagnosis("unknown_client", "token", "error",
                         f"the token endpoint does not know the client "
                         f"{state.config.client_id!r}: {words.summary()}",
                         "check the client id and that it lives in this tenant")
    if sent_secret_masked(state) and found[:1] != ["secret"] and "auth_method" not in found:
        return _masked_secret_refused(method, words)
    if found[:1] == ["secret"] or (method != "none" and "auth_method" not in found):
        named = found[:1] == ["secret"]
        return Diagnosis("invalid_client_secret", "token", "error",
                         f"the server refused the client's secret: {words.summary()}",
                         "check the client secret (copy it again; it may have been rotated "
                         "or expired) and the client id" + ("" if named else
                         "; if they are right, the client is registered for another auth "
                         "method, or as a public client that sends no secret"))
    return Diagnosis("auth_method_mismatch", "token", "error",
                     f"the client authenticated with {method}, which the tenant does not "
                     f"accept for this client: {words.summary()}",
                     "use the auth method the application is registered with "
                     "(client_secret_basic, client_secret_post or none)")


def _masked_secret_refused(method: str, words: ServerSays) -> Diagnosis:
    """invalid_client whose words name no cause, with the secret sent masked: a wrong secret
    is one cause among others (the method, the client), and the secret cannot be looked at."""
    return Diagnosis("client_auth_refused", "token", "error",
                     f"the token endpoint refused the client's authentication ({method}): "
                     f"{words.summary()}; the client secret is masked in what was recorded, "
                     "so whether it was the registered one cannot be told",
                     "compare the secret the client is configured with against the one "
                     "registered, and the auth method the application is registered with "
                     "(RFC 6749 §2.3.1)")


def _registered_as_public(text: str) -> bool:
    """The words say the client authenticates with `none`: it is a public client."""
    return any(phrase in text for phrase in (
        "authenticates with none", "public client", "auth_method none",
        "token_endpoint_auth_method none", "method: none", "registered for none"))


def _invalid_request(state: FlowState, words: ServerSays) -> Iterator[Diagnosis]:
    """invalid_request names a missing or malformed parameter."""
    form = sent_form(state)
    found = causes(words)
    if "verifier" in found or "pkce" in found:
        yield from _verifier_problem(state, form, words) or [_pkce_required(words)]
    elif "redirect_uri" in found:
        yield _redirect_uri_mismatch(state, form, words)
    elif "grant_type" not in form or "code" not in form:
        missing = [name for name in ("grant_type", "code") if name not in form]
        yield Diagnosis("token_request_malformed", "token", "error",
                        f"the token request has no {' or '.join(missing)}: {words.summary()}",
                        "send grant_type=authorization_code and the code as `code` "
                        "(RFC 6749 §4.1.3)")


def _verifier_problem(state: FlowState, form: dict, words: ServerSays) -> list[Diagnosis]:
    verifier = form.get("code_verifier")
    if verifier is None:
        return [_pkce_required(words)] if state.value("challenge") is not None else []
    if is_masked(verifier):  # a sanitized HAR or masked export: nothing to judge it by
        return []
    problems = verifier_problems(verifier)
    if problems:
        return [Diagnosis("verifier_malformed", "token", "error",
                          f"the code_verifier sent breaks RFC 7636 §4.1 ({'; '.join(problems)})"
                          f": {words.summary()}",
                          "send the verifier the challenge was made from: 43-128 characters "
                          "of A-Z a-z 0-9 - . _ ~")]
    return []


def _pkce_required(words: ServerSays) -> Diagnosis:
    return Diagnosis("pkce_required", "token", "error",
                     f"the token request has no code_verifier, but the code was issued for a "
                     f"code_challenge: {words.summary()}",
                     "send the code_verifier the challenge was made from (RFC 7636 §4.5)")


def _redirect_uri_mismatch(state: FlowState, form: dict, words: ServerSays | None) -> Diagnosis:
    authorize_request = state.value("authorize")
    sent_at_authorize = authorize_request.redirect_uri if authorize_request else None
    said_text = f": {words.summary()}" if words else ""
    if "redirect_uri" not in form:
        summary = (f"the token request has no redirect_uri, but the authorize request sent "
                   f"{sent_at_authorize}{said_text}")
        fix = "send the authorize request's redirect_uri in the token request too " \
              "(RFC 6749 §4.1.3 requires it when authorize had one)"
    else:
        summary = (f"the token request's redirect_uri {form['redirect_uri']} differs from the "
                   f"authorize request's {sent_at_authorize}{said_text}")
        fix = "send exactly the authorize request's redirect_uri (RFC 6749 §4.1.3)"
    return Diagnosis("redirect_uri_mismatch", "token", "error", summary, fix)


def _invalid_grant(state: FlowState, words: ServerSays) -> Iterator[Diagnosis]:
    """Name the cause of an invalid_grant: the server's words first, then what was sent; say
    so when nothing explains it."""
    from_words = list(_named_by_words(state, words))
    causes_found = from_words or list(_invalid_grant_causes(state, words))
    yield from causes_found or [Diagnosis(
        "invalid_grant_unexplained", "token", "error",
        "the server refused the code although the token request matches the authorize "
        "request: the code may have been redeemed or revoked elsewhere (another tab, a "
        f"retrying proxy), or the server applies a rule of its own ({words.summary()})",
        "run the flow again from authorize for a fresh code; if it repeats, read the "
        "server's error_description and logs (RFC 6749 §5.2)")]


def _named_by_words(state: FlowState, words: ServerSays) -> Iterator[Diagnosis]:
    """The cause the server's own words name, when they name one."""
    form = sent_form(state)
    found = causes(words)
    first = next((c for c in found if c in ("code_reused", "code_expired", "redirect_uri",
                                             "verifier", "pkce")), None)
    if first == "code_reused":
        yield Diagnosis("code_reused", "token", "error",
                        f"the authorization code was already exchanged: {words.summary()}",
                        "run the flow again from authorize for a fresh code; codes are "
                        "single-use (RFC 6749 §4.1.2)")
    elif first == "code_expired":
        yield Diagnosis("code_expired", "token", "error",
                        f"the authorization code expired before it was exchanged: "
                        f"{words.summary()}",
                        "exchange the code right after the redirect; run the flow again")
    elif first == "redirect_uri":
        yield _redirect_uri_mismatch(state, form, words)
    elif first in ("verifier", "pkce"):
        yield from (_verifier_problem(state, form, words)
                    or list(_verifier_mismatch(state, form.get("code_verifier")))
                    or [Diagnosis("verifier_mismatch", "token", "error",
                                  f"the server says the code_verifier does not match: "
                                  f"{words.summary()}",
                                  "send the verifier the challenge was made from "
                                  "(RFC 7636 §4.6)")])


def _invalid_grant_causes(state: FlowState, words: ServerSays) -> Iterator[Diagnosis]:
    """The causes of a bare invalid_grant that what authorize and token really sent reveal."""
    form = sent_form(state)
    authorize_request = state.value("authorize")
    authorize_redirect = authorize_request.redirect_uri if authorize_request else None
    if form.get("redirect_uri") != authorize_redirect:
        yield _redirect_uri_mismatch(state, form, None)
    yield from _verifier_problem(state, form, words) or _verifier_mismatch(
        state, form.get("code_verifier"))
    if _code_used_before(state, form.get("code")):
        yield Diagnosis("code_reused", "token", "error",
                        "this authorization code was already exchanged; codes are single-use",
                        "run the flow again from authorize for a fresh code (RFC 6749 §4.1.2)")
    elif _code_age(state) > CODE_LIFETIME_HINT_S:
        yield Diagnosis("code_expired", "token", "error",
                        f"the code was {int(_code_age(state))} s old when exchanged; codes "
                        "usually live 60 s or less", "exchange the code right after the redirect")


def _verifier_mismatch(state: FlowState, sent_verifier: str | None) -> list[Diagnosis]:
    challenge = state.value("challenge")
    if challenge is None:
        return []
    if sent_verifier is None:
        return [Diagnosis("pkce_required", "token", "error",
                          "a code_challenge was sent at authorize but the token request has "
                          "no code_verifier",
                          "send the code_verifier the challenge was made from (RFC 7636 §4.5)")]
    if is_masked(sent_verifier):
        return []
    if make_challenge(sent_verifier, challenge.method).code_challenge != \
            challenge.code_challenge:
        return [Diagnosis("verifier_mismatch", "token", "error",
                          f"{challenge.method}(code_verifier sent) does not equal the "
                          "code_challenge sent at authorize",
                          "send the verifier the challenge was made from (RFC 7636 §4.6)")]
    return []


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

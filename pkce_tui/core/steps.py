"""What each step of the flow does: read earlier results, call the core, return a result.

Every function takes the flow state and the runner (for the HTTP client, the redirect source
and the clock) and returns a `StepResult`; expected failures become results, never exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core import (
    dpop_steps,
    followup_steps,
    jwt,
    login,
    par_steps,
    preflight,
    preflight_step,
    providers,
)
from pkce_tui.core.authorize import AuthorizeRequest, leaked_secrets, new_nonce, new_state
from pkce_tui.core.checks import all_passed
from pkce_tui.core.client import send
from pkce_tui.core.client_assertion import client_auth_for
from pkce_tui.core.errors import InputError, NetworkError, PkceTuiError
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.pkce import generate_verifier, make_challenge, verifier_strength
from pkce_tui.core.redirect import parse_http_response, parse_redirect
from pkce_tui.core.server_says import from_params, from_response, last_words
from pkce_tui.core.step_result import StepResult
from pkce_tui.core.token import (
    authorization_code_request,
    parse_token_response,
    refresh_request,
    userinfo_request,
    whoami_request,
)

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.runner import FlowRunner

NO_TOKENS = "no tokens: the token step did not succeed"
StepFunction = Callable[["FlowState", "FlowRunner"], Awaitable[StepResult]]


async def run(step: str, state: FlowState, runner: FlowRunner) -> StepResult:
    """Run one step; the project's own errors become an error result with their one line."""
    try:
        return await _STEPS[step](state, runner)
    except NetworkError as exc:
        return StepResult(step, "error", str(exc), {"network_error": True},
                          request=exc.request, error=str(exc))
    except InputError as exc:
        return StepResult(step, "error", str(exc), {"bad_input": True}, error=str(exc))
    except PkceTuiError as exc:
        return StepResult(step, "error", str(exc), error=str(exc))


def _skipped(step: str, why: str) -> StepResult:
    return StepResult(step, "skipped", why)


async def discovery(state: FlowState, runner: FlowRunner) -> StepResult:
    """Endpoints from explicit options, a dialect template, or OIDC Discovery §4, then the
    pre-flight's authorize probe (`preflight_step`) whichever way they were found."""
    result = await _endpoints(state, runner)
    if result.value is None:
        return result
    return await preflight_step.with_authorize_probe(result, state.config, runner)


async def _endpoints(state: FlowState, runner: FlowRunner) -> StepResult:
    """The endpoints, with the metadata checks when a discovery document was read."""
    c = state.config
    if c.authorize_endpoint or c.token_endpoint:
        endpoints = providers.endpoints_from_options(
            authorize_endpoint=c.authorize_endpoint, token_endpoint=c.token_endpoint,
            jwks_uri=c.jwks_uri, userinfo_endpoint=c.userinfo_endpoint, issuer=c.issuer)
        return StepResult("discovery", "ok", "explicit endpoints", endpoints.to_json(),
                          value=endpoints)
    if c.dialect != "generic" or not c.issuer:
        endpoints = providers.dialect_endpoints(
            c.dialect, tenant_url=c.tenant_url, app_id=c.app_id, base_url=c.base_url,
            env_id=c.env_id, tenant=c.tenant, workspace=c.workspace, issuer=c.issuer)
        return StepResult("discovery", "ok", f"{c.dialect} endpoints from the tenant settings",
                          endpoints.to_json(), value=endpoints)
    request = providers.discovery_request(c.issuer)
    response = await send(runner.client, request)
    try:
        endpoints = providers.parse_discovery(c.issuer, response, c.dialect)
    except PkceTuiError as exc:
        return StepResult("discovery", "error", str(exc), request=request, response=response,
                          error=str(exc), server_says=from_response(response))
    checks = preflight.metadata_checks(c, response.json() or {})
    data = {**endpoints.to_json(), "checks": [check.to_json() for check in checks]}
    summary = preflight.discovery_summary(f"discovered {endpoints.issuer}", data["checks"])
    return StepResult("discovery", "ok" if all_passed(checks) else "warning", summary, data,
                      request=request, response=response, value=endpoints)


async def verifier(state: FlowState, runner: FlowRunner) -> StepResult:
    """The code_verifier (RFC 7636 §4.1): the configured one, or fresh from the CSPRNG."""
    if state.config.method == "none":
        return _skipped("verifier", "PKCE off: no code_verifier")
    value = state.config.verifier or generate_verifier()
    problems = make_challenge(value).problems
    strength = verifier_strength(value)
    data = {"code_verifier": value, "valid": not problems, "problems": list(problems),
            "entropy_bits": strength.max_bits, "entropy": strength.to_json()}
    if problems:
        return StepResult("verifier", "warning", "malformed verifier: " + "; ".join(problems),
                          data, value=value)
    if strength.warnings:  # RFC 7636 §7.1: valid by the grammar, but guessable
        return StepResult("verifier", "warning", f"{len(value)} characters, not random: "
                          f"{strength.warnings[0]}", data, value=value)
    return StepResult("verifier", "ok", f"{len(value)} characters, "
                      f"{data['entropy_bits']} bits", data, value=value)


async def challenge(state: FlowState, runner: FlowRunner) -> StepResult:
    """The code_challenge derived from the verifier (RFC 7636 §4.2)."""
    value = state.value("verifier")
    if state.config.method == "none" or value is None:
        return _skipped("challenge", "PKCE off: no code_challenge sent")
    derived = make_challenge(value, state.config.method)
    return StepResult("challenge", "ok", f"{derived.method} {derived.code_challenge}",
                      derived.to_json(), value=derived)


async def authorize(state: FlowState, runner: FlowRunner) -> StepResult:
    """The authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1)."""
    endpoints = state.value("discovery")
    if endpoints is None:
        return _skipped("authorize", "no endpoints: the discovery step failed")
    if state.config.par:
        return par_steps.pushed_authorize(state)
    request = build_authorize_request(state, endpoints)
    url = request.url()
    data = {"url": url, "params": dict(request.params()), "state": request.state,
            "nonce": request.nonce}
    leaks = leaked_secrets(request.params())
    if leaks:
        return StepResult("authorize", "warning", f"{', '.join(leaks)} in the URL: the browser, "
                          "logs and Referer headers will see it", data, value=request)
    return StepResult("authorize", "ok", url, data, value=request)


def build_authorize_request(state: FlowState, endpoints) -> AuthorizeRequest:
    """The authorization request the configuration and the challenge make (RFC 6749 §4.1.1);
    a fresh state and nonce unless configured."""
    c = state.config
    derived = state.value("challenge")
    return AuthorizeRequest(
        endpoint=endpoints.authorization_endpoint, client_id=c.client_id,
        redirect_uri=c.redirect_uri, scope=c.scope, state=c.state or new_state(),
        nonce=c.nonce or (new_nonce() if "openid" in c.scope.split() else None),
        code_challenge=derived.code_challenge if derived else None,
        code_challenge_method=derived.method if derived else None, extra=c.extra_params)


async def login_step(state: FlowState, runner: FlowRunner) -> StepResult:
    """Get the redirect back: API login, or the front end's source (browser, paste, file)."""
    request = state.value("authorize")
    if request is None:
        return _skipped("login", "no authorization URL: the authorize step failed")
    if _uses_api_login(state.config):
        return await _api_login(state, runner, request.url())
    if runner.redirect_source is None:
        return StepResult("login", "error", "no way to receive the redirect",
                          error="no way to receive the redirect: give a redirect source")
    raw = await runner.redirect_source(request.url())
    if isinstance(raw, HttpResponse):
        return StepResult("login", "ok", f"HTTP {raw.status} received", {"mode": "browser"},
                          response=raw, value=raw)
    return StepResult("login", "ok", "redirect received", {"mode": "browser", "raw": raw},
                      value=raw)


def _uses_api_login(config) -> bool:
    """A username and password log in without a browser: `login="api"`, or `auto` with both."""
    if config.login == "api":
        return True
    return config.login == "auto" and bool(config.username) and config.password is not None


async def _api_login(state: FlowState, runner: FlowRunner, authorize_url: str) -> StepResult:
    """CyberArk's Security API, PingOne's flows API, or else the HTML login page."""
    c = state.config
    credentials = {"username": c.username or "", "password": c.password or ""}
    if c.dialect == "cyberark":
        endpoints = state.value("discovery")
        tenant_url = c.tenant_url or endpoints.authorization_endpoint.split("/OAuth2/")[0]
        result = await login.cyberark_login(runner.client, tenant_url=tenant_url,
                                            authorize_url=authorize_url, **credentials)
        mode = "api"
    elif c.dialect == "pingone":
        result = await login.pingone_login(runner.client, authorize_url=authorize_url,
                                           **credentials)
        mode = "api"
    else:
        result = await login.form_login(runner.client, authorize_url=authorize_url,
                                        redirect_uri=c.redirect_uri,
                                        allow_cross_origin=c.allow_cross_origin_login,
                                        **credentials)
        mode = "form"
    data = {"mode": mode, "raw": result.redirect.body if result.redirect else None}
    if not result.ok:
        return StepResult("login", "error", result.error or "login failed", data,
                          error=result.error, exchanges=result.exchanges,
                          server_says=last_words(result.exchanges))
    how = "API" if mode == "api" else "login form"
    return StepResult("login", "ok", f"{c.dialect} {how} as {c.username}", data,
                      response=result.redirect, exchanges=result.exchanges, value=result.redirect)


async def redirect(state: FlowState, runner: FlowRunner) -> StepResult:
    """Extract code, state and iss from what came back (RFC 6749 §4.1.2, RFC 9207)."""
    raw = state.value("login")
    if raw is None or state.value("authorize") is None:
        return _skipped("redirect", "nothing came back: the login step failed")
    return redirect_result(state, raw)


def redirect_result(state: FlowState, raw: str | HttpResponse) -> StepResult:
    """The redirect step's result for what came back, checked against the authorize request's
    state and the issuer (a HAR's rebuilt flow reads its redirect the same way)."""
    request = state.value("authorize")
    endpoints = state.value("discovery")
    expect = {"expected_state": request.state, "expected_issuer": endpoints.issuer}
    if isinstance(raw, HttpResponse):
        parsed = parse_http_response(raw, **expect)
    else:
        parsed = parse_redirect(raw, **expect)
    data = parsed.to_json()
    failed_checks = [c for c in parsed.checks if c.ok is False]
    if parsed.kind != "code":
        why = _redirect_failure(parsed)
        words = from_params(parsed.params, _where(parsed.redirect_url))
        return StepResult("redirect", "error", why, data, error=why, value=parsed,
                          server_says=words)
    if failed_checks:
        why = "; ".join(f"{c.name}: {c.detail}" for c in failed_checks)
        return StepResult("redirect", "error", why, data, error=why, value=parsed)
    return StepResult("redirect", "ok", f"code {parsed.code}", data, value=parsed)


def _where(url: str | None) -> str:
    """Where an authorization response's parameters were: the query, or the fragment."""
    return "fragment" if url and "#" in url and "?" not in url.split("#")[0] else "query"


def _redirect_failure(parsed) -> str:
    if parsed.kind == "error":
        return f"{parsed.error}: {parsed.error_description or 'no description'}"
    if parsed.kind == "login_required":
        return f"the server sent a login page instead of a code ({parsed.redirect_url})"
    return "no code in what came back"


def token_inputs(state: FlowState) -> dict:
    """The token request's inputs: the flow's values, each replaced by its override if set."""
    c, o = state.config, state.overrides
    parsed = state.value("redirect")
    verifier_value = state.value("verifier") if state.value("challenge") else None
    return {
        "code": o.code or (parsed.code if parsed else None),
        "code_verifier": o.code_verifier or verifier_value,
        "redirect_uri": o.redirect_uri or c.redirect_uri,
        "auth_method": o.auth_method or c.auth_method,
        "client_secret": o.client_secret or c.client_secret,
    }


async def token(state: FlowState, runner: FlowRunner) -> StepResult:
    """Exchange the code (RFC 6749 §4.1.3) with the verifier (RFC 7636 §4.5)."""
    inputs = token_inputs(state)
    endpoints = state.value("discovery")
    if not inputs["code"] or endpoints is None:
        return _skipped("token", "no authorization code to exchange")
    auth = client_auth_for(state, runner.clock, method=inputs["auth_method"],
                           secret=inputs["client_secret"])
    request = authorization_code_request(
        endpoints.token_endpoint, auth, code=inputs["code"], redirect_uri=inputs["redirect_uri"],
        code_verifier=inputs["code_verifier"], extra=state.config.token_params)
    return await _token_exchange("token", runner, request, state)


async def _token_exchange(step: str, runner: FlowRunner, request: HttpRequest,
                          state: FlowState | None = None) -> StepResult:
    if state is not None and state.config.dpop:
        return await dpop_steps.token_exchange(step, state, runner, request,
                                               token_exchange_result)
    return token_exchange_result(step, request, await send(runner.client, request))


def token_exchange_result(step: str, request: HttpRequest, response: HttpResponse) -> StepResult:
    """A token or refresh step's result from the request sent and the answer (RFC 6749 §5)."""
    parsed = parse_token_response(response, dpop=request.header("DPoP") is not None)
    data = {k: parsed.tokens.get(k) for k in ("token_type", "expires_in", "scope")}
    data["problems"] = list(parsed.problems)
    data.update(followup_steps.assertion_data(request))
    if not parsed.ok:
        why = f"{parsed.error}: {parsed.error_description}" if parsed.error_description \
            else str(parsed.error)
        return StepResult(step, "error", why, {**data, "error_code": parsed.error,
                          "error_description": parsed.error_description},
                          request=request, response=response, error=why, value=parsed,
                          server_says=from_response(response))
    issued = [k for k in ("access_token", "id_token", "refresh_token") if k in parsed.tokens]
    return StepResult(step, "ok", f"HTTP {response.status}: {', '.join(issued)}", data,
                      request=request, response=response, value=parsed)


async def id_token(state: FlowState, runner: FlowRunner) -> StepResult:
    """Validate the ID token (OIDC Core §3.1.3.7) against the provider's JWKS."""
    tokens = _tokens(state)
    if tokens is None:
        return _skipped("id_token", NO_TOKENS)
    token_value = tokens.get("id_token")
    if not token_value:
        status = "error" if "openid" in state.config.scope.split() else "skipped"
        return StepResult("id_token", status, "no id_token in the token response",
                          error="no id_token although the scope has openid"
                          if status == "error" else None)
    authorize_request = state.value("authorize")
    report = await _validate(state, runner, token_value, id_token=True,
                             nonce=authorize_request.nonce if authorize_request else None,
                             access_token=tokens.get("access_token"))
    return report_result("id_token", report, runner.clock(), "error")


async def access_token(state: FlowState, runner: FlowRunner) -> StepResult:
    """Decode the access token when it is a JWT (RFC 9068); opaque tokens are skipped."""
    tokens = _tokens(state)
    if tokens is None:
        return _skipped("access_token", NO_TOKENS)
    token_value = tokens.get("access_token")
    if not token_value:
        return _skipped("access_token", "no access token")
    if not jwt.looks_like_jwt(token_value):
        return _skipped("access_token", "opaque access token: only the resource server reads it")
    report = await _validate(state, runner, token_value, id_token=False)
    return report_result("access_token", report, runner.clock(), "warning")


async def _validate(state: FlowState, runner: FlowRunner, token_value: str, *, id_token: bool,
                    **expected) -> jwt.JwtReport:
    endpoints = state.value("discovery")
    options = {"issuer": endpoints.issuer, "leeway": state.config.leeway, "now": runner.clock(),
               "id_token": id_token,
               "audience": state.config.client_id if id_token else None, **expected}
    if endpoints.jwks_uri:
        return await jwt.validate_with_jwks_uri(token_value, runner.client, endpoints.jwks_uri,
                                                cache=runner.jwks, **options)
    return jwt.validate(token_value, jwks=None, **options)


def report_result(step: str, report: jwt.JwtReport, now: float,
                  failure_status: str) -> StepResult:
    """A token's validation report as a step result; its times shown as of `now`."""
    data = {**report.to_json(), "times": jwt.times_for_display(report.payload, now)}
    failed = [c for c in report.checks if c.ok is False]
    if failed:
        why = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        return StepResult(step, failure_status, why, data, error=why, value=report)
    unknown = sum(1 for c in report.checks if c.ok is None)
    note = f", {unknown} could not be made" if unknown else ""
    return StepResult(step, "ok", f"{len(report.checks) - unknown} checks passed{note}", data,
                      value=report)


def _tokens(state: FlowState) -> dict | None:
    parsed = state.value("token")
    return parsed.tokens if parsed else None


async def userinfo(state: FlowState, runner: FlowRunner) -> StepResult:
    """Call the UserInfo endpoint with the access token (OIDC Core §5.3, RFC 6750 §2.1)."""
    endpoints = state.value("discovery")
    if _tokens(state) is None:
        return _skipped("userinfo", NO_TOKENS)
    access = _tokens(state).get("access_token")
    if not access:
        return _skipped("userinfo", "no access token")
    if not endpoints.userinfo_endpoint:
        return _skipped("userinfo", "the provider has no userinfo endpoint")
    request = userinfo_request(endpoints.userinfo_endpoint, access)
    proof = await dpop_steps.resource_request(state, runner, request, access)
    request, response = (proof.request, proof.response) if proof else (
        request, await send(runner.client, request))
    extra = dpop_steps.proof_data(proof)
    claims = response.json()
    if response.status != 200 or claims is None:
        reason = response.header("WWW-Authenticate") or response.body[:200]
        why = f"HTTP {response.status}: {reason}"
        return StepResult("userinfo", "error", why, extra, request=request, response=response,
                          error=why, server_says=from_response(response),
                          exchanges=proof.earlier if proof else ())
    data = {"claims": claims, **extra}
    if endpoints.whoami_endpoint:
        data["whoami"] = await _whoami(runner, endpoints.whoami_endpoint, access)
    return StepResult("userinfo", "ok", f"sub {claims.get('sub')}", data,
                      request=request, response=response, value=claims,
                      exchanges=proof.earlier if proof else ())


async def _whoami(runner: FlowRunner, endpoint: str, access_token: str) -> dict:
    """CyberArk's /Security/Whoami with the access token: who the tenant thinks this is.

    It answers HTTP 200 with `success: false` on failure (DIALECTS.md); that is shown as is.
    """
    try:
        response = await send(runner.client, whoami_request(endpoint, access_token))
    except NetworkError as exc:
        return {"error": str(exc)}
    return response.json() or {"error": f"HTTP {response.status}: not a JSON object"}


async def refresh(state: FlowState, runner: FlowRunner) -> StepResult:
    """Use the refresh token once (RFC 6749 §6) and say whether it rotated."""
    if _tokens(state) is None:
        return _skipped("refresh", NO_TOKENS)
    refresh_value = _tokens(state).get("refresh_token")
    if not refresh_value:
        return _skipped("refresh", "no refresh_token issued (ask for offline_access?)")
    endpoints = state.value("discovery")
    auth = client_auth_for(state, runner.clock)
    result = await _token_exchange("refresh", runner,
                                   refresh_request(endpoints.token_endpoint, auth, refresh_value),
                                   state)
    if result.status == "ok":
        new_refresh = result.value.tokens.get("refresh_token")
        rotated = bool(new_refresh) and new_refresh != refresh_value
        result = replace(result, data={**result.data, "rotated": rotated})
    return result


_STEPS: dict[str, StepFunction] = {
    "discovery": discovery, "verifier": verifier, "challenge": challenge,
    "par": par_steps.par, "authorize": authorize, "login": login_step, "redirect": redirect,
    "token": token,
    "id_token": id_token, "access_token": access_token, "userinfo": userinfo,
    "refresh": refresh, "introspection": followup_steps.introspection,
    "revocation": followup_steps.revocation, "logout": followup_steps.logout,
}

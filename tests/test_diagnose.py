"""Each diagnosis rule on its own: the results a flow could hold, and the cause they name."""

from __future__ import annotations

import pytest

from pkce_tui.core.authorize import AuthorizeRequest
from pkce_tui.core.diagnose import diagnose
from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.pkce import make_challenge
from pkce_tui.core.step_result import StepResult

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REDIRECT = "http://127.0.0.1:8765/callback"
CONFIG = FlowConfig(issuer="https://op.test", client_id="app", redirect_uri=REDIRECT)


def ok(name: str, value=None, **data) -> StepResult:
    return StepResult(name, "ok", name, data, value=value)


def failed(name: str, why: str, **data) -> StepResult:
    return StepResult(name, "error", why, data, error=why)


def authorized() -> dict[str, StepResult]:
    challenge = make_challenge(VERIFIER)
    request = AuthorizeRequest("https://op.test/authorize", "app", REDIRECT, state="s",
                               code_challenge=challenge.code_challenge,
                               code_challenge_method="S256")
    return {"verifier": ok("verifier", VERIFIER), "challenge": ok("challenge", challenge),
            "authorize": ok("authorize", request, params=dict(request.params())),
            "redirect": ok("redirect", kind="code", checks=[])}


def token_failure(error: str, description: str = "grant request is invalid", status: int = 400,
                  headers: tuple = (), **form: str) -> StepResult:
    sent = {"grant_type": "authorization_code", "code": "c1", "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER, "client_id": "app", **form}
    request = HttpRequest("POST", "https://op.test/token", headers,
                          form=tuple((k, v) for k, v in sent.items() if v is not None))
    response = HttpResponse(status, (), f'{{"error": "{error}"}}')
    return StepResult("token", "error", error, {"error_code": error,
                      "error_description": description}, request=request, response=response,
                      error=f"{error}: {description}")


def ids(state: FlowState) -> list[str]:
    return [d.id for d in diagnose(state)]


def state_with(results: dict[str, StepResult], config: FlowConfig = CONFIG,
               attempts: tuple[StepResult, ...] = ()) -> FlowState:
    return FlowState(config=config, results=results,
                     token_attempts=attempts or tuple(r for n, r in results.items()
                                                      if n == "token"))


def test_a_successful_flow_has_no_diagnosis():
    assert ids(state_with(authorized())) == []


def test_a_malformed_verifier_is_named():
    results = {"verifier": StepResult("verifier", "warning", "bad", {"problems": ["too short"]})}
    assert ids(state_with(results)) == ["verifier_malformed"]


def test_a_client_secret_in_the_authorize_url_is_named():
    results = {"authorize": ok("authorize", params={"client_secret": "x", "client_id": "a"})}
    assert ids(state_with(results)) == ["client_secret_in_authorize_url"]


def test_a_secret_on_a_public_client_is_named():
    config = FlowConfig(client_id="app", client_secret="s", auth_method="none")
    assert ids(state_with({}, config)) == ["secret_sent_by_public_client"]


@pytest.mark.parametrize(("check", "expected"), [("state", "state_mismatch"),
                                                  ("iss", "iss_mismatch")])
def test_failed_redirect_checks_are_named(check, expected):
    results = {"redirect": failed("redirect", "mismatch", kind="code",
                                  checks=[{"name": check, "ok": False, "detail": "differs"}])}
    assert ids(state_with(results)) == [expected]


@pytest.mark.parametrize(("error", "description", "config", "expected"), [
    ("access_denied", "user said no", CONFIG, "access_denied"),
    ("invalid_scope", "admin", CONFIG, "scope_not_allowed"),
    ("server_error", "oops", CONFIG, "server_error"),
    ("invalid_request", "redirect_uri not registered", CONFIG, "redirect_uri_not_registered"),
    ("invalid_request", "code_challenge required", CONFIG, "pkce_required"),
    ("invalid_request", "not supported value of code_challenge_method",
     FlowConfig(method="plain"), "s256_required"),
])
def test_error_redirects_are_named(error, description, config, expected):
    results = {"redirect": failed("redirect", error, kind="error", error=error,
                                  error_description=description, checks=[])}
    assert ids(state_with(results, config)) == [expected]


def test_a_login_page_instead_of_a_code_is_named():
    results = {"redirect": failed("redirect", "login", kind="login_required", checks=[])}
    assert ids(state_with(results)) == ["login_required"]


@pytest.mark.parametrize(("error", "expected"), [
    ("PingOne answered authorize with HTTP 400: redirect_uri 'x' is not registered",
     "redirect_uri_not_registered"),
    ("CyberArk answered with HTTP 400: invalid_client: unknown client", "unknown_client"),
    ("the login form came back after signing in: wrong username or password?", "login_failed"),
])
def test_login_refusals_are_named(error, expected):
    assert ids(state_with({"login": failed("login", error)})) == [expected]


def test_a_network_error_is_named_at_its_step():
    results = {"discovery": failed("discovery", "GET x: refused", network_error=True)}
    diagnosis = diagnose(state_with(results))
    assert [(d.id, d.step) for d in diagnosis] == [("network_error", "discovery")]


def test_a_5xx_token_answer_is_a_server_error():
    results = {**authorized(), "token": token_failure("server_error", status=500)}
    assert ids(state_with(results)) == ["server_error"]


def test_invalid_client_with_a_secret_sent_is_the_secret():
    basic = (("Authorization", "Basic YXBwOndyb25n"),)
    results = {**authorized(), "token": token_failure("invalid_client", "bad credentials",
                                                       headers=basic)}
    assert ids(state_with(results)) == ["invalid_client_secret"]


@pytest.mark.parametrize(("description", "form"), [
    ("client authentication failed", {}),  # a public client sent no secret
    ("client app authenticates with client_secret_basic, but the request used "
     "client_secret_post", {"client_secret": "s"}),
    ("Request denied: Unsupported authentication method", {"client_secret": "s"}),
])
def test_invalid_client_from_the_wrong_method_is_the_method(description, form):
    results = {**authorized(), "token": token_failure("invalid_client", description, **form)}
    assert ids(state_with(results)) == ["auth_method_mismatch"]


def test_invalid_grant_with_another_redirect_uri_is_the_redirect_uri():
    results = {**authorized(),
               "token": token_failure("invalid_grant", redirect_uri="http://127.0.0.1:1/cb")}
    assert ids(state_with(results)) == ["redirect_uri_mismatch"]


def test_invalid_grant_with_another_verifier_is_the_verifier():
    results = {**authorized(), "token": token_failure("invalid_grant", code_verifier="W" * 43)}
    assert ids(state_with(results)) == ["verifier_mismatch"]


def test_invalid_grant_without_a_verifier_is_pkce_required_not_a_mismatch():
    results = {**authorized(), "token": token_failure("invalid_grant", code_verifier=None)}
    assert ids(state_with(results)) == ["pkce_required"]


def test_invalid_grant_after_a_successful_exchange_of_the_code_is_a_reused_code():
    first = token_failure("invalid_grant")
    first = StepResult("token", "ok", "ok", request=first.request)
    again = token_failure("invalid_grant")
    results = {**authorized(), "token": again}
    assert ids(state_with(results, attempts=(first, again))) == ["code_reused"]


def test_a_failed_earlier_attempt_does_not_make_a_code_reused():
    earlier = token_failure("invalid_grant", code_verifier="W" * 43)
    again = token_failure("invalid_grant")
    results = {**authorized(), "token": again}
    assert "code_reused" not in ids(state_with(results, attempts=(earlier, again)))


def test_invalid_grant_long_after_the_redirect_is_an_expired_code():
    results = authorized()
    results["redirect"] = StepResult("redirect", "ok", "code", {"kind": "code", "checks": []},
                                     at=1000.0)
    token = token_failure("invalid_grant")
    results["token"] = StepResult(**{**token.__dict__, "at": 1300.0})
    assert ids(state_with(results)) == ["code_expired"]


def test_invalid_grant_that_nothing_sent_explains_says_so():
    results = {**authorized(), "token": token_failure("invalid_grant")}
    assert ids(state_with(results)) == ["invalid_grant_unexplained"]


@pytest.mark.parametrize(("check", "detail", "expected"), [
    ("signature", "does not verify", "signature_invalid"),
    ("kid", "kid k9 not in the JWKS", "kid_not_found"),
    ("iss", "differs", "issuer_mismatch"),
    ("aud", "another client", "aud_mismatch"),
    ("nonce", "differs", "nonce_mismatch"),
    ("exp", "expired 3 min ago", "id_token_expired"),
    ("iat", "issued 5 min in the future", "clock_skew"),
    ("alg", "alg none is refused", "alg_none"),
])
def test_failed_id_token_checks_are_named(check, detail, expected):
    results = {"id_token": failed("id_token", detail,
                                  checks=[{"name": check, "ok": False, "detail": detail}])}
    diagnosis = diagnose(state_with(results))
    assert [(d.id, d.severity) for d in diagnosis] == [(expected, "error")]


def test_access_token_findings_are_warnings_only():
    results = {"access_token": StepResult("access_token", "warning", "aud", {
        "checks": [{"name": "aud", "ok": False, "detail": "for the API"}]})}
    assert [(d.id, d.severity) for d in diagnose(state_with(results))] == [
        ("aud_mismatch", "warning")]


def test_each_id_is_named_once():
    results = {"id_token": failed("id_token", "x", checks=[
        {"name": "iat", "ok": False, "detail": "future"},
        {"name": "nbf", "ok": False, "detail": "not yet"}])}
    assert ids(state_with(results)) == ["clock_skew"]


def discovery_failure(status: int, body: str) -> StepResult:
    request = HttpRequest("GET", "https://op.test/.well-known/openid-configuration")
    return StepResult("discovery", "error", "refused", request=request,
                      response=HttpResponse(status, (), body), error="refused")


def test_a_5xx_discovery_answer_is_a_server_error():
    diagnosis = diagnose(state_with({"discovery": discovery_failure(500, "oops")}))
    assert [(d.id, d.step) for d in diagnosis] == [("server_error", "discovery")]


def test_a_discovered_issuer_other_than_the_configured_one_is_named():
    """OIDC Discovery §4.3: the document's issuer must be the configured one, slash and all."""
    config = FlowConfig(issuer="https://op.test/", client_id="app", redirect_uri=REDIRECT)
    body = '{"issuer": "https://op.test", "authorization_endpoint": "https://op.test/a"}'
    diagnosis = diagnose(state_with({"discovery": discovery_failure(200, body)}, config))
    assert [(d.id, d.step) for d in diagnosis] == [("issuer_mismatch", "discovery")]
    assert "'https://op.test', not the configured 'https://op.test/'" in diagnosis[0].summary
    assert "writes it, 'https://op.test' (trailing slash included" in diagnosis[0].fix


def test_a_discovery_document_that_is_not_found_is_the_tenant():
    diagnosis = diagnose(state_with({"discovery": discovery_failure(404, "<html>not found")}))
    assert [(d.id, d.step) for d in diagnosis] == [("tenant_not_found", "discovery")]
    assert "--issuer" in diagnosis[0].fix


def test_an_error_page_served_with_http_200_is_read_at_login():
    """Some servers show their authorize error page with HTTP 200: no form, but words."""
    from pkce_tui.core.http import Exchange

    page = ("<html><body><h1>Error</h1><p>error: invalid_client</p><p>error_description: "
            "client not found</p></body></html>")
    exchange = Exchange(HttpRequest("GET", "https://op.test/authorize?client_id=app"),
                        HttpResponse(200, (("Content-Type", "text/html"),), page),
                        labels=("hop 1",))
    result = StepResult("login", "error", "x", {"mode": "form"}, exchanges=(exchange,),
                        error="https://op.test/authorize answered HTTP 200, an HTML page with "
                              "no form to fill: invalid_client: client not found")
    assert ids(state_with({"login": result})) == ["unknown_client"]

"""End to end against a certified OpenID provider (panva's oidc-provider) on loopback.

The first group drives the provider with plain httpx and the stand-in browser, proving the
peers behave as the flow tests assume (S256-only PKCE, `iss` on the redirect, refresh tokens,
the same `invalid_grant` for every code problem). The second group runs `pkce-tui flow --json`
as a user would, with the stand-in browser as `$BROWSER`, and checks the JSON of DESIGN.md §3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlencode

import httpx
import pytest
from conftest import (
    LOOPBACK,
    STANDIN_BROWSER,
    CallbackListener,
    OidcProvider,
    free_port,
    standin_browser_command,
)
from processes import run_process

from pkce_tui.core.pkce import generate_verifier, make_challenge
from pkce_tui.core.redaction import mask

BROWSER_SECONDS = 30
CLI_SECONDS = 60
SCOPE = "openid profile offline_access"


def run_standin(url: str, **env: str) -> subprocess.CompletedProcess:
    """The stand-in browser walked from `url`, with `env` added (e.g. STANDIN_PASSWORD)."""
    return run_process(
        [sys.executable, str(STANDIN_BROWSER), url], capture_output=True, text=True,
        timeout=BROWSER_SECONDS, env={**os.environ, **env},
    )


def authorize(provider: OidcProvider, client_id: str, **params: str) -> tuple[dict, str]:
    """Walk the authorize URL with the stand-in browser; the callback's params and its URI."""
    with CallbackListener() as listener:
        query = {"client_id": client_id, "response_type": "code", "scope": SCOPE,
                 "redirect_uri": listener.redirect_uri, "state": "state-1", "nonce": "nonce-1",
                 "prompt": "consent", **params}
        result = run_standin(f"{provider.issuer}/auth?{urlencode(query)}")
    assert result.returncode == 0, result.stderr
    return listener.params, listener.redirect_uri


def pkce_params(verifier: str) -> dict[str, str]:
    return {"code_challenge": make_challenge(verifier).code_challenge,
            "code_challenge_method": "S256"}


def redeem(provider: OidcProvider, callback: dict, redirect_uri: str, **form: str):
    """POST the code to the token endpoint with `form` (client auth, verifier) added."""
    body = {"grant_type": "authorization_code", "code": callback["code"],
            "redirect_uri": redirect_uri, **form}
    return httpx.post(f"{provider.issuer}/token", data=body, timeout=10)


def discovery(provider: OidcProvider) -> dict:
    return httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()


def test_discovery_names_the_issuer_and_only_s256(oidc_provider):
    metadata = discovery(oidc_provider)
    assert metadata["issuer"] == oidc_provider.issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_public_client_gets_tokens_userinfo_and_a_refresh(oidc_provider):
    verifier = generate_verifier()
    callback, redirect_uri = authorize(oidc_provider, "test-public", **pkce_params(verifier))
    assert callback["state"] == "state-1"
    assert callback["iss"] == oidc_provider.issuer
    tokens = redeem(oidc_provider, callback, redirect_uri, client_id="test-public",
                    code_verifier=verifier).json()
    assert {"access_token", "id_token", "refresh_token"} <= tokens.keys()
    userinfo = httpx.get(discovery(oidc_provider)["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert userinfo["sub"] == "alice"
    refreshed = httpx.post(f"{oidc_provider.issuer}/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": "test-public"})
    assert refreshed.status_code == 200, refreshed.text


def test_basic_and_post_clients_authenticate_with_their_secrets(oidc_provider):
    callback, redirect_uri = authorize(oidc_provider, oidc_provider.basic_client_id)
    basic = (oidc_provider.basic_client_id, oidc_provider.basic_client_secret)
    response = httpx.post(f"{oidc_provider.issuer}/token", auth=basic, data={
        "grant_type": "authorization_code", "code": callback["code"],
        "redirect_uri": redirect_uri})
    assert response.status_code == 200, response.text
    callback, redirect_uri = authorize(oidc_provider, oidc_provider.post_client_id)
    response = redeem(oidc_provider, callback, redirect_uri,
                      client_id=oidc_provider.post_client_id,
                      client_secret=oidc_provider.post_client_secret)
    assert response.status_code == 200, response.text


def test_wrong_verifier_is_a_generic_invalid_grant(oidc_provider):
    callback, redirect_uri = authorize(oidc_provider, "test-public",
                                       **pkce_params(generate_verifier()))
    response = redeem(oidc_provider, callback, redirect_uri, client_id="test-public",
                      code_verifier=generate_verifier())
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant",
                               "error_description": "grant request is invalid"}
    assert "code_verifier does not match code_challenge" in oidc_provider.log_text()


def test_plain_method_is_refused_on_the_redirect(oidc_provider):
    verifier = generate_verifier()
    callback, _ = authorize(oidc_provider, "test-public", code_challenge=verifier,
                            code_challenge_method="plain")
    assert callback["error"] == "invalid_request"
    assert "code" not in callback


def test_wrong_password_shows_the_form_again(oidc_provider):
    query = urlencode({"client_id": "test-public", "response_type": "code", "scope": "openid",
                       "redirect_uri": f"http://{LOOPBACK}:{free_port()}/callback",
                       **pkce_params(generate_verifier())})
    result = run_standin(f"{oidc_provider.issuer}/auth?{query}", STANDIN_PASSWORD="Wr0ng-pw")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "browser: error: the login form came back after signing in (wrong username or password?)"
    )
    assert "Wr0ng-pw" not in result.stderr + oidc_provider.log_text()


# --- `pkce-tui flow --json` against the provider ------------------------------------------

REPO_ROOT = STANDIN_BROWSER.parent.parent.parent
STEP_ORDER = ("discovery", "verifier", "challenge", "authorize", "login", "redirect", "token",
              "id_token", "access_token", "userinfo", "refresh")
FlowRun = tuple[dict, subprocess.CompletedProcess]


def run_flow(provider: OidcProvider, env: dict[str, str], client_id: str, *args: str) -> FlowRun:
    """`pkce-tui flow --json` as DESIGN.md §3 defines it; the parsed JSON and the process."""
    command = [
        sys.executable, "-m", "pkce_tui.cli", "flow", "--json", "--issuer", provider.issuer,
        "--client-id", client_id, "--redirect-uri", f"http://{LOOPBACK}:{free_port()}/callback",
        "--scope", SCOPE, "--param", "prompt=consent", "--timeout", "10", *args,
    ]
    result = run_process(command, capture_output=True, text=True, timeout=CLI_SECONDS,
                         env=env, cwd=REPO_ROOT)
    assert result.stdout.strip(), f"no JSON on stdout; stderr: {result.stderr}"
    return json.loads(result.stdout), result


def step(report: dict, name: str) -> dict:
    """The step called `name` in a flow report."""
    matches = [entry for entry in report["steps"] if entry["step"] == name]
    assert matches, f"no {name} step in {[entry['step'] for entry in report['steps']]}"
    return matches[0]


def diagnosis_ids(report: dict) -> set[str]:
    return {entry["id"] for entry in report["diagnosis"]}


def assert_failed_at(run: FlowRun, step_name: str) -> dict:
    """The flow ran, ended `ok: false` with exit 1, and `step_name` failed; that step."""
    report, result = run
    assert (result.returncode, report["ok"]) == (1, False), result.stderr
    failed = step(report, step_name)
    assert failed["status"] == "error"
    return failed


@pytest.fixture(scope="module")
def public_flow(oidc_provider) -> FlowRun:
    """One successful flow of the public client (S256, offline_access, prompt=consent)."""
    env = {**os.environ, "BROWSER": standin_browser_command()}
    return run_flow(oidc_provider, env, oidc_provider.public_client_id)


def test_flow_public_s256_succeeds_with_every_step_in_order(public_flow):
    report, result = public_flow
    assert (result.returncode, report["ok"]) == (0, True), result.stderr
    names = [entry["step"] for entry in report["steps"]]
    assert set(names) <= set(STEP_ORDER)
    assert names == sorted(names, key=STEP_ORDER.index)
    required = set(STEP_ORDER) - {"login", "access_token"}
    assert required <= set(names)
    assert all(entry["status"] != "error" for entry in report["steps"])
    assert step(report, "challenge")["status"] == "ok"


def test_flow_id_token_passes_every_check_with_the_discovered_jwks(public_flow, oidc_provider):
    id_token = step(public_flow[0], "id_token")
    checks = {check["name"]: check["ok"] for check in id_token["checks"]}
    assert id_token["valid"] is True
    assert all(ok is True for ok in checks.values()), checks
    assert {"signature", "iss", "aud", "exp", "iat", "nonce"} <= checks.keys()
    assert id_token["payload"]["iss"] == oidc_provider.issuer


def test_flow_checks_iss_on_the_redirect(public_flow, oidc_provider):
    redirect = step(public_flow[0], "redirect")
    assert redirect["kind"] == "code"
    assert redirect["iss"] == oidc_provider.issuer
    iss_checks = [check for check in redirect["checks"] if check["name"] == "iss"]
    assert [check["ok"] for check in iss_checks] == [True]


def test_flow_refresh_and_userinfo_succeed(public_flow):
    report, _ = public_flow
    assert step(report, "refresh")["status"] == "ok"
    assert step(report, "refresh")["response"]["status"] == 200
    userinfo = step(report, "userinfo")
    assert userinfo["status"] == "ok"
    assert userinfo["response"]["body"]["sub"] == "alice"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_flow_confidential_client_succeeds_and_masks_its_secret(
    oidc_provider, standin_browser_env, method,
):
    client_id, secret = {
        "client_secret_basic": (oidc_provider.basic_client_id, oidc_provider.basic_client_secret),
        "client_secret_post": (oidc_provider.post_client_id, oidc_provider.post_client_secret),
    }[method]
    report, result = run_flow(oidc_provider, standin_browser_env, client_id,
                              "--client-secret", secret, "--auth-method", method)
    assert (result.returncode, report["ok"]) == (0, True), result.stderr
    assert step(report, "token")["status"] == "ok"
    assert secret not in result.stdout + result.stderr


def test_flow_wrong_verifier_is_diagnosed_as_verifier_mismatch(
    oidc_provider, standin_browser_env,
):
    run = run_flow(oidc_provider, standin_browser_env, oidc_provider.public_client_id,
                   "--token-param", f"code_verifier={generate_verifier()}")
    token = assert_failed_at(run, "token")
    assert token["response"]["body"]["error"] == "invalid_grant"
    assert "verifier_mismatch" in diagnosis_ids(run[0])


def test_flow_wrong_client_secret_is_diagnosed(oidc_provider, standin_browser_env):
    run = run_flow(oidc_provider, standin_browser_env, oidc_provider.basic_client_id,
                   "--client-secret", "not-the-secret", "--auth-method", "client_secret_basic")
    token = assert_failed_at(run, "token")
    assert token["response"]["body"]["error"] == "invalid_client"
    assert "invalid_client_secret" in diagnosis_ids(run[0])


def test_flow_plain_method_is_refused_at_authorize(oidc_provider, standin_browser_env):
    run = run_flow(oidc_provider, standin_browser_env, oidc_provider.public_client_id,
                   "--method", "plain")
    redirect = assert_failed_at(run, "redirect")
    assert (redirect["kind"], redirect["error"]) == ("error", "invalid_request")
    assert redirect["error_description"] == "not supported value of code_challenge_method"
    assert redirect["code"] is None
    assert step(run[0], "token")["status"] == "skipped"
    assert "s256_required" in diagnosis_ids(run[0])


def test_flow_redirect_uri_changed_at_token_is_diagnosed(oidc_provider, standin_browser_env):
    other = f"http://{LOOPBACK}:{free_port()}/callback"
    run = run_flow(oidc_provider, standin_browser_env, oidc_provider.public_client_id,
                   "--token-param", f"redirect_uri={other}")
    token = assert_failed_at(run, "token")
    assert token["response"]["body"]["error"] == "invalid_grant"
    assert "redirect_uri_mismatch" in diagnosis_ids(run[0])


def test_flow_redirect_from_a_file_saved_by_the_browser(oidc_provider, tmp_path):
    verifier = generate_verifier()
    callback, redirect_uri = authorize(oidc_provider, oidc_provider.public_client_id,
                                       **pkce_params(verifier))
    saved = tmp_path / "redirect.txt"
    saved.write_text(f"{redirect_uri}?{urlencode(callback)}\n")
    command = [
        sys.executable, "-m", "pkce_tui.cli", "flow", "--json", "--issuer", oidc_provider.issuer,
        "--client-id", oidc_provider.public_client_id, "--redirect-uri", redirect_uri,
        "--scope", SCOPE, "--verifier", verifier, "--state", "state-1", "--nonce", "nonce-1",
        "--redirect-from", str(saved), "--timeout", "10",
    ]
    result = run_process(command, capture_output=True, text=True, timeout=CLI_SECONDS,
                         cwd=REPO_ROOT, env={k: v for k, v in os.environ.items()
                                                if k != "BROWSER"})
    report = json.loads(result.stdout)
    assert (result.returncode, report["ok"]) == (0, True), result.stderr
    # The code is masked by default (DESIGN.md §3): its length and fingerprint name it.
    assert step(report, "redirect")["code"] == mask(callback["code"])
    assert callback["code"] not in result.stdout
    assert step(report, "token")["status"] == "ok"


def test_flow_logs_in_through_the_providers_login_form_without_a_browser(oidc_provider):
    env = {**os.environ, "BROWSER": f"{sys.executable} -c 'raise SystemExit(3)' %s"}
    report, result = run_flow(oidc_provider, env, oidc_provider.public_client_id,
                              "--username", "alice", "--password", "pass")
    assert (result.returncode, report["ok"]) == (0, True), report["diagnosis"]
    assert step(report, "login")["mode"] == "form"
    assert step(report, "redirect")["iss"] == oidc_provider.issuer

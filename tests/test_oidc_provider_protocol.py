"""The optional protocol steps against panva's oidc-provider with its features switched on
(tests/peers/server.js): introspection, revocation and RP-initiated logout.

Each runs `pkce-tui flow --json` as a user would, the stand-in browser as `$BROWSER`.
"""

from __future__ import annotations

import os

import pytest
from conftest import LOOPBACK, free_port, standin_browser_command
from test_integration_oidc_provider import REPO_ROOT, diagnosis_ids, run_flow, step

PROTOCOL_CLIENT = ("test-protocol", "--client-secret", "test-protocol-secret")


@pytest.fixture(scope="module")
def followups(oidc_provider):
    post_logout = f"http://{LOOPBACK}:{free_port()}/logged-out"
    env = {**os.environ, "BROWSER": standin_browser_command()}
    report, result = run_flow(oidc_provider, env, *PROTOCOL_CLIENT,
                              "--introspect", "--revoke", "--logout",
                              "--post-logout-redirect-uri", post_logout)
    return report, result, post_logout


def test_the_whole_flow_with_follow_ups_succeeds(followups):
    report, result, _ = followups
    assert (result.returncode, report["ok"]) == (0, True), (result.stderr, report["diagnosis"])
    names = [entry["step"] for entry in report["steps"]]
    assert names[-3:] == ["introspection", "revocation", "logout"]


def test_introspection_calls_the_fresh_access_token_active(followups, oidc_provider):
    introspection = step(followups[0], "introspection")
    assert introspection["active"] is True
    assert introspection["claims"]["client_id"] == "test-protocol"
    assert introspection["request"]["url"] == f"{oidc_provider.issuer}/token/introspection"


def test_revocation_revokes_the_refresh_token_and_introspection_confirms(followups):
    revocation = step(followups[0], "revocation")
    assert revocation["token_type_hint"] == "refresh_token"
    assert revocation["still_active"] is False
    assert revocation["response"]["status"] == 200


def test_logout_submits_the_providers_confirmation_and_returns_with_state(followups):
    logout = step(followups[0], "logout")
    _, _, post_logout = followups
    assert logout["status"] == "ok", logout["summary"]
    assert logout["location"] == f"{post_logout}?state={logout['state']}"
    assert [e["request"]["method"] for e in logout["exchanges"]] == ["GET", "POST"]


def test_an_unregistered_post_logout_uri_is_diagnosed(oidc_provider, standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, *PROTOCOL_CLIENT,
                              "--post-logout-redirect-uri", "https://elsewhere.test/out")
    assert result.returncode == 1
    assert step(report, "logout")["status"] == "error", step(report, "logout")
    assert "post_logout_redirect_uri_not_registered" in diagnosis_ids(report)


def test_a_pushed_request_runs_the_whole_flow(oidc_provider, standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, *PROTOCOL_CLIENT, "--par")
    assert (result.returncode, report["ok"]) == (0, True), report["diagnosis"]
    par = step(report, "par")
    assert par["request"]["url"] == f"{oidc_provider.issuer}/request"
    assert par["response"]["status"] == 201
    assert par["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert set(step(report, "authorize")["params"]) == {"client_id", "request_uri"}


def test_a_push_with_an_unregistered_redirect_uri_is_named_at_par(oidc_provider,
                                                                   standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, *PROTOCOL_CLIENT, "--par",
                              "--redirect-uri", "http://127.0.0.1:9/unregistered")
    assert result.returncode == 1
    assert step(report, "par")["status"] == "error"
    found = {d["id"]: d for d in report["diagnosis"]}
    assert found["redirect_uri_not_registered"]["step"] == "par", report["diagnosis"]


def test_a_client_that_must_push_is_diagnosed_par_required(oidc_provider,
                                                           standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, "test-par-required",
                              "--client-secret", "test-protocol-secret")
    assert result.returncode == 1
    assert "par_required" in diagnosis_ids(report), report["diagnosis"]
    report, result = run_flow(oidc_provider, standin_browser_env, "test-par-required",
                              "--client-secret", "test-protocol-secret", "--par")
    assert (result.returncode, report["ok"]) == (0, True), report["diagnosis"]


DEMO_KEY = str(REPO_ROOT / "pkce_tui" / "sandbox" / "demo_client_key.json")


def test_private_key_jwt_authenticates_and_the_assertion_is_masked(oidc_provider,
                                                                   standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, "test-pkjwt",
                              "--client-key", DEMO_KEY, "--introspect")
    assert (result.returncode, report["ok"]) == (0, True), report["diagnosis"]
    token = step(report, "token")
    assert token["client_assertion"]["payload"]["aud"] == f"{oidc_provider.issuer}/token"
    assert token["client_assertion"]["header"]["kid"] == "demo-pkjwt-1"
    sent = token["request"]["body"]["client_assertion"]
    assert sent.startswith("••••••") and "eyJ" not in result.stdout.split('"transcript"')[0]
    assert step(report, "introspection")["active"] is True


def test_a_kid_the_provider_does_not_know_is_diagnosed(oidc_provider, standin_browser_env):
    """oidc-provider answers a bare invalid_client (its log says "no applicable key found"):
    the diagnosis names the key and its kid as the likely cause."""
    report, result = run_flow(oidc_provider, standin_browser_env, "test-pkjwt",
                              "--client-key", DEMO_KEY, "--client-key-kid", "old-key")
    assert result.returncode == 1
    assert step(report, "token")["response"]["body"]["error"] == "invalid_client"
    found = {d["id"]: d for d in report["diagnosis"]}
    assert "old-key" in found["client_assertion_signature_invalid"]["summary"]


def test_dpop_binds_the_tokens_and_userinfo_sends_its_proof(oidc_provider, standin_browser_env):
    report, result = run_flow(oidc_provider, standin_browser_env, "test-dpop", "--dpop")
    assert (result.returncode, report["ok"]) == (0, True), report["diagnosis"]
    token = step(report, "token")
    assert token["token_type"] == "DPoP"
    assert token["dpop"]["payload"]["htu"] == f"{oidc_provider.issuer}/token"
    assert token["dpop_binding"]["token_type"] == "DPoP"
    userinfo = step(report, "userinfo")
    assert userinfo["dpop"]["payload"]["htm"] == "GET" and userinfo["dpop"]["payload"]["ath"]
    assert step(report, "refresh")["status"] == "ok"


def test_a_client_bound_to_dpop_is_refused_without_proofs(oidc_provider, standin_browser_env):
    """oidc-provider answers a bare invalid_grant (its log: "DPoP proof JWT not provided"),
    which the tool cannot tell from a code redeemed elsewhere; the sandbox's demo-dpop says
    why, and there the diagnosis is dpop_proof_missing (tests/test_dpop.py)."""
    report, result = run_flow(oidc_provider, standin_browser_env, "test-dpop")
    assert result.returncode == 1
    assert step(report, "token")["response"]["body"]["error"] == "invalid_grant"
    assert "DPoP proof JWT not provided" in oidc_provider.log_text()

"""`pkce-tui flow --json` end to end against the sandbox over real HTTP, in every dialect.

CyberArk and PingOne log in through their APIs; Cloudentity and generic through the stand-in
browser filling the sandbox's HTML login form. Every fault is seen by the flow as the failure
it names, with the diagnosis a support engineer would want.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import free_port, standin_browser_command
from processes import kill_group, run_process

from pkce_tui.core.redaction import mask


def target(base: str, dialect: str) -> list[str]:
    return {
        "cyberark": ["--dialect", "cyberark", "--tenant-url", f"{base}/cyberark",
                     "--app-id", "demo-app", "--username", "alice", "--password", "pass"],
        "pingone": ["--dialect", "pingone", "--base-url", f"{base}/pingone",
                    "--env-id", "demo-env", "--username", "alice", "--password", "pass"],
        "cloudentity": ["--dialect", "cloudentity", "--base-url", f"{base}/cloudentity",
                        "--tenant", "demo", "--workspace", "demo-ws"],
        "generic": ["--issuer", f"{base}/generic"],
    }[dialect]


def test_the_transcript_holds_every_exchange_with_secrets_masked(sandbox):
    code, document = flow(sandbox.base_url, "cyberark", "--client-secret", "demo-secret",
                          client="demo-confidential")
    assert code == 0
    transcript = document["transcript"]
    labels = [entry["labels"] for entry in transcript]
    paths = [entry["request"]["url"].split("?")[0].rsplit("/", 2)[-2:] for entry in transcript]
    assert ["Security", "StartAuthentication"] in paths and ["Token", "demo-app"] in paths
    assert all(entry["curl"].startswith("curl ") for entry in transcript), labels
    exported = json.dumps(transcript)
    assert "demo-secret" not in exported and '"pass"' not in exported
    assert steps(document)["token"]["response"]["body"]["access_token"] not in exported


def flow(base_url: str, dialect: str, *extra: str, client: str = "demo-public"):
    """Run the flow in a subprocess; return the exit code and the JSON document."""
    command = [sys.executable, "-m", "pkce_tui.cli", "flow", "--json", "--client-id", client,
               "--redirect-uri", f"http://127.0.0.1:{free_port()}/callback",
               "--scope", "openid profile offline_access", "--timeout", "5",
               *target(base_url, dialect), *extra]
    env = {**os.environ, "BROWSER": standin_browser_command()}
    result = run_process(command, capture_output=True, text=True, timeout=90, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def steps(document: dict) -> dict[str, dict]:
    return {step["step"]: step for step in document["steps"]}


def diagnosis_ids(document: dict) -> set[str]:
    return {d["id"] for d in document["diagnosis"]}


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
def test_a_public_s256_flow_completes(sandbox, dialect):
    code, document = flow(sandbox.base_url, dialect)
    by_step = steps(document)
    assert (code, document["ok"]) == (0, True), [
        (s["step"], s["error"]) for s in document["steps"] if s["status"] == "error"]
    assert by_step["id_token"]["valid"] is True
    checks = {c["name"]: c["ok"] for c in by_step["id_token"]["checks"]}
    assert checks["signature"] is True and checks["nonce"] is True
    assert by_step["userinfo"]["claims"]["sub"]
    assert by_step["refresh"]["status"] == "ok"


def test_cyberark_sends_the_object_moved_page_and_does_not_rotate_refresh_tokens(sandbox):
    _, document = flow(sandbox.base_url, "cyberark")
    by_step = steps(document)
    assert by_step["redirect"]["source"] == "location"
    assert "Object moved" in by_step["login"]["raw"]
    assert by_step["redirect"]["params"]["responseType"] == "code"
    assert by_step["token"]["expires_in"] == 18000
    assert by_step["refresh"]["rotated"] is False
    whoami = by_step["userinfo"]["whoami"]
    assert whoami["success"] is True and whoami["Result"]["User"]


def test_pingone_rotates_refresh_tokens(sandbox):
    _, document = flow(sandbox.base_url, "pingone")
    assert steps(document)["refresh"]["rotated"] is True


@pytest.mark.parametrize(("client", "method"), [
    ("demo-confidential", "client_secret_basic"), ("demo-post", "client_secret_post")])
def test_confidential_clients_authenticate_with_their_method(sandbox, client, method):
    code, document = flow(sandbox.base_url, "generic", "--client-secret", "demo-secret",
                          "--auth-method", method, client=client)
    assert code == 0, document["diagnosis"]
    request = steps(document)["token"]["request"]
    assert ("Authorization" in request["headers"]) == (method == "client_secret_basic")


def test_a_wrong_client_secret_is_named(sandbox):
    code, document = flow(sandbox.base_url, "generic", "--client-secret", "wrong",
                          client="demo-confidential")
    assert code == 1
    assert steps(document)["token"]["response"]["body"]["error"] == "invalid_client"
    assert "invalid_client_secret" in diagnosis_ids(document)


def test_the_wrong_auth_method_is_named(sandbox):
    code, document = flow(sandbox.base_url, "generic", "--client-secret", "demo-secret",
                          "--auth-method", "client_secret_post", client="demo-confidential")
    assert code == 1
    assert "auth_method_mismatch" in diagnosis_ids(document)


@pytest.mark.parametrize("dialect", ["pingone", "generic"])
def test_a_wrong_verifier_is_refused_and_named(sandbox, dialect):
    wrong = "W" * 43
    code, document = flow(sandbox.base_url, dialect, "--token-param", f"code_verifier={wrong}")
    assert code == 1
    token = steps(document)["token"]
    assert token["response"]["body"]["error"] == "invalid_grant"
    assert token["request"]["body"]["code_verifier"] == mask(wrong)  # masked: no --reveal
    assert "verifier_mismatch" in diagnosis_ids(document)


def test_plain_is_refused_under_pingone_s256_required(sandbox):
    code, document = flow(sandbox.base_url, "pingone", "--method", "plain")
    assert code == 1
    assert steps(document)["redirect"]["error"] == "invalid_request"
    assert "s256_required" in diagnosis_ids(document)


def test_a_missing_challenge_is_refused_for_a_public_client(sandbox):
    code, document = flow(sandbox.base_url, "generic", "--method", "none")
    assert code == 1
    assert "pkce_required" in diagnosis_ids(document)


def test_a_redirect_uri_mismatch_at_token_is_named(sandbox):
    other = f"http://127.0.0.1:{free_port()}/callback"
    code, document = flow(sandbox.base_url, "cloudentity", "--token-param", f"redirect_uri={other}")
    assert code == 1
    assert "redirect_uri_mismatch" in diagnosis_ids(document)


@pytest.mark.parametrize(("fault", "check", "diagnosis"), [
    ("expired_id_token", "exp", "id_token_expired"),
    ("wrong_aud", "aud", "aud_mismatch"),
    ("wrong_iss", "iss", "issuer_mismatch"),
    ("bad_signature", "signature", "signature_invalid"),
    ("rotated_key", "kid", "kid_not_found"),
])
def test_each_id_token_fault_fails_the_check_it_names(sandbox, fault, check, diagnosis):
    code, document = flow(sandbox.base_url, "generic", "--param", f"sandbox_fault={fault}")
    assert code == 1
    id_token = steps(document)["id_token"]
    failed = {c["name"] for c in id_token["checks"] if c["ok"] is False}
    assert check in failed
    assert diagnosis in diagnosis_ids(document)


def jwks_fetches(document: dict) -> int:
    return sum(1 for entry in document["transcript"]
               if entry["request"]["url"].endswith("/OAuth2/Keys/demo-app"))


def test_one_jwks_fetch_serves_the_id_token_and_the_access_token(sandbox):
    code, document = flow(sandbox.base_url, "cyberark")
    assert code == 0
    assert steps(document)["access_token"]["valid"] is True
    assert jwks_fetches(document) == 1


def test_a_rotated_key_refetches_the_jwks_once_and_the_access_token_reuses_it(sandbox):
    code, document = flow(sandbox.base_url, "cyberark", "--param", "sandbox_fault=rotated_key")
    assert code == 1
    kid = next(c for c in steps(document)["id_token"]["checks"] if c["name"] == "kid")
    assert kid["ok"] is False and "refetched once" in kid["detail"]
    assert steps(document)["access_token"]["valid"] is True
    assert jwks_fetches(document) == 2


@pytest.mark.parametrize(("fault", "diagnosis"), [
    ("token_500", "server_error"), ("invalid_grant_once", "temporarily_unavailable")])
def test_token_endpoint_faults_fail_the_token_step(sandbox, fault, diagnosis):
    code, document = flow(sandbox.base_url, "cyberark", "--param", f"sandbox_fault={fault}")
    assert code == 1
    assert steps(document)["token"]["status"] == "error"
    assert diagnosis_ids(document) == {diagnosis}


def test_a_slow_token_endpoint_times_out_as_a_network_error(sandbox):
    """The token endpoint holds for 60 s (cut short when the sandbox stops); the timeout is
    long enough that no earlier step reaches it on a loaded machine."""
    code, document = flow(sandbox.base_url, "pingone", "--param", "sandbox_fault=slow_token",
                          "--param", "sandbox_delay=60", "--timeout", "5")
    assert code == 1
    assert "no answer within the timeout" in steps(document)["token"]["error"]
    assert "network_error" in diagnosis_ids(document)


@pytest.mark.parametrize("dialect", ["cloudentity", "generic"])
def test_a_username_and_password_walk_the_html_login_form_without_a_browser(sandbox, dialect):
    code, document = flow(sandbox.base_url, dialect, "--username", "alice", "--password", "pass",
                          "--no-browser")
    assert code == 0, document["diagnosis"]
    login = steps(document)["login"]
    assert login["mode"] == "form"
    submitted = login["exchanges"][-1]
    assert submitted["request"]["method"] == "POST"
    assert submitted["request"]["body"]["username"] == "alice"
    assert submitted["request"]["body"]["password"] != "pass"  # masked
    assert steps(document)["redirect"]["source"] == "location"


def test_a_wrong_password_on_the_login_form_is_one_line(sandbox):
    code, document = flow(sandbox.base_url, "generic", "--username", "alice", "--password", "nope")
    assert code == 1
    assert "wrong username or password" in steps(document)["login"]["error"]


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
def test_an_unregistered_redirect_uri_is_named_with_the_servers_words(sandbox, dialect):
    code, document = flow(sandbox.base_url, dialect, "--username", "alice", "--password", "pass",
                          "--redirect-uri", "http://127.0.0.1:9999/elsewhere")
    assert code == 1
    assert "redirect_uri" in steps(document)["login"]["error"]
    assert "redirect_uri_not_registered" in diagnosis_ids(document)


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "generic"])
def test_a_wrong_password_in_an_api_or_form_login_is_named(sandbox, dialect):
    code, document = flow(sandbox.base_url, dialect, "--username", "alice", "--password", "wrong")
    assert code == 1
    assert "login_failed" in diagnosis_ids(document)


def test_a_per_client_fault_set_on_the_command_line_reaches_every_grant():
    command = [sys.executable, "-m", "pkce_tui.cli", "sandbox", "--dialect", "generic",
               "--fault", "demo-public=wrong_aud"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        code, document = flow(base_url, "generic", "--username", "alice", "--password", "pass")
        assert code == 1
        assert "aud_mismatch" in diagnosis_ids(document)
    finally:
        kill_group(server)

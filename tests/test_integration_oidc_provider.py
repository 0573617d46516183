"""End to end against a certified OpenID provider (panva's oidc-provider) on loopback.

The first group drives the provider with plain httpx and the stand-in browser, proving the
peers behave as the flow tests assume (S256-only PKCE, `iss` on the redirect, refresh tokens,
the same `invalid_grant` for every code problem). The second group runs `pkce-tui flow --json`
as a user would, with the stand-in browser as `$BROWSER`, and checks the JSON of DESIGN.md §3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from conftest import LOOPBACK, STANDIN_BROWSER, OidcProvider, free_port

from pkce_tui.core.pkce import generate_verifier, make_challenge

BROWSER_SECONDS = 30
CLI_SECONDS = 60
SCOPE = "openid profile offline_access"


class _CallbackHandler(BaseHTTPRequestHandler):
    """Records the one callback's query and answers it with a short page."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server hook's name)
        self.server.callback_params = dict(parse_qsl(urlsplit(self.path).query))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"done")

    def log_message(self, *args: object) -> None:
        """Silent: the query carries the code."""


def run_standin(url: str, **env: str) -> subprocess.CompletedProcess:
    """The stand-in browser walked from `url`, with `env` added (e.g. STANDIN_PASSWORD)."""
    return subprocess.run(
        [sys.executable, str(STANDIN_BROWSER), url], capture_output=True, text=True,
        timeout=BROWSER_SECONDS, env={**os.environ, **env},
    )


def authorize(provider: OidcProvider, client_id: str, **params: str) -> tuple[dict, str]:
    """Walk the authorize URL with the stand-in browser; the callback's params and its URI."""
    with HTTPServer((LOOPBACK, 0), _CallbackHandler) as listener:
        listener.timeout = BROWSER_SECONDS
        listener.callback_params = None
        redirect_uri = f"http://{LOOPBACK}:{listener.server_address[1]}/callback"
        query = {"client_id": client_id, "response_type": "code", "scope": SCOPE,
                 "redirect_uri": redirect_uri, "state": "state-1", "nonce": "nonce-1",
                 "prompt": "consent", **params}
        waiter = threading.Thread(target=listener.handle_request)
        waiter.start()
        result = run_standin(f"{provider.issuer}/auth?{urlencode(query)}")
        waiter.join(BROWSER_SECONDS)
    assert result.returncode == 0, result.stderr
    return listener.callback_params, redirect_uri


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

"""The sandbox as a server: loopback only, its URLs, discovery and JWKS per dialect, the log,
the key file, CyberArk's case-insensitive paths, stopping cleanly, and `run_foreground`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from processes import kill_group
from sandbox_fixtures import (
    DIALECT_NAMES,
    REDIRECT_URI,
    authorization,
    authorization_code,
    exchange_code,
)

from pkce_tui.core.errors import InputError
from pkce_tui.sandbox import FAULTS, Sandbox
from pkce_tui.sandbox.app import log_safe, request_target
from pkce_tui.sandbox.keys import load_or_create_key

EXPECTED_ISSUERS = {
    "cyberark": "/cyberark/demo-app/",
    "pingone": "/pingone/demo-env/as",
    "cloudentity": "/cloudentity/demo/demo-ws",
    "generic": "/generic",
}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_host_is_refused(host):
    with pytest.raises(InputError, match="not a loopback address"):
        Sandbox(host=host)


def test_unknown_dialect_is_refused():
    with pytest.raises(InputError, match="unknown dialect"):
        Sandbox(dialects=("okta",))


def test_base_url_and_issuers(sandbox):
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    for dialect, path in EXPECTED_ISSUERS.items():
        assert sandbox.issuer(dialect) == sandbox.base_url + path


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_discovery_names_the_issuer_and_its_endpoints(sandbox, dialect):
    issuer = sandbox.issuer(dialect)
    async with httpx.AsyncClient() as client:
        document = (await client.get(issuer.rstrip("/")
                                     + "/.well-known/openid-configuration")).json()
        assert document["issuer"] == issuer
        jwks = (await client.get(document["jwks_uri"])).json()
    assert document["authorization_endpoint"].startswith(sandbox.base_url)
    assert [key["kty"] for key in jwks["keys"]] == ["RSA"]
    assert "d" not in jwks["keys"][0]


async def test_generic_announces_iss_and_only_s256(sandbox):
    async with httpx.AsyncClient() as client:
        generic = (await client.get(sandbox.issuer("generic")
                                    + "/.well-known/openid-configuration")).json()
        cloudentity = (await client.get(sandbox.issuer("cloudentity")
                                        + "/.well-known/openid-configuration")).json()
    assert generic["authorization_response_iss_parameter_supported"] is True
    assert generic["code_challenge_methods_supported"] == ["S256"]
    assert cloudentity["authorization_response_iss_parameter_supported"] is False


@pytest.mark.parametrize("path", ["/cyberark/oauth2/keys/demo-app",
                                  "/cyberark/Oauth2/KEYS/demo-app",
                                  "/cyberark/OAuth2/Keys/demo-app"])
async def test_cyberark_paths_ignore_case(sandbox, path):
    async with httpx.AsyncClient() as client:
        response = await client.get(sandbox.base_url + path)
    assert response.status_code == 200
    assert "keys" in response.json()


NATIVE_CLIENT = {"X-IDAP-NATIVE-CLIENT": "true"}
#: How each endpoint is called, and what it answers once its path is found (never 404).
CYBERARK_CALLS = {
    "Token": ("POST", {"data": {"grant_type": "authorization_code", "code": "unknown",
                                "redirect_uri": REDIRECT_URI, "client_id": "demo-public"}}, 400),
    "Authorize": ("GET", {"params": authorization().params}, 302),
    "StartAuthentication": ("POST", {"json": {"User": "alice", "Version": "1.0"},
                                     "headers": NATIVE_CLIENT}, 200),
    "AdvanceAuthentication": ("POST", {"json": {"SessionId": "unknown"},
                                       "headers": NATIVE_CLIENT}, 200),
}


@pytest.mark.parametrize(("endpoint", "path"), [
    ("Token", "/cyberark/oauth2/token/demo-app"),
    ("Token", "/cyberark/OAUTH2/tOkEn/demo-app"),
    ("Authorize", "/cyberark/oauth2/authorize/demo-app"),
    ("Authorize", "/cyberark/Oauth2/AUTHORIZE/demo-app"),
    ("StartAuthentication", "/cyberark/security/startauthentication"),
    ("StartAuthentication", "/cyberark/SECURITY/StartAuthentication"),
    ("AdvanceAuthentication", "/cyberark/security/advanceauthentication"),
    ("AdvanceAuthentication", "/cyberark/Security/ADVANCEauthentication"),
])
async def test_cyberark_login_api_token_and_authorize_paths_ignore_case(sandbox, endpoint, path):
    method, arguments, status = CYBERARK_CALLS[endpoint]
    async with httpx.AsyncClient() as client:
        response = await client.request(method, sandbox.base_url + path, **arguments)
    assert response.status_code == status, response.text
    if endpoint.endswith("Authentication"):
        assert response.json()["Result"]["Summary"] in ("NewPackage", "Failure")


async def test_pingone_paths_are_case_sensitive(sandbox):
    async with httpx.AsyncClient() as client:
        response = await client.get(sandbox.base_url + "/pingone/demo-env/as/JWKS")
    assert response.status_code == 404


async def test_log_has_method_path_status_and_no_query():
    lines: list[str] = []
    with Sandbox(dialects=("generic",), log=lines.append) as sandbox:
        async with httpx.AsyncClient() as client:
            await client.get(sandbox.base_url + "/generic/authorize?client_id=x&state=secret")
    assert lines == ["GET /generic/authorize 400"]


async def test_log_writes_the_path_as_sent_so_one_request_is_one_line():
    lines: list[str] = []
    with Sandbox(dialects=("generic",), log=lines.append) as sandbox:
        async with httpx.AsyncClient() as client:
            await client.get(sandbox.base_url + "/x%0AGET%20/fake%20200?code=abc")
    assert lines == ["GET /x%0AGET%20/fake%20200 404"]


@pytest.mark.parametrize(("scope", "logged"), [
    ({"path": "/a\nb", "raw_path": b"/a\nb c\x7f\xff"}, "/a\\x0ab\\x20c\\x7f\\xff"),
    ({"path": "/a", "raw_path": b"/a?code=secret"}, "/a"),
    ({"path": "/a\r\nGET /b"}, "/a%0D%0AGET%20/b"),
])
def test_request_target_is_one_printable_field_without_the_query(scope, logged):
    assert request_target(scope) == logged


def test_log_safe_keeps_printable_ascii():
    assert log_safe(b"/OAuth2/Token/demo-app%3F~") == "/OAuth2/Token/demo-app%3F~"


async def test_only_the_chosen_dialects_are_served():
    with Sandbox(dialects=("pingone",)) as sandbox:
        async with httpx.AsyncClient() as client:
            missing = await client.get(sandbox.base_url + "/generic/jwks")
            present = await client.get(sandbox.base_url + "/pingone/demo-env/as/jwks")
    assert (missing.status_code, present.status_code) == (404, 200)


async def test_the_signing_key_is_made_on_first_use_and_kept(monkeypatch):
    """Starting makes no RSA key (discovery needs none); the JWKS makes one, kept after."""
    from pkce_tui.sandbox import keys

    made = []
    real = keys.generate_key
    monkeypatch.setattr(keys, "generate_key", lambda: made.append(1) or real())
    with Sandbox(dialects=("generic",)) as sandbox:
        async with httpx.AsyncClient() as client:
            discovery = await client.get(
                sandbox.base_url + "/generic/.well-known/openid-configuration")
            assert discovery.status_code == 200 and made == []
            first = (await client.get(sandbox.base_url + "/generic/jwks")).json()["keys"][0]
            second = (await client.get(sandbox.base_url + "/generic/jwks")).json()["keys"][0]
    assert made == [1] and first["kid"] == second["kid"]


async def test_key_file_is_created_private_and_reused(tmp_path):
    key_file = tmp_path / "sandbox-key.pem"
    with Sandbox(key_file=str(key_file), dialects=("generic",)) as first:
        async with httpx.AsyncClient() as client:
            first_kid = (await client.get(first.base_url + "/generic/jwks")).json()["keys"][0]
    assert key_file.stat().st_mode & 0o777 == 0o600
    with Sandbox(key_file=str(key_file), dialects=("generic",)) as second:
        async with httpx.AsyncClient() as client:
            second_kid = (await client.get(second.base_url + "/generic/jwks")).json()["keys"][0]
    assert first_kid["kid"] == second_kid["kid"]


def test_unreadable_key_file_is_an_input_error(tmp_path):
    key_file = tmp_path / "junk.pem"
    key_file.write_text("not a key")
    with pytest.raises(InputError, match="not a readable RSA key"):
        load_or_create_key(str(key_file))


def test_key_file_in_a_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot write key file .*: no such directory"):
        load_or_create_key(str(tmp_path / "missing" / "key.pem"))


async def test_stop_ends_a_slow_token_request_at_once_with_503_and_no_traceback(client, capfd):
    """Stopped while the token request sits in its 30 s wait: the 503 says the wait was cut
    short (waited out, the answer would be the tokens)."""
    with Sandbox(dialects=("generic",)) as sandbox:
        waiting = threading.Event()
        real_pause = sandbox.context.pause

        async def pause(seconds: float) -> bool:
            waiting.set()
            return await real_pause(seconds)

        sandbox.context.pause = pause
        request = authorization(sandbox_fault="slow_token", sandbox_delay="30")
        code = await authorization_code(client, sandbox, "generic", request)
        pending = asyncio.create_task(exchange_code(client, sandbox, "generic", code, request))
        assert await asyncio.to_thread(waiting.wait, 60)
        await asyncio.to_thread(sandbox.stop)
        response = await pending
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert capfd.readouterr().err == ""


async def test_stop_answers_a_request_still_sending_its_body_without_a_traceback(capfd):
    sending = asyncio.Event()

    async def endless_body():
        yield b"grant_type="
        sending.set()  # the first chunk is written: the request is in flight
        await asyncio.sleep(30)  # a body that never ends (the task is cancelled)

    with Sandbox(dialects=("generic",)) as sandbox:
        async with httpx.AsyncClient() as client:
            pending = asyncio.create_task(client.post(
                sandbox.base_url + "/generic/token", content=endless_body(),
                headers={"Content-Type": "application/x-www-form-urlencoded"}))
            await asyncio.wait_for(sending.wait(), 30)
            await asyncio.to_thread(sandbox.stop)
            pending.cancel()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception in ASGI application" not in err


def test_stop_is_idempotent_and_frees_the_port():
    sandbox = Sandbox(dialects=("generic",)).start()
    url = sandbox.base_url
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/generic/jwks")


def test_a_fault_for_an_unknown_client_is_refused_naming_the_known_ones(sandbox):
    with pytest.raises(InputError, match="unknown client 'nobody'; known: demo-public, "
                                         "demo-confidential, demo-post"):
        sandbox.set_client_fault("nobody", "wrong_aud")


def test_faults_are_described():
    assert set(FAULTS) == {"expired_id_token", "wrong_aud", "wrong_iss", "bad_signature",
                           "rotated_key", "slow_token", "token_500", "invalid_grant_once",
                           "request_uri_expired", "missing_sub", "alg_none"}
    assert all(description and "\n" not in description for description in FAULTS.values())


FOREGROUND = """
import sys
from pkce_tui.sandbox import run_foreground
sys.exit(run_foreground(sys.argv[1], 0, sys.argv[2] or None, None))
"""


def _foreground(host: str, dialect: str = "") -> subprocess.Popen:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.Popen([sys.executable, "-c", FOREGROUND, host, dialect], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_run_foreground_prints_base_url_first_logs_requests_and_stops_on_ctrl_c():
    process = _foreground("127.0.0.1", "generic")
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert process.stdout.readline().strip() == f"generic: issuer {base_url}/generic"
        httpx.get(base_url + "/generic/jwks", timeout=5)
        assert process.stdout.readline().strip() == "GET /generic/jwks 200"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        kill_group(process)


def test_run_foreground_refuses_a_non_loopback_host():
    process = _foreground("0.0.0.0")
    try:
        out, err = process.communicate(timeout=30)
    finally:
        kill_group(process)
    assert process.returncode == 2
    assert out == ""
    assert "not a loopback address" in err


async def test_accepted_connections_have_tcp_nodelay(sandbox):
    """Responses leave at once instead of waiting for the client's delayed ACK (Nagle)."""
    async with httpx.AsyncClient() as client:
        for _ in range(2):  # the second request reuses the connection
            response = await client.get(sandbox.issuer("generic") + "/jwks")
            assert response.status_code == 200
        connections = list(sandbox._server.server_state.connections)
        assert connections
        for connection in connections:
            accepted = connection.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_an_unexpected_failure_is_a_500_and_one_line_without_its_text():
    """What an exception says may quote a token: the log names only its type."""
    from pkce_tui.sandbox.app import NoTraceback

    async def failing(scope, receive, send):
        raise KeyError("rt-secret-value")

    logged: list[str] = []
    app = NoTraceback(failing, logged.append)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox.test") as client:
        answer = await client.post("/generic/token?refresh_token=rt-secret-value")
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"
    assert logged == ["internal error (KeyError) on /generic/token"]

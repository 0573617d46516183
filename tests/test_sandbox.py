"""The sandbox as a server: loopback only, its URLs, discovery and JWKS per dialect, the log,
the key file, CyberArk's case-insensitive paths, and `run_foreground`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sandbox_fixtures import DIALECT_NAMES

from pkce_tui.core.errors import InputError
from pkce_tui.sandbox import FAULTS, Sandbox
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


async def test_only_the_chosen_dialects_are_served():
    with Sandbox(dialects=("pingone",)) as sandbox:
        async with httpx.AsyncClient() as client:
            missing = await client.get(sandbox.base_url + "/generic/jwks")
            present = await client.get(sandbox.base_url + "/pingone/demo-env/as/jwks")
    assert (missing.status_code, present.status_code) == (404, 200)


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


def test_stop_is_idempotent_and_frees_the_port():
    sandbox = Sandbox(dialects=("generic",)).start()
    url = sandbox.base_url
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/generic/jwks")


def test_faults_are_described():
    assert set(FAULTS) == {"expired_id_token", "wrong_aud", "wrong_iss", "bad_signature",
                           "rotated_key", "slow_token", "token_500", "invalid_grant_once"}
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
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_run_foreground_prints_base_url_first_logs_requests_and_stops_on_ctrl_c():
    process = _foreground("127.0.0.1", "generic")
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert process.stdout.readline().strip() == f"generic: issuer {base_url}/generic"
        httpx.get(base_url + "/generic/jwks", timeout=5)
        assert process.stdout.readline().strip() == "GET /generic/jwks 200"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.communicate()


def test_run_foreground_refuses_a_non_loopback_host():
    process = _foreground("0.0.0.0")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    assert "not a loopback address" in err

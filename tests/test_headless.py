"""`pkce-tui flow` headless: where the redirect comes from, what reaches stderr, discovery."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import free_port
from local_http import serving
from processes import run_process


def flow(*args: str) -> subprocess.CompletedProcess:
    return run_process([sys.executable, "-m", "pkce_tui.cli", "flow", "--client-id", "app",
                           "--timeout", "5", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def dead_endpoints() -> list[str]:
    base = f"http://127.0.0.1:{free_port()}"
    return ["--authorize-endpoint", f"{base}/authorize", "--token-endpoint", f"{base}/token"]


def redirect_file(tmp_path, text: str) -> str:
    path = tmp_path / "redirect.txt"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("uri", "reason"), [
    ("not a uri", "is not an absolute URI"),
    ("http://[::1", "Invalid IPv6 URL"),
    ("http://127.0.0.1:99999/callback", "Port out of range"),
    ("http://127.0.0.1:8765/callback#frag", "must not have a fragment"),
])
def test_a_malformed_redirect_uri_is_bad_input(uri, reason):
    """It must not fall back to asking for the redirect on stdin."""
    result = flow(*dead_endpoints(), "--redirect-uri", uri)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"pkce-tui: --redirect-uri {uri!r}") and reason in result.stderr


def test_with_redirect_from_a_malformed_redirect_uri_is_sent_as_given(tmp_path):
    source = redirect_file(tmp_path, "http://x/cb?code=c1&state=s1")
    result = flow(*dead_endpoints(), "--redirect-uri", "not a uri", "--state", "s1",
                  "--redirect-from", source, "--json")
    assert result.returncode == 1, result.stderr
    steps = {step["step"]: step for step in json.loads(result.stdout)["steps"]}
    assert steps["redirect"]["status"] == "ok"
    assert steps["token"]["status"] == "error"
    assert ("redirect_uri", "not a uri") in [tuple(field) for field in
                                             steps["token"]["request"]["body"].items()]


def test_a_servers_words_reach_stderr_as_one_escaped_line_each(tmp_path):
    source = redirect_file(tmp_path, "http://127.0.0.1:8765/callback?error=access_denied&"
                                     "error_description=a%0Ab%1B%5B31mred&state=s1")
    result = flow(*dead_endpoints(), "--state", "s1", "--redirect-from", source, "--json")
    assert result.returncode == 1
    assert result.stderr == "pkce-tui: redirect: access_denied: a\\nb\\x1b[31mred\n"
    steps = {step["step"]: step for step in json.loads(result.stdout)["steps"]}
    assert steps["redirect"]["error_description"] == "a\nb\x1b[31mred"
    text = flow(*dead_endpoints(), "--state", "s1", "--redirect-from", source)
    assert "\x1b" not in text.stdout + text.stderr


def test_a_failing_discovery_endpoint_is_a_server_error(tmp_path):
    source = redirect_file(tmp_path, "http://127.0.0.1:8765/callback?code=c&state=s")
    with serving({"/.well-known/openid-configuration": (500, '{"error": "down"}')}) as base:
        result = flow("--issuer", base, "--redirect-from", source, "--json")
    assert result.returncode == 1
    diagnosis = json.loads(result.stdout)["diagnosis"]
    assert [(d["id"], d["step"]) for d in diagnosis] == [("server_error", "discovery")]


def test_an_issuer_given_with_a_trailing_slash_is_named(sandbox, tmp_path):
    source = redirect_file(tmp_path, "http://127.0.0.1:8765/callback?code=c&state=s")
    result = flow("--issuer", f"{sandbox.base_url}/generic/", "--redirect-from", source,
                  "--json")
    assert result.returncode == 1
    diagnosis = json.loads(result.stdout)["diagnosis"]
    assert [(d["id"], d["step"]) for d in diagnosis] == [("issuer_mismatch", "discovery")]
    assert f"'{sandbox.base_url}/generic'" in diagnosis[0]["fix"]

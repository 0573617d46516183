"""`pkce-tui sandbox` as a user runs it: bad options refused in one line (exit 2) before
anything is bound, ctrl+c with a request in flight, and a reader of stdout that goes away."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from conftest import free_port
from processes import kill_group, run_process
from sandbox_fixtures import authorization, authorization_code

SANDBOX = [sys.executable, "-m", "pkce_tui.cli", "sandbox"]
CLOSED_NOTICE = "pkce-tui sandbox: stdout was closed; requests are no longer logged"


def start(*options: str) -> tuple[subprocess.Popen, str]:
    """`pkce-tui sandbox --dialect generic OPTIONS` running in a process group of its own (end
    it with `kill_group`), and its base URL (stdout line 1)."""
    process = subprocess.Popen([*SANDBOX, "--dialect", "generic", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    return process, process.stdout.readline().strip()


def post_raw(base_url: str, path: str, form: dict[str, str]) -> socket.socket:
    """POST `form` to `path` and return the socket without waiting for the answer: once
    `sendall` returns, the whole request is in the server's receive buffer."""
    parts = urlsplit(base_url)
    body = urlencode(form).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall(head.encode() + body)
    return sock


def interrupt(process: subprocess.Popen) -> tuple[int, str]:
    """ctrl+c, then the exit code and everything the process wrote to stderr."""
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=15)
    return process.returncode, err


def refused(*options: str) -> subprocess.CompletedProcess:
    return run_process([*SANDBOX, *options], capture_output=True, text=True, timeout=30)


def test_a_key_file_in_a_missing_directory_is_named_and_exits_2(tmp_path):
    result = refused("--key-file", str(tmp_path / "missing" / "k.pem"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"pkce-tui sandbox: cannot write key file {tmp_path / 'missing' / 'k.pem'}: "
        "no such directory"]


def test_a_fault_for_an_unknown_client_is_refused_with_the_known_clients():
    result = refused("--fault", "nobody=wrong_aud")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "pkce-tui sandbox: unknown client 'nobody'; known: demo-public, demo-confidential, "
        "demo-post, demo-par, demo-pkjwt, demo-dpop"]


def test_a_non_loopback_host_is_refused_in_one_line_before_binding():
    """The port is held on 0.0.0.0: a sandbox that tried to bind it would fail to listen
    (exit 1); exit 2 with the loopback message shows it never tried."""
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        result = refused("--host", "0.0.0.0", "--port", str(holder.getsockname()[1]))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "not a loopback address" in lines[0]


async def test_ctrl_c_during_a_slow_token_request_exits_0_without_a_traceback(client):
    """The token request is sent in full before a quick request on another connection, so by
    the time the quick one is answered the server's one event loop has taken the token
    request into its slow wait; ctrl+c then cuts the wait short with a 503 (not 30 s later)."""
    process, base_url = start()
    try:
        request = authorization(sandbox_fault="slow_token", sandbox_delay="30")
        code = await authorization_code(client, SimpleNamespace(base_url=base_url), "generic",
                                        request)
        form = {"grant_type": "authorization_code", "code": code, "client_id": "demo-public",
                "redirect_uri": request.params["redirect_uri"],
                "code_verifier": request.verifier}
        with post_raw(base_url, "/generic/token", form) as in_flight:
            assert httpx.get(base_url + "/generic/jwks", timeout=30).status_code == 200
            exit_code, err = interrupt(process)
            in_flight.settimeout(30)
            status_line = in_flight.makefile("rb").readline()
    finally:
        kill_group(process)
    assert (exit_code, err) == (0, "")
    assert status_line.split()[1] == b"503"


def test_a_closed_stdout_stops_the_log_and_the_sandbox_keeps_serving():
    process, base_url = start()
    try:
        process.stdout.close()
        statuses = [httpx.get(base_url + "/generic/jwks", timeout=5).status_code
                    for _ in range(3)]
        exit_code, err = interrupt(process)
    finally:
        kill_group(process)
    assert statuses == [200, 200, 200]
    assert exit_code == 0
    assert err.splitlines() == [CLOSED_NOTICE]


def test_a_reader_gone_before_the_url_is_printed_leaves_the_sandbox_serving():
    """`pkce-tui sandbox | head -0`: the first line already meets a closed pipe."""
    port = free_port()
    process = subprocess.Popen([*SANDBOX, "--dialect", "generic", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        process.stdout.close()
        first_err_line = process.stderr.readline()
        status = httpx.get(f"http://127.0.0.1:{port}/generic/jwks", timeout=5).status_code
        exit_code, err = interrupt(process)
    finally:
        kill_group(process)
    assert first_err_line == CLOSED_NOTICE + "\n"
    assert (status, exit_code, err) == (200, 0, "")


def test_iss_switches_rfc_9207_on_for_the_named_dialect():
    process, base_url = start("--dialect", "cloudentity", "--iss", "cloudentity")
    try:
        discovery = httpx.get(f"{base_url}/cloudentity/demo/demo-ws"
                              "/.well-known/openid-configuration")
        code, _ = interrupt(process)
    finally:
        kill_group(process)
    assert discovery.json()["authorization_response_iss_parameter_supported"] is True
    assert code == 0


def test_iss_for_an_unknown_dialect_is_a_usage_error():
    result = refused("--iss", "okta")
    assert result.returncode == 2 and "invalid choice: 'okta'" in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "x"])
def test_sandbox_refuses_a_port_that_is_no_port_in_one_line(port):
    result = run_process([sys.executable, "-m", "pkce_tui.cli", "sandbox", f"--port={port}"],
                         capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert "--port" in result.stderr

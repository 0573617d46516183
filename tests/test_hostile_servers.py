"""Every command survives a lying server in bounded time and memory (tests/hostile_server.py).

Each mode's commands run in one child process that reports its own peak memory, so a body
decoded without bound (a gzip bomb reaches 512 MiB) shows as a peak far past the bound. The
only time bound is the generous subprocess timeout: `--timeout` must stop a trickle.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys

import pytest
from conftest import settle
from hostile_server import MODES, PEAK, bomb, hostile_server, jwks_of_10000_keys
from processes import run_process

PEAK_BOUND_MIB = 300  # the commands need ~100 MiB; a decoded bomb needs 512+
REDIRECT = "http://127.0.0.1:8765/callback?code=c0de&state=s1"
RUNNER = PEAK + """
import contextlib, io, json, sys
from pkce_tui.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    results.append({"argv": argv, "code": code, "stdout": out.getvalue(),
                    "stderr": err.getvalue()})
print(json.dumps({"results": results, "peak_mib": peak_mib()}))
"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


TOKEN = ".".join([b64(b'{"alg": "ES256", "kid": "k9999"}'),
                  b64(b'{"iss": "http://127.0.0.1/ok", "sub": "alice", "exp": 4102444800}'),
                  b64(b"\0" * 64)])


@pytest.fixture(scope="module")
def hostile_base():
    bomb(3), bomb(2), jwks_of_10000_keys()  # built once, before any command waits on them
    with hostile_server() as base:
        yield base


def commands_against(base: str, mode: str, redirect_file: str) -> list[list[str]]:
    """jwt's JWKS fetch, flow's discovery, flow's token request (a POST), and check's
    discovery at `mode`."""
    flow = ["flow", "--client-id", "c", "--state", "s1", "--redirect-from", redirect_file,
            "--timeout", "2", "--json"]
    return [
        ["jwt", TOKEN, "--jwks", f"{base}/{mode}/jwks", "--timeout", "2", "--json"],
        [*flow, "--issuer", f"{base}/{mode}"],
        [*flow, "--authorize-endpoint", f"{base}/ok/authorize",
         "--token-endpoint", f"{base}/{mode}/token", "--jwks-uri", f"{base}/{mode}/jwks"],
        ["check", "--issuer", f"{base}/{mode}", "--client-id", "c", "--timeout", "2", "--json"],
    ]


def run_bounded(commands: list[list[str]]) -> dict:
    child = run_process([sys.executable, "-c", RUNNER, json.dumps(commands)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0 and "Traceback" not in child.stderr, child.stderr[-3000:]
    return json.loads(child.stdout)


def assert_survived(report: dict) -> None:
    assert report["peak_mib"] < PEAK_BOUND_MIB, report["peak_mib"]
    for result in report["results"]:
        assert "Traceback" not in result["stderr"], result
        assert result["code"] in (1, 2), result  # a lying server never makes a success
        document = json.loads(result["stdout"])  # strict JSON still
        assert document.get("ok") is not True and document.get("valid") is not True


@pytest.mark.parametrize("mode", MODES)
def test_every_command_survives_a_hostile_server(hostile_base, mode, tmp_path):
    redirect_file = tmp_path / "redirect.txt"
    redirect_file.write_text(REDIRECT)
    assert_survived(run_bounded(commands_against(hostile_base, mode, str(redirect_file))))


def test_a_self_signed_certificate_is_refused_by_every_command(tmp_path):
    redirect_file = tmp_path / "redirect.txt"
    redirect_file.write_text(REDIRECT)
    with hostile_server(tls_dir=tmp_path) as base:
        report = run_bounded(commands_against(base, "ok", str(redirect_file)))
    assert_survived(report)
    assert all("certificate" in (r["stderr"] + r["stdout"]).lower()
               for r in report["results"]), report


def test_stacked_codings_past_two_are_refused_and_named(hostile_base, tmp_path):
    report = run_bounded([["jwt", TOKEN, "--jwks", f"{hostile_base}/gzip3/jwks", "--json"]])
    assert "3 content codings" in report["results"][0]["stderr"]


@pytest.mark.parametrize("mode", ["gzip3", "gzip2", "endless", "trickle", "html5xx", "truncated"])
async def test_the_tui_survives_a_hostile_discovery(hostile_base, mode):
    """The TUI's discovery step against each mode ends (as an error) and the app runs on;
    a 2 MB body is shown cut, so the screen lays out in time (it took minutes whole)."""
    from pkce_tui.core.flow import FlowConfig
    from pkce_tui.tui.app import PkceTuiApp

    config = FlowConfig(issuer=f"{hostile_base}/{mode}", client_id="c", timeout=2.0)
    app = PkceTuiApp(config)
    async with asyncio.timeout(120), app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        assert app.flow.status("discovery") == "error"
        assert app.is_running

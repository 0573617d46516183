"""Saved sessions: `flow --save` masked or 0600 with --reveal, versioned and refused in one line
when newer or malformed; `export` as HAR 1.2 and Markdown; `--open` filling the TUI's panes,
read-only until F5 replays them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import free_port, settle
from processes import run_process
from textual.widgets import Static

from pkce_tui.core.errors import InputError
from pkce_tui.core.export import to_har
from pkce_tui.core.session import SESSION_VERSION, parse_session, replayable_config
from pkce_tui.tui.app import PkceTuiApp

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
HAR_ENTRY_KEYS = {"startedDateTime", "time", "request", "response", "cache", "timings"}
HAR_REQUEST_KEYS = {"method", "url", "httpVersion", "headers", "queryString", "cookies",
                    "headersSize", "bodySize"}
HAR_RESPONSE_KEYS = {"status", "statusText", "httpVersion", "headers", "cookies", "content",
                     "redirectURL", "headersSize", "bodySize"}


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    result = run_process([sys.executable, "-m", "pkce_tui.cli", *args], capture_output=True,
                            text=True, timeout=90, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def cyberark_flow(base_url: str, *extra: str) -> list[str]:
    return ["flow", "--dialect", "cyberark", "--tenant-url", f"{base_url}/cyberark",
            "--app-id", "demo-app", "--username", "alice", "--password", "pass",
            "--client-id", "demo-confidential", "--client-secret", "demo-secret",
            "--scope", "openid profile offline_access", "--verifier", VERIFIER,
            "--redirect-uri", f"http://127.0.0.1:{free_port()}/callback", "--timeout", "5",
            *extra]


@pytest.fixture(scope="module")
def saved(sandbox, tmp_path_factory) -> dict:
    """One masked and one revealed session of the same CyberArk flow."""
    folder = tmp_path_factory.mktemp("sessions")
    masked, revealed = folder / "masked.json", folder / "revealed.json"
    first = cli(*cyberark_flow(sandbox.base_url, "--save", str(masked)))
    second = cli(*cyberark_flow(sandbox.base_url, "--save", str(revealed), "--reveal", "--json"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    return {"masked": masked, "revealed": revealed, "revealed_stderr": second.stderr,
            "revealed_json": json.loads(second.stdout)}


def test_a_saved_session_is_versioned_and_masked(saved):
    document = json.loads(saved["masked"].read_text())
    assert document["pkce_tui_session"] == SESSION_VERSION and document["masked"] is True
    assert [s["step"] for s in document["steps"]][:3] == ["discovery", "verifier", "challenge"]
    assert document["config"]["client_id"] == "demo-confidential"
    assert document["exchanges"] and "diagnosis" in document
    text = saved["masked"].read_text()
    assert "demo-secret" not in text and VERIFIER not in text and '"pass"' not in text
    assert document["config"]["client_secret"].startswith("••••••(11·")


def test_a_revealed_session_is_0600_with_a_warning(saved):
    assert stat.S_IMODE(os.stat(saved["revealed"]).st_mode) == 0o600
    assert "0600" in saved["revealed_stderr"] and saved["revealed_stderr"].count("\n") == 1
    assert "demo-secret" in saved["revealed"].read_text()


def test_a_session_loads_back_with_every_step(saved):
    session = parse_session(saved["revealed"].read_text())
    flow = saved["revealed_json"]
    assert [(r.name, r.status, r.summary) for r in session.state.results.values()] == [
        (s["step"], s["status"], s["summary"]) for s in flow["steps"]]
    token = session.state.result("token")
    assert token.request.form and dict(token.request.form)["code_verifier"] == VERIFIER
    assert token.response.json()["access_token"]
    assert len(session.exchanges) == len(flow["transcript"])


@pytest.mark.parametrize(("text", "reason"), [
    ("not json", "is not JSON"),
    ("[]", "not a JSON object"),
    ('{"log": {}}', "not a pkce-tui session"),
    ('{"pkce_tui_session": 99, "config": {}}', "newer pkce-tui"),
    ('{"pkce_tui_session": "1"}', "invalid session version"),
    ('{"pkce_tui_session": 1}', "malformed session: missing 'config'"),
    ('{"pkce_tui_session": 1, "config": {}, "steps": [{"status": "ok"}]}', "malformed"),
    ('{"pkce_tui_session": 1, "config": {}, "exchanges": [{"request": 5}]}', "malformed"),
])
def test_a_bad_session_is_one_clear_error(text, reason):
    with pytest.raises(InputError, match=reason):
        parse_session(text)


def test_export_of_a_newer_or_malformed_session_is_one_line_exit_2(tmp_path):
    newer = tmp_path / "newer.json"
    newer.write_text('{"pkce_tui_session": 2, "config": {}}')
    result = cli("export", str(newer), "--format", "har")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "newer pkce-tui" in result.stderr


def test_export_har_is_a_valid_har_1_2_log(saved, tmp_path):
    out = tmp_path / "out.har"
    assert cli("export", str(saved["masked"]), "--format", "har", "-o", str(out)).returncode == 0
    log = json.loads(out.read_text())["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "pkce-tui"
    assert log["pages"] and all(e["pageref"] == log["pages"][0]["id"] for e in log["entries"])
    session = json.loads(saved["masked"].read_text())
    assert len(log["entries"]) == len(session["exchanges"])
    for entry in log["entries"]:
        assert HAR_ENTRY_KEYS <= entry.keys() and entry["startedDateTime"].endswith("Z")
        assert HAR_REQUEST_KEYS <= entry["request"].keys()
        assert HAR_RESPONSE_KEYS <= entry["response"].keys()
        assert {"size", "mimeType"} <= entry["response"]["content"].keys()
        assert {"send", "wait", "receive"} <= entry["timings"].keys()
    token = next(e for e in log["entries"] if "/OAuth2/Token/" in e["request"]["url"]
                 and "authorization_code" in e["request"]["postData"]["text"])
    params = {p["name"]: p["value"] for p in token["request"]["postData"]["params"]}
    assert params["code_verifier"].startswith("••••••(43·")
    assert stat.S_IMODE(os.stat(out).st_mode) != 0o600  # masked: an ordinary file


def test_export_of_a_revealed_session_masks_unless_revealed_again(saved, tmp_path):
    masked = cli("export", str(saved["revealed"]), "--format", "har")
    assert "demo-secret" not in masked.stdout and VERIFIER not in masked.stdout
    out = tmp_path / "kept.har"
    kept = cli("export", str(saved["revealed"]), "--format", "har", "-o", str(out), "--reveal")
    assert kept.returncode == 0 and VERIFIER in out.read_text()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_export_markdown_has_steps_diagnosis_and_curl(saved):
    result = cli("export", str(saved["masked"]), "--format", "markdown")
    report = result.stdout
    assert result.returncode == 0 and report.startswith("# pkce-tui session report")
    assert "## Diagnosis" in report and "## Steps" in report
    assert "| token | ok |" in report and "```sh\ncurl" in report
    assert "demo-secret" not in report and VERIFIER not in report


def test_the_markdown_report_keeps_a_servers_words_quoted():
    from pkce_tui.core.export import to_markdown

    session = {"ok": False, "masked": True, "steps": [
        {"step": "token", "status": "error", "summary": "a | b\n# heading <script>"}],
        "diagnosis": [{"id": "x", "step": "token", "severity": "error",
                       "summary": "s", "fix": "f"}],
        "exchanges": [{"request": {"method": "GET", "url": "http://x/", "headers": []},
                       "response": {"status": 500, "headers": [], "body": "```\nhi"}}]}
    report = to_markdown(session)
    assert "| token | error | a \\| b # heading \\<script\\> |" in report
    assert "````\n```\nhi\n````" in report


def test_har_of_an_unanswered_exchange_has_status_0_and_the_error():
    session = {"created": "2026-01-01T00:00:00+00:00", "exchanges": [
        {"request": {"method": "GET", "url": "http://x/?a=1", "headers": [], "body": None},
         "response": None, "error": "timed out", "labels": []}]}
    [entry] = to_har(session)["log"]["entries"]
    assert entry["response"]["status"] == 0 and entry["_error"] == "timed out"
    assert entry["request"]["queryString"] == [{"name": "a", "value": "1"}]


def test_replay_drops_masked_values_to_be_typed_again(saved):
    session = parse_session(saved["masked"].read_text())
    config, dropped = replayable_config(session.state.config)
    assert set(dropped) >= {"client_secret", "password", "verifier"}
    assert config.client_secret is None and config.client_id == "demo-confidential"


async def test_open_fills_every_pane_read_only_until_ctrl_r_replays(saved, sandbox):
    state = parse_session(saved["revealed"].read_text()).state
    app = PkceTuiApp.for_file(str(saved["revealed"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.read_only and "saved session, read-only" in app.sub_title
        for pane in app.panes:  # the verifier and challenge panes show their live values
            for step in () if pane.id in ("verifier", "challenge") else pane.STEPS:
                result = state.result(step)
                if result is not None:
                    assert pane.border_title.endswith(app.flow.status(step)) or \
                        pane.border_title.count("·") == 1
                    assert step in text_of(app, pane.id)
                    assert result.summary.split(" ")[0] in text_of(app, pane.id)
        assert "cyberark API as" in text_of(app, "redirect")
        assert state.result("id_token").summary in text_of(app, "claims")
        await pilot.press("f5")  # read-only: nothing runs
        assert app.flow.results == state.results
        app.query_one("#token").focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.read_only and app.history and app.history[-1].results == state.results
        assert app.flow.config.client_id == "demo-confidential" and not app.flow.results
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.result("token") is not None


async def test_ctrl_s_saves_the_flow_masked(tmp_path, monkeypatch, saved):
    monkeypatch.chdir(tmp_path)
    app = PkceTuiApp.for_file(str(saved["revealed"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
    [written] = list(tmp_path.glob("pkce-tui-session-*.json"))
    text = written.read_text()
    assert json.loads(text)["masked"] is True and VERIFIER not in text


def test_open_of_a_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"pkce_tui_session": 7}')
    result = cli("--open", str(bad))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "newer pkce-tui" in result.stderr


def text_of(app: PkceTuiApp, pane: str) -> str:
    import io

    from rich.console import Console

    console = Console(width=4000, record=True, file=io.StringIO())
    console.print(app.query_one(f"#{pane} .body", Static).content)
    return console.export_text()


def test_an_exported_har_is_read_back_by_har_with_the_same_outcome(saved, tmp_path):
    """save → export har → `pkce-tui har`: the flow rebuilt from the export keeps its steps."""
    out = tmp_path / "round-trip.har"
    assert cli("export", str(saved["revealed"]), "--format", "har", "--reveal",
               "-o", str(out)).returncode == 0
    rebuilt = cli("har", str(out), "--json", "--reveal")
    document = json.loads(rebuilt.stdout)
    statuses = {s["step"]: s["status"] for s in document["steps"]}
    original = {s["step"]: s["status"] for s in saved["revealed_json"]["steps"]}
    for step in ("verifier", "challenge", "authorize", "redirect", "token", "id_token",
                 "refresh"):
        assert statuses[step] == original[step] == "ok", (step, statuses)
    assert all(check["ok"] is not False for check in document["checks"])

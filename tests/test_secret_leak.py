"""No live secret in any output: every command and export, run against the sandbox in each
dialect with known secrets, and the TUI's copies made without F2.

The sandbox records every code, access and refresh token and session cookie it issues (its
store's tables are wrapped), the client secret, password and verifier are given, and ID
tokens are caught as JWTs wherever they stand. A revealed export must hold them all, which
proves the recording sees what a leak would show.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyperclip
import pytest
from conftest import free_port, pause_until, settle, standin_browser_command
from processes import run_process
from textual.widgets import OptionList

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.sandbox import Sandbox
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.screens import CopyPicker

SECRET = "demo-secret"
PASSWORD = "pass"
VERIFIER = "Kx9-leak.test_verifier~" + "q" * 30
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
PASSWORD_WORD = re.compile(rf"(?<![A-Za-z0-9]){PASSWORD}(?![A-Za-z0-9])")
CLIENTS = {"cyberark": "demo-confidential", "pingone": "demo-post",
           "cloudentity": "demo-confidential", "generic": "demo-post"}
RECORDED_TABLES = ("codes", "access_tokens", "refresh_tokens", "sessions")


class Recording(dict):
    """A store table that remembers every key ever put in it (tokens, codes, sessions)."""

    def __init__(self, seen: set[str], *args) -> None:
        super().__init__(*args)
        self.seen = seen

    def __setitem__(self, key, value) -> None:
        self.seen.add(key)
        super().__setitem__(key, value)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def issued(sandbox) -> set[str]:
    """Every secret the sandbox issues from now on."""
    seen: set[str] = set()
    store = sandbox.context.store
    for table in RECORDED_TABLES:
        setattr(store, table, Recording(seen, getattr(store, table)))
    return seen


def known_secrets(issued: set[str], client_id: str) -> set[str]:
    basic = base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
    return {*issued, SECRET, VERIFIER, basic}


def leaks(text: str, secrets: set[str], *, password: bool = True) -> list[str]:
    """Each secret found in `text` (shortened), the password as a word, any JWT."""
    found = [secret[:12] + "…" for secret in secrets if secret in text]
    if password:
        found += [f"password {m[0]!r}" for m in PASSWORD_WORD.finditer(text)][:1]
    found += [f"JWT {m[0][:16]}…" for m in JWT.finditer(text)][:1]
    return found


def target(base: str, dialect: str) -> list[str]:
    return {
        "cyberark": ["--dialect", "cyberark", "--tenant-url", f"{base}/cyberark",
                     "--app-id", "demo-app", "--username", "alice", "--password", PASSWORD],
        "pingone": ["--dialect", "pingone", "--base-url", f"{base}/pingone",
                    "--env-id", "demo-env", "--username", "alice", "--password", PASSWORD,
                    "--auth-method", "client_secret_post"],
        "cloudentity": ["--dialect", "cloudentity", "--base-url", f"{base}/cloudentity",
                        "--tenant", "demo", "--workspace", "demo-ws",
                        "--username", "alice", "--password", PASSWORD],
        "generic": ["--issuer", f"{base}/generic", "--username", "alice",
                    "--password", PASSWORD, "--auth-method", "client_secret_post"],
    }[dialect]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BROWSER": standin_browser_command()}
    result = run_process([sys.executable, "-m", "pkce_tui.cli", *args], capture_output=True,
                            text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def flow(base: str, dialect: str, *extra: str) -> subprocess.CompletedProcess:
    return cli("flow", "--client-id", CLIENTS[dialect], "--client-secret", SECRET,
               "--verifier", VERIFIER, "--scope", "openid profile offline_access",
               "--redirect-uri", f"http://127.0.0.1:{free_port()}/callback", "--timeout", "10",
               *target(base, dialect), *extra)


def outputs(result: subprocess.CompletedProcess, *files: Path) -> dict[str, str]:
    shown = {"stdout": result.stdout, "stderr": result.stderr}
    shown.update({str(path.name): path.read_text() for path in files if path.exists()})
    return shown


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
def test_no_command_or_export_shows_a_live_secret(sandbox, issued, dialect, tmp_path):
    base = sandbox.base_url
    seen: dict[str, str] = {}
    saved, revealed = tmp_path / "saved.json", tmp_path / "revealed.json"
    masked_run = flow(base, dialect, "--json", "--save", str(saved))
    assert masked_run.returncode == 0, masked_run.stderr
    document = json.loads(masked_run.stdout)
    assert {s["step"] for s in document["steps"]} >= {"token", "refresh"}
    assert all(entry["curl"] for entry in document["transcript"])
    seen.update({f"flow --json {k}": v for k, v in outputs(masked_run, saved).items()})
    text_run = flow(base, dialect)
    seen.update({f"flow {k}": v for k, v in outputs(text_run).items()})
    for fmt in ("har", "markdown"):
        out = tmp_path / f"export.{fmt}"
        exported = cli("export", str(saved), "--format", fmt, "-o", str(out))
        seen.update({f"export {fmt} {k}": v for k, v in outputs(exported, out).items()})

    revealed_run = flow(base, dialect, "--json", "--reveal", "--save", str(revealed))
    assert revealed_run.returncode == 0, revealed_run.stderr
    raw_har = tmp_path / "raw.har"
    assert cli("export", str(revealed), "--format", "har", "--reveal", "-o",
               str(raw_har)).returncode == 0
    for fmt in ("har", "markdown"):
        exported = cli("export", str(revealed), "--format", fmt)
        seen.update({f"export of a revealed session as {fmt} {k}": v
                     for k, v in outputs(exported).items()})
    sanitized = tmp_path / "sanitized.har"
    sanitize = cli("har", "sanitize", str(raw_har), "-o", str(sanitized), "--json")
    assert sanitize.returncode == 0, sanitize.stderr
    seen.update({f"har sanitize {k}": v for k, v in outputs(sanitize, sanitized).items()})

    secrets = known_secrets(issued, CLIENTS[dialect])
    raw = raw_har.read_text()
    live = [s for s in secrets if s in raw]
    assert SECRET in revealed.read_text() and PASSWORD_WORD.search(revealed.read_text())
    assert len(live) >= 4 and VERIFIER in raw and JWT.search(raw), (
        "the revealed export should hold the live secrets the others must not")
    found = {name: leaks(text, secrets) for name, text in seen.items()}
    assert not {name: hits for name, hits in found.items() if hits}


@pytest.fixture
def clipboard(monkeypatch) -> list[str]:
    values: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", values.append)
    return values


def confidential_app(sandbox) -> PkceTuiApp:
    """The TUI on the sandbox's confidential CyberArk client, with the known verifier."""
    profile = profiles.builtin_profiles()["sandbox-cyberark-confidential"]
    config = FlowConfig(**profile.config_fields(sandbox.base_url))
    return PkceTuiApp(config, profile_name=profile.name, sandbox_base_url=sandbox.base_url,
                      verifier=VERIFIER)


async def run_flow(pilot) -> None:
    """F5, then wait until the token step has ended ok."""
    await pilot.press("f5")
    await settle(pilot)
    await pause_until(pilot, lambda: pilot.app.flow.result("token").status == "ok",
                      "the token step ends ok")


async def test_the_tuis_copies_without_f2_hold_no_secret(sandbox, issued, clipboard):
    app = confidential_app(sandbox)
    config = app.flow.config
    async with app.run_test(size=(120, 40)) as pilot:
        await run_flow(pilot)
        main_screen = app.screen
        for pane in app.panes:
            pane.focus()
            await pause_until(pilot, lambda p=pane: app.focused is p, f"{pane.id} focused")
            for index in range(len(pane.copy_values(app.flow))):
                await copy_with_f3(pilot, app, main_screen, index, clipboard)
        assert len(clipboard) >= 15
        secrets = known_secrets(issued, config.client_id) | app.flow.secrets()
        secrets.add(config.client_secret or SECRET)
        found = [leaks(text, secrets) for text in clipboard]
        assert not [hits for hits in found if hits]
        await pilot.press("f2")
        app.query_one("#token").focus()
        await copy_with_f3(pilot, app, main_screen, 0, clipboard)
        assert clipboard[-1] == app.flow.value("token").tokens["access_token"]


async def copy_with_f3(pilot, app, main_screen, index: int, clipboard: list[str]) -> None:
    """Press F3 on the focused pane and copy its `index`th value (through the picker when
    the pane has several), waiting for the copy itself to land on the clipboard."""
    before = len(clipboard)
    await pilot.press("f3")
    await pause_until(pilot, lambda: len(clipboard) > before or isinstance(app.screen, CopyPicker)
                      and app.screen.query(OptionList), "F3 copies or offers its values")
    if isinstance(app.screen, CopyPicker):
        app.screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
    await pause_until(pilot, lambda: len(clipboard) > before and app.screen is main_screen,
                      "the chosen value is copied and the picker closed")
    app.clear_notifications()  # a toast per copy would only slow every later frame down


@pytest.mark.parametrize("mode", [(), ("--json",)])
def test_check_quotes_a_secret_put_in_the_authorize_url_masked(sandbox, mode):
    result = cli("check", "--client-id", "demo-confidential", "--client-secret", SECRET,
                 "--param", f"client_secret={SECRET}", "--timeout", "10",
                 "--redirect-uri", f"http://127.0.0.1:{free_port()}/callback",
                 *target(sandbox.base_url, "generic"), *mode)
    assert result.stdout
    assert not leaks(result.stdout + result.stderr, {SECRET}, password=False)  # "[pass]"


def on_screen(texts: list[str], secrets: set[str]) -> list[str]:
    """Each secret whose first 12 characters appear in `texts` (cells may be cut short)."""
    return sorted({s[:12] + "…" for s in secrets if len(s) >= 12
                   for text in texts if s[:12] in text})


async def test_the_tuis_screens_without_f2_show_no_secret(sandbox, issued):
    """The F8 compare screen and the paste preview mask codes and tokens until F2 (DESIGN §4);
    after F2 they show them."""
    from textual.widgets import DataTable, Static, TextArea

    from pkce_tui.tui.screens import CompareScreen

    app = confidential_app(sandbox)
    config = app.flow.config
    async with app.run_test(size=(120, 40)) as pilot:
        await run_flow(pilot)
        app.query_one("#authorize").focus()
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pause_until(pilot, lambda: app.history
                          and app.flow.result("token").status == "ok", "the replay ends ok")
        assert app.flow.result("token").status == "ok" and app.history
        secrets = (known_secrets(issued, config.client_id) | app.flow.secrets()
                   | app.history[-1].secrets())
        code = app.flow.result("redirect").data["code"]
        await pilot.press("f8")
        await pause_until(pilot, lambda: isinstance(app.screen, CompareScreen)
                          and app.screen.query_one(DataTable).row_count, "compare shown")

        def cells() -> list[str]:
            table = app.screen.query_one(DataTable)
            return [cell.plain for i in range(table.row_count) for cell in table.get_row_at(i)]

        assert any("code ••••••(" in cell for cell in cells()), cells()
        assert not on_screen(cells(), secrets)
        # the verifier pane behind the dialog shows its verifier, as it should
        assert not on_screen([app.export_screenshot()], secrets - {VERIFIER})
        await pilot.press("f2")
        await pause_until(pilot, lambda: app.reveal and on_screen(cells(), {code}),
                          "F2 reveals the code on the compare screen")
        await pilot.press("f2", "escape")
        await pause_until(pilot, lambda: not isinstance(app.screen, CompareScreen)
                          and not app.reveal, "compare closed, secrets masked again")

        def preview() -> str:
            return app.query_one("#paste-preview", Static).render().plain

        app.query_one("#login-mode").value = "paste"
        await pause_until(pilot, lambda: app.query("#paste"), "paste box shown")
        pasted = "http://127.0.0.1/callback?code=pasted-live-code-1234&state=s"
        app.query_one("#paste", TextArea).load_text(pasted)
        await pause_until(pilot, lambda: "found code" in preview(), "the paste previewed")

        assert "found code ••••••(" in preview() and "pasted-live" not in preview()
        assert "pasted-live" not in app.export_screenshot().split("callback?code=")[0]
        await pilot.press("f2")
        await pause_until(pilot, lambda: "found code pasted-live-code-1234" in preview(),
                          "F2 reveals the pasted code")

"""Pictures of the main screens (pytest-textual-snapshot), deterministic by construction.

The target uses explicit endpoints, so discovery needs no network; verifier, state and nonce
are fixed; the code comes from a pasted callback URL. No step that would show a server's
random code, token or timing is run. Update with `pytest tests/test_snapshots.py
--snapshot-update` and look at every changed picture before committing it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, TextArea

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.tui.app import PkceTuiApp

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
TARGET = FlowConfig(
    authorize_endpoint="https://login.example.test/oauth2/authorize",
    token_endpoint="https://login.example.test/oauth2/token",
    issuer="https://login.example.test", client_id="demo-public", login="browser",
    redirect_uri="http://127.0.0.1:8765/callback",
)
CALLBACK = "http://127.0.0.1:8765/callback?code=fixed-code-123&state=fixed-state"
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def empty_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))


def fixed_app(config: FlowConfig = TARGET, **options) -> PkceTuiApp:
    return PkceTuiApp(config, verifier=RFC_VERIFIER, state="fixed-state", nonce="fixed-nonce",
                      clock=lambda: 1_700_000_000.0, **options)


async def no_blink(pilot) -> None:
    for widget in pilot.app.query(Input).results():
        widget.cursor_blink = False
    for area in pilot.app.query(TextArea).results():
        area.cursor_blink = False
    await pilot.pause()


async def run_to_redirect(pilot) -> None:
    """Discovery (explicit), verifier, challenge, authorize, then the pasted callback."""
    await no_blink(pilot)
    pilot.app.query_one(TextArea).load_text(CALLBACK)
    for _ in range(6):
        await pilot.press("f10")
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_start_screen(snap_compare):
    """Every pane visible at 120x40; the fixed verifier's S256 challenge (RFC 7636 App. B)."""
    assert snap_compare(fixed_app(), run_before=no_blink, terminal_size=SIZE)


def test_invalid_verifier_is_explained_as_typed(snap_compare):
    """A bad character shows its position; the challenge is still computed."""
    async def type_bad_character(pilot):
        await no_blink(pilot)
        await pilot.press("end", "+")

    assert snap_compare(fixed_app(), run_before=type_bad_character, terminal_size=SIZE)


def test_steps_run_up_to_the_redirect(snap_compare):
    """Authorize URL with its parameters, and the code and state checks from a pasted URL."""
    app = fixed_app(redirect_mode="paste")
    assert snap_compare(app, run_before=run_to_redirect, terminal_size=SIZE)


def test_edited_verifier_makes_later_panes_stale(snap_compare):
    """After an edit, challenge and later panes are stale (dashed) with what was sent."""
    async def edit_after_run(pilot):
        await run_to_redirect(pilot)
        pilot.app.query_one("#verifier-input").focus()
        await pilot.press("end", "Q")

    app = fixed_app(redirect_mode="paste")
    assert snap_compare(app, run_before=edit_after_run, terminal_size=SIZE)


def test_explanation_with_rfc_section(snap_compare):
    """F1 shows what the focused step does and the RFC section that says so."""
    async def explain(pilot):
        await no_blink(pilot)
        await pilot.press("f1")

    assert snap_compare(fixed_app(), run_before=explain, terminal_size=SIZE)


def test_small_terminal_stacks_and_maximises(snap_compare):
    """80x24 is usable: panes stack in one column and F4 maximises the focused one."""
    async def maximise(pilot):
        await no_blink(pilot)
        await pilot.press("f4")

    assert snap_compare(fixed_app(), run_before=maximise, terminal_size=(80, 24))


def test_insecure_warning(snap_compare):
    """--insecure puts a warning across the top of the screen."""
    config = replace(TARGET, insecure=True)
    assert snap_compare(fixed_app(config), run_before=no_blink, terminal_size=SIZE)


def test_profile_picker_lists_the_builtin_sandbox_clients(snap_compare):
    """F6 opens the profile picker; the sandbox's clients are there with no file."""
    async def open_picker(pilot):
        await no_blink(pilot)
        await pilot.press("f6")

    assert snap_compare(fixed_app(), run_before=open_picker, terminal_size=SIZE)

"""`pkce-tui --insecure`: TLS verification off for the whole session, and the warning says so.

No server is reached: the targets are closed loopback ports, and the client factory records
the configuration each run's HTTP client was made from.
"""

from __future__ import annotations

import pytest
from conftest import pause_until, settle
from textual.widgets import OptionList

from pkce_tui import tui
from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.profiles import Profile
from pkce_tui.tui.app import PkceTuiApp, default_client

OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")
CORP = Profile(name="corp", issuer="https://127.0.0.1:9/corp", client_id="corp-app")


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))
    profiles.save_profile(CORP)


def warning_shown(app: PkceTuiApp) -> bool:
    return app.query_one("#insecure").display


async def run_discovery(pilot) -> None:
    await pilot.press("f10")
    await settle(pilot)


async def test_insecure_holds_for_every_run_and_after_switching_profile():
    made_from: list[FlowConfig] = []

    def recording_client(config: FlowConfig):
        made_from.append(config)
        return default_client(config)

    app = PkceTuiApp(OFFLINE, insecure=True, client_factory=recording_client)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.flow.config.insecure and warning_shown(app)
        await run_discovery(pilot)
        await pilot.press("f6")  # the profile picker: open the saved profile
        await pause_until(pilot, lambda: app.screen.query("#profile-list"), "the picker shown")
        picker = app.screen.query_one("#profile-list", OptionList)
        picker.highlighted = list(profiles.load_profiles()).index("corp")
        app.screen.query_one("#open").press()
        await pilot.pause()
        assert app.profile_name == "corp" and app.flow.config.client_id == "corp-app"
        assert app.flow.config.insecure and warning_shown(app)
        await run_discovery(pilot)
    assert [config.insecure for config in made_from] == [True, True]
    assert made_from[-1].issuer == CORP.issuer


async def test_without_insecure_a_profile_keeps_verification_on():
    app = PkceTuiApp.for_profile(CORP)
    async with app.run_test(size=(120, 40)):
        assert not app.flow.config.insecure and not warning_shown(app)


@pytest.mark.parametrize("profile", ["corp", None])
def test_run_app_passes_insecure_to_the_opened_flow(monkeypatch, profile):
    """`run_app(profile, insecure=True)`, as `pkce-tui --insecure` calls it; None: the picker."""
    started: list[PkceTuiApp] = []
    monkeypatch.setattr(PkceTuiApp, "run", lambda app: started.append(app))
    monkeypatch.setattr(tui, "require_terminal", lambda: None)  # pytest has no terminal
    assert tui.run_app(profile, insecure=True) == 0
    (app,) = started
    assert app.insecure and app.flow.config.insecure
    assert app.pick_profile is (profile is None)

"""A HAR opened in the TUI: the panes fill from it read-only, a marker says where it came
from, and "replay from here" copies its configuration into an editable flow."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import settle
from rich.console import Console
from textual.widgets import Input, Static

from pkce_tui.cli import main as cli_main
from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.har import load_flow
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.panes import StepPane

SAMPLE = Path(__file__).parent / "data" / "har" / "chrome-cyberark-spa.har"
OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")


def text_of(app: PkceTuiApp, selector: str) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


async def test_a_har_fills_the_panes_read_only():
    app = PkceTuiApp.for_har(str(SAMPLE))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.read_only and app.flow.status("token") == "error"
        marker = text_of(app, "#har-marker")
        assert "from HAR" in marker and "chrome-cyberark-spa.har" in marker
        assert "read-only" in app.sub_title
        assert all(field.disabled for field in app.query("#panes Input"))
        assert not app.check_action("run_all", ()) and not app.check_action("run_next", ())
        await pilot.press("1", "2")  # typing changes nothing
        assert app.flow is app.har.state


async def test_an_edit_message_is_refused_while_read_only():
    app = PkceTuiApp.for_har(str(SAMPLE))
    async with app.run_test(size=(120, 40)):
        state = app.flow
        app.apply_edit(StepPane.Edited({"scope": "openid"}))
        assert app.flow is state


async def test_replay_from_here_copies_the_configuration_into_an_editable_flow():
    app = PkceTuiApp.for_har(str(SAMPLE))
    async with app.run_test(size=(120, 40)) as pilot:
        har_state = app.flow
        await pilot.press("ctrl+r")
        config = app.flow.config
        assert not app.read_only and not app.query_one("#har-marker").display
        assert (config.client_id, config.redirect_uri, config.dialect, config.app_id) == (
            "spa-client", "https://app.example.test/callback", "cyberark", "spa-app")
        assert config.verifier is None and config.state is None and app.flow.results == {}
        assert not app.query_one("#verifier-input", Input).disabled
        assert app.history[-1] is har_state and app.check_action("compare", ())


async def test_the_palette_dialog_opens_a_har_file(tmp_path):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Open HAR file" in titles
        app.action_open_har()
        await pilot.pause()
        await pilot.press(*str(SAMPLE), "enter")
        await settle(pilot)
        assert app.read_only and app.flow.config.client_id == "spa-client"
        assert [d.id for d in app.flow.diagnosis] == ["redirect_uri_mismatch"]


async def test_a_bad_har_from_the_palette_is_a_notification_not_a_crash(tmp_path):
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": ')
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.flow
        app.load_har_file(str(bad))
        await settle(pilot)
        assert app.flow is before and not app.read_only
        assert any("not JSON" in str(n.message) for n in app._notifications)


def test_replay_config_keeps_the_client_and_drops_spent_values():
    from pkce_tui.core.har import replay_config

    har = load_flow(SAMPLE.read_text())
    config = replay_config(har.state)
    assert config.tenant_url == "https://acme.id.cyberark.cloud"
    assert (config.verifier, config.state, config.nonce) == (None, None, None)
    assert config.method == "S256" and config.scope == "openid profile"


def test_open_refuses_what_is_not_a_har(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match="not a HAR file"):
        PkceTuiApp.for_har(str(other))


def test_the_open_flag_fails_in_one_line_before_the_screen(capsys, tmp_path):
    assert cli_main(["--open", str(tmp_path / "missing.har")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "cannot read the HAR file" in err


async def test_the_palette_offers_the_other_flows_of_the_har(tmp_path):
    document = json.loads(SAMPLE.read_text())
    entries = document["log"]["entries"]
    later = json.loads(json.dumps(entries))
    for item in later:
        item["startedDateTime"] = item["startedDateTime"].replace("T10:", "T11:")
        item["request"]["url"] = item["request"]["url"].replace("st-42", "st-43")
    document["log"]["entries"] = entries + later
    two = tmp_path / "two.har"
    two.write_text(json.dumps(document))
    app = PkceTuiApp.for_har(str(two))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.har.index == 1
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["HAR flow 0: code"].callback()
        await settle(pilot)
        assert app.har.index == 0 and app.flow.config.state == "st-42"
